/*
 * test_envelope.c - admission as a client sees it: which messages become
 * documents, and the code and message of each rejection.
 *
 * Each case builds a message the way a client would send it, admits it
 * with a small max_document_size (so the limits are cheap to reach), and
 * checks the outcome: the code a program reads and the message a person
 * reads. The last cases feed admission with seeded random garbage (the same
 * bytes on every run, so a failure can be reproduced) and check that it
 * never crashes, always answers with a code and a readable message, and
 * never admits text that breaks the promises of an admitted document; run
 * under valgrind, they also show that no path leaks. The number of garbage
 * messages is 100,000, or $ENVELOPE_FUZZ_ITERATIONS.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "envelope.h"
#include "tap.h"
#include "utf8.h"

#define MAX 16 /* max_document_size in these tests */

static gloss__id_gen gen;
static gloss__admission adm;
static char msg[512];
static char id_out[256];

/* Admits the len bytes of payload; the result is left in *a, msg and
 * id_out. */
static gloss__reject admit_n(const char *payload, size_t len, gloss__admitted *a)
{
    return gloss__admit(&adm, payload, len, a, msg, sizeof msg, id_out,
                        sizeof id_out);
}

static gloss__reject admit_s(const char *payload, gloss__admitted *a)
{
    return admit_n(payload, strlen(payload), a);
}

/* Admits payload, which must be rejected with code and exactly message. */
static void rejects(const char *payload, size_t len, gloss__reject code,
                    const char *message, const char *what)
{
    gloss__admitted a;
    gloss__reject r = admit_n(payload, len, &a);
    is_str(gloss__reject_code(r), gloss__reject_code(code), "%s: code", what);
    is_str(msg, message, "%s: message", what);
    ok(a.text == NULL && a.id == NULL && a.meta == NULL,
       "%s: nothing is left to free", what);
    gloss__admitted_free(&a);
}

#define REJECTS(payload, code, message, what)                                \
    rejects(payload, sizeof payload - 1, code, message, what)

static void test_codes(void)
{
    static const char *const names[] = {
        "ok", "bad_frames", "empty", "too_large", "invalid_utf8", "bad_json",
        "unknown_field", "bad_field", "draining", "bad_command"};
    for (int i = 0; i <= GLOSS__REJECT_BAD_COMMAND; i++)
        is_str(gloss__reject_code((gloss__reject)i), names[i],
               "code %d is \"%s\" on the wire", i, names[i]);
}

static void test_raw(void)
{
    gloss__admitted a;
    gloss__reject r = admit_s("Hello, world.", &a);
    is_int(r, GLOSS__ACCEPT, "raw text is accepted");
    is_str(a.text, "Hello, world.", "raw: the text is kept");
    is_int(a.text_len, 13, "raw: its length");
    is_str(a.source, "feed", "raw: the source is the endpoint's");
    ok(a.id && strncmp(a.id, gen.prefix, strlen(gen.prefix)) == 0,
       "raw: the id is generated");
    is_int(a.id_given, 0, "raw: the id was not given");
    ok(json_is_object(a.meta) && json_object_size(a.meta) == 0,
       "raw: meta is an empty object");
    is_str(id_out, "", "raw: no id is reported back for a raw message");
    gloss__admitted_free(&a);
    ok(a.text == NULL && a.id == NULL && a.meta == NULL,
       "admitted_free clears the fields");
    gloss__admitted_free(&a);
    ok(1, "admitted_free twice is harmless");

    r = admit_s("\xc2\xa0x\xef\xbb\xbf", &a);
    is_int(r, GLOSS__ACCEPT, "raw: text with one visible character among "
           "white space is accepted");
    gloss__admitted_free(&a);

    r = admit_s(" {\"text\":\"x\"}", &a);
    is_int(r, GLOSS__ACCEPT, "raw: JSON after a space is raw text, not an "
           "envelope");
    is_str(a.text, " {\"text\":\"x\"}", "raw: and is kept as it is");
    gloss__admitted_free(&a);

    r = admit_s("tab\there\x01\x1b[0m", &a);
    is_int(r, GLOSS__ACCEPT, "raw: control characters other than NUL are "
           "accepted (normalize removes them)");
    gloss__admitted_free(&a);

    REJECTS("", GLOSS__REJECT_EMPTY, "the message is empty", "empty message");
    REJECTS(" \t\r\n ", GLOSS__REJECT_EMPTY, "the text is only white space",
            "ASCII white space only");
    REJECTS("\xc2\xa0\xe3\x80\x80\xef\xbb\xbf\xe2\x80\x8b", GLOSS__REJECT_EMPTY,
            "the text is only white space",
            "no-break, ideographic and zero-width spaces and a BOM only");
    REJECTS("h\0i\0", GLOSS__REJECT_INVALID_UTF8,
            "the text has a NUL byte at byte 1; text with NUL bytes is refused "
            "(is it UTF-16 or binary data? send UTF-8 text)",
            "a NUL byte in raw text (UTF-16)");
    REJECTS("\0", GLOSS__REJECT_INVALID_UTF8,
            "the text has a NUL byte at byte 0; text with NUL bytes is refused "
            "(is it UTF-16 or binary data? send UTF-8 text)", "a lone NUL byte");
}

