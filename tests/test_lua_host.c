/*
 * test_lua_host.c - the Lua stage host: loading, error messages, the
 * sandbox, the instruction budget and the memory limit, init options and
 * batch calls.
 *
 * The stages are small scripts in tests/fixtures/lua. Sandbox probes run
 * one escape attempt per document, chosen by the document's id, so each
 * refusal is checked through the message a stage author would read. A
 * temporary folder plays the part of a configured script folder (with a
 * module, a dotted module and a precompiled chunk in it) and of a current
 * directory that require() must not look in.
 */
#include <fcntl.h>
#include <jansson.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "gloss/doc.h"
#include "lua_stage.h"
#include "tap.h"

static char fixtures[1024];
static char tmpdir[] = "/tmp/gloss-lua-XXXXXX";
static gloss__buf binary_chunk = GLOSS__BUF_INIT;

/* ---- helpers -------------------------------------------------------------- */

typedef struct stage_opts {
    const char *name;
    const char *options; /* JSON object, or NULL */
    uint64_t max_instructions;
    size_t max_memory;
} stage_opts;

static gloss__lua_stage *load(const char *script, const stage_opts *o,
                              char *err, size_t errlen)
{
    char path[1200], name[64], key_path[] = "pipeline[1]";
    snprintf(path, sizeof path, "%s/%s", fixtures, script);
    snprintf(name, sizeof name, "%s", o && o->name ? o->name : "test");
    char *folders[] = {tmpdir};
    gloss__config cfg = {0};
    cfg.script_paths = folders;
    cfg.n_script_paths = 1;
    gloss__stage_conf sc = {0};
    sc.key_path = key_path;
    sc.name = name;
    sc.script = path;
    if (o && o->options)
        sc.options = json_loads(o->options, 0, NULL);
    sc.max_instructions = o ? o->max_instructions : 0;
    sc.max_memory = o ? o->max_memory : 0;
    gloss__lua_stage *st = gloss__lua_stage_new(&sc, &cfg, err, errlen);
    json_decref(sc.options);
    return st;
}

/* Runs one document with the given id (and text) through st; returns the
 * error message ("" when it went through) in err. */
static gloss_doc *run(gloss__lua_stage *st, const char *id, const char *text,
                      size_t len, gloss_err *err)
{
    gloss_doc *doc = gloss_doc_new(id, "test", text, len);
    gloss__lua_stage_process(st, &doc, 1, err);
    return doc;
}

/* The first line of a message. */
static const char *first_line(const char *msg)
{
    static char line[GLOSS__ERR_MAX];
    snprintf(line, sizeof line, "%s", msg);
    char *nl = strchr(line, '\n');
    if (nl)
        *nl = '\0';
    return line;
}

static void write_file(const char *dir, const char *name, const void *data,
                       size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len) {
        perror(path);
        exit(99);
    }
    fclose(f);
}

static int dump_writer(lua_State *L, const void *p, size_t size, void *ud)
{
    (void)L;
    gloss__buf_add(ud, p, size);
    return 0;
}

/* A precompiled chunk, as luac would write it, that returns "escaped". */
static void make_binary_chunk(void)
{
    lua_State *L = luaL_newstate();
    if (luaL_loadstring(L, "return 'escaped'") != LUA_OK ||
        lua_dump(L, dump_writer, &binary_chunk, 0) != 0 || binary_chunk.oom) {
        fprintf(stderr, "cannot build a binary chunk\n");
        exit(99);
    }
    lua_close(L);
}

static void setup(void)
{
    const char *top = getenv("top_srcdir");
    snprintf(fixtures, sizeof fixtures, "%s/tests/fixtures/lua", top ? top : ".");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        exit(99);
    }
    make_binary_chunk();
    char dir[512];
    snprintf(dir, sizeof dir, "%s/sub", tmpdir);
    mkdir(dir, 0700);
    snprintf(dir, sizeof dir, "%s/cwd", tmpdir);
    mkdir(dir, 0700);
    write_file(tmpdir, "binary.lua", binary_chunk.data, binary_chunk.len);
    const char *mod = "return {name = 'sub.mod'}\n";
    write_file(tmpdir, "sub/mod.lua", mod, strlen(mod));
    const char *outside = "return 'outside'\n";
    write_file(tmpdir, "cwd/outside.lua", outside, strlen(outside));
}

