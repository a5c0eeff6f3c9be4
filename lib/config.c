/*
 * config.c - loading a configuration into plain C data (see config.h).
 *
 * Loading has three steps, each in its own file: config_eval.c runs the Lua
 * file in a sandbox and returns its table as JSON; config_keys.c checks
 * that JSON against the declarative key table and fills in defaults; this
 * file turns the checked JSON into a gloss__config, which takes what the
 * key table cannot say: each pipeline entry names exactly one of stage,
 * plugin and script, instance names are unique, and file names resolve
 * against the configuration's folder and the search paths.
 *
 * Every folder kept in a configuration is absolute, so that a daemon that
 * changes directory, or a worker that rebuilds the pipeline later, finds
 * the same files the configuration named when it was loaded.
 *
 * A configuration also keeps the Lua source it was loaded from. glossd
 * sends that source (not the file's name) to its workers, which load it
 * with gloss__config_load_string() and the same folder, so every worker
 * runs what the supervisor checked even if the file changes meanwhile. A
 * one-stage configuration built from the command line has no file, so an
 * equivalent source is written for it here.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config_eval.h"
#include "config_keys.h"
#include "config_path.h"

#define DEFAULT_NAME "(embedded default)"
#define SINGLE_NAME "(command line)"

/* What a failing step needs to write its message. */
typedef struct builder {
    const char *name; /* the configuration's name, first in every message */
    char *err;
    size_t errlen;
} builder;

