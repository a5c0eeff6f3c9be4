/*
 * test_json.c - the JSON output of a document (lib/json_out.c,
 * docs/schema.md).
 *
 * Every document is written, then read back with jansson, which refuses
 * invalid JSON and invalid UTF-8; offsets are checked the way a consumer
 * uses them, by slicing the "text" member in code points as Python does.
 */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gloss/doc.h"
#include "json_out.h"
#include "tap.h"

static const gloss__json_opts DEFAULTS = {GLOSS__OFFSETS_CODEPOINTS, 1, 0, 0, 0};

/* Writes doc as JSON into a string the caller frees. */
static char *to_json(gloss_doc *doc, const gloss__json_opts *opts)
{
    gloss__buf out = GLOSS__BUF_INIT;
    if (gloss__doc_to_json(doc, opts, &out) < 0) {
        gloss__buf_free(&out);
        return NULL;
    }
    return gloss__buf_steal(&out, NULL);
}

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *v = text ? json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e) : NULL;
    if (!v && text)
        diag("JSON error: %s at %d:%d in %s", e.text, e.line, e.column, text);
    return v;
}

/* Copies the code points [start, end) of the UTF-8 string s, the way
 * Python's s[start:end] reads the output. */
static char *cp_slice(const char *s, size_t start, size_t end)
{
    size_t i = 0, cp = 0, from = 0;
    size_t n = strlen(s);
    while (i < n && cp < end) {
        if (cp == start)
            from = i;
        i++;
        while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        cp++;
    }
    if (cp == start)
        from = i;
    char *out = malloc(i - from + 1);
    memcpy(out, s + from, i - from);
    out[i - from] = '\0';
    return out;
}

static json_t *span_at(json_t *doc, const char *layer, size_t i)
{
    return json_array_get(json_object_get(json_object_get(doc, "layers"), layer), i);
}

