/*
 * classify_model.c - building, saving, mapping and applying a classifier
 * model (classify_model.h).
 *
 * The file is a container of kind "classify" with six sections: "meta"
 * (eight little-endian u32: hash bits, feature flags, hash seed, number of
 * labels, mode, three zeros), "labels" (the names, each followed by a NUL),
 * "idf", "weights" (2^bits rows of one float per label), "bias" and
 * "thresholds" (IEEE-754 binary32, little-endian). The container has
 * already checked that the file is whole and uncorrupted when this code
 * checks that the sections fit together, so a model that opens is safe to
 * apply: every array has exactly the length the meta section implies.
 */
#include "classify_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

enum { MEM_LABELS, MEM_IDF, MEM_WEIGHTS, MEM_BIAS, MEM_THRESH, MEM_NAMES };

#define META_WORDS 8

static size_t buckets(const gloss__cls_feat *f) { return (size_t)1 << f->bits; }

gloss__cls_model *gloss__cls_model_new(const gloss__cls_feat *feat,
                                       uint32_t nlabels,
                                       const char *const *labels, int multi)
{
    gloss__cls_model *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->feat = *feat;
    m->nlabels = nlabels;
    m->multi = multi;
    size_t b = buckets(feat), names = 0;
    for (uint32_t k = 0; k < nlabels; k++)
        names += strlen(labels[k]) + 1;
    char **lab = calloc(nlabels ? nlabels : 1, sizeof *lab);
    char *store = malloc(names ? names : 1);
    float *idf = malloc(b * sizeof *idf);
    float *w = calloc(b * nlabels, sizeof *w);
    float *bias = calloc(nlabels ? nlabels : 1, sizeof *bias);
    float *th = malloc((nlabels ? nlabels : 1) * sizeof *th);
    m->mem_[MEM_LABELS] = lab;
    m->mem_[MEM_NAMES] = store;
    m->mem_[MEM_IDF] = idf;
    m->mem_[MEM_WEIGHTS] = w;
    m->mem_[MEM_BIAS] = bias;
    m->mem_[MEM_THRESH] = th;
    if (!lab || !store || !idf || !w || !bias || !th) {
        gloss__cls_model_free(&m);
        return NULL;
    }
    char *p = store;
    for (uint32_t k = 0; k < nlabels; k++) {
        size_t len = strlen(labels[k]) + 1;
        memcpy(p, labels[k], len);
        lab[k] = p;
        p += len;
        th[k] = multi ? 0.5f : 0.0f;
    }
    for (size_t i = 0; i < b; i++)
        idf[i] = 1.0f;
    m->labels = (const char *const *)lab;
    m->idf = idf;
    m->weights = w;
    m->bias = bias;
    m->thresholds = th;
    return m;
}

float *gloss__cls_model_weights(gloss__cls_model *m) { return m->mem_[MEM_WEIGHTS]; }
float *gloss__cls_model_idf(gloss__cls_model *m) { return m->mem_[MEM_IDF]; }
float *gloss__cls_model_bias(gloss__cls_model *m) { return m->mem_[MEM_BIAS]; }
float *gloss__cls_model_thresholds(gloss__cls_model *m) { return m->mem_[MEM_THRESH]; }

void gloss__cls_model_free(gloss__cls_model **mp)
{
    gloss__cls_model *m = *mp;
    if (!m)
        return;
    for (size_t i = 0; i < sizeof m->mem_ / sizeof *m->mem_; i++)
        free(m->mem_[i]);
    gloss__model_close(m->file_);
    free(m);
    *mp = NULL;
}

static int little_endian(void)
{
    const uint32_t one = 1;
    unsigned char c;
    memcpy(&c, &one, 1);
    return c == 1;
}

