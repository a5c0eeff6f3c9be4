/*
 * tagger_stage.c - the built-in `pos` and `ner` stages.
 *
 * Both read the `tokens` and `sentences` layers that `segment` makes and
 * tag one sentence at a time. `pos` sets an attribute (`upos` by default)
 * on every token. `ner` adds a span per entity to the `entities` layer,
 * labelled with its type and with the attributes `source` (the model's
 * name) and `confidence`; its document memory lives for one document.
 *
 * The segmenter follows UD English EWT, which splits hyphenated words
 * ("Sino - Japanese"), while CoNLL-2003, which the default ner model
 * learnt from, keeps them whole: `ner` joins tokens linked by a hyphen
 * with no space around it back into one before tagging, so that the model
 * sees the tokens it was trained on.
 *
 * The model is the file the `model` option names (relative to the
 * configuration's folder), or by default en-pos.bin / en-ner.bin searched
 * in the folders of $GLOSS_MODEL_PATH, then the installed models folder,
 * then the source tree's models/ (for an uninstalled build). The file is
 * mapped read-only, so the worker processes of a daemon share it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_path.h"
#include "gloss/stage.h"
#include "tagger.h"

#ifndef GLOSS_MODEL_DIR
#define GLOSS_MODEL_DIR "/usr/local/share/gloss/models"
#endif

typedef struct tagger_ctx {
    gloss__tagger *t;
    gloss__tagger_kind kind;
    char *attr;
    char *layer;
    double min_conf;
    gloss__tagger_doc *mem;
} tagger_ctx;

static const gloss_option pos_options[] = {
    {"model", GLOSS_OPT_STRING, "\"\"",
     "The model file (made by `gloss train pos`), relative to the "
     "configuration's folder; \"\" (the default) is en-pos.bin from the "
     "models folder (see models/README.md).",
     NULL},
    {"attribute", GLOSS_OPT_STRING, "\"upos\"",
     "The token attribute that receives the tag.", NULL},
    {NULL, 0, NULL, NULL, NULL},
};

static const gloss_option ner_options[] = {
    {"model", GLOSS_OPT_STRING, "\"\"",
     "The model file (made by `gloss train ner`), relative to the "
     "configuration's folder; \"\" (the default) is en-ner.bin from the "
     "models folder (see models/README.md).",
     NULL},
    {"layer", GLOSS_OPT_STRING, "\"entities\"",
     "The layer that receives the entities.", NULL},
    {"min_confidence", GLOSS_OPT_NUMBER, "0",
     "Entities whose confidence (0 to 1) is lower are left out.", NULL},
    {NULL, 0, NULL, NULL, NULL},
};

char *gloss__tagger_default_model(gloss__tagger_kind kind)
{
    const char *name = kind == GLOSS__TAGGER_POS ? "en-pos.bin" : "en-ner.bin";
    const char *env = getenv("GLOSS_MODEL_PATH");
    char *list = env ? strdup(env) : NULL;
    char *found = NULL;
    for (char *save = NULL, *dir = list ? strtok_r(list, ":", &save) : NULL; dir && !found;
         dir = strtok_r(NULL, ":", &save)) {
        char *p = gloss__path_join(dir, name);
        if (p && gloss__path_is_file(p))
            found = p;
        else
            free(p);
    }
    free(list);
    const char *dirs[] = {GLOSS_MODEL_DIR,
#ifdef GLOSS_SOURCE_MODEL_DIR
                          GLOSS_SOURCE_MODEL_DIR,
#endif
                          NULL};
    for (size_t i = 0; !found && dirs[i]; i++) {
        char *p = gloss__path_join(dirs[i], name);
        if (p && gloss__path_is_file(p))
            found = p;
        else
            free(p);
    }
    return found;
}

static void tagger_fini(void *ctx)
{
    tagger_ctx *c = ctx;
    if (!c)
        return;
    gloss__tagger_close(c->t);
    gloss__tagger_doc_free(c->mem);
    free(c->attr);
    free(c->layer);
    free(c);
}

static int tagger_init(void **ctx, const gloss_opts *opts, gloss_err *err,
                       gloss__tagger_kind kind)
{
    const char *file = gloss_opts_string(opts, "model");
    const char *def = kind == GLOSS__TAGGER_POS ? "en-pos.bin" : "en-ner.bin";
    if (file && !*file)
        file = NULL;
    char *path = file ? gloss_opts_path(opts, file) : gloss__tagger_default_model(kind);
    if (!path) {
        if (file)
            gloss_err_set(err, "out of memory");
        else
            gloss_err_set(err,
                          "the default model %s is in none of $GLOSS_MODEL_PATH, %s"
                          "; give one with the option model",
                          def, GLOSS_MODEL_DIR);
        return GLOSS_ERROR;
    }
    tagger_ctx *c = calloc(1, sizeof(*c));
    char msg[1024];
    if (!c) {
        free(path);
        gloss_err_set(err, "out of memory");
        return GLOSS_ERROR;
    }
    c->kind = kind;
    c->t = gloss__tagger_open(path, kind, msg, sizeof msg);
    free(path);
    if (!c->t) {
        gloss_err_set(err, "%s", msg);
        tagger_fini(c);
        return GLOSS_ERROR;
    }
    if (kind == GLOSS__TAGGER_POS) {
        c->attr = strdup(gloss_opts_string(opts, "attribute"));
    } else {
        c->layer = strdup(gloss_opts_string(opts, "layer"));
        c->min_conf = gloss_opts_number(opts, "min_confidence");
    }
    c->mem = gloss__tagger_doc_new();
    if (!c->mem || (kind == GLOSS__TAGGER_POS && !c->attr) ||
        (kind == GLOSS__TAGGER_NER && !c->layer)) {
        gloss_err_set(err, "out of memory");
        tagger_fini(c);
        return GLOSS_ERROR;
    }
    *ctx = c;
    return GLOSS_OK;
}

static int pos_init(void **ctx, const gloss_opts *opts, gloss_err *err)
{
    return tagger_init(ctx, opts, err, GLOSS__TAGGER_POS);
}

static int ner_init(void **ctx, const gloss_opts *opts, gloss_err *err)
{
    return tagger_init(ctx, opts, err, GLOSS__TAGGER_NER);
}

/* One token as tagged: its text and the token spans [first, last] it
 * covers (several for ner's re-joined hyphenated words). */
