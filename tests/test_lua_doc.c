/*
 * test_lua_doc.c - the document as a Lua stage sees it: fields, text
 * views, spans placed with Lua positions on non-ASCII text, attributes,
 * labels and meta crossing in both directions, iteration that survives
 * changes, the errors a mistaken stage gets, and handles kept past their
 * call.
 *
 * The stage is tests/fixtures/lua/doc_api.lua, which runs one case per
 * document id and stores what it saw in the meta "r"; this file compares
 * that with what it expects, and reads what the stage changed through the
 * C API.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "gloss/doc.h"
#include "lua_stage.h"
#include "tap.h"

/* Bytes: "Róża" is R, ó (2), ż (2), a: positions 1 to 6 in Lua. */
static const char *TEXT = "Róża Thun met Dulat Agadil in Almaty to discuss "
                          "torture.";

static char fixtures[1024];

static gloss__lua_stage *load(const char *script, size_t max_memory)
{
    char path[1200], name[] = "api", err[GLOSS__ERR_MAX];
    snprintf(path, sizeof path, "%s/%s", fixtures, script);
    gloss__stage_conf sc = {0};
    sc.name = name;
    sc.script = path;
    sc.max_instructions = 10000000;
    sc.max_memory = max_memory;
    gloss__lua_stage *st = gloss__lua_stage_new(&sc, NULL, err, sizeof err);
    if (!st)
        diag("%s", err);
    return st;
}

static gloss_doc *run(gloss__lua_stage *st, const char *id, gloss_err *err)
{
    gloss_doc *doc = gloss_doc_new(id, "test", TEXT, strlen(TEXT));
    gloss__lua_stage_process(st, &doc, 1, err);
    if (err->msg[0])
        diag("%s", err->msg);
    return doc;
}

/* Passes when the meta value under key equals the JSON text want. */
static void meta_is(gloss_doc *doc, const char *key, const char *want,
                    const char *what)
{
    char *got = gloss_doc_meta_json(doc, key);
    json_error_t e;
    json_t *w = json_loads(want, JSON_DECODE_ANY, &e);
    if (!w)
        diag("bad expected JSON %s: %s", want, e.text);
    json_t *g = got ? json_loads(got, JSON_DECODE_ANY, NULL) : NULL;
    if (!ok(w && g && json_equal(w, g), "%s", what)) {
        diag("got      %s", got ? got : "(nothing)");
        diag("expected %s", want);
    }
    json_decref(w);
    json_decref(g);
    free(got);
}

static gloss_span *only_span(gloss_doc *doc, const char *layer)
{
    gloss_layer *l = gloss_doc_layer(doc, layer, 0);
    return l && gloss_layer_size(l) == 1 ? gloss_layer_span(l, 0) : NULL;
}

static void test_fields_and_views(gloss__lua_stage *st)
{
    gloss_err e;
    gloss_doc *doc = run(st, "fields", &e);
    char want[512];
    snprintf(want, sizeof want,
             "{\"id\": \"fields\", \"source\": \"test\", \"length\": %zu, "
             "\"head\": \"Róża Thun\", \"same\": true, \"dropped\": true, "
             "\"tostring\": \"document 'fields'\"}",
             strlen(TEXT));
    meta_is(doc, "r", want, "doc.id, doc.source, #doc, doc.text and tostring");
    gloss_doc_destroy(&doc);

    doc = run(st, "views", &e);
    size_t n = strlen(TEXT);
    snprintf(want, sizeof want,
             "{\"whole\": [%zu, 1, %zu], \"find\": [8, 11], "
             "\"find_before\": true, \"find_from\": [15, 15], "
             "\"find_empty\": [12, 11], \"find_past\": true, "
             "\"sub\": [\"Róża\", 1, 6, 6], \"sub_of_view\": \"Thun\", "
             "\"bytes\": [82, 195, 179], \"concat\": \"[Róża]1\", "
             "\"tostring\": \"Róża\", \"empty\": 0}",
             n, n);
    meta_is(doc, "r", want,
            "views: length, bounds, find/sub/byte in document positions, "
            "tostring and concatenation");
    gloss_doc_destroy(&doc);
}

