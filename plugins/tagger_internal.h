/*
 * tagger_internal.h - what tagger.c (tagging with a stored model) and
 * tagger_train.c (training one) share: the label scheme, the feature
 * extraction and the greedy decoder.
 *
 * The decoder does not know where weights come from: it asks a scorer for
 * the scores of the features of one token (quantised weights in a mapped
 * model when tagging, float weights in a growing table when training) and
 * tells an optional learner what it chose, which is how training updates
 * the weights with exactly the features tagging will see. Word lists (the
 * POS ambiguity classes and the NER gazetteers) are likewise read through
 * a lookup function, so that training can hide a document's own entities
 * from the gazetteer while it learns from that document.
 */
#ifndef GLOSS_TAGGER_INTERNAL_H
#define GLOSS_TAGGER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tagger.h"

#define TG_MAX_FEATS 160 /* at most 90 are made (ner, stacked) */
#define TG_MAX_TYPES 8
/* Sentences longer than this are tagged in pieces. */
#define TG_MAX_SENT 256
/* The longest gazetteer phrase, in tokens. */
#define TG_MAX_PHRASE 6

/* The feature set (stored in a model's configuration as "features"). */
#define TG_FEATURES_POS "pos-3"
#define TG_FEATURES_NER "ner-2"

/* Lexicon values: for pos, the ambiguity class (bit i: label i seen with
 * the word, bit 31 set), or for a word the training data lacks the tags a
 * dictionary gives it (bit 30 set; tagger_train.c); for ner, bits 0-7 the entity types a word was part of, and in
 * the phrase table bits 0-7 the types a phrase was, bit 8 that it begins a
 * longer phrase. */
#define TG_PREFIX_BIT 0x100u

typedef struct tg_lookup {
    uint32_t (*get)(const void *ctx, uint64_t key);
    const void *ctx;
} tg_lookup;

/* The label scheme of a model: for ner, each label's BILOU letter and
 * entity type. */
typedef struct tg_labels {
    size_t n;
    const char *name[GLOSS__TAGGER_MAX_LABELS];
    char bilou[GLOSS__TAGGER_MAX_LABELS];     /* 'B','I','L','U','O'; 0 for pos */
    int8_t type[GLOSS__TAGGER_MAX_LABELS];    /* entity type, -1 for O */
    size_t ntypes;
    char types[TG_MAX_TYPES][8];
    /* ner: whether label c may follow label p (p + 1: 0 for none), bit 0
     * inside a sentence, bit 1 at its end; every bit set for pos. */
    uint8_t allow[GLOSS__TAGGER_MAX_LABELS + 1][GLOSS__TAGGER_MAX_LABELS];
    /* The same as bit masks of the labels c: [p + 1][0] inside a
     * sentence, [p + 1][1] at its end. */
    uint64_t allow_mask[GLOSS__TAGGER_MAX_LABELS + 1][2];
} tg_labels;

/* Fills the scheme from label names; -1 when a ner label is not BILOU. */
int gloss__tg_labels_init(tg_labels *l, gloss__tagger_kind kind);

/* What the tagger knows of one token before deciding anything. */
#define TG_AFFIXES 6
typedef struct tg_tok {
    uint64_t w, l, shape, pre[TG_AFFIXES], suf[TG_AFFIXES];
    uint32_t flags, amb, gaz, lex;
    uint32_t lamb;    /* the word-list value of the lower-cased form */
    uint32_t tamb;    /* pos: the word-list value of the title-cased form */
    uint32_t phrase1; /* ner: the phrase-table value of the word alone */
    uint32_t clu; /* word clusters: fine | middle << 11 | coarse << 22, each + 1 */
} tg_tok;

/* Scores the features of one token into scores[0..nlabels). */
typedef void (*tg_score_fn)(const void *ctx, const uint64_t *f, size_t n,
                            float *scores);
/* Told the features and choice at each token when training. */
typedef void (*tg_learn_fn)(void *ctx, const uint64_t *f, size_t n, int gold,
                            int chosen);

/* How capitalised words were labelled in a document: counts per entity
 * type (index 0: outside any entity) by lower-cased form. */
typedef struct tg_memo {
    uint64_t *keys;
    uint16_t (*counts)[TG_MAX_TYPES + 1];
    size_t cap, n;
} tg_memo;