static long long member_int(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

/* Checks that span i of layer reads back as want when sliced from text. */
static void check_slice(json_t *doc, const char *layer, size_t i, const char *want)
{
    json_t *span = span_at(doc, layer, i);
    const char *text = json_string_value(json_object_get(doc, "text"));
    if (!span || !text) {
        ok(0, "%s[%zu] exists and slices to '%s'", layer, i, want);
        return;
    }
    char *got = cp_slice(text, (size_t)member_int(span, "start"),
                         (size_t)member_int(span, "end"));
    is_str(got, want, "%s[%zu] slices to the expected text", layer, i);
    free(got);
}

static size_t byte_of(const char *text, const char *needle)
{
    return (size_t)(strstr(text, needle) - text);
}

static void add(gloss_layer *layer, const char *text, const char *needle,
                const char *label)
{
    size_t at = byte_of(text, needle);
    gloss_layer_add(layer, at, at + strlen(needle), label);
}

static void test_codepoint_offsets(void)
{
    const char *text = "Café “Zoë” 😀 met Łukasz.";
    gloss_doc *doc = gloss_doc_new("d1", "test", text, strlen(text));
    gloss_layer *ents = gloss_doc_layer(doc, "entities", 1);
    add(ents, text, "Łukasz", "PER");
    add(ents, text, "Café", NULL);
    add(ents, text, "“Zoë”", "QUOTE");
    add(ents, text, "😀", "EMOJI");
    char *json = to_json(doc, &DEFAULTS);
    json_t *v = parse(json);
    ok(v != NULL, "a document with non-ASCII text is valid JSON");
    is_int(json_integer_value(json_object_get(v, "schema")), GLOSS_SCHEMA_VERSION,
           "the schema version is written");
    is_str(json_string_value(json_object_get(v, "id")), "d1", "the id is written");
    is_str(json_string_value(json_object_get(v, "source")), "test",
           "the source is written");
    is_str(json_string_value(json_object_get(v, "offsets")), "codepoints",
           "offsets are code points by default");
    is_str(json_string_value(json_object_get(v, "text")), text,
           "the text comes back unchanged");
    is_int(member_int(span_at(v, "entities", 0), "start"), 0, "Café starts at 0");
    is_int(member_int(span_at(v, "entities", 0), "end"), 4,
           "and ends at 4: é counts as one");
    is_int(member_int(span_at(v, "entities", 1), "start"), 5,
           "the quote starts at code point 5");
    is_int(member_int(span_at(v, "entities", 2), "end"), 12,
           "the astral emoji counts as one code point");
    check_slice(v, "entities", 0, "Café");
    check_slice(v, "entities", 1, "“Zoë”");
    check_slice(v, "entities", 2, "😀");
    check_slice(v, "entities", 3, "Łukasz");
    ok(json_object_get(span_at(v, "entities", 0), "label") == NULL,
       "a span without a label has no label member");
    ok(json_object_get(span_at(v, "entities", 0), "attrs") == NULL &&
           json_object_get(span_at(v, "entities", 0), "labels") == NULL,
       "nor attrs nor labels members when it has none");
    is_str(json_string_value(json_object_get(span_at(v, "entities", 3), "label")),
           "PER", "labels are written");
    ok(json_object_get(v, "original") == NULL && json_object_get(v, "timings") == NULL &&
           json_object_get(v, "dropped") == NULL,
       "original, timings and dropped are absent when not asked for or not set");
    json_decref(v);
    free(json);

    gloss__json_opts bytes = DEFAULTS;
    bytes.offsets = GLOSS__OFFSETS_BYTES;
    json = to_json(doc, &bytes);
    v = parse(json);
    is_str(json_string_value(json_object_get(v, "offsets")), "bytes",
           "the bytes option is announced in the output");
    is_int(member_int(span_at(v, "entities", 3), "start"),
           (long long)byte_of(text, "Łukasz"), "and offsets are then bytes");
    is_int(member_int(span_at(v, "entities", 0), "end"), 5,
           "Café is 5 bytes long");
    json_decref(v);
    free(json);
    gloss_doc_destroy(&doc);
}

/* Offsets computed by the cursor must match a plain count from the start,
 * whatever order the spans ask for them in. */
static void test_cursor_against_count(int with_invalid)
{
    /* Every character kind: ASCII, 2-, 3- and 4-byte sequences, long
     * ASCII words, and (when asked) ill-formed bytes that each count as one
     * U+FFFD. */
    static const char *pieces[] = {"a", "é", "€", "😀", " ", "Kazakhstan's", "\n",
                                   "\xFF", "\xC3(", "\x80", "\xE2\x82",
                                   "\xF0\x9F\x98", "\xED\xA0\x80"};
    const int npieces = with_invalid ? 13 : 7;
    char text[4096];
    size_t len = 0, starts[2048], nstarts = 0;
    srand(7);
    while (len < sizeof text - 8) {
        const char *p = pieces[rand() % npieces];
        starts[nstarts++] = len;
        memcpy(text + len, p, strlen(p));
        len += strlen(p);
    }
    starts[nstarts++] = len;
    gloss_doc *doc = gloss_doc_new("c", "", text, len);
    gloss_layer *nested = gloss_doc_layer(doc, "nested", 1);
    gloss_layer *words = gloss_doc_layer(doc, "words", 1);
    /* Keep only boundaries the document accepts: a byte that is not a
     * continuation byte. */
    size_t bounds[2048], nb = 0;
    for (size_t i = 0; i < nstarts; i++)
        if (starts[i] == len || ((unsigned char)text[starts[i]] & 0xC0) != 0x80)
            bounds[nb++] = starts[i];
    for (size_t k = 0; k < 400; k++) {
        size_t a = bounds[rand() % nb], b = bounds[rand() % nb];
        gloss_layer_add(nested, a < b ? a : b, a < b ? b : a, NULL);
    }
    gloss_layer_add(nested, 0, len, "all");
    for (size_t i = 0; i + 1 < nb; i += 3)
        gloss_layer_add(words, bounds[i], bounds[i + 1], NULL);
    char *json = to_json(doc, &DEFAULTS);
    json_t *v = parse(json);
    const char *out_text = json_string_value(json_object_get(v, "text"));
    if (with_invalid) {
        ok(v != NULL, "text full of ill-formed UTF-8 still gives valid JSON");
        ok(out_text && strstr(out_text, "\xEF\xBF\xBD") != NULL,
           "ill-formed sequences are written as U+FFFD");
    } else {
        ok(out_text && strlen(out_text) == len, "valid text is written as it is");
    }
    json_t *vb = NULL;
    char *jb = NULL;
    if (with_invalid) {
        gloss__json_opts bytes = DEFAULTS;
        bytes.offsets = GLOSS__OFFSETS_BYTES;
        jb = to_json(doc, &bytes);
        vb = parse(jb);
    }
    int bad = 0, bad_bytes = 0;
    for (int l = 0; l < 2; l++) {
        gloss_layer *layer = l ? words : nested;
        size_t n = gloss_layer_size(layer);
        for (size_t i = 0; i < n && !bad && !bad_bytes; i++) {
            const gloss_span *s = gloss_layer_span(layer, i);
            json_t *js = span_at(v, gloss_layer_name(layer), i);
            /* The reference: write the text before each edge on its own,
             * read it back, and count its code points and bytes. */
            size_t want[2] = {0, 0}, want_bytes[2] = {0, 0};
            uint32_t edges[2] = {s->start, s->end};
            for (int e = 0; e < 2; e++) {
                gloss__buf one = GLOSS__BUF_INIT;
                gloss__json_string(&one, text, edges[e]);
                json_t *str = parse(one.data);
                const char *t = json_string_value(str);
                size_t cps = 0;
                for (size_t k = 0; t[k]; k++)
                    cps += ((unsigned char)t[k] & 0xC0) != 0x80;
                want[e] = cps;
                want_bytes[e] = strlen(t);
                json_decref(str);
                gloss__buf_free(&one);
            }
            if (member_int(js, "start") != (long long)want[0] ||
                member_int(js, "end") != (long long)want[1]) {
                diag("layer %s span %zu: [%u,%u) bytes gave [%lld,%lld), "
                     "expected [%zu,%zu)",
                     gloss_layer_name(layer), i, s->start, s->end,
                     member_int(js, "start"), member_int(js, "end"), want[0],
                     want[1]);
                bad = 1;
            }
            json_t *jsb = vb ? span_at(vb, gloss_layer_name(layer), i) : NULL;
            if (jsb && (member_int(jsb, "start") != (long long)want_bytes[0] ||
                        member_int(jsb, "end") != (long long)want_bytes[1])) {
                diag("layer %s span %zu: byte offsets [%lld,%lld), expected "
                     "[%zu,%zu)",
                     gloss_layer_name(layer), i, member_int(jsb, "start"),
                     member_int(jsb, "end"), want_bytes[0], want_bytes[1]);
                bad_bytes = 1;
            }
        }
    }
    ok(!bad, "every offset equals the code points of the written text before it "
             "(%s text)", with_invalid ? "damaged" : "valid");
    if (with_invalid)
        ok(vb && !bad_bytes, "byte offsets equal the bytes of the written text "
                             "before them (damaged text)");
    json_decref(vb);
    free(jb);
    json_decref(v);
    free(json);
    gloss_doc_destroy(&doc);
}

static void test_invalid_utf8(void)
{
    /* C3 then '(': a truncated sequence; ED A0 80: a surrogate (three
     * subparts); FF: never valid. */
    const char text[] = "ab\xC3(cd \xED\xA0\x80 Zoë \xFF end";
    size_t len = sizeof text - 1;
    gloss_doc *doc = gloss_doc_new("bad", "", text, len);
    gloss_layer *words = gloss_doc_layer(doc, "words", 1);
    size_t zoe = byte_of(text, "Zoë"), end = byte_of(text, "end");
    gloss_layer_add(words, zoe, zoe + 4, NULL);
    gloss_layer_add(words, end, end + 3, NULL);
    gloss_layer_add(words, 0, 5, NULL);
    char *json = to_json(doc, &DEFAULTS);
    json_t *v = parse(json);
    ok(v != NULL, "a text with invalid UTF-8 is written as valid JSON");
    is_str(json_string_value(json_object_get(v, "text")),
           "ab\xEF\xBF\xBD(cd \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD Zoë \xEF\xBF\xBD end",
           "each maximal ill-formed subpart becomes one U+FFFD");
    check_slice(v, "words", 0, "ab\xEF\xBF\xBD(c");
    check_slice(v, "words", 1, "Zoë");
    check_slice(v, "words", 2, "end");
    json_decref(v);
    free(json);

    gloss__json_opts bytes = DEFAULTS;
    bytes.offsets = GLOSS__OFFSETS_BYTES;
    json = to_json(doc, &bytes);
    v = parse(json);
    const char *written = json_string_value(json_object_get(v, "text"));
    json_t *zspan = span_at(v, "words", 1);
    long long zs = member_int(zspan, "start"), ze = member_int(zspan, "end");
    ok(written && zs >= 0 && ze - zs == 4 && (size_t)ze <= strlen(written) &&
           memcmp(written + zs, "Zoë", 4) == 0,
       "byte offsets index the UTF-8 of the repaired text as written");
    json_decref(v);
    free(json);

    gloss__json_opts no_text = DEFAULTS;
    no_text.text = 0;
    json = to_json(doc, &no_text);
    v = parse(json);
    ok(v && json_object_get(v, "text") == NULL, "text can be left out");
    is_int(member_int(span_at(v, "words", 1), "start"), 11,
           "offsets stay in code points of the repaired text without it");
    json_decref(v);
    free(json);
    gloss_doc_destroy(&doc);
}

static void test_escaping(void)
{
    const char text[] = "q\"b\\n\nt\tr\rf\fb\bc\x01u\x1f"
                        "del\x7f ls\xE2\x80\xA8ps\xE2\x80\xA9/";
    gloss__buf out = GLOSS__BUF_INIT;
    gloss__json_string(&out, text, sizeof text - 1);
    is_str(out.data,
           "\"q\\\"b\\\\n\\nt\\tr\\rf\\fb\\bc\\u0001u\\u001f"
           "del\x7f ls\\u2028ps\\u2029/\"",
           "quotes, backslashes, controls and U+2028/U+2029 are escaped; the rest "
           "is raw");
    json_t *s = parse(out.data);
    ok(s && json_string_length(s) == sizeof text - 1 &&
           memcmp(json_string_value(s), text, sizeof text - 1) == 0,
       "the escaped string reads back as the original bytes");
    json_decref(s);

    gloss__buf_clear(&out);
    const char nul[] = {'a', '\0', 'b'};
    gloss__json_string(&out, nul, 3);
    is_str(out.data, "\"a\\u0000b\"", "a NUL byte is escaped, not a terminator");
    gloss__buf_clear(&out);
    /* Long runs go through the eight-bytes-at-a-time path. */
    const char *long_text = "The European Parliament, having regard to Rule 144 \"x\"";
    gloss__json_string(&out, long_text, strlen(long_text));
    is_str(out.data,
           "\"The European Parliament, having regard to Rule 144 \\\"x\\\"\"",
           "a quote after a long plain run is still escaped");
    gloss__buf_free(&out);
}

static void test_everything_else(void)
{
    const char *text = "Dulat Agadil died in custody.";
    gloss_doc *doc = gloss_doc_new("d2", "news/1.txt", text, strlen(text));
    gloss_doc_meta_set_string(doc, "title", "Résumé \"x\"");
    gloss_doc_meta_set_number(doc, "pages", 3);
    gloss_doc_meta_set_number(doc, "ratio", 0.25);
    gloss_doc_meta_set_json(doc, "authors", "[\"A\", {\"b\": [1, 2.5, null, true]}]");
    gloss_layer *ents = gloss_doc_layer(doc, "entities", 1);
    gloss_doc_layer(doc, "empty", 1);
    gloss_layer *marks = gloss_doc_layer(doc, "marks", 1);
    gloss_span *per = gloss_layer_add(ents, 0, 12, "PER");
    gloss_span_set_string(doc, per, "wikidata", "Q1");
    gloss_span_set_number(doc, per, "score", 0.92);
    gloss_span_set_number(doc, per, "count", 3.0);
    gloss_span_set_number(doc, per, "tiny", 1e-7);
    gloss_span_set_number(doc, per, "nan", NAN);
    gloss_span_set_number(doc, per, "inf", INFINITY);
    gloss_span_set_number(doc, per, "neg", -2.5);
    gloss_span_set_number(doc, per, "big", 1e300);
    gloss_span_set_bool(doc, per, "verified", 1);
    gloss_value null = {.type = GLOSS_VALUE_NULL};
    gloss_span_set(doc, per, "none", &null);
    gloss_span_set_label_score(doc, per, "role", "victim", 0.8);
    gloss_layer_add(marks, 5, 5, "BREAK");
    gloss_doc_set_label(doc, "topic", "torture", 0.92);
    gloss_doc_set_label(doc, "lang", "en", 1);
    gloss_doc_set_label(doc, "topic", "detention", 0.5);
    gloss_doc_add_error(doc, "ner", "model \"x\" missing");
    gloss_doc_add_timing(doc, "normalize", 12345);
    gloss_doc_add_timing(doc, "ner", 99);
    gloss_doc_add_timing(doc, "normalize", 5);
    gloss_doc_drop(doc, "too short");

    gloss__json_opts opts = DEFAULTS;
    opts.timings = 1;
    char *json = to_json(doc, &opts);
    json_t *v = parse(json);
    ok(v != NULL, "a fully annotated document is valid JSON");
    like(json, "\"score\":0.92,", "0.92 is written as the shortest form");
    like(json, "\"count\":3,", "a whole number has no fraction");
    like(json, "\"tiny\":1e-07,", "1e-7 is written in exponent form");
    like(json, "\"nan\":null,\"inf\":null,", "NaN and infinity become null");
    like(json, "\"neg\":-2.5,", "negative numbers keep their sign");
    like(json, "\"big\":1e+300,", "huge numbers stay short");
    like(json, "\"verified\":true,\"none\":null}",
         "booleans and nulls are written, attributes in the order set");
    json_t *span = span_at(v, "entities", 0);
    is_str(json_string_value(json_object_get(json_object_get(span, "attrs"), "wikidata")),
           "Q1", "string attributes are written");
    ok(json_real_value(json_object_get(json_object_get(json_object_get(span, "labels"),
                                                       "role"), "victim")) == 0.8,
       "span labels are grouped by group");
    json_t *labels = json_object_get(v, "labels");
    ok(json_real_value(json_object_get(json_object_get(labels, "topic"), "torture")) == 0.92 &&
           json_real_value(json_object_get(json_object_get(labels, "topic"), "detention")) == 0.5,
       "document labels of one group share one object");
    ok(json_integer_value(json_object_get(json_object_get(labels, "lang"), "en")) == 1,
       "and other groups get their own");
    like(json, "\"labels\":{\"topic\":{\"torture\":0.92,\"detention\":0.5},\"lang\":{\"en\":1}}",
         "groups appear in the order of their first label");
    const char *l1 = strstr(json, "\"entities\":["), *l2 = strstr(json, "\"empty\":["),
               *l3 = strstr(json, "\"marks\":[");
    ok(l1 && l2 && l3 && l1 < l2 && l2 < l3, "layers are in creation order");
    like(json, "\"empty\":[]", "an empty layer is an empty array");
    like(json, "\"marks\":[{\"start\":5,\"end\":5,\"label\":\"BREAK\"}]",
         "an empty span is written with start == end");
    like(json, "\"errors\":[{\"stage\":\"ner\",\"message\":\"model \\\"x\\\" missing\"}]",
         "errors are written with their stage");
    like(json, "\"timings\":{\"normalize\":12350,\"ner\":99}",
         "timings are integers in ns, one per stage");
    like(json, "\"dropped\":\"too short\"}", "the drop reason comes last");
    json_t *meta = json_object_get(v, "meta");
    is_str(json_string_value(json_object_get(meta, "title")), "Résumé \"x\"",
           "meta strings are written");
    like(json, "\"meta\":{\"title\":\"Résumé \\\"x\\\"\",\"pages\":3,\"ratio\":0.25,"
               "\"authors\":[\"A\",{\"b\":[1,2.5,null,true]}]}",
         "meta keeps its order, nesting and the same number rules");

    /* Pretty output: same value, indented, one span per line. */
    gloss__json_opts pretty = opts;
    pretty.pretty = 1;
    char *pjson = to_json(doc, &pretty);
    json_t *pv = parse(pjson);
    ok(pv && json_equal(v, pv), "pretty output parses to the same value as compact");
    like(pjson, "\n    \"entities\": [\n      {\"start\": 0, \"end\": 12, \"label\": \"PER\", "
                "\"attrs\": {\"wikidata\": \"Q1\", ",
         "each span stays on one line, indented under its layer");
    like(pjson, "\n    \"empty\": [],\n", "empty layers stay on one line");
    like(pjson, "\n  \"meta\": {\n    \"title\": ", "meta is indented with the rest");
    ok(pjson && pjson[strlen(pjson) - 1] == '}' && strchr(json, '\n') == NULL,
       "compact output has no newline; pretty output ends with the brace");
    json_decref(pv);
    free(pjson);
    json_decref(v);
    free(json);

    opts.timings = 0;
    json = to_json(doc, &opts);
    ok(json && strstr(json, "\"timings\"") == NULL, "timings only appear when asked for");
    free(json);
    gloss_doc_destroy(&doc);

    gloss_doc *bare = gloss_doc_new(NULL, NULL, "", 0);
    json = to_json(bare, &DEFAULTS);
    is_str(json,
           "{\"schema\":1,\"id\":\"\",\"source\":\"\",\"meta\":{},\"text\":\"\","
           "\"offsets\":\"codepoints\",\"layers\":{},\"labels\":{},\"errors\":[]}",
           "an empty document has every member that is always present");
    free(json);
    gloss__json_opts pretty_bare = DEFAULTS;
    pretty_bare.pretty = 1;
    json = to_json(bare, &pretty_bare);
    is_str(json,
           "{\n  \"schema\": 1,\n  \"id\": \"\",\n  \"source\": \"\",\n  \"meta\": {},\n"
           "  \"text\": \"\",\n  \"offsets\": \"codepoints\",\n  \"layers\": {},\n"
           "  \"labels\": {},\n  \"errors\": []\n}",
           "pretty output of an empty document");
    free(json);
    gloss_doc_destroy(&bare);
}

static void test_original(void)
{
    const char *raw = "Cafe\xCC\x81\r\n";
    gloss_doc *doc = gloss_doc_new("o", "", raw, strlen(raw));
    gloss__json_opts opts = DEFAULTS;
    opts.original = 1;
    char *json = to_json(doc, &opts);
    ok(json && strstr(json, "\"original\"") == NULL &&
           strstr(json, "\"offset_map\"") == NULL,
       "no original member nor offset_map while the text is the original");
    free(json);
    gloss_doc_set_text(doc, "Café\n", strlen("Café\n"));
    json = to_json(doc, &opts);
    like(json, "\"text\":\"Café\\n\",\"original\":\"Cafe\xCC\x81\\r\\n\",",
         "the original follows the text once a stage replaced it");
    free(json);
    opts.original = 0;
    json = to_json(doc, &opts);
    ok(json && strstr(json, "\"original\"") == NULL,
       "and only when asked for");
    free(json);
    gloss_doc_destroy(&doc);
}

/* ---- the offset map ---------------------------------------------------- */

/* A piece of a test document: copied when new is NULL, else old replaced
 * by new ("" on either side: deleted or inserted text). */
typedef struct piece {
    const char *old;
    const char *new;
} piece;

/* A span to check: the first occurrence of needle in the text at or
 * after the first occurrence of at, and what it must map back to. */
typedef struct mapped_span {
    const char *at;
    const char *needle;
    const char *want;
} mapped_span;

/* Builds the original and the replaced text from pieces, with the points a
 * normalising stage would give: one on each side of every replacement. */
static gloss_doc *mapped_doc(const piece *pieces, size_t n)
{
    gloss__buf orig = GLOSS__BUF_INIT, text = GLOSS__BUF_INIT;
    gloss_offset_map_entry map[64];
    size_t nmap = 0;
    for (size_t i = 0; i < n; i++) {
        if (pieces[i].new) {
            map[nmap++] = (gloss_offset_map_entry){text.len, orig.len};
            gloss__buf_adds(&orig, pieces[i].old);
            gloss__buf_adds(&text, pieces[i].new);
            map[nmap++] = (gloss_offset_map_entry){text.len, orig.len};
        } else {
            gloss__buf_adds(&orig, pieces[i].old);
            gloss__buf_adds(&text, pieces[i].old);
        }
    }
    gloss_doc *doc = gloss_doc_new("m", "", orig.data, orig.len);
    if (gloss_doc_set_text_mapped(doc, text.data, text.len, map, nmap) < 0)
        gloss_doc_destroy(&doc);
    gloss__buf_free(&orig);
    gloss__buf_free(&text);
    return doc;
}

/*
 * The rule of docs/schema.md, applied to the JSON: offset x of "text" as
 * an offset of "original", for the start of a span (the last point at or
 * before x) or for its end (the first point at x, else the last before).
 */
static long long map_back(json_t *map, long long x, int is_end)
{
    size_t n = json_array_size(map), i = 0;
    if (is_end) {
        size_t k = 0;
        while (k < n && json_integer_value(json_array_get(json_array_get(map, k), 0)) < x)
            k++;
        if (k < n && json_integer_value(json_array_get(json_array_get(map, k), 0)) == x)
            return json_integer_value(json_array_get(json_array_get(map, k), 1));
        i = k ? k - 1 : 0;
    } else {
        while (i + 1 < n &&
               json_integer_value(json_array_get(json_array_get(map, i + 1), 0)) <= x)
            i++;
    }
    long long t = json_integer_value(json_array_get(json_array_get(map, i), 0));
    long long o = json_integer_value(json_array_get(json_array_get(map, i), 1));
    long long d = x - t;
    if (i + 1 < n) {
        long long o2 = json_integer_value(json_array_get(json_array_get(map, i + 1), 1));
        if (d > o2 - o)
            d = o2 - o;
    }
    return o + d;
}

/* Checks the map's shape: pairs of integers, both columns in order, from
 * [0, 0] to the lengths of the two strings in the output's unit. */
static int map_well_formed(json_t *map, long long text_len, long long orig_len)
{
    size_t n = json_array_size(map);
    long long pt = 0, po = 0;
    if (n < 2)
        return 0;
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_array_get(map, i);
        json_t *t = json_array_get(p, 0), *o = json_array_get(p, 1);
        if (json_array_size(p) != 2 || !json_is_integer(t) || !json_is_integer(o))
            return 0;
        if (json_integer_value(t) < pt || json_integer_value(o) < po)
            return 0;
        if (i == 0 && (json_integer_value(t) != 0 || json_integer_value(o) != 0))
            return 0;
        pt = json_integer_value(t);
        po = json_integer_value(o);
    }
    return pt == text_len && po == orig_len;
}

