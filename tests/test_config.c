/*
 * test_config.c - loading configurations: the sandbox, the key table's
 * checks and messages, defaults, and where scripts and plugins are found.
 *
 * Most cases load a configuration from a string, so that the Lua source and
 * the message it must produce sit side by side; the cases that are about
 * files (missing files, line numbers, relative paths) use the fixtures in
 * tests/fixtures/config. The test runs from the source tree ($top_srcdir),
 * so fixture names are relative, and the expected absolute folders are
 * built from the current directory.
 *
 * The daemon table is checked here too, and so is the promise glossd
 * relies on: a configuration's source, loaded again with its name and
 * folder, gives the same configuration (that is how workers get theirs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

#define FIX "tests/fixtures/config/"

static char err[1024];
static char cwd[4096];

/* Loads src as the file "glossd.conf.lua" in the current directory. */
static gloss__config *load(const char *src)
{
    err[0] = '\0';
    return gloss__config_load_string(src, strlen(src), "glossd.conf.lua", NULL,
                                     err, sizeof err);
}

/* Loads src, which must fail, and checks the whole message. */
static void fails_with(const char *src, const char *message, const char *what)
{
    gloss__config *cfg = load(src);
    ok(cfg == NULL, "%s: refused", what);
    is_str(err, message, "%s: message", what);
    gloss__config_destroy(&cfg);
}

/* Loads src, which must fail, and checks part of the message. */
static void fails_like(const char *src, const char *part, const char *what)
{
    gloss__config *cfg = load(src);
    ok(cfg == NULL, "%s: refused", what);
    like(err, part, "%s: message", what);
    gloss__config_destroy(&cfg);
}

/* cwd + "/" + rel, in a static buffer (one at a time). */
static const char *abs_path(const char *rel)
{
    static char buf[4200];
    snprintf(buf, sizeof buf, "%s/%s", cwd, rel);
    return buf;
}

/* Whether a and b are the same configuration, field by field; diag()
 * names the first difference. */
static int same_config(const gloss__config *a, const gloss__config *b)
{
#define DIFF(what)                                                           \
    do {                                                                     \
        diag("the configurations differ in %s", what);                       \
        return 0;                                                            \
    } while (0)
#define SAME_STR(x, y) ((x) == NULL ? (y) == NULL : (y) != NULL && strcmp((x), (y)) == 0)
    if (!json_equal(a->raw, b->raw))
        DIFF("raw");
    if (!SAME_STR(a->dir, b->dir) || !SAME_STR(a->path, b->path))
        DIFF("dir or path");
    if (a->n_script_paths != b->n_script_paths ||
        a->n_plugin_paths != b->n_plugin_paths || a->n_stages != b->n_stages)
        DIFF("counts");
    for (size_t i = 0; i < a->n_script_paths; i++)
        if (!SAME_STR(a->script_paths[i], b->script_paths[i]))
            DIFF("script_paths");
    for (size_t i = 0; i < a->n_plugin_paths; i++)
        if (!SAME_STR(a->plugin_paths[i], b->plugin_paths[i]))
            DIFF("plugin_paths");
    for (size_t i = 0; i < a->n_stages; i++) {
        const gloss__stage_conf *x = &a->stages[i], *y = &b->stages[i];
        if (!SAME_STR(x->name, y->name) || !SAME_STR(x->stage, y->stage) ||
            !SAME_STR(x->plugin, y->plugin) || !SAME_STR(x->script, y->script) ||
            !json_equal(x->options, y->options) || x->on_error != y->on_error ||
            x->max_instructions != y->max_instructions ||
            x->max_memory != y->max_memory)
            DIFF("a stage");
    }
    if (a->offsets != b->offsets || a->output_text != b->output_text ||
        a->output_original != b->output_original)
        DIFF("output");
    const gloss__daemon_conf *d = &a->daemon, *e = &b->daemon;
    if (!SAME_STR(d->submit, e->submit) || !SAME_STR(d->feed, e->feed) ||
        !SAME_STR(d->publish, e->publish) || !SAME_STR(d->control, e->control) ||
        !SAME_STR(d->run_dir, e->run_dir))
        DIFF("daemon endpoints or run_dir");
    if (d->workers != e->workers || d->credit != e->credit ||
        d->hold_ns != e->hold_ns || d->spread_ns != e->spread_ns ||
        d->deadline != e->deadline || d->max_document_size != e->max_document_size ||
        d->max_inflight_documents != e->max_inflight_documents ||
        d->max_inflight_bytes != e->max_inflight_bytes ||
        d->publish_hwm != e->publish_hwm || d->n_routes != e->n_routes)
        DIFF("daemon numbers");
    for (size_t i = 0; i < d->n_routes; i++) {
        const gloss__route *r = &d->routes[i], *t = &e->routes[i];
        if (!SAME_STR(r->labels, t->labels) || !SAME_STR(r->layer, t->layer) ||
            !SAME_STR(r->prefix, t->prefix) || r->min_score != t->min_score)
            DIFF("daemon routes");
    }
    return 1;
#undef SAME_STR
#undef DIFF
}

/* Loads cfg's source again, the way a worker does, and checks that it is
 * the same configuration. */
static void reloads_same(const gloss__config *cfg, const char *what)
{
    char err2[1024];
    ok(cfg->source != NULL && cfg->source_len == strlen(cfg->source),
       "%s: the source is kept, NUL-terminated", what);
    gloss__config *again = gloss__config_load_string(
        cfg->source, cfg->source_len, cfg->path, cfg->dir, err2, sizeof err2);
    if (!ok(again != NULL, "%s: its source loads again", what)) {
        diag("%s", err2);
        diag("source: %s", cfg->source);
        return;
    }
    ok(same_config(cfg, again), "%s: to the same configuration", what);
    gloss__config_destroy(&again);
}

