/*
 * classify.c - the built-in `classify` stage: labels the document, its
 * sections, or both, with a trained text classifier.
 *
 * The model (plugins/classify_model.c) is mapped when the stage starts, so
 * the worker processes of a daemon share one copy. For each text to label
 * (the whole document, and/or each span of a layer such as the `sections`
 * that structure.lua writes), the stage computes the hashed TF-IDF vector
 * of classify_feat.c straight from the text, with the same scanner the
 * trainer used on the JSON Lines: the features at prediction are exactly
 * the features the model was trained on, whatever stages ran before, and
 * no earlier stage is needed. The probabilities are then compared with the
 * thresholds, and the labels that pass are set on the document (group
 * `group`) or on the span, most probable first.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "classify_model.h"
#include "gloss/stage.h"

typedef struct label_score {
    uint32_t k;
    float p;
} label_score;

typedef struct classify_ctx {
    gloss__cls_model *model;
    const char *group;    /* owned copy */
    char *layer;          /* the layer of sections */
    char **kinds;         /* section labels to classify; none = all */
    size_t nkinds;
    int on_doc, on_sections;
    long top;             /* at most this many labels per text; 0 = any */
    float *thresholds;    /* per label */
    float *prob;
    label_score *order;
    gloss__cls_vec vec;   /* reused from text to text */
} classify_ctx;

static const char *const apply_choices[] = {"document", "sections", "both",
                                            NULL};

static const gloss_option classify_options[] = {
    {"model", GLOSS_OPT_STRING, NULL,
     "The classifier model written by `gloss train classify` (a file name, "
     "relative to the configuration's folder).",
     NULL},
    {"apply", GLOSS_OPT_STRING, "\"document\"",
     "What to label: \"document\" (the whole text, as document labels), "
     "\"sections\" (each span of `layer`, as span labels) or \"both\".",
     apply_choices},
    {"layer", GLOSS_OPT_STRING, "\"sections\"",
     "The layer whose spans are the sections (structure.lua writes "
     "`sections`; `paragraphs` and `sentences` come from segment).",
     NULL},
    {"kinds", GLOSS_OPT_STRINGS, "[]",
     "Only sections with one of these labels (such as \"recital\" and "
     "\"paragraph\"); empty: every span of the layer.",
     NULL},
    {"group", GLOSS_OPT_STRING, "\"class\"",
     "The group of the labels set (\"topic\" to join the topic stage's).",
     NULL},
    {"threshold", GLOSS_OPT_NUMBER, "-1",
     "The probability a label needs to be set, for every label; negative: "
     "the model's own thresholds (0.5 for a multi-label model; 0 for a "
     "single-label one, whose most probable label is always set).",
     NULL},
    {"thresholds", GLOSS_OPT_JSON, "{}",
     "Thresholds of particular labels, as an object such as "
     "{\"sci.med\": 0.8}; they win over `threshold`.",
     NULL},
    {"top", GLOSS_OPT_INTEGER, "-1",
     "At most this many labels per text, the most probable first; 0: no "
     "limit; negative: 1 for a single-label model, no limit otherwise.",
     NULL},
    {NULL, 0, NULL, NULL, NULL},
};

static void classify_fini(void *p)
{
    classify_ctx *c = p;
    if (!c)
        return;
    gloss__cls_model_free(&c->model);
    for (size_t i = 0; i < c->nkinds; i++)
        free(c->kinds[i]);
    free(c->kinds);
    free(c->layer);
    free((char *)c->group);
    free(c->thresholds);
    free(c->prob);
    free(c->order);
    gloss__cls_vec_free(&c->vec);
    free(c);
}

/* Reads the thresholds object into c->thresholds. */
static int read_thresholds(classify_ctx *c, const gloss_opts *opts,
                           gloss_err *err)
{
    char *text = gloss_opts_json(opts, "thresholds");
    json_error_t jerr;
    json_t *obj = text ? json_loads(text, 0, &jerr) : NULL;
    free(text);
    if (!json_is_object(obj)) {
        json_decref(obj);
        gloss_err_set(err, "thresholds: want an object of label names to "
                           "numbers, such as {\"torture\": 0.7}");
        return -1;
    }
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val) {
        int k = gloss__cls_model_label(c->model, key);
        if (k < 0) {
            gloss_err_set(err, "thresholds.%s: the model has no such label",
                          key);
            json_decref(obj);
            return -1;
        }
        if (!json_is_number(val) || json_number_value(val) < 0 ||
            json_number_value(val) > 1) {
            gloss_err_set(err, "thresholds.%s: want a probability from 0 "
                               "to 1", key);
            json_decref(obj);
            return -1;
        }
        c->thresholds[k] = (float)json_number_value(val);
    }
    json_decref(obj);
    return 0;
}

