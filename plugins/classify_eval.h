/*
 * classify_eval.h - scoring a classifier model on labelled texts.
 *
 * Single mode: each text's predicted label is the most probable one, and
 * accuracy is the share of texts whose prediction is their label. Multi
 * mode: a label is predicted when its probability reaches its threshold,
 * and accuracy is the share of texts whose predicted set is exactly their
 * set. In both, each label gets precision, recall and F1 (macro-F1 is
 * their mean over the labels that occur in the data or the predictions),
 * and single mode also counts the confusion matrix. Gold labels the model
 * does not know count as misses.
 */
#ifndef GLOSS_CLASSIFY_EVAL_H
#define GLOSS_CLASSIFY_EVAL_H

#include <stdio.h>

#include "classify_data.h"
#include "classify_model.h"

typedef struct gloss__cls_eval {
    uint32_t nlabels;   /* the model's */
    size_t n;           /* texts */
    size_t correct;     /* texts predicted exactly right */
    size_t *tp, *fp, *fn; /* per label */
    size_t *confusion;  /* single mode: (nlabels + 1) rows (gold; the last
                           for labels the model lacks) x nlabels (predicted) */
    size_t unknown;     /* gold labels the model lacks */
    double seconds;     /* time spent computing vectors and predicting */
} gloss__cls_eval;

/* Scores model on d with up to threads threads. Returns 0, or -1 on
 * ENOMEM. Free with gloss__cls_eval_free(). */
int gloss__cls_evaluate(const gloss__cls_model *m, const gloss__cls_data *d,
                        unsigned threads, gloss__cls_eval *e);
void gloss__cls_eval_free(gloss__cls_eval *e);

double gloss__cls_eval_accuracy(const gloss__cls_eval *e);
double gloss__cls_eval_macro_f1(const gloss__cls_eval *e);

/* Prints accuracy, macro-F1, the per-label table and (single mode) the
 * confusion matrix. */
void gloss__cls_eval_print(FILE *out, const gloss__cls_model *m,
                           const gloss__cls_eval *e);

#endif