static void test_utf8(void)
{
    REJECTS("abc\xff", GLOSS__REJECT_INVALID_UTF8,
            "the text is not valid UTF-8: byte 3 (0xFF) does not start a "
            "well-formed sequence", "a byte that is never UTF-8");
    REJECTS("ab\xe2\x82", GLOSS__REJECT_INVALID_UTF8,
            "the text is not valid UTF-8: byte 2 (0xE2 82) does not start a "
            "well-formed sequence", "a sequence cut short at the end");
    REJECTS("\xc0\xaf", GLOSS__REJECT_INVALID_UTF8,
            "the text is not valid UTF-8: byte 0 (0xC0) does not start a "
            "well-formed sequence", "an overlong form");
    REJECTS("x\xed\xa0\x80", GLOSS__REJECT_INVALID_UTF8,
            "the text is not valid UTF-8: byte 1 (0xED) does not start a "
            "well-formed sequence", "a surrogate");
    REJECTS("caf\xe9", GLOSS__REJECT_INVALID_UTF8,
            "the text is not valid UTF-8: byte 3 (0xE9) does not start a "
            "well-formed sequence", "Latin-1 text");
    REJECTS("{\"text\":\"a\xff\"}", GLOSS__REJECT_INVALID_UTF8,
            "the envelope is not valid UTF-8: byte 10 (0xFF) does not start a "
            "well-formed sequence", "invalid UTF-8 inside an envelope");
}

