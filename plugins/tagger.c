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
 * section whatever the file holds.
 */
#include "tagger_internal.h"

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

/* What table_score reads: one pass's table and scale. */
typedef struct pass_table {
    const tg_table *w;
    float scale;
    uint64_t id; /* the tagger's, unique in the process */
} pass_table;

/* Tagger ids: a document state's cache knows whose sums it holds, even
 * when a closed tagger's memory is reused by the next one. */
static atomic_uint_least64_t next_id;

static int is_pow2(size_t n) { return n && (n & (n - 1)) == 0; }

/* acc += q << shift over n labels; restrict tells the compiler that the
 * sums are not the weights, so they stay in registers. */
static inline void add_row(int32_t *restrict acc, const int8_t *restrict q, size_t n,
                           int shift)
{
    size_t y = 0;
    /* Whole blocks of 16 in a loop of fixed length, which compilers turn
     * into vector instructions, then the rest. */
    for (; y + 16 <= n; y += 16)
        for (size_t j = 0; j < 16; j++)
            acc[y + j] += (int32_t)q[y + j] * (1 << shift);
    for (; y < n; y++)
        acc[y] += (int32_t)q[y] * (1 << shift);
}

/* acc += v over n labels, in blocks of 16 as add_row. */
static inline void add_vec(int32_t *restrict acc, const int32_t *restrict v, size_t n)
{
    size_t y = 0;
    for (; y + 16 <= n; y += 16)
        for (size_t j = 0; j < 16; j++)
            acc[y + j] += v[y + j];
    for (; y < n; y++)
        acc[y] += v[y];
}

/* Asks for the first record of each feature, before reading any. */
static void table_prefetch(const tg_table *w, const uint64_t *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        __builtin_prefetch(w->rec + (f[i] & w->mask) * w->stride);
}

/* Adds the int8 weights of the features to acc, in units of the scale
 * (table_sum asks for their records first; table_sum_fetched is for
 * features whose records were asked for earlier). */
#define PAIR_AHEAD 4
static void table_sum_fetched(const tg_table *w, const uint64_t *f, size_t n,
                              int32_t *acc)
{
    size_t L = w->nlabels;
    for (size_t i = 0; i < n; i++) {
        uint32_t key = gloss__tg_fingerprint(f[i]);
        for (size_t s = f[i] & w->mask, k = 0; k <= w->mask; k++, s = (s + 1) & w->mask) {
            const unsigned char *r = w->rec + s * w->stride;
            uint32_t rk;
            memcpy(&rk, r, 4);
            if (rk == key) {
                add_row(acc, (const int8_t *)(r + 5), L, r[4] & 15);
                break;
            }
            if (rk == 0)
                break;
        }
    }
}

static void table_sum(const tg_table *w, const uint64_t *f, size_t n, int32_t *acc)
{
    /* The records are spread over megabytes: asking for all of them
     * before reading any lets the memory system fetch them side by side
     * instead of one miss after another. */
    table_prefetch(w, f, n);
    table_sum_fetched(w, f, n, acc);
}

/* Sums the int8 weights of the features into scores, in weight units. */
static void table_score(const void *ctx, const uint64_t *f, size_t n, float *scores)
{
    const pass_table *pt = ctx;
    int32_t acc[GLOSS__TAGGER_MAX_LABELS];
    size_t L = pt->w->nlabels;
    memset(acc, 0, L * sizeof acc[0]);
    table_sum(pt->w, f, n, acc);
    for (size_t y = 0; y < L; y++)
        scores[y] = (float)acc[y] * pt->scale;
}

/* ---- the cache of per-token sums ------------------------------------------ */

/* A bounded map from 64-bit keys (0 is empty) to records of a fixed size,
 * in a table twice as large as the records it may hold. When it is full,
 * the records found again since it last was are kept (up to half of it)
 * and the others dropped: words seen once go, the common ones stay, and
 * no list of uses has to be kept up to date on every lookup. */