static void test_default(void)
{
    gloss__config *cfg = gloss__config_load(NULL, err, sizeof err);
    ok(cfg != NULL, "the embedded default loads");
    if (!cfg) {
        diag("%s", err);
        return;
    }
    is_str(cfg->path, "(embedded default)", "default: its name");
    is_str(cfg->dir, cwd, "default: relative paths resolve in the current directory");
    ok(cfg->n_stages >= 1, "default: has stages");
    is_str(cfg->stages[0].stage, "normalize", "default: normalize comes first");
    is_str(cfg->stages[0].name, "normalize", "default: named after its stage");
    is_int(cfg->offsets, GLOSS__OFFSETS_CODEPOINTS, "default: code point offsets");
    is_int(cfg->output_text, 1, "default: text in the output");
    is_int(cfg->output_original, 0, "default: no original text");
    is_str(cfg->source, gloss__default_config,
           "default: the source is the embedded text");
    is_str(cfg->daemon.submit, "tcp://127.0.0.1:5701",
           "default: the daemon table is filled though the file has none");
    reloads_same(cfg, "default");
    gloss__config_destroy(&cfg);
    ok(cfg == NULL, "destroy clears the caller's pointer");
}

static void test_defaults_filled(void)
{
    gloss__config *cfg = load("return { pipeline = { { stage = 'normalize' } } }");
    ok(cfg != NULL, "a one-stage configuration loads");
    if (!cfg) {
        diag("%s", err);
        return;
    }
    is_str(cfg->path, "glossd.conf.lua", "the configuration keeps its name");
    const gloss__stage_conf *sc = &cfg->stages[0];
    is_str(sc->key_path, "pipeline[1]", "entries are counted from 1");
    is_int(sc->on_error, GLOSS__ON_ERROR_FAIL, "on_error defaults to fail");
    is_int(sc->max_instructions, 100000000, "max_instructions defaults to 100 million");
    is_int(sc->max_memory, 64 << 20, "max_memory defaults to 64M");
    ok(json_is_object(sc->options) && json_object_size(sc->options) == 0,
       "options default to an empty object");
    ok(sc->plugin == NULL && sc->script == NULL, "only stage is set");

    char *raw = json_dumps(cfg->raw, JSON_COMPACT);
    is_str(raw,
           "{\"script_paths\":[],\"plugin_paths\":[],\"pipeline\":[{\"stage\":"
           "\"normalize\",\"options\":{},\"on_error\":\"fail\","
           "\"max_instructions\":100000000,\"max_memory\":67108864}],"
           "\"output\":{\"offsets\":\"codepoints\",\"text\":true,"
           "\"original\":false},\"daemon\":{\"submit\":"
           "\"tcp://127.0.0.1:5701\",\"feed\":\"tcp://127.0.0.1:5702\","
           "\"publish\":\"tcp://127.0.0.1:5703\",\"control\":"
           "\"tcp://127.0.0.1:5704\",\"workers\":0,\"credit\":64,"
           "\"hold\":0.02,\"spread\":0.001,\"deadline\":30,\"max_document_size\":16777216,"
           "\"max_inflight_documents\":1024,\"max_inflight_bytes\":268435456,"
           "\"publish_hwm\":10000,\"routes\":[]}}",
           "raw holds every key with its default, sizes in bytes");
    free(raw);
    gloss__config_destroy(&cfg);

    cfg = load("return { pipeline = {} }");
    ok(cfg != NULL && cfg->n_stages == 0,
       "an empty pipeline loads: documents pass through unchanged");
    gloss__config_destroy(&cfg);
}

static void test_values(void)
{
    gloss__config *cfg = load(
        "local shared = { form = 'NFC' }\n"
        "return {\n"
        "  pipeline = {\n"
        "    { stage = 'a', on_error = 'continue', max_memory = '1G',\n"
        "      max_instructions = 1e6, options = shared },\n"
        "    { stage = 'b', on_error = 'drop', max_memory = 4096,\n"
        "      max_instructions = 0 },\n"
        "  },\n"
        "  output = { offsets = 'bytes', text = false, original = true },\n"
        "}\n");
    ok(cfg != NULL, "a configuration with every kind of value loads");
    if (!cfg) {
        diag("%s", err);
        return;
    }
    is_int(cfg->stages[0].on_error, GLOSS__ON_ERROR_CONTINUE, "on_error continue");
    is_int(cfg->stages[1].on_error, GLOSS__ON_ERROR_DROP, "on_error drop");
    is_int(cfg->stages[0].max_memory, 1 << 30, "max_memory \"1G\"");
    is_int(cfg->stages[1].max_memory, 4096, "max_memory as a number");
    is_int(cfg->stages[0].max_instructions, 1000000,
           "a whole float (1e6) is taken as an integer");
    is_int(cfg->stages[1].max_instructions, 0, "max_instructions 0 (no limit)");
    is_str(json_string_value(json_object_get(cfg->stages[0].options, "form")),
           "NFC", "options pass through");
    is_int(cfg->offsets, GLOSS__OFFSETS_BYTES, "output.offsets bytes");
    is_int(cfg->output_text, 0, "output.text false");
    is_int(cfg->output_original, 1, "output.original true");
    gloss__config_destroy(&cfg);
}

