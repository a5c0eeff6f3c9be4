/*
 * fuzz_segment.c - a libFuzzer target for the normalize and segment stages:
 * any byte sequence must go through without a crash, a hang or a broken
 * document.
 *
 * Each input becomes the text of one document, which runs through three
 * pipelines built once, on the first call:
 *
 *   clean    normalize with the default cleaning (unwrapping, hyphens,
 *            page furniture, footnotes, markup) but invalid = "replace",
 *            so that every input reaches segment, then segment;
 *   raw      normalize to NFKC with every cleaning step off, then segment
 *            with hyphenated words kept whole and no built-in
 *            abbreviations, so that segment sees text clean leaves alone;
 *   segment  segment alone, given the input only when it is valid UTF-8
 *            (the only text it is ever given after normalize).
 *
 * After each run the target checks the document: it went through (with
 * invalid = "replace" neither stage has a reason to fail), no stage left
 * an error on it, gloss_doc_check() holds (spans inside the text, on
 * character boundaries, layers sorted), and the tokens and sentences
 * layers hold non-empty spans that do not overlap. Any violation prints
 * the pipeline and the reason and aborts, which libFuzzer reports as a
 * crash with the input saved.
 *
 * With GLOSS_FUZZ_STRUCTURE set to the path of scripts/structure.lua, the
 * clean pipeline ends with that Lua stage as well, which must never leave
 * an error on any document either. It is off by default: the Lua
 * interpreter is not instrumented, so it slows the search down without
 * guiding it.
 *
 * The same file is linked into tests/fuzz/replay (built by the ordinary
 * compiler for `make check`), which feeds it every file of the corpus.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "gloss/doc.h"
#include "pipeline.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void gloss__fuzz_teardown(void);

enum { P_CLEAN, P_RAW, P_SEGMENT, N_PIPELINES };

static const char *const pipeline_names[N_PIPELINES] = {"clean", "raw",
                                                        "segment"};

static gloss__config *configs[N_PIPELINES];
static gloss__pipeline *pipelines[N_PIPELINES];

static gloss__pipeline *build(int which, const char *src)
{
    char err[1024];
    configs[which] = gloss__config_load_string(src, strlen(src), "fuzz", ".",
                                               err, sizeof err);
    gloss__pipeline *p =
        configs[which] ? gloss__pipeline_new(configs[which], err, sizeof err)
                       : NULL;
    if (!p) {
        fprintf(stderr, "fuzz_segment: pipeline %s: %s\n",
                pipeline_names[which], err);
        abort();
    }
    return p;
}

static void setup(void)
{
    /* The structure script's path goes into the Lua source inside a long
     * bracket, which no path is likely to close. */
    const char *structure = getenv("GLOSS_FUZZ_STRUCTURE");
    char clean[4096];
    int n = snprintf(clean, sizeof clean,
                     "return { pipeline = {"
                     " { stage = 'normalize', options = { invalid = 'replace' } },"
                     " { stage = 'segment' }%s%s%s } }",
                     structure && *structure ? ", { script = [==[" : "",
                     structure && *structure ? structure : "",
                     structure && *structure ? "]==] }" : "");
    if (n < 0 || (size_t)n >= sizeof clean) {
        fprintf(stderr, "fuzz_segment: GLOSS_FUZZ_STRUCTURE is too long\n");
        abort();
    }
    pipelines[P_CLEAN] = build(P_CLEAN, clean);
    pipelines[P_RAW] = build(
        P_RAW, "return { pipeline = {"
               " { stage = 'normalize', options = { invalid = 'replace',"
               "   form = 'NFKC', unwrap = false, dehyphenate = false,"
               "   furniture = false, footnotes = false, markup = false } },"
               " { stage = 'segment', options = { language = 'none',"
               "   hyphens = 'keep' } } } }");
    pipelines[P_SEGMENT] =
        build(P_SEGMENT, "return { pipeline = { { stage = 'segment' } } }");
}

/* libFuzzer never returns from its loop, but the corpus replay (a normal
 * test, also run under valgrind) does: it frees the pipelines at the end
 * so that a leak report means a real leak. */
void gloss__fuzz_teardown(void)
{
    for (int i = 0; i < N_PIPELINES; i++) {
        gloss__pipeline_destroy(&pipelines[i]);
        gloss__config_destroy(&configs[i]);
    }
}

static void fail(int which, const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_segment: pipeline %s: %s%s\n",
            pipeline_names[which], what, detail);
    abort();
}

/* Spans of a layer of boundaries (tokens, sentences) are never empty and
 * never overlap: each starts at or after the end of the one before. */
static void check_partition(int which, gloss_doc *doc, const char *name)
{
    gloss_layer *layer = gloss_doc_layer(doc, name, 0);
    if (!layer)
        return;
    size_t n = gloss_layer_size(layer);
    uint32_t prev_end = 0;
    for (size_t i = 0; i < n; i++) {
        const gloss_span *s = gloss_layer_span(layer, i);
        if (s->start >= s->end)
            fail(which, "an empty span in layer ", name);
        if (s->start < prev_end)
            fail(which, "overlapping spans in layer ", name);
        prev_end = s->end;
    }
}

static void run(int which, const uint8_t *data, size_t size)
{
    gloss_doc *doc = gloss_doc_new("fuzz", "fuzz", (const char *)data, size);
    if (!doc)
        fail(which, "gloss_doc_new failed", "");
    gloss__doc_status status;
    gloss__pipeline_run(pipelines[which], &doc, 1, &status);
    if (gloss_doc_error_count(doc) > 0) {
        const char *stage, *message;
        gloss_doc_error_at(doc, 0, &stage, &message);
        fprintf(stderr, "fuzz_segment: pipeline %s: stage %s: %s\n",
                pipeline_names[which], stage, message);
        abort();
    }
    if (status != GLOSS__DOC_OK)
        fail(which, "the document ",
             status == GLOSS__DOC_DROPPED ? "was dropped" : "failed");
    char err[512];
    if (gloss_doc_check(doc, err, sizeof err) != 0)
        fail(which, "", err);
    /* segment trusts normalize to leave valid UTF-8 and does not check
     * the text again: that is checked here, after cleaning. */
    size_t len;
    const char *text = gloss_doc_text(doc, &len);
    if (gloss__utf8_valid_prefix(text, len) != len)
        fail(which, "the text is not valid UTF-8 after the pipeline", "");
    check_partition(which, doc, "tokens");
    check_partition(which, doc, "sentences");
    check_partition(which, doc, "paragraphs");
    gloss_doc_destroy(&doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!pipelines[0])
        setup();
    run(P_CLEAN, data, size);
    run(P_RAW, data, size);
    if (gloss__utf8_valid_prefix((const char *)data, size) == size)
        run(P_SEGMENT, data, size);
    return 0;
}
