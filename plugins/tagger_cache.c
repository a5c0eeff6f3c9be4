/*
 * tagger_cache.c - the cache of per-token sums that makes tagging a word
 * seen before cheap: per document state (gloss__tagger_doc), for the
 * weights of the last tagger that used it.
 *
 * For each word type in its context, the sums of its features at every
 * offset of the window are kept, with a few slots of its features joined
 * to a decision (the previous label, or for ner what the document memory
 * says of the word); for each pair of adjacent forms, the sums of the
 * features joining them; the sums of the label features alone are made
 * once. Scoring a token is then a handful of vector additions (rows
 * padded to whole vectors of four labels, tagger_table.h) instead of
 * dozens of hash-table lookups. The decoder (tagger_feat.c) calls back
 * through tg_fast; scores are the same as without the cache.
 */
#include "tagger_table.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

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
static inline void *cmap_get(cmap *m, uint64_t key, size_t *slot)
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
    size_t L; /* the labels, rounded up to whole vectors of four */
    cmap toks; /* form hash -> tg_tok */
    cmap sums; /* form and context -> int32 entry, ENTRY_INTS(L) */
    cmap bigrams; /* two adjacent forms -> int32 [2][L]: their pair sums */
    int32_t *pad;    /* [5][L]: the padding before (-2, -1) and after (1, 2) */
    int32_t *zero;   /* [L]: zeros */
    int32_t *labels; /* [(L + 2)^2][L]: the previous label, and the previous two */
    int32_t *win; /* [TG_MAX_SENT][L]: the window sums of each token of a sentence */
    int32_t *pairs; /* [TG_MAX_SENT][L]: the sums of its features of the tokens either side */
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
    cmap_free(&c->bigrams);
    free(c->pad);
    free(c->zero);
    free(c->labels);
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

static void sum_token(const tg_fast_ctx *x, const tg_tok *t, int off, int32_t *acc)
{
    uint64_t f[TG_MAX_TOKEN_FEATS];
    size_t n = gloss__tg_token_features(x->d, t, off, f);
    memset(acc, 0, x->c->L * sizeof *acc);
    table_sum(x->pt->w, f, n, acc);
}

/* The sums of a new word type at every offset, into its entry: the
 * features of all five are asked for at once, so that the fetches of a
 * word the worker has not seen yet overlap too. The first token of a
 * sentence is seen by no token before it: its sums at offsets 1 and 2
 * are never read, and left at zero (first is part of the entry's key,
 * gloss__tg_context, so no other token shares them). */
static void sum_type(const tg_fast_ctx *x, const tg_tok *t, int32_t *entry)
{
    uint64_t f[5 * TG_MAX_TOKEN_FEATS];
    size_t n[5] = {0}, k = 0, L = x->c->L;
    int last = gloss__tg_is_first(t) ? 0 : 2;
    /* The features of each offset the filter lets through are kept, at
     * the front of the array, as they are made. */
    for (int off = -2; off <= last; off++) {
        n[off + 2] = gloss__tg_token_features(x->d, t, off, f + k);
        n[off + 2] = table_select(x->pt->w, f + k, n[off + 2], f + k);
        k += n[off + 2];
    }
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
                                  const tg_pass_table *pt)
{
    struct tg_cache *c = d->cache;
    /* Every vector of sums is padded with zeros to whole vectors of four
     * labels (tagger_table.h), so adding them has no rest to loop over. */
    size_t L = (pt->w->nlabels + 3) & ~(size_t)3;
    if (c && c->owner == pt->id)
        return c;
    gloss__tg_cache_free(c);
    d->cache = c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->owner = pt->id;
    c->L = L;
    c->pad = malloc(5 * L * sizeof *c->pad);
    c->zero = calloc(L, sizeof *c->zero);
    c->labels = malloc((L + 2) * (L + 2) * L * sizeof *c->labels);
    c->win = malloc(TG_MAX_SENT * L * sizeof *c->win);
    c->pairs = malloc(TG_MAX_SENT * L * sizeof *c->pairs);
    if (!c->pad || !c->zero || !c->labels || !c->win || !c->pairs ||
        cmap_init(&c->toks, d->cache_max, sizeof(tg_tok)) != 0 ||
        cmap_init(&c->sums, d->cache_max, ENTRY_INTS(L) * sizeof(int32_t)) != 0 ||
        /* There are more pairs than types (two in three of EWT dev's
         * pairs were not in a map of as many pairs as types, after
         * warming on EWT train): twice as many, at 160 bytes a pair
         * with 17 labels. That leaves room for a sentence's pairs (one
         * more than its tokens) beside the half of the map kept when it
         * is full, as cache_max is at least 2 * TG_MAX_SENT. */
        cmap_init(&c->bigrams, 2 * d->cache_max, 2 * L * sizeof(int32_t)) != 0) {
        gloss__tg_cache_free(c);
        d->cache = NULL;
        return NULL;
    }
    tg_fast_ctx x = {c, dec, pt};
    for (int off = -2; off <= 2; off++)
        if (off)
            sum_token(&x, off < 0 ? &gloss__tg_pad_before : &gloss__tg_pad_after, off,
                      c->pad + (size_t)(off + 2) * L);
    for (size_t t1 = 0; t1 < L + 2; t1++)
        for (size_t t2 = 0; t2 < L + 2; t2++) {
            uint64_t f[2];
            gloss__tg_label_features(t1, t2, f);
            int32_t *row = c->labels + (t1 * (L + 2) + t2) * L;
            memset(row, 0, L * sizeof *row);
            table_sum(pt->w, f, 2, row);
        }
    return c;
}