static void test_key_errors(void)
{
    fails_with("return { pipeline = { { stage = 'a' }, { stage = 'b' },\n"
               "  { stage = 'c', on_eror = 'drop' } } }",
               "glossd.conf.lua: pipeline[3].on_eror: unknown key; did you "
               "mean 'on_error'?",
               "misspelt key in the third entry");
    fails_with("return { pipeline = { { stage = 'a', naem = 'x' } } }",
               "glossd.conf.lua: pipeline[1].naem: unknown key; did you mean "
               "'name'?",
               "swapped letters");
    fails_with("return { pipeline = { { stage = 'a' } }, colour = 'blue' }",
               "glossd.conf.lua: colour: unknown key; known keys are "
               "script_paths, plugin_paths, pipeline, output, daemon",
               "unknown key with no close match");
    fails_with("return { pipeline = { { stage = 'a' },\n"
               "  { stage = 'b', max_memory = true } } }",
               "glossd.conf.lua: pipeline[2].max_memory: expected a size "
               "(bytes, or a string such as \"64M\"), got boolean",
               "size of the wrong type");
    fails_with("return { pipeline = { { stage = 'a', max_memory = '12X' } } }",
               "glossd.conf.lua: pipeline[1].max_memory: expected a size "
               "(bytes, or a string such as \"64M\"), got \"12X\"",
               "size with an unknown unit");
    fails_with("return { pipeline = { { stage = 'a' } },\n"
               "  output = { offsets = 'chars' } }",
               "glossd.conf.lua: output.offsets: expected one of "
               "\"codepoints\", \"bytes\", got \"chars\"",
               "value outside the choices");
    fails_with("return { pipeline = { { stage = 'a', on_error = 1 } } }",
               "glossd.conf.lua: pipeline[1].on_error: expected one of "
               "\"fail\", \"continue\", \"drop\", got 1",
               "enum given a number");
    fails_with("return { pipeline = { { stage = 'a' } },\n"
               "  output = { text = 'yes' } }",
               "glossd.conf.lua: output.text: expected true or false, got \"yes\"",
               "boolean given a string");
    fails_with("return { pipeline = { { stage = 'a', max_instructions = 1.5 } } }",
               "glossd.conf.lua: pipeline[1].max_instructions: expected a whole "
               "number, 0 or more, got 1.5",
               "fractional integer");
    fails_with("return { pipeline = { { stage = 'a', max_instructions = -1 } } }",
               "glossd.conf.lua: pipeline[1].max_instructions: expected a whole "
               "number, 0 or more, got -1",
               "negative count");
    fails_with("return { script_paths = { 'a', 3 }, pipeline = { { stage = 'a' } } }",
               "glossd.conf.lua: script_paths[2]: expected a string, got 3",
               "list of strings with a number in it");
    fails_with("return { script_paths = 'lib', pipeline = { { stage = 'a' } } }",
               "glossd.conf.lua: script_paths: expected a list of strings, got \"lib\"",
               "list of strings given a string");
    fails_with("return { pipeline = { { stage = 'a', options = 'fast' } } }",
               "glossd.conf.lua: pipeline[1].options: expected a table of named "
               "values, got \"fast\"",
               "options that are not a table");
    fails_with("return { pipeline = 'normalize' }",
               "glossd.conf.lua: pipeline: expected a list of tables, got "
               "\"normalize\"",
               "pipeline that is not a list");
    fails_with("return { pipeline = { 'normalize' } }",
               "glossd.conf.lua: pipeline[1]: expected a table of named keys, "
               "got \"normalize\"",
               "pipeline entry that is not a table");
    fails_with("return { pipeline = { { stage = 'a' } }, output = 'json' }",
               "glossd.conf.lua: output: expected a table of named keys, got "
               "\"json\"",
               "table given a string");
    fails_with("return { pipeline = { { stage = 'a', options = { f = print } } } }",
               "glossd.conf.lua: pipeline[1].options.f: a function cannot be "
               "stored as JSON",
               "a function in the options");
    fails_with("return { output = { text = true } }",
               "glossd.conf.lua: pipeline: required, but not given",
               "missing pipeline");
}

static void test_daemon_defaults(void)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    char *saved = xdg ? strdup(xdg) : NULL;

    unsetenv("XDG_RUNTIME_DIR");
    gloss__config *cfg = load("return { pipeline = {} }");
    ok(cfg != NULL, "daemon: no daemon table loads");
    if (cfg) {
        const gloss__daemon_conf *d = &cfg->daemon;
        is_str(d->submit, "tcp://127.0.0.1:5701", "daemon.submit default");
        is_str(d->feed, "tcp://127.0.0.1:5702", "daemon.feed default");
        is_str(d->publish, "tcp://127.0.0.1:5703", "daemon.publish default");
        is_str(d->control, "tcp://127.0.0.1:5704", "daemon.control default");
        is_str(d->run_dir, "/tmp", "daemon.run_dir: /tmp without XDG_RUNTIME_DIR");
        is_int(d->workers, 0, "daemon.workers default: 0, one per core");
        is_int(d->credit, 64, "daemon.credit default");
        ok(d->hold_ns == 20000000, "daemon.hold default: 20 ms of work");
        ok(d->spread_ns == 1000000, "daemon.spread default: 1 ms of work");
        ok(d->deadline == 30.0, "daemon.deadline default: 30 seconds");
        is_int(d->max_document_size, 16 << 20, "daemon.max_document_size: 16M");
        is_int(d->max_inflight_documents, 1024, "daemon.max_inflight_documents");
        is_int(d->max_inflight_bytes, 256 << 20, "daemon.max_inflight_bytes: 256M");
        is_int(d->publish_hwm, 10000, "daemon.publish_hwm default");
        ok(d->n_routes == 0 && d->routes == NULL, "daemon.routes: none");
    }
    gloss__config_destroy(&cfg);

    setenv("XDG_RUNTIME_DIR", "/run/user/4242", 1);
    cfg = load("return { pipeline = {} }");
    is_str(cfg ? cfg->daemon.run_dir : NULL, "/run/user/4242",
           "daemon.run_dir: $XDG_RUNTIME_DIR when it is set");
    gloss__config_destroy(&cfg);
    setenv("XDG_RUNTIME_DIR", "relative/dir", 1);
    cfg = load("return { pipeline = {} }");
    is_str(cfg ? cfg->daemon.run_dir : NULL, "/tmp",
           "daemon.run_dir: a relative $XDG_RUNTIME_DIR is ignored");
    gloss__config_destroy(&cfg);

    cfg = gloss__config_single("normalize", NULL, err, sizeof err);
    ok(cfg != NULL && cfg->daemon.credit == 64 &&
       strcmp(cfg->daemon.publish, "tcp://127.0.0.1:5703") == 0,
       "daemon: a single-stage configuration has the defaults too");
    gloss__config_destroy(&cfg);

    if (saved)
        setenv("XDG_RUNTIME_DIR", saved, 1);
    else
        unsetenv("XDG_RUNTIME_DIR");
    free(saved);
}

