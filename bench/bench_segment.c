/*
 * bench_segment.c - how fast normalize and segment are, and whether their
 * cost grows linearly with the size of a document.
 *
 * The corpus is the sample documents (every *.txt file of the folder given
 * as the argument, ../shared/seeds by default; the benchmark says so and
 * stops when the folder is absent, as on a user's clone). Three parts:
 *
 *   throughput  the sample files, one document each, taken in turn until a
 *               round has seen CORPUS_BYTES, through: memcpy of the same
 *               bytes (the reference: what merely touching the text costs),
 *               an empty pipeline (document creation and destruction),
 *               normalize alone, segment alone (the samples are valid
 *               UTF-8), and normalize + segment, the configuration the
 *               issue's target of 200 MB/s per core is about;
 *   linearity   normalize + segment on documents of 1 KiB, 64 KiB, 1 MiB
 *               and 10 MiB cut from the samples repeated end to end, as
 *               milliseconds per MB and as a ratio to the 1 KiB cost (near
 *               1 when the cost is linear), and segment alone on the same
 *               documents;
 *   adversarial normalize + segment on 1 MiB and 10 MiB of text built to
 *               defeat a careless scanner: the samples on a single line,
 *               nothing but full stops, and brackets and quotes nested as
 *               deep as the document allows, as a ratio to the samples'
 *               cost at the same size. A 1 MiB document that takes longer
 *               than SLOW_NS is not tried at 10 MiB: it has shown its
 *               growth already, and the benchmark must finish.
 *
 * Everything runs on one thread, so MB/s (10^6 bytes of input per second)
 * is per core. Each round is timed twice: by the wall clock and by the CPU
 * time of the thread (CLOCK_THREAD_CPUTIME_ID), which a shared machine
 * disturbs less since time spent waiting for a core is not counted. Each
 * figure is the best of ROUNDS rounds, the one least disturbed by the rest
 * of the machine; the throughput part also prints the median. Timings are
 * printed, never asserted: `make bench` runs this, `make check` does not.
 *
 * Arguments: the folder of samples, then optionally the parts to run
 * ("throughput", "linearity", "adversarial"; all when none is named), so
 * that a profiler can be pointed at one of them; the environment variable
 * GLOSS_BENCH_CASE (say "normalize+segment") narrows the throughput part
 * to memcpy and that case.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "config.h"
#include "gloss/doc.h"
#include "pipeline.h"

#define ROUNDS 5
#define THROUGHPUT_ROUNDS 9
#define BIG_ROUNDS 3
#define CORPUS_BYTES (16u << 20)
#define BATCH 32
#define KIB 1024u
#define MIB (1024u * 1024u)
#define SLOW_NS 5000000000ull

typedef struct text {
    char *p;
    size_t n;
} text;

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "bench_segment: out of memory\n");
        exit(1);
    }
    return p;
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static text read_file(const char *path)
{
    text t = {NULL, 0};
    FILE *f = fopen(path, "rb");
    if (!f || fseek(f, 0, SEEK_END) != 0) {
        fprintf(stderr, "bench_segment: cannot read %s\n", path);
        exit(1);
    }
    long size = ftell(f);
    rewind(f);
    t.p = xmalloc((size_t)size + 1);
    t.n = fread(t.p, 1, (size_t)size, f);
    fclose(f);
    return t;
}

/* Reads every *.txt file of dir, in name order. Returns their number, 0
 * when the folder cannot be opened or holds none. */
static size_t load_samples(const char *dir, text **out)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !has_suffix(e->d_name, ".txt"))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            char **more = realloc(names, cap * sizeof *names);
            if (!more) {
                fprintf(stderr, "bench_segment: out of memory\n");
                exit(1);
            }
            names = more;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        names[n] = xmalloc(len);
        snprintf(names[n], len, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, by_name);
    *out = xmalloc(n * sizeof **out);
    for (size_t i = 0; i < n; i++) {
        (*out)[i] = read_file(names[i]);
        free(names[i]);
    }
    free(names);
    return n;
}

/* The largest length at most n that does not cut a UTF-8 character of p,
 * which holds more than n bytes. */
