/*
 * test_doc.c - the document model: text, meta, layers, spans, labels, and
 * the invariants the engine promises (spans inside the text and on UTF-8
 * character boundaries, layers sorted).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "doc_internal.h"
#include "gloss/doc.h"
#include "tap.h"

static const char *TEXT = "Róża Thun met Dulat Agadil in Almaty.";

static void test_basics(void)
{
    gloss_doc *doc = gloss_doc_new("d1", "test", TEXT, strlen(TEXT));
    ok(doc != NULL, "a document is created");
    is_str(gloss_doc_id(doc), "d1", "it keeps its id");
    is_str(gloss_doc_source(doc), "test", "and its source");
    size_t len;
    const char *t = gloss_doc_text(doc, &len);
    ok(len == strlen(TEXT) && memcmp(t, TEXT, len) == 0 && t[len] == '\0',
       "its text is a NUL-terminated copy");
    ok(t != TEXT, "the text is copied, not borrowed");

    gloss_doc *anon = gloss_doc_new(NULL, NULL, NULL, 0);
    is_str(gloss_doc_id(anon), "", "a NULL id becomes the empty string");
    gloss_doc_text(anon, &len);
    is_int(len, 0, "an empty document has no text");
    gloss_doc_destroy(&anon);
    ok(anon == NULL, "destroy nulls the caller's pointer");
    gloss_doc_destroy(&anon); /* a second destroy is harmless */

    gloss_doc_destroy(&doc);
}

static void test_spans(void)
{
    gloss_doc *doc = gloss_doc_new("d2", "test", TEXT, strlen(TEXT));
    gloss_layer *ents = gloss_doc_layer(doc, "entities", 1);
    ok(ents != NULL, "a layer is created on demand");
    ok(gloss_doc_layer(doc, "entities", 0) == ents, "and found again by name");
    ok(gloss_doc_layer(doc, "nothing", 0) == NULL,
       "an absent layer is not created without asking");

    /* "Róża" is 6 bytes: R, ó (2), ż (2), a. */
    const char *almaty = strstr(TEXT, "Almaty");
    size_t a0 = (size_t)(almaty - TEXT);
    gloss_span *loc = gloss_layer_add(ents, a0, a0 + 6, "LOC");
    gloss_span *per = gloss_layer_add(ents, 0, 11, "PER");
    gloss_span *per2 = gloss_layer_add(ents, 16, 28, "PER");
    ok(loc && per && per2, "spans are added out of order");
    is_int(gloss_layer_size(ents), 3, "the layer holds three spans");
    ok(gloss_layer_span(ents, 0) == per && gloss_layer_span(ents, 1) == per2 &&
           gloss_layer_span(ents, 2) == loc,
       "the layer reads back sorted by start");
    ok(per->label == gloss_doc_intern(doc, "PER", 3),
       "labels are interned: equal labels share one pointer");

    errno = 0;
    ok(gloss_layer_add(ents, 2, 4, "X") == NULL && errno == EINVAL,
       "a span starting inside a UTF-8 character is refused");
    errno = 0;
    ok(gloss_layer_add(ents, 0, 2, "X") == NULL && errno == EINVAL,
       "a span ending inside a UTF-8 character is refused");
    errno = 0;
    ok(gloss_layer_add(ents, 5, strlen(TEXT) + 1, "X") == NULL && errno == EINVAL,
       "a span past the end of the text is refused");
    errno = 0;
    ok(gloss_layer_add(ents, 9, 5, "X") == NULL && errno == EINVAL,
       "a span ending before it starts is refused");
    ok(gloss_layer_add(ents, strlen(TEXT), strlen(TEXT), NULL) != NULL,
       "an empty span at the very end is allowed");
    is_int(gloss_layer_size(ents), 4, "refused spans left the layer unchanged");

    /* Nested spans: the enclosing one sorts first. */
    gloss_layer *sec = gloss_doc_layer(doc, "sections", 1);
    gloss_span *inner = gloss_layer_add(sec, 0, 11, "name");
    gloss_span *outer = gloss_layer_add(sec, 0, strlen(TEXT), "sentence");
    ok(gloss_layer_span(sec, 0) == outer && gloss_layer_span(sec, 1) == inner,
       "an enclosing span sorts before what it encloses");

    ok(gloss_layer_remove(ents, per2) == 0, "a span is removed");
    ok(gloss_layer_remove(ents, per2) == -1, "removing it twice fails");
    ok(gloss_layer_remove(sec, per) == -1,
       "a span cannot be removed from a layer it is not in");
    is_int(gloss_layer_size(ents), 3, "the layer shrinks by one");
    ok(gloss_layer_span(ents, 1) == loc, "later spans move up");

    char err[256];
    ok(gloss_doc_check(doc, err, sizeof err) == 0, "the document's invariants hold");

    ok(gloss_doc_set_text(doc, "x", 1) == -1 && errno == EBUSY,
       "the text cannot be replaced under existing spans");

    gloss_doc_destroy(&doc);
}

