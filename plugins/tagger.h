/*
 * tagger.h - the statistical sequence tagger behind the `pos` and `ner`
 * stages: an averaged perceptron over hashed features, decoded greedily
 * left to right with the tags already chosen as features.
 *
 * A tagger labels the tokens of one sentence at a time. For part of speech
 * the labels are the tags themselves; for named entities they are BILOU
 * tags (B-PER, I-PER, L-PER, U-PER, O, ...) that the caller turns into
 * spans with gloss__tagger_spans(). Named-entity tagging also keeps a
 * per-document memory of how earlier tokens were labelled (a capitalised
 * word tagged PER earlier in a document is likely PER again), which is why
 * sentences are tagged through a gloss__tagger_doc.
 *
 * Models are model containers (lib/model.h) of kind "pos" or "ner"; the
 * sections are described in docs/models.md. Training (tagger_train.c)
 * writes them; gloss__tagger_open() maps and checks them.
 */
#ifndef GLOSS_TAGGER_H
#define GLOSS_TAGGER_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

#define GLOSS__TAGGER_MAX_LABELS 64
/* The format version of "pos" and "ner" models this code reads. */
#define GLOSS__TAGGER_VERSION 1u

typedef enum { GLOSS__TAGGER_POS = 0, GLOSS__TAGGER_NER = 1 } gloss__tagger_kind;

/* A token as the tagger sees it: its text (not NUL-terminated). */
typedef struct gloss__tagger_tok {
    const char *s;
    size_t len;
} gloss__tagger_tok;

typedef struct gloss__tagger gloss__tagger;

/* Opens the model at path, of the given kind. NULL with a message in err. */
gloss__tagger *gloss__tagger_open(const char *path, gloss__tagger_kind kind,
                                  char *err, size_t errlen);
/* The same over a model already checked (takes ownership of m, which is
 * closed on failure too). */
gloss__tagger *gloss__tagger_from_model(gloss__model *m, gloss__tagger_kind kind,
                                        char *err, size_t errlen);
void gloss__tagger_close(gloss__tagger *t);

size_t gloss__tagger_label_count(const gloss__tagger *t);
const char *gloss__tagger_label(const gloss__tagger *t, size_t i);
/* The model's name, from its configuration (e.g. "en-pos"). */
const char *gloss__tagger_name(const gloss__tagger *t);

/* The per-document memory of named-entity tagging. */
typedef struct gloss__tagger_doc gloss__tagger_doc;
gloss__tagger_doc *gloss__tagger_doc_new(void);
void gloss__tagger_doc_reset(gloss__tagger_doc *d);
void gloss__tagger_doc_free(gloss__tagger_doc *d);

/* Tagging keeps, in the per-document state, the sums of the weights of
 * the features that depend on one token alone, per word type (and what of
 * it its sentence decides) and window offset, so that a word seen before
 * costs a few additions instead of a few dozen lookups in the model. The
 * cache belongs to the last tagger the state was used with (another
 * tagger empties it: use one state per tagger), holds at most max_types
 * entries and when full keeps (up to half of them) those used again since
 * it last was full; the scores are exactly those of tagging without it.
 * 0 turns it off; the default is GLOSS__TAGGER_CACHE_TYPES; values below
 * 512 count as 512. */
#define GLOSS__TAGGER_CACHE_TYPES 16384u
void gloss__tagger_doc_set_cache(gloss__tagger_doc *d, size_t max_types);

/* What the cache did: sums found and made, times it was full (and let
 * go of the words not used again), the entries it holds. */
typedef struct gloss__tagger_cache_stats {
    size_t hits, misses, clears, entries;
    size_t label_hits, label_misses; /* the same for the sums joined to a label */
    size_t pair_hits, pair_misses;   /* and for the sums of pairs of adjacent words */
} gloss__tagger_cache_stats;
void gloss__tagger_doc_cache_stats(const gloss__tagger_doc *d,
                                   gloss__tagger_cache_stats *st);

/* Tags a document: its tokens toks[sent_start[0] .. sent_start[nsents])
 * in nsents sentences (sent_start has nsents + 1 entries). out[i] gets the
 * label index of token sent_start[0] + i, conf[i] (when not NULL) the
 * share of the chosen label in a softmax over the scores. doc is the
 * reusable per-document state (its memory is reset here). A stacked model
 * tags the whole document twice, the second pass seeing the first's
 * labels. Returns 0, or -1 when memory runs out. */
