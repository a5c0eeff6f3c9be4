/*
 * test_normalize.c - the built-in normalize stage: UTF-8 validation (reject
 * or replace), NFC/NFKC, line breaks, controls, and the stage's behaviour
 * on documents (text replaced only when it changed, refused once spans
 * exist).
 *
 * The transformation is tested through gloss__normalize_text() with
 * explicit settings; the stage itself through its descriptor, with options
 * checked by the engine exactly as a configuration would give them.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>

#include "err.h"
#include "gloss/doc.h"
#include "json_out.h"
#include "normalize.h"
#include "opts.h"
#include "tap.h"

static const gloss__normalize_settings DEFAULTS = {1, GLOSS__FORM_NFC, 1, 1};

typedef struct result {
    int rc;         /* what gloss__normalize_text returned */
    char *text;     /* the text after normalization (the input when rc 0) */
    size_t len;
    char err[256];
} result;

static result run(const gloss__normalize_settings *set, const char *in, size_t len)
{
    result r;
    memset(&r, 0, sizeof r);
    gloss__normalizer *nz = gloss__normalizer_new(set);
    if (!nz) {
        r.rc = -2;
        return r;
    }
    gloss__buf out = GLOSS__BUF_INIT;
    r.rc = gloss__normalize_text(nz, in, len, &out, NULL, r.err, sizeof r.err);
    if (r.rc == 0) {
        gloss__buf_add(&out, in, len);
        gloss__buf_addc(&out, '\0'); /* an empty buffer still gets memory */
        out.len--;
    }
    r.text = gloss__buf_steal(&out, &r.len);
    gloss__normalizer_destroy(&nz);
    return r;
}

/* Normalizes in with set and checks the result text and whether it was
 * reported as changed. */
static void check(const gloss__normalize_settings *set, const char *in,
                  const char *want, const char *what)
{
    result r = run(set, in, strlen(in));
    int changed = strcmp(in, want) != 0;
    ok(r.rc == changed && r.text && r.len == strlen(want) &&
           memcmp(r.text, want, r.len) == 0,
       "%s", what);
    if (r.rc != changed || !r.text || strcmp(r.text, want) != 0)
        diag("rc %d (expected %d), text '%s', expected '%s' %s", r.rc, changed,
             r.text ? r.text : "(null)", want, r.err);
    free(r.text);
}

static void check_reject(const char *in, size_t len, const char *want_msg,
                         const char *what)
{
    result r = run(&DEFAULTS, in, len);
    is_int(r.rc, -1, "reject: %s fails", what);
    is_str(r.err, want_msg, "reject: %s is described", what);
    free(r.text);
}

#define FFFD "\xEF\xBF\xBD"