static void test_many_spans(void)
{
    /* Adding spans backwards must stay fast and end up sorted. */
    enum { N = 200000 };
    char *text = malloc(N);
    memset(text, 'a', N);
    gloss_doc *doc = gloss_doc_new("big", "test", text, N);
    free(text);
    gloss_layer *tok = gloss_doc_layer(doc, "tokens", 1);
    int added = 1;
    for (size_t i = N; i-- > 0;)
        added &= gloss_layer_add(tok, i, i + 1, "t") != NULL;
    ok(added, "200000 spans are added in reverse order");
    int sorted = 1;
    for (size_t i = 0; i < N; i++)
        sorted &= gloss_layer_span(tok, i)->start == i;
    ok(sorted, "and read back in text order");
    for (size_t i = 0; i < N; i += 2)
        gloss_layer_remove(tok, gloss_layer_span(tok, i));
    /* gloss_layer_span compacts, so the loop above removes every other span
     * of a shrinking layer: check the count, then the order. */
    size_t n = gloss_layer_size(tok);
    ok(n > 0 && n < N, "removals shrink the layer (%zu left)", n);
    char err[256];
    ok(gloss_doc_check(doc, err, sizeof err) == 0, "the layer is still sorted");
    gloss_doc_destroy(&doc);
}

static void test_attrs_labels(void)
{
    gloss_doc *doc = gloss_doc_new("d3", "test", TEXT, strlen(TEXT));
    gloss_layer *tok = gloss_doc_layer(doc, "tokens", 1);
    gloss_span *s = gloss_layer_add(tok, 0, 6, NULL);
    ok(s->label == NULL, "a span may have no label");
    gloss_span_set_string(doc, s, "upos", "PROPN");
    gloss_span_set_number(doc, s, "score", 0.75);
    gloss_span_set_bool(doc, s, "oov", 1);
    gloss_span_set_string(doc, s, "upos", "NOUN");
    is_int(gloss_span_attr_count(s), 3, "setting a key twice replaces it");
    const gloss_value *v = gloss_span_get(s, "upos");
    ok(v && v->type == GLOSS_VALUE_STRING, "a string attribute reads back");
    is_str(v ? v->as.string.ptr : NULL, "NOUN", "with its latest value");
    v = gloss_span_get(s, "score");
    ok(v && v->type == GLOSS_VALUE_NUMBER && v->as.number == 0.75,
       "a number attribute reads back");
    ok(gloss_span_get(s, "absent") == NULL, "an absent attribute is NULL");
    for (int i = 0; i < 40; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        gloss_span_set_number(doc, s, key, i);
    }
    v = gloss_span_get(s, "k39");
    ok(gloss_span_attr_count(s) == 43 && v && v->as.number == 39,
       "a span holds many attributes");
    v = gloss_span_get(s, "upos");
    is_str(v ? v->as.string.ptr : NULL, "NOUN", "earlier attributes survive growth");

    gloss_doc_set_label(doc, "topic", "torture", 0.92);
    gloss_doc_set_label(doc, "topic", "elections", 0.4);
    gloss_doc_set_label(doc, "topic", "torture", 0.95);
    const gloss_labels *labels = gloss_doc_labels(doc);
    is_int(gloss_labels_count(labels), 2, "a label set twice is kept once");
    double score = 0;
    ok(gloss_labels_get(labels, "topic", "torture", &score) == 0 && score == 0.95,
       "with its latest score");
    ok(gloss_labels_get(labels, "topic", "sanctions", &score) == -1,
       "an absent label is reported absent");
    ok(gloss_span_labels(s) == NULL, "a span has no labels until given some");
    gloss_span_set_label_score(doc, s, "topic", "elections", 0.5);
    const char *g, *n;
    ok(gloss_labels_at(gloss_span_labels(s), 0, &g, &n, &score) == 0 &&
           strcmp(g, "topic") == 0 && strcmp(n, "elections") == 0 && score == 0.5,
       "a section label reads back");

    gloss_doc_add_error(doc, "watch", "bad term %d", 3);
    const char *stage, *msg;
    ok(gloss_doc_error_count(doc) == 1 &&
           gloss_doc_error_at(doc, 0, &stage, &msg) == 0 &&
           strcmp(stage, "watch") == 0 && strcmp(msg, "bad term 3") == 0,
       "stage errors travel with the document");
    gloss_doc_add_timing(doc, "normalize", 1234);
    uint64_t ns;
    ok(gloss_doc_timing_at(doc, 0, &stage, &ns) == 0 && ns == 1234,
       "stage timings travel with the document");
    ok(gloss_doc_dropped(doc) == NULL, "a document is not dropped by default");
    gloss_doc_drop(doc, "duplicate");
    gloss_doc_drop(doc, "second reason");
    is_str(gloss_doc_dropped(doc), "duplicate", "the first drop reason is kept");
    gloss_doc_destroy(&doc);
}