/* The per-document state of tagging: the memory of the labels chosen so
 * far (mem), the first pass's labels of the whole document (agg, for the
 * second pass of a stacked model), and buffers. */
struct gloss__tagger_doc {
    tg_memo mem, agg;
    uint8_t *first;
    size_t capfirst;
    struct tg_cache *cache; /* tagger_cache.c: the sums of the last tagger used */
    size_t cache_max;       /* word types it keeps; 0: no cache */
};

/* Frees a doc's cache (tagger_cache.c). */
void gloss__tg_cache_free(struct tg_cache *c);

/* The majority label type of key in a memo (-1 for outside, -2 when the
 * word was not seen). */
int gloss__tg_memo_majority(tg_memo *m, uint64_t key);
/* Counts one labelled capitalised word; -1 when memory runs out. */
int gloss__tg_memo_add(tg_memo *m, uint64_t key, int type);
void gloss__tg_memo_reset(tg_memo *m);
void gloss__tg_memo_free(tg_memo *m);
/* Fills agg with the labels of the n tokens of a document. */
int gloss__tg_memo_fill(tg_memo *m, const tg_labels *l, const gloss__tagger_tok *toks,
                        size_t n, const uint8_t *labels);

typedef struct tg_decoder tg_decoder;

/* Tagging's shortcut (tagger.c): tokens fills the descriptions of the n
 * tokens of a sentence (as gloss__tg_describe does, from a cache), prepare is told the tokens of a
 * sentence before it is decoded (and sums the weights of every feature
 * of each token that does not depend on decisions: the cached sums of
 * each token of its window, gloss__tg_token_features, and its pairs,
 * gloss__tg_pair_features), and score gives the scores of token i from
 * those, the sums of the labels t1 and t2 alone (the previous two labels
 * + 2), the features joining t1 to the token
 * (gloss__tg_word_label_features) and, when memo is not 0, the document
 * memory's (gloss__tg_memo_features), both kept for the last few values
 * each word type met, and the weights of the other features f. The scores are exactly
 * those of d->score over every feature. */
typedef struct tg_fast {
    void (*tokens)(void *ctx, const gloss__tagger_tok *toks, size_t n, tg_tok *out);
    void (*prepare)(void *ctx, const tg_tok *tk, size_t n);
    void (*score)(void *ctx, size_t i, size_t t1, size_t t2, uint64_t memo,
                  const uint64_t *f, size_t n, float *scores);
    void *ctx;
} tg_fast;

struct tg_decoder {
    gloss__tagger_kind kind;
    const tg_labels *labels;
    tg_lookup lex;    /* word -> ambiguity class (pos) or types (ner) */
    tg_lookup phrase; /* ner: phrase hash -> types | TG_PREFIX_BIT */
    tg_lookup clusters; /* word -> clusters (tg_tok.clu), or none */
    tg_score_fn score;
    const void *score_ctx;
    tg_learn_fn learn; /* NULL when tagging */
    void *learn_ctx;
    float scale;       /* from score units to weight units, for conf */
    const tg_fast *fast; /* NULL: every feature goes through score */
};

/* Describes a token: its hashes and flags, and its word-list values. */
void gloss__tg_describe(const tg_decoder *d, const gloss__tagger_tok *t, tg_tok *o);
/* What of a described token its sentence decides (first of the sentence,
 * in a heading, gazetteer matches): with its form, the key of its
 * per-token feature sums. */
uint32_t gloss__tg_context(const tg_tok *t);
/* Whether a described token is the first of those decoded together: no
 * token before it sees it (at offsets 1 and 2). */
int gloss__tg_is_first(const tg_tok *t);
/* The features of token t seen at offset off (-2 to 2) of the token being
 * tagged; at most TG_MAX_TOKEN_FEATS. */
#define TG_MAX_TOKEN_FEATS 48
size_t gloss__tg_token_features(const tg_decoder *d, const tg_tok *t, int off, uint64_t *f);
/* The features of token i of n that join two tokens of its window; at
 * most TG_MAX_PAIR_FEATS. */
#define TG_MAX_PAIR_FEATS 16
size_t gloss__tg_pair_features(const tg_decoder *d, const tg_tok *tk, size_t n, size_t i,
                               uint64_t *f);