static void test_invalid(void)
{
    check_reject("ab\xC3(", 4, "invalid UTF-8 at byte 2: 0xC3 0x28",
                 "a lead byte followed by ASCII");
    check_reject("x\xC0\xAFy", 4, "invalid UTF-8 at byte 1: 0xC0 0xAF",
                 "an overlong '/'");
    check_reject("s \xED\xA0\x80", 5, "invalid UTF-8 at byte 2: 0xED 0xA0",
                 "an encoded surrogate");
    check_reject("abc\xE2\x82", 5, "invalid UTF-8 at byte 3: 0xE2 0x82",
                 "a sequence truncated at the end");
    check_reject("a\x80" "b", 3, "invalid UTF-8 at byte 1: 0x80",
                 "a stray continuation byte");
    check_reject("\xF4\x90\x80\x80", 4, "invalid UTF-8 at byte 0: 0xF4 0x90",
                 "a code point above U+10FFFF");
    check_reject("ok \xFF", 4, "invalid UTF-8 at byte 3: 0xFF", "a 0xFF byte");
    /* A long valid prefix, so that the error is found after the fast path
     * has skipped whole words. */
    const char *late = "Resolution on the situation in Kazakhstan \xE9t\xE9";
    check_reject(late, strlen(late), "invalid UTF-8 at byte 42: 0xE9 0x74",
                 "a Latin-1 byte after 42 bytes of ASCII");

    gloss__normalize_settings replace = DEFAULTS;
    replace.reject_invalid = 0;
    check(&replace, "ab\xC3(", "ab" FFFD "(", "replace: a cut sequence is one U+FFFD");
    check(&replace, "x\xC0\xAFy", "x" FFFD FFFD "y",
          "replace: an overlong form is one U+FFFD per byte");
    check(&replace, "\xED\xA0\x80", FFFD FFFD FFFD,
          "replace: a surrogate is three U+FFFD");
    check(&replace, "abc\xE2\x82", "abc" FFFD,
          "replace: a truncated sequence at the end is one U+FFFD");
    check(&replace, "a\x80" "b", "a" FFFD "b", "replace: a stray continuation byte");
    check(&replace, "\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD,
          "replace: above U+10FFFF is one U+FFFD per byte");
    check(&replace, "\xFF", FFFD, "replace: 0xFF");
    check(&replace, "Cafe\xCC\x81 \xFF", "Caf\xC3\xA9 " FFFD,
          "replace: normalization still applies to the rest");

    /* The JSON writer repairs text the same way, so a pipeline with and
     * without normalize agree on what the text says. */
    const char mixed[] = "A\xC3(\xED\xA0\x80\xF0\x9F\x98 z\xE2\x82\xFF\x80.";
    result r = run(&replace, mixed, sizeof mixed - 1);
    gloss__buf a = GLOSS__BUF_INIT, b = GLOSS__BUF_INIT;
    gloss__json_string(&a, r.text, r.len);
    gloss__json_string(&b, mixed, sizeof mixed - 1);
    is_str(a.data, b.data, "normalize and the JSON writer replace the same subparts");
    gloss__buf_free(&a);
    gloss__buf_free(&b);
    free(r.text);
}