static void test_spans(gloss__lua_stage *st)
{
    gloss_err e;
    gloss_doc *doc = run(st, "find-add", &e);
    size_t torture = (size_t)(strstr(TEXT, "torture") - TEXT);
    gloss_span *s = only_span(doc, "topics");
    ok(s && s->start == torture && s->end == torture + 7,
       "positions from string.find mark exactly the word found");
    s = only_span(doc, "people");
    ok(s && s->start == 0 && s->end == 11,
       "a name with multi-byte letters gets its exact byte range");
    is_str(s ? s->label : NULL, "PER", "and its label");
    const gloss_value *v = s ? gloss_span_get(s, "source") : NULL;
    is_str(v && v->type == GLOSS_VALUE_STRING ? v->as.string.ptr : NULL, "lua",
           "a string attribute reaches the span");
    v = s ? gloss_span_get(s, "confidence") : NULL;
    ok(v && v->type == GLOSS_VALUE_NUMBER && v->as.number == 0.75,
       "a number attribute too");
    v = s ? gloss_span_get(s, "checked") : NULL;
    ok(v && v->type == GLOSS_VALUE_BOOL && v->as.boolean, "and a boolean one");
    s = only_span(doc, "chars");
    ok(s && s->start == 3 && s->end == 5,
       "positions from the utf8 library mark one character");
    meta_is(doc, "r", "{\"char\": \"ż\", \"char_first\": 4, \"char_last\": 5}",
            "and read back as that character");
    char why[256];
    ok(gloss_doc_check(doc, why, sizeof why) == 0,
       "the document's invariants hold");
    gloss_doc_destroy(&doc);

    doc = run(st, "empty-spans", &e);
    gloss_layer *marks = gloss_doc_layer(doc, "marks", 0);
    ok(marks && gloss_layer_size(marks) == 3, "empty spans are added");
    gloss_span *a = marks ? gloss_layer_span(marks, 0) : NULL;
    gloss_span *b = marks ? gloss_layer_span(marks, 1) : NULL;
    gloss_span *c = marks ? gloss_layer_span(marks, 2) : NULL;
    ok(a && a->start == 0 && a->end == 0, "(1, 0) is the empty span at byte 0");
    ok(b && b->start == 6 && b->end == 6,
       "(7, 6) is the empty span after \"Róża\" (byte 6)");
    ok(c && c->start == strlen(TEXT) && c->end == strlen(TEXT),
       "(#doc + 1, #doc) is the empty span at the end");
    gloss_doc_destroy(&doc);

    doc = run(st, "span-api", &e);
    meta_is(doc, "r",
            "{\"fields\": [1, 11, \"PER\", \"people\"], \"text\": \"Róża Thun\", "
            "\"view\": \"Róża Thun\", \"attr\": \"f\", \"missing\": true, "
            "\"attrs\": {\"gender\": \"f\", \"score\": 3, \"ok\": false, "
            "\"ratio\": 0.5}, "
            "\"span_labels\": {\"section\": {\"intro\": 0.75}}, "
            "\"doc_labels\": {\"topic\": {\"torture\": 0.92, \"elections\": 1}}, "
            "\"same\": true, \"tostring\": \"span people[1..11] 'PERSON'\", "
            "\"moved\": \"Thun\", \"moved_back\": \"Róża\", "
            "\"layers\": [\"people\", \"moves\"], \"counts\": [1, 0], "
            "\"removed\": [true, false], \"moves_left\": 0}",
            "span fields, attributes, labels, equality, moves and removal");
    s = only_span(doc, "people");
    is_str(s ? s->label : NULL, "PERSON", "span.label = x relabels the span");
    double score = 0;
    ok(s && gloss_labels_get(gloss_span_labels(s), "section", "intro", &score) == 0 &&
           score == 0.75,
       "span:set_label reaches the span's labels");
    ok(gloss_labels_get(gloss_doc_labels(doc), "topic", "torture", &score) == 0 &&
           score == 0.92,
       "doc:label reaches the document's labels");
    ok(gloss_labels_get(gloss_doc_labels(doc), "topic", "elections", &score) == 0 &&
           score == 1,
       "a label without a score scores 1");
    gloss_doc_destroy(&doc);
}