static void test_sizes(void)
{
    gloss__admitted a;
    char big[4 * MAX + 128];

    memset(big, 'x', MAX);
    is_int(admit_n(big, MAX, &a), GLOSS__ACCEPT,
           "raw text of exactly max_document_size is accepted");
    is_int(a.text_len, MAX, "and kept whole");
    gloss__admitted_free(&a);
    memset(big, 'x', MAX + 1);
    rejects(big, MAX + 1, GLOSS__REJECT_TOO_LARGE,
            "the text is 17 bytes; the limit (max_document_size) is 16",
            "raw text one byte over");

    snprintf(big, sizeof big, "{\"text\":\"%.*s\"}", MAX,
             "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");
    is_int(admit_s(big, &a), GLOSS__ACCEPT,
           "an envelope whose text is exactly max_document_size is accepted");
    gloss__admitted_free(&a);
    snprintf(big, sizeof big, "{\"text\":\"%.*s\"}", MAX + 1,
             "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");
    rejects(big, strlen(big), GLOSS__REJECT_TOO_LARGE,
            "the text is 17 bytes; the limit (max_document_size) is 16",
            "an envelope whose text is one byte over");

    /* Escapes make the envelope longer than its text; the text is what
     * counts. */
    snprintf(big, sizeof big, "{\"text\":\"%s\"}",
             "\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\nz");
    is_int(admit_s(big, &a), GLOSS__ACCEPT,
           "an envelope with escapes is held to the size of its text");
    is_int(a.text_len, MAX, "the escapes are decoded");
    gloss__admitted_free(&a);

    /* A message over the envelope limit is refused by its length, before
     * parsing: this one is not even JSON, and the answer is too_large. */
    size_t limit = 2 * MAX + (64 << 10);
    char *huge = malloc(limit + 1);
    if (huge) {
        memset(huge, '[', limit + 1);
        huge[0] = '{';
        gloss__reject r = admit_n(huge, limit + 1, &a);
        is_str(gloss__reject_code(r), "too_large",
               "an envelope over the limit is refused by size, unparsed");
        char want[200];
        snprintf(want, sizeof want, "the envelope is %zu bytes; the limit is %zu "
                 "(twice max_document_size 16, plus 65536)", limit + 1, limit);
        is_str(msg, want, "the envelope limit's message names both sizes");
        huge[limit] = '\0';
        r = admit_n(huge, limit, &a);
        is_str(gloss__reject_code(r), "bad_json",
               "an envelope at the limit is parsed");
        free(huge);
    } else {
        skip(3, "out of memory");
    }
}

static void test_envelopes(void)
{
    gloss__admitted a;
    gloss__reject r = admit_s("{\"text\":\"Astana, 2021.\"}", &a);
    is_int(r, GLOSS__ACCEPT, "an envelope with only text is accepted");
    is_str(a.text, "Astana, 2021.", "envelope: the text");
    is_str(a.source, "feed", "envelope: the default source");
    ok(a.id && strncmp(a.id, gen.prefix, strlen(gen.prefix)) == 0 && !a.id_given,
       "envelope: an id is generated when none is given");
    ok(json_is_object(a.meta) && json_object_size(a.meta) == 0,
       "envelope: meta defaults to an empty object");
    gloss__admitted_free(&a);

    r = admit_s("{\"meta\":{\"url\":\"https://example.org/\",\"n\":[1,2]},"
                "\"source\":\"europarl.v2_x-y\",\"id\":\"doc 7/é\","
                "\"text\":\"line\\none \\u00e9\\ud83d\\ude00\"}", &a);
    is_int(r, GLOSS__ACCEPT, "an envelope with every field is accepted");
    is_str(a.id, "doc 7/é", "envelope: the given id");
    is_int(a.id_given, 1, "envelope: marked as given");
    is_str(id_out, "doc 7/é", "envelope: the id is reported back");
    is_str(a.source, "europarl.v2_x-y", "envelope: the given source");
    is_str(a.text, "line\none \xc3\xa9\xf0\x9f\x98\x80",
           "envelope: escapes and surrogate pairs are decoded to UTF-8");
    is_int(a.text_len, 15, "envelope: the decoded length");
    char *meta = json_dumps(a.meta, JSON_COMPACT | JSON_SORT_KEYS);
    is_str(meta, "{\"n\":[1,2],\"url\":\"https://example.org/\"}",
           "envelope: meta is kept whole");
    free(meta);
    gloss__admitted_free(&a);

    char id200[256];
    memset(id200, 'i', 200);
    id200[200] = '\0';
    char env[512];
    snprintf(env, sizeof env, "{\"id\":\"%s\",\"text\":\"t\"}", id200);
    is_int(admit_s(env, &a), GLOSS__ACCEPT, "an id of 200 bytes is accepted");
    gloss__admitted_free(&a);
    snprintf(env, sizeof env, "{\"id\":\"%si\",\"text\":\"t\"}", id200);
    rejects(env, strlen(env), GLOSS__REJECT_BAD_FIELD,
            "field 'id' must be 1 to 200 bytes, got 201", "an id of 201 bytes");

    char small[4];
    r = gloss__admit(&adm, "{\"id\":\"longer\",\"text\":\"\"}", 25, &a, msg,
                     sizeof msg, small, sizeof small);
    ok(r == GLOSS__REJECT_EMPTY && small[0] == '\0',
       "an id that does not fit id_out is not reported, not cut");
}