typedef struct cmap {
    uint64_t *keys;
    uint32_t *idx;
    unsigned char *rec;
    uint64_t *rkey; /* the key of each record */
    uint8_t *used;  /* whether each record was found since the map was last full */
    size_t cap, n, max, size;
} cmap;

static int cmap_init(cmap *m, size_t max, size_t size)
{
    m->max = max;
    m->size = size;
    m->cap = 1;
    while (m->cap < max * 2)
        m->cap <<= 1;
    m->n = 0;
    m->keys = calloc(m->cap, sizeof *m->keys);
    m->idx = malloc(m->cap * sizeof *m->idx);
    m->rec = malloc(max * size);
    m->rkey = malloc(max * sizeof *m->rkey);
    m->used = malloc(max);
    return m->keys && m->idx && m->rec && m->rkey && m->used ? 0 : -1;
}

static void cmap_free(cmap *m)
{
    free(m->keys);
    free(m->idx);
    free(m->rec);
    free(m->rkey);
    free(m->used);
    memset(m, 0, sizeof *m);
}

/* Makes room for at least half the map: keeps the records found since
 * the last time (the first max / 2 of them), moved to the front. */
static void cmap_evict(cmap *m)
{
    size_t kept = 0;
    memset(m->keys, 0, m->cap * sizeof *m->keys);
    for (size_t r = 0; r < m->n; r++) {
        if (!m->used[r] || kept >= m->max / 2)
            continue;
        if (kept != r) {
            memcpy(m->rec + kept * m->size, m->rec + r * m->size, m->size);
            m->rkey[kept] = m->rkey[r];
        }
        m->used[kept] = 0;
        size_t j = m->rkey[kept] & (m->cap - 1);
        while (m->keys[j])
            j = (j + 1) & (m->cap - 1);
        m->keys[j] = m->rkey[kept];
        m->idx[j] = (uint32_t)kept;
        kept++;
    }
    m->n = kept;
}

/* The record of key (marked as found), or NULL with *slot where to add
 * it. */
static void *cmap_get(cmap *m, uint64_t key, size_t *slot)
{
    size_t j = key & (m->cap - 1);
    while (m->keys[j]) {
        if (m->keys[j] == key) {
            m->used[m->idx[j]] = 1;
            return m->rec + (size_t)m->idx[j] * m->size;
        }
        j = (j + 1) & (m->cap - 1);
    }
    *slot = j;
    return NULL;
}

/* A new record for key at slot (from cmap_get); the map must not be full. */
static void *cmap_add(cmap *m, uint64_t key, size_t slot)
{
    m->keys[slot] = key;
    m->idx[slot] = (uint32_t)m->n;
    m->rkey[m->n] = key;
    m->used[m->n] = 0;
    return m->rec + m->n++ * m->size;
}

/* A word type's entry: its sums at offsets -2..2 ([5][L]), then SLOTS
 * sums of its features joined to a decision ([SLOTS][L]: to the previous
 * label, or for ner to what the document memory says of the word), their
 * keys (0: empty) and the slot to replace next. A word mostly follows
 * the same few labels (for ner, mostly O), so the slots spare those
 * lookups most of the time. */
#define SLOTS 4
#define ENTRY_KEYS(L) ((5 + SLOTS) * (L))
#define ENTRY_INTS(L) (ENTRY_KEYS(L) + SLOTS + 1)

struct tg_cache {
    uint64_t owner; /* the id of the tagger whose weights the sums are */
    size_t L;
    cmap toks; /* form hash -> tg_tok */
    cmap sums; /* form and context -> int32 entry, ENTRY_INTS(L) */
    int32_t *pad;    /* [5][L]: the padding before (-2, -1) and after (1, 2) */
    int32_t *label1; /* [L + 2][L]: the previous label alone */
    int32_t *label2; /* [(L + 2)^2][L]: the previous two labels */
    int32_t *win; /* [TG_MAX_SENT][L]: the window sums of each token of a sentence */
    int32_t *pairs; /* [TG_MAX_SENT][L]: the sums of its features of two tokens */
    int32_t *ent[TG_MAX_SENT]; /* the entry of each token of the sentence */
    const tg_tok *tk;          /* and its tokens */
    gloss__tagger_cache_stats st;
};

