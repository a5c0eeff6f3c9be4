/*
 * tagger_table.h - sums of a model's quantised weights, shared by the
 * tagger (tagger.c) and its cache of per-token sums (tagger_cache.c).
 *
 * A pass's weights are a table of records found by linear probing on the
 * feature hash (docs/models.md); a feature adds its int8 weight per label,
 * shifted, to an int32 sum, and the sum times the pass's scale is the
 * score. The helpers are inline: they are the innermost loops of tagging.
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
static inline void table_prefetch(const tg_table *w, const uint64_t *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        __builtin_prefetch(w->rec + (f[i] & w->mask) * w->stride);
}

/* Adds the int8 weights of the features to acc, in units of the scale
 * (table_sum asks for their records first; table_sum_fetched is for
 * features whose records were asked for earlier). */
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
    table_prefetch(w, f, n);
    table_sum_fetched(w, f, n, acc);
}

#endif