/* s with line ends escaped, for a test's one-line description. */
static const char *shown(const char *s, char *buf, size_t size)
{
    size_t k = 0;
    for (; *s && k + 3 < size; s++) {
        if (*s == '\n' || *s == '\r') {
            buf[k++] = '\\';
            buf[k++] = *s == '\n' ? 'n' : 'r';
        } else {
            buf[k++] = *s;
        }
    }
    buf[k] = '\0';
    return buf;
}

/* Copies the bytes [start, end) of s (empty when the range is not one),
 * the way Python slices the encoded text. */
static char *byte_slice(const char *s, long long start, long long end)
{
    size_t n = start >= 0 && end > start ? (size_t)(end - start) : 0;
    char *out = malloc(n + 1);
    if (n)
        memcpy(out, s + start, n);
    out[n] = '\0';
    return out;
}

static size_t cp_length(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += ((unsigned char)s[i] & 0xC0) != 0x80;
    return count;
}

/*
 * Writes doc with its original in both units and checks that every span
 * (labelled with its index into spans) maps back, by the documented rule
 * applied to "offset_map", to exactly the expected piece of "original",
 * which also agrees with the engine's own translation in bytes.
 */
static void check_map_back(gloss_doc *doc, const mapped_span *spans, size_t n,
                           const char *what)
{
    const char *units[] = {"code points", "bytes"};
    for (int u = 0; u < 2; u++) {
        gloss__json_opts opts = DEFAULTS;
        opts.original = 1;
        opts.offsets = u ? GLOSS__OFFSETS_BYTES : GLOSS__OFFSETS_CODEPOINTS;
        opts.pretty = u; /* the pretty form holds the same map */
        char *json = to_json(doc, &opts);
        json_t *v = parse(json);
        json_t *map = json_object_get(v, "offset_map");
        json_t *text_v = json_object_get(v, "text"), *orig_v = json_object_get(v, "original");
        const char *text = json_string_value(text_v), *orig = json_string_value(orig_v);
        size_t tn = json_string_length(text_v), on = json_string_length(orig_v);
        long long tlen = u ? (long long)tn : (long long)cp_length(text, tn);
        long long olen = u ? (long long)on : (long long)cp_length(orig, on);
        ok(v && text && orig && map_well_formed(map, tlen, olen),
           "%s (%s): offset_map runs in order from [0, 0] to the two lengths",
           what, units[u]);
        json_t *layer = json_object_get(json_object_get(v, "layers"), "spans");
        for (size_t i = 0; i < json_array_size(layer); i++) {
            json_t *span = json_array_get(layer, i);
            size_t k = (size_t)atoi(json_string_value(json_object_get(span, "label")));
            long long s = member_int(span, "start"), e = member_int(span, "end");
            long long os = map_back(map, s, 0), oe = map_back(map, e, 1);
            char *got;
            got = u ? byte_slice(orig, os, oe) : cp_slice(orig, (size_t)os, (size_t)oe);
            char a[64], b[64];
            is_str(got, spans[k].want, "%s (%s): '%s' maps back to '%s'", what,
                   units[u], shown(spans[k].needle, a, sizeof a),
                   shown(spans[k].want, b, sizeof b));
            free(got);
        }
        if (!layer || json_array_size(layer) != n)
            ok(0, "%s (%s): every span is written", what, units[u]);
        json_decref(v);
        free(json);
    }
    /* The engine's byte translation, which the output's map carries. */
    size_t olen;
    const char *orig = gloss_doc_original(doc, &olen);
    gloss_layer *layer = gloss_doc_layer(doc, "spans", 0);
    for (size_t i = 0; i < gloss_layer_size(layer); i++) {
        const gloss_span *span = gloss_layer_span(layer, i);
        size_t k = (size_t)atoi(span->label);
        size_t os = gloss_doc_original_offset(doc, span->start);
        size_t oe = gloss_doc_original_end(doc, span->end);
        char a[64];
        ok(oe >= os && oe - os == strlen(spans[k].want) &&
               memcmp(orig + os, spans[k].want, oe - os) == 0,
           "%s: the engine maps '%s' to the same bytes", what,
           shown(spans[k].needle, a, sizeof a));
    }
}

