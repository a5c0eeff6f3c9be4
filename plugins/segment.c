/*
 * segment.c - the built-in `segment` stage: paragraphs, sentences and
 * tokens.
 *
 * Paragraphs are found line by line: a blank line ends one, and a line
 * that starts with a list marker (a bullet or dash, "A.", "1.", "(a)",
 * "iv)") starts a new one, so that the items of a list and the recitals
 * of a resolution are paragraphs of their own; a heading is a line between
 * blank lines and so a paragraph too. Lines in between are one paragraph
 * (text wrapped by a PDF). Each paragraph is then tokenized and split
 * into sentences by segment_tok.c; no sentence crosses a paragraph.
 *
 * The stage writes the layers "paragraphs", "sentences" and "tokens"
 * (EWT syntactic words), and "multiwords" for the surface words split
 * into several tokens ("don't" = "do" + "n't"), as CoNLL-U's multiword
 * lines do. All spans are added in text order, the layers' fast path.
 *
 * The text must be valid UTF-8; the document remembers when it is known
 * to be (normalize says so of its output), so that segment after normalize
 * does not scan the text a second time to check.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "doc_internal.h"
#include "gloss/stage.h"
#include "segment_abbrev.h"
#include "segment_tok.h"

typedef struct segment_ctx {
    gloss__abbrevs *abbrevs;
    gloss__segmenter sg;
    /* The lists a document's spans are gathered in, kept from one
     * document to the next (process is never called concurrently on one
     * instance), unless a large document made them large. */
    gloss__seg_out out;
    gloss__seg_list paras;
} segment_ctx;

/* Lists that grew past LAZY_RANGES ranges for a large document keep their
 * memory for the next one, but its pages are handed back lazily
 * (MADV_FREE): the kernel takes them when memory runs short, and
 * otherwise the next large document finds them in place instead of
 * faulting in and zeroing fresh pages, which was a third of the cost of
 * a 10 MiB document of brackets. Lists past KEEP_RANGES are freed. */
#define LAZY_RANGES ((size_t)1 << 18)
#define KEEP_RANGES ((size_t)1 << 23)

static void lazy_free_list(gloss__seg_list *l)
{
    if (l->cap > LAZY_RANGES)
        gloss__pages_lazy_free(l->v, l->cap * sizeof *l->v);
}

static const char *const language_choices[] = {"en", "none", NULL};
static const char *const hyphen_choices[] = {"split", "keep", NULL};

static const gloss_option segment_options[] = {
    {"language", GLOSS_OPT_STRING, "\"en\"",
     "The built-in list of abbreviations to use: \"en\" (English titles "
     "such as Mr. and Dr., references such as No., Art. and p. before a "
     "number, and ordinary abbreviations such as etc., Inc. and a.m.), or "
     "\"none\" to rely only on the lists below.",
     language_choices},
    {"abbreviations", GLOSS_OPT_STRINGS, "[]",
     "More abbreviations that keep their full stop and never end a "
     "sentence, such as titles before a name (\"Rapp.\", \"Cllr.\"); the "
     "final full stop may be written or left out. Case matters.",
     NULL},
    {"final_abbreviations", GLOSS_OPT_STRINGS, "[]",
     "More abbreviations that keep their full stop but may end the "
     "sentence, as \"etc.\" does: they end it when the next word is one "
     "that starts sentences (a pronoun, article, conjunction, question "
     "word, auxiliary or title: \"etc. The\", \"U.S. How\"), not before "
     "another capitalised word (\"the U.S. Government\").",
     NULL},
    {"hyphens", GLOSS_OPT_STRING, "\"split\"",
     "\"split\" (the default) cuts hyphenated words as UD English EWT does "
     "(\"long - term\"), keeping numbers (\"2019-2024\"), identifiers "
     "(\"B9-0149/2021\") and the prefixes EWT keeps (\"non-stop\", "
     "\"e-mail\") whole, so that a tagger trained on EWT sees its own "
     "tokens; \"keep\" keeps every hyphenated word as one token.",
     hyphen_choices},
    {NULL, 0, NULL, NULL, NULL},
};