void gloss__tg_cache_free(struct tg_cache *c)
{
    if (!c)
        return;
    cmap_free(&c->toks);
    cmap_free(&c->sums);
    free(c->pad);
    free(c->label1);
    free(c->label2);
    free(c->win);
    free(c->pairs);
    free(c);
}

void gloss__tagger_doc_set_cache(gloss__tagger_doc *d, size_t max_types)
{
    if (max_types && max_types < 2 * TG_MAX_SENT)
        max_types = 2 * TG_MAX_SENT;
    d->cache_max = max_types;
    gloss__tg_cache_free(d->cache);
    d->cache = NULL;
}

void gloss__tagger_doc_cache_stats(const gloss__tagger_doc *d,
                                   gloss__tagger_cache_stats *st)
{
    memset(st, 0, sizeof *st);
    if (d->cache) {
        *st = d->cache->st;
        st->entries = d->cache->sums.n;
    }
}

/* What the shortcut's callbacks see. */
typedef struct fast_ctx {
    struct tg_cache *c;
    const tg_decoder *d;
    const pass_table *pt;
} fast_ctx;

static void sum_token(const fast_ctx *x, const tg_tok *t, int off, int32_t *acc)
{
    uint64_t f[TG_MAX_TOKEN_FEATS];
    size_t n = gloss__tg_token_features(x->d, t, off, f);
    memset(acc, 0, x->c->L * sizeof *acc);
    table_sum(x->pt->w, f, n, acc);
}

/* The sums of a new word type at every offset, into its entry: the
 * features of all five are asked for at once, so that the fetches of a
 * word the worker has not seen yet overlap too. */
static void sum_type(const fast_ctx *x, const tg_tok *t, int32_t *entry)
{
    uint64_t f[5 * TG_MAX_TOKEN_FEATS];
    size_t n[5], k = 0, L = x->c->L;
    for (int off = -2; off <= 2; off++) {
        n[off + 2] = gloss__tg_token_features(x->d, t, off, f + k);
        k += n[off + 2];
    }
    table_prefetch(x->pt->w, f, k);
    memset(entry, 0, 5 * L * sizeof *entry);
    k = 0;
    for (int o = 0; o < 5; o++) {
        table_sum_fetched(x->pt->w, f + k, n[o], entry + (size_t)o * L);
        k += n[o];
    }
}

/* The cache of d for the weights pt and the decoder dec, made (or emptied,
 * when another tagger used d last) as needed; NULL when out of memory,
 * and tagging goes on without it. */
static struct tg_cache *cache_for(gloss__tagger_doc *d, const tg_decoder *dec,
                                  const pass_table *pt)
{
    struct tg_cache *c = d->cache;
    size_t L = pt->w->nlabels;
    if (c && c->owner == pt->id)
        return c;
    gloss__tg_cache_free(c);
    d->cache = c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->owner = pt->id;
    c->L = L;
    c->pad = malloc(5 * L * sizeof *c->pad);
    c->label1 = malloc((L + 2) * L * sizeof *c->label1);
    c->label2 = malloc((L + 2) * (L + 2) * L * sizeof *c->label2);
    c->win = malloc(TG_MAX_SENT * L * sizeof *c->win);
    c->pairs = malloc(TG_MAX_SENT * L * sizeof *c->pairs);
    if (!c->pad || !c->label1 || !c->label2 || !c->win || !c->pairs ||
        cmap_init(&c->toks, d->cache_max, sizeof(tg_tok)) != 0 ||
        cmap_init(&c->sums, d->cache_max, ENTRY_INTS(L) * sizeof(int32_t)) != 0) {
        gloss__tg_cache_free(c);
        d->cache = NULL;
        return NULL;
    }
    fast_ctx x = {c, dec, pt};
    for (int off = -2; off <= 2; off++)
        if (off)
            sum_token(&x, off < 0 ? &gloss__tg_pad_before : &gloss__tg_pad_after, off,
                      c->pad + (size_t)(off + 2) * L);
    for (size_t t1 = 0; t1 < L + 2; t1++)
        for (size_t t2 = 0; t2 < L + 2; t2++) {
            uint64_t f[2];
            gloss__tg_label_features(t1, t2, f);
            int32_t *row = c->label2 + (t1 * (L + 2) + t2) * L;
            memset(row, 0, L * sizeof *row);
            table_sum(pt->w, f + 1, 1, row);
            if (t2 == 0) {
                memset(c->label1 + t1 * L, 0, L * sizeof *c->label1);
                table_sum(pt->w, f, 1, c->label1 + t1 * L);
            }
        }
    return c;
}