static int fail(builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes "name: <message>" and returns -1. */
static int fail(builder *b, const char *fmt, ...)
{
    int n = snprintf(b->err, b->errlen, "%s: ", b->name);
    if (n >= 0 && (size_t)n < b->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(b->err + n, b->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- search paths ---------------------------------------------------------- */

/* A growing list of strings, for search paths. */
typedef struct strlist {
    char **items;
    size_t n, cap;
} strlist;

/* Takes ownership of s (which may be NULL after a failed allocation). */
static int strlist_push(strlist *l, char *s)
{
    if (!s)
        return -1;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **items = realloc(l->items, cap * sizeof *items);
        if (!items) {
            free(s);
            return -1;
        }
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = s;
    return 0;
}

/* The effective search path: the configured folders (relative to the
 * configuration's folder), then each folder of the colon-separated
 * environment variable env, then the installed folder. */
static int search_path(builder *b, const char *dir, const json_t *configured,
                       const char *env, const char *installed, char ***out,
                       size_t *n)
{
    strlist l = {NULL, 0, 0};
    size_t i;
    json_t *folder;
    int rc = 0;

    json_array_foreach(configured, i, folder) {
        if (rc == 0)
            rc = strlist_push(&l, gloss__path_join(dir, json_string_value(folder)));
    }
    const char *list = getenv(env);
    while (rc == 0 && list && *list) {
        size_t len = strcspn(list, ":");
        if (len > 0) {
            char *one = strndup(list, len);
            rc = one ? strlist_push(&l, gloss__path_absolute(one)) : -1;
            free(one);
        }
        list += len + (list[len] == ':');
    }
    if (rc == 0)
        rc = strlist_push(&l, strdup(installed));
    if (rc < 0) {
        for (i = 0; i < l.n; i++)
            free(l.items[i]);
        free(l.items);
        return fail(b, "out of memory");
    }
    *out = l.items;
    *n = l.n;
    return 0;
}

/* ---- pipeline entries ---------------------------------------------------- */

/* Finds a script: an absolute name as it is; otherwise in the
 * configuration's folder, then in each script folder; the first file that
 * exists wins. Not finding it is an error listing every folder tried, which
 * is usually enough to see what is wrong. */
static char *resolve_script(builder *b, const gloss__config *cfg,
                            const char *script, const char *key_path)
{
    if (gloss__path_is_absolute(script))
        return strdup(script);
    for (size_t i = 0; i <= cfg->n_script_paths; i++) {
        const char *folder = i == 0 ? cfg->dir : cfg->script_paths[i - 1];
        char *path = gloss__path_join(folder, script);
        if (!path || gloss__path_is_file(path))
            return path;
        free(path);
    }
    gloss__buf list = GLOSS__BUF_INIT;
    gloss__buf_adds(&list, cfg->dir);
    for (size_t i = 0; i < cfg->n_script_paths; i++)
        gloss__buf_printf(&list, ", %s", cfg->script_paths[i]);
    fail(b, "%s.script: cannot find \"%s\"; looked in %s", key_path, script,
         list.oom ? "(out of memory)" : list.data);
    gloss__buf_free(&list);
    errno = ENOENT;
    return NULL;
}

static const char *get_string(const json_t *entry, const char *key)
{
    return json_string_value(json_object_get(entry, key));
}

/* Fills sc from the checked pipeline entry e. */
static int build_stage(builder *b, gloss__config *cfg, gloss__stage_conf *sc,
                       const json_t *e, size_t index)
{
    char key_path[64];
    snprintf(key_path, sizeof key_path, "pipeline[%zu]", index);
    sc->key_path = strdup(key_path);
    if (!sc->key_path)
        return fail(b, "out of memory");

    static const char *const kinds[] = {"stage", "plugin", "script"};
    const char *given[3];
    int count = 0;
    for (int k = 0; k < 3; k++) {
        given[k] = get_string(e, kinds[k]);
        if (given[k] && !*given[k])
            return fail(b, "%s.%s: must not be empty", key_path, kinds[k]);
        count += given[k] != NULL;
    }
    if (count == 0)
        return fail(b, "%s: give one of stage, plugin or script", key_path);
    if (count > 1)
        return fail(b, "%s: give only one of stage, plugin or script "
                    "(it has %s)", key_path,
                    count == 3  ? "all three"
                    : !given[2] ? "stage and plugin"
                    : given[0]  ? "stage and script"
                                : "plugin and script");

    const char *stage = given[0], *plugin = given[1], *script = given[2];
    const char *name = get_string(e, "name");
    if (name && !*name)
        return fail(b, "%s.name: must not be empty", key_path);
    if (stage) {
        sc->stage = strdup(stage);
        sc->name = strdup(name ? name : stage);
    } else if (plugin) {
        sc->plugin = gloss__path_join(cfg->dir, plugin);
        sc->name = name ? strdup(name) : gloss__path_stem(plugin, ".so");
    } else {
        sc->script = resolve_script(b, cfg, script, key_path);
        if (!sc->script)
            return errno == ENOENT ? -1 : fail(b, "out of memory");
        sc->name = name ? strdup(name) : gloss__path_stem(script, ".lua");
    }
    if (!sc->name || (stage && !sc->stage) || (plugin && !sc->plugin))
        return fail(b, "out of memory");

    for (size_t j = 0; j + 1 < index; j++) {
        if (strcmp(cfg->stages[j].name, sc->name) == 0)
            return fail(b, "%s.name: \"%s\" is already the name of %s; give one "
                        "of them another name", key_path, sc->name,
                        cfg->stages[j].key_path);
    }

    sc->options = json_deep_copy(json_object_get(e, "options"));
    if (!sc->options)
        return fail(b, "out of memory");
    const char *on_error = get_string(e, "on_error");
    sc->on_error = strcmp(on_error, "continue") == 0 ? GLOSS__ON_ERROR_CONTINUE
                   : strcmp(on_error, "drop") == 0   ? GLOSS__ON_ERROR_DROP
                                                     : GLOSS__ON_ERROR_FAIL;
    sc->max_instructions =
        (uint64_t)json_integer_value(json_object_get(e, "max_instructions"));
    sc->max_memory = (size_t)json_integer_value(json_object_get(e, "max_memory"));
    return 0;
}

/* ---- the daemon table ------------------------------------------------------ */

/* The longest run_dir accepted. ipc socket names live in a private folder
 * inside it and must fit in the 108 bytes of a Unix socket address, so the
 * folder leaves room for the names glossd adds. */
#define RUN_DIR_MAX 80

/* The most bytes of an ipc:// path: a Unix socket address holds 108 bytes,
 * one of which is the terminating NUL. */
#define IPC_PATH_MAX 107

/* Whether s is a port: "*" (any free port), or a number from 1 to 65535. */
static int is_port(const char *s)
{
    if (strcmp(s, "*") == 0)
        return 1;
    if (!*s || strlen(s) > 5)
        return 0;
    long n = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        n = n * 10 + (*p - '0');
    }
    return n >= 1 && n <= 65535;
}

/* Checks that ep looks like an endpoint glossd can bind: ZeroMQ itself only
 * says "Invalid argument" when it cannot parse one, long after loading, so
 * the mistakes people make (a missing scheme, a missing port, an ipc path
 * too long for a socket address) are named here with the key. */
static int check_endpoint(builder *b, const char *key, const char *ep,
                          int may_be_empty)
{
    if (!*ep) {
        if (may_be_empty)
            return 0;
        return fail(b, "daemon.%s: must not be empty (glossd always has a %s "
                    "socket)", key, key);
    }
    if (strncmp(ep, "tcp://", 6) == 0) {
        const char *addr = ep + 6;
        const char *colon = strrchr(addr, ':');
        int host_ok = colon && colon > addr;
        if (host_ok && addr[0] == '[')
            host_ok = colon[-1] == ']' && colon - addr > 2;
        if (!host_ok || !is_port(colon + 1))
            return fail(b, "daemon.%s: \"%s\" is not a tcp endpoint; write "
                        "tcp://HOST:PORT, with a port from 1 to 65535 (or * "
                        "for any free port)", key, ep);
        return 0;
    }
    if (strncmp(ep, "ipc://", 6) == 0) {
        size_t n = strlen(ep + 6);
        if (n == 0)
            return fail(b, "daemon.%s: \"%s\" names no path; write "
                        "ipc://PATH", key, ep);
        if (n > IPC_PATH_MAX)
            return fail(b, "daemon.%s: the ipc path is %zu bytes; a socket "
                        "address holds at most %d", key, n, IPC_PATH_MAX);
        return 0;
    }
    if (strncmp(ep, "inproc://", 9) == 0) {
        if (!ep[9])
            return fail(b, "daemon.%s: \"%s\" names nothing; write "
                        "inproc://NAME", key, ep);
        return 0;
    }
    return fail(b, "daemon.%s: \"%s\" is not an endpoint; expected "
                "tcp://HOST:PORT, ipc://PATH or inproc://NAME%s", key, ep,
                may_be_empty ? ", or \"\" to disable it" : "");
}

/* Fills route r from the checked entry e of daemon.routes. */
static int build_route(builder *b, gloss__route *r, const json_t *e,
                       size_t index)
{
    char path[64];
    snprintf(path, sizeof path, "daemon.routes[%zu]", index);
    const char *labels = get_string(e, "labels");
    const char *layer = get_string(e, "layer");
    const char *prefix = get_string(e, "prefix");
    const json_t *score = json_object_get(e, "min_score");

    if (!labels == !layer)
        return fail(b, "%s: give %s of labels or layer", path,
                    labels ? "only one" : "one");
    if ((labels && !*labels) || (layer && !*layer))
        return fail(b, "%s.%s: must not be empty", path,
                    labels ? "labels" : "layer");
    if (!*prefix || strspn(prefix, "abcdefghijklmnopqrstuvwxyz0123456789_-") !=
                        strlen(prefix))
        return fail(b, "%s.prefix: \"%s\" must be made of a-z, 0-9, _ and - "
                    "only", path, prefix);
    if (score && layer)
        return fail(b, "%s.min_score: only labels routes have a score; this "
                    "route has a layer", path);
    r->min_score = score ? json_number_value(score) : 0.5;
    if (!(r->min_score >= 0 && r->min_score <= 1))
        return fail(b, "%s.min_score: must be from 0 to 1, got %g", path,
                    r->min_score);

    r->labels = labels ? strdup(labels) : NULL;
    r->layer = layer ? strdup(layer) : NULL;
    r->prefix = strdup(prefix);
    if ((labels && !r->labels) || (layer && !r->layer) || !r->prefix)
        return fail(b, "out of memory");
    return 0;
}

static long long get_int(const json_t *table, const char *key)
{
    return (long long)json_integer_value(json_object_get(table, key));
}

/* Reads daemon.KEY, a time of work from 0 to an hour in seconds, into *ns.
 * Returns 0, or -1 (said) when it is out of that range. */
static int get_work_time(builder *b, const json_t *table, const char *key,
                         uint64_t *ns)
{
    double s = json_number_value(json_object_get(table, key));
    if (!(s >= 0 && s <= 3600))
        return fail(b, "daemon.%s: must be from 0 to 3600 seconds, got %g",
                    key, s);
    *ns = (uint64_t)(s * 1e9 + 0.5);
    return 0;
}

/* Fills cfg->daemon from the checked daemon table, and checks what the key
 * table cannot: ranges, endpoints, and limits that contradict each other. */
static int build_daemon(builder *b, gloss__config *cfg, const json_t *t)
{
    gloss__daemon_conf *d = &cfg->daemon;
    static const char *const endpoint_keys[] = {"submit", "feed", "publish",
                                                "control"};
    const char *ep[4];
    for (int i = 0; i < 4; i++) {
        ep[i] = get_string(t, endpoint_keys[i]);
        if (check_endpoint(b, endpoint_keys[i], ep[i], i < 2) < 0)
            return -1;
        for (int j = 0; j < i; j++)
            if (*ep[i] && strcmp(ep[i], ep[j]) == 0)
                return fail(b, "daemon.%s: \"%s\" is already daemon.%s; each "
                            "socket needs its own endpoint", endpoint_keys[i],
                            ep[i], endpoint_keys[j]);
    }
    if (!*ep[0] && !*ep[1])
        return fail(b, "daemon: submit and feed are both disabled, so nothing "
                    "could send documents; keep at least one");

    long long workers = get_int(t, "workers");
    if (workers > 1024)
        return fail(b, "daemon.workers: must be from 0 to 1024, got %lld",
                    workers);
    long long credit = get_int(t, "credit");
    if (credit < 1 || credit > 64)
        return fail(b, "daemon.credit: must be from 1 to 64, got %lld", credit);
    if (get_work_time(b, t, "hold", &d->hold_ns) < 0 ||
        get_work_time(b, t, "spread", &d->spread_ns) < 0)
        return -1;
    double deadline = json_number_value(json_object_get(t, "deadline"));
    if (!(deadline > 0 && deadline <= 86400))
        return fail(b, "daemon.deadline: must be more than 0 and at most "
                    "86400 seconds, got %g", deadline);
    long long max_docs = get_int(t, "max_inflight_documents");
    if (max_docs < 1)
        return fail(b, "daemon.max_inflight_documents: must be at least 1, got "
                    "%lld", max_docs);
    long long max_doc = get_int(t, "max_document_size");
    if (max_doc < 1)
        return fail(b, "daemon.max_document_size: must be at least 1 byte, got "
                    "%lld", max_doc);
    long long max_bytes = get_int(t, "max_inflight_bytes");
    if (max_bytes < max_doc)
        return fail(b, "daemon.max_inflight_bytes: must be at least "
                    "daemon.max_document_size (%lld), or no document of the "
                    "largest size could ever be accepted; got %lld", max_doc,
                    max_bytes);
    long long hwm = get_int(t, "publish_hwm");
    if (hwm > INT_MAX)
        return fail(b, "daemon.publish_hwm: must be at most %d, got %lld",
                    INT_MAX, hwm);

    d->workers = (unsigned)workers;
    d->credit = (unsigned)credit;
    d->deadline = deadline;
    d->max_document_size = (size_t)max_doc;
    d->max_inflight_documents = (size_t)max_docs;
    d->max_inflight_bytes = (size_t)max_bytes;
    d->publish_hwm = (int)hwm;

    const char *run_dir = get_string(t, "run_dir");
    if (run_dir && !*run_dir)
        return fail(b, "daemon.run_dir: must not be empty");
    if (!run_dir) {
        /* XDG_RUNTIME_DIR is private to the user and cleaned at logout,
         * which is what sockets want; a relative value is not a valid one
         * (the XDG specification asks for an absolute path) and is
         * ignored. */
        run_dir = getenv("XDG_RUNTIME_DIR");
        if (!run_dir || !gloss__path_is_absolute(run_dir))
            run_dir = "/tmp";
    }
    d->run_dir = gloss__path_join(cfg->dir, run_dir);
    if (!d->run_dir)
        return fail(b, "out of memory");
    if (strlen(d->run_dir) > RUN_DIR_MAX)
        return fail(b, "daemon.run_dir: \"%s\" is %zu bytes; at most %d fit, "
                    "as the ipc socket names made in it must fit in a socket "
                    "address", d->run_dir, strlen(d->run_dir), RUN_DIR_MAX);

    d->submit = strdup(ep[0]);
    d->feed = strdup(ep[1]);
    d->publish = strdup(ep[2]);
    d->control = strdup(ep[3]);
    if (!d->submit || !d->feed || !d->publish || !d->control)
        return fail(b, "out of memory");

    const json_t *routes = json_object_get(t, "routes");
    size_t n = json_array_size(routes);
    if (n > 0) {
        d->routes = calloc(n, sizeof *d->routes);
        if (!d->routes)
            return fail(b, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        d->n_routes = i + 1;
        if (build_route(b, &d->routes[i], json_array_get(routes, i), i + 1) < 0)
            return -1;
    }
    return 0;
}

/* ---- Lua source for a configuration built in C ------------------------------ */

/* Writes s as a Lua string literal. Bytes that Lua would not keep as they
 * are in a quoted string (quotes, backslashes, controls) become decimal
 * escapes, which mean the same byte in every Lua version. */
static void lua_string(gloss__buf *out, const char *s, size_t n)
{
    gloss__buf_addc(out, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\' || c < 0x20 || c == 0x7F)
            gloss__buf_printf(out, "\\%03u", c);
        else
            gloss__buf_addc(out, (char)c);
    }
    gloss__buf_addc(out, '"');
}

/* Writes v as a Lua expression that the configuration loader turns back
 * into the same JSON, as far as Lua can say it: a null is nil (left out of
 * a table, as gloss__json_to_lua does for stages too), and an empty list
 * is an empty table, which the key and option checks take as an empty list
 * wherever a list is expected. */
static void lua_value(gloss__buf *out, const json_t *v)
{
    const char *key;
    json_t *item;
    size_t i;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        gloss__buf_addc(out, '{');
        json_object_foreach((json_t *)v, key, item) {
            if (json_is_null(item))
                continue;
            gloss__buf_addc(out, '[');
            lua_string(out, key, strlen(key));
            gloss__buf_adds(out, "] = ");
            lua_value(out, item);
            gloss__buf_adds(out, ", ");
        }
        gloss__buf_addc(out, '}');
        break;
    case JSON_ARRAY:
        gloss__buf_addc(out, '{');
        json_array_foreach(v, i, item) {
            lua_value(out, item);
            gloss__buf_adds(out, ", ");
        }
        gloss__buf_addc(out, '}');
        break;
    case JSON_STRING:
        lua_string(out, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        /* The smallest integer has no literal: its digits without the sign
         * overflow to a float. */
        if (json_integer_value(v) == LLONG_MIN)
            gloss__buf_adds(out, "math.mininteger");
        else
            gloss__buf_printf(out, "%lld", (long long)json_integer_value(v));
        break;
    case JSON_REAL: {
        /* A float must read back as a float, so a whole value keeps a
         * decimal point: "2.0", not "2". */
        char num[64];
        snprintf(num, sizeof num, "%.17g", json_real_value(v));
        gloss__buf_adds(out, num);
        if (strspn(num, "-0123456789") == strlen(num))
            gloss__buf_adds(out, ".0");
        break;
    }
    case JSON_TRUE:
        gloss__buf_adds(out, "true");
        break;
    case JSON_FALSE:
        gloss__buf_adds(out, "false");
        break;
    case JSON_NULL:
    default:
        gloss__buf_adds(out, "nil");
        break;
    }
}

/* Keeps a copy of the len bytes of src as the configuration's source. */
static int keep_source(builder *b, gloss__config *cfg, const char *src,
                       size_t len)
{
    cfg->source = malloc(len + 1);
    if (!cfg->source)
        return fail(b, "out of memory");
    if (len)
        memcpy(cfg->source, src, len);
    cfg->source[len] = '\0';
    cfg->source_len = len;
    return 0;
}

/* ---- the whole configuration ------------------------------------------------ */

/* Builds a configuration from its table (as returned by the file), which is
 * checked here. dir must be absolute. */
static gloss__config *from_table(builder *b, const json_t *table,
                                 const char *dir)
{
    char msg[1024];
    json_t *raw = gloss__keys_check_table(gloss__config_keys, table, "", "key",
                                          msg, sizeof msg);
    if (!raw) {
        fail(b, "%s", msg);
        return NULL;
    }
    gloss__config *cfg = calloc(1, sizeof *cfg);
    if (!cfg) {
        json_decref(raw);
        fail(b, "out of memory");
        return NULL;
    }
    cfg->raw = raw;
    cfg->path = strdup(b->name);
    cfg->dir = strdup(dir);
    if (!cfg->path || !cfg->dir) {
        fail(b, "out of memory");
        goto failed;
    }

    if (search_path(b, cfg->dir, json_object_get(raw, "script_paths"),
                    "GLOSS_SCRIPT_PATH", GLOSS_SCRIPT_DIR, &cfg->script_paths,
                    &cfg->n_script_paths) < 0 ||
        search_path(b, cfg->dir, json_object_get(raw, "plugin_paths"),
                    "GLOSS_PLUGIN_PATH", GLOSS_PLUGIN_DIR, &cfg->plugin_paths,
                    &cfg->n_plugin_paths) < 0)
        goto failed;

    const json_t *pipeline = json_object_get(raw, "pipeline");
    size_t n = json_array_size(pipeline);
    cfg->stages = calloc(n ? n : 1, sizeof *cfg->stages);
    if (!cfg->stages) {
        fail(b, "out of memory");
        goto failed;
    }
    for (size_t i = 0; i < n; i++) {
        cfg->n_stages = i + 1;
        if (build_stage(b, cfg, &cfg->stages[i], json_array_get(pipeline, i),
                        i + 1) < 0)
            goto failed;
    }

    const json_t *output = json_object_get(raw, "output");
    cfg->offsets = strcmp(get_string(output, "offsets"), "bytes") == 0
                       ? GLOSS__OFFSETS_BYTES
                       : GLOSS__OFFSETS_CODEPOINTS;
    cfg->output_text = json_is_true(json_object_get(output, "text"));
    cfg->output_original = json_is_true(json_object_get(output, "original"));

    if (build_daemon(b, cfg, json_object_get(raw, "daemon")) < 0)
        goto failed;
    return cfg;

failed:
    gloss__config_destroy(&cfg);
    return NULL;
}

static gloss__config *from_source(builder *b, const char *src, size_t len,
                                  const char *dir)
{
    json_t *table = gloss__config_eval(src, len, b->name, b->err, b->errlen);
    if (!table)
        return NULL;
    gloss__config *cfg = from_table(b, table, dir);
    json_decref(table);
    if (cfg && keep_source(b, cfg, src, len) < 0)
        gloss__config_destroy(&cfg);
    return cfg;
}

gloss__config *gloss__config_load(const char *path, char *err, size_t errlen)
{
    if (!path)
        return gloss__config_load_string(gloss__default_config,
                                         strlen(gloss__default_config),
                                         DEFAULT_NAME, NULL, err, errlen);
    builder b = {path, err, errlen};
    gloss__buf src = GLOSS__BUF_INIT;
    if (gloss__buf_read_file(&src, path) < 0) {
        fail(&b, "cannot read the configuration: %s", strerror(errno));
        gloss__buf_free(&src);
        return NULL;
    }
    char *dir = gloss__path_parent(path);
    gloss__config *cfg = NULL;
    if (!dir)
        fail(&b, "cannot find the configuration's folder: %s", strerror(errno));
    else
        cfg = from_source(&b, src.data ? src.data : "", src.len, dir);
    free(dir);
    gloss__buf_free(&src);
    return cfg;
}

gloss__config *gloss__config_load_string(const char *src, size_t len,
                                         const char *name, const char *dir,
                                         char *err, size_t errlen)
{
    builder b = {name ? name : "(string)", err, errlen};
    char *abs = gloss__path_absolute(dir);
    if (!abs) {
        fail(&b, "cannot find the folder %s: %s", dir ? dir : ".",
             strerror(errno));
        return NULL;
    }
    gloss__config *cfg = from_source(&b, src, len, abs);
    free(abs);
    return cfg;
}

gloss__config *gloss__config_single(const char *target, json_t *options,
                                    char *err, size_t errlen)
{
    builder b = {SINGLE_NAME, err, errlen};
    if (!target || !*target) {
        fail(&b, "no stage given");
        return NULL;
    }
    size_t len = strlen(target);
    const char *kind = len > 4 && strcmp(target + len - 4, ".lua") == 0 ? "script"
                       : len > 3 && strcmp(target + len - 3, ".so") == 0 ? "plugin"
                                                                        : "stage";
    /* The one-stage configuration is written as the table a file would
     * return, so it is checked and resolved exactly like one. */
    json_t *entry = json_pack("{s:s}", kind, target);
    json_t *table = json_pack("{s:[o]}", "pipeline", entry);
    if (table && options && json_object_set(entry, "options", options) < 0) {
        json_decref(table);
        table = NULL;
    }
    char *dir = table ? gloss__path_absolute(NULL) : NULL;
    gloss__config *cfg = NULL;
    if (!dir)
        fail(&b, "%s", table ? strerror(errno) : "out of memory");
    else
        cfg = from_table(&b, table, dir);
    free(dir);

    /* The source is the same table written in Lua, so that glossd can send
     * a one-stage configuration to its workers like any other. */
    if (cfg) {
        gloss__buf src = GLOSS__BUF_INIT;
        gloss__buf_adds(&src, "-- A one-stage configuration given on the "
                        "command line.\nreturn ");
        lua_value(&src, table);
        gloss__buf_addc(&src, '\n');
        if (src.oom) {
            fail(&b, "out of memory");
            gloss__config_destroy(&cfg);
        } else {
            cfg->source = gloss__buf_steal(&src, &cfg->source_len);
        }
        gloss__buf_free(&src);
    }
    json_decref(table);
    return cfg;
}

void gloss__config_destroy(gloss__config **cfg)
{
    if (!cfg || !*cfg)
        return;
    gloss__config *c = *cfg;
    for (size_t i = 0; i < c->n_stages; i++) {
        gloss__stage_conf *sc = &c->stages[i];
        free(sc->key_path);
        free(sc->name);
        free(sc->stage);
        free(sc->plugin);
        free(sc->script);
        json_decref(sc->options);
    }
    free(c->stages);
    for (size_t i = 0; i < c->n_script_paths; i++)
        free(c->script_paths[i]);
    free(c->script_paths);
    for (size_t i = 0; i < c->n_plugin_paths; i++)
        free(c->plugin_paths[i]);
    free(c->plugin_paths);
    free(c->path);
    free(c->dir);
    json_decref(c->raw);
    gloss__daemon_conf *d = &c->daemon;
    free(d->submit);
    free(d->feed);
    free(d->publish);
    free(d->control);
    free(d->run_dir);
    for (size_t i = 0; i < d->n_routes; i++) {
        free(d->routes[i].labels);
        free(d->routes[i].layer);
        free(d->routes[i].prefix);
    }
    free(d->routes);
    free(c->source);
    free(c);
    *cfg = NULL;
}
