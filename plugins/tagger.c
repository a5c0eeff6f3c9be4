/*
 * tagger.c - tagging with a stored model: opening and checking a "pos" or
 * "ner" model, scoring with its quantised weights, turning BILOU labels
 * into entities, and scoring a tagger against a gold corpus.
 *
 * A model's sections (docs/models.md): "config" (JSON: name, feature set,
 * weight scale), "labels" (label names, one a line), "weights" (2^k
 * records of a 32-bit key, a shift and one int8 weight per label, found by linear
 * probing on the feature hash), "lexicon", "clusters" and, for ner,
 * "phrases" (2^k 8-byte records of a u32 key and a u32 value). Every size and count is
 * checked when the model is opened, so a tagger never reads outside a
 * section whatever the file holds. Opening also makes each weight
 * table's filter of the keys it holds (tagger_table.h).
 */
#include "tagger_table.h"

#include <jansson.h>
#include <math.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gloss__tagger {
    gloss__model *model;
    gloss__tagger_kind kind;
    char *name;
    char *label_text; /* the labels section, NUL-separated */
    tg_labels labels;
    tg_table weights[2]; /* a pass each: stacked models have two */
    float scale[2];
    int passes;
    tg_lex_table lex, phrases, clusters;
    uint64_t id; /* which tagger a document state's cache belongs to */
};

/* Tagger ids: a document state's cache knows whose sums it holds, even
 * when a closed tagger's memory is reused by the next one. */
static atomic_uint_least64_t next_id;

static int is_pow2(size_t n) { return n && (n & (n - 1)) == 0; }

/* Sums the int8 weights of the features into scores, in weight units. */
static void table_score(const void *ctx, const uint64_t *f, size_t n, float *scores)
{
    const tg_pass_table *pt = ctx;
    int32_t acc[GLOSS__TAGGER_MAX_LABELS];
    size_t L = pt->w->nlabels;
    memset(acc, 0, L * sizeof acc[0]);
    table_sum(pt->w, f, n, acc);
    for (size_t y = 0; y < L; y++)
        scores[y] = (float)acc[y] * pt->scale;
}

/* Makes w's filter of fingerprints (tagger_table.h): 8 to 16 bits per
 * feature the table holds, so that about one absent feature in 20 (at 8
 * bits) to 70 (at 16) still goes on to probing. -1 when out of memory. */
static int table_filter(tg_table *w)
{
    size_t held = 0;
    for (size_t s = 0; s <= w->mask; s++) {
        uint32_t rk;
        memcpy(&rk, w->rec + s * w->stride, 4);
        held += rk != 0;
    }
    size_t words = 1;
    while (words * 8 < held && words < TG_FILTER_MAX_WORDS)
        words <<= 1;
    w->filter = calloc(words, sizeof *w->filter);
    if (!w->filter)
        return -1;
    w->fmask = words - 1;
    for (size_t s = 0; s <= w->mask; s++) {
        uint32_t rk;
        memcpy(&rk, w->rec + s * w->stride, 4);
        if (rk)
            w->filter[table_filter_word(w, rk)] |= table_filter_bits(rk);
    }
    return 0;
}

static int lex_section(const gloss__model *m, const char *name, tg_lex_table *out,
                       char *err, size_t errlen)
{
    size_t size = 0;
    const void *p = gloss__model_section(m, name, &size);
    out->rec = NULL;
    out->mask = 0;
    if (!p)
        return 0;
    if (size % 8 != 0 || !is_pow2(size / 8)) {
        snprintf(err, errlen,
                 "model %s is corrupt: its \"%s\" section is not a table (%zu bytes)",
                 gloss__model_path(m), name, size);
        return -1;
    }
    out->rec = p;
    out->mask = size / 8 - 1;
    return 0;
}

