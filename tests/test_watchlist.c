/*
 * test_watchlist.c - scripts/watchlist.lua, the example alerting stage, run
 * as a user would run it: on a short news text (tests/fixtures/lua/
 * watchlist.txt) that mentions watched names in capitals, across a line
 * break, between guillemets, after a no-break space, in Cyrillic, and
 * inside longer words where they must not match.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "gloss/doc.h"
#include "lua_stage.h"
#include "tap.h"

static char script[1024];
static gloss__buf text = GLOSS__BUF_INIT;

static const char *TERMS =
    "[\"Dulat Agadil\", \"Róża Thun\", \"Article 174\", \"Қазақстан\", "
    "\"Agadil\"]";

static gloss__lua_stage *load(const char *options, char *err, size_t errlen)
{
    char name[] = "watch";
    gloss__stage_conf sc = {0};
    sc.name = name;
    sc.script = script;
    sc.options = json_loads(options, 0, NULL);
    sc.max_instructions = 50000000;
    sc.max_memory = 64u << 20;
    gloss__lua_stage *st = gloss__lua_stage_new(&sc, NULL, err, errlen);
    json_decref(sc.options);
    return st;
}

static gloss_doc *run(gloss__lua_stage *st, const char *body, size_t len)
{
    gloss_doc *doc = gloss_doc_new("news-1", "test", body, len);
    gloss_err e;
    gloss__lua_stage_process(st, &doc, 1, &e);
    if (e.msg[0])
        diag("%s", e.msg);
    return doc;
}

static double score(gloss_doc *doc, const char *term)
{
    double s = 0;
    if (gloss_labels_get(gloss_doc_labels(doc), "watchlist", term, &s) < 0)
        return -1;
    return s;
}

/* The span of layer that starts at the byte offset of needle in the text
 * (from the occurrence after skip bytes), or NULL. */
static gloss_span *span_at(gloss_doc *doc, const char *layer, const char *needle,
                           size_t skip)
{
    const char *at = strstr(text.data + skip, needle);
    gloss_layer *l = gloss_doc_layer(doc, layer, 0);
    if (!at || !l)
        return NULL;
    size_t off = (size_t)(at - text.data);
    for (size_t i = 0; i < gloss_layer_size(l); i++) {
        gloss_span *s = gloss_layer_span(l, i);
        if (s->start == off)
            return s;
    }
    return NULL;
}

static const char *span_text(gloss_span *s)
{
    static char out[128];
    if (!s)
        return NULL;
    snprintf(out, sizeof out, "%.*s", (int)(s->end - s->start),
             text.data + s->start);
    return out;
}

static void test_default(void)
{
    char err[GLOSS__ERR_MAX], options[512];
    snprintf(options, sizeof options, "{\"terms\": %s}", TERMS);
    gloss__lua_stage *st = load(options, err, sizeof err);
    ok(st != NULL, "the watchlist loads with a list of terms");
    if (!st) {
        diag("%s", err);
        return;
    }
    gloss_doc *doc = run(st, text.data, text.len);
    ok(score(doc, "Dulat Agadil") == 3,
       "a name is found in capitals and across a line break, between "
       "guillemets (label score %g)", score(doc, "Dulat Agadil"));
    ok(score(doc, "Agadil") == 3,
       "a surname alone is found as a word but not inside 'Agadilov' "
       "(score %g)", score(doc, "Agadil"));
    ok(score(doc, "Róża Thun") == 3,
       "a Polish name is found in capitals, and after a no-break space "
       "(score %g)", score(doc, "Róża Thun"));
    ok(score(doc, "Article 174") == 1,
       "a term ending in a digit does not match inside 'Article 1745' "
       "(score %g)", score(doc, "Article 174"));
    ok(score(doc, "Қазақстан") == 2,
       "a Kazakh Cyrillic word is found in capitals too (score %g)",
       score(doc, "Қазақстан"));
    gloss_layer *l = gloss_doc_layer(doc, "watchlist", 0);
    is_int(l ? gloss_layer_size(l) : 0, 12,
           "every mention is a span in the 'watchlist' layer");

    gloss_span *s = span_at(doc, "watchlist", "Dulat\nAgadil", 0);
    is_str(span_text(s), "Dulat\nAgadil",
           "the span of a mention across a line break covers both words");
    s = span_at(doc, "watchlist", "RÓŻA THUN", 0);
    is_str(span_text(s), "RÓŻA THUN",
           "a mention in capitals is marked in the original text");
    is_str(s ? s->label : NULL, "Róża Thun",
           "its label is the term as configured");
    const gloss_value *v = s ? gloss_span_get(s, "term") : NULL;
    is_str(v && v->type == GLOSS_VALUE_STRING ? v->as.string.ptr : NULL,
           "Róża Thun", "and so is its attribute 'term'");
    s = span_at(doc, "watchlist", "ҚАЗАҚСТАН", 0);
    is_str(span_text(s), "ҚАЗАҚСТАН",
           "a Cyrillic mention covers exactly its letters");
    char why[256];
    ok(gloss_doc_check(doc, why, sizeof why) == 0,
       "every span lies on character boundaries");
    gloss_doc_destroy(&doc);

    const char *quiet = "Nothing to report today.";
    doc = run(st, quiet, strlen(quiet));
    ok(gloss_doc_labels(doc) == NULL && gloss_doc_layer(doc, "watchlist", 0) == NULL,
       "a document without mentions gets no label and no span");
    gloss_doc_destroy(&doc);
    gloss__lua_stage_destroy(&st);
}