static void test_daemon_values(void)
{
    gloss__config *cfg = load(
        "return { pipeline = {}, daemon = {\n"
        "  submit = '', feed = 'ipc:///tmp/gloss-feed', publish = 'tcp://*:7000',\n"
        "  control = 'tcp://[::1]:7001', run_dir = 'run', workers = 3,\n"
        "  credit = 64, hold = 0.5, spread = 0.0025, deadline = 0.25, max_document_size = '1K',\n"
        "  max_inflight_documents = 1, max_inflight_bytes = 1024,\n"
        "  publish_hwm = 0,\n"
        "  routes = { { labels = 'topic', prefix = 'label' },\n"
        "             { labels = 'risk', prefix = 'risk-2', min_score = 0.9 },\n"
        "             { layer = 'entities', prefix = 'entity' } },\n"
        "} }\n");
    ok(cfg != NULL, "daemon: a table with every key loads");
    if (!cfg) {
        diag("%s", err);
        return;
    }
    const gloss__daemon_conf *d = &cfg->daemon;
    is_str(d->submit, "", "daemon.submit \"\" disables it");
    is_str(d->feed, "ipc:///tmp/gloss-feed", "daemon.feed ipc endpoint");
    is_str(d->publish, "tcp://*:7000", "daemon.publish on every interface");
    is_str(d->control, "tcp://[::1]:7001", "daemon.control IPv6 endpoint");
    is_str(d->run_dir, abs_path("run"),
           "daemon.run_dir: relative to the configuration's folder");
    is_int(d->workers, 3, "daemon.workers");
    is_int(d->credit, 64, "daemon.credit at its upper limit");
    ok(d->hold_ns == 500000000, "daemon.hold takes fractions of a second");
    ok(d->spread_ns == 2500000, "daemon.spread takes fractions of a second");
    ok(d->deadline == 0.25, "daemon.deadline takes fractions of a second");
    is_int(d->max_document_size, 1024, "daemon.max_document_size '1K'");
    is_int(d->max_inflight_documents, 1, "daemon.max_inflight_documents 1");
    is_int(d->max_inflight_bytes, 1024,
           "daemon.max_inflight_bytes equal to max_document_size");
    is_int(d->publish_hwm, 0, "daemon.publish_hwm 0 (no limit)");
    is_int(d->n_routes, 3, "daemon.routes: three");
    if (d->n_routes == 3) {
        is_str(d->routes[0].labels, "topic", "route 1: labels");
        ok(d->routes[0].layer == NULL, "route 1: no layer");
        is_str(d->routes[0].prefix, "label", "route 1: prefix");
        ok(d->routes[0].min_score == 0.5, "route 1: min_score defaults to 0.5");
        ok(d->routes[1].min_score == 0.9, "route 2: min_score given");
        is_str(d->routes[1].prefix, "risk-2", "route 2: prefix with - and digits");
        is_str(d->routes[2].layer, "entities", "route 3: layer");
        ok(d->routes[2].labels == NULL, "route 3: no labels");
    }
    reloads_same(cfg, "daemon table");
    gloss__config_destroy(&cfg);

    cfg = load("return { pipeline = {}, daemon = { hold = 0 } }");
    ok(cfg != NULL && cfg->daemon.hold_ns == 0,
       "daemon.hold 0: a worker holds its credit whatever its documents take");
    gloss__config_destroy(&cfg);

    cfg = load("return { pipeline = {}, daemon = { spread = 0 } }");
    ok(cfg != NULL && cfg->daemon.spread_ns == 0,
       "daemon.spread 0: every batch to the worker with the most room");
    gloss__config_destroy(&cfg);
}

/* A configuration whose daemon table is body, for the error cases. */
#define DAEMON(body) "return { pipeline = {}, daemon = { " body " } }"