/* Adds the spans, each labelled with its index. */
static void add_mapped_spans(gloss_doc *doc, const mapped_span *spans, size_t n)
{
    gloss_layer *layer = gloss_doc_layer(doc, "spans", 1);
    const char *text = gloss_doc_text(doc, NULL);
    for (size_t i = 0; i < n; i++) {
        char label[24]; /* room for any size_t */
        const char *at = strstr(strstr(text, spans[i].at), spans[i].needle);
        size_t start = (size_t)(at - text);
        snprintf(label, sizeof label, "%zu", i);
        gloss_layer_add(layer, start, start + strlen(spans[i].needle), label);
    }
}

static void test_offset_map(void)
{
    /* Non-ASCII and an astral character before and after every change;
     * "-" for "—" is shorter in bytes but as long in code points, and
     * "ss" for "ß" is as long in bytes but not in code points, so the
     * document merges it into the copied text around it and only the
     * writer can tell that its characters do not line up. */
    static const piece pieces[] = {
        {"Łódź ", NULL},
        {"—", "-"},
        {" «Stra", NULL},
        {"ß", "ss"},
        {"e» 😀", NULL},
        {"\r\n\r\n", "\n\n"},
        {"", "\n"}, /* inserted */
        {"Zoë", NULL},
        {"   ", " "},
        {"Brontë wrote", NULL},
        {"\xC2\xAD", ""}, /* a soft hyphen, deleted */
        {"it.", NULL},
        {"", " "}, /* inserted */
        {"😀 <b>", NULL},
        {"<i>", ""}, /* deleted */
        {"Ærø</i></b>", NULL},
        {"\r\n", "\n"},
    };
    static const mapped_span spans[] = {
        {"Ł", "Łódź", "Łódź"},
        {"Ł", "-", "—"},
        {"Ł", "Strasse", "Straße"},
        {"Ł", "ss", "ß"},
        {"Ł", "e» 😀", "e» 😀"},
        {"😀", "\n\n\n", "\r\n\r\n"},
        {"😀", "\nZoë", "Zoë"},
        {"Z", "Zoë", "Zoë"},
        {"Z", "Zoë Brontë", "Zoë   Brontë"},
        {"B", "Brontë", "Brontë"},
        {"w", "wrote", "wrote"},
        {"w", "it.", "it."},
        {"w", "wroteit.", "wrote\xC2\xADit."},
        {"it.", " ", ""},
        {"it.", "it. 😀", "it.😀"},
        {"it.", "😀", "😀"},
        {"it.", "<b>Ærø", "<b><i>Ærø"},
        {"Æ", "Ærø", "Ærø"},
        {"Æ", "\n", "\r\n"},
    };
    size_t n = sizeof spans / sizeof spans[0];
    gloss_doc *doc = mapped_doc(pieces, sizeof pieces / sizeof pieces[0]);
    ok(doc != NULL, "a text replaced with a map");
    if (!doc)
        return;
    add_mapped_spans(doc, spans, n);
    check_map_back(doc, spans, n, "deletions, insertions, non-ASCII");

    /* A whole span of the text maps back to the whole original. */
    size_t len, olen;
    gloss_doc_text(doc, &len);
    gloss_doc_original(doc, &olen);
    gloss__json_opts opts = DEFAULTS;
    opts.original = 1;
    char *json = to_json(doc, &opts);
    json_t *v = parse(json);
    json_t *map = json_object_get(v, "offset_map");
    json_t *last = json_array_get(map, json_array_size(map) - 1);
    ok(map_back(map, 0, 0) == 0 &&
           map_back(map, json_integer_value(json_array_get(last, 0)), 1) ==
               json_integer_value(json_array_get(last, 1)),
       "the whole text maps back to the whole original");
    json_decref(v);
    free(json);

    opts.original = 0;
    json = to_json(doc, &opts);
    ok(json && strstr(json, "offset_map") == NULL, "no offset_map unless asked for");
    free(json);
    gloss_doc_destroy(&doc);
}

