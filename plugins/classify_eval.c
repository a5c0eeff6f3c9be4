/*
 * classify_eval.c - accuracy, F1 and the confusion matrix of a classifier
 * on labelled texts (classify_eval.h).
 */
#include "classify_eval.h"

#include <stdlib.h>
#include <string.h>

#include "classify_train.h"
#include "clock.h"

void gloss__cls_eval_free(gloss__cls_eval *e)
{
    free(e->tp);
    free(e->fp);
    free(e->fn);
    free(e->confusion);
    memset(e, 0, sizeof *e);
}

int gloss__cls_evaluate(const gloss__cls_model *m, const gloss__cls_data *d,
                        unsigned threads, gloss__cls_eval *e)
{
    memset(e, 0, sizeof *e);
    const uint32_t K = m->nlabels;
    e->nlabels = K;
    e->n = d->n;
    e->tp = calloc(K, sizeof *e->tp);
    e->fp = calloc(K, sizeof *e->fp);
    e->fn = calloc(K, sizeof *e->fn);
    e->confusion = m->multi ? NULL : calloc((size_t)(K + 1) * K,
                                            sizeof *e->confusion);
    int *gold = malloc((d->lab_start[d->n] + 1) * sizeof *gold);
    char *is = malloc(K);
    float *prob = malloc(K * sizeof *prob);
    gloss__cls_vec *v = calloc(d->n ? d->n : 1, sizeof *v);
    uint64_t t0 = gloss__now_ns();
    int rc = -1;
    if (!e->tp || !e->fp || !e->fn || (!m->multi && !e->confusion) || !gold ||
        !is || !prob || !v)
        goto done;
    for (size_t j = 0; j < d->lab_start[d->n]; j++)
        gold[j] = gloss__cls_model_label(m, d->names[d->lab[j]]);
    if (gloss__cls_vectorize_all(&m->feat, m->idf, d->text, d->len, d->n,
                                 threads, v) < 0)
        goto done;
    for (size_t i = 0; i < d->n; i++) {
        gloss__cls_predict(m, &v[i], prob);
        size_t s = d->lab_start[i], end = d->lab_start[i + 1];
        memset(is, 0, K);
        int unknown = 0;
        for (size_t j = s; j < end; j++) {
            if (gold[j] >= 0)
                is[gold[j]] = 1;
            else
                unknown = 1, e->unknown++;
        }
        if (!m->multi) {
            uint32_t top = 0;
            for (uint32_t k = 1; k < K; k++)
                if (prob[k] > prob[top])
                    top = k;
            /* A single-label text: its one gold label, or the row of
             * labels the model lacks. */
            size_t row = unknown || end == s ? K : (size_t)gold[s];
            e->confusion[row * K + top]++;
            e->correct += row == top;
            if (row == top)
                e->tp[top]++;
            else {
                e->fp[top]++;
                if (row < K)
                    e->fn[row]++;
            }
            continue;
        }
        int exact = !unknown;
        for (uint32_t k = 0; k < K; k++) {
            int said = prob[k] >= m->thresholds[k];
            e->tp[k] += is[k] && said;
            e->fp[k] += !is[k] && said;
            e->fn[k] += is[k] && !said;
            exact &= is[k] == said;
        }
        e->correct += exact;
    }
    e->seconds = (double)(gloss__now_ns() - t0) / 1e9;
    rc = 0;
done:
    if (v)
        for (size_t i = 0; i < d->n; i++)
            gloss__cls_vec_free(&v[i]);
    free(v);
    free(gold);
    free(is);
    free(prob);
    if (rc < 0)
        gloss__cls_eval_free(e);
    return rc;
}

double gloss__cls_eval_accuracy(const gloss__cls_eval *e)
{
    return e->n ? (double)e->correct / (double)e->n : 0;
}

static double f1(size_t tp, size_t fp, size_t fn)
{
    return tp ? 2.0 * tp / (2.0 * tp + fp + fn) : 0;
}

double gloss__cls_eval_macro_f1(const gloss__cls_eval *e)
{
    double sum = 0;
    size_t n = 0;
    for (uint32_t k = 0; k < e->nlabels; k++)
        if (e->tp[k] + e->fp[k] + e->fn[k] > 0) {
            sum += f1(e->tp[k], e->fp[k], e->fn[k]);
            n++;
        }
    return n ? sum / (double)n : 0;
}

void gloss__cls_eval_print(FILE *out, const gloss__cls_model *m,
                           const gloss__cls_eval *e)
{
    const uint32_t K = e->nlabels;
    fprintf(out, "texts        %zu\n", e->n);
    fprintf(out, "accuracy     %.2f%%%s\n", 100 * gloss__cls_eval_accuracy(e),
            m->multi ? " (exact label sets)" : "");
    fprintf(out, "macro-F1     %.2f%%\n", 100 * gloss__cls_eval_macro_f1(e));
    if (e->unknown)
        fprintf(out, "unknown      %zu gold labels the model does not know\n",
                e->unknown);
    int w = 5;
    for (uint32_t k = 0; k < K; k++)
        if ((int)strlen(m->labels[k]) > w)
            w = (int)strlen(m->labels[k]);
    fprintf(out, "\n%-*s %9s %9s %9s %7s\n", w, "label", "precision", "recall",
            "F1", "support");
    for (uint32_t k = 0; k < K; k++) {
        size_t tp = e->tp[k], fp = e->fp[k], fn = e->fn[k];
        fprintf(out, "%-*s %8.2f%% %8.2f%% %8.2f%% %7zu\n", w, m->labels[k],
                tp + fp ? 100.0 * tp / (double)(tp + fp) : 0.0,
                tp + fn ? 100.0 * tp / (double)(tp + fn) : 0.0,
                100 * f1(tp, fp, fn), tp + fn);
    }
    if (!e->confusion)
        return;
    fprintf(out, "\nconfusion matrix (rows: gold, columns: predicted, in the "
                 "order above)\n");
    for (uint32_t r = 0; r <= K; r++) {
        size_t total = 0;
        for (uint32_t c = 0; c < K; c++)
            total += e->confusion[(size_t)r * K + c];
        if (r == K && total == 0)
            break;
        fprintf(out, "%-*s", w, r < K ? m->labels[r] : "(unknown)");
        for (uint32_t c = 0; c < K; c++)
            fprintf(out, " %4zu", e->confusion[(size_t)r * K + c]);
        fputc('\n', out);
    }
}
