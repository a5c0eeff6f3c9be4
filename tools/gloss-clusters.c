/*
 * gloss-clusters.c - groups words into clusters by the company they keep,
 * from unlabelled text, for the taggers' cluster features.
 *
 *     tools/gloss-clusters -o clusters.tsv [--seed N] FILE...
 *
 * A word that is rare or missing from the annotated data still gets a
 * useful feature when it shares a cluster with words the tagger knows
 * ("Zhanaozen" with other town names). FILEs are JSON Lines with a "text"
 * member (run through normalize and segment, so the words are the ones
 * the stages see), CoNLL-U (the forms) or CoNLL-2003 (the first column).
 *
 * Each of the most frequent words (up to 50,000, seen at least 3 times) is
 * described by the positive pointwise mutual information of its left and
 * right neighbours among the 2,000 commonest words, as a normalised sparse
 * vector (random projections were tried: on this little text their noise
 * drowned the similarities). Spherical k-means, started from words picked
 * by a generator seeded with --seed,
 * makes 512 clusters, whose centres are clustered again into 64 and 16,
 * so that a word has a fine, a middle and a coarse cluster. The output has
 * one line per word: the word and the three cluster numbers, tab-separated,
 * in the order of the words' first appearance. Deterministic for a seed.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "gloss/doc.h"
#include "model.h"
#include "pipeline.h"

#define MAX_VOCAB 50000
#define MIN_COUNT 3
#define NCTX 2000
#define K1 512
#define K2 64
#define K3 16

typedef struct word {
    uint64_t h;
    char *s;
    uint64_t count;
    int rank; /* by frequency, or -1 */
} word;

static word *words;
static size_t nwords, capwords;
static uint64_t *slots; /* index + 1 into words, by hash */
static size_t capslots;
static uint32_t *stream; /* the text as word indexes; UINT32_MAX = break */
static size_t nstream, capstream;

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) {
        fprintf(stderr, "gloss-clusters: out of memory\n");
        exit(1);
    }
    return q;
}

static void grow_slots(void)
{
    size_t cap = capslots ? capslots * 2 : 1 << 16;
    uint64_t *s = calloc(cap, sizeof *s);
    if (!s)
        xrealloc(NULL, SIZE_MAX);
    for (size_t i = 0; i < nwords; i++) {
        size_t j = words[i].h & (cap - 1);
        while (s[j])
            j = (j + 1) & (cap - 1);
        s[j] = i + 1;
    }
    free(slots);
    slots = s;
    capslots = cap;
}

static void emit(uint32_t id)
{
    if (nstream == capstream) {
        capstream = capstream ? capstream * 2 : 1 << 20;
        stream = xrealloc(stream, capstream * sizeof *stream);
    }
    stream[nstream++] = id;
}

static void add_word(const char *s, size_t len)
{
    if (len == 0 || len > 64)
        return;
    uint64_t h = gloss__fnv1a64(GLOSS__FNV_BASIS, s, len);
    if ((nwords + 1) * 2 > capslots)
        grow_slots();
    size_t j = h & (capslots - 1);
    while (slots[j]) {
        word *w = &words[slots[j] - 1];
        if (w->h == h) {
            w->count++;
            emit((uint32_t)(slots[j] - 1));
            return;
        }
        j = (j + 1) & (capslots - 1);
    }
    if (nwords == capwords) {
        capwords = capwords ? capwords * 2 : 1 << 16;
        words = xrealloc(words, capwords * sizeof *words);
    }
    words[nwords].h = h;
    words[nwords].s = xrealloc(NULL, len + 1);
    memcpy(words[nwords].s, s, len);
    words[nwords].s[len] = '\0';
    words[nwords].count = 1;
    words[nwords].rank = -1;
    slots[j] = ++nwords;
    emit((uint32_t)(nwords - 1));
}