static void test_daemon_errors(void)
{
    fails_with(DAEMON("credit = 0"),
               "glossd.conf.lua: daemon.credit: must be from 1 to 64, got 0",
               "credit 0");
    fails_with(DAEMON("credit = 65"),
               "glossd.conf.lua: daemon.credit: must be from 1 to 64, got 65",
               "credit 65");
    fails_with(DAEMON("credit = -1"),
               "glossd.conf.lua: daemon.credit: expected a whole number, 0 or "
               "more, got -1", "negative credit");
    fails_with(DAEMON("workers = 1025"),
               "glossd.conf.lua: daemon.workers: must be from 0 to 1024, got 1025",
               "too many workers");
    fails_with(DAEMON("workers = 'four'"),
               "glossd.conf.lua: daemon.workers: expected a whole number, 0 or "
               "more, got \"four\"", "workers as a word");
    fails_with(DAEMON("deadline = 0"),
               "glossd.conf.lua: daemon.deadline: must be more than 0 and at "
               "most 86400 seconds, got 0", "deadline 0");
    fails_with(DAEMON("deadline = 90000"),
               "glossd.conf.lua: daemon.deadline: must be more than 0 and at "
               "most 86400 seconds, got 90000", "deadline over a day");
    fails_with(DAEMON("hold = 3601"),
               "glossd.conf.lua: daemon.hold: must be from 0 to 3600 seconds, "
               "got 3601", "hold over an hour");
    fails_with(DAEMON("hold = -0.5"),
               "glossd.conf.lua: daemon.hold: expected a number, 0 or more, "
               "got -0.5", "negative hold");
    fails_with(DAEMON("spread = 3601"),
               "glossd.conf.lua: daemon.spread: must be from 0 to 3600 "
               "seconds, got 3601", "spread over an hour");
    fails_with(DAEMON("spread = 'fast'"),
               "glossd.conf.lua: daemon.spread: expected a number, 0 or more, "
               "got \"fast\"", "spread not a number");
    fails_with(DAEMON("max_inflight_documents = 0"),
               "glossd.conf.lua: daemon.max_inflight_documents: must be at least "
               "1, got 0", "no documents in flight");
    fails_with(DAEMON("max_document_size = 0"),
               "glossd.conf.lua: daemon.max_document_size: must be at least 1 "
               "byte, got 0", "max_document_size 0");
    fails_with(DAEMON("max_document_size = '2M', max_inflight_bytes = '1M'"),
               "glossd.conf.lua: daemon.max_inflight_bytes: must be at least "
               "daemon.max_document_size (2097152), or no document of the "
               "largest size could ever be accepted; got 1048576",
               "in-flight bytes below the document size");
    fails_with(DAEMON("publish_hwm = 3000000000"),
               "glossd.conf.lua: daemon.publish_hwm: must be at most 2147483647, "
               "got 3000000000", "publish_hwm past an int");
    fails_with(DAEMON("sumbit = 'tcp://127.0.0.1:1'"),
               "glossd.conf.lua: daemon.sumbit: unknown key; did you mean "
               "'submit'?", "misspelt daemon key");
    fails_with("return { pipeline = {}, daemon = 'on' }",
               "glossd.conf.lua: daemon: expected a table of named keys, got \"on\"",
               "daemon that is not a table");

    fails_with(DAEMON("submit = 'localhost:5701'"),
               "glossd.conf.lua: daemon.submit: \"localhost:5701\" is not an "
               "endpoint; expected tcp://HOST:PORT, ipc://PATH or inproc://NAME, "
               "or \"\" to disable it", "endpoint without a scheme");
    fails_with(DAEMON("publish = 'udp://127.0.0.1:1'"),
               "glossd.conf.lua: daemon.publish: \"udp://127.0.0.1:1\" is not an "
               "endpoint; expected tcp://HOST:PORT, ipc://PATH or inproc://NAME",
               "unknown scheme on a socket that cannot be disabled");
    fails_with(DAEMON("feed = 'tcp://127.0.0.1'"),
               "glossd.conf.lua: daemon.feed: \"tcp://127.0.0.1\" is not a tcp "
               "endpoint; write tcp://HOST:PORT, with a port from 1 to 65535 (or "
               "* for any free port)", "tcp endpoint without a port");
    fails_like(DAEMON("feed = 'tcp://127.0.0.1:65536'"),
               "daemon.feed: \"tcp://127.0.0.1:65536\" is not a tcp endpoint",
               "port out of range");
    fails_like(DAEMON("feed = 'tcp://:80'"),
               "daemon.feed: \"tcp://:80\" is not a tcp endpoint",
               "tcp endpoint without a host");
    fails_like(DAEMON("control = 'tcp://127.0.0.1:0'"),
               "daemon.control: \"tcp://127.0.0.1:0\" is not a tcp endpoint",
               "port 0");
    fails_with(DAEMON("control = 'ipc://'"),
               "glossd.conf.lua: daemon.control: \"ipc://\" names no path; write "
               "ipc://PATH", "ipc endpoint without a path");
    fails_with(DAEMON("control = 'ipc:///' .. ('x'):rep(107)"),
               "glossd.conf.lua: daemon.control: the ipc path is 108 bytes; a "
               "socket address holds at most 107", "ipc path too long");
    fails_with(DAEMON("control = 'inproc://'"),
               "glossd.conf.lua: daemon.control: \"inproc://\" names nothing; "
               "write inproc://NAME", "inproc endpoint without a name");
    fails_with(DAEMON("publish = ''"),
               "glossd.conf.lua: daemon.publish: must not be empty (glossd "
               "always has a publish socket)", "publish disabled");
    fails_with(DAEMON("control = ''"),
               "glossd.conf.lua: daemon.control: must not be empty (glossd "
               "always has a control socket)", "control disabled");
    fails_with(DAEMON("submit = '', feed = ''"),
               "glossd.conf.lua: daemon: submit and feed are both disabled, so "
               "nothing could send documents; keep at least one",
               "no input at all");
    fails_with(DAEMON("control = 'tcp://127.0.0.1:5701'"),
               "glossd.conf.lua: daemon.control: \"tcp://127.0.0.1:5701\" is "
               "already daemon.submit; each socket needs its own endpoint",
               "two sockets on one endpoint");
    fails_with(DAEMON("run_dir = ''"),
               "glossd.conf.lua: daemon.run_dir: must not be empty",
               "empty run_dir");
    fails_like(DAEMON("run_dir = '/' .. ('r'):rep(90)"),
               "daemon.run_dir: \"/rrrr", "run_dir too long: named");
    fails_like(DAEMON("run_dir = '/' .. ('r'):rep(90)"),
               "is 91 bytes; at most 80 fit", "run_dir too long: the sizes");

    fails_with(DAEMON("routes = { { prefix = 'label' } }"),
               "glossd.conf.lua: daemon.routes[1]: give one of labels or layer",
               "route with neither labels nor layer");
    fails_with(DAEMON("routes = { { labels = 'topic', prefix = 'l' },\n"
                      "  { labels = 'topic', layer = 'entities', prefix = 'x' } }"),
               "glossd.conf.lua: daemon.routes[2]: give only one of labels or "
               "layer", "route with both");
    fails_with(DAEMON("routes = { { labels = 'topic' } }"),
               "glossd.conf.lua: daemon.routes[1].prefix: required, but not given",
               "route without a prefix");
    fails_with(DAEMON("routes = { { labels = 'topic', prefix = 'Label.x' } }"),
               "glossd.conf.lua: daemon.routes[1].prefix: \"Label.x\" must be "
               "made of a-z, 0-9, _ and - only", "prefix with capitals and a dot");
    fails_with(DAEMON("routes = { { labels = 'topic', prefix = '' } }"),
               "glossd.conf.lua: daemon.routes[1].prefix: \"\" must be made of "
               "a-z, 0-9, _ and - only", "empty prefix");
    fails_with(DAEMON("routes = { { layer = '', prefix = 'e' } }"),
               "glossd.conf.lua: daemon.routes[1].layer: must not be empty",
               "empty layer");
    fails_with(DAEMON("routes = { { layer = 'entities', prefix = 'e', "
                      "min_score = 0.3 } }"),
               "glossd.conf.lua: daemon.routes[1].min_score: only labels routes "
               "have a score; this route has a layer", "min_score on a layer route");
    fails_with(DAEMON("routes = { { labels = 'topic', prefix = 'l', "
                      "min_score = 1.5 } }"),
               "glossd.conf.lua: daemon.routes[1].min_score: must be from 0 to 1, "
               "got 1.5", "min_score above 1");
    fails_with(DAEMON("routes = { { labels = 'topic', prefix = 'l', "
                      "min_scor = 1 } }"),
               "glossd.conf.lua: daemon.routes[1].min_scor: unknown key; did you "
               "mean 'min_score'?", "misspelt route key");
    fails_with(DAEMON("routes = { labels = 'topic', prefix = 'l' }"),
               "glossd.conf.lua: daemon.routes: expected a list of tables, got table",
               "routes given one table instead of a list");
}