typedef struct unit {
    uint32_t start, end;
    size_t first, last;
} unit;

/* The document's units, their sentences, and what the tagger says. */
typedef struct work {
    gloss__tagger_tok *toks;
    unit *units;
    uint8_t *labels;
    float *conf;
    gloss__tagger_span *spans;
    size_t n, cap;
    size_t *sents; /* first unit of each sentence, and a sentinel */
    size_t nsents, capsents;
} work;

static int work_reserve(work *w, size_t n)
{
    if (n <= w->cap)
        return 0;
    size_t cap = w->cap ? w->cap : 256;
    while (cap < n)
        cap *= 2;
    gloss__tagger_tok *t = realloc(w->toks, cap * sizeof *t);
    if (t)
        w->toks = t;
    unit *u = realloc(w->units, cap * sizeof *u);
    if (u)
        w->units = u;
    uint8_t *l = realloc(w->labels, cap);
    if (l)
        w->labels = l;
    float *c = realloc(w->conf, cap * sizeof *c);
    if (c)
        w->conf = c;
    gloss__tagger_span *s = realloc(w->spans, cap * sizeof *s);
    if (s)
        w->spans = s;
    if (!t || !u || !l || !c || !s)
        return -1;
    w->cap = cap;
    return 0;
}

static int add_sentence_start(work *w)
{
    if (w->nsents + 2 > w->capsents) {
        size_t cap = w->capsents ? w->capsents * 2 : 64;
        size_t *s = realloc(w->sents, cap * sizeof *s);
        if (!s)
            return -1;
        w->sents = s;
        w->capsents = cap;
    }
    w->sents[w->nsents++] = w->n;
    return 0;
}

static void work_free(work *w)
{
    free(w->toks);
    free(w->units);
    free(w->labels);
    free(w->conf);
    free(w->spans);
    free(w->sents);
}