static void cleanup(void)
{
    static const char *const files[] = {"binary.lua", "sub/mod.lua",
                                        "cwd/outside.lua", "stderr.txt",
                                        "sub", "cwd"};
    char path[512];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/%s", tmpdir, files[i]);
        remove(path);
    }
    rmdir(tmpdir);
    gloss__buf_free(&binary_chunk);
}

/* ---- loading and errors ---------------------------------------------------- */

static void test_error_messages(void)
{
    char err[GLOSS__ERR_MAX];
    stage_opts o = {.name = "watch"};
    gloss__lua_stage *st = load("error_line.lua", &o, err, sizeof err);
    ok(st != NULL, "a stage loads");
    if (!st) {
        diag("%s", err);
        return;
    }
    gloss_err e;
    gloss_doc *doc = run(st, "doc-7", "text", 4, &e);
    is_str(first_line(e.msg),
           "error_line.lua:7: attempt to index a nil value "
           "(field 'x') [document 'doc-7']",
           "an error names script:line, the cause and the document (the "
           "pipeline records the stage with it)");
    like(e.msg, "\n    error_line.lua:7: in ",
         "a traceback follows, starting where the error was raised");
    like(e.msg, "\n    error_line.lua:18: in ",
         "and going back through the caller");
    ok(strstr(e.msg, "[C]") == NULL, "the traceback leaves out C frames");
    gloss_doc_destroy(&doc);

    doc = run(st, "table-error", "", 0, &e);
    like(e.msg, "(error object is a table value) [document 'table-error']",
         "an error that is not a string says what it was");
    gloss_doc_destroy(&doc);
    doc = run(st, "tostring-error", "", 0, &e);
    is_str(first_line(e.msg), "custom [document 'tostring-error']",
         "an error object's __tostring gives the message");
    gloss_doc_destroy(&doc);

    doc = run(st, "fine", "", 0, &e);
    is_str(e.msg, "", "after failures, the next document goes through");
    gloss_doc_destroy(&doc);

    gloss__lua_stats stats;
    gloss__lua_stage_stats(st, &stats);
    is_int(stats.calls, 4, "each document is one call");
    is_int(stats.errors, 3, "each failed document is counted");
    is_int(stats.budget_exceeded + stats.memory_exceeded, 0,
           "none of them as a limit");
    gloss__lua_stage_destroy(&st);
    ok(st == NULL, "destroy nulls the caller's pointer");
}

static void test_load_errors(void)
{
    char err[GLOSS__ERR_MAX];
    stage_opts o = {.name = "broken"};
    gloss__lua_stage *st = load("syntax_error.lua", &o, err, sizeof err);
    ok(st == NULL, "a script that does not compile is refused");
    is_str(first_line(err),
           "stage 'broken': syntax_error.lua:5: 'then' expected near '='",
           "with the file and the line of the mistake");

    st = load("no_such_script.lua", &o, err, sizeof err);
    ok(st == NULL, "a missing script is refused");
    like(err, "no_such_script.lua: No such file or directory",
         "with the path and the reason");

    st = load("probe_helper.lua", &o, err, sizeof err);
    ok(st == NULL, "a script that returns no process function is refused");
    like(err, "probe_helper.lua must return a table with a process(doc) or "
              "process_batch(docs) function",
         "and the message says what a stage must return");

    o.name = "needs-name";
    st = load("init_error.lua", &o, err, sizeof err);
    ok(st == NULL, "an init() that fails makes the stage fail to load");
    is_str(first_line(err),
           "stage 'needs-name': init_error.lua:7: option 'name' is required "
           "[init]",
           "with the script, the line and the init() context");
    o.options = "{\"name\": \"x\"}";
    st = load("init_error.lua", &o, err, sizeof err);
    ok(st != NULL, "the same stage loads when its options are right");
    gloss__lua_stage_destroy(&st);
}

