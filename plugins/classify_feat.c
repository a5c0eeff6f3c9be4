/*
 * classify_feat.c - hashed word and word-pair features (classify_feat.h).
 *
 * The scanner keeps a running FNV-1a hash of the current word's folded
 * bytes, so each byte of the text is touched once; a word's final hash is
 * mixed (the murmur3 finaliser) before it picks a bucket, and a pair's
 * bucket comes from the two words' mixed hashes. The buckets of a text are
 * then counted in a small hash table (linear in the number of words, which
 * matters for megabyte documents).
 */
#include "classify_feat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The folded form of each byte inside a word, or 0 for a separator. */
static const unsigned char *fold_table(void)
{
    static unsigned char t[256];
    static int ready;
    if (!ready) {
        for (int c = 0; c < 256; c++) {
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80)
                t[c] = (unsigned char)c;
            else if (c >= 'A' && c <= 'Z')
                t[c] = (unsigned char)(c + 32);
        }
        ready = 1;
    }
    return t;
}

static inline uint32_t mix32(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

void gloss__cls_vec_free(gloss__cls_vec *v)
{
    free(v->idx);
    free(v->val);
    free(v->raw);
    free(v->tmp);
    memset(v, 0, sizeof *v);
}

static int reserve(gloss__cls_vec *v, size_t need)
{
    if (need <= v->cap)
        return 0;
    size_t cap = v->cap ? v->cap : 256;
    while (cap < need)
        cap *= 2;
    uint32_t *idx = realloc(v->idx, cap * sizeof *idx);
    if (idx)
        v->idx = idx;
    float *val = realloc(v->val, cap * sizeof *val);
    if (val)
        v->val = val;
    uint32_t *raw = realloc(v->raw, cap * sizeof *raw);
    if (raw)
        v->raw = raw;
    if (!idx || !val || !raw)
        return -1;
    v->cap = cap;
    return 0;
}

int gloss__cls_hash_text(const gloss__cls_feat *f, const char *text,
                         size_t len, gloss__cls_vec *v)
{
    const unsigned char *fold = fold_table();
    const unsigned char *s = (const unsigned char *)text;
    const uint32_t mask = (1u << f->bits) - 1;
    const int bigrams = (f->flags & GLOSS__CLS_BIGRAMS) != 0;
    uint32_t prev = 0;
    int have_prev = 0;
    size_t n = 0;
    v->nraw = 0;
    for (size_t i = 0; i < len;) {
        if (!fold[s[i]]) {
            i++;
            continue;
        }
        uint32_t h = 0x811c9dc5u;
        do
            h = (h ^ fold[s[i]]) * 0x01000193u;
        while (++i < len && fold[s[i]]);
        if (n + 2 > v->cap && reserve(v, n + 2) < 0)
            return -1;
        uint32_t w = mix32(h ^ f->seed);
        v->raw[n++] = w & mask;
        if (bigrams && have_prev)
            v->raw[n++] = mix32(prev * 0x9e3779b1u + w + 0x7f4a7c15u) & mask;
        prev = w;
        have_prev = 1;
    }
    v->nraw = n;
    v->bits = f->bits;
    return 0;
}

/* 1 + ln c, from a table for the small counts most buckets have. */
static float sublinear(size_t c)
{
    static float table[64];
    static int ready;
    if (!ready) {
        for (int i = 1; i < 64; i++)
            table[i] = 1.0f + logf((float)i);
        ready = 1;
    }
    return c < 64 ? table[c] : 1.0f + logf((float)c);
}

int gloss__cls_weigh(gloss__cls_vec *v, const float *idf)
{
    /* Count the buckets in an open-addressing table of at least twice as
     * many slots as there are items, keyed by bucket + 1 (0 is empty).
     * The table is read back in slot order, which depends only on the
     * items, so the same text always gives the same vector. */
    if (v->nraw == 0) {
        v->n = 0;
        return 0;
    }
    /* There are at most 2^bits distinct buckets, however long the text:
     * the table stays within a few megabytes. */
    size_t distinct = v->nraw;
    if (v->bits < 8 * sizeof(size_t) - 2 && distinct > (size_t)1 << v->bits)
        distinct = (size_t)1 << v->bits;
    size_t cap = 64, lg = 6;
    while (cap < 2 * distinct)
        cap *= 2, lg++;
    if (2 * cap > v->tcap) {
        uint32_t *tmp = realloc(v->tmp, 2 * cap * sizeof *tmp);
        if (!tmp)
            return -1;
        v->tmp = tmp;
        v->tcap = 2 * cap;
    }
    uint32_t *key = v->tmp, *cnt = v->tmp + cap;
    memset(key, 0, cap * sizeof *key);
    const size_t mask = cap - 1;
    for (size_t i = 0; i < v->nraw; i++) {
        uint32_t k = v->raw[i] + 1;
        size_t h = (size_t)((k * 0x9e3779b1u) >> (32 - lg));
        while (key[h] && key[h] != k)
            h = (h + 1) & mask;
        if (!key[h]) {
            key[h] = k;
            cnt[h] = 1;
            if (idf)
                __builtin_prefetch(idf + k - 1);
            if (v->hint) {
                const char *row = (const char *)(v->hint +
                                                 (size_t)(k - 1) * v->hint_stride);
                __builtin_prefetch(row);
                __builtin_prefetch(row + v->hint_stride * sizeof(float) - 1);
            }
        } else {
            cnt[h]++;
        }
    }
    size_t m = 0;
    double norm = 0;
    for (size_t h = 0; h < cap; h++) {
        if (!key[h])
            continue;
        uint32_t b = key[h] - 1;
        float w = sublinear(cnt[h]);
        if (idf)
            w *= idf[b];
        v->idx[m] = b;
        v->val[m] = w;
        norm += (double)w * w;
        m++;
    }
    if (norm > 0) {
        float inv = (float)(1.0 / sqrt(norm));
        for (size_t i = 0; i < m; i++)
            v->val[i] *= inv;
    }
    v->n = m;
    return 0;
}

int gloss__cls_vectorize(const gloss__cls_feat *f, const float *idf,
                         const char *text, size_t len, gloss__cls_vec *v)
{
    if (gloss__cls_hash_text(f, text, len, v) < 0)
        return -1;
    return gloss__cls_weigh(v, idf);
}