gloss__tagger *gloss__tagger_from_model(gloss__model *m, gloss__tagger_kind kind,
                                        char *err, size_t errlen)
{
    const char *path = gloss__model_path(m);
    gloss__tagger *t = calloc(1, sizeof(*t));
    json_t *cfg = NULL;
    if (!t) {
        snprintf(err, errlen, "out of memory loading model %s", path);
        gloss__model_close(m);
        return NULL;
    }
    t->model = m;
    t->kind = kind;
    t->id = atomic_fetch_add(&next_id, 1) + 1;
    size_t size = 0;
    const char *text = gloss__model_section(m, "config", &size);
    json_error_t jerr;
    if (text)
        cfg = json_loadb(text, size, 0, &jerr);
    const char *features = cfg ? json_string_value(json_object_get(cfg, "features")) : NULL;
    const char *name = cfg ? json_string_value(json_object_get(cfg, "name")) : NULL;
    double scale = cfg ? json_number_value(json_object_get(cfg, "scale")) : 0;
    double scale2 = cfg ? json_number_value(json_object_get(cfg, "scale2")) : 0;
    json_int_t passes = cfg ? json_integer_value(json_object_get(cfg, "passes")) : 0;
    const char *want = kind == GLOSS__TAGGER_POS ? TG_FEATURES_POS : TG_FEATURES_NER;
    if (!features || !name || !(scale > 0 && scale < 1e6) || passes < 1 || passes > 2 ||
        (passes == 2 && !(scale2 > 0 && scale2 < 1e6))) {
        snprintf(err, errlen,
                 "model %s is corrupt: its \"config\" section lacks a name, feature set, passes or scale",
                 path);
        goto fail;
    }
    if (strcmp(features, want) != 0) {
        snprintf(err, errlen,
                 "model %s uses the feature set \"%s\"; this gloss knows \"%s\"", path,
                 features, want);
        goto fail;
    }
    t->name = strdup(name);
    t->scale[0] = (float)scale;
    t->scale[1] = (float)scale2;
    t->passes = (int)passes;
    const char *labels = gloss__model_section(m, "labels", &size);
    t->label_text = labels ? malloc(size + 1) : NULL;
    if (!t->name || (labels && !t->label_text)) {
        snprintf(err, errlen, "out of memory loading model %s", path);
        goto fail;
    }
    if (!labels || size == 0 || memchr(labels, '\0', size)) {
        snprintf(err, errlen, "model %s is corrupt: its labels are not text", path);
        goto fail;
    }
    memcpy(t->label_text, labels, size);
    t->label_text[size] = '\0';
    for (char *p = t->label_text; *p;) {
        char *nl = strchr(p, '\n');
        if (!nl || nl == p || t->labels.n == GLOSS__TAGGER_MAX_LABELS) {
            snprintf(err, errlen, "model %s is corrupt: its labels are not one a line",
                     path);
            goto fail;
        }
        *nl = '\0';
        t->labels.name[t->labels.n++] = p;
        p = nl + 1;
    }
    if (t->labels.n < 2) {
        snprintf(err, errlen, "model %s is corrupt: it has fewer than two labels", path);
        goto fail;
    }
    if (gloss__tg_labels_init(&t->labels, kind) != 0) {
        snprintf(err, errlen, "model %s is corrupt: its labels are not BILOU entity labels",
                 path);
        goto fail;
    }
    size_t stride = gloss__tg_stride(t->labels.n);
    for (int p = 0; p < t->passes; p++) {
        const char *sec = p == 0 ? "weights" : "weights2";
        const void *w = gloss__model_section(m, sec, &size);
        size_t nrec = size / stride;
        if (!w || size % stride != 0 || !is_pow2(nrec)) {
            snprintf(err, errlen,
                     "model %s is corrupt: its \"%s\" section does not match its %zu labels",
                     path, sec, t->labels.n);
            goto fail;
        }
        t->weights[p].rec = w;
        t->weights[p].mask = nrec - 1;
        t->weights[p].stride = stride;
        t->weights[p].nlabels = t->labels.n;
        if (table_filter(&t->weights[p]) != 0) {
            snprintf(err, errlen, "out of memory loading model %s", path);
            goto fail;
        }
    }
    if (lex_section(m, "lexicon", &t->lex, err, errlen) != 0 ||
        lex_section(m, "phrases", &t->phrases, err, errlen) != 0 ||
        lex_section(m, "clusters", &t->clusters, err, errlen) != 0)
        goto fail;
    json_decref(cfg);
    return t;
fail:
    json_decref(cfg);
    gloss__tagger_close(t);
    return NULL;
}

