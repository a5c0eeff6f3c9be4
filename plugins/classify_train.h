/*
 * classify_train.h - training a classifier model from labelled texts.
 *
 * The texts are turned into vectors once (by several threads: each takes
 * a fixed share of the texts, so the result does not depend on how many
 * there are), the idf of each bucket is counted, and the weights are then
 * fitted by stochastic gradient descent with L2 regularisation, visiting
 * the texts in a fresh order every epoch, shuffled from the seed. The
 * loss is, in single mode, the multiclass squared hinge (the text's label
 * must beat the best other label by a margin of 1) or softmax
 * cross-entropy; in multi mode, one binary logistic loss per label. With a
 * dev set, each epoch is scored on it and the best epoch's weights are
 * kept; training stops when the score has not improved for `patience`
 * epochs. A hinge model's scores are margins, not probabilities: they are
 * turned into probabilities by a softmax at a temperature fitted on the
 * dev set (or the training set) to maximise its likelihood, folded into
 * the weights, so every single-label model is applied the same way.
 * Everything is deterministic for a given seed, data and options.
 */
#ifndef GLOSS_CLASSIFY_TRAIN_H
#define GLOSS_CLASSIFY_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "classify_data.h"
#include "classify_model.h"

/* What the trainer reports as it goes. */
typedef struct gloss__cls_progress {
    const char *phase;  /* "features" or "epoch" */
    unsigned epoch;     /* 1-based, during "epoch" */
    unsigned epochs;    /* the most that will run */
    double loss;        /* mean training loss of the epoch */
    double dev_score;   /* accuracy (single) or micro-F1 (multi); <0 without dev */
    int best;           /* this epoch is the best so far */
    double seconds;     /* since training started */
} gloss__cls_progress;

/* The loss of a single-label model. */
typedef enum gloss__cls_loss {
    GLOSS__CLS_HINGE = 0, /* multiclass squared hinge, then a calibrated softmax */
    GLOSS__CLS_LOGISTIC   /* softmax cross-entropy */
} gloss__cls_loss;

typedef struct gloss__cls_train_opts {
    gloss__cls_feat feat;
    int multi;           /* sigmoids instead of a softmax */
    gloss__cls_loss loss; /* single mode only */
    unsigned epochs;     /* at most this many passes */
    unsigned patience;   /* stop after this many epochs without a better dev score */
    double lr;           /* initial learning rate; 0: the loss's default */
    double l2;           /* L2 regularisation strength */
    uint64_t seed;       /* the order of the texts */
    unsigned threads;    /* for computing the vectors */
    int tune_thresholds; /* multi mode with dev: each label's threshold
                            is the one that maximises its F1 on dev */
    void (*progress)(void *arg, const gloss__cls_progress *p);
    void *progress_arg;
} gloss__cls_train_opts;

/* Fills o with the defaults (the settings docs/classify.md justifies). */
void gloss__cls_train_defaults(gloss__cls_train_opts *o);

/*
 * Trains a model on train; dev (may be NULL) picks the best epoch. Labels
 * of dev that train lacks count as errors. Returns an in-memory model, or
 * NULL with a message in err.
 */
gloss__cls_model *gloss__cls_train(const gloss__cls_data *train,
                                   const gloss__cls_data *dev,
                                   const gloss__cls_train_opts *o, char *err,
                                   size_t errlen);

/* Computes the vectors of texts[0..n) with the model's features and idf,
 * using up to threads threads. vecs[i] are filled (free each with
 * gloss__cls_vec_free). Returns 0, or -1 on ENOMEM. */
int gloss__cls_vectorize_all(const gloss__cls_feat *feat, const float *idf,
                             char *const *texts, const size_t *lens, size_t n,
                             unsigned threads, gloss__cls_vec *vecs);

#endif
