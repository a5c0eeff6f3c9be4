/*
 * config_keys.c - the keys of a configuration file, and the checker that
 * walks a key table (see config_keys.h).
 *
 * The tables at the top are the whole description of what a configuration
 * may say. Adding a key is adding one line to one of them; adding a table
 * of keys (the daemon's, say) is one line here plus its own key table.
 * Everything else (checking, defaults, docs/config.md) follows from them.
 *
 * The checker reports the first problem it finds, in a fixed order so that
 * the same file always gives the same message: unknown names first (the
 * smallest one, since a misspelt key is the likeliest mistake and also
 * explains a "required" error further down), then each declared key in
 * table order.
 */
#include "config_keys.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

/* ---- the keys of a configuration ---------------------------------------- */

static const char *const on_error_choices[] = {"fail", "continue", "drop", NULL};
static const char *const offsets_choices[] = {"codepoints", "bytes", NULL};

/* One entry of the pipeline list. */
static const gloss__key stage_keys[] = {
    {"stage", GLOSS__KEY_STRING, NULL, 0,
     "A stage by name: a built-in stage (see [Built-in stages](#built-in-stages)), "
     "or else `<stage>.so` found in `plugin_paths`.", NULL, NULL},
    {"plugin", GLOSS__KEY_STRING, NULL, 0,
     "A C stage in a shared object, by file name. A relative name is taken "
     "from the configuration's folder.", NULL, NULL},
    {"script", GLOSS__KEY_STRING, NULL, 0,
     "A Lua stage, by file name. An absolute name is used as it is; a "
     "relative one is looked for in the configuration's folder, then in each "
     "folder of the effective `script_paths`, and the first file found is "
     "used.", NULL, NULL},
    {"name", GLOSS__KEY_STRING, NULL, 0,
     "The instance's name in messages, statistics and timings. It defaults to "
     "the stage's name, or to the script's or plugin's file name without "
     "`.lua` or `.so`. Two entries of one pipeline cannot share a name, so "
     "give one of them a `name` when a stage appears twice.", NULL, NULL},
    {"options", GLOSS__KEY_OBJECT, "{}", 0,
     "The stage's options. They are checked against the options the stage "
     "declares when the pipeline is built (the built-in stages' options are "
     "listed below); a script receives them as the table passed to its "
     "`init()`.", NULL, NULL},
    {"on_error", GLOSS__KEY_ENUM, "\"fail\"", 0,
     "What a failure of this stage does to the document. `\"fail\"` stops it "
     "and reports it as failed; `\"continue\"` records the error on the "
     "document and runs the next stages; `\"drop\"` drops the document, which "
     "is counted but not output.", on_error_choices, NULL},
    {"max_instructions", GLOSS__KEY_INTEGER, "100000000", GLOSS__KEY_UNSIGNED,
     "For scripts: the most Lua instructions one call into the script "
     "(`init`, `process` or `process_batch`) may run before it is stopped with "
     "an error; 0 means no limit. A hundred million instructions take about a "
     "second of Lua 5.4 on one core: far more than a stage should need for a "
     "document, yet short enough that an endless loop costs a second instead "
     "of stalling the pipeline.", NULL, NULL},
    {"max_memory", GLOSS__KEY_SIZE, "\"64M\"", 0,
     "For scripts: the most memory the script's Lua state may hold. An "
     "allocation past it fails, which raises an error in the call that made "
     "it; 0 means no limit.", NULL, NULL},
    {NULL, 0, NULL, 0, NULL, NULL, NULL},
};

static const gloss__key output_keys[] = {
    {"offsets", GLOSS__KEY_ENUM, "\"codepoints\"", 0,
     "How span offsets are counted in the JSON output: in Unicode code points "
     "(the way Python indexes strings), or in bytes of the UTF-8 text (the way "
     "C and Rust do).", offsets_choices, NULL},
    {"text", GLOSS__KEY_BOOL, "true", 0,
     "Whether the output includes each document's text.", NULL, NULL},
    {"original", GLOSS__KEY_BOOL, "false", 0,
     "Whether the output also includes the text as it arrived, before any "
     "stage changed it.", NULL, NULL},
    {NULL, 0, NULL, 0, NULL, NULL, NULL},
};