static int classify_init(void **ctx, const gloss_opts *opts, gloss_err *err)
{
    classify_ctx *c = calloc(1, sizeof *c);
    char *path = c ? gloss_opts_path(opts, gloss_opts_string(opts, "model"))
                   : NULL;
    if (!path) {
        free(c);
        gloss_err_set(err, "out of memory");
        return GLOSS_ERROR;
    }
    char msg[1024];
    c->model = gloss__cls_model_open(path, msg, sizeof msg);
    free(path);
    if (!c->model) {
        gloss_err_set(err, "model: %s", msg);
        classify_fini(c);
        return GLOSS_ERROR;
    }
    const uint32_t K = c->model->nlabels;
    const char *apply = gloss_opts_string(opts, "apply");
    c->on_doc = strcmp(apply, "sections") != 0;
    c->on_sections = strcmp(apply, "document") != 0;
    c->group = strdup(gloss_opts_string(opts, "group"));
    c->layer = strdup(gloss_opts_string(opts, "layer"));
    c->nkinds = gloss_opts_strings_count(opts, "kinds");
    c->kinds = calloc(c->nkinds + 1, sizeof *c->kinds);
    c->thresholds = malloc(K * sizeof *c->thresholds);
    c->prob = malloc(K * sizeof *c->prob);
    c->order = malloc(K * sizeof *c->order);
    int oom = !c->group || !c->layer || !c->kinds || !c->thresholds ||
              !c->prob || !c->order;
    for (size_t i = 0; !oom && i < c->nkinds; i++)
        oom = !(c->kinds[i] = strdup(gloss_opts_strings_at(opts, "kinds", i)));
    if (oom) {
        gloss_err_set(err, "out of memory");
        classify_fini(c);
        return GLOSS_ERROR;
    }
    if (!*c->group) {
        gloss_err_set(err, "group: want a non-empty label group");
        classify_fini(c);
        return GLOSS_ERROR;
    }
    double th = gloss_opts_number(opts, "threshold");
    if (th > 1) {
        gloss_err_set(err, "threshold: want a probability from 0 to 1 (or "
                           "a negative number for the model's)");
        classify_fini(c);
        return GLOSS_ERROR;
    }
    for (uint32_t k = 0; k < K; k++)
        c->thresholds[k] = th >= 0 ? (float)th : c->model->thresholds[k];
    if (read_thresholds(c, opts, err) < 0) {
        classify_fini(c);
        return GLOSS_ERROR;
    }
    long long top = gloss_opts_integer(opts, "top");
    c->top = top < 0 ? (c->model->multi ? 0 : 1) : (long)top;
    *ctx = c;
    return GLOSS_OK;
}

static int by_score(const void *a, const void *b)
{
    const label_score *x = a, *y = b;
    if (x->p != y->p)
        return x->p > y->p ? -1 : 1;
    return x->k < y->k ? -1 : x->k > y->k;
}

/* Scores text[start..end) and sets its labels on span, or on the document
 * when span is NULL. */
static int label_text(classify_ctx *c, gloss_doc *doc, gloss_span *span,
                      const char *text, size_t start, size_t end,
                      gloss_err *err)
{
    const gloss__cls_model *m = c->model;
    if (gloss__cls_model_vectorize(m, text + start, end - start,
                             &c->vec) < 0) {
        gloss_err_set(err, "out of memory computing features");
        return -1;
    }
    if (c->vec.n == 0)
        return 0; /* no word: nothing to say */
    gloss__cls_predict(m, &c->vec, c->prob);
    size_t n = 0;
    for (uint32_t k = 0; k < m->nlabels; k++)
        if (c->prob[k] >= c->thresholds[k])
            c->order[n++] = (label_score){k, c->prob[k]};
    qsort(c->order, n, sizeof *c->order, by_score);
    if (c->top > 0 && n > (size_t)c->top)
        n = (size_t)c->top;
    for (size_t i = 0; i < n; i++) {
        const char *name = m->labels[c->order[i].k];
        double p = c->order[i].p;
        int rc = span ? gloss_span_set_label_score(doc, span, c->group, name, p)
                      : gloss_doc_set_label(doc, c->group, name, p);
        if (rc < 0) {
            gloss_err_set(err, "out of memory setting labels");
            return -1;
        }
    }
    return 0;
}

static int wanted(const classify_ctx *c, const gloss_span *sp)
{
    if (c->nkinds == 0)
        return 1;
    for (size_t i = 0; i < c->nkinds; i++)
        if (sp->label && strcmp(sp->label, c->kinds[i]) == 0)
            return 1;
    return 0;
}

static int classify_process(void *ctx, gloss_doc *doc, gloss_err *err)
{
    classify_ctx *c = ctx;
    size_t len;
    const char *text = gloss_doc_text(doc, &len);
    if (c->on_doc && label_text(c, doc, NULL, text, 0, len, err) < 0)
        return GLOSS_ERROR;
    if (!c->on_sections)
        return GLOSS_OK;
    gloss_layer *layer = gloss_doc_layer(doc, c->layer, 0);
    size_t n = layer ? gloss_layer_size(layer) : 0;
    for (size_t i = 0; i < n; i++) {
        gloss_span *sp = gloss_layer_span(layer, i);
        if (wanted(c, sp) &&
            label_text(c, doc, sp, text, sp->start, sp->end, err) < 0)
            return GLOSS_ERROR;
    }
    return GLOSS_OK;
}

const gloss_stage_desc gloss__stage_classify = {
    .abi = GLOSS_STAGE_ABI,
    .name = "classify",
    .description = "Labels the document and/or its sections with a trained "
                   "text classifier (gloss train classify).",
    .options = classify_options,
    .init = classify_init,
    .process = classify_process,
    .fini = classify_fini,
};