static void test_envelope_errors(void)
{
    REJECTS("{\"text\": }", GLOSS__REJECT_BAD_JSON,
            "the envelope is not valid JSON: line 1, column 10: unexpected "
            "token near '}'", "a missing value");
    REJECTS("{\"text\":\"a\"}\n{", GLOSS__REJECT_BAD_JSON,
            "the envelope is not valid JSON: line 2, column 1: end of file "
            "expected near '{'", "two envelopes in one message");
    REJECTS("{\n\"text\":\"a\",\n\"text\":\"b\"}", GLOSS__REJECT_BAD_JSON,
            "the envelope is not valid JSON: line 3, column 6: duplicate object "
            "key near '\"text\"'", "a field given twice");
    REJECTS("{\"text\":\"a\\u0000b\"}", GLOSS__REJECT_BAD_JSON,
            "the envelope is not valid JSON: line 1, column 18: \\u0000 (NUL) "
            "is not allowed in strings", "an escaped NUL");
    REJECTS("{\"text\":\"\\ud800\"}", GLOSS__REJECT_BAD_JSON,
            "the envelope is not valid JSON: line 1, column 16: invalid Unicode "
            "'\\uD800' near '\"\\ud800\"'", "a lone surrogate escape");
    REJECTS("{", GLOSS__REJECT_BAD_JSON,
            "the envelope is not valid JSON: line 1, column 1: string or '}' "
            "expected near end of file", "a lone brace");

    REJECTS("{\"txt\":\"hello\"}", GLOSS__REJECT_UNKNOWN_FIELD,
            "unknown field 'txt' (fields: id, text, source, meta)",
            "a misspelt field");
    gloss__admitted a;
    admit_s("{\"id\":\"d-1\",\"text\":\"x\",\"lang\":\"en\"}", &a);
    is_str(id_out, "d-1", "unknown field: the id is reported with the rejection");
    gloss__admitted_free(&a);

    /* A field name that is cut in the message is cut between characters,
     * so the message stays valid UTF-8 for the JSON reply. */
    char env[256];
    snprintf(env, sizeof env, "{\"%.63s\xc3\xa9x\":1}",
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    REJECTS("{\"\":1}", GLOSS__REJECT_UNKNOWN_FIELD,
            "unknown field '' (fields: id, text, source, meta)",
            "an empty field name");
    admit_s(env, &a);
    ok(gloss__utf8_valid_prefix(msg, strlen(msg)) == strlen(msg) &&
       strstr(msg, "' (fields:"), "a long field name is cut on a character "
       "boundary");

    REJECTS("{}", GLOSS__REJECT_BAD_FIELD,
            "field 'text' must be a string (the document's text), but it is "
            "missing", "no text");
    REJECTS("{\"id\":\"a\"}", GLOSS__REJECT_BAD_FIELD,
            "field 'text' must be a string (the document's text), but it is "
            "missing", "an id without text");
    REJECTS("{\"text\":42}", GLOSS__REJECT_BAD_FIELD,
            "field 'text' must be a string (the document's text), got a number",
            "text as a number");
    REJECTS("{\"text\":null}", GLOSS__REJECT_BAD_FIELD,
            "field 'text' must be a string (the document's text), got null",
            "text as null");
    REJECTS("{\"text\":[\"a\"]}", GLOSS__REJECT_BAD_FIELD,
            "field 'text' must be a string (the document's text), got an array",
            "text as an array");
    REJECTS("{\"text\":\"\"}", GLOSS__REJECT_EMPTY, "the text is empty",
            "an empty text in an envelope");
    REJECTS("{\"text\":\"\\n\\t \\u00a0\"}", GLOSS__REJECT_EMPTY,
            "the text is only white space", "white space in an envelope");
    REJECTS("{\"id\":7,\"text\":\"a\"}", GLOSS__REJECT_BAD_FIELD,
            "field 'id' must be a string of 1 to 200 bytes, got a number",
            "a numeric id");
    REJECTS("{\"id\":null,\"text\":\"a\"}", GLOSS__REJECT_BAD_FIELD,
            "field 'id' must be a string of 1 to 200 bytes, got null",
            "a null id");
    REJECTS("{\"id\":\"\",\"text\":\"a\"}", GLOSS__REJECT_BAD_FIELD,
            "field 'id' must be 1 to 200 bytes, got 0", "an empty id");
    REJECTS("{\"id\":\"a\\u0007b\",\"text\":\"a\"}", GLOSS__REJECT_BAD_FIELD,
            "field 'id' must not contain control characters; byte 1 is one",
            "an id with a bell");
    REJECTS("{\"id\":\"ab\\u0085\",\"text\":\"a\"}", GLOSS__REJECT_BAD_FIELD,
            "field 'id' must not contain control characters; byte 2 is one",
            "an id with a C1 control");
    REJECTS("{\"id\":\"ab\\u007f\",\"text\":\"a\"}", GLOSS__REJECT_BAD_FIELD,
            "field 'id' must not contain control characters; byte 2 is one",
            "an id with DEL");
    REJECTS("{\"text\":\"a\",\"source\":\"my feed\"}", GLOSS__REJECT_BAD_FIELD,
            "field 'source' must be 1 to 64 characters from A-Z, a-z, 0-9, '.', "
            "'_' and '-' (it becomes part of a topic), got \"my feed\"",
            "a source with a space");
    REJECTS("{\"text\":\"a\",\"source\":\"\"}", GLOSS__REJECT_BAD_FIELD,
            "field 'source' must be 1 to 64 characters from A-Z, a-z, 0-9, '.', "
            "'_' and '-' (it becomes part of a topic), got \"\"",
            "an empty source");
    REJECTS("{\"text\":\"a\",\"source\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
            "aaaaaaaaaaaaaaaaaaaaa\"}", GLOSS__REJECT_BAD_FIELD,
            "field 'source' must be 1 to 64 characters from A-Z, a-z, 0-9, '.', "
            "'_' and '-' (it becomes part of a topic), got \"aaaaaaaaaaaaaaaaaaa"
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", "a source of 65");
    REJECTS("{\"text\":\"a\",\"source\":true}", GLOSS__REJECT_BAD_FIELD,
            "field 'source' must be a string of 1 to 64 characters from A-Z, "
            "a-z, 0-9, '.', '_' and '-', got a boolean", "a boolean source");
    REJECTS("{\"text\":\"a\",\"meta\":[1]}", GLOSS__REJECT_BAD_FIELD,
            "field 'meta' must be an object, got an array", "meta as an array");
    REJECTS("{\"text\":\"a\",\"meta\":\"x\"}", GLOSS__REJECT_BAD_FIELD,
            "field 'meta' must be an object, got a string", "meta as a string");

    gloss__reject r = admit_s("{\"id\":\"doc-9\",\"text\":\" \"}", &a);
    ok(r == GLOSS__REJECT_EMPTY && strcmp(id_out, "doc-9") == 0,
       "a rejection after a valid id carries the id");
    r = admit_s("{\"id\":\"\\u0001\",\"text\":\" \"}", &a);
    ok(r == GLOSS__REJECT_BAD_FIELD && id_out[0] == '\0',
       "an id that is itself refused is not reported");
}

/* ---- garbage ------------------------------------------------------------------ */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

/* xorshift64*: fast, seeded, the same sequence everywhere. */
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

/* Pieces garbage is built from when it should look like an envelope, so
 * that the fuzzing reaches past the JSON parser into the field checks. */
static const char *const pieces[] = {
    "{", "}", "[", "]", ",", ":", "\"text\"", "\"id\"", "\"source\"",
    "\"meta\"", "\"txt\"", "\"a b\"", "\"\"", "\"\\u0000\"", "\"\\ud800\"",
    "null", "true", "1e999", "-0", "\"\xff\"", "\"\xc3\xa9\"", " ", "\n",
    "\"\\n \\t\"", "{\"text\":\"x\"}", "\0", "\x01", "\"xxxxxxxxxxxxxxxxxxxx\"",
};

/* Field names and values for well-formed envelopes, which reach the field
 * checks: some valid, some of the wrong type or value. */
static const char *const field_names[] = {"text", "id", "source", "meta", "txt", ""};
static const char *const values[] = {
    "\"x\"", "\" \"", "\"\"", "\"a.b_c-d\"", "\"a b\"", "\"\\u0007\"",
    "1", "null", "true", "[]", "{}", "{\"k\":[1,{}]}", "\"\xc3\xa9\\n\"",
    "\"\xe2\x80\x8b\"", "\"\\ud83d\\ude00\"",
};

static size_t garbage(unsigned char *buf, size_t cap)
{
    size_t len = rnd() % cap;
    unsigned kind = (unsigned)(rnd() % 4);
    if (kind == 3) {
        /* A well-formed envelope of up to four random fields. */
        size_t n = 0;
        int fields = (int)(rnd() % 5);
        buf[n++] = '{';
        for (int f = 0; f < fields; f++) {
            const char *k =
                field_names[rnd() % (sizeof field_names / sizeof *field_names)];
            const char *v = values[rnd() % (sizeof values / sizeof *values)];
            int w = snprintf((char *)buf + n, cap - n, "%s\"%s\":%s",
                             f ? "," : "", k, v);
            if (w < 0 || (size_t)w >= cap - n - 1)
                break;
            n += (size_t)w;
        }
        buf[n++] = '}';
        return n;
    }
    if (kind == 0) {
        /* Random bytes. */
        for (size_t i = 0; i < len; i++)
            buf[i] = (unsigned char)rnd();
        return len;
    }
    /* Envelope-like: '{' and pieces, sometimes with a random byte. */
    size_t n = 0;
    buf[n++] = '{';
    while (n < len) {
        const char *p = pieces[rnd() % (sizeof pieces / sizeof *pieces)];
        size_t plen = *p ? strlen(p) : 1;
        if (n + plen > cap)
            break;
        memcpy(buf + n, p, plen);
        n += plen;
        if (kind == 2 && rnd() % 8 == 0 && n < cap)
            buf[n++] = (unsigned char)rnd();
    }
    return n;
}

static void test_garbage(void)
{
    long iterations = 100000;
    const char *env = getenv("ENVELOPE_FUZZ_ITERATIONS");
    if (env && atol(env) > 0)
        iterations = atol(env);

    /* A limit inside the range of garbage lengths, so that both sides of
     * it are reached. */
    size_t saved_max = adm.max_document_size;
    adm.max_document_size = 64;
    unsigned char buf[96];
    long accepted = 0, bad_code = 0, bad_msg = 0, bad_doc = 0;
    long seen[GLOSS__REJECT_BAD_COMMAND + 1] = {0};
    for (long i = 0; i < iterations; i++) {
        size_t len = garbage(buf, sizeof buf);
        gloss__admitted a;
        gloss__reject r = admit_n((const char *)buf, len, &a);
        if ((int)r < 0 || r > GLOSS__REJECT_BAD_COMMAND) {
            bad_code++;
            continue;
        }
        seen[r]++;
        if (r == GLOSS__ACCEPT) {
            accepted++;
            if (!a.text || !a.id || !a.source || !json_is_object(a.meta) ||
                a.text_len > 64 || strlen(a.text) != a.text_len ||
                gloss__utf8_valid_prefix(a.text, a.text_len) != a.text_len)
                bad_doc++;
            gloss__admitted_free(&a);
        } else if (!msg[0] ||
                   gloss__utf8_valid_prefix(msg, strlen(msg)) != strlen(msg) ||
                   a.text || a.id || a.meta) {
            bad_msg++;
        }
    }
    adm.max_document_size = saved_max;
    diag("%ld garbage messages: %ld accepted, %ld empty, %ld too_large, "
         "%ld invalid_utf8, %ld bad_json, %ld unknown_field, %ld bad_field",
         iterations, accepted, seen[GLOSS__REJECT_EMPTY],
         seen[GLOSS__REJECT_TOO_LARGE], seen[GLOSS__REJECT_INVALID_UTF8],
         seen[GLOSS__REJECT_BAD_JSON], seen[GLOSS__REJECT_UNKNOWN_FIELD],
         seen[GLOSS__REJECT_BAD_FIELD]);
    is_int(bad_code, 0, "garbage: every answer is a known code");
    is_int(bad_msg, 0, "garbage: every rejection has a message in valid UTF-8 "
           "and leaves nothing to free");
    is_int(bad_doc, 0, "garbage: whatever is accepted is a whole document of "
           "valid UTF-8 within the limit, without NUL bytes");
    ok(seen[GLOSS__REJECT_INVALID_UTF8] > 0 && seen[GLOSS__REJECT_BAD_JSON] > 0 &&
       seen[GLOSS__REJECT_TOO_LARGE] > 0 && seen[GLOSS__REJECT_EMPTY] > 0 &&
       seen[GLOSS__REJECT_UNKNOWN_FIELD] > 0 && seen[GLOSS__REJECT_BAD_FIELD] > 0 &&
       accepted > 0,
       "garbage: reaches every check, and acceptance");
}

/* ---- ids ------------------------------------------------------------------------- */

static void test_ids(void)
{
    gloss__id_gen g;
    gloss__id_init(&g);
    char *prev = gloss__id_next(&g);
    ok(prev != NULL, "ids: one is made");
    if (!prev)
        return;
    size_t plen = strlen(g.prefix);
    ok(strncmp(prev, g.prefix, plen) == 0 && prev[plen] == '-' &&
       strlen(prev) == plen + 14 && strcmp(prev + plen + 1, "0000000000001") == 0,
       "ids: <prefix>-<13 base-36 digits>, counting from 1 (got %s)", prev);

    /* Each id sorting strictly after the one before shows both that they
     * sort in arrival order and that none repeats. */
    long misordered = 0, failed = 0;
    for (long i = 1; i < 1000000; i++) {
        char *id = gloss__id_next(&g);
        if (!id) {
            failed++;
            continue;
        }
        if (strcmp(prev, id) >= 0)
            misordered++;
        free(prev);
        prev = id;
    }
    is_int(failed, 0, "ids: a million are made");
    is_int(misordered, 0, "ids: a million are unique and sort in arrival order");
    is_str(prev + plen + 1, "000000000lfls", "ids: the millionth counts 1000000");
    free(prev);

    gloss__id_gen h;
    struct timespec pause = {0, 2000};
    nanosleep(&pause, NULL);
    gloss__id_init(&h);
    ok(strcmp(g.prefix, h.prefix) != 0,
       "ids: a generator started later has another prefix (%s, %s)", g.prefix,
       h.prefix);
    g.next = UINT64_MAX;
    char *last = gloss__id_next(&g);
    is_str(last ? last + plen + 1 : NULL, "3w5e11264sgsf",
           "ids: the largest counter still fits the width");
    free(last);
}

int main(void)
{
    gloss__id_init(&gen);
    adm.max_document_size = MAX;
    adm.default_source = "feed";
    adm.new_id = gloss__id_next;
    adm.new_id_arg = &gen;

    test_codes();
    test_raw();
    test_utf8();
    test_sizes();
    test_envelopes();
    test_envelope_errors();
    test_garbage();
    test_ids();
    return done_testing();
}