/* One entry of daemon.routes. Which combinations are allowed (exactly one
 * of labels and layer; min_score with labels only), and the prefix's
 * characters, are checked in config.c: the key table cannot say them. */
static const gloss__key route_keys[] = {
    {"labels", GLOSS__KEY_STRING, NULL, 0,
     "A label group (such as `\"topic\"`): each label of this group that a "
     "document carries with at least `min_score` adds a message on the topic "
     "`<prefix>.<label>`.", NULL, NULL},
    {"layer", GLOSS__KEY_STRING, NULL, 0,
     "A span layer (such as `\"entities\"`): each distinct span label in this "
     "layer of a document adds a message on the topic `<prefix>.<label>` "
     "(`entity.PER`, `entity.ORG`).", NULL, NULL},
    {"prefix", GLOSS__KEY_STRING, NULL, GLOSS__KEY_REQUIRED,
     "The first part of the route's topics: lowercase letters, digits, `_` "
     "and `-` (a subscriber matches topics by prefix, so a dot would make "
     "routes overlap).", NULL, NULL},
    {"min_score", GLOSS__KEY_NUMBER, NULL, 0,
     "For `labels` routes only: the least score, from 0 to 1, for which a "
     "label is routed. When left out, 0.5.", NULL, NULL},
    {NULL, 0, NULL, 0, NULL, NULL, NULL},
};

/* The daemon's keys. The ranges the type cannot express (credit from 1 to
 * 64, a deadline above 0, a hold and a spread up to an hour, endpoints
 * that look like endpoints) are checked in config.c, which names the key
 * path the same way. */