static void test_forms(void)
{
    check(&DEFAULTS, "Cafe\xCC\x81", "Caf\xC3\xA9", "NFC: e + U+0301 becomes é");
    check(&DEFAULTS, "e\xCC\x81t\xC3\xA9", "\xC3\xA9t\xC3\xA9",
          "NFC: a mark composes with the first character of the text");
    check(&DEFAULTS, "The resolution was tabled by Rene\xCC\x81 Dupont",
          "The resolution was tabled by Ren\xC3\xA9 Dupont",
          "NFC: a mark composes with the ASCII letter just before it");
    check(&DEFAULTS, "\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8", "\xEA\xB0\x81",
          "NFC: Hangul jamo compose into a syllable");
    check(&DEFAULTS, "\xEA\xB0\x80\xE1\x86\xA8", "\xEA\xB0\x81",
          "NFC: a final jamo joins the syllable before it");
    check(&DEFAULTS, "a\xCC\x81\xCC\xA3", "\xE1\xBA\xA1\xCC\x81",
          "NFC: marks are put in canonical order before composing");
    check(&DEFAULTS, "\xE2\x84\xAB", "\xC3\x85", "NFC: the Angstrom sign becomes Å");
    check(&DEFAULTS, "\xE0\xA5\x98", "\xE0\xA4\x95\xE0\xA4\xBC",
          "NFC: a composition exclusion stays decomposed");
    check(&DEFAULTS, "\xE0\xAF\x86\xE0\xAE\xBE", "\xE0\xAF\x8A",
          "NFC: a Tamil vowel sign (a starter) composes");
    check(&DEFAULTS,
          "Pospí\xC5\xA1il, \xC5\xBD" "eljana, \xE2\x80\x9Cquoted\xE2\x80\x9D \xE2\x80\x93 "
          "\xC2\xA0\xF0\x9F\x98\x80 Назарбаев",
          "Pospí\xC5\xA1il, \xC5\xBD" "eljana, \xE2\x80\x9Cquoted\xE2\x80\x9D \xE2\x80\x93 "
          "\xC2\xA0\xF0\x9F\x98\x80 Назарбаев",
          "NFC: text already in NFC is reported unchanged");

    gloss__normalize_settings nfkc = DEFAULTS;
    nfkc.form = GLOSS__FORM_NFKC;
    check(&nfkc, "\xEF\xAC\x81nance", "finance", "NFKC: the ligature ﬁ becomes fi");
    check(&nfkc, "21\xC2\xA0January", "21 January",
          "NFKC: a no-break space becomes a space");
    check(&DEFAULTS, "21\xC2\xA0January", "21\xC2\xA0January",
          "NFC keeps the no-break space");
    check(&nfkc, "x\xC2\xB2 \xEF\xBC\xA1\xEF\xBC\xA2", "x2 AB",
          "NFKC: superscripts and full-width letters become plain");
    check(&nfkc, "Cafe\xCC\x81", "Caf\xC3\xA9", "NFKC composes too");

    gloss__normalize_settings none = DEFAULTS;
    none.form = GLOSS__FORM_NONE;
    check(&none, "Cafe\xCC\x81 \xEF\xAC\x81", "Cafe\xCC\x81 \xEF\xAC\x81",
          "form none leaves characters alone");
    check(&none, "a\r\nb", "a\nb", "form none still unifies line breaks");

    /* A long run of marks in reverse order must be sorted in reasonable
     * time, not in time quadratic in its length. */
    size_t n = 200000;
    char *marks = malloc(2 + n * 2 + 1);
    memcpy(marks, "a", 1);
    size_t len = 1;
    for (size_t i = 0; i < n; i++) {
        /* U+0301 (class 230) then U+0323 (class 220), alternately. */
        memcpy(marks + len, i % 2 ? "\xCC\xA3" : "\xCC\x81", 2);
        len += 2;
    }
    clock_t t0 = clock();
    result r = run(&DEFAULTS, marks, len);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    int sorted = r.rc == 1;
    /* ạ (U+1EA1) absorbs the first dot below; the other dots come before
     * every acute. */
    if (sorted)
        sorted = memcmp(r.text, "\xE1\xBA\xA1", 3) == 0;
    size_t seen_acute = 0;
    for (size_t i = 3; sorted && i + 1 < r.len; i += 2) {
        int acute = memcmp(r.text + i, "\xCC\x81", 2) == 0;
        if (!acute && seen_acute)
            sorted = 0;
        seen_acute += (size_t)acute;
    }
    ok(sorted && seen_acute == n / 2,
       "200000 marks are put in canonical order (%.2f s)", secs);
    free(r.text);
    free(marks);
}

/*
 * The stage normalizes only the runs around characters that can change;
 * utf8proc normalizing the whole text is the reference it must agree with.
 * The pieces are the awkward cases: marks of several classes, Hangul
 * jamo, starters that compose with what precedes them, singletons,
 * exclusions, compatibility characters, astral characters.
 */