static void fast_tokens(void *ctx, const gloss__tagger_tok *toks, size_t n, tg_tok *out)
{
    tg_fast_ctx *x = ctx;
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

/* The sums of the features joining two tokens, per token of the
 * sentence, into c->pairs. Each pair of adjacent tokens (the padding at
 * either end included: n + 1 pairs, pair j joining token j - 1 to token
 * j) has an entry in the map of bigrams: the sums of token j's features
 * with token j - 1 (TG_PAIR_PREV), then of token j - 1's with token j
 * (TG_PAIR_NEXT). A pair seen before costs a lookup in the map; a new
 * one has its features asked for from the model while the other pairs
 * are found, then summed. pos's features of the tokens either side
 * (TG_PAIR_SKIP) are looked up for each token. */
static void pair_sums(tg_fast_ctx *x, const tg_tok *tk, size_t n, const int32_t **bi,
                      uint8_t *skip)
{
    struct tg_cache *c = x->c;
    const tg_table *w = x->pt->w;
    cmap *m = &c->bigrams;
    size_t L = c->L;
    uint64_t keys[TG_MAX_SENT + 1];
    /* The features of new pairs (and of the skips), with where their sums go. */
    uint64_t f[(TG_MAX_SENT + 1) * 3 * TG_MAX_PAIR_PART];
    int32_t *dest[(TG_MAX_SENT + 1) * 3];
    size_t nf[(TG_MAX_SENT + 1) * 3], groups = 0, k = 0;
    /* Made room in before a sentence, never during one, as for sums. */
    if (m->n + n + 1 > m->max)
        cmap_evict(m);
    for (size_t j = 0; j <= n; j++) {
        const tg_tok *a = j ? &tk[j - 1] : &gloss__tg_pad_before;
        const tg_tok *b = j < n ? &tk[j] : &gloss__tg_pad_after;
        uint64_t key = gloss__tg_mix(a->w, b->w);
        keys[j] = key ? key : 1;
        __builtin_prefetch(&m->keys[keys[j] & (m->cap - 1)]);
    }
    for (size_t j = 0; j <= n; j++) {
        size_t slot = 0;
        int32_t *e = cmap_get(m, keys[j], &slot);
        if (e) {
            c->st.pair_hits++;
            __builtin_prefetch(e);
            __builtin_prefetch((const char *)e + 2 * L * sizeof *e - 1);
            bi[j] = e;
            continue;
        }
        const tg_tok *a = j ? &tk[j - 1] : &gloss__tg_pad_before;
        const tg_tok *b = j < n ? &tk[j] : &gloss__tg_pad_after;
        c->st.pair_misses++;
        e = cmap_add(m, keys[j], slot);
        memset(e, 0, 2 * L * sizeof *e);
        bi[j] = e;
        for (int part = TG_PAIR_PREV; part <= TG_PAIR_NEXT; part++) {
            size_t got = gloss__tg_pair_part(x->d, a, b, part, f + k);
            nf[groups] = table_select(w, f + k, got, f + k);
            dest[groups++] = e + (size_t)part * L;
            k += nf[groups - 1];
        }
    }
    /* How many features of the tokens either side there are depends on
     * the kind of model alone: ner has none. */
    uint64_t probe[TG_MAX_PAIR_PART];
    size_t nskip = gloss__tg_pair_part(x->d, &gloss__tg_pad_before, &gloss__tg_pad_after,
                                       TG_PAIR_SKIP, probe);
    memset(skip, 0, n);
    for (size_t i = 0; nskip && i < n; i++) {
        const tg_tok *a = i ? &tk[i - 1] : &gloss__tg_pad_before;
        const tg_tok *b = i + 1 < n ? &tk[i + 1] : &gloss__tg_pad_after;
        size_t got = gloss__tg_pair_part(x->d, a, b, TG_PAIR_SKIP, f + k);
        got = table_select(w, f + k, got, f + k);
        skip[i] = got != 0;
        if (!got)
            continue;
        nf[groups] = got;
        dest[groups] = c->pairs + i * L;
        memset(dest[groups++], 0, L * sizeof *c->pairs);
        k += got;
    }
    for (size_t g = 0, at = 0; g < groups; at += nf[g], g++)
        table_sum_fetched(w, f + at, nf[g], dest[g]);
}

static void fast_prepare(void *ctx, const tg_tok *tk, size_t n)
{
    tg_fast_ctx *x = ctx;
    struct tg_cache *c = x->c;
    cmap *m = &c->sums;
    size_t L = c->L;
    /* The entry of each token, two of the padding's either side: token i
     * sees sums[i + 2 + off] at offset off. */
    const int32_t *sums[TG_MAX_SENT + 4];
    /* Made room in before a sentence, never during one: the sums of its
     * tokens are read in place until they are added up below. */
    if (m->n + n > m->max) {
        cmap_evict(m);
        c->st.clears++;
    }
    sums[0] = sums[1] = sums[n + 2] = sums[n + 3] = c->pad;
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
        sums[i + 2] = s;
        c->ent[i] = s;
    }
    const int32_t *bi[TG_MAX_SENT + 1];
    uint8_t skip[TG_MAX_SENT];
    pair_sums(x, tk, n, bi, skip);
    /* Each token's window sum: its five tokens' sums at their offsets
     * (the padding's beyond the sentence) and its pair sums, added in
     * one pass. */
    c->tk = tk;
    for (size_t i = 0; i < n; i++) {
        /* Always eight, so that the additions unroll: a token without
         * sums of the tokens either side adds a row of zeros. */
        const int32_t *src[8];
        src[0] = bi[i];
        src[1] = bi[i + 1] + L;
        src[2] = skip[i] ? c->pairs + i * L : c->zero;
        for (size_t o = 0; o < 5; o++)
            src[o + 3] = sums[i + o] + o * L;
        sum8(c->win + i * L, src, L);
    }
}