static void test_options_and_batch(void)
{
    char err[GLOSS__ERR_MAX];
    const char *options = "{\"terms\": [\"Dulat Agadil\", \"Róża\"], "
                          "\"limit\": 3, \"ratio\": 0.5, \"strict\": false, "
                          "\"nested\": {\"layer\": \"watch\"}}";
    stage_opts o = {.name = "opts", .options = options};
    gloss__lua_stage *st = load("options.lua", &o, err, sizeof err);
    ok(st != NULL, "a stage with options loads");
    gloss_err e;
    ok(st && !gloss__lua_stage_has_batch(st),
       "a stage with process only takes one document per call");
    if (!st)
        return;
    gloss_doc *doc = run(st, "d", "", 0, &e);
    char *seen = gloss_doc_meta_json(doc, "options");
    json_t *a = json_loads(options, 0, NULL);
    json_t *b = seen ? json_loads(seen, 0, NULL) : NULL;
    ok(b && json_equal(a, b), "init(config) receives the options as a table");
    if (!(b && json_equal(a, b)))
        diag("got %s", seen ? seen : "nothing");
    json_decref(a);
    json_decref(b);
    free(seen);
    gloss_doc_destroy(&doc);
    gloss__lua_stage_destroy(&st);

    st = load("batch.lua", NULL, err, sizeof err);
    ok(st != NULL, "a stage with process_batch loads");
    ok(st && gloss__lua_stage_has_batch(st),
       "and the pipeline is told it takes whole batches");
    if (!st)
        return;
    gloss_doc *docs[3];
    gloss_err errs[3];
    const char *ids[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++)
        docs[i] = gloss_doc_new(ids[i], "test", "x", 1);
    size_t failed = gloss__lua_stage_process(st, docs, 3, errs);
    is_int(failed, 0, "the batch goes through");
    int all = 1;
    for (int i = 0; i < 3; i++) {
        double call = 0, index = 0, size = 0;
        gloss_doc_meta_number(docs[i], "call", &call);
        gloss_doc_meta_number(docs[i], "index", &index);
        gloss_doc_meta_number(docs[i], "size", &size);
        all &= call == 1 && index == i + 1 && size == 3;
    }
    ok(all, "process_batch is called once, with every document in order");
    gloss__lua_stats stats;
    gloss__lua_stage_stats(st, &stats);
    is_int(stats.calls, 1, "one batch is one call");
    for (int i = 0; i < 3; i++)
        gloss_doc_destroy(&docs[i]);

    docs[0] = gloss_doc_new("first", "test", "x", 1);
    docs[1] = gloss_doc_new("fail", "test", "x", 1);
    failed = gloss__lua_stage_process(st, docs, 2, errs);
    is_int(failed, 2, "when a batch call fails, every document in it fails");
    like(errs[0].msg, "batch.lua:13: cannot handle fail [document 'first', "
                      "batch of 2]",
         "each one's message names the document and the batch");
    like(errs[1].msg, "[document 'fail', batch of 2]",
         "the failing document too");
    for (int i = 0; i < 2; i++)
        gloss_doc_destroy(&docs[i]);
    gloss__lua_stage_destroy(&st);
}

/* ---- the sandbox ------------------------------------------------------------ */

typedef struct probe_case {
    const char *id;
    const char *expect; /* in the error, or the result when ok is set */
    int ok;
    const char *what;
} probe_case;