static void test_against_whole_text(void)
{
    static const char *pieces[] = {
        "a", "e", "A", "k", " ", ".", "\xCC\x81", "\xCC\xA3", "\xCC\xA7",
        "\xCC\x88", "\xD6\xB0", "\xE1\x84\x80", "\xE1\x85\xA1",
        "\xE1\x86\xA8", "\xEA\xB0\x80", "\xE0\xAF\x86", "\xE0\xAE\xBE",
        "\xE0\xAF\x97", "\xE2\x84\xAB", "\xE0\xA5\x98", "\xEF\xAC\x81",
        "\xC2\xA0", "\xC3\xA9", "\xE1\xBA\x9B", "\xCD\x84",
        "\xF0\x9D\x85\x9E", "\xF0\x9F\x98\x80", "\xE0\xBD\xB3",
        "\xE3\x82\x99", "\xE3\x81\x8B", "\xC3\x85", "\xCF\x93",
        "\xEF\xB7\xBA", "\xC5\x81", "\xD0\x99", "\xD0\x98"};
    const size_t npieces = sizeof pieces / sizeof pieces[0];
    srand(11);
    for (int f = 0; f < 2; f++) {
        gloss__normalize_settings set = DEFAULTS;
        set.form = f ? GLOSS__FORM_NFKC : GLOSS__FORM_NFC;
        utf8proc_option_t options = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
        if (f)
            options |= UTF8PROC_COMPAT;
        gloss__normalizer *nz = gloss__normalizer_new(&set);
        int mismatches = 0;
        for (int k = 0; k < 3000 && mismatches < 3; k++) {
            char in[256];
            size_t len = 0, count = 1 + (size_t)(rand() % 14);
            for (size_t i = 0; i < count; i++) {
                const char *p = pieces[(size_t)rand() % npieces];
                memcpy(in + len, p, strlen(p));
                len += strlen(p);
            }
            utf8proc_uint8_t *want = NULL;
            utf8proc_ssize_t wlen = utf8proc_map((const utf8proc_uint8_t *)in,
                                                 (utf8proc_ssize_t)len, &want,
                                                 options);
            gloss__buf out = GLOSS__BUF_INIT;
            char err[256];
            int rc = gloss__normalize_text(nz, in, len, &out, NULL, err, sizeof err);
            const char *got = rc == 1 ? out.data : in;
            size_t glen = rc == 1 ? out.len : len;
            int same = wlen >= 0 && (size_t)wlen == glen &&
                       memcmp(got, want, glen) == 0 &&
                       rc == ((size_t)wlen != len || memcmp(in, want, len) != 0);
            if (!same) {
                mismatches++;
                gloss__buf hex = GLOSS__BUF_INIT;
                for (size_t i = 0; i < len; i++)
                    gloss__buf_printf(&hex, "%02X ", (unsigned char)in[i]);
                diag("%s differs from utf8proc on: %s(rc %d)", f ? "NFKC" : "NFC",
                     hex.data, rc);
                gloss__buf_free(&hex);
            }
            free(want);
            gloss__buf_free(&out);
        }
        ok(mismatches == 0,
           "%s by runs equals utf8proc on the whole text (3000 random texts)",
           f ? "NFKC" : "NFC");
        gloss__normalizer_destroy(&nz);
    }
}

static void test_lines_and_controls(void)
{
    check(&DEFAULTS, "a\r\nb\rc\nd\r", "a\nb\nc\nd\n", "CRLF and lone CR become LF");
    check(&DEFAULTS, "a\r\r\nb", "a\n\nb", "CR CR LF is two line breaks");
    check(&DEFAULTS, "line\vbreak\xC2\x85next", "line\nbreak\nnext",
          "vertical tab and NEL are line breaks too");
    gloss__normalize_settings keep_lines = DEFAULTS;
    keep_lines.newlines = 0;
    check(&keep_lines, "a\r\nb\rc\v\xC2\x85", "a\r\nb\rc\v\xC2\x85",
          "newlines off keeps every line break, even with strip_controls");

    check(&DEFAULTS, "a\x01" "b\x1b[0mc\x7f" "d\xC2\x80" "e\xC2\x9F" "f",
          "ab[0mcdef", "C0 controls, DEL and C1 controls are removed");
    const char nul[] = "before\0after";
    result r = run(&DEFAULTS, nul, sizeof nul - 1);
    ok(r.rc == 1 && r.len == 11 && memcmp(r.text, "beforeafter", 11) == 0,
       "a NUL byte is removed");
    free(r.text);
    check(&DEFAULTS, "col1\tcol2\npage 1\fpage 2",
          "col1\tcol2\npage 1\fpage 2", "tab, line feed and form feed are kept");
    check(&DEFAULTS, "\xEF\xBB\xBFResolution", "Resolution",
          "a byte order mark at the start is removed");
    check(&DEFAULTS, "\xEF\xBB\xBF\xEF\xBB\xBFx", "\xEF\xBB\xBFx",
          "only the first of two byte order marks is");
    check(&DEFAULTS, "a\xEF\xBB\xBF" "b", "a\xEF\xBB\xBF" "b",
          "U+FEFF inside the text is kept");
    check(&DEFAULTS, "Kazakh\xC2\xADstan", "Kazakhstan",
          "a soft hyphen is removed, joining the word");
    check(&DEFAULTS, "a\xE2\x80\x8B" "b \xE2\x80\x8D \xE2\x80\x8F",
          "a\xE2\x80\x8B" "b \xE2\x80\x8D \xE2\x80\x8F",
          "zero-width space, joiner and direction marks are kept");
    check(&DEFAULTS, "e\x01\xCC\x81", "\xC3\xA9",
          "a control between a letter and its accent goes, and they compose");
    gloss__normalize_settings keep = DEFAULTS;
    keep.strip_controls = 0;
    check(&keep, "a\x01" "b\x7f\xC2\x80\xEF\xBB\xBF\xC2\xAD", "a\x01" "b\x7f\xC2\x80\xEF\xBB\xBF\xC2\xAD",
          "strip_controls off keeps them all");
    check(&DEFAULTS, "", "", "an empty text is normal");
}