int gloss__tagger_tag_doc(const gloss__tagger *t, gloss__tagger_doc *doc,
                          const gloss__tagger_tok *toks, const size_t *sent_start,
                          size_t nsents, uint8_t *out, float *conf);

/* A named entity found in BILOU labels: tokens [first, last], its type (a
 * string owned by the tagger) and the mean confidence of its tokens. */
typedef struct gloss__tagger_span {
    size_t first, last;
    const char *type;
    float conf;
} gloss__tagger_span;

/* Turns the labels of a sentence into entities (at most n, written to
 * spans); a B or I left open at a sentence end or before another label
 * ends there. Returns the number of entities. */
size_t gloss__tagger_spans(const gloss__tagger *t, const uint8_t *labels,
                           const float *conf, size_t n, gloss__tagger_span *spans);

/* ---- training (tagger_train.c) ---------------------------------------- */

/* A training corpus: sentences of tokens with gold label names; documents
 * are runs of sentences (doc_start marks the first of each). */
typedef struct gloss__tagger_corpus {
    gloss__tagger_tok *toks;
    char **gold;          /* label name of each token */
    size_t *surface;      /* CoNLL-U: each word's surface token (0, 1, ...) */
    size_t ntoks, captoks;
    size_t *sent_start;   /* first token of each sentence, plus a sentinel */
    uint8_t *doc_start;   /* 1 when a sentence starts a document */
    size_t nsents, capsents;
    char *owned;          /* the text the tokens point into */
    char pool[GLOSS__TAGGER_MAX_LABELS][16]; /* label names gold points to */
    size_t npool;
} gloss__tagger_corpus;

/* Reads the words and UPOS tags of a CoNLL-U file (multiword token lines
 * skipped, their words kept), or a CoNLL-2003 file (word first, IOB1 or
 * IOB2 tag last; -DOCSTART- lines start documents) with labels turned into
 * BILOU. Returns 0, or -1 with a message in err. */
int gloss__tagger_read_conllu(const char *path, gloss__tagger_corpus *c,
                              char *err, size_t errlen);
int gloss__tagger_read_conll(const char *path, gloss__tagger_corpus *c,
                             char *err, size_t errlen);
void gloss__tagger_corpus_free(gloss__tagger_corpus *c);

typedef struct gloss__tagger_train_opts {
    gloss__tagger_kind kind;
    const char *name;     /* the model's name, stored in it */
    unsigned iterations;  /* the most passes over the data */
    unsigned patience;    /* passes without a better dev score before stopping */
    uint64_t seed;
    size_t max_bytes;     /* the largest model to write */
    const char *clusters; /* word clusters (tools/gloss-clusters), or NULL */
    const char *dictionary; /* word forms and their possible tags (pos), or NULL */
    int stacked;          /* train a second pass on the first's labels */
    int progress;         /* print a line per pass to stderr */
} gloss__tagger_train_opts;

/* Trains on train, keeping the pass that scores best on dev, and writes
 * the model to path. *dev_score receives the best dev score (accuracy for
 * pos, entity F1 for ner, in percent). Returns 0, or -1 with a message. */
int gloss__tagger_train(const gloss__tagger_corpus *train,
                        const gloss__tagger_corpus *dev,
                        const gloss__tagger_train_opts *o, const char *path,
                        double *dev_score, char *err, size_t errlen);

/* The path of the default model of a kind (en-pos.bin, en-ner.bin): the
 * first found in the folders of $GLOSS_MODEL_PATH, the installed models
 * folder and the source tree's models/, in a string to free(); NULL when
 * none is found. */
char *gloss__tagger_default_model(gloss__tagger_kind kind);

/* ---- scoring (shared by training and `gloss eval`) -------------------- */

typedef struct gloss__tagger_counts {
    size_t tokens, correct;                     /* pos */
    size_t gold[8], sys[8], hit[8];             /* ner, per entity type */
    char types[8][8];
    size_t ntypes;
} gloss__tagger_counts;

/* Tags every sentence of c and adds the comparison with its gold labels to
 * counts (token accuracy for pos; exact-span entities per type for ner). */
int gloss__tagger_score(const gloss__tagger *t, const gloss__tagger_corpus *c,
                        gloss__tagger_counts *counts);

#endif
