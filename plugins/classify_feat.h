/*
 * classify_feat.h - the features of the text classifier: hashed words and
 * word pairs, weighted as sublinear TF-IDF and scaled to unit length.
 *
 * A text is cut into words by a byte-level scanner (letters and digits,
 * ASCII folded to lower case; every byte of a multi-byte UTF-8 character
 * counts as a letter, so non-Latin words stay whole), which runs at memory
 * speed and needs no earlier stage. Each word, and each pair of adjacent
 * words when bigrams are on, is hashed into one of 2^bits buckets: there is
 * no vocabulary to store or look up, and a word never seen in training
 * simply lands in a bucket whose weights carry little.
 *
 * A text's vector holds one entry per distinct bucket, in an order that
 * depends only on the text: (1 + ln count) * idf[bucket], then divided by the vector's Euclidean
 * length, so that long and short texts score on the same scale.
 */
#ifndef GLOSS_CLASSIFY_FEAT_H
#define GLOSS_CLASSIFY_FEAT_H

#include <stddef.h>
#include <stdint.h>

/* Which features a model uses (the "features" field of its meta section). */
#define GLOSS__CLS_BIGRAMS 1u

typedef struct gloss__cls_feat {
    uint32_t bits;     /* log2 of the number of buckets, 10 to 26 */
    uint32_t flags;    /* GLOSS__CLS_* */
    uint32_t seed;     /* mixed into every hash */
} gloss__cls_feat;

/* A sparse vector, and the scratch space that builds it; reused from text
 * to text so that a stage allocates only while texts grow. */
typedef struct gloss__cls_vec {
    uint32_t *idx;  /* buckets */
    float *val;     /* weights */
    size_t n;       /* entries */
    size_t cap;     /* room in idx, val and raw */
    uint32_t *raw;  /* scratch: one bucket per word and pair, in text order */
    size_t nraw;
    uint32_t bits;  /* of the features that filled raw */
    uint32_t *tmp;  /* scratch: the counting table */
    size_t tcap;    /* room in tmp */
    /* Optional: the model's rows (hint_stride floats each), which the
     * scorer will read for each bucket; they are requested from memory as
     * soon as a bucket is first seen, so that the waits overlap. */
    const float *hint;
    uint32_t hint_stride;
} gloss__cls_vec;

void gloss__cls_vec_free(gloss__cls_vec *v);

/*
 * Hashes the words (and pairs) of text[0..len) into v->raw. Returns 0, or
 * -1 when memory runs out.
 */
int gloss__cls_hash_text(const gloss__cls_feat *f, const char *text,
                         size_t len, gloss__cls_vec *v);

/*
 * Turns v->raw into the weighted, unit-length vector v->idx/v->val. idf
 * (2^bits floats) may be NULL for weights of 1. Returns 0, or -1 when
 * memory runs out.
 */
int gloss__cls_weigh(gloss__cls_vec *v, const float *idf);

/* Both steps. */
int gloss__cls_vectorize(const gloss__cls_feat *f, const float *idf,
                         const char *text, size_t len, gloss__cls_vec *v);

#endif