static void test_options(void)
{
    char err[GLOSS__ERR_MAX], options[512];
    snprintf(options, sizeof options,
             "{\"terms\": %s, \"case_sensitive\": true, \"layer\": \"alerts\"}",
             TERMS);
    gloss__lua_stage *st = load(options, err, sizeof err);
    ok(st != NULL, "the watchlist loads with every option");
    if (!st) {
        diag("%s", err);
        return;
    }
    gloss_doc *doc = run(st, text.data, text.len);
    ok(score(doc, "Dulat Agadil") == 2 && score(doc, "Róża Thun") == 2 &&
           score(doc, "Қазақстан") == 1,
       "case_sensitive leaves out the mentions in capitals");
    ok(gloss_doc_layer(doc, "alerts", 0) != NULL &&
           gloss_doc_layer(doc, "watchlist", 0) == NULL,
       "layer names the layer the spans go to");
    gloss_doc_destroy(&doc);
    gloss__lua_stage_destroy(&st);

    static const struct {
        const char *options, *expect, *what;
    } bad[] = {
        {"{}", "stage 'watch': watchlist: option 'terms' must be a non-empty "
               "list of strings [init]",
         "terms is required"},
        {"{\"terms\": []}", "watchlist: option 'terms' must be a non-empty list "
                            "of strings",
         "an empty list is refused"},
        {"{\"terms\": \"Dulat Agadil\"}", "option 'terms' must be a non-empty "
                                          "list of strings",
         "a single string is refused"},
        {"{\"terms\": [\"a\", 3]}", "(terms[2] is not)",
         "a term that is not a string is named"},
        {"{\"terms\": [\"a\", \"  \"]}", "(terms[2] is not)",
         "a blank term is named"},
        {"{\"terms\": [\"Dulat Agadil\", \"dulat  AGADIL\"]}",
         "watchlist: terms 'Dulat Agadil' and 'dulat  AGADIL' are the same term",
         "a term listed twice is refused"},
        {"{\"term\": [\"a\"]}", "watchlist: unknown option 'term'",
         "a misspelt option is refused"},
        {"{\"terms\": [\"a\"], \"layer\": \"\"}",
         "option 'layer' must be a non-empty string", "an empty layer is refused"},
        {"{\"terms\": [\"a\"], \"case_sensitive\": \"yes\"}",
         "option 'case_sensitive' must be true or false",
         "case_sensitive must be a boolean"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        st = load(bad[i].options, err, sizeof err);
        ok(st == NULL, "%s", bad[i].what);
        like(err, bad[i].expect, "  with a message saying what is wrong");
        gloss__lua_stage_destroy(&st);
    }
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    top = top ? top : ".";
    snprintf(script, sizeof script, "%s/scripts/watchlist.lua", top);
    char path[1100];
    snprintf(path, sizeof path, "%s/tests/fixtures/lua/watchlist.txt", top);
    if (gloss__buf_read_file(&text, path) < 0) {
        printf("Bail out! cannot read %s\n", path);
        return 1;
    }
    test_default();
    test_options();
    gloss__buf_free(&text);
    return done_testing();
}