static void test_iteration(gloss__lua_stage *st)
{
    gloss_err e;
    gloss_doc *doc = run(st, "iterate", &e);
    meta_is(doc, "r",
            "{\"visited\": \"Róża met Agadil in Almaty to discuss torture.\", "
            "\"count\": 10, \"unknown\": 0}",
            "a loop skips spans removed during it and does not visit spans "
            "added during it; an unknown layer is an empty loop");
    gloss_layer *words = gloss_doc_layer(doc, "words", 0);
    gloss_span *second = words ? gloss_layer_span(words, 1) : NULL;
    is_str(second ? second->label : NULL, "before",
           "a span added out of order takes its sorted place");
    char why[256];
    ok(gloss_doc_check(doc, why, sizeof why) == 0, "the layer stays sorted");
    gloss_doc_destroy(&doc);
}

static void test_meta_and_drop(gloss__lua_stage *st)
{
    gloss_doc *doc = gloss_doc_new("meta", "test", TEXT, strlen(TEXT));
    gloss_doc_meta_set_json(doc, "source_url", "\"https://example.org/a\"");
    gloss_doc_meta_set_json(doc, "n", "3");
    gloss_doc_meta_set_json(doc, "nested", "{\"a\": [1, 2, {\"b\": true}]}");
    gloss_err e;
    gloss__lua_stage_process(st, &doc, 1, &e);
    is_str(e.msg, "", "the meta case runs");
    meta_is(doc, "r",
            "{\"url\": \"https://example.org/a\", \"n\": 3, \"nested\": true, "
            "\"absent\": true, \"all\": {\"source_url\": "
            "\"https://example.org/a\", \"n\": 3, \"nested\": {\"a\": [1, 2, "
            "{\"b\": true}]}}}",
            "doc:meta reads values of every JSON type, and the whole object");
    meta_is(doc, "list", "[1, 2.5, \"three\", true]",
            "doc:set_meta stores a list");
    meta_is(doc, "obj", "{\"k\": \"v\"}", "and an object");
    char *n = gloss_doc_meta_json(doc, "n");
    ok(n == NULL, "doc:set_meta(key, nil) removes the key");
    free(n);
    gloss_doc_destroy(&doc);

    doc = run(st, "drop", &e);
    is_str(gloss_doc_dropped(doc), "not relevant",
           "doc:drop marks the document dropped, keeping the first reason");
    meta_is(doc, "r", "{\"dropped\": \"not relevant\"}",
            "and doc.dropped tells the script");
    gloss_doc_destroy(&doc);
    doc = run(st, "drop-default", &e);
    is_str(gloss_doc_dropped(doc), "dropped by stage 'api'",
           "a drop without a reason names the stage");
    gloss_doc_destroy(&doc);
}