static void fast_tokens(void *ctx, const gloss__tagger_tok *toks, size_t n, tg_tok *out)
{
    fast_ctx *x = ctx;
    cmap *m = &x->c->toks;
    uint64_t keys[TG_MAX_SENT];
    const tg_tok *found[TG_MAX_SENT];
    /* Made room in before a sentence, never during one: what is found
     * stays in place until it is copied out below. */
    if (m->n + n > m->max)
        cmap_evict(m);
    /* The words of the sentence are hashed and their slots asked for
     * first, their records next, then they are read: the misses overlap. */
    for (size_t i = 0; i < n; i++) {
        uint64_t w = gloss__tg_hash(toks[i].s, toks[i].len);
        keys[i] = w ? w : 1;
        __builtin_prefetch(&m->keys[keys[i] & (m->cap - 1)]);
    }
    for (size_t i = 0; i < n; i++) {
        size_t slot = 0;
        found[i] = cmap_get(m, keys[i], &slot);
        if (found[i]) {
            __builtin_prefetch(found[i]);
            __builtin_prefetch((const char *)found[i] + 64);
            continue;
        }
        gloss__tg_describe(x->d, &toks[i], &out[i]);
        memcpy(cmap_add(m, keys[i], slot), &out[i], sizeof out[i]);
    }
    for (size_t i = 0; i < n; i++)
        if (found[i])
            out[i] = *found[i];
}

static void fast_prepare(void *ctx, const tg_tok *tk, size_t n)
{
    fast_ctx *x = ctx;
    struct tg_cache *c = x->c;
    cmap *m = &c->sums;
    size_t L = c->L;
    const int32_t *sums[TG_MAX_SENT];
    /* Made room in before a sentence, never during one: the sums of its
     * tokens are read in place until they are added up below. */
    if (m->n + n > m->max) {
        cmap_evict(m);
        c->st.clears++;
    }
    uint64_t keys[TG_MAX_SENT];
    for (size_t i = 0; i < n; i++) {
        uint64_t key = gloss__tg_mix(tk[i].w, gloss__tg_context(&tk[i]));
        keys[i] = key ? key : 1;
        __builtin_prefetch(&m->keys[keys[i] & (m->cap - 1)]);
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t key = keys[i];
        size_t slot = 0;
        int32_t *s = cmap_get(m, key, &slot);
        if (s) {
            c->st.hits++;
            for (size_t b = 0; b < ENTRY_INTS(L) * sizeof *s; b += 64)
                __builtin_prefetch((const char *)s + b);
        } else {
            c->st.misses++;
            s = cmap_add(m, key, slot);
            sum_type(x, &tk[i], s);
            memset(s + ENTRY_KEYS(L), 0, (SLOTS + 1) * sizeof *s);
        }
        sums[i] = s;
        c->ent[i] = s;
    }
    /* The features that join two tokens are looked up for every token of
     * the sentence here, those of the token PAIR_AHEAD - 1 further asked
     * for while those of this one are added, so that fetching them
     * overlaps. */
    uint64_t pf[PAIR_AHEAD][TG_MAX_PAIR_FEATS];
    size_t pn[PAIR_AHEAD];
    int32_t *pairs = c->pairs;
    for (size_t i = 0; i < n + PAIR_AHEAD - 1; i++) {
        if (i < n) {
            size_t b = i % PAIR_AHEAD;
            pn[b] = gloss__tg_pair_features(x->d, tk, n, i, pf[b]);
            table_prefetch(x->pt->w, pf[b], pn[b]);
        }
        if (i + 1 >= PAIR_AHEAD) {
            size_t j = i + 1 - PAIR_AHEAD, b = j % PAIR_AHEAD;
            memset(pairs + j * L, 0, L * sizeof *pairs);
            table_sum_fetched(x->pt->w, pf[b], pn[b], pairs + j * L);
        }
    }
    /* Each token's window sum: every token's five sums are read once,
     * whole, and added where they belong; the padding fills the rest. */
    c->tk = tk;
    memcpy(c->win, pairs, n * L * sizeof *c->win);
    for (size_t j = 0; j < n + 4; j++)
        for (int off = -2; off <= 2; off++) {
            /* Token i sees position j - 2 at offset off. */
            ptrdiff_t pj = (ptrdiff_t)j - 2, i = pj - off;
            if (i < 0 || (size_t)i >= n)
                continue;
            const int32_t *s =
                pj < 0 || (size_t)pj >= n ? c->pad : sums[pj];
            s += (size_t)(off + 2) * L;
            add_vec(c->win + (size_t)i * L, s, L);
        }
}