static const probe_case probes[] = {
    {"io", "attempt to index a nil value (global 'io')", 0, "io is absent"},
    {"os.execute", "(field 'execute')", 0, "os.execute is absent"},
    {"os.getenv", "(field 'getenv')", 0, "os.getenv is absent"},
    {"os.exit", "(field 'exit')", 0, "os.exit is absent"},
    {"os.remove", "(field 'remove')", 0, "os.remove is absent"},
    {"package.loadlib", "(global 'package')", 0, "package.loadlib is absent"},
    {"debug", "(global 'debug')", 0, "the debug library is absent"},
    {"string.dump", "(field 'dump')", 0, "string.dump is absent"},
    {"method dump", "(field 'dump')", 0, "(\"\").dump is absent as well"},
    {"dofile", "(global 'dofile')", 0, "dofile is absent"},
    {"loadfile", "(global 'loadfile')", 0, "loadfile is absent"},
    {"coroutine", "(global 'coroutine')", 0, "coroutines are absent"},
    {"load binary", "attempt to load a binary chunk (mode is 't')", 0,
     "load() refuses a precompiled chunk"},
    {"load binary mode b", "attempt to load a binary chunk (mode is 't')", 0,
     "even when asked for mode \"b\""},
    {"require outside", "require: module 'outside' not found (looked for "
                        "outside.lua in ", 0,
     "require() does not look outside the script folders"},
    {"require dotdot", "require: invalid module name '../probe'", 0,
     "require(\"../probe\") is refused"},
    {"require absolute", "require: invalid module name '/etc/passwd'", 0,
     "require of an absolute path is refused"},
    {"require binary", "require: module 'binary': attempt to load a binary "
                       "chunk (mode is 't')", 0,
     "require() refuses a precompiled chunk"},
    {"collectgarbage stop", "collectgarbage: option 'stop' is not allowed", 0,
     "the collector cannot be stopped"},
    {"__gc", "setmetatable: __gc finalizers are not allowed in a stage", 0,
     "finalizers cannot be installed"},
    {"load text", "42", 1, "load() runs text chunks"},
    {"load sees the sandbox", "nil", 1,
     "a loaded chunk sees the sandbox's globals"},
    {"require helper", "42", 1, "require() loads from the script's folder"},
    {"require twice", "true", 1, "require() returns the cached module"},
    {"require dotted", "sub.mod", 1,
     "require(\"sub.mod\") loads sub/mod.lua from a configured folder"},
    {"require string", "true", 1, "require() knows the standard libraries"},
    {"collectgarbage count", "number", 1, "collectgarbage(\"count\") works"},
    {"collectgarbage", "0", 1, "collectgarbage() collects"},
    {"setmetatable", "inherited", 1, "setmetatable works without __gc"},
    {"os.time", "number", 1, "os.time is there"},
    {"os.date", "1970-01-01", 1, "os.date is there"},
    {"getmetatable doc", "document", 1,
     "a handle's metatable is hidden behind its type name"},
};

static void test_sandbox(void)
{
    char err[GLOSS__ERR_MAX];
    stage_opts o = {.name = "probe", .max_instructions = 1000000};
    gloss__lua_stage *st = load("probe.lua", &o, err, sizeof err);
    ok(st != NULL, "the probe stage loads");
    if (!st) {
        diag("%s", err);
        return;
    }
    char cwd[1024], inside[600];
    if (!getcwd(cwd, sizeof cwd))
        cwd[0] = '\0';
    snprintf(inside, sizeof inside, "%s/cwd", tmpdir);
    if (chdir(inside) != 0)
        perror(inside);

    for (size_t i = 0; i < sizeof probes / sizeof *probes; i++) {
        const probe_case *p = &probes[i];
        gloss_err e;
        const char *text = "plain text";
        size_t len = strlen(text);
        if (strncmp(p->id, "load binary", 11) == 0) {
            text = binary_chunk.data;
            len = binary_chunk.len;
        }
        gloss_doc *doc = run(st, p->id, text, len, &e);
        if (p->ok) {
            is_str(gloss_doc_meta_string(doc, "result"), p->expect, "%s", p->what);
            if (e.msg[0])
                diag("%s", e.msg);
        } else {
            like(e.msg, p->expect, "%s", p->what);
            ok(strstr(e.msg, "[document '") != NULL,
               "  and the refusal is reported against the document");
        }
        gloss_doc_destroy(&doc);
    }
    if (chdir(cwd) != 0)
        perror(cwd);

    /* print() goes to standard error, one line per call, with the stage. */
    char path[600];
    snprintf(path, sizeof path, "%s/stderr.txt", tmpdir);
    fflush(stderr);
    int saved = dup(2);
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    dup2(fd, 2);
    close(fd);
    gloss_err e;
    gloss_doc *doc = run(st, "print", "", 0, &e);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    gloss__buf out = GLOSS__BUF_INIT;
    gloss__buf_read_file(&out, path);
    is_str(out.data, "stage 'probe': hello\t42\ttrue\n",
           "print() writes a line to stderr, prefixed with the stage");
    gloss__buf_free(&out);
    gloss_doc_destroy(&doc);
    gloss__lua_stage_destroy(&st);
}

/* ---- limits ----------------------------------------------------------------- */