static const gloss__key daemon_keys[] = {
    {"submit", GLOSS__KEY_STRING, "\"tcp://127.0.0.1:5701\"", 0,
     "Where clients submit documents and get a reply for each (a ZeroMQ "
     "ROUTER socket, bound by glossd): a `tcp://host:port`, `ipc://path` or "
     "`inproc://name` endpoint, or `\"\"` to have no submit socket. See "
     "docs/protocol.md.", NULL, NULL},
    {"feed", GLOSS__KEY_STRING, "\"tcp://127.0.0.1:5702\"", 0,
     "Where feeders push documents without waiting for a reply (a ZeroMQ "
     "PULL socket); rejections go out on the topic `error.admission` "
     "instead. `\"\"` disables it; `submit` and `feed` cannot both be "
     "disabled.", NULL, NULL},
    {"publish", GLOSS__KEY_STRING, "\"tcp://127.0.0.1:5703\"", 0,
     "Where processed documents, routed topics and errors are published (a "
     "ZeroMQ XPUB socket, which subscribers see as a PUB). It cannot be "
     "disabled.", NULL, NULL},
    {"control", GLOSS__KEY_STRING, "\"tcp://127.0.0.1:5704\"", 0,
     "Where `gloss stats`, `gloss reload`, `gloss drain` and `gloss ping` "
     "talk to the daemon (a ZeroMQ ROUTER socket). Anyone who can connect "
     "to it can stop the daemon, so keep it on loopback or an `ipc://` path "
     "only its users can reach.", NULL, NULL},
    {"run_dir", GLOSS__KEY_STRING, NULL, 0,
     "The folder in which glossd makes its private folder for the small "
     "shared files through which its workers say which document they are "
     "running, where the system has no anonymous memory files to share "
     "instead (on Linux the folder stays empty). When left out, "
     "`$XDG_RUNTIME_DIR` if it is set, else `/tmp`. A relative folder is "
     "taken from the configuration's folder.", NULL, NULL},
    {"workers", GLOSS__KEY_INTEGER, "0", GLOSS__KEY_UNSIGNED,
     "How many worker processes run the pipeline, up to 1024; 0 means one "
     "per processor core. Each worker has its own Lua states and C stage "
     "instances, so a crash or an endless loop costs one worker, which is "
     "replaced.", NULL, NULL},
    {"credit", GLOSS__KEY_INTEGER, "64", GLOSS__KEY_UNSIGNED,
     "How many documents a worker holds at most, from 1 to 64: one it is "
     "working on and the rest waiting, so that it never waits for the "
     "supervisor between documents. Documents go to a worker in batches of "
     "up to half of what it may hold, answered together. More credit evens "
     "out bursts of small documents and makes batches larger, so that each "
     "costs fewer system calls and wake-ups; less keeps fewer documents at "
     "risk when a worker dies. How many wait behind a slow document is "
     "bounded by `hold` too.",
     NULL, NULL},
    {"hold", GLOSS__KEY_NUMBER, "0.02", GLOSS__KEY_UNSIGNED,
     "About how many seconds of work a worker holds, from 0 to 3600, by the "
     "recent mean time of its documents: with documents of 10 ms and the "
     "default 0.02 a worker holds 2 (never fewer), so that documents queue "
     "in the supervisor, where the first worker free takes them, rather "
     "than behind a slow one; with documents of microseconds it holds its "
     "whole `credit`. Until its first results it holds at most 4. 0 means "
     "`credit` alone.",
     NULL, NULL},
    {"spread", GLOSS__KEY_NUMBER, "0.001", GLOSS__KEY_UNSIGNED,
     "How many seconds of work, from 0 to 3600, the busy workers may have "
     "(what they hold and what waits in the supervisor's queue, by the "
     "recent mean time of their documents, per busy worker) before a worker "
     "with nothing to do is given documents too. Below it, documents wait "
     "for a busy worker: a light load of fast documents then stays on one "
     "or a few workers, instead of waking every worker for each batch and "
     "making them contend for the cores with the supervisor and ZeroMQ. A "
     "busy worker whose oldest document has run longer than `spread`, or "
     "which has no results yet, counts as unable to keep up. 0 gives every "
     "batch to the worker with the most room, busy or not.",
     NULL, NULL},
    {"deadline", GLOSS__KEY_NUMBER, "30", GLOSS__KEY_UNSIGNED,
     "How many seconds a worker may spend on one document, more than 0 and "
     "at most 86400. A document still running after it is abandoned: its "
     "worker is killed and replaced, and the document is published on "
     "`error.deadline`.", NULL, NULL},
    {"max_document_size", GLOSS__KEY_SIZE, "\"16M\"", 0,
     "The largest text accepted, in bytes of UTF-8. A larger document is "
     "rejected with `too_large` before it is parsed; a JSON envelope may be "
     "twice this size plus 64 KiB, for escapes and its other fields.",
     NULL, NULL},
    {"max_inflight_documents", GLOSS__KEY_INTEGER, "1024", GLOSS__KEY_UNSIGNED,
     "The most documents accepted but not yet published, at least 1. At "
     "the limit glossd stops reading `submit` and `feed` until documents "
     "complete; senders are then held back by ZeroMQ's high-water marks "
     "(their sends block, or fail with `EAGAIN` when non-blocking), so "
     "nothing is dropped.", NULL, NULL},
    {"max_inflight_bytes", GLOSS__KEY_SIZE, "\"256M\"", 0,
     "The most bytes of text accepted but not yet published, at least "
     "`max_document_size`. At the limit glossd stops reading input the same "
     "way as at `max_inflight_documents`.", NULL, NULL},
    {"publish_hwm", GLOSS__KEY_INTEGER, "10000", GLOSS__KEY_UNSIGNED,
     "The high-water mark of the publish socket: how many messages may queue "
     "for each subscriber; 0 means no limit (memory grows for as long as a "
     "subscriber is slow). Past it, ZeroMQ drops messages for that "
     "subscriber only. glossd cannot see which subscriber lost what, but it "
     "counts each time a subscriber's queue was found full "
     "(`publish_overflows` in `gloss stats`), and every message carries a "
     "sequence number, so a subscriber sees the gap; messages glossd could "
     "not send at all are counted in `gloss stats` too.", NULL, NULL},
    {"routes", GLOSS__KEY_TABLES, "[]", 0,
     "Extra topics a processed document is published on, derived from its "
     "annotations, so that a downstream service subscribes only to what it "
     "needs. Each route names exactly one of `labels` and `layer`; a "
     "document matching several labels is published once per topic.",
     NULL, route_keys},
    {NULL, 0, NULL, 0, NULL, NULL, NULL},
};