/* A 10 MiB document: the repeated piece exercises every kind of change. */
static void test_large(void)
{
    const char *piece = "Resolution of 21 January\r\nRene\xCC\x81 said \x01\xE2\x80\x9C"
                        "fine\xE2\x80\x9D. ";
    const char *want_piece = "Resolution of 21 January\nRen\xC3\xA9 said \xE2\x80\x9C"
                             "fine\xE2\x80\x9D. ";
    size_t plen = strlen(piece), wlen = strlen(want_piece);
    size_t reps = (10u << 20) / plen + 1;
    char *in = malloc(reps * plen), *want = malloc(reps * wlen);
    for (size_t i = 0; i < reps; i++) {
        memcpy(in + i * plen, piece, plen);
        memcpy(want + i * wlen, want_piece, wlen);
    }
    result r = run(&DEFAULTS, in, reps * plen);
    ok(r.rc == 1 && r.len == reps * wlen && memcmp(r.text, want, r.len) == 0,
       "a 10 MiB text is normalized completely and correctly");
    free(r.text);
    r = run(&DEFAULTS, want, reps * wlen);
    is_int(r.rc, 0, "and the 10 MiB result is then reported normal");
    free(r.text);
    free(in);
    free(want);
}

/* ---- the stage on documents --------------------------------------------- */

typedef struct stage {
    gloss_opts *opts;
    void *ctx;
    char msg[GLOSS__ERR_MAX];
} stage;

static int stage_open(stage *st, const char *options_json)
{
    memset(st, 0, sizeof *st);
    json_t *options = options_json ? json_loads(options_json, 0, NULL) : NULL;
    st->opts = gloss__opts_new(gloss__stage_normalize.options, options,
                               "pipeline[1].options", "normalize", NULL,
                               st->msg, sizeof st->msg);
    json_decref(options);
    if (!st->opts)
        return -1;
    gloss_err err;
    gloss__err_clear(&err);
    if (gloss__stage_normalize.init(&st->ctx, st->opts, &err) != GLOSS_OK) {
        snprintf(st->msg, sizeof st->msg, "%s", err.msg);
        gloss__opts_destroy(&st->opts);
        return -1;
    }
    return 0;
}

static int stage_process(stage *st, gloss_doc *doc)
{
    gloss_err err;
    gloss__err_clear(&err);
    int rc = gloss__stage_normalize.process(st->ctx, doc, &err);
    snprintf(st->msg, sizeof st->msg, "%s", err.msg);
    return rc;
}

static void stage_close(stage *st)
{
    if (st->opts) {
        gloss__stage_normalize.fini(st->ctx);
        gloss__opts_destroy(&st->opts);
    }
}