static size_t char_floor(const char *p, size_t n)
{
    while (n > 0 && ((unsigned char)p[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* A document of at most size bytes: the pieces repeated end to end, each
 * separated from the next by a blank line, the last one cut on a character
 * boundary. */
static text repeat_to(const text *pieces, size_t npieces, size_t size)
{
    text t = {xmalloc(size + 1), 0};
    for (size_t i = 0;; i = (i + 1) % npieces) {
        size_t take = pieces[i].n;
        if (take > size - t.n)
            take = char_floor(pieces[i].p, size - t.n);
        memcpy(t.p + t.n, pieces[i].p, take);
        t.n += take;
        if (take < pieces[i].n || size - t.n < 2)
            break;
        memcpy(t.p + t.n, "\n\n", 2);
        t.n += 2;
    }
    t.p[t.n] = '\0';
    return t;
}

/* The samples with every line break made a space: one line. */
static text one_line(const text *samples, size_t nsamples, size_t size)
{
    text t = repeat_to(samples, nsamples, size);
    for (size_t i = 0; i < t.n; i++)
        if (t.p[i] == '\n' || t.p[i] == '\r')
            t.p[i] = ' ';
    return t;
}

static text all_dots(size_t size)
{
    text t = {xmalloc(size), size};
    memset(t.p, '.', size);
    return t;
}

/* Opening brackets and quotes, each followed by a short word, as deep as
 * half the document allows, then the matching closers in reverse order. */
static text nested(size_t size)
{
    static const char *const open[] = {"(", "[", "{", "\"", "'", "\xe2\x80\x9c",
                                       "\xe2\x80\x98", "\xc2\xab"};
    static const char *const close[] = {")", "]", "}", "\"", "'", "\xe2\x80\x9d",
                                        "\xe2\x80\x99", "\xc2\xbb"};
    enum { KINDS = sizeof open / sizeof open[0] };
    text t = {xmalloc(size + 16), 0};
    size_t depth = 0;
    /* An opener and "w " take at most 5 bytes, its closer at most 3 more. */
    while (t.n + 8 * (depth + 1) <= size) {
        size_t k = strlen(open[depth % KINDS]);
        memcpy(t.p + t.n, open[depth % KINDS], k);
        memcpy(t.p + t.n + k, "w ", 2);
        t.n += k + 2;
        depth++;
    }
    while (depth > 0) {
        depth--;
        size_t k = strlen(close[depth % KINDS]);
        memcpy(t.p + t.n, close[depth % KINDS], k);
        t.n += k;
    }
    return t;
}

static gloss__pipeline *pipeline(const char *src, gloss__config **cfg)
{
    char err[1024];
    *cfg = gloss__config_load_string(src, strlen(src), "bench", ".", err,
                                     sizeof err);
    gloss__pipeline *p = *cfg ? gloss__pipeline_new(*cfg, err, sizeof err) : NULL;
    if (!p) {
        fprintf(stderr, "bench_segment: %s\n", err);
        exit(1);
    }
    return p;
}

/* The CPU time of the calling thread, in nanoseconds. */
static uint64_t thread_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The time of a round: wall clock and thread CPU time, in nanoseconds. */
typedef struct timing {
    uint64_t wall, cpu;
} timing;

/* Runs the documents (indices into docs, in order) through p in batches;
 * returns the time taken, and the bytes of text the documents hold
 * afterwards in *out_bytes. p NULL copies the bytes with memcpy instead. */
static timing one_round(gloss__pipeline *p, const text *docs,
                        const size_t *order, size_t n, char *scratch,
                        size_t *out_bytes)
{
    gloss_doc *batch[BATCH];
    gloss__doc_status status[BATCH];
    size_t out = 0;
    uint64_t c0 = thread_ns();
    uint64_t t0 = gloss__now_ns();
    for (size_t i = 0; i < n; i += BATCH) {
        size_t m = n - i < BATCH ? n - i : BATCH;
        if (!p) {
            for (size_t j = 0; j < m; j++) {
                memcpy(scratch, docs[order[i + j]].p, docs[order[i + j]].n);
                out += (unsigned char)scratch[docs[order[i + j]].n / 2] & 1;
            }
            continue;
        }
        for (size_t j = 0; j < m; j++) {
            const text *d = &docs[order[i + j]];
            batch[j] = gloss_doc_new("bench", "bench", d->p, d->n);
            if (!batch[j]) {
                fprintf(stderr, "bench_segment: out of memory\n");
                exit(1);
            }
        }
        gloss__pipeline_run(p, batch, m, status);
        for (size_t j = 0; j < m; j++) {
            if (status[j] != GLOSS__DOC_OK) {
                const char *stage = "?", *msg = "dropped";
                gloss_doc_error_at(batch[j], 0, &stage, &msg);
                fprintf(stderr, "bench_segment: a document failed: %s: %s\n",
                        stage, msg);
                exit(1);
            }
            size_t len;
            gloss_doc_text(batch[j], &len);
            out += len;
            gloss_doc_destroy(&batch[j]);
        }
    }
    timing t = {gloss__now_ns() - t0, thread_ns() - c0};
    if (out_bytes)
        *out_bytes = out;
    t.wall += !t.wall;
    t.cpu += !t.cpu;
    return t;
}

static int by_value(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The rounds of a measurement: best and median of both clocks. */
typedef struct rounds_stat {
    timing best, median;
} rounds_stat;

#define MAX_ROUNDS 16

/* Runs rounds rounds (at most MAX_ROUNDS); returns the best and the
 * median of each clock. */
static rounds_stat measure(int rounds, gloss__pipeline *p, const text *docs,
                           const size_t *order, size_t n, char *scratch,
                           size_t *out_bytes)
{
    uint64_t wall[MAX_ROUNDS], cpu[MAX_ROUNDS];
    if (rounds > MAX_ROUNDS)
        rounds = MAX_ROUNDS;
    for (int r = 0; r < rounds; r++) {
        timing t = one_round(p, docs, order, n, scratch, out_bytes);
        wall[r] = t.wall;
        cpu[r] = t.cpu;
    }
    qsort(wall, (size_t)rounds, sizeof wall[0], by_value);
    qsort(cpu, (size_t)rounds, sizeof cpu[0], by_value);
    rounds_stat st = {{wall[0], cpu[0]},
                      {wall[rounds / 2], cpu[rounds / 2]}};
    return st;
}

/* The best of rounds rounds by thread CPU time, in nanoseconds. */
static uint64_t best_of(int rounds, gloss__pipeline *p, const text *docs,
                        const size_t *order, size_t n, char *scratch,
                        size_t *out_bytes)
{
    return measure(rounds, p, docs, order, n, scratch, out_bytes).best.cpu;
}

/* Documents taken in turn from docs until they add up to at least target
 * bytes; returns their number and stores their indices in *order. */
static size_t cycle(const text *docs, size_t ndocs, size_t target,
                    size_t **order, size_t *bytes)
{
    size_t n = 0, cap = 64, total = 0;
    *order = xmalloc(cap * sizeof **order);
    for (size_t i = 0; total < target; i = (i + 1) % ndocs) {
        if (n == cap) {
            cap *= 2;
            size_t *more = realloc(*order, cap * sizeof **order);
            if (!more) {
                fprintf(stderr, "bench_segment: out of memory\n");
                exit(1);
            }
            *order = more;
        }
        (*order)[n++] = i;
        total += docs[i].n;
    }
    *bytes = total;
    return n;
}

static double mb_per_s(size_t bytes, uint64_t ns)
{
    return (double)bytes * 1e3 / (double)ns;
}

/* Milliseconds per 10^6 bytes is nanoseconds per byte. */
static double ms_per_mb(size_t bytes, uint64_t ns)
{
    return (double)ns / (double)bytes;
}

static const char NORMALIZE[] =
    "return { pipeline = { { stage = 'normalize' } } }";
static const char SEGMENT[] = "return { pipeline = { { stage = 'segment' } } }";
static const char BOTH[] = "return { pipeline = { { stage = 'normalize' },"
                           " { stage = 'segment' } } }";

/* Part 1: the sample files as they are. */
static double throughput(const text *samples, size_t nsamples, size_t maxlen)
{
    static const struct {
        const char *name;
        const char *config; /* NULL: memcpy */
    } cases[] = {
        {"memcpy", NULL},
        {"empty pipeline", "return { pipeline = {} }"},
        {"normalize", NORMALIZE},
        {"segment", SEGMENT},
        {"normalize+segment", BOTH},
    };
    enum { N = sizeof cases / sizeof cases[0] };
    size_t *order, bytes;
    size_t n = cycle(samples, nsamples, CORPUS_BYTES, &order, &bytes);
    char *scratch = xmalloc(maxlen + 1);
    rounds_stat st[N];
    memset(st, 0, sizeof st);
    const char *only = getenv("GLOSS_BENCH_CASE");
    for (size_t c = 0; c < N; c++) {
        if (only && c > 0 && strcmp(only, cases[c].name) != 0)
            continue;
        gloss__config *cfg = NULL;
        gloss__pipeline *p = cases[c].config ? pipeline(cases[c].config, &cfg)
                                             : NULL;
        st[c] = measure(THROUGHPUT_ROUNDS, p, samples, order, n, scratch, NULL);
        gloss__pipeline_destroy(&p);
        gloss__config_destroy(&cfg);
    }
    printf("\n## throughput: %zu documents (the %zu samples in turn), "
           "%.1f MB a round, %d rounds\n", n, nsamples, (double)bytes / 1e6,
           THROUGHPUT_ROUNDS);
    printf("%-18s %9s %9s %9s %9s %9s %12s\n", "case", "cpu best",
           "cpu med", "wall best", "wall med", "ns/byte", "cpu / memcpy");
    printf("%-18s %9s %9s %9s %9s %9s %12s\n", "", "MB/s", "MB/s", "MB/s",
           "MB/s", "(cpu)", "(best)");
    for (size_t c = 0; c < N; c++) {
        if (!st[c].best.cpu)
            continue;
        printf("%-18s %9.1f %9.1f %9.1f %9.1f %9.3f %12.1f\n", cases[c].name,
               mb_per_s(bytes, st[c].best.cpu), mb_per_s(bytes, st[c].median.cpu),
               mb_per_s(bytes, st[c].best.wall),
               mb_per_s(bytes, st[c].median.wall),
               (double)st[c].best.cpu / (double)bytes,
               (double)st[c].best.cpu / (double)st[0].best.cpu);
    }
    if (!st[N - 1].best.cpu) {
        free(scratch);
        free(order);
        return 0;
    }
    double both = mb_per_s(bytes, st[N - 1].best.cpu);
    printf("normalize+segment: %.0f MB/s per core, best CPU time (target: "
           "at least 200): %s\n", both, both >= 200 ? "met" : "NOT met");
    free(scratch);
    free(order);
    return both;
}

/* Runs the one document t through p, best of rounds; returns the
 * nanoseconds and the text's length afterwards. */
static uint64_t time_doc(gloss__pipeline *p, const text *t, int rounds,
                         size_t *out_bytes)
{
    size_t zero = 0;
    return best_of(rounds, p, t, &zero, 1, NULL, out_bytes);
}

/* Part 2: the same cost per MB at every size. Returns the cost of the
 * 10 MiB document, the reference of part 3, in ms per MB; stores the 1 MiB
 * one in *ref_1m. The same documents also go through segment alone (seg),
 * since normalize removes the lines that repeat from page to page, and in
 * samples repeated end to end whole pages repeat: from 1 MiB on it hands
 * segment less text than it was given (out/in), which makes
 * normalize+segment look cheaper per MB at large sizes than it is. */
static double linearity(gloss__pipeline *p, gloss__pipeline *seg,
                        const text *samples, size_t nsamples, double *ref_1m)
{
    static const size_t sizes[] = {1 * KIB, 64 * KIB, 1 * MIB, 10 * MIB};
    static const char *const labels[] = {"1 KiB", "64 KiB", "1 MiB", "10 MiB"};
    enum { N = sizeof sizes / sizeof sizes[0] };
    double cost[N], seg_cost[N];
    printf("\n## linearity: normalize+segment (and segment alone) on documents "
           "cut from the samples repeated, best of %d (%d for 10 MiB)\n",
           ROUNDS, BIG_ROUNDS);
    printf("%-8s %8s %10s %14s %8s %10s %14s\n", "size", "docs", "ms/MB",
           "cost / 1 KiB", "out/in", "seg ms/MB", "seg / 1 KiB");
    for (size_t s = 0; s < N; s++) {
        text doc = repeat_to(samples, nsamples, sizes[s]);
        /* Small documents are run many at a time so that a round lasts
         * long enough to measure: 16 MiB worth, as in part 1. */
        size_t ndocs = sizes[s] >= CORPUS_BYTES ? 1 : CORPUS_BYTES / sizes[s];
        if (sizes[s] >= 10 * MIB)
            ndocs = 1;
        size_t *order = xmalloc(ndocs * sizeof *order);
        memset(order, 0, ndocs * sizeof *order);
        size_t out = 0;
        uint64_t ns = best_of(sizes[s] >= 10 * MIB ? BIG_ROUNDS : ROUNDS, p,
                              &doc, order, ndocs, NULL, &out);
        cost[s] = ms_per_mb(doc.n * ndocs, ns);
        uint64_t seg_ns = best_of(sizes[s] >= 10 * MIB ? BIG_ROUNDS : ROUNDS,
                                  seg, &doc, order, ndocs, NULL, NULL);
        seg_cost[s] = ms_per_mb(doc.n * ndocs, seg_ns);
        printf("%-8s %8zu %10.3f %14.2f %8.2f %10.3f %14.2f\n", labels[s],
               ndocs, cost[s], cost[s] / cost[0],
               (double)out / (double)(doc.n * ndocs), seg_cost[s],
               seg_cost[s] / seg_cost[0]);
        free(order);
        free(doc.p);
    }
    printf("largest / smallest cost per MB: %.2f, segment alone %.2f (linear: "
           "near 1)\n", cost[N - 1] / cost[0], seg_cost[N - 1] / seg_cost[0]);
    *ref_1m = cost[2];
    return cost[N - 1];
}

/* Part 3: adversarial documents, at 1 MiB and then 10 MiB. */
static void adversarial(gloss__pipeline *p, const text *samples,
                        size_t nsamples, double ref_1m, double ref_10m)
{
    printf("\n## adversarial: normalize+segment, best of %d, cost as a ratio "
           "to the samples' at the same size\n", BIG_ROUNDS);
    printf("%-16s %8s %10s %16s %8s\n", "document", "size", "ms/MB",
           "cost / samples", "out/in");
    for (int kind = 0; kind < 3; kind++) {
        static const char *const names[] = {"one line", "dots",
                                            "nested brackets"};
        uint64_t ns_1m = 0;
        for (int big = 0; big < 2; big++) {
            size_t size = big ? 10 * MIB : 1 * MIB;
            if (big && ns_1m > SLOW_NS) {
                printf("%-16s %8s %10s  skipped: 1 MiB took %.1f s\n",
                       names[kind], "10 MiB", "-", (double)ns_1m / 1e9);
                continue;
            }
            text t = kind == 0   ? one_line(samples, nsamples, size)
                     : kind == 1 ? all_dots(size)
                                 : nested(size);
            size_t out = 0;
            uint64_t ns = time_doc(p, &t, BIG_ROUNDS, &out);
            if (!big)
                ns_1m = ns;
            double cost = ms_per_mb(t.n, ns);
            printf("%-16s %8s %10.3f %16.2f %8.2f\n", names[kind],
                   big ? "10 MiB" : "1 MiB", cost,
                   cost / (big ? ref_10m : ref_1m), (double)out / (double)t.n);
            free(t.p);
        }
    }
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/seeds";
    printf("# bench_segment: %s %s\n", argv[0], dir);
    text *samples = NULL;
    size_t nsamples = load_samples(dir, &samples);
    if (nsamples == 0) {
        printf("# skipped: no sample documents (*.txt) in %s\n", dir);
        free(samples);
        return 0;
    }
    size_t total = 0, maxlen = 0;
    for (size_t i = 0; i < nsamples; i++) {
        total += samples[i].n;
        if (samples[i].n > maxlen)
            maxlen = samples[i].n;
    }
    printf("# %zu sample files, %zu bytes; one thread; MB = 10^6 bytes of "
           "input; thread CPU time unless said otherwise\n", nsamples, total);

    int all = argc <= 2, want[3] = {all, all, all};
    static const char *const parts[] = {"throughput", "linearity", "adversarial"};
    for (int a = 2; a < argc; a++) {
        int known = 0;
        for (int k = 0; k < 3; k++)
            if (strcmp(argv[a], parts[k]) == 0)
                want[k] = known = 1;
        if (!known) {
            fprintf(stderr, "bench_segment: unknown part '%s' (throughput, "
                            "linearity or adversarial)\n", argv[a]);
            return 2;
        }
    }
    if (want[0])
        throughput(samples, nsamples, maxlen);

    if (want[1] || want[2]) {
        gloss__config *cfg;
        gloss__config *seg_cfg;
        gloss__pipeline *p = pipeline(BOTH, &cfg);
        gloss__pipeline *seg = pipeline(SEGMENT, &seg_cfg);
        /* The adversarial costs are ratios to the linearity part's. */
        double ref_1m;
        double ref_10m = linearity(p, seg, samples, nsamples, &ref_1m);
        if (want[2])
            adversarial(p, samples, nsamples, ref_1m, ref_10m);
        gloss__pipeline_destroy(&seg);
        gloss__config_destroy(&seg_cfg);
        gloss__pipeline_destroy(&p);
        gloss__config_destroy(&cfg);
    }

    for (size_t i = 0; i < nsamples; i++)
        free(samples[i].p);
    free(samples);
    return 0;
}