/* The source of a one-stage configuration is written by gloss; it must
 * load back to the same configuration whatever the options hold. */
static void test_single_source(void)
{
    json_t *options = json_loads(
        "{\"quote\": \"a \\\"q\\\" \\\\ back\\nline\\ttab\\u0001\\u007f é\","
        " \"whole float\": 2.0, \"float\": 0.1, \"big\": 1e300,"
        " \"int\": -9223372036854775808, \"yes\": true, \"no\": false,"
        " \"list\": [1, \"two\", [3.5]], \"nested\": {\"a\": {\"b\": []}},"
        " \"key with ]] and = \": 1}", 0, NULL);
    ok(options != NULL, "single source: the options parse");
    gloss__config *cfg = gloss__config_single("normalize", options, err,
                                              sizeof err);
    ok(cfg != NULL, "single source: the configuration loads");
    if (cfg) {
        like(cfg->source, "return ", "single source: it is Lua returning a table");
        /* The empty list in the options comes back as an empty table, which
         * is an empty object; everything else must be equal. */
        json_t *want = json_deep_copy(options);
        json_object_set_new(json_object_get(json_object_get(want, "nested"), "a"),
                            "b", json_object());
        char err2[1024];
        gloss__config *again = gloss__config_load_string(
            cfg->source, cfg->source_len, cfg->path, cfg->dir, err2, sizeof err2);
        ok(again != NULL, "single source: loads again");
        if (again) {
            ok(json_equal(again->stages[0].options, want),
               "single source: strings, floats, integers, lists and keys come "
               "back the same");
            is_str(again->stages[0].stage, "normalize", "single source: the stage");
            is_str(again->path, "(command line)", "single source: the name");
        } else {
            diag("%s\n%s", err2, cfg->source);
        }
        gloss__config_destroy(&again);
        json_decref(want);
    }
    gloss__config_destroy(&cfg);
    json_decref(options);

    cfg = gloss__config_single(FIX "local.lua", NULL, err, sizeof err);
    if (ok(cfg != NULL, "single source: a script"))
        reloads_same(cfg, "single script");
    gloss__config_destroy(&cfg);
    cfg = gloss__config_single("lib/shout.so", NULL, err, sizeof err);
    if (ok(cfg != NULL, "single source: a plugin"))
        reloads_same(cfg, "single plugin");
    gloss__config_destroy(&cfg);
}

static void test_entries(void)
{
    fails_with("return { pipeline = { { stage = 'a' }, { name = 'b' } } }",
               "glossd.conf.lua: pipeline[2]: give one of stage, plugin or script",
               "entry with no stage, plugin or script");
    fails_with("return { pipeline = { { stage = 'a', script = 'a.lua' } } }",
               "glossd.conf.lua: pipeline[1]: give only one of stage, plugin or "
               "script (it has stage and script)",
               "entry with both stage and script");
    fails_with("return { pipeline = { { plugin = 'a.so', script = 'a.lua' } } }",
               "glossd.conf.lua: pipeline[1]: give only one of stage, plugin or "
               "script (it has plugin and script)",
               "entry with both plugin and script");
    fails_with("return { pipeline = { { stage = '' } } }",
               "glossd.conf.lua: pipeline[1].stage: must not be empty",
               "empty stage name");
    fails_with("return { pipeline = { { stage = 'normalize' }, { stage = 'x' },\n"
               "  { stage = 'y' }, { stage = 'normalize' } } }",
               "glossd.conf.lua: pipeline[4].name: \"normalize\" is already the "
               "name of pipeline[1]; give one of them another name",
               "a stage used twice without a name");
    fails_with("return { pipeline = { { stage = 'shout' },\n"
               "  { plugin = 'lib/shout.so' } } }",
               "glossd.conf.lua: pipeline[2].name: \"shout\" is already the name "
               "of pipeline[1]; give one of them another name",
               "a plugin named like a stage by default");

    gloss__config *cfg = load(
        "return { pipeline = { { stage = 'normalize' },\n"
        "  { stage = 'normalize', name = 'again' } } }");
    ok(cfg != NULL, "the same stage twice with different names loads");
    if (cfg) {
        is_str(cfg->stages[1].name, "again", "the given name is kept");
        is_str(cfg->stages[1].stage, "normalize", "with its stage");
    }
    gloss__config_destroy(&cfg);
}