/* One part of those (at most TG_MAX_PAIR_PART): TG_PAIR_PREV, the
 * features of token b joined to the token before it, a; TG_PAIR_NEXT, of
 * token a joined to the token after it, b; TG_PAIR_SKIP, of the token
 * tagged seen through the tokens either side of it, a and b. How many
 * features a part has depends on the kind of model alone. */
#define TG_MAX_PAIR_PART 4
enum { TG_PAIR_PREV, TG_PAIR_NEXT, TG_PAIR_SKIP };
size_t gloss__tg_pair_part(const tg_decoder *d, const tg_tok *a, const tg_tok *b,
                           int part, uint64_t *f);
/* The features that join the previous label (+ 2, 1 for none) to token t:
 * at most 3. */
size_t gloss__tg_word_label_features(const tg_decoder *d, const tg_tok *t, uint64_t t1,
                                     uint64_t *f);
/* ner: the features of what the document memory says of a capitalised
 * word (memo: its majority type + 3). Returns 2. */
size_t gloss__tg_memo_features(const tg_tok *t, uint64_t memo, uint64_t *f);
/* The features of the previous two labels alone (each label + 2, 1 for
 * none): the first of t1, the second of both. Returns 2. */
size_t gloss__tg_label_features(uint64_t t1, uint64_t t2, uint64_t *f);
/* The token at offset off of token i of n, or the padding before or after. */
const tg_tok *gloss__tg_window(const tg_tok *tk, size_t n, size_t i, int off);
extern const tg_tok gloss__tg_pad_before, gloss__tg_pad_after;

/* Tags n tokens (at most TG_MAX_SENT); gold (training) may be NULL.
 * first, for the second pass of a stacked model, holds the first pass's
 * labels of these tokens (NULL in a first pass); doc (may be NULL) gives
 * the document memory and, with first, the first pass's labels of the
 * whole document. */
void gloss__tg_decode(const tg_decoder *d, gloss__tagger_doc *doc,
                      const gloss__tagger_tok *toks, size_t n, const uint8_t *gold,
                      const uint8_t *first, uint8_t *out, float *conf);

/* Hashes used by both sides. */
uint64_t gloss__tg_hash(const char *s, size_t len);
static inline uint64_t gloss__tg_mix(uint64_t a, uint64_t b)
{
    uint64_t h = (a ^ (b + 0x9e3779b97f4a7c15ull + (a << 6) + (a >> 2)));
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 29;
    return h;
}
/* The hash of a phrase of tokens, built one token at a time. */
static inline uint64_t gloss__tg_phrase_step(uint64_t h, uint64_t word)
{
    return gloss__tg_mix(h ^ 0x51ed270b27a3f5c1ull, word);
}
#define TG_PHRASE_SEED 0x2545f4914f6cdd1dull

/* The compact weight table of a model: 2^k records, found by linear
 * probing, of a 32-bit key, a shift s and nlabels int8 weights q, each
 * weighing q << s units of the model's scale. Eight bits and a shift per
 * feature keep what matters of each feature's weights in half the bytes
 * of int16, and a smaller table is a faster one: tagging is bound by
 * fetching these records. */
typedef struct tg_table {
    const unsigned char *rec;
    size_t mask;     /* records - 1 */
    size_t stride;   /* bytes per record */
    size_t nlabels;
    /* A filter of the fingerprints the table holds, made when the model
     * is opened (tagger_table.h): most features looked up are absent,
     * and the filter turns most of those away before any probing. */
    uint64_t *filter;
    size_t fmask; /* filter words - 1 */
} tg_table;

#define TG_MAX_SHIFT 15

/* Record layout helpers shared with the writer. */
static inline size_t gloss__tg_stride(size_t nlabels)
{
    return (5 + nlabels + 3) & ~(size_t)3;
}
static inline uint32_t gloss__tg_fingerprint(uint64_t h)
{
    return (uint32_t)(h >> 32) | 1u;
}

/* The compact word tables: 2^k 8-byte records of a u32 key (the
 * fingerprint of a 64-bit hash, as for weights) and a u32 value, found by
 * linear probing from the hash's low bits; key 0 is empty. */
typedef struct tg_lex_table {
    const unsigned char *rec;
    size_t mask;
} tg_lex_table;
uint32_t gloss__tg_lex_get(const void *table, uint64_t key);

#endif