/* The sums of token i's features joined to a decision: its slot for key
 * (LABEL_KEY: the previous label, MEMO_KEY: what the document memory
 * says of the word), made when the entry has none. */
#define LABEL_KEY(t1) ((int32_t)(t1) + 1)
#define MEMO_KEY(m) ((int32_t)(m) + 1024)
static const int32_t *slot_sums(tg_fast_ctx *x, size_t i, int32_t key, uint64_t value)
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
    tg_fast_ctx *x = ctx;
    struct tg_cache *c = x->c;
    size_t L = c->L;
    int32_t acc[GLOSS__TAGGER_MAX_LABELS];
    const int32_t *src[3] = {c->win + i * L, c->labels + (t1 * (L + 2) + t2) * L,
                             slot_sums(x, i, LABEL_KEY(t1), t1)};
    sum3(acc, src, L);
    /* Added before the next slot is asked for, which may take the place
     * of this one. */
    if (memo)
        add_vec(acc, slot_sums(x, i, MEMO_KEY(memo), memo), L);
    if (n)
        table_sum(x->pt->w, f, n, acc);
    /* The padding's scores are written too (scores holds
     * GLOSS__TAGGER_MAX_LABELS) and never read. */
    for (size_t y = 0; y < L; y += 4) {
        tg_i32x4 a;
        memcpy(&a, acc + y, sizeof a);
        tg_f32x4 sc = __builtin_convertvector(a, tg_f32x4) * x->pt->scale;
        memcpy(scores + y, &sc, sizeof sc);
    }
}

void gloss__tg_cache_fast(gloss__tagger_doc *doc, tg_fast_ctx *x, tg_fast *fast)
{
    x->c = cache_for(doc, x->d, x->pt);
    *fast = (tg_fast){fast_tokens, fast_prepare, fast_score, x};
}
