/*
 * test_opts.c - stage options: checking against a stage's option table,
 * defaults, the getters a stage reads them with, sizes, and the "did you
 * mean" hints.
 *
 * The option table below declares one option of every type, as a stage
 * would; each case gives options as JSON (what a configuration's Lua table
 * becomes) and checks the message a user would read, or the value a stage
 * would get.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "opts.h"
#include "tap.h"

static const char *const forms[] = {"NFC", "NFKC", "none", NULL};
static const char *const layer_names[] = {"tokens", "sentences", NULL};

static const gloss_option table[] = {
    {"form", GLOSS_OPT_STRING, "\"NFC\"", "Unicode form.", forms},
    {"ratio", GLOSS_OPT_NUMBER, "0.5", "A share.", NULL},
    {"count", GLOSS_OPT_INTEGER, "10", "How many.", NULL},
    {"lower", GLOSS_OPT_BOOL, "false", "Lower-case first.", NULL},
    {"cache", GLOSS_OPT_SIZE, "\"1M\"", "Cache size.", NULL},
    {"words", GLOSS_OPT_STRINGS, "[\"a\", \"b\"]", "Words | with a bar.", NULL},
    {"layers", GLOSS_OPT_STRINGS, "[]", "Layers to keep.", layer_names},
    {"extra", GLOSS_OPT_JSON, "{\"k\": [1, 2]}", "Anything.", NULL},
    {"model", GLOSS_OPT_STRING, NULL, "The model file.", NULL},
    {NULL, 0, NULL, NULL, NULL},
};

static char err[1024];

/* Checks the options in JSON text against table, as pipeline entry 1. */
static gloss_opts *check(const gloss_option *t, const char *json)
{
    json_t *v = json ? json_loads(json, JSON_DECODE_ANY, NULL) : NULL;
    if (json && !v)
        diag("bad JSON in the test: %s", json);
    err[0] = '\0';
    gloss_opts *o = gloss__opts_new(t, v, "pipeline[1].options", "normalize",
                                    "/etc/gloss", err, sizeof err);
    json_decref(v);
    return o;
}

static void refused(const char *json, const char *message, const char *what)
{
    gloss_opts *o = check(table, json);
    ok(o == NULL, "%s: refused", what);
    is_str(err, message, "%s: message", what);
    gloss__opts_destroy(&o);
}

static void test_defaults(void)
{
    gloss_opts *o = check(table, "{\"model\": \"m.bin\"}");
    ok(o != NULL, "only the required option given: accepted");
    if (!o) {
        diag("%s", err);
        return;
    }
    is_str(gloss_opts_instance(o), "normalize", "the instance name");
    is_str(gloss_opts_string(o, "form"), "NFC", "string default");
    ok(gloss_opts_number(o, "ratio") == 0.5, "number default");
    is_int(gloss_opts_integer(o, "count"), 10, "integer default");
    is_int(gloss_opts_bool(o, "lower"), 0, "boolean default");
    is_int(gloss_opts_size(o, "cache"), 1 << 20, "size default \"1M\" in bytes");
    is_int(gloss_opts_strings_count(o, "words"), 2, "list default: its length");
    is_str(gloss_opts_strings_at(o, "words", 1), "b", "list default: an item");
    is_str(gloss_opts_strings_at(o, "words", 2), NULL, "past the end: NULL");
    is_int(gloss_opts_strings_count(o, "layers"), 0, "empty list default");
    char *j = gloss_opts_json(o, "extra");
    is_str(j, "{\"k\":[1,2]}", "JSON default, compact");
    free(j);
    is_str(gloss_opts_string(o, "model"), "m.bin", "the given option");

    char *p = gloss_opts_path(o, gloss_opts_string(o, "model"));
    is_str(p, "/etc/gloss/m.bin", "a relative file resolves in the config's folder");
    free(p);
    p = gloss_opts_path(o, "./sub/m.bin");
    is_str(p, "/etc/gloss/sub/m.bin", "a ./ prefix is dropped");
    free(p);
    p = gloss_opts_path(o, "/models/m.bin");
    is_str(p, "/models/m.bin", "an absolute file is kept");
    free(p);
    gloss__opts_destroy(&o);
    ok(o == NULL, "destroy clears the caller's pointer");
}