static void read_jsonl(const char *path, gloss__pipeline *p)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(1);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        json_t *j = json_loadb(line, (size_t)n, 0, NULL);
        const char *text = json_string_value(json_object_get(j, "text"));
        if (text) {
            gloss_doc *doc = gloss_doc_new("x", "clusters", text, strlen(text));
            gloss__doc_status st;
            if (doc)
                gloss__pipeline_run(p, &doc, 1, &st);
            gloss_layer *toks = doc ? gloss_doc_layer(doc, "tokens", 0) : NULL;
            gloss_layer *sents = doc ? gloss_doc_layer(doc, "sentences", 0) : NULL;
            size_t len, nt = toks ? gloss_layer_size(toks) : 0;
            size_t ns = sents ? gloss_layer_size(sents) : 0, s = 0;
            const char *t = doc ? gloss_doc_text(doc, &len) : NULL;
            for (size_t i = 0; i < nt; i++) {
                const gloss_span *sp = gloss_layer_span(toks, i);
                while (s < ns && gloss_layer_span(sents, s)->end <= sp->start) {
                    s++;
                    emit(UINT32_MAX);
                }
                add_word(t + sp->start, sp->end - sp->start);
            }
            emit(UINT32_MAX);
            gloss_doc_destroy(&doc);
        }
        json_decref(j);
    }
    free(line);
    fclose(f);
}

/* CoNLL-U (forms of integer-numbered lines) and CoNLL-2003 (first column). */
static void read_columns(const char *path, int conllu)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(1);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0 || strncmp(line, "-DOCSTART-", 10) == 0) {
            emit(UINT32_MAX);
            continue;
        }
        if (line[0] == '#')
            continue;
        char *a = line;
        if (conllu) {
            char *tab = strchr(line, '\t');
            if (!tab)
                continue;
            *tab = '\0';
            if (strchr(line, '-') || strchr(line, '.'))
                continue;
            a = tab + 1;
            tab = strchr(a, '\t');
            if (tab)
                *tab = '\0';
        } else {
            char *sp = strchr(line, ' ');
            if (sp)
                *sp = '\0';
        }
        add_word(a, strlen(a));
    }
    free(line);
    fclose(f);
}

static uint64_t rng_state;
static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int by_count(const void *a, const void *b)
{
    const word *x = *(word *const *)a, *y = *(word *const *)b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->s, y->s);
}

static void normalise(float *v, size_t dim)
{
    double s = 0;
    for (size_t i = 0; i < dim; i++)
        s += (double)v[i] * v[i];
    if (s <= 0)
        return;
    float inv = (float)(1.0 / sqrt(s));
    for (size_t i = 0; i < dim; i++)
        v[i] *= inv;
}

/* Sparse vectors: the nonzero entries of each word's normalised PPMI. */
typedef struct sparse {
    uint32_t *idx;
    float *val;
    size_t *start; /* of word w: [start[w], start[w + 1]) */
} sparse;

/* Spherical k-means of n sparse unit vectors of dimension dim into k
 * clusters; assign[] and the k dense centres (k * dim floats) are
 * filled. Scores are computed against the transposed centres so that the
 * inner loop runs over clusters. */
static void kmeans_sparse(const sparse *x, size_t n, size_t dim, size_t k, int iters,
                          int *assign, float *centre)
{
    float *ct = xrealloc(NULL, dim * k * sizeof *ct);
    float *score = xrealloc(NULL, k * sizeof *score);
    for (size_t i = 0; i < n; i++)
        assign[i] = -1;
    /* Start from k distinct words picked at random. */
    memset(centre, 0, k * dim * sizeof *centre);
    for (size_t c = 0; c < k; c++) {
        size_t w = (size_t)(rng() % n);
        for (size_t e = x->start[w]; e < x->start[w + 1]; e++)
            centre[c * dim + x->idx[e]] = x->val[e];
    }
    for (int it = 0; it < iters; it++) {
        for (size_t c = 0; c < k; c++)
            for (size_t j = 0; j < dim; j++)
                ct[j * k + c] = centre[c * dim + j];
        size_t moved = 0;
        for (size_t i = 0; i < n; i++) {
            memset(score, 0, k * sizeof *score);
            for (size_t e = x->start[i]; e < x->start[i + 1]; e++) {
                const float *row = ct + (size_t)x->idx[e] * k;
                float v = x->val[e];
                for (size_t c = 0; c < k; c++)
                    score[c] += v * row[c];
            }
            int bi = 0;
            for (size_t c = 1; c < k; c++)
                if (score[c] > score[bi])
                    bi = (int)c;
            moved += assign[i] != bi;
            assign[i] = bi;
        }
        memset(centre, 0, k * dim * sizeof *centre);
        size_t *size = calloc(k, sizeof *size);
        for (size_t i = 0; i < n; i++) {
            size[assign[i]]++;
            for (size_t e = x->start[i]; e < x->start[i + 1]; e++)
                centre[(size_t)assign[i] * dim + x->idx[e]] += x->val[e];
        }
        for (size_t c = 0; c < k; c++) {
            if (!size[c]) {
                /* An empty cluster restarts at a random word. */
                size_t w = (size_t)(rng() % n);
                for (size_t e = x->start[w]; e < x->start[w + 1]; e++)
                    centre[c * dim + x->idx[e]] = x->val[e];
                continue;
            }
            normalise(centre + c * dim, dim);
        }
        free(size);
        fprintf(stderr, "gloss-clusters: k-means %zu, pass %d: %zu moved\n", k, it + 1,
                moved);
        if (moved == 0)
            break;
    }
    free(ct);
    free(score);
}