/* Whether a unit has a letter or digit (non-ASCII bytes count as letters). */
static int has_alnum(const gloss__tagger_tok *t)
{
    for (size_t i = 0; i < t->len; i++) {
        unsigned char c = (unsigned char)t->s[i];
        if (c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
            return 1;
    }
    return 0;
}

static int is_hyphen(const char *text, const gloss_span *s)
{
    return s->end - s->start == 1 && text[s->start] == '-';
}

/* Adds the tokens [a, b) of the layer as one sentence of units. */
static int add_sentence(const tagger_ctx *c, gloss_layer *toks, const char *text,
                        size_t a, size_t b, work *w)
{
    if (work_reserve(w, w->n + (b - a) + 1) != 0 || add_sentence_start(w) != 0)
        return -1;
    for (size_t i = a; i < b; i++) {
        const gloss_span *s = gloss_layer_span(toks, i);
        unit *u = &w->units[w->n];
        u->start = s->start;
        u->end = s->end;
        u->first = u->last = i;
        /* ner: "Sino" "-" "Japanese" written without spaces is one word. */
        while (c->kind == GLOSS__TAGGER_NER && i + 2 < b) {
            const gloss_span *h = gloss_layer_span(toks, i + 1);
            const gloss_span *r = gloss_layer_span(toks, i + 2);
            if (!is_hyphen(text, h) || h->start != u->end || r->start != h->end ||
                is_hyphen(text, r))
                break;
            u->end = r->end;
            u->last = i + 2;
            i += 2;
        }
        w->toks[w->n].s = text + u->start;
        w->toks[w->n].len = u->end - u->start;
        w->n++;
    }
    return 0;
}

/* Writes what the tagger found: tags on tokens, or entities. */
static int write_results(tagger_ctx *c, gloss_doc *doc, gloss_layer *toks,
                         gloss_layer *out, work *w)
{
    if (c->kind == GLOSS__TAGGER_POS) {
        for (size_t i = 0; i < w->n; i++) {
            gloss_span *s = gloss_layer_span(toks, w->units[i].first);
            const char *tag = gloss__tagger_label(c->t, w->labels[i]);
            if (gloss_span_set_string(doc, s, c->attr, tag) != 0)
                return -1;
        }
        return 0;
    }
    for (size_t k = 0; k < w->nsents; k++) {
        size_t a = w->sents[k], n = w->sents[k + 1] - a;
        size_t ns = gloss__tagger_spans(c->t, w->labels + a, w->conf + a, n, w->spans);
        for (size_t e = 0; e < ns; e++) {
            const gloss__tagger_span *sp = &w->spans[e];
            /* A bullet or a quote mark taken into a name is left out. */
            size_t f = a + sp->first, l = a + sp->last;
            while (f < l && !has_alnum(&w->toks[f]))
                f++;
            while (l > f && !has_alnum(&w->toks[l]))
                l--;
            if (sp->conf < c->min_conf || !has_alnum(&w->toks[f]))
                continue;
            gloss_span *s = gloss_layer_add(out, w->units[f].start, w->units[l].end,
                                            sp->type);
            if (!s ||
                gloss_span_set_string(doc, s, "source", gloss__tagger_name(c->t)) != 0 ||
                gloss_span_set_number(doc, s, "confidence",
                                      (double)(int)(sp->conf * 1000 + 0.5) / 1000) != 0)
                return -1;
        }
    }
    return 0;
}

static int tagger_process(void *ctx, gloss_doc *doc, gloss_err *err)
{
    tagger_ctx *c = ctx;
    gloss_layer *toks = gloss_doc_layer(doc, "tokens", 0);
    gloss_layer *sents = gloss_doc_layer(doc, "sentences", 0);
    if (!toks) {
        gloss_err_set(err, "no tokens layer: put segment before %s",
                      c->kind == GLOSS__TAGGER_POS ? "pos" : "ner");
        return GLOSS_ERROR;
    }
    gloss_layer *out = NULL;
    if (c->kind == GLOSS__TAGGER_NER) {
        out = gloss_doc_layer(doc, c->layer, 1);
        if (!out) {
            gloss_err_set(err, "out of memory");
            return GLOSS_ERROR;
        }
    }
    size_t len;
    const char *text = gloss_doc_text(doc, &len);
    size_t nt = gloss_layer_size(toks), ns = sents ? gloss_layer_size(sents) : 0;
    work w = {0};
    int rc = 0;
    size_t i = 0, s = 0;
    while (i < nt && rc == 0) {
        const gloss_span *t = gloss_layer_span(toks, i);
        while (s < ns && gloss_layer_span(sents, s)->end <= t->start)
            s++;
        size_t j = i + 1;
        if (s < ns && gloss_layer_span(sents, s)->start <= t->start) {
            uint32_t end = gloss_layer_span(sents, s)->end;
            while (j < nt && gloss_layer_span(toks, j)->end <= end)
                j++;
        } else {
            /* Tokens outside every sentence are tagged up to the next
             * sentence, as one. */
            uint32_t next = s < ns ? gloss_layer_span(sents, s)->start : UINT32_MAX;
            while (j < nt && gloss_layer_span(toks, j)->start < next)
                j++;
        }
        rc = add_sentence(c, toks, text, i, j, &w);
        i = j;
    }
    if (rc == 0 && w.n) {
        w.sents[w.nsents] = w.n;
        /* The token and sentence layers are only read here; entities go
         * to another layer, so indexes into them stay valid. */
        rc = gloss__tagger_tag_doc(c->t, c->mem, w.toks, w.sents, w.nsents, w.labels,
                                   c->kind == GLOSS__TAGGER_NER ? w.conf : NULL);
        if (rc == 0)
            rc = write_results(c, doc, toks, out, &w);
    }
    work_free(&w);
    if (rc != 0) {
        gloss_err_set(err, "out of memory tagging");
        return GLOSS_ERROR;
    }
    return GLOSS_OK;
}

const gloss_stage_desc gloss__stage_pos = {
    .abi = GLOSS_STAGE_ABI,
    .name = "pos",
    .description = "Tags every token with its Universal part of speech (UPOS), "
                   "from a statistical model.",
    .options = pos_options,
    .init = pos_init,
    .process = tagger_process,
    .fini = tagger_fini,
};

const gloss_stage_desc gloss__stage_ner = {
    .abi = GLOSS_STAGE_ABI,
    .name = "ner",
    .description = "Finds people, organisations, places and other names (PER, "
                   "ORG, LOC, MISC) as spans of the entities layer.",
    .options = ner_options,
    .init = ner_init,
    .process = tagger_process,
    .fini = tagger_fini,
};
