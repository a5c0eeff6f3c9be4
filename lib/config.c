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
 */
#include "config.h"

#include <errno.h>
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
    free(c);
    *cfg = NULL;
}