static void test_values(void)
{
    gloss_opts *o = check(table,
                          "{\"model\": \"m\", \"form\": \"none\", \"ratio\": 2,"
                          " \"count\": -3.0, \"lower\": true, \"cache\": \"64M\","
                          " \"words\": {}, \"layers\": [\"sentences\"],"
                          " \"extra\": \"text\"}");
    ok(o != NULL, "every option given: accepted");
    if (!o) {
        diag("%s", err);
        return;
    }
    is_str(gloss_opts_string(o, "form"), "none", "string within the choices");
    ok(gloss_opts_number(o, "ratio") == 2.0, "an integer is a number");
    is_int(gloss_opts_integer(o, "count"), -3, "a whole float is an integer");
    is_int(gloss_opts_bool(o, "lower"), 1, "boolean true");
    is_int(gloss_opts_size(o, "cache"), 64 << 20, "size \"64M\"");
    ok(gloss_opts_number(o, "cache") == (double)(64 << 20),
       "a size reads as a number too");
    is_int(gloss_opts_strings_count(o, "words"), 0,
           "an empty Lua table is an empty list");
    is_str(gloss_opts_strings_at(o, "layers", 0), "sentences", "a list item");
    char *j = gloss_opts_json(o, "extra");
    is_str(j, "\"text\"", "a JSON option holds any value");
    free(j);
    gloss__opts_destroy(&o);
}

static void test_errors(void)
{
    refused("{\"model\": \"m\", \"form\": \"NFD\"}",
            "pipeline[1].options.form: expected one of \"NFC\", \"NFKC\", "
            "\"none\", got \"NFD\"",
            "a string outside the choices");
    refused("{\"model\": \"m\", \"form\": 1}",
            "pipeline[1].options.form: expected one of \"NFC\", \"NFKC\", "
            "\"none\", got 1",
            "a number for a string");
    refused("{\"model\": 7}",
            "pipeline[1].options.model: expected a string, got 7",
            "a number for a free string");
    refused("{\"model\": \"m\", \"ratio\": \"half\"}",
            "pipeline[1].options.ratio: expected a number, got \"half\"",
            "a string for a number");
    refused("{\"model\": \"m\", \"count\": 1.5}",
            "pipeline[1].options.count: expected a whole number, got 1.5",
            "a fraction for an integer");
    refused("{\"model\": \"m\", \"lower\": \"yes\"}",
            "pipeline[1].options.lower: expected true or false, got \"yes\"",
            "a string for a boolean");
    refused("{\"model\": \"m\", \"cache\": \"12X\"}",
            "pipeline[1].options.cache: expected a size (bytes, or a string such "
            "as \"64M\"), got \"12X\"",
            "a size with an unknown unit");
    refused("{\"model\": \"m\", \"cache\": false}",
            "pipeline[1].options.cache: expected a size (bytes, or a string such "
            "as \"64M\"), got boolean",
            "a boolean for a size");
    refused("{\"model\": \"m\", \"words\": \"a\"}",
            "pipeline[1].options.words: expected a list of strings, got \"a\"",
            "a string for a list");
    refused("{\"model\": \"m\", \"words\": [\"a\", 1]}",
            "pipeline[1].options.words[2]: expected a string, got 1",
            "a number in a list of strings");
    refused("{\"model\": \"m\", \"layers\": [\"tokens\", \"words\"]}",
            "pipeline[1].options.layers[2]: expected one of \"tokens\", "
            "\"sentences\", got \"words\"",
            "a list item outside the choices");
    refused("{\"model\": \"m\", \"words\": {\"a\": 1}}",
            "pipeline[1].options.words: expected a list of strings, got table",
            "a table for a list");
    refused("{}", "pipeline[1].options.model: required, but not given",
            "a required option missing");
    refused("{\"modle\": \"m\"}",
            "pipeline[1].options.modle: unknown option; did you mean 'model'?",
            "a misspelt option");
    refused("{\"model\": \"m\", \"Form\": \"NFC\"}",
            "pipeline[1].options.Form: unknown option; did you mean 'form'?",
            "an option in the wrong case");
    refused("{\"model\": \"m\", \"zzz\": 1}",
            "pipeline[1].options.zzz: unknown option; known options are form, "
            "ratio, count, lower, cache, words, layers, extra, model",
            "an unknown option far from any name");
    refused("[\"NFC\"]",
            "pipeline[1].options: expected a table of named keys, got list",
            "options that are a list");

    gloss_opts *o = check(NULL, "{\"form\": \"NFC\"}");
    ok(o == NULL, "options for a stage that takes none: refused");
    is_str(err, "pipeline[1].options.form: unknown option (normalize takes no "
           "options)", "options for a stage that takes none: message");
    o = check(NULL, NULL);
    ok(o != NULL, "no options for a stage that takes none: accepted");
    gloss__opts_destroy(&o);
    o = check(NULL, "{}");
    ok(o != NULL, "an empty table for a stage that takes none: accepted");
    gloss__opts_destroy(&o);

    static const gloss_option bad[] = {
        {"n", GLOSS_OPT_INTEGER, "\"ten\"", "A count.", NULL},
        {NULL, 0, NULL, NULL, NULL},
    };
    o = check(bad, "{}");
    ok(o == NULL, "a stage whose default does not fit its type: refused");
    is_str(err, "pipeline[1].options.n: the declared default \"ten\" is not a "
           "valid value (a bug in the stage or the engine, not in the "
           "configuration)", "a bad default is blamed on the stage");
    o = check(bad, "{\"n\": 3}");
    ok(o != NULL, "the bad default is not needed when the option is given");
    gloss__opts_destroy(&o);
}