static void test_limits(void)
{
    char err[GLOSS__ERR_MAX];
    stage_opts o = {.name = "runaway",
                    .max_instructions = 1000000,
                    .max_memory = 32u << 20};
    gloss__lua_stage *st = load("limits.lua", &o, err, sizeof err);
    ok(st != NULL, "a stage with limits loads");
    if (!st) {
        diag("%s", err);
        return;
    }
    static const struct {
        const char *id, *expect, *what;
    } cases[] = {
        {"loop", "limits.lua:7: instruction budget of 1000000 "
                 "exceeded [document 'loop']",
         "a loop that never ends is stopped by the budget, with its line"},
        {"pcall-loop", "instruction budget of 1000000 exceeded "
                       "[document 'pcall-loop']",
         "a loop that catches the budget error with pcall is stopped too"},
        {"xpcall-loop", "instruction budget of 1000000 exceeded "
                        "[document 'xpcall-loop']",
         "and one that catches it with xpcall and a looping handler"},
        {"bomb", "memory limit of 33554432 bytes exceeded "
                 "[document 'bomb']",
         "a memory bomb is stopped by the memory limit"},
        {"pcall-bomb", "memory limit of 33554432 bytes exceeded "
                       "[document 'pcall-bomb']",
         "a memory bomb that catches the memory error is stopped too"},
        {"huge-string", "memory limit of 33554432 bytes exceeded "
                        "[document 'huge-string']",
         "one huge allocation is refused"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        gloss_err e;
        gloss_doc *doc = run(st, cases[i].id, "", 0, &e);
        like(e.msg, cases[i].expect, "%s", cases[i].what);
        gloss_doc_destroy(&doc);
        doc = run(st, "fine", "", 0, &e);
        double score = 0;
        ok(e.msg[0] == '\0' &&
               gloss_labels_get(gloss_doc_labels(doc), "limits", "ok", &score) == 0,
           "  and the next document goes through normally");
        if (e.msg[0])
            diag("%s", e.msg);
        gloss_doc_destroy(&doc);
    }
    gloss__lua_stats stats;
    gloss__lua_stage_stats(st, &stats);
    is_int(stats.calls, 12, "every call is counted");
    is_int(stats.errors, 6, "every failed document is counted");
    is_int(stats.budget_exceeded, 3, "budget overruns are counted by kind");
    is_int(stats.memory_exceeded, 3, "memory overruns are counted by kind");
    ok(stats.memory_peak <= o.max_memory,
       "the state never held more than its limit (peak %zu bytes)",
       stats.memory_peak);
    ok(stats.memory_used < 4u << 20,
       "what the failed calls allocated was collected (%zu bytes in use)",
       stats.memory_used);
    gloss__lua_stage_destroy(&st);

    /* Limits hold while the script loads and while init() runs. */
    o.options = "{\"spin\": true}";
    st = load("limits.lua", &o, err, sizeof err);
    ok(st == NULL, "init() is held to the instruction budget");
    like(err, "instruction budget of 1000000 exceeded [init]",
         "and the message says it ran out in init()");
    o.options = "{\"bomb\": true}";
    st = load("limits.lua", &o, err, sizeof err);
    ok(st == NULL, "init() is held to the memory limit");
    like(err, "memory limit of 33554432 bytes exceeded [init]",
         "and the message says so");
    o.options = NULL;
    o.max_memory = 4096;
    st = load("limits.lua", &o, err, sizeof err);
    ok(st == NULL, "loading the script is held to the memory limit");
    is_str(err, "stage 'runaway': memory limit of 4096 bytes exceeded",
           "and the message names the limit");

    /* Without a budget, the memory limit alone still ends a bomb. */
    o.max_instructions = 0;
    o.max_memory = 16u << 20;
    st = load("limits.lua", &o, err, sizeof err);
    ok(st != NULL, "a stage with a memory limit and no budget loads");
    if (!st)
        return;
    gloss_err e;
    gloss_doc *doc = run(st, "pcall-bomb", "", 0, &e);
    like(e.msg, "memory limit of 16777216 bytes exceeded",
         "a caught memory bomb ends even without an instruction budget");
    gloss_doc_destroy(&doc);
    gloss__lua_stage_destroy(&st);
}

int main(void)
{
    setup();
    test_error_messages();
    test_load_errors();
    test_options_and_batch();
    test_sandbox();
    test_limits();
    cleanup();
    return done_testing();
}