/* gloss__span_set_strings() (the match stage's way of setting a span's
 * attributes at once) leaves a span as the same gloss_span_set_string()
 * calls one after the other would: same keys in the same order, a key
 * given twice with its last value, and a list that later calls can grow. */
static void test_set_strings(void)
{
    gloss_doc *doc = gloss_doc_new("d5", "test", TEXT, strlen(TEXT));
    gloss_layer *l = gloss_doc_layer(doc, "e", 1);
    int same = 1;
    for (size_t n = 1; n <= 9; n++) {
        const char *keys[10], *values[10];
        size_t lens[10];
        char names[10][8], vals[10][8];
        for (size_t i = 0; i < n; i++) {
            /* Key k1 comes back as the last one when there are four. */
            snprintf(names[i], sizeof names[i], "k%zu", i == 3 ? 1 : i);
            snprintf(vals[i], sizeof vals[i], "v%zu", i);
            keys[i] = gloss_doc_intern(doc, names[i], strlen(names[i]));
            values[i] = vals[i];
            lens[i] = strlen(vals[i]);
        }
        for (int had = 0; had < 2; had++) {
            gloss_span *a = gloss_layer_add(l, 0, 6, "A"),
                       *b = gloss_layer_add(l, 0, 6, "B");
            if (!a || !b) {
                same = 0;
                break;
            }
            if (had) {
                gloss_span_set_string(doc, a, "k0", "first");
                gloss_span_set_string(doc, b, "k0", "first");
            }
            for (size_t i = 0; i < n; i++)
                gloss_span_set_string(doc, a, names[i], vals[i]);
            same &= gloss__span_set_strings(doc, b, n, keys, values, lens) == 0;
            /* Both grow afterwards as a span does. */
            for (int k = 0; k < 20; k++) {
                char key[16];
                snprintf(key, sizeof key, "x%d", k);
                gloss_span_set_number(doc, a, key, k);
                gloss_span_set_number(doc, b, key, k);
            }
            size_t na = gloss_span_attr_count(a);
            same &= na == gloss_span_attr_count(b);
            for (size_t i = 0; i < na && same; i++) {
                const gloss_attr *aa = gloss_span_attr_at(a, i),
                                 *ab = gloss_span_attr_at(b, i);
                const gloss_value *va = &aa->value, *vb = &ab->value;
                same &= strcmp(aa->key, ab->key) == 0 && va->type == vb->type &&
                        (va->type == GLOSS_VALUE_STRING
                             ? strcmp(va->as.string.ptr, vb->as.string.ptr) == 0
                             : va->as.number == vb->as.number);
            }
        }
    }
    ok(same, "attributes set at once are those set one by one, in order, "
             "a repeated key with its last value, and the list still grows");
    gloss_doc_destroy(&doc);
}

static void test_meta_text(void)
{
    gloss_doc *doc = gloss_doc_new("d4", "test", "abc", 3);
    char *all = gloss_doc_meta_json(doc, NULL);
    is_str(all, "{}", "meta starts as an empty object");
    free(all);
    gloss_doc_meta_set_string(doc, "lang", "en");
    gloss_doc_meta_set_number(doc, "pages", 5);
    ok(gloss_doc_meta_set_json(doc, "tags", "[\"a\", {\"b\": 1}]") == 0,
       "a JSON value is stored in meta");
    ok(gloss_doc_meta_set_json(doc, "bad", "[1,") == -1,
       "malformed JSON is refused");
    is_str(gloss_doc_meta_string(doc, "lang"), "en", "a string reads back");
    double pages = 0;
    ok(gloss_doc_meta_number(doc, "pages", &pages) == 0 && pages == 5,
       "a number reads back");
    ok(gloss_doc_meta_string(doc, "pages") == NULL,
       "a number is not returned as a string");
    char *tags = gloss_doc_meta_json(doc, "tags");
    is_str(tags, "[\"a\",{\"b\":1}]", "a JSON value reads back as JSON");
    free(tags);
    gloss_doc_meta_remove(doc, "lang");
    ok(gloss_doc_meta_string(doc, "lang") == NULL, "a key is removed");

    const char *before = gloss_doc_text(doc, NULL);
    ok(gloss_doc_set_text(doc, "abcd", 4) == 0, "text is replaced while no span exists");
    size_t len, olen;
    is_str(gloss_doc_text(doc, &len), "abcd", "the new text is current");
    ok(gloss_doc_original(doc, &olen) == before && olen == 3,
       "the original text stays available");
    gloss_doc_destroy(&doc);

    /* Bytes that are not UTF-8 are accepted at creation (normalize
     * decides what to do with them); spans still respect boundaries. */
    const char bad[] = "a\xff\x80z";
    doc = gloss_doc_new("d5", "test", bad, 4);
    gloss_layer *l = gloss_doc_layer(doc, "x", 1);
    ok(gloss_layer_add(l, 1, 3, NULL) != NULL,
       "a span may start on an invalid lead byte");
    ok(gloss_layer_add(l, 2, 3, NULL) == NULL,
       "but never on a continuation byte");
    gloss_doc_destroy(&doc);
}