static void test_stage(void)
{
    stage st;
    ok(stage_open(&st, NULL) == 0, "the stage starts with its default options");
    is_str(gloss__stage_normalize.name, "normalize", "and is called normalize");

    const char *clean = "Dulat Agadil died in custody.\n";
    gloss_doc *doc = gloss_doc_new("a", "", clean, strlen(clean));
    is_int(stage_process(&st, doc), GLOSS_OK, "a normal text passes");
    ok(gloss_doc_text(doc, NULL) == gloss_doc_original(doc, NULL),
       "and is not replaced: the original is the same text");
    gloss_doc_destroy(&doc);

    const char *raw = "Rene\xCC\x81\r\n";
    doc = gloss_doc_new("b", "", raw, strlen(raw));
    is_int(stage_process(&st, doc), GLOSS_OK, "a text to change passes");
    is_str(gloss_doc_text(doc, NULL), "Ren\xC3\xA9\n", "and is replaced");
    is_str(gloss_doc_original(doc, NULL), raw, "the original stays available");
    gloss_doc_destroy(&doc);

    doc = gloss_doc_new("c", "", raw, strlen(raw));
    gloss_layer_add(gloss_doc_layer(doc, "tokens", 1), 0, 4, NULL);
    is_int(stage_process(&st, doc), GLOSS_ERROR,
           "a text to change is refused once spans exist");
    like(st.msg, "layer 'tokens' already holds 1 span",
         "the message names the layer holding spans");
    like(st.msg, "put normalize before the stages that add spans",
         "and says how to fix the pipeline");
    is_str(gloss_doc_text(doc, NULL), raw, "the text is left as it was");
    gloss_doc_destroy(&doc);

    doc = gloss_doc_new("d", "", clean, strlen(clean));
    gloss_layer_add(gloss_doc_layer(doc, "tokens", 1), 0, 5, NULL);
    is_int(stage_process(&st, doc), GLOSS_OK,
           "spans do not matter when nothing changes");
    gloss_doc_destroy(&doc);

    const char bad[] = "Valid start \xC3( then";
    doc = gloss_doc_new("e", "", bad, sizeof bad - 1);
    is_int(stage_process(&st, doc), GLOSS_ERROR, "invalid UTF-8 fails by default");
    is_str(st.msg, "invalid UTF-8 at byte 12: 0xC3 0x28",
           "with the offset and the bytes");
    gloss_doc_destroy(&doc);
    stage_close(&st);

    ok(stage_open(&st, "{\"invalid\": \"replace\", \"form\": \"NFKC\", "
                       "\"newlines\": false, \"strip_controls\": false, "
                       "\"unwrap\": false, \"furniture\": false, "
                       "\"footnotes\": false, \"markup\": false, "
                       "\"dehyphenate\": false, \"wordlist\": \"\", "
                       "\"furniture_min_repeats\": 3}") == 0,
       "every option is accepted");
    doc = gloss_doc_new("f", "", "\xEF\xAC\x81\r\n\x01\xFF", 7);
    is_int(stage_process(&st, doc), GLOSS_OK, "replace lets invalid UTF-8 through");
    is_str(gloss_doc_text(doc, NULL), "fi\r\n\x01" FFFD,
           "NFKC applied, line breaks and controls kept, the bad byte replaced");
    gloss_doc_destroy(&doc);
    stage_close(&st);

    ok(stage_open(&st, "{\"form\": \"NFD\"}") < 0, "an unknown form is refused");
    like(st.msg, "form", "naming the option");
}

/* ---- the offset map --------------------------------------------------------- */

/*
 * Runs the stage (started with options_json) on in[0..len), then marks
 * every word of the final text (a run of bytes other than space, tab,
 * line feed and form feed) as a span of a layer "words", as a later stage
 * would, and maps each span back with gloss_doc_original_offset() and
 * gloss_doc_original_end(). want lists, for each word in order, the word
 * and the exact original bytes it must map to, joined by " <- " and ended
 * by "|".
 */