const gloss__key gloss__config_keys[] = {
    {"script_paths", GLOSS__KEY_STRINGS, "[]", 0,
     "Folders searched for `script` files that are not in the configuration's "
     "folder, and by `require()` inside scripts. Relative folders are taken "
     "from the configuration's folder. The folders of `$GLOSS_SCRIPT_PATH` "
     "and the installed scripts folder are searched after these.", NULL, NULL},
    {"plugin_paths", GLOSS__KEY_STRINGS, "[]", 0,
     "Folders searched for `<stage>.so` when a `stage` is not built in. "
     "Relative folders are taken from the configuration's folder. The folders "
     "of `$GLOSS_PLUGIN_PATH` and the installed plugins folder are searched "
     "after these.", NULL, NULL},
    {"pipeline", GLOSS__KEY_TABLES, NULL, GLOSS__KEY_REQUIRED,
     "The stages every document runs through, in order. Each entry names "
     "exactly one of `stage`, `plugin` or `script`. An empty list passes "
     "documents through unchanged, which is how the engine's own cost is "
     "measured.", NULL, stage_keys},
    {"output", GLOSS__KEY_TABLE, NULL, 0,
     "How documents are written as JSON.", NULL, output_keys},
    {"daemon", GLOSS__KEY_TABLE, NULL, 0,
     "What `glossd`, the daemon, listens on, how many workers it runs, and "
     "its limits. `gloss run` ignores it.", NULL, daemon_keys},
    {NULL, 0, NULL, 0, NULL, NULL, NULL},
};

/* ---- describing values in messages -------------------------------------- */

/* Names what the user gave, the way a Lua programmer would call it: strings
 * and numbers by value (a wrong value is easier to find than a wrong type),
 * everything else by its Lua type. */
static void describe(const json_t *v, char *buf, size_t len)
{
    switch (json_typeof(v)) {
    case JSON_STRING: {
        /* A long value is cut, on a character boundary, to keep the
         * message on one line. */
        const char *s = json_string_value(v);
        size_t n = strlen(s);
        int cut = n > 40;
        if (cut) {
            n = 40;
            while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
                n--;
        }
        snprintf(buf, len, "\"%.*s%s\"", (int)n, s, cut ? "..." : "");
        break;
    }
    case JSON_INTEGER:
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
        break;
    case JSON_REAL:
        snprintf(buf, len, "%.15g", json_real_value(v));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        snprintf(buf, len, "boolean");
        break;
    case JSON_OBJECT:
        snprintf(buf, len, "table");
        break;
    case JSON_ARRAY:
        snprintf(buf, len, "list");
        break;
    case JSON_NULL:
    default:
        snprintf(buf, len, "nil");
        break;
    }
}

