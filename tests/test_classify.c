/*
 * test_classify.c - the classifier's library pieces: the word features
 * (folding, pairs, unit length, empty texts), a model trained in memory
 * and the same model saved and mapped back (same labels, same
 * probabilities to the bit), and model files whose container is sound but
 * whose sections do not fit together, which must be refused naming the
 * section. The commands and the stage are tested by test_train_classify.sh.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify_data.h"
#include "classify_model.h"
#include "classify_train.h"
#include "model.h"
#include "tap.h"

static const gloss__cls_feat FEAT = {12, GLOSS__CLS_BIGRAMS, 7};

static gloss__cls_vec vec_of(const char *text)
{
    gloss__cls_vec v = {0};
    if (gloss__cls_vectorize(&FEAT, NULL, text, strlen(text), &v) < 0)
        abort();
    return v;
}

/* The vector as a sorted list of (bucket, weight) for comparisons. */
static int same_vector(const gloss__cls_vec *a, const gloss__cls_vec *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++) {
        int found = 0;
        for (size_t j = 0; j < b->n; j++)
            found |= a->idx[i] == b->idx[j] && a->val[i] == b->val[j];
        if (!found)
            return 0;
    }
    return 1;
}

static void test_features(void)
{
    gloss__cls_vec v = vec_of("The cat sat. the CAT");
    /* the, cat, sat; (the cat) twice, (cat sat), (sat the). */
    is_int(v.n, 6, "three words and three distinct pairs");
    double norm = 0;
    for (size_t i = 0; i < v.n; i++)
        norm += (double)v.val[i] * v.val[i];
    ok(fabs(norm - 1) < 1e-5, "the vector has unit length");
    gloss__cls_vec w = vec_of("the cat sat the cat!!");
    ok(same_vector(&v, &w), "case and punctuation do not matter");
    gloss__cls_vec_free(&w);
    gloss__cls_vec_free(&v);

    v = vec_of("");
    is_int(v.n, 0, "an empty text has no features");
    gloss__cls_vec_free(&v);
    v = vec_of(" ... !? -- ");
    is_int(v.n, 0, "nor has punctuation alone");
    gloss__cls_vec_free(&v);

    v = vec_of("Róża");
    w = vec_of("Roza");
    is_int(v.n, 1, "a word with accents is one word");
    ok(!same_vector(&v, &w), "and not the same as its unaccented form");
    gloss__cls_vec_free(&w);
    gloss__cls_vec_free(&v);

    gloss__cls_feat nobi = FEAT;
    nobi.flags = 0;
    gloss__cls_vec x = {0};
    gloss__cls_vectorize(&nobi, NULL, "a b c", 5, &x);
    is_int(x.n, 3, "without pairs, words only");
    gloss__cls_vec_free(&x);

    /* A long text grows the scratch space; the counts stay right. */
    size_t n = 200000;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i += 2) {
        big[i] = (char)('a' + (i / 2) % 26);
        big[i + 1] = ' ';
    }
    big[n] = '\0';
    gloss__cls_vectorize(&nobi, NULL, big, n, &x);
    is_int(x.n, 26, "a 200 KB text of 26 distinct words has 26 features");
    gloss__cls_vec_free(&x);
    free(big);
}