static int add_option_list(gloss__abbrevs *set, const gloss_opts *opts,
                           const char *name, gloss__abbrev_kind kind,
                           gloss_err *err)
{
    size_t n = gloss_opts_strings_count(opts, name);
    for (size_t i = 0; i < n; i++) {
        const char *w = gloss_opts_strings_at(opts, name, i);
        if (gloss__abbrevs_add(set, w, strlen(w), kind) < 0) {
            gloss_err_set(err, "%s[%zu]: '%s' is not an abbreviation of 1 to "
                               "63 bytes", name, i + 1, w);
            return -1;
        }
    }
    return 0;
}

static void segment_fini(void *ctx)
{
    segment_ctx *sc = ctx;
    if (!sc)
        return;
    gloss__abbrevs_destroy(&sc->abbrevs);
    gloss__seg_out_free(&sc->out);
    free(sc->paras.v);
    free(sc);
}

static int segment_init(void **ctx, const gloss_opts *opts, gloss_err *err)
{
    segment_ctx *sc = calloc(1, sizeof *sc);
    if (!sc || !(sc->abbrevs = gloss__abbrevs_new())) {
        free(sc);
        gloss_err_set(err, "out of memory building the abbreviation list");
        return GLOSS_ERROR;
    }
    const char *lang = gloss_opts_string(opts, "language");
    if (strcmp(lang, "none") != 0 &&
        gloss__abbrevs_add_language(sc->abbrevs, lang) < 0) {
        gloss_err_set(err, "out of memory building the abbreviation list");
        segment_fini(sc);
        return GLOSS_ERROR;
    }
    if (add_option_list(sc->abbrevs, opts, "abbreviations", GLOSS__AB_TITLE,
                        err) < 0 ||
        add_option_list(sc->abbrevs, opts, "final_abbreviations",
                        GLOSS__AB_FINAL, err) < 0) {
        segment_fini(sc);
        return GLOSS_ERROR;
    }
    gloss__segmenter_init(&sc->sg, sc->abbrevs,
                          strcmp(gloss_opts_string(opts, "hyphens"), "split") == 0);
    *ctx = sc;
    return GLOSS_OK;
}

/* ---- paragraphs --------------------------------------------------------- */