/* Runs a getter with standard error sent to a file, and returns what it
 * printed (static buffer). */
static const char *stderr_of(void (*fn)(const gloss_opts *), const gloss_opts *o)
{
    static char out[512];
    FILE *tmp = tmpfile();
    int saved = dup(STDERR_FILENO);
    out[0] = '\0';
    if (!tmp || saved < 0)
        return out;
    fflush(stderr);
    dup2(fileno(tmp), STDERR_FILENO);
    fn(o);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(tmp);
    size_t n = fread(out, 1, sizeof out - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
    return out;
}

static int got_zero;

static void read_undeclared(const gloss_opts *o)
{
    got_zero = strcmp(gloss_opts_string(o, "colour"), "") == 0 &&
               gloss_opts_integer(o, "colour") == 0;
}

static void read_as_wrong_type(const gloss_opts *o)
{
    got_zero = gloss_opts_bool(o, "form") == 0;
}

static void test_getter_bugs(void)
{
    gloss_opts *o = check(table, "{\"model\": \"m\"}");
    if (!o) {
        skip(4, "options were refused");
        return;
    }
    const char *said = stderr_of(read_undeclared, o);
    ok(got_zero, "an undeclared option reads as zero");
    like(said, "stage 'normalize' reads an option 'colour' that it does not "
         "declare", "and the stage's bug is reported on stderr");
    said = stderr_of(read_as_wrong_type, o);
    ok(got_zero, "an option read as the wrong type reads as zero");
    like(said, "stage 'normalize' reads its option 'form' as a boolean, but "
         "declares it as a string", "and that bug is reported too");
    gloss__opts_destroy(&o);
}

static void size_ok(json_t *v, size_t want, const char *what)
{
    size_t got = 0;
    int rc = gloss__parse_size(v, &got);
    ok(rc == 0 && got == want, "size %s", what);
    if (rc != 0 || got != want)
        diag("rc %d, got %zu, expected %zu", rc, got, want);
    json_decref(v);
}

static void size_bad(json_t *v, const char *what)
{
    size_t got = 12345;
    is_int(gloss__parse_size(v, &got), -1, "size %s is refused", what);
    json_decref(v);
}

static void test_sizes(void)
{
    size_ok(json_string("64M"), (size_t)64 << 20, "\"64M\"");
    size_ok(json_string("1G"), (size_t)1 << 30, "\"1G\"");
    size_ok(json_string("16k"), (size_t)16 << 10, "\"16k\" (any case)");
    size_ok(json_string("2KiB"), 2048, "\"2KiB\"");
    size_ok(json_string("3MB"), (size_t)3 << 20, "\"3MB\"");
    size_ok(json_string("1T"), (size_t)1 << 40, "\"1T\"");
    size_ok(json_string("512"), 512, "\"512\"");
    size_ok(json_string("512B"), 512, "\"512B\"");
    size_ok(json_integer(512), 512, "512");
    size_ok(json_integer(0), 0, "0");
    size_ok(json_real(1048576.0), 1048576, "1048576.0 (a whole float)");
    size_bad(json_string("12X"), "\"12X\"");
    size_bad(json_string("M"), "\"M\"");
    size_bad(json_string(""), "\"\"");
    size_bad(json_string(" 64M"), "\" 64M\"");
    size_bad(json_string("64 M"), "\"64 M\"");
    size_bad(json_string("1.5G"), "\"1.5G\"");
    size_bad(json_string("-1"), "\"-1\"");
    size_bad(json_integer(-1), "-1");
    size_bad(json_real(1.5), "1.5");
    size_bad(json_real(-2.0), "-2.0");
    size_bad(json_string("99999999999999999999"), "\"99999999999999999999\"");
    size_bad(json_string("9000000000T"), "\"9000000000T\" (overflows)");
    size_bad(json_real(1e30), "1e30");
    size_bad(json_true(), "true");
    size_bad(json_object(), "{}");
}

static void test_closest(void)
{
    static const char *const names[] = {"form", "model", "language", "on_error"};
    is_str(gloss__closest_name("modle", names, 4), "model", "swapped letters");
    is_str(gloss__closest_name("langauge", names, 4), "language", "a long name");
    is_str(gloss__closest_name("on_eror", names, 4), "on_error", "a missing letter");
    is_str(gloss__closest_name("FORM", names, 4), "form", "case is ignored");
    is_str(gloss__closest_name("size", names, 4), NULL, "nothing close");
    is_str(gloss__closest_name("x", names, 4), NULL, "a one-letter name");
    is_str(gloss__closest_name("model", NULL, 0), NULL, "no candidates");
}

static void test_docs(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) {
        skip(5, "open_memstream failed");
        return;
    }
    gloss__opts_write_docs(out, table);
    gloss__opts_write_docs(out, NULL);
    fclose(out);
    like(text, "| `form` | one of `\"NFC\"`, `\"NFKC\"`, `\"none\"` | `\"NFC\"` | "
         "Unicode form. |", "docs: a string with choices");
    like(text, "| `cache` | size: bytes, or a string such as `\"64M\"` | "
         "`\"1M\"` |", "docs: a size");
    like(text, "| `words` | list of strings | `{ \"a\", \"b\" }` | Words \\| with "
         "a bar. |", "docs: a list default in Lua syntax, bars escaped");
    like(text, "| `model` | string | required |", "docs: a required option");
    like(text, "This stage takes no options.", "docs: a stage without options");
    free(text);
}

int main(void)
{
    test_defaults();
    test_values();
    test_errors();
    test_getter_bugs();
    test_sizes();
    test_closest();
    test_docs();
    return done_testing();
}
