/*
 * classify_feat.c - hashed word and word-pair features (classify_feat.h).
 *
 * The scanner keeps a running FNV-1a hash of the current word's folded
 * bytes, so each byte of the text is touched once; a word's final hash is
 * mixed (the murmur3 finaliser) before it picks a bucket, and a pair's
 * bucket comes from the two words' mixed hashes. The buckets of a text are
 * then sorted with a radix sort (linear in the number of words, which
 * matters for megabyte documents) and counted in one pass.
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
    uint32_t *tmp = realloc(v->tmp, cap * sizeof *tmp);
    if (tmp)
        v->tmp = tmp;
    if (!idx || !val || !raw || !tmp)
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
    return 0;
}

/* Sorts a[0..n) (values below 2^bits), using tmp as scratch. */
static void sort_buckets(uint32_t *a, uint32_t *tmp, size_t n, uint32_t bits)
{
    if (n <= 48) {
        for (size_t i = 1; i < n; i++) {
            uint32_t x = a[i];
            size_t j = i;
            while (j > 0 && a[j - 1] > x) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = x;
        }
        return;
    }
    uint32_t *src = a, *dst = tmp;
    for (uint32_t shift = 0; shift < bits; shift += 11) {
        size_t count[2048] = {0};
        for (size_t i = 0; i < n; i++)
            count[(src[i] >> shift) & 2047]++;
        size_t sum = 0;
        for (size_t d = 0; d < 2048; d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[count[(src[i] >> shift) & 2047]++] = src[i];
        uint32_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
}

void gloss__cls_weigh(gloss__cls_vec *v, const float *idf)
{
    /* The widest bucket number decides the radix passes; 26 bits at most. */
    uint32_t top = 0;
    for (size_t i = 0; i < v->nraw; i++)
        top |= v->raw[i];
    uint32_t bits = 0;
    while (bits < 32 && (top >> bits))
        bits++;
    sort_buckets(v->raw, v->tmp, v->nraw, bits);
    size_t m = 0;
    double norm = 0;
    for (size_t i = 0; i < v->nraw;) {
        size_t j = i + 1;
        while (j < v->nraw && v->raw[j] == v->raw[i])
            j++;
        float w = 1.0f + logf((float)(j - i));
        if (idf)
            w *= idf[v->raw[i]];
        v->idx[m] = v->raw[i];
        v->val[m] = w;
        norm += (double)w * w;
        m++;
        i = j;
    }
    if (norm > 0) {
        float inv = (float)(1.0 / sqrt(norm));
        for (size_t i = 0; i < m; i++)
            v->val[i] *= inv;
    }
    v->n = m;
}

int gloss__cls_vectorize(const gloss__cls_feat *f, const float *idf,
                         const char *text, size_t len, gloss__cls_vec *v)
{
    if (gloss__cls_hash_text(f, text, len, v) < 0)
        return -1;
    gloss__cls_weigh(v, idf);
    return 0;
}