static void test_lua(void)
{
    fails_with("return 42",
               "glossd.conf.lua: the configuration must return a table (end it "
               "with `return { ... }`), but it returned number",
               "a file returning a number");
    fails_with("local x = 1",
               "glossd.conf.lua: the configuration must return a table (end it "
               "with `return { ... }`), but it returned nothing",
               "a file returning nothing");
    fails_like("return { { stage = 'normalize' } }",
               "glossd.conf.lua: the configuration must return a table of named "
               "keys", "a file returning a list");
    fails_with("error('no pipeline today', 0)",
               "glossd.conf.lua: no pipeline today",
               "an error without a position still names the file");
    fails_with("error({})",
               "glossd.conf.lua: the configuration raised an error that is not a "
               "message (a table)",
               "an error that is not a string");
    fails_like("local t = {}\nfor i = 1, 1e9 do t[i] = ('x'):rep(64) .. i end\n",
               "glossd.conf.lua: the configuration needs more than 32 MiB of memory",
               "a configuration that eats memory");
    fails_like("return { pipeline = { { stage = io.read() } } }",
               "glossd.conf.lua:1: attempt to index a nil value (global 'io')",
               "no io library");
    fails_like("local m = require('os')", "glossd.conf.lua:1: attempt to call a nil "
               "value (global 'require')", "no require");
    fails_like("dofile('/etc/passwd')", "attempt to call a nil value (global "
               "'dofile')", "no dofile");
    fails_like("loadfile('/etc/passwd')", "attempt to call a nil value (global "
               "'loadfile')", "no loadfile");
    fails_like("os.execute('true')", "attempt to call a nil value (field "
               "'execute')", "no os.execute");
    fails_like("os.remove('x')", "attempt to call a nil value (field 'remove')",
               "no os.remove");

    setenv("GLOSS_TEST_STAGE", "from-env", 1);
    gloss__config *cfg = load(
        "local f, msg = load(string.dump(function() end))\n"
        "assert(f == nil and msg:find('binary'), 'binary chunk accepted')\n"
        "local g = load('return stage', 'chunk', 'b', { stage = 'via-load' })\n"
        "assert(type(os.time()) == 'number' and os.date('%Y'))\n"
        "return { pipeline = {\n"
        "  { stage = os.getenv('GLOSS_TEST_STAGE') },\n"
        "  { stage = g() },\n"
        "  { stage = string.upper('x') .. math.floor(2.5) .. table.concat({'y'}) },\n"
        "} }\n");
    ok(cfg != NULL, "a configuration computes its table with the allowed libraries");
    if (cfg) {
        is_str(cfg->stages[0].stage, "from-env", "os.getenv reads the environment");
        is_str(cfg->stages[1].stage, "via-load",
               "load() runs text with its own environment, whatever mode is asked");
        is_str(cfg->stages[2].stage, "X2y", "string, math and table are there");
    } else {
        diag("%s", err);
    }
    gloss__config_destroy(&cfg);
    unsetenv("GLOSS_TEST_STAGE");
}

