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
           "\"original\":false}}",
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
               "script_paths, plugin_paths, pipeline, output",
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
    test_entries();
    test_lua();
    test_files();
    test_single();
    return done_testing();
}