/* Writes the choices as "a", "b", "c" into buf. */
static void list_choices(const char *const *choices, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; choices[i] && used < len; i++) {
        int n = snprintf(buf + used, len - used, "%s\"%s\"", i ? ", " : "",
                         choices[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* What a key expects, as the middle of "expected ..., got ...". */
static void expected(const gloss__key *key, char *buf, size_t len)
{
    char choices[256];
    switch (key->type) {
    case GLOSS__KEY_STRING:
    case GLOSS__KEY_ENUM:
        if (key->choices) {
            list_choices(key->choices, choices, sizeof choices);
            snprintf(buf, len, "one of %s", choices);
        } else {
            snprintf(buf, len, "a string");
        }
        break;
    case GLOSS__KEY_BOOL:
        snprintf(buf, len, "true or false");
        break;
    case GLOSS__KEY_INTEGER:
        snprintf(buf, len, "a whole number%s",
                 key->flags & GLOSS__KEY_UNSIGNED ? ", 0 or more" : "");
        break;
    case GLOSS__KEY_NUMBER:
        snprintf(buf, len, "a number%s",
                 key->flags & GLOSS__KEY_UNSIGNED ? ", 0 or more" : "");
        break;
    case GLOSS__KEY_SIZE:
        snprintf(buf, len, "a size (bytes, or a string such as \"64M\")");
        break;
    case GLOSS__KEY_STRINGS:
        snprintf(buf, len, "a list of strings");
        break;
    case GLOSS__KEY_TABLE:
        snprintf(buf, len, "a table of named keys");
        break;
    case GLOSS__KEY_TABLES:
        snprintf(buf, len, "a list of tables");
        break;
    case GLOSS__KEY_OBJECT:
        snprintf(buf, len, "a table of named values");
        break;
    case GLOSS__KEY_ANY:
    default:
        snprintf(buf, len, "a value");
        break;
    }
}

static json_t *wrong(const gloss__key *key, const json_t *v, const char *path,
                     char *err, size_t errlen)
{
    char want[300], got[64];
    expected(key, want, sizeof want);
    describe(v, got, sizeof got);
    snprintf(err, errlen, "%s: expected %s, got %s", path, want, got);
    return NULL;
}

static json_t *oom(const char *path, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: out of memory", path);
    return NULL;
}

/* ---- checking ------------------------------------------------------------ */

/* A Lua table with no entries arrives as an empty object, and a JSON list
 * may be given for an empty table on the command line: either is empty
 * whatever was expected. */
static int is_empty_table(const json_t *v)
{
    return (json_is_object(v) && json_object_size(v) == 0) ||
           (json_is_array(v) && json_array_size(v) == 0);
}

static int in_choices(const char *const *choices, const char *s)
{
    for (size_t i = 0; choices[i]; i++)
        if (strcmp(choices[i], s) == 0)
            return 1;
    return 0;
}

static json_t *check_string(const gloss__key *key, const json_t *v,
                            const char *path, char *err, size_t errlen)
{
    if (!json_is_string(v))
        return wrong(key, v, path, err, errlen);
    if (key->choices && !in_choices(key->choices, json_string_value(v)))
        return wrong(key, v, path, err, errlen);
    json_t *out = json_copy((json_t *)v);
    return out ? out : oom(path, err, errlen);
}

static json_t *check_integer(const gloss__key *key, const json_t *v,
                             const char *path, char *err, size_t errlen)
{
    json_int_t i;
    if (json_is_integer(v)) {
        i = json_integer_value(v);
    } else if (json_is_real(v)) {
        /* Lua writes 1e6 as a float; a whole value is what the user meant. */
        double d = json_real_value(v);
        if (d != floor(d) || d < -0x1p63 || d >= 0x1p63)
            return wrong(key, v, path, err, errlen);
        i = (json_int_t)d;
    } else {
        return wrong(key, v, path, err, errlen);
    }
    if ((key->flags & GLOSS__KEY_UNSIGNED) && i < 0)
        return wrong(key, v, path, err, errlen);
    json_t *out = json_integer(i);
    return out ? out : oom(path, err, errlen);
}

static json_t *check_number(const gloss__key *key, const json_t *v,
                            const char *path, char *err, size_t errlen)
{
    if (!json_is_number(v))
        return wrong(key, v, path, err, errlen);
    if ((key->flags & GLOSS__KEY_UNSIGNED) && json_number_value(v) < 0)
        return wrong(key, v, path, err, errlen);
    json_t *out = json_copy((json_t *)v);
    return out ? out : oom(path, err, errlen);
}

static json_t *check_size(const gloss__key *key, const json_t *v,
                          const char *path, char *err, size_t errlen)
{
    size_t n;
    if (gloss__parse_size(v, &n) < 0)
        return wrong(key, v, path, err, errlen);
    json_t *out = json_integer((json_int_t)n);
    return out ? out : oom(path, err, errlen);
}

static json_t *check_strings(const gloss__key *key, const json_t *v,
                             const char *path, char *err, size_t errlen)
{
    if (is_empty_table(v)) {
        json_t *out = json_array();
        return out ? out : oom(path, err, errlen);
    }
    if (!json_is_array(v))
        return wrong(key, v, path, err, errlen);
    const gloss__key item = {key->name, GLOSS__KEY_STRING, NULL, 0, NULL,
                             key->choices, NULL};
    char ipath[512];
    size_t i;
    json_t *s;
    json_array_foreach(v, i, s) {
        snprintf(ipath, sizeof ipath, "%s[%zu]", path, i + 1);
        if (!json_is_string(s) ||
            (key->choices && !in_choices(key->choices, json_string_value(s))))
            return wrong(&item, s, ipath, err, errlen);
    }
    json_t *out = json_deep_copy(v);
    return out ? out : oom(path, err, errlen);
}

static json_t *check_tables(const gloss__key *key, const json_t *v,
                            const char *path, char *err, size_t errlen)
{
    json_t *out = json_array();
    if (!out)
        return oom(path, err, errlen);
    if (is_empty_table(v))
        return out;
    if (!json_is_array(v)) {
        json_decref(out);
        return wrong(key, v, path, err, errlen);
    }
    const gloss__key item = {key->name, GLOSS__KEY_TABLE, NULL, 0, NULL, NULL,
                             key->sub};
    char ipath[512];
    size_t i;
    json_t *t;
    json_array_foreach(v, i, t) {
        snprintf(ipath, sizeof ipath, "%s[%zu]", path, i + 1);
        json_t *c = gloss__key_check(&item, t, ipath, err, errlen);
        if (!c || json_array_append_new(out, c) < 0) {
            json_decref(out);
            return c ? oom(path, err, errlen) : NULL;
        }
    }
    return out;
}

json_t *gloss__key_check(const gloss__key *key, const json_t *value,
                         const char *path, char *err, size_t errlen)
{
    json_t *out;
    switch (key->type) {
    case GLOSS__KEY_STRING:
    case GLOSS__KEY_ENUM:
        return check_string(key, value, path, err, errlen);
    case GLOSS__KEY_BOOL:
        if (!json_is_boolean(value))
            return wrong(key, value, path, err, errlen);
        return json_boolean(json_is_true(value));
    case GLOSS__KEY_INTEGER:
        return check_integer(key, value, path, err, errlen);
    case GLOSS__KEY_NUMBER:
        return check_number(key, value, path, err, errlen);
    case GLOSS__KEY_SIZE:
        return check_size(key, value, path, err, errlen);
    case GLOSS__KEY_STRINGS:
        return check_strings(key, value, path, err, errlen);
    case GLOSS__KEY_TABLE:
        if (!json_is_object(value) && !is_empty_table(value))
            return wrong(key, value, path, err, errlen);
        return gloss__keys_check_table(key->sub, value, path, "key", err,
                                       errlen);
    case GLOSS__KEY_TABLES:
        return check_tables(key, value, path, err, errlen);
    case GLOSS__KEY_OBJECT:
        if (!json_is_object(value) && !is_empty_table(value))
            return wrong(key, value, path, err, errlen);
        out = json_is_object(value) ? json_deep_copy(value) : json_object();
        return out ? out : oom(path, err, errlen);
    case GLOSS__KEY_ANY:
    default:
        out = json_deep_copy(value);
        return out ? out : oom(path, err, errlen);
    }
}

static const gloss__key *find_key(const gloss__key *keys, const char *name)
{
    for (size_t i = 0; keys && keys[i].name; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

/* Reports name as unknown, with the closest known name as a hint, or with
 * the list of known names when none is close enough to be a typo. */
static json_t *unknown(const gloss__key *keys, const char *name,
                       const char *path, const char *noun, char *err,
                       size_t errlen)
{
    size_t n = 0;
    while (keys && keys[n].name)
        n++;
    if (n == 0) {
        snprintf(err, errlen, "%s: unknown %s (there are none)", path, noun);
        return NULL;
    }
    const char **names = malloc(n * sizeof *names);
    if (!names)
        return oom(path, err, errlen);
    for (size_t i = 0; i < n; i++)
        names[i] = keys[i].name;
    const char *close = gloss__closest_name(name, names, n);
    if (close) {
        snprintf(err, errlen, "%s: unknown %s; did you mean '%s'?", path, noun,
                 close);
    } else {
        int used = snprintf(err, errlen, "%s: unknown %s; known %ss are", path,
                            noun, noun);
        for (size_t i = 0; i < n && used >= 0 && (size_t)used < errlen; i++)
            used += snprintf(err + used, errlen - (size_t)used, "%s %s",
                             i ? "," : "", names[i]);
    }
    free(names);
    return NULL;
}

/* Gives the value of an absent key: its default, checked like a value the
 * user wrote so that the canonical form is the same. A default that does
 * not check is a mistake in a key or option table, and says so. */
static json_t *absent(const gloss__key *key, const char *path, char *err,
                      size_t errlen)
{
    if (key->flags & GLOSS__KEY_REQUIRED) {
        snprintf(err, errlen, "%s: required, but not given", path);
        return NULL;
    }
    if (!key->default_value) {
        if (key->type == GLOSS__KEY_TABLE)
            return gloss__keys_check_table(key->sub, NULL, path, "key", err,
                                           errlen);
        return NULL;
    }
    json_t *def = json_loads(key->default_value, JSON_DECODE_ANY, NULL);
    int parsed = def != NULL;
    json_t *out = parsed ? gloss__key_check(key, def, path, err, errlen) : NULL;
    json_decref(def);
    if (!out)
        snprintf(err, errlen, "%s: the declared default %s is not %s value "
                 "(a bug in the stage or the engine, not in the configuration)",
                 path, key->default_value, parsed ? "a valid" : "a JSON");
    return out;
}

json_t *gloss__keys_check_table(const gloss__key *keys, const json_t *obj,
                                const char *path, const char *noun,
                                char *err, size_t errlen)
{
    char kpath[512];
    const char *name;
    json_t *v;

    if (obj && !json_is_object(obj) && !is_empty_table(obj)) {
        const gloss__key table = {NULL, GLOSS__KEY_TABLE, NULL, 0, NULL, NULL,
                                  keys};
        return wrong(&table, obj, *path ? path : "(top)", err, errlen);
    }
    if (obj && json_is_object(obj)) {
        const char *first = NULL;
        json_object_foreach((json_t *)obj, name, v) {
            if (!find_key(keys, name) && (!first || strcmp(name, first) < 0))
                first = name;
        }
        if (first) {
            snprintf(kpath, sizeof kpath, "%s%s%s", path, *path ? "." : "",
                     first);
            return unknown(keys, first, kpath, noun, err, errlen);
        }
    }

    json_t *out = json_object();
    if (!out)
        return oom(path, err, errlen);
    for (size_t i = 0; keys && keys[i].name; i++) {
        const gloss__key *key = &keys[i];
        snprintf(kpath, sizeof kpath, "%s%s%s", path, *path ? "." : "",
                 key->name);
        v = obj && json_is_object(obj) ? json_object_get(obj, key->name) : NULL;
        err[0] = '\0';
        json_t *c = v ? gloss__key_check(key, v, kpath, err, errlen)
                      : absent(key, kpath, err, errlen);
        if (!c) {
            if (!err[0])
                continue; /* absent, optional, no default: left out */
            json_decref(out);
            return NULL;
        }
        if (json_object_set_new(out, key->name, c) < 0) {
            json_decref(out);
            return oom(kpath, err, errlen);
        }
    }
    return out;
}

/* ---- documentation ------------------------------------------------------- */

void gloss__json_write_lua(FILE *out, const json_t *v)
{
    size_t i;
    const char *k;
    json_t *item;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        if (json_object_size(v) == 0) {
            fputs("{}", out);
            break;
        }
        fputs("{ ", out);
        i = 0;
        json_object_foreach((json_t *)v, k, item) {
            fprintf(out, "%s%s = ", i++ ? ", " : "", k);
            gloss__json_write_lua(out, item);
        }
        fputs(" }", out);
        break;
    case JSON_ARRAY:
        if (json_array_size(v) == 0) {
            fputs("{}", out);
            break;
        }
        fputs("{ ", out);
        json_array_foreach(v, i, item) {
            fputs(i ? ", " : "", out);
            gloss__json_write_lua(out, item);
        }
        fputs(" }", out);
        break;
    case JSON_NULL:
        fputs("nil", out);
        break;
    default: {
        /* Scalars are written the same way in JSON and in Lua. */
        char *s = json_dumps(v, JSON_ENCODE_ANY);
        fputs(s ? s : "?", out);
        free(s);
        break;
    }
    }
}

static void write_choices(FILE *out, const char *const *choices)
{
    for (size_t i = 0; choices[i]; i++)
        fprintf(out, "%s`\"%s\"`", i ? ", " : "", choices[i]);
}

void gloss__key_write_type(FILE *out, const gloss__key *key)
{
    switch (key->type) {
    case GLOSS__KEY_STRING:
    case GLOSS__KEY_ENUM:
        if (key->choices) {
            fputs("one of ", out);
            write_choices(out, key->choices);
        } else {
            fputs("string", out);
        }
        break;
    case GLOSS__KEY_BOOL:
        fputs("boolean", out);
        break;
    case GLOSS__KEY_INTEGER:
        fputs(key->flags & GLOSS__KEY_UNSIGNED ? "whole number, 0 or more"
                                               : "whole number", out);
        break;
    case GLOSS__KEY_NUMBER:
        fputs(key->flags & GLOSS__KEY_UNSIGNED ? "number, 0 or more" : "number",
              out);
        break;
    case GLOSS__KEY_SIZE:
        fputs("size: bytes, or a string such as `\"64M\"`", out);
        break;
    case GLOSS__KEY_STRINGS:
        fputs("list of strings", out);
        if (key->choices) {
            fputs(", each one of ", out);
            write_choices(out, key->choices);
        }
        break;
    case GLOSS__KEY_TABLE:
        fputs("table", out);
        break;
    case GLOSS__KEY_TABLES:
        fputs("list of tables", out);
        break;
    case GLOSS__KEY_OBJECT:
        fputs("table of named values", out);
        break;
    case GLOSS__KEY_ANY:
    default:
        fputs("any value", out);
        break;
    }
}

/* Writes what happens when the key is left out: "Default: `v`.",
 * "Required." or "Optional." (an optional key without a default is one
 * whose absence means something, explained in its description). */
static void write_default(FILE *out, const gloss__key *key)
{
    if (key->flags & GLOSS__KEY_REQUIRED) {
        fputs("Required.", out);
        return;
    }
    json_t *def = key->default_value
                      ? json_loads(key->default_value, JSON_DECODE_ANY, NULL)
                      : NULL;
    if (def) {
        fputs("Default: `", out);
        gloss__json_write_lua(out, def);
        fputs("`.", out);
        json_decref(def);
    } else if (key->type == GLOSS__KEY_TABLE) {
        fputs("Default: each key's default.", out);
    } else {
        fputs("Optional.", out);
    }
}

void gloss__keys_write_docs(FILE *out, const gloss__key *keys,
                            const char *prefix)
{
    for (size_t i = 0; keys && keys[i].name; i++) {
        const gloss__key *key = &keys[i];
        fprintf(out, "### `%s%s`\n\n", prefix, key->name);
        fputs("Type: ", out);
        gloss__key_write_type(out, key);
        fputs(". ", out);
        write_default(out, key);
        fprintf(out, "\n\n%s\n\n", key->description);
        if (key->sub) {
            char sub[256];
            snprintf(sub, sizeof sub, "%s%s%s.", prefix, key->name,
                     key->type == GLOSS__KEY_TABLES ? "[]" : "");
            gloss__keys_write_docs(out, key->sub, sub);
        }
    }
}