gloss__tagger *gloss__tagger_open(const char *path, gloss__tagger_kind kind,
                                  char *err, size_t errlen)
{
    gloss__model *m = gloss__model_open(path, kind == GLOSS__TAGGER_POS ? "pos" : "ner",
                                        GLOSS__TAGGER_VERSION, err, errlen);
    if (!m)
        return NULL;
    return gloss__tagger_from_model(m, kind, err, errlen);
}

void gloss__tagger_close(gloss__tagger *t)
{
    if (!t)
        return;
    gloss__model_close(t->model);
    free(t->weights[0].filter);
    free(t->weights[1].filter);
    free(t->name);
    free(t->label_text);
    free(t);
}

size_t gloss__tagger_label_count(const gloss__tagger *t) { return t->labels.n; }
const char *gloss__tagger_label(const gloss__tagger *t, size_t i)
{
    return i < t->labels.n ? t->labels.name[i] : NULL;
}
const char *gloss__tagger_name(const gloss__tagger *t) { return t->name; }

int gloss__tagger_tag_doc(const gloss__tagger *t, gloss__tagger_doc *doc,
                          const gloss__tagger_tok *toks, const size_t *sent_start,
                          size_t nsents, uint8_t *out, float *conf)
{
    size_t n = nsents ? sent_start[nsents] - sent_start[0] : 0;
    const gloss__tagger_tok *base = nsents ? toks + sent_start[0] : toks;
    tg_pass_table pt[2] = {{&t->weights[0], t->scale[0], t->id}, {&t->weights[1], t->scale[1], t->id}};
    tg_decoder d = {
        .kind = t->kind,
        .labels = &t->labels,
        .lex = {t->lex.rec ? gloss__tg_lex_get : NULL, &t->lex},
        .phrase = {t->phrases.rec ? gloss__tg_lex_get : NULL, &t->phrases},
        .clusters = {t->clusters.rec ? gloss__tg_lex_get : NULL, &t->clusters},
        .score = table_score,
        .scale = 1.0f,
    };
    if (t->passes == 2 && doc->capfirst < n + 1) {
        uint8_t *f = realloc(doc->first, n + 1);
        if (!f)
            return -1;
        doc->first = f;
        doc->capfirst = n + 1;
    }
    gloss__tagger_doc_reset(doc);
    /* The cache of per-token sums serves one table: a stacked model's two
     * passes are scored without it. */
    tg_fast_ctx fx = {NULL, &d, &pt[0]};
    tg_fast fast;
    if (t->passes == 1 && doc->cache_max)
        gloss__tg_cache_fast(doc, &fx, &fast);
    d.fast = fx.c ? &fast : NULL;
    for (int p = 0; p < t->passes; p++) {
        d.score_ctx = &pt[p];
        int last = p + 1 == t->passes;
        uint8_t *dest = last ? out : doc->first;
        if (p == 1) {
            /* The second pass starts the document memory afresh, knowing
             * the first pass's labels of the whole document. */
            gloss__tg_memo_reset(&doc->mem);
            if (t->kind == GLOSS__TAGGER_NER &&
                gloss__tg_memo_fill(&doc->agg, &t->labels, base, n, doc->first) != 0)
                return -1;
        }
        for (size_t s = 0; s < nsents; s++) {
            size_t a = sent_start[s] - sent_start[0], m = sent_start[s + 1] - sent_start[s];
            /* Very long sentences (a table read as one) go in pieces. */
            for (size_t i = 0; i < m; i += TG_MAX_SENT) {
                size_t k = m - i < TG_MAX_SENT ? m - i : TG_MAX_SENT;
                gloss__tg_decode(&d, doc, base + a + i, k, NULL,
                                 p == 1 ? doc->first + a + i : NULL, dest + a + i,
                                 last && conf ? conf + a + i : NULL);
            }
        }
    }
    return 0;
}

size_t gloss__tagger_spans(const gloss__tagger *t, const uint8_t *labels,
                           const float *conf, size_t n, gloss__tagger_span *spans)
{
    const tg_labels *l = &t->labels;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        int y = labels[i];
        if (y >= (int)l->n || l->type[y] < 0) {
            i++;
            continue;
        }
        int type = l->type[y];
        size_t j = i;
        /* B/I continue while the same type goes on with I or L. */
        if (l->bilou[y] == 'B' || l->bilou[y] == 'I') {
            while (j + 1 < n && labels[j + 1] < l->n && l->type[labels[j + 1]] == type &&
                   (l->bilou[labels[j + 1]] == 'I' || l->bilou[labels[j + 1]] == 'L')) {
                j++;
                if (l->bilou[labels[j]] == 'L')
                    break;
            }
        }
        float sum = 0;
        for (size_t m = i; m <= j; m++)
            sum += conf ? conf[m] : 1.0f;
        spans[k].first = i;
        spans[k].last = j;
        spans[k].type = l->types[type];
        spans[k].conf = sum / (float)(j - i + 1);
        k++;
        i = j + 1;
    }
    return k;
}