static void check_map_back(const char *options_json, const char *in,
                           size_t len, const char *want, const char *what)
{
    stage st;
    if (stage_open(&st, options_json) < 0) {
        ok(0, "%s: the stage starts (%s)", what, st.msg);
        return;
    }
    gloss_doc *doc = gloss_doc_new("m", "", in, len);
    int rc = stage_process(&st, doc);
    size_t tlen, olen;
    const char *text = gloss_doc_text(doc, &tlen);
    const char *orig = gloss_doc_original(doc, &olen);
    gloss_layer *words = gloss_doc_layer(doc, "words", 1);
    for (size_t i = 0; i < tlen;) {
        size_t j = i;
        while (j < tlen && !strchr(" \t\n\f", text[j]))
            j++;
        if (j > i)
            gloss_layer_add(words, i, j, NULL);
        i = j + 1;
    }
    gloss__buf got = GLOSS__BUF_INIT;
    for (size_t i = 0; i < gloss_layer_size(words); i++) {
        const gloss_span *sp = gloss_layer_span(words, i);
        size_t os = gloss_doc_original_offset(doc, sp->start);
        size_t oe = gloss_doc_original_end(doc, sp->end);
        gloss__buf_add(&got, text + sp->start, sp->end - sp->start);
        gloss__buf_adds(&got, " <- ");
        if (os <= oe && oe <= olen)
            gloss__buf_add(&got, orig + os, oe - os);
        else
            gloss__buf_printf(&got, "[bad range %zu..%zu]", os, oe);
        gloss__buf_addc(&got, '|');
    }
    is_int(rc, GLOSS_OK, "%s: the stage passes", what);
    ok(got.data && strcmp(got.data, want) == 0,
       "%s: every word maps back to exactly its original bytes", what);
    if (!got.data || strcmp(got.data, want) != 0) {
        diag("got:  %s", got.data ? got.data : "(nothing)");
        diag("want: %s", want);
    }
    gloss__buf_free(&got);
    gloss_doc_destroy(&doc);
    stage_close(&st);
}

/* The points gloss__normalize_text() gives for in (NUL-terminated), as
 * "t,o " pairs. */
static char *map_points(const gloss__normalize_settings *set, const char *in)
{
    gloss__normalizer *nz = gloss__normalizer_new(set);
    gloss__buf out = GLOSS__BUF_INIT, pts = GLOSS__BUF_INIT;
    gloss__norm_map map = GLOSS__NORM_MAP_INIT;
    char err[256];
    int rc = gloss__normalize_text(nz, in, strlen(in), &out, &map, err, sizeof err);
    gloss__buf_printf(&pts, "rc %d:", rc);
    for (size_t i = 0; i < map.n; i++)
        gloss__buf_printf(&pts, " %zu,%zu", map.pts[i].new_start,
                          map.pts[i].old_start);
    gloss__norm_map_free(&map);
    gloss__buf_free(&out);
    gloss__normalizer_destroy(&nz);
    return gloss__buf_steal(&pts, NULL);
}