static void test_mistakes(gloss__lua_stage *st)
{
    static const struct {
        const char *id, *expect, *what;
    } cases[] = {
        {"cut-first", "doc:add: position 3 is inside a UTF-8 character "
                      "(positions 3..6) [document 'cut-first']",
         "a first position inside a character is refused, with the positions"},
        {"cut-last", "doc:add: position 2 is not the last byte of a UTF-8 "
                     "character (positions 1..2)",
         "a last position inside a character is refused"},
        {"outside", "doc:add: positions 1..1000 are outside the text (1..58)",
         "positions past the end are refused"},
        {"zero", "doc:add: positions 0..3 are outside the text",
         "position 0 is refused"},
        {"reversed", "doc:add: last position 2 comes before first position 5",
         "a range that ends before it starts is refused"},
        {"view-outside", "view:sub: positions 1..4 are outside the view (8..11)",
         "a sub-view must lie inside its view"},
        {"view-cut", "doc:view: position 5 is inside a UTF-8 character",
         "a view cannot cut a character"},
        {"bad-attr", "doc:add: attribute 'bad' must be a string, number or "
                     "boolean (got table)",
         "an attribute of another type is refused"},
        {"wrong-handle", "bad argument #1 to 'remove' (span expected, got text "
                         "view)",
         "a handle of the wrong kind is refused by name"},
        {"dot-call", "bad argument #1 to 'add' (document expected, got string)",
         "doc.add(...) for doc:add(...) gets a clear message"},
        {"set-meta-function", "doc:set_meta: f: a function cannot be stored "
                              "as JSON",
         "a meta value that is not JSON is refused"},
        {"span-set-nil", "span:set: attribute 'k' must be a string, number or "
                         "boolean (got nil)",
         "span:set needs a value"},
        {"span-field", "span: field 'foo' cannot be set",
         "unknown span fields cannot be set"},
        {"span-last", "span.last: positions 1..100 are outside the text",
         "span.last is checked like any position"},
        {"nul-layer", "doc:add: the layer name must not contain a NUL byte",
         "names with NUL bytes are refused"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        gloss_doc *doc = gloss_doc_new(cases[i].id, "test", TEXT, strlen(TEXT));
        gloss_err e;
        gloss__lua_stage_process(st, &doc, 1, &e);
        like(e.msg, cases[i].expect, "%s", cases[i].what);
        like(e.msg, "doc_api.lua:", "  and the message points into the script");
        if (strcmp(cases[i].id, "bad-attr") == 0)
            ok(gloss_doc_layer(doc, "x", 0) == NULL,
               "  and no half-made span is left behind");
        gloss_doc_destroy(&doc);
    }
}

static void test_text_memo(void)
{
    gloss__lua_stage *st = load("doc_api.lua", 0);
    size_t len = 1u << 20;
    char *big = malloc(len);
    memset(big, 'a', len);
    gloss_doc *doc = gloss_doc_new("memo", "test", big, len);
    gloss_err e;
    gloss__lua_stage_process(st, &doc, 1, &e);
    meta_is(doc, "r", "{\"reads\": 50}", "the memo case reads doc.text 50 times");
    gloss__lua_stats stats;
    gloss__lua_stage_stats(st, &stats);
    ok(stats.memory_peak < 4 * len,
       "and the 1 MiB text was copied into Lua once (peak %zu bytes)",
       stats.memory_peak);
    gloss_doc_destroy(&doc);
    free(big);
    gloss__lua_stage_destroy(&st);
}

/* A stage that keeps handles in upvalues and uses them once their call
 * has returned and their document is gone. */
static void test_stale_handles(void)
{
    gloss__lua_stage *st = load("stash.lua", 0);
    ok(st != NULL, "the stashing stage loads");
    if (!st)
        return;
    gloss_err e;
    gloss_doc *doc = gloss_doc_new("keep", "test", TEXT, strlen(TEXT));
    gloss__lua_stage_process(st, &doc, 1, &e);
    is_str(e.msg, "", "the first call keeps its handles");
    gloss_doc_destroy(&doc);

    static const struct {
        const char *id, *expect;
    } uses[] = {
        {"use doc", "document handle used after process() returned"},
        {"use doc text", "document handle used after process() returned"},
        {"use doc method", "document handle used after process() returned"},
        {"use doc length", "document handle used after process() returned"},
        {"tostring doc", "document handle used after process() returned"},
        {"use span", "span handle used after process() returned"},
        {"use span text", "span handle used after process() returned"},
        {"use view", "text view used after process() returned"},
        {"concat view", "text view used after process() returned"},
        {"use iterator", "span iterator used after process() returned"},
        {"remove kept span", "span handle used after process() returned"},
    };
    for (size_t i = 0; i < sizeof uses / sizeof *uses; i++) {
        doc = gloss_doc_new(uses[i].id, "test", TEXT, strlen(TEXT));
        gloss__lua_stage_process(st, &doc, 1, &e);
        like(e.msg, uses[i].expect, "%s: a clean error", uses[i].id);
        like(e.msg, "stash.lua:", "  naming the line that used the handle");
        gloss_doc_destroy(&doc);
    }
    gloss__lua_stage_destroy(&st);
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    snprintf(fixtures, sizeof fixtures, "%s/tests/fixtures/lua", top ? top : ".");
    gloss__lua_stage *st = load("doc_api.lua", 64u << 20);
    ok(st != NULL, "the API stage loads");
    if (!st)
        return done_testing();
    test_fields_and_views(st);
    test_spans(st);
    test_iteration(st);
    test_meta_and_drop(st);
    test_mistakes(st);
    gloss__lua_stage_destroy(&st);
    test_text_memo();
    test_stale_handles();
    return done_testing();
}