static char *write_tmp(const char *dir, const char *name, const char *text)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = malloc(n);
    snprintf(path, n, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_train_save_open(const char *dir)
{
    char *data = write_tmp(dir, "d.jsonl",
        "{\"text\": \"beaten and tortured in prison\", \"label\": \"torture\"}\n"
        "{\"text\": \"torture in the penal colony\", \"label\": \"torture\"}\n"
        "\n"
        "{\"text\": \"the presidential election was rigged\", \"label\": \"elections\"}\n"
        "{\"text\": \"voters at the polling station\", \"label\": \"elections\", \"id\": 4}\n");
    char err[1024];
    gloss__cls_data d;
    ok(gloss__cls_data_read(data, &d, err, sizeof err) == 0, "read JSON Lines");
    is_int(d.n, 4, "four texts (the blank line skipped)");
    is_int(d.nnames, 2, "two labels");
    is_str(d.names[0], "elections", "labels are numbered in sorted order");

    gloss__cls_train_opts o;
    gloss__cls_train_defaults(&o);
    o.feat = FEAT;
    o.epochs = 20;
    gloss__cls_model *m = gloss__cls_train(&d, NULL, &o, err, sizeof err);
    ok(m != NULL, "train in memory");
    char *path = write_tmp(dir, "m.bin", "");
    ok(gloss__cls_model_save(m, path, err, sizeof err) == 0, "save");
    gloss__cls_model *r = gloss__cls_model_open(path, err, sizeof err);
    ok(r != NULL, "open what was saved");
    if (!r)
        diag("%s", err);
    int same = r && r->nlabels == 2 && strcmp(r->labels[1], "torture") == 0;
    gloss__cls_vec v = {0};
    float p1[2], p2[2];
    for (size_t i = 0; same && i < d.n; i++) {
        gloss__cls_vectorize(&m->feat, m->idf, d.text[i], d.len[i], &v);
        gloss__cls_predict(m, &v, p1);
        gloss__cls_model_vectorize(r, d.text[i], d.len[i], &v);
        gloss__cls_predict(r, &v, p2);
        same &= memcmp(p1, p2, sizeof p1) == 0;
        same &= fabsf(p1[0] + p1[1] - 1) < 1e-5f;
        same &= (p1[1] > p1[0]) == (d.lab[d.lab_start[i]] == 1);
    }
    ok(same, "the mapped model gives the same probabilities, adding up to "
             "1, with the training label first");
    gloss__cls_vec_free(&v);
    gloss__cls_model_free(&r);
    ok(r == NULL, "free clears the pointer");
    gloss__cls_model_free(&m);
    gloss__cls_data_free(&d);
    unlink(path);
    unlink(data);
    free(path);
    free(data);

    data = write_tmp(dir, "bad.jsonl", "{\"text\": \"x\", \"labels\": [\"a\", 3]}\n");
    ok(gloss__cls_data_read(data, &d, err, sizeof err) < 0,
       "a label that is not a string is refused");
    like(err, "bad.jsonl:1:", "naming the file and line");
    unlink(data);
    free(data);
}

/* Writes a classify container with the given meta and sizes. */
static int write_model(const char *path, const uint32_t meta[8],
                       const char *labels, size_t labels_len,
                       size_t weights, const char *kind, char *err,
                       size_t errlen)
{
    gloss__model_writer *w = gloss__model_writer_new(kind, 1);
    size_t b = (size_t)1 << (meta[0] >= 10 && meta[0] <= 26 ? meta[0] : 10);
    float *zeros = calloc(b * 4 + weights + 16, sizeof(float));
    gloss__model_writer_add(w, "meta", meta, 8 * sizeof *meta);
    gloss__model_writer_add(w, "labels", labels, labels_len);
    gloss__model_writer_add(w, "idf", zeros, b * sizeof(float));
    gloss__model_writer_add(w, "weights", zeros, weights * sizeof(float));
    gloss__model_writer_add(w, "bias", zeros, 2 * sizeof(float));
    gloss__model_writer_add(w, "thresholds", zeros, 2 * sizeof(float));
    int rc = gloss__model_writer_write(w, path, err, errlen);
    gloss__model_writer_free(w);
    free(zeros);
    return rc;
}

static void test_bad_models(const char *dir)
{
    char *path = write_tmp(dir, "x.bin", "");
    char err[1024];
    const uint32_t good[8] = {10, 1, 7, 2, 0, 0, 0, 0};
    write_model(path, good, "a\0b", 4, 1024 * 2, "classify", err, sizeof err);
    gloss__cls_model *m = gloss__cls_model_open(path, err, sizeof err);
    ok(m != NULL, "a well-formed hand-made model opens");
    gloss__cls_model_free(&m);

    write_model(path, good, "a\0b", 4, 1024 * 2 - 1, "classify", err, sizeof err);
    ok(!gloss__cls_model_open(path, err, sizeof err), "weights one short: refused");
    like(err, "'weights' section", "naming the section");

    write_model(path, good, "a\0b\0c", 6, 1024 * 2, "classify", err, sizeof err);
    ok(!gloss__cls_model_open(path, err, sizeof err), "three names for two labels: refused");
    like(err, "'labels'", "naming the section");

    write_model(path, good, "a\0\0", 3, 1024 * 2, "classify", err, sizeof err);
    ok(!gloss__cls_model_open(path, err, sizeof err), "an empty label name: refused");

    const uint32_t wide[8] = {40, 1, 7, 2, 0, 0, 0, 0};
    write_model(path, wide, "a\0b", 4, 1024 * 2, "classify", err, sizeof err);
    ok(!gloss__cls_model_open(path, err, sizeof err), "2^40 buckets: refused");
    like(err, "out of range", "as out of range");

    write_model(path, good, "a\0b", 4, 1024 * 2, "pos", err, sizeof err);
    ok(!gloss__cls_model_open(path, err, sizeof err), "a model of another kind: refused");
    like(err, "pos", "naming its kind");

    ok(!gloss__cls_model_open("/nonexistent/m.bin", err, sizeof err),
       "a missing file: refused");
    like(err, "/nonexistent/m.bin", "naming it");
    unlink(path);
    free(path);
}

int main(void)
{
    char dir[] = "/tmp/gloss-classify.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    test_features();
    test_train_save_open(dir);
    test_bad_models(dir);
    rmdir(dir);
    return done_testing();
}