int gloss__cls_model_save(const gloss__cls_model *m, const char *path,
                          char *err, size_t errlen)
{
    if (!little_endian()) {
        snprintf(err, errlen, "%s: models are written on little-endian "
                              "machines only", path);
        return -1;
    }
    gloss__model_writer *w = gloss__model_writer_new(GLOSS__CLS_KIND,
                                                     GLOSS__CLS_KIND_VERSION);
    if (!w) {
        snprintf(err, errlen, "out of memory writing %s", path);
        return -1;
    }
    uint32_t meta[META_WORDS] = {m->feat.bits, m->feat.flags, m->feat.seed,
                                 m->nlabels, (uint32_t)m->multi, 0, 0, 0};
    size_t names = 0, b = buckets(&m->feat), k = m->nlabels;
    for (uint32_t i = 0; i < m->nlabels; i++)
        names += strlen(m->labels[i]) + 1;
    char *lab = gloss__model_writer_reserve(w, "labels", names);
    int ok = lab &&
             gloss__model_writer_add(w, "meta", meta, sizeof meta) == 0 &&
             gloss__model_writer_add(w, "idf", m->idf, b * sizeof(float)) == 0 &&
             gloss__model_writer_add(w, "weights", m->weights,
                                     b * k * sizeof(float)) == 0 &&
             gloss__model_writer_add(w, "bias", m->bias, k * sizeof(float)) == 0 &&
             gloss__model_writer_add(w, "thresholds", m->thresholds,
                                     k * sizeof(float)) == 0;
    if (!ok) {
        gloss__model_writer_free(w);
        snprintf(err, errlen, "out of memory writing %s", path);
        return -1;
    }
    for (uint32_t i = 0; i < m->nlabels; i++) {
        size_t len = strlen(m->labels[i]) + 1;
        memcpy(lab, m->labels[i], len);
        lab += len;
    }
    int rc = gloss__model_writer_write(w, path, err, errlen);
    gloss__model_writer_free(w);
    return rc;
}

/* Fetches section name of exactly size bytes; NULL with a message. */
static const void *section(const gloss__model *f, const char *name,
                           size_t size, const char *path, char *err,
                           size_t errlen)
{
    size_t got = 0;
    const void *p = gloss__model_section(f, name, &got);
    if (!p && size > 0)
        snprintf(err, errlen, "%s: the classifier model has no '%s' section",
                 path, name);
    else if (got != size)
        snprintf(err, errlen, "%s: the '%s' section holds %zu bytes where "
                              "%zu were expected", path, name, got, size);
    else
        return p ? p : "";
    return NULL;
}