/* An original that is not UTF-8 is written with U+FFFD, and the map counts
 * it as written: one code point, or three bytes, per ill-formed sequence. */
static void test_offset_map_invalid_original(void)
{
    /* "\xE9t\xE9" is Latin-1 "été"; a stage put "?t?" in its place as one
     * stretch of equal length in bytes, and U+FFFD for a lone byte. */
    static const piece pieces[] = {
        {"Caf", NULL},
        {"\xE9", "\xEF\xBF\xBD"},
        {" \xE9t\xE9 ok", NULL},
    };
    static const mapped_span spans[] = {
        {"C", "Caf", "Caf"},
        {"C", "\xEF\xBF\xBD", "\xEF\xBF\xBD"},
        {"?", "t", "t"},
        {"?", "ok", "ok"},
    };
    gloss_doc *doc = mapped_doc(pieces, sizeof pieces / sizeof pieces[0]);
    size_t len;
    const char *text = gloss_doc_text(doc, &len);
    char *same = byte_slice(text, 0, (long long)len);
    char *t = strstr(same, "\xE9t\xE9");
    t[0] = t[2] = '?';
    ok(gloss_doc_set_text_mapped(doc, same, len, NULL, 0) == 0,
       "a second replacement of the same length composes");
    free(same);
    add_mapped_spans(doc, spans, sizeof spans / sizeof spans[0]);
    /* The engine's bytes are those of the original as sent, not as
     * written, so only the JSON's map is checked here. */
    const char *units[] = {"code points", "bytes"};
    for (int u = 0; u < 2; u++) {
        gloss__json_opts opts = DEFAULTS;
        opts.original = 1;
        opts.offsets = u ? GLOSS__OFFSETS_BYTES : GLOSS__OFFSETS_CODEPOINTS;
        char *json = to_json(doc, &opts);
        json_t *v = parse(json);
        json_t *map = json_object_get(v, "offset_map");
        const char *orig = json_string_value(json_object_get(v, "original"));
        json_t *layer = json_object_get(json_object_get(v, "layers"), "spans");
        ok(v && orig && json_array_size(layer) == 4,
           "an original with invalid bytes is written (%s)", units[u]);
        for (size_t i = 0; orig && i < json_array_size(layer); i++) {
            json_t *span = json_array_get(layer, i);
            size_t k = (size_t)atoi(json_string_value(json_object_get(span, "label")));
            long long os = map_back(map, member_int(span, "start"), 0);
            long long oe = map_back(map, member_int(span, "end"), 1);
            char *got = u ? byte_slice(orig, os, oe)
                          : cp_slice(orig, (size_t)os, (size_t)oe);
            is_str(got, spans[k].want, "'%s' maps back into the repaired original (%s)",
                   spans[k].needle, units[u]);
            free(got);
        }
        json_decref(v);
        free(json);
    }
    gloss_doc_destroy(&doc);
}

static void test_appends(void)
{
    gloss_doc *doc = gloss_doc_new("a", "", "x", 1);
    gloss__buf out = GLOSS__BUF_INIT;
    gloss__buf_adds(&out, "[");
    gloss__doc_to_json(doc, NULL, &out);
    gloss__buf_adds(&out, ",");
    gloss__doc_to_json(doc, NULL, &out);
    gloss__buf_adds(&out, "]");
    json_t *v = parse(out.data);
    ok(v && json_array_size(v) == 2,
       "documents are appended to what the buffer holds (NULL options: defaults)");
    json_decref(v);
    gloss__buf_free(&out);
    gloss_doc_destroy(&doc);
}

int main(void)
{
    test_codepoint_offsets();
    test_cursor_against_count(0);
    test_cursor_against_count(1);
    test_invalid_utf8();
    test_escaping();
    test_everything_else();
    test_original();
    test_offset_map();
    test_offset_map_invalid_original();
    test_appends();
    return done_testing();
}
