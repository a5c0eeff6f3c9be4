/*
 * tagger_table.h - sums of a model's quantised weights, shared by the
 * tagger (tagger.c) and its cache of per-token sums (tagger_cache.c).
 *
 * A pass's weights are a table of records found by linear probing on the
 * feature hash (docs/models.md); a feature adds its int8 weight per label,
 * shifted, to an int32 sum, and the sum times the pass's scale is the
 * score. A filter of the keys each table holds (made by tagger.c when the
 * model is opened) turns most absent features away before any record is
 * read. Sums of cached rows are added four labels at a time with the
 * compilers' vector extensions. The helpers are inline: they are the
 * innermost loops of tagging.
 */
#ifndef GLOSS_TAGGER_TABLE_H
#define GLOSS_TAGGER_TABLE_H

#include <stdint.h>
#include <string.h>

#include "tagger_internal.h"

/* What the scorers read: one pass's table and scale. */
typedef struct tg_pass_table {
    const tg_table *w;
    float scale;
    uint64_t id; /* the tagger's, unique in the process */
} tg_pass_table;

/* What the cache's callbacks (tg_fast) see: the document's cache (NULL
 * when there is none), the decoder and the pass. */
typedef struct tg_fast_ctx {
    struct tg_cache *c;
    const tg_decoder *d;
    const tg_pass_table *pt;
} tg_fast_ctx;

/* Makes x->c the cache of doc for x's pass (made, or emptied when another
 * tagger used doc last) and *fast the callbacks that use it; x->c stays
 * NULL when memory runs out, and tagging goes on without it
 * (tagger_cache.c). */
void gloss__tg_cache_fast(gloss__tagger_doc *doc, tg_fast_ctx *x, tg_fast *fast);

/* Vectors of four lanes (GCC's and clang's vector extensions: SSE2 on
 * x86-64, NEON on arm64), loaded and stored with memcpy so that nothing
 * needs to be aligned. The label loops run four labels at a time. */
typedef int32_t tg_i32x4 __attribute__((vector_size(16)));
typedef float tg_f32x4 __attribute__((vector_size(16)));

/* acc += q << shift over 16 labels; restrict tells the compiler that the
 * sums are not the weights, so they stay in registers. A loop of fixed
 * length, which compilers turn into vector instructions widening 16 bytes
 * at once (cheaper on SSE2 than four lanes at a time). */
static inline void add_block(int32_t *restrict acc, const int8_t *restrict q, int shift)
{
    for (size_t j = 0; j < 16; j++)
        acc[j] += (int32_t)q[j] * (1 << shift);
}

/* The same over n labels: whole blocks of 16, then the rest. The default
 * models have 17 labels (UPOS; four entity types in BILOU, and O), and
 * for them the block and the one label are added without the loops'
 * tests, which were one instruction in eight of adding a feature's row
 * (and adding rows about a quarter of what a word not seen before costs). */
static inline void add_row(int32_t *restrict acc, const int8_t *restrict q, size_t n,
                           int shift)
{
    size_t y = 0;
    if (n == 17) {
        add_block(acc, q, shift);
        acc[16] += (int32_t)q[16] * (1 << shift);
        return;
    }
    for (; y + 16 <= n; y += 16)
        add_block(acc + y, q + y, shift);
    for (; y < n; y++)
        acc[y] += (int32_t)q[y] * (1 << shift);
}

/* acc += v over n labels, n a multiple of four. */
static inline void add_vec(int32_t *restrict acc, const int32_t *restrict v, size_t n)
{
    for (size_t y = 0; y < n; y += 4) {
        tg_i32x4 a, b;
        memcpy(&a, acc + y, sizeof a);
        memcpy(&b, v + y, sizeof b);
        a += b;
        memcpy(acc + y, &a, sizeof a);
    }
}

static inline tg_i32x4 load4(const int32_t *p)
{
    tg_i32x4 v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* out = the sum of the three vectors s over n labels, n a multiple of
 * four (the cache's padded rows). */
static inline void sum3(int32_t *restrict out, const int32_t *const *s, size_t n)
{
    for (size_t y = 0; y < n; y += 4) {
        tg_i32x4 a = load4(s[0] + y) + load4(s[1] + y) + load4(s[2] + y);
        memcpy(out + y, &a, sizeof a);
    }
}

/* The same for eight vectors: each block of four is read from every
 * source and stored once. */
static inline void sum8(int32_t *restrict out, const int32_t *const *s, size_t n)
{
    for (size_t y = 0; y < n; y += 4) {
        tg_i32x4 a = (load4(s[0] + y) + load4(s[1] + y)) + (load4(s[2] + y) + load4(s[3] + y)) +
                     ((load4(s[4] + y) + load4(s[5] + y)) + (load4(s[6] + y) + load4(s[7] + y)));
        memcpy(out + y, &a, sizeof a);
    }
}

/* The filter of a table's fingerprints: a bit array of 64-bit words, two
 * bits in one word per fingerprint, both chosen by the fingerprint's own
 * bits (the table's slot comes from the hash's low bits, so the two do
 * not depend on each other). A feature whose bits are not both set is
 * not in the table: no record needs reading. One the filter lets through
 * is looked up as before, so sums are exactly those without it. */
#define TG_FILTER_MAX_WORDS ((size_t)1 << 19)
static inline size_t table_filter_word(const tg_table *w, uint32_t fp)
{
    return (fp >> 13) & w->fmask;
}
static inline uint64_t table_filter_bits(uint32_t fp)
{
    return (uint64_t)1 << ((fp >> 1) & 63) | (uint64_t)1 << ((fp >> 7) & 63);
}

/* Copies to out (which may be f) the features the filter lets through,
 * and asks for the first record of each, before reading any; returns how
 * many. */
static inline size_t table_select(const tg_table *w, const uint64_t *f, size_t n,
                                  uint64_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t h = f[i];
        uint32_t fp = gloss__tg_fingerprint(h);
        uint64_t bits = table_filter_bits(fp);
        if ((w->filter[table_filter_word(w, fp)] & bits) != bits)
            continue;
        __builtin_prefetch(w->rec + (h & w->mask) * w->stride);
        out[k++] = h;
    }
    return k;
}

/* Adds the int8 weights of the features to acc, in units of the scale
 * (table_sum selects them first; table_sum_fetched is for features
 * table_select gave). */
static inline void table_sum_fetched(const tg_table *w, const uint64_t *f,
                                     size_t n, int32_t *acc)
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

static inline void table_sum(const tg_table *w, const uint64_t *f, size_t n,
                             int32_t *acc)
{
    /* The records are spread over megabytes: asking for all of them
     * before reading any lets the memory system fetch them side by side
     * instead of one miss after another. */
    uint64_t sel[TG_MAX_FEATS];
    n = table_select(w, f, n < TG_MAX_FEATS ? n : TG_MAX_FEATS, sel);
    table_sum_fetched(w, sel, n, acc);
}

#endif