int main(int argc, char **argv)
{
    const char *out = NULL;
    rng_state = 1;
    int first = 1;
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (strcmp(argv[first], "-o") == 0 && first + 1 < argc)
            out = argv[++first];
        else if (strcmp(argv[first], "--seed") == 0 && first + 1 < argc)
            rng_state = strtoull(argv[++first], NULL, 10);
        else
            break;
    }
    if (!out || first >= argc) {
        fprintf(stderr, "usage: gloss-clusters -o OUT.tsv [--seed N] FILE...\n");
        return 2;
    }
    char err[1024];
    const char *src = "return { pipeline = {"
                      " { stage = 'normalize', options = { invalid = 'replace' } },"
                      " { stage = 'segment' } } }";
    gloss__config *cfg = gloss__config_load_string(src, strlen(src), "clusters", ".", err,
                                                   sizeof err);
    gloss__pipeline *p = cfg ? gloss__pipeline_new(cfg, err, sizeof err) : NULL;
    if (!p) {
        fprintf(stderr, "gloss-clusters: %s\n", err);
        return 1;
    }
    for (int i = first; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (n > 6 && strcmp(argv[i] + n - 6, ".jsonl") == 0)
            read_jsonl(argv[i], p);
        else
            read_columns(argv[i], n > 7 && strcmp(argv[i] + n - 7, ".conllu") == 0);
        emit(UINT32_MAX);
        fprintf(stderr, "gloss-clusters: %s: %zu words so far, %zu distinct\n", argv[i],
                nstream, nwords);
    }
    gloss__pipeline_destroy(&p);
    gloss__config_destroy(&cfg);

    word **byc = xrealloc(NULL, nwords * sizeof *byc);
    for (size_t i = 0; i < nwords; i++)
        byc[i] = &words[i];
    qsort(byc, nwords, sizeof *byc, by_count);
    size_t nv = 0;
    while (nv < nwords && nv < MAX_VOCAB && byc[nv]->count >= MIN_COUNT)
        byc[nv]->rank = (int)nv, nv++;
    free(byc);
    size_t nc = nv < NCTX ? nv : NCTX;

    /* Co-occurrence counts of (word, left or right context). */
    float *co = calloc(nv * 2 * nc, sizeof *co);
    if (!co)
        xrealloc(NULL, SIZE_MAX);
    double *ctx_total = calloc(2 * nc, sizeof *ctx_total);
    double total = 0;
    for (size_t i = 0; i < nstream; i++) {
        if (stream[i] == UINT32_MAX)
            continue;
        int r = words[stream[i]].rank;
        if (r < 0)
            continue;
        if (i > 0 && stream[i - 1] != UINT32_MAX) {
            int c = words[stream[i - 1]].rank;
            if (c >= 0 && (size_t)c < nc) {
                co[(size_t)r * 2 * nc + (size_t)c] += 1;
                ctx_total[c] += 1;
                total += 1;
            }
        }
        if (i + 1 < nstream && stream[i + 1] != UINT32_MAX) {
            int c = words[stream[i + 1]].rank;
            if (c >= 0 && (size_t)c < nc) {
                co[(size_t)r * 2 * nc + nc + (size_t)c] += 1;
                ctx_total[nc + c] += 1;
                total += 1;
            }
        }
    }
    /* PPMI, as normalised sparse vectors. */
    size_t dim = 2 * nc;
    sparse x;
    size_t nnz = 0, capnnz = 1 << 20;
    x.idx = xrealloc(NULL, capnnz * sizeof *x.idx);
    x.val = xrealloc(NULL, capnnz * sizeof *x.val);
    x.start = xrealloc(NULL, (nv + 1) * sizeof *x.start);
    for (size_t w = 0; w < nv; w++) {
        x.start[w] = nnz;
        float *row = co + w * dim;
        double wt = 0;
        for (size_t c = 0; c < dim; c++)
            wt += row[c];
        for (size_t c = 0; c < dim && wt > 0; c++) {
            if (row[c] <= 0 || ctx_total[c] <= 0)
                continue;
            double pmi = log(row[c] * total / (wt * ctx_total[c]));
            if (pmi <= 0)
                continue;
            if (nnz == capnnz) {
                capnnz *= 2;
                x.idx = xrealloc(x.idx, capnnz * sizeof *x.idx);
                x.val = xrealloc(x.val, capnnz * sizeof *x.val);
            }
            x.idx[nnz] = (uint32_t)c;
            x.val[nnz] = (float)pmi;
            nnz++;
        }
        normalise(x.val + x.start[w], nnz - x.start[w]);
    }
    x.start[nv] = nnz;
    free(co);
    free(ctx_total);
    fprintf(stderr, "gloss-clusters: %zu words, %zu nonzero entries\n", nv, nnz);

    int *a1 = calloc(nv, sizeof *a1), *a2 = calloc(K1, sizeof *a2), *a3 = calloc(K1, sizeof *a3);
    float *c1 = xrealloc(NULL, K1 * dim * sizeof *c1);
    float *c2 = xrealloc(NULL, K2 * dim * sizeof *c2);
    float *c3 = xrealloc(NULL, K3 * dim * sizeof *c3);
    kmeans_sparse(&x, nv, dim, K1, 15, a1, c1);
    /* The centres, as sparse vectors, clustered again. */
    sparse y;
    y.idx = xrealloc(NULL, K1 * dim * sizeof *y.idx);
    y.val = xrealloc(NULL, K1 * dim * sizeof *y.val);
    y.start = xrealloc(NULL, (K1 + 1) * sizeof *y.start);
    size_t ny = 0;
    for (size_t c = 0; c < K1; c++) {
        y.start[c] = ny;
        for (size_t j = 0; j < dim; j++)
            if (c1[c * dim + j] != 0) {
                y.idx[ny] = (uint32_t)j;
                y.val[ny++] = c1[c * dim + j];
            }
    }
    y.start[K1] = ny;
    kmeans_sparse(&y, K1, dim, K2, 30, a2, c2);
    kmeans_sparse(&y, K1, dim, K3, 30, a3, c3);
    free(y.idx);
    free(y.val);
    free(y.start);

    FILE *f = fopen(out, "w");
    if (!f) {
        perror(out);
        return 1;
    }
    for (size_t i = 0; i < nwords; i++) {
        int r = words[i].rank;
        if (r < 0)
            continue;
        int k = a1[r];
        fprintf(f, "%s\t%d\t%d\t%d\n", words[i].s, k, a2[k], a3[k]);
    }
    if (fclose(f) != 0) {
        perror(out);
        return 1;
    }
    fprintf(stderr, "gloss-clusters: wrote %zu words to %s\n", nv, out);
    for (size_t i = 0; i < nwords; i++)
        free(words[i].s);
    free(words);
    free(slots);
    free(stream);
    free(x.idx);
    free(x.val);
    free(x.start);
    free(a1);
    free(a2);
    free(a3);
    free(c1);
    free(c2);
    free(c3);
    return 0;
}