static void test_files(void)
{
    char want[16384];

    gloss__config *cfg = gloss__config_load(FIX "does-not-exist.lua", err,
                                            sizeof err);
    ok(cfg == NULL, "a missing file is refused");
    is_str(err, FIX "does-not-exist.lua: cannot read the configuration: No such "
           "file or directory", "a missing file: the file and strerror");

    cfg = gloss__config_load(FIX "syntax.lua", err, sizeof err);
    ok(cfg == NULL, "a syntax error is refused");
    like(err, FIX "syntax.lua:5: '}' expected (to close '{' at line 3) near '{'",
         "a syntax error names the file and its line");

    cfg = gloss__config_load(FIX "runtime.lua", err, sizeof err);
    ok(cfg == NULL, "a runtime error is refused");
    like(err, FIX "runtime.lua:4: attempt to index a nil value",
         "a runtime error names the file and its line");
    is_int(strncmp(err, FIX "runtime.lua:4:", strlen(FIX "runtime.lua:4:")), 0,
           "the runtime error starts with them");

    cfg = gloss__config_load(FIX "loop.lua", err, sizeof err);
    ok(cfg == NULL, "an endless loop ends");
    like(err, FIX "loop.lua:", "the endless loop: file and line");
    like(err, "ran more than 10000000 Lua instructions (an endless loop?)",
         "the endless loop: the budget is named");

    /* The fixture's script_paths folder "more" comes first, then the
     * folders of $GLOSS_SCRIPT_PATH. */
    snprintf(want, sizeof want, "%s:%s", abs_path(FIX "env"), "/nonexistent");
    setenv("GLOSS_SCRIPT_PATH", want, 1);
    setenv("GLOSS_PLUGIN_PATH", "plugins-env::", 1);
    cfg = gloss__config_load(FIX "scripts.lua", err, sizeof err);
    ok(cfg != NULL, "a configuration with scripts loads");
    if (cfg) {
        is_str(cfg->dir, abs_path("tests/fixtures/config"),
               "its folder is absolute");
        is_int(cfg->n_script_paths, 4, "script paths: configured, 2 from the "
               "environment, installed");
        is_str(cfg->script_paths[0], abs_path(FIX "more"),
               "script_paths resolve against the configuration's folder");
        is_str(cfg->script_paths[1], abs_path(FIX "env"),
               "then $GLOSS_SCRIPT_PATH");
        is_str(cfg->script_paths[3], GLOSS_SCRIPT_DIR,
               "then the installed scripts folder");
        is_int(cfg->n_plugin_paths, 3, "plugin paths: configured, 1 from the "
               "environment (empty parts skipped), installed");
        is_str(cfg->plugin_paths[0], abs_path(FIX "plugins"),
               "plugin_paths resolve against the configuration's folder");
        is_str(cfg->plugin_paths[1], abs_path("plugins-env"),
               "$GLOSS_PLUGIN_PATH folders are made absolute");
        is_str(cfg->plugin_paths[2], GLOSS_PLUGIN_DIR,
               "then the installed plugins folder");
        is_str(cfg->stages[0].script, abs_path(FIX "local.lua"),
               "a script next to the configuration comes first");
        is_str(cfg->stages[0].name, "local", "named after the script");
        is_str(cfg->stages[1].script, abs_path(FIX "more/found.lua"),
               "a script found in script_paths");
        is_str(cfg->stages[1].name, "finder", "a given name wins");
        is_str(cfg->stages[2].script, abs_path(FIX "env/from_env.lua"),
               "a script found through $GLOSS_SCRIPT_PATH");
        is_str(cfg->stages[3].plugin, abs_path(FIX "shout.so"),
               "a plugin resolves against the configuration's folder");
        is_str(cfg->stages[3].name, "shout", "named after the plugin");
        FILE *f = fopen(FIX "scripts.lua", "rb");
        size_t n = f ? fread(want, 1, sizeof want - 1, f) : 0;
        want[n] = '\0';
        if (f)
            fclose(f);
        ok(n > 0 && cfg->source_len == n && memcmp(cfg->source, want, n) == 0,
           "a file's source is its contents");
        reloads_same(cfg, "scripts.lua");
    } else {
        diag("%s", err);
    }
    gloss__config_destroy(&cfg);

    cfg = gloss__config_load(FIX "missing_script.lua", err, sizeof err);
    ok(cfg == NULL, "a script found nowhere is refused");
    snprintf(want, sizeof want,
             FIX "missing_script.lua: pipeline[2].script: cannot find "
             "\"nowhere.lua\"; looked in %s, %s/more, %s/env, /nonexistent, %s",
             abs_path("tests/fixtures/config"), abs_path("tests/fixtures/config"),
             abs_path("tests/fixtures/config"), GLOSS_SCRIPT_DIR);
    is_str(err, want, "the message lists every folder searched, in order");
    unsetenv("GLOSS_SCRIPT_PATH");
    unsetenv("GLOSS_PLUGIN_PATH");

    cfg = load("return { pipeline = { { script = '/abs/where.lua' },\n"
               "  { plugin = '/abs/p.so', name = 'p2' } } }");
    ok(cfg != NULL, "absolute names load without being looked for");
    if (cfg) {
        is_str(cfg->stages[0].script, "/abs/where.lua", "an absolute script is kept");
        is_str(cfg->stages[0].name, "where", "and named after its file");
        is_str(cfg->stages[1].plugin, "/abs/p.so", "an absolute plugin is kept");
    }
    gloss__config_destroy(&cfg);
}

static void test_single(void)
{
    gloss__config *cfg = gloss__config_single("normalize", NULL, err, sizeof err);
    ok(cfg != NULL, "single: a stage name");
    if (cfg) {
        is_str(cfg->stages[0].stage, "normalize", "single: the stage");
        is_int(json_object_size(cfg->stages[0].options), 0,
               "single: no options is an empty object");
        is_str(cfg->dir, cwd, "single: relative to the current directory");
    }
    gloss__config_destroy(&cfg);

    cfg = gloss__config_single("lib/shout.so", NULL, err, sizeof err);
    ok(cfg != NULL, "single: a plugin");
    if (cfg) {
        is_str(cfg->stages[0].plugin, abs_path("lib/shout.so"),
               "single: the plugin resolves in the current directory");
        is_str(cfg->stages[0].name, "shout", "single: named after the plugin");
    }
    gloss__config_destroy(&cfg);

    json_t *options = json_pack("{s:s}", "form", "NFKC");
    cfg = gloss__config_single(FIX "local.lua", options, err, sizeof err);
    ok(cfg != NULL, "single: a script");
    if (cfg) {
        is_str(cfg->stages[0].script, abs_path(FIX "local.lua"),
               "single: the script resolves in the current directory");
        is_str(cfg->stages[0].name, "local", "single: named after the script");
        ok(json_equal(cfg->stages[0].options, options),
           "single: the options are kept");
    }
    gloss__config_destroy(&cfg);
    json_decref(options);

    cfg = gloss__config_single("nowhere.lua", NULL, err, sizeof err);
    ok(cfg == NULL, "single: a missing script is refused");
    like(err, "(command line): pipeline[1].script: cannot find \"nowhere.lua\"",
         "single: the message names the script");

    options = json_pack("[s]", "NFC");
    cfg = gloss__config_single("normalize", options, err, sizeof err);
    ok(cfg == NULL, "single: options that are not an object are refused");
    is_str(err, "(command line): pipeline[1].options: expected a table of named "
           "values, got list", "single: the message names the options");
    json_decref(options);
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    if (!top)
        return skip_all("top_srcdir is not set (make check sets it)");
    if (chdir(top) != 0 || !getcwd(cwd, sizeof cwd))
        return skip_all("cannot change to top_srcdir");

    test_default();
    test_defaults_filled();
    test_values();
    test_key_errors();
    test_daemon_defaults();
    test_daemon_values();
    test_daemon_errors();
    test_single_source();
    test_entries();
    test_lua();
    test_files();
    test_single();
    return done_testing();
}