/* The gold entities of a sentence, in the same form. */
static size_t gold_spans(const tg_labels *l, char *const *gold, size_t n,
                         gloss__tagger_span *spans)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *g = gold[i];
        if (g[0] == 'O' || !g[1])
            continue;
        size_t j = i;
        if (g[0] == 'B' || g[0] == 'I')
            while (j + 1 < n && (gold[j + 1][0] == 'I' || gold[j + 1][0] == 'L') &&
                   strcmp(gold[j + 1] + 1, g + 1) == 0) {
                j++;
                if (gold[j][0] == 'L')
                    break;
            }
        spans[k].first = i;
        spans[k].last = j;
        spans[k].type = g + 2;
        spans[k].conf = 1;
        k++;
        i = j;
    }
    (void)l;
    return k;
}

static size_t type_index(gloss__tagger_counts *c, const char *type)
{
    for (size_t i = 0; i < c->ntypes; i++)
        if (strcmp(c->types[i], type) == 0)
            return i;
    if (c->ntypes == 8 || strlen(type) >= sizeof c->types[0])
        return 7;
    strcpy(c->types[c->ntypes], type);
    return c->ntypes++;
}

int gloss__tagger_score(const gloss__tagger *t, const gloss__tagger_corpus *c,
                        gloss__tagger_counts *counts)
{
    size_t maxlen = 0;
    for (size_t s = 0; s < c->nsents; s++)
        if (c->sent_start[s + 1] - c->sent_start[s] > maxlen)
            maxlen = c->sent_start[s + 1] - c->sent_start[s];
    uint8_t *out = malloc(maxlen + 1);
    gloss__tagger_span *sys = malloc((maxlen + 1) * sizeof *sys);
    gloss__tagger_span *gold = malloc((maxlen + 1) * sizeof *gold);
    gloss__tagger_doc *doc = gloss__tagger_doc_new();
    int rc = -1;
    if (!out || !sys || !gold || !doc)
        goto done;
    uint8_t *all = malloc(c->ntoks + 1);
    if (!all)
        goto done;
    for (size_t s0 = 0; s0 < c->nsents;) {
        size_t s1 = s0 + 1;
        while (s1 < c->nsents && !c->doc_start[s1])
            s1++;
        if (gloss__tagger_tag_doc(t, doc, c->toks, c->sent_start + s0, s1 - s0,
                                  all + c->sent_start[s0], NULL) != 0) {
            free(all);
            goto done;
        }
        s0 = s1;
    }
    for (size_t s = 0; s < c->nsents; s++) {
        size_t a = c->sent_start[s], n = c->sent_start[s + 1] - a;
        memcpy(out, all + a, n);
        if (t->kind == GLOSS__TAGGER_POS) {
            for (size_t i = 0; i < n; i++) {
                counts->tokens++;
                counts->correct += strcmp(t->labels.name[out[i]], c->gold[a + i]) == 0;
            }
            continue;
        }
        size_t ns = gloss__tagger_spans(t, out, NULL, n, sys);
        size_t ng = gold_spans(&t->labels, c->gold + a, n, gold);
        for (size_t i = 0; i < ns; i++)
            counts->sys[type_index(counts, sys[i].type)]++;
        for (size_t i = 0; i < ng; i++) {
            size_t ti = type_index(counts, gold[i].type);
            counts->gold[ti]++;
            for (size_t j = 0; j < ns; j++)
                if (sys[j].first == gold[i].first && sys[j].last == gold[i].last &&
                    strcmp(sys[j].type, gold[i].type) == 0)
                    counts->hit[ti]++;
        }
    }
    free(all);
    rc = 0;
done:
    free(out);
    free(sys);
    free(gold);
    gloss__tagger_doc_free(doc);
    return rc;
}