static int is_hspace(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Whether the line at s[i..e) (i at its first visible character) starts
 * with a list marker followed by white space. */
static int item_start(const unsigned char *s, size_t i, size_t e)
{
    static const char *const bullets[] = {
        "-", "*", "+", "\xE2\x80\xA2", "\xC2\xB7", "\xE2\x80\x93",
        "\xE2\x80\x94", "\xE2\x96\xAA", "\xE2\x97\xA6", "\xE2\x97\x8F",
        "\xEF\x82\xA7", NULL};
    /* Every bullet starts with one of these bytes: most lines start with
     * a letter and skip the comparisons. */
    if (memchr("-*+\xE2\xC2\xEF", s[i], 6))
        for (size_t b = 0; bullets[b]; b++) {
            size_t len = strlen(bullets[b]);
            if (i + len < e && memcmp(s + i, bullets[b], len) == 0 &&
                is_hspace(s[i + len]))
                return 1;
        }
    size_t j = i + (s[i] == '(');
    size_t k = j;
    while (k < e && k - j < 5 &&
           ((s[k] >= '0' && s[k] <= '9') || strchr("ivxlcIVXLC", s[k]) != NULL))
        k++;
    int ok = k > j && (k - j <= 3 || strspn((const char *)s + j, "ivxlcIVXLC") >= k - j);
    if (k == j && k < e && ((s[k] | 0x20) >= 'a' && (s[k] | 0x20) <= 'z'))
        k++, ok = 1;
    if (!ok || k + 1 >= e)
        return 0;
    if (s[i] == '(' ? s[k] != ')' : s[k] != '.' && s[k] != ')')
        return 0;
    return is_hspace(s[k + 1]);
}

static int add_list(gloss_doc *doc, const char *name,
                    const gloss__seg_list *l)
{
    gloss_layer *layer = gloss_doc_layer(doc, name, 1);
    return layer ? gloss__layer_add_ranges(layer, l->v, l->n, sizeof *l->v) : -1;
}

static int segment_process(void *ctx, gloss_doc *doc, gloss_err *err)
{
    segment_ctx *sc = ctx;
    size_t n;
    const char *text = gloss_doc_text(doc, &n);
    if (!gloss__doc_text_utf8(doc)) {
        gloss_err_set(err, "the text is not valid UTF-8: put normalize "
                           "before segment");
        return GLOSS_ERROR;
    }
    /* The spans of the whole document are gathered first and added to
     * their layers at the end, each layer in one allocation of the exact
     * size: adding them paragraph by paragraph grew the layers' arrays
     * step by step, copying them and touching fresh memory each time. */
    const unsigned char *s = (const unsigned char *)text;
    gloss__seg_out *out = &sc->out;
    gloss__seg_list *paras = &sc->paras;
    gloss__seg_out_clear(out);
    paras->n = 0;
    int open = 0;
    size_t para = 0, para_end = 0, i = 0;
    for (;;) {
        const unsigned char *nl = memchr(s + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - s) : n;
        size_t v = i;
        while (v < e && is_hspace(s[v]))
            v++;
        int blank = v == e;
        if (open && (blank || item_start(s, v, e))) {
            gloss__seg_paragraph(&sc->sg, text, para, para_end, out);
            gloss__seg_push(out, paras, para, para_end, 0);
            open = 0;
        }
        if (!blank) {
            if (!open)
                para = v;
            open = 1;
            size_t t = e;
            while (t > v && is_hspace(s[t - 1]))
                t--;
            para_end = t;
        }
        if (out->oom || e == n)
            break;
        i = e + 1;
    }
    if (!out->oom && open) {
        gloss__seg_paragraph(&sc->sg, text, para, para_end, out);
        gloss__seg_push(out, paras, para, para_end, 0);
    }
    /* The layers are created in this order whatever the text holds. */
    int rc = out->oom ? -1 : 0;
    if (rc == 0)
        rc = add_list(doc, "paragraphs", paras);
    if (rc == 0)
        rc = add_list(doc, "sentences", &out->sentences);
    if (rc == 0)
        rc = add_list(doc, "tokens", &out->tokens);
    if (rc == 0)
        rc = add_list(doc, "multiwords", &out->multiwords);
    if (out->tokens.cap > KEEP_RANGES || out->sentences.cap > KEEP_RANGES ||
        out->multiwords.cap > KEEP_RANGES || paras->cap > KEEP_RANGES ||
        out->caplook > KEEP_RANGES) {
        gloss__seg_out_free(out);
        free(paras->v);
        memset(paras, 0, sizeof *paras);
    } else {
        lazy_free_list(&out->tokens);
        lazy_free_list(&out->sentences);
        lazy_free_list(&out->multiwords);
        lazy_free_list(paras);
        if (out->caplook > LAZY_RANGES)
            gloss__pages_lazy_free(out->look, out->caplook * sizeof *out->look);
    }
    if (rc < 0) {
        gloss_err_set(err, "out of memory adding the segments");
        return GLOSS_ERROR;
    }
    return GLOSS_OK;
}

const gloss_stage_desc gloss__stage_segment = {
    .abi = GLOSS_STAGE_ABI,
    .name = "segment",
    .description = "Splits the text into paragraphs, sentences and tokens "
                   "(UD English EWT conventions).",
    .options = segment_options,
    .init = segment_init,
    .process = segment_process,
    .fini = segment_fini,
};
