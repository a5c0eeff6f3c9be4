/*
 * classify_model.h - a text classifier's model: a linear function of the
 * hashed features of classify_feat.h, giving each label a probability.
 *
 * The model has one row of weights per feature bucket (one weight per
 * label, so a text's scores are gathered row by row), a bias per label,
 * the idf of each bucket, and a threshold per label. In "single" mode the
 * scores go through a softmax (the labels compete: one label per text);
 * in "multi" mode each label's score goes through its own sigmoid (a text
 * may carry several labels, or none).
 *
 * On disk a model is a `classify` file of the model container (lib/model.h,
 * docs/models.md), with the sections listed in docs/classify.md; opening
 * it maps the file, so every worker process shares one copy of the
 * weights. A model being trained lives in memory with the same layout.
 */
#ifndef GLOSS_CLASSIFY_MODEL_H
#define GLOSS_CLASSIFY_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "classify_feat.h"

/* The version of the `classify` kind's sections that this code writes and
 * the newest it reads. */
#define GLOSS__CLS_KIND "classify"
#define GLOSS__CLS_KIND_VERSION 1u
#define GLOSS__CLS_MAX_LABELS 65535u

typedef struct gloss__model gloss__model;

typedef struct gloss__cls_model {
    gloss__cls_feat feat;
    uint32_t nlabels;
    int multi;                /* 0: softmax, one label; 1: sigmoids */
    const char *const *labels;/* nlabels names */
    const float *idf;         /* 2^bits */
    const float *weights;     /* 2^bits rows of nlabels */
    const float *bias;        /* nlabels */
    const float *thresholds;  /* nlabels: the default decision thresholds */
    /* private: where the arrays live */
    gloss__model *file_;      /* the mapped file, or NULL */
    void *mem_[6];            /* arrays owned by an in-memory model */
} gloss__cls_model;

/*
 * Allocates an in-memory model with zero weights, idf 1, thresholds 0.5
 * (multi) or 0 (single), and copies of the label names. NULL on ENOMEM.
 */
gloss__cls_model *gloss__cls_model_new(const gloss__cls_feat *feat,
                                       uint32_t nlabels,
                                       const char *const *labels, int multi);
/* The writable arrays of an in-memory model (for the trainer). */
float *gloss__cls_model_weights(gloss__cls_model *m);
float *gloss__cls_model_idf(gloss__cls_model *m);
float *gloss__cls_model_bias(gloss__cls_model *m);
float *gloss__cls_model_thresholds(gloss__cls_model *m);

/* Writes the model to path. Returns 0, or -1 with a message in err. */
int gloss__cls_model_save(const gloss__cls_model *m, const char *path,
                          char *err, size_t errlen);

/* Maps and checks the model at path; NULL with a message in err when the
 * file is missing, not a classify model, or damaged in any way. */
gloss__cls_model *gloss__cls_model_open(const char *path, char *err,
                                        size_t errlen);

void gloss__cls_model_free(gloss__cls_model **m);

/* The index of label name, or -1. */
int gloss__cls_model_label(const gloss__cls_model *m, const char *name);

/*
 * Scores a vector: writes each label's probability to prob[0..nlabels).
 * Single mode: a softmax (the probabilities add up to 1); multi mode: a
 * sigmoid per label.
 */
void gloss__cls_predict(const gloss__cls_model *m, const gloss__cls_vec *v,
                        float *prob);

/* Computes the vector of text[0..len) for this model (its features and
 * idf). Returns 0, or -1 on ENOMEM. */
int gloss__cls_model_vectorize(const gloss__cls_model *m, const char *text,
                               size_t len, gloss__cls_vec *v);

/* The raw scores (before softmax or sigmoid), for the trainer. */
void gloss__cls_scores(const gloss__cls_model *m, const float *weights,
                       const gloss__cls_vec *v, float scale, float *out);

#endif
