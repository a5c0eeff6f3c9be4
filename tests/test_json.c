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
    ok(json && strstr(json, "\"original\"") == NULL,
       "no original member while the text is the original");
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
    test_appends();
    return done_testing();
}