/* The tokenizer's bulk add: the same spans as one gloss_layer_add each,
 * and nothing added when one bound is wrong. */
static void test_add_ranges(void)
{
    gloss_doc *doc = gloss_doc_new("r", "test", "ab \xC3\xA9t\xC3\xA9 cd", 11);
    gloss_layer *l = gloss_doc_layer(doc, "tokens", 1);
    uint32_t good[][3] = {{0, 2, 7}, {3, 8, 7}, {9, 11, 7}, {0, 11, 7}};
    ok(gloss__layer_add_ranges(l, good, 4, sizeof good[0]) == 0,
       "four ranges are added at once");
    const gloss_span *s0 = gloss_layer_span(l, 0), *s1 = gloss_layer_span(l, 1);
    ok(gloss_layer_size(l) == 4 && s0->start == 0 && s0->end == 11 &&
           s1->start == 0 && s1->end == 2 && !s1->label,
       "and read back sorted, enclosing span first, unlabelled");
    uint32_t bad[][2] = {{0, 2}, {4, 5}};
    errno = 0;
    ok(gloss__layer_add_ranges(l, bad, 2, sizeof bad[0]) < 0 && errno == EINVAL &&
           gloss_layer_size(l) == 4,
       "a bound inside a character is refused and nothing is added");
    uint32_t past[][2] = {{9, 12}};
    ok(gloss__layer_add_ranges(l, past, 1, sizeof past[0]) < 0 &&
           gloss_layer_size(l) == 4,
       "a bound past the end is refused");
    char err[256];
    ok(gloss_doc_check(doc, err, sizeof err) == 0, "the document still checks");
    gloss_doc_destroy(&doc);

    /* Offset 0 is a boundary whatever byte is there, even a continuation
     * byte (a text not yet normalised), but only offset 0 is. */
    doc = gloss_doc_new("r", "test", "\x80" "a\x80" "b", 4);
    l = gloss_doc_layer(doc, "tokens", 1);
    uint32_t lead[][2] = {{0, 1}, {0, 4}};
    ok(gloss__layer_add_ranges(l, lead, 2, sizeof lead[0]) == 0 &&
           gloss_layer_size(l) == 2,
       "a range may start at offset 0 on a continuation byte");
    uint32_t mid[][2] = {{0, 1}, {2, 4}};
    ok(gloss__layer_add_ranges(l, mid, 2, sizeof mid[0]) < 0 &&
           gloss_layer_size(l) == 2,
       "but not at a continuation byte further on");
    gloss_doc_destroy(&doc);
}

/* What segment asks before it reads the text: whether it is valid UTF-8,
 * remembered once normalize has said so, and forgotten when the text is
 * replaced, so that no stage in between can slip ill-formed bytes past. */
static void test_text_utf8(void)
{
    gloss_doc *doc = gloss_doc_new("u", "test", "caf\xC3\xA9", 5);
    ok(gloss__doc_text_utf8(doc), "a valid text is found valid");
    ok(gloss_doc_set_text(doc, "caf\xC3", 4) == 0 && !gloss__doc_text_utf8(doc),
       "a text replaced by one cut inside a character is not");
    gloss__doc_set_text_utf8(doc); /* as normalize would, wrongly here */
    ok(gloss_doc_set_text(doc, "\xFF", 1) == 0 && !gloss__doc_text_utf8(doc),
       "replacing the text forgets what was said of the one before");
    gloss_doc_destroy(&doc);
}

int main(void)
{
    test_basics();
    test_spans();
    test_many_spans();
    test_add_ranges();
    test_attrs_labels();
    test_set_strings();
    test_meta_text();
    test_text_utf8();
    return done_testing();
}