/* The sums of token i's features joined to a decision: its slot for key
 * (LABEL_KEY: the previous label, MEMO_KEY: what the document memory
 * says of the word), made when the entry has none. */
#define LABEL_KEY(t1) ((int32_t)(t1) + 1)
#define MEMO_KEY(m) ((int32_t)(m) + 1024)
static const int32_t *slot_sums(fast_ctx *x, size_t i, int32_t key, uint64_t value)
{
    struct tg_cache *c = x->c;
    size_t L = c->L;
    int32_t *e = c->ent[i], *keys = e + ENTRY_KEYS(L);
    for (size_t s = 0; s < SLOTS; s++)
        if (keys[s] == key) {
            c->st.label_hits++;
            return e + (5 + s) * L;
        }
    c->st.label_misses++;
    /* The slots are replaced in turn. */
    size_t s = (size_t)keys[SLOTS] % SLOTS;
    keys[SLOTS] = (int32_t)((s + 1) % SLOTS);
    uint64_t f[4];
    size_t k = key >= MEMO_KEY(0) ? gloss__tg_memo_features(&c->tk[i], value, f)
                                  : gloss__tg_word_label_features(x->d, &c->tk[i], value, f);
    int32_t *row = e + (5 + s) * L;
    memset(row, 0, L * sizeof *row);
    table_sum(x->pt->w, f, k, row);
    keys[s] = key;
    return row;
}

static void fast_score(void *ctx, size_t i, size_t t1, size_t t2, uint64_t memo,
                       const uint64_t *f, size_t n, float *scores)
{
    fast_ctx *x = ctx;
    struct tg_cache *c = x->c;
    size_t L = c->L;
    int32_t acc[GLOSS__TAGGER_MAX_LABELS];
    const int32_t *w = c->win + i * L, *l1 = c->label1 + t1 * L,
                  *l2 = c->label2 + (t1 * (L + 2) + t2) * L;
    memcpy(acc, w, L * sizeof *acc);
    add_vec(acc, l1, L);
    add_vec(acc, l2, L);
    add_vec(acc, slot_sums(x, i, LABEL_KEY(t1), t1), L);
    if (memo)
        add_vec(acc, slot_sums(x, i, MEMO_KEY(memo), memo), L);
    table_sum(x->pt->w, f, n, acc);
    for (size_t y = 0; y < L; y++)
        scores[y] = (float)acc[y] * x->pt->scale;
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
    pass_table pt[2] = {{&t->weights[0], t->scale[0], t->id}, {&t->weights[1], t->scale[1], t->id}};
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
    fast_ctx fx = {NULL, &d, &pt[0]};
    tg_fast fast = {fast_tokens, fast_prepare, fast_score, &fx};
    if (t->passes == 1 && doc->cache_max)
        fx.c = cache_for(doc, &d, &pt[0]);
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