gloss__cls_model *gloss__cls_model_open(const char *path, char *err,
                                        size_t errlen)
{
    if (!little_endian()) {
        snprintf(err, errlen, "%s: models are read on little-endian "
                              "machines only", path);
        return NULL;
    }
    gloss__model *f = gloss__model_open(path, GLOSS__CLS_KIND,
                                        GLOSS__CLS_KIND_VERSION, err, errlen);
    if (!f)
        return NULL;
    gloss__cls_model *m = calloc(1, sizeof *m);
    if (!m) {
        gloss__model_close(f);
        snprintf(err, errlen, "out of memory opening %s", path);
        return NULL;
    }
    m->file_ = f;
    uint32_t meta[META_WORDS];
    const void *mp = section(f, "meta", sizeof meta, path, err, errlen);
    if (!mp)
        goto fail;
    memcpy(meta, mp, sizeof meta);
    if (meta[0] < 10 || meta[0] > 26 || (meta[1] & ~GLOSS__CLS_BIGRAMS) ||
        meta[3] < 1 || meta[3] > GLOSS__CLS_MAX_LABELS || meta[4] > 1) {
        snprintf(err, errlen, "%s: the classifier model's settings are out "
                              "of range (hash bits %u, features %#x, labels "
                              "%u, mode %u)", path, meta[0], meta[1], meta[3],
                 meta[4]);
        goto fail;
    }
    m->feat.bits = meta[0];
    m->feat.flags = meta[1];
    m->feat.seed = meta[2];
    m->nlabels = meta[3];
    m->multi = (int)meta[4];
    size_t b = buckets(&m->feat), k = m->nlabels;
    if (!(m->idf = section(f, "idf", b * sizeof(float), path, err, errlen)) ||
        !(m->weights = section(f, "weights", b * k * sizeof(float), path, err,
                               errlen)) ||
        !(m->bias = section(f, "bias", k * sizeof(float), path, err, errlen)) ||
        !(m->thresholds = section(f, "thresholds", k * sizeof(float), path,
                                  err, errlen)))
        goto fail;
    size_t nsize = 0;
    const char *names = gloss__model_section(f, "labels", &nsize);
    const char **lab = calloc(k, sizeof *lab);
    m->mem_[MEM_LABELS] = lab;
    if (!lab) {
        snprintf(err, errlen, "out of memory opening %s", path);
        goto fail;
    }
    size_t pos = 0;
    for (size_t i = 0; i < k; i++) {
        const char *nul = names && pos < nsize
                              ? memchr(names + pos, '\0', nsize - pos) : NULL;
        if (!nul || nul == names + pos) {
            snprintf(err, errlen, "%s: the 'labels' section does not hold "
                                  "%zu names", path, k);
            goto fail;
        }
        lab[i] = names + pos;
        pos = (size_t)(nul - names) + 1;
    }
    if (pos != nsize) {
        snprintf(err, errlen, "%s: the 'labels' section holds more than %zu "
                              "names", path, k);
        goto fail;
    }
    m->labels = lab;
    return m;
fail:
    gloss__cls_model_free(&m);
    return NULL;
}

int gloss__cls_model_label(const gloss__cls_model *m, const char *name)
{
    for (uint32_t k = 0; k < m->nlabels; k++)
        if (strcmp(m->labels[k], name) == 0)
            return (int)k;
    return -1;
}

int gloss__cls_model_vectorize(const gloss__cls_model *m, const char *text,
                               size_t len, gloss__cls_vec *v)
{
    v->hint = m->weights;
    v->hint_stride = m->nlabels;
    return gloss__cls_vectorize(&m->feat, m->idf, text, len, v);
}

void gloss__cls_scores(const gloss__cls_model *m, const float *weights,
                       const gloss__cls_vec *v, float scale, float *out)
{
    const size_t k = m->nlabels;
    for (size_t j = 0; j < k; j++)
        out[j] = 0;
    /* The rows are scattered over megabytes: fetching them is what costs,
     * so the rows a few features ahead are requested while this one is
     * added up. */
    enum { AHEAD = 8 };
    for (size_t i = 0; i < v->n; i++) {
        if (i + AHEAD < v->n) {
            const char *next = (const char *)(weights +
                                              (size_t)v->idx[i + AHEAD] * k);
            __builtin_prefetch(next);
            __builtin_prefetch(next + k * sizeof(float) - 1);
        }
        const float *row = weights + (size_t)v->idx[i] * k;
        const float x = v->val[i];
        for (size_t j = 0; j < k; j++)
            out[j] += x * row[j];
    }
    for (size_t j = 0; j < k; j++)
        out[j] = out[j] * scale + m->bias[j];
}

void gloss__cls_predict(const gloss__cls_model *m, const gloss__cls_vec *v,
                        float *prob)
{
    gloss__cls_scores(m, m->weights, v, 1.0f, prob);
    const size_t k = m->nlabels;
    if (m->multi) {
        for (size_t j = 0; j < k; j++)
            prob[j] = 1.0f / (1.0f + expf(-prob[j]));
        return;
    }
    float top = prob[0];
    for (size_t j = 1; j < k; j++)
        if (prob[j] > top)
            top = prob[j];
    float sum = 0;
    for (size_t j = 0; j < k; j++)
        sum += (prob[j] = expf(prob[j] - top));
    for (size_t j = 0; j < k; j++)
        prob[j] /= sum;
}