static void test_map(void)
{
    /* The points themselves: each change is one stretch between two
     * points, copied text needs none, and a normal text gets no map. */
    struct {
        const char *in, *want, *what;
    } cases[] = {
        {"plain text", "rc 0:", "a normal text has no map"},
        {"a\r\nb", "rc 1: 0,0 1,1 2,3 3,4", "a CRLF is one stretch"},
        {"a\rb\rc", "rc 1: 0,0 5,5", "a lone CR keeps the length: no change point"},
        {"xe\xCC\x81y", "rc 1: 0,0 1,1 3,4 4,5",
         "an NFC segment is one stretch, from the letter to its mark"},
        {"\xEF\xBB\xBFok", "rc 1: 0,0 0,3 2,5", "a BOM is deleted text"},
        {"a\xC2\xAD\xC2\xAD" "b", "rc 1: 0,0 1,1 1,3 1,5 2,6",
         "two soft hyphens in a row"},
        {"e\xC2\xAD\xCC\x81!", "rc 1: 0,0 2,5 3,6",
         "a soft hyphen inside an NFC segment goes with it"},
        {"\x01\x02", "rc 1: 0,0 0,1 0,2", "a text of nothing but controls"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = map_points(&DEFAULTS, cases[i].in);
        is_str(got, cases[i].want, "map: %s", cases[i].what);
        free(got);
    }
    gloss__normalize_settings replace = DEFAULTS;
    replace.reject_invalid = 0;
    char *got = map_points(&replace, "a\xFF\xC3(b");
    is_str(got, "rc 1: 0,0 1,1 4,2 7,3 9,5",
           "map: each ill-formed sequence is one stretch to its U+FFFD");
    free(got);
    gloss__normalize_settings nfkc = DEFAULTS;
    nfkc.form = GLOSS__FORM_NFKC;
    got = map_points(&nfkc, "o\xEF\xAC\x81ne\r\n");
    is_str(got, "rc 1: 0,0 1,1 3,4 5,6 6,8",
           "map: an NFKC expansion is one stretch, and composes with a CRLF");
    free(got);

    /* A long text with a few changes: the map grows with the changes. */
    size_t n = 1u << 20;
    char *big = malloc(n + 1);
    memset(big, 'x', n);
    big[n] = '\0';
    for (size_t k = 1; k <= 10; k++)
        memcpy(big + k * (n / 11), "\r\n", 2);
    gloss__normalizer *nz = gloss__normalizer_new(&DEFAULTS);
    gloss__buf out = GLOSS__BUF_INIT;
    gloss__norm_map map = GLOSS__NORM_MAP_INIT;
    char err[256];
    int rc = gloss__normalize_text(nz, big, n, &out, &map, err, sizeof err);
    ok(rc == 1 && map.n <= 2 * 10 + 2,
       "map: 10 changes in 1 MiB give at most 22 points (%zu)", map.n);
    gloss__norm_map_free(&map);
    gloss__buf_free(&out);
    gloss__normalizer_destroy(&nz);
    free(big);

    /* Through the stage and its cleaning pass, word by word. */
    const char nfc_in[] =
        "\xEF\xBB\xBFRene\xCC\x81 met Kazakh\xC2\xADstan\r\n"
        "and\rthe\x01re \xFF bad soft\xC2\xAD "
        "<Depute>Zoe\xCC\x88 Bront\xC3\xAB</Depute> with-\r\n"
        "drawal of caf\x65\xCC\x81s.\r\n";
    check_map_back(
        "{\"invalid\": \"replace\"}", nfc_in, sizeof nfc_in - 1,
        "Ren\xC3\xA9 <- Rene\xCC\x81|met <- met|"
        "Kazakhstan <- Kazakh\xC2\xADstan|and <- and|there <- the\x01re|"
        FFFD " <- \xFF|bad <- bad|soft <- soft|"
        "Zo\xC3\xAB <- Zoe\xCC\x88|Bront\xC3\xAB <- Bront\xC3\xAB|"
        "withdrawal <- with-\r\ndrawal|of <- of|caf\xC3\xA9s. <- caf\x65\xCC\x81s.|",
        "NFC, CRLF, CR, BOM, controls, soft hyphens, U+FFFD, markup, hyphen");

    const char nfkc_in[] = "the \xEF\xAC\x81ne o\xEF\xAC\x83" "ce\r\n"
                           "\xC2\xAD\xC2\xAD" "bene\xEF\xAC\x81t\x7F" "s.\r\n";
    check_map_back(
        "{\"form\": \"NFKC\"}", nfkc_in, sizeof nfkc_in - 1,
        "the <- the|fine <- \xEF\xAC\x81ne|office <- o\xEF\xAC\x83" "ce|"
        "benefits. <- bene\xEF\xAC\x81t\x7F" "s.|",
        "NFKC ligatures, CRLF, soft hyphens and DEL");
}

int main(void)
{
    test_invalid();
    test_forms();
    test_against_whole_text();
    test_lines_and_controls();
    test_large();
    test_stage();
    test_map();
    return done_testing();
}
