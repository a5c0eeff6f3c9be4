/*
 * bench_match.c - how fast the matcher of the `match` stage scans text, and
 * how long its databases take to compile.
 *
 * The corpus is the sample documents: every *.txt file of the folders
 * given as arguments (../shared/seeds and tests/fixtures/{docs,structure}
 * by default; folders that are absent are skipped, and the benchmark stops
 * when none holds a sample). Each sample is one document, taken in turn
 * until a round has seen CORPUS_BYTES. Figures:
 *
 *   references  memchr over the same documents for a byte they do not
 *               hold (what touching the text costs), and hs_scan with a
 *               database of one literal (what Vectorscan costs at least);
 *   matchers    the shipped lexicon and patterns (what the default
 *               pipeline runs), and 10,000 phrases with 50 patterns (the
 *               issue's target of 500 MB/s per core): the lexicon's
 *               phrases and patterns, topped up with generated names and
 *               patterns, in diacritics-insensitive groups as the stage's
 *               defaults are;
 *               and, for each, Vectorscan alone on the matcher's database
 *               with a callback that only counts (the floor under it);
 *   stage       the match stage with the shipped lexicon in a pipeline,
 *               spans and attributes included;
 *   compile     seconds to compile 1,000, 10,000 and 100,000 generated
 *               phrases, and to read the 100,000 back from the cache.
 *
 * Everything runs on one thread, so MB/s (10^6 bytes of input per second)
 * is per core. Each scan figure is the best of ROUNDS rounds. Timings are
 * printed, never asserted: `make bench` runs this, `make check` does not.
 */
#include <dirent.h>
#include <hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "gloss/doc.h"
#include "match.h"
#include "match_internal.h"
#include "pipeline.h"

#define ROUNDS 9
#define CORPUS_BYTES (8u << 20)
#define BATCH 32

typedef struct text {
    char *p;
    size_t n;
} text;

static text docs[256];
static size_t ndocs;

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "bench_match: out of memory\n");
        exit(1);
    }
    return p;
}

static void load_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && ndocs < sizeof docs / sizeof *docs) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 5 ||
            strcmp(e->d_name + len - 4, ".txt") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        text t = {xmalloc(1 << 20), 0};
        t.n = fread(t.p, 1, (1 << 20) - 1, f);
        t.p[t.n] = '\0';
        fclose(f);
        /* The invalid-UTF-8 fixture is for normalize, not for matching. */
        if (strstr(e->d_name, "invalid") || t.n == 0)
            free(t.p);
        else
            docs[ndocs++] = t;
    }
    closedir(d);
}

/* Scans documents in turn until CORPUS_BYTES; returns MB/s by the wall
 * clock and by the thread's CPU clock. The CPU clock counts only what
 * this thread ran, so it is the steadier of the two on a machine shared
 * with other jobs (they still disturb it through caches). */
typedef void (*scan_fn)(void *ctx, const text *t);

typedef struct rate {
    double wall, cpu;
} rate;

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static rate once(scan_fn fn, void *ctx)
{
    size_t bytes = 0, i = 0;
    uint64_t t0 = gloss__now_ns(), c0 = cpu_ns();
    while (bytes < CORPUS_BYTES) {
        fn(ctx, &docs[i]);
        bytes += docs[i].n;
        i = (i + 1) % ndocs;
    }
    uint64_t c1 = cpu_ns(), t1 = gloss__now_ns();
    double mb = (double)bytes / 1e6;
    return (rate){mb / ((double)(t1 - t0 ? t1 - t0 : 1) / 1e9),
                  mb / ((double)(c1 - c0 ? c1 - c0 : 1) / 1e9)};
}

/* ROUNDS rounds of fn, each round also timing the two references right
 * before it, so that a ratio compares figures taken under the same load
 * of a shared machine: the best and the median of each, by each clock. */
typedef struct stat {
    double best, median;
} stat;

typedef struct figure {
    stat wall, cpu, ref1, ref2; /* the references by the CPU clock */
} figure;

static scan_fn ref1_fn, ref2_fn;
static void *ref1_ctx, *ref2_ctx;

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static stat summary(double *v)
{
    qsort(v, ROUNDS, sizeof *v, by_value);
    return (stat){v[ROUNDS - 1], v[ROUNDS / 2]};
}

static figure measure(scan_fn fn, void *ctx)
{
    double wall[ROUNDS], cpu[ROUNDS], r1[ROUNDS], r2[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        r1[r] = once(ref1_fn, ref1_ctx).cpu;
        r2[r] = once(ref2_fn, ref2_ctx).cpu;
        rate c = once(fn, ctx);
        wall[r] = c.wall;
        cpu[r] = c.cpu;
    }
    return (figure){summary(wall), summary(cpu), summary(r1), summary(r2)};
}

/* One line per figure: the CPU clock's best and median, the wall clock's,
 * and the ratios of the best CPU figures to those of the references. */
static void report(const char *what, figure f, const char *tail)
{
    printf("%-44s cpu %5.0f MB/s (median %5.0f), wall %5.0f (median %5.0f)"
           " = %.4f x memchr (%.0f MB/s), %.3f x hs_scan of one literal "
           "(%.0f MB/s)%s%s\n",
           what, f.cpu.best, f.cpu.median, f.wall.best, f.wall.median,
           f.cpu.best / f.ref1.best, f.ref1.best, f.cpu.best / f.ref2.best,
           f.ref2.best, *tail ? "; " : "", tail);
}

static volatile size_t sink;

static void scan_memchr(void *ctx, const text *t)
{
    (void)ctx;
    sink += memchr(t->p, 0x01, t->n) != NULL;
}

typedef struct hs_ref {
    hs_database_t *db;
    hs_scratch_t *scratch;
} hs_ref;

static int count_hit(unsigned id, unsigned long long from,
                     unsigned long long to, unsigned flags, void *ctx)
{
    (void)id, (void)from, (void)to, (void)flags;
    (*(size_t *)ctx)++;
    return 0;
}

static void scan_hs(void *ctx, const text *t)
{
    hs_ref *h = ctx;
    size_t hits = 0;
    hs_scan(h->db, t->p, (unsigned)t->n, 0, h->scratch, count_hit, &hits);
    sink += hits;
}

/* The matcher's own database, with a callback that only counts: what
 * Vectorscan alone costs, the floor under the matcher's figure. */
static void scan_db_only(void *ctx, const text *t)
{
    gloss__matcher *m = ctx;
    size_t hits = 0;
    hs_scan(m->db, t->p, (unsigned)t->n, 0, m->scratch, count_hit, &hits);
    sink += hits;
}

static size_t total_matches;

static void scan_matcher(void *ctx, const text *t)
{
    const gloss__match *ms;
    char err[256];
    long n = gloss__matcher_scan(ctx, t->p, t->n, &ms, err, sizeof err);
    if (n < 0) {
        fprintf(stderr, "bench_match: %s\n", err);
        exit(1);
    }
    total_matches += (size_t)n;
}

/* A made-up name, different for every i (two to four syllables, twice). */
static void gen_name(size_t i, char *out, size_t len)
{
    static const char *const syl[] = {"ka", "za", "kh", "sta", "nov", "ev",
                                      "ova", "ali", "bek", "mur", "at", "ul",
                                      "tur", "gan", "dar", "ina"};
    size_t used = 0, x = i * 2654435761u + 12345;
    for (int w = 0; w < 2; w++) {
        size_t k = 2 + x % 3, first = used;
        for (size_t j = 0; j < k && used + 4 < len; j++)
            used += (size_t)snprintf(out + used, len - used, "%s",
                                     syl[(x >> (4 * j)) & 15]);
        out[first] = (char)(out[first] - 'a' + 'A');
        if (w == 0 && used + 1 < len)
            out[used++] = ' ';
        x = x / 7 + i;
    }
    /* The number keeps every name distinct. */
    snprintf(out + used, len - used, " %zu", i);
}

static const char *lexicon_dir;

static void load_shipped(gloss__matcher *m)
{
    static const char *const dicts[] = {"eu.tsv", "groups.tsv",
                                        "international.tsv", "countries.tsv",
                                        "central-asia.tsv"};
    char path[4096], err[1024];
    gloss__match_group_opts po = {.name = "patterns", .boundaries = 1};
    int g = gloss__matcher_group(m, &po);
    snprintf(path, sizeof path, "%s/patterns.tsv", lexicon_dir);
    if (gloss__matcher_load_patterns(m, g, path, err, sizeof err) < 0) {
        fprintf(stderr, "bench_match: %s\n", err);
        exit(1);
    }
    for (size_t i = 0; i < sizeof dicts / sizeof *dicts; i++) {
        gloss__match_group_opts o = {.name = dicts[i], .boundaries = 1,
                                     .diacritics_insensitive = 1};
        g = gloss__matcher_group(m, &o);
        snprintf(path, sizeof path, "%s/%s", lexicon_dir, dicts[i]);
        if (gloss__matcher_load_dictionary(m, g, path, err, sizeof err) < 0) {
            fprintf(stderr, "bench_match: %s\n", err);
            exit(1);
        }
    }
}

/* Compiles m, returning the seconds it took. */
static double compile(gloss__matcher *m, const char *cache)
{
    char err[1024];
    uint64_t t0 = gloss__now_ns();
    if (gloss__matcher_compile(m, cache, err, sizeof err) < 0) {
        fprintf(stderr, "bench_match: %s\n", err);
        exit(1);
    }
    return (double)(gloss__now_ns() - t0) / 1e9;
}

/* A matcher of n generated phrases (and nothing else). */
static gloss__matcher *generated(size_t n)
{
    gloss__matcher *m = gloss__matcher_new();
    gloss__match_group_opts o = {.name = "gen", .label = "PER",
                                 .boundaries = 1, .diacritics_insensitive = 1};
    int g = gloss__matcher_group(m, &o);
    char name[128], err[256];
    for (size_t i = 0; i < n; i++) {
        gen_name(i, name, sizeof name);
        gloss__matcher_add_phrase(m, g, name, NULL, NULL, NULL, 0, "gen", err,
                                  sizeof err);
    }
    return m;
}

static void scan_stage(void *ctx, const text *t)
{
    gloss_doc *doc = gloss_doc_new("b", "bench", t->p, t->n);
    gloss__doc_status st;
    gloss__pipeline_run(ctx, &doc, 1, &st);
    gloss_doc_destroy(&doc);
}

int main(int argc, char **argv)
{
    const char *src = getenv("top_srcdir") ? getenv("top_srcdir") : ".";
    static char lex[4096], d1[4096], d2[4096], d3[4096];
    snprintf(lex, sizeof lex, "%s/lexicon", src);
    lexicon_dir = getenv("GLOSS_LEXICON_DIR") ? getenv("GLOSS_LEXICON_DIR") : lex;
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            load_dir(argv[i]);
    } else {
        snprintf(d1, sizeof d1, "%s/../shared/seeds", src);
        snprintf(d2, sizeof d2, "%s/tests/fixtures/docs", src);
        snprintf(d3, sizeof d3, "%s/tests/fixtures/structure", src);
        load_dir(d1);
        load_dir(d2);
        load_dir(d3);
    }
    if (ndocs == 0) {
        printf("bench_match: no sample documents found; nothing measured\n");
        return 0;
    }
    size_t corpus = 0;
    for (size_t i = 0; i < ndocs; i++)
        corpus += docs[i].n;
    printf("corpus: %zu documents, %zu bytes, scanned in turn to %u MiB per "
           "round, best of %d rounds, one thread\n",
           ndocs, corpus, CORPUS_BYTES >> 20, ROUNDS);

    /* References. */
    hs_ref one = {NULL, NULL};
    hs_compile_error_t *ce = NULL;
    if (hs_compile("Kazakhstan", 0, HS_MODE_BLOCK, NULL, &one.db, &ce) !=
            HS_SUCCESS ||
        hs_alloc_scratch(one.db, &one.scratch) != HS_SUCCESS) {
        fprintf(stderr, "bench_match: cannot compile the reference\n");
        return 1;
    }
    ref1_fn = scan_memchr;
    ref2_fn = scan_hs;
    ref2_ctx = &one;

    /* The shipped lexicon and patterns. */
    gloss__matcher *m = gloss__matcher_new();
    load_shipped(m);
    size_t shipped = gloss__matcher_size(m);
    double c_shipped = compile(m, NULL);
    total_matches = 0;
    char tail[256];
    snprintf(tail, sizeof tail, "%zu entries, compiled in %.2f s", shipped,
             c_shipped);
    report("matcher: shipped lexicon + patterns", measure(scan_matcher, m),
           tail);
    report("  its database alone (no callback work)", measure(scan_db_only, m),
           "");
    gloss__matcher_destroy(&m);

    /* The cache of the compile figures, and the files of the stage with
     * 10,000 phrases. */
    char cache[] = "/tmp/bench-match-XXXXXX";
    if (!mkdtemp(cache)) {
        fprintf(stderr, "bench_match: cannot make a cache folder\n");
        return 1;
    }
    char gen_tsv[64], more_tsv[64];
    snprintf(gen_tsv, sizeof gen_tsv, "%s/gen.tsv", cache);
    snprintf(more_tsv, sizeof more_tsv, "%s/more.tsv", cache);
    FILE *gen_f = fopen(gen_tsv, "w"), *more_f = fopen(more_tsv, "w");
    if (!gen_f || !more_f) {
        fprintf(stderr, "bench_match: cannot write to %s\n", cache);
        return 1;
    }

    /* 10,000 phrases and 50 patterns. */
    m = gloss__matcher_new();
    load_shipped(m);
    gloss__match_group_opts po = {.name = "more", .boundaries = 1};
    int g = gloss__matcher_group(m, &po);
    char err[1024], rx[256];
    size_t npat = 0;
    {
        /* The shipped patterns, counted from the file, then generated
         * ones (case numbers of made-up courts) up to 50. */
        char path[4096], line[8192];
        snprintf(path, sizeof path, "%s/patterns.tsv", lexicon_dir);
        FILE *f = fopen(path, "r");
        while (f && fgets(line, sizeof line, f))
            npat += line[0] != '#' && line[0] != '\n';
        if (f)
            fclose(f);
    }
    for (size_t i = 0; npat < 50; i++, npat++) {
        snprintf(rx, sizeof rx, "Case No\\.? ?[0-9]+/%zu[A-Z]?", 1990 + i);
        static const char *const trig[] = {"Case No"};
        if (gloss__matcher_add_pattern(m, g, rx, "CASE", NULL, NULL, 0, trig, 1,
                                       NULL, "gen", err, sizeof err) < 0) {
            fprintf(stderr, "bench_match: %s\n", err);
            return 1;
        }
        fprintf(more_f, "CASE\t%s\t\t%s\n", rx, trig[0]);
    }
    gloss__match_group_opts go = {.name = "gen", .label = "PER",
                                  .boundaries = 1, .diacritics_insensitive = 1};
    g = gloss__matcher_group(m, &go);
    size_t nphr = gloss__matcher_size(m) - npat;
    char name[128];
    for (size_t i = 0; nphr < 10000; i++, nphr++) {
        gen_name(i, name, sizeof name);
        gloss__matcher_add_phrase(m, g, name, NULL, NULL, NULL, 0, "gen", err,
                                  sizeof err);
        fprintf(gen_f, "%s\n", name);
    }
    fclose(gen_f);
    fclose(more_f);
    double c_10k = compile(m, NULL);
    total_matches = 0;
    snprintf(tail, sizeof tail, "%zu phrases + %zu patterns, compiled in "
             "%.2f s", nphr, npat, c_10k);
    report("matcher: 10,000 phrases + 50 patterns", measure(scan_matcher, m),
           tail);
    report("  its database alone (no callback work)", measure(scan_db_only, m),
           "");
    gloss__matcher_destroy(&m);

    /* The stage in a pipeline: documents, spans and attributes included,
     * with the shipped lexicon, then with the 10,000 phrases and 50
     * patterns above (the shipped ones and the generated files). */
    setenv("GLOSS_LEXICON_DIR", lexicon_dir, 0);
    static char conf_10k[512];
    snprintf(conf_10k, sizeof conf_10k,
             "return { pipeline = { { stage = 'match', options = { "
             "dictionaries = { { file = '%s', name = 'gen', label = 'PER' } }, "
             "patterns = { { file = '%s', name = 'more' } } } } } }",
             gen_tsv, more_tsv);
    static const char conf[] =
        "return { pipeline = { { stage = 'match' } } }";
    const char *confs[] = {conf, conf_10k};
    const char *names[] = {"stage: match, shipped lexicon",
                           "stage: match, 10,000 phrases + 50 patterns"};
    for (int k = 0; k < 2; k++) {
        char cerr[1024];
        gloss__config *cfg = gloss__config_load_string(
            confs[k], strlen(confs[k]), "b.lua", ".", cerr, sizeof cerr);
        gloss__pipeline *p =
            cfg ? gloss__pipeline_new(cfg, cerr, sizeof cerr) : NULL;
        if (!p) {
            fprintf(stderr, "bench_match: %s\n", cerr);
            return 1;
        }
        report(names[k], measure(scan_stage, p),
               "documents, spans and attributes included");
        gloss__pipeline_destroy(&p);
        gloss__config_destroy(&cfg);
    }

    /* Compile times (BENCH_SCAN_ONLY skips them, for profiling scans). */
    if (getenv("BENCH_SCAN_ONLY")) {
        hs_free_scratch(one.scratch);
        hs_free_database(one.db);
        for (size_t i = 0; i < ndocs; i++)
            free(docs[i].p);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", cache);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_match: could not remove %s\n", cache);
        return 0;
    }
    static const size_t sizes[] = {1000, 10000, 100000};
    for (size_t i = 0; i < 3; i++) {
        m = generated(sizes[i]);
        double c = compile(m, i == 2 ? cache : NULL);
        printf("compile: %6zu phrases %30.2f s\n", sizes[i], c);
        gloss__matcher_destroy(&m);
    }
    hs_free_scratch(one.scratch);
    hs_free_database(one.db);
    m = generated(100000);
    double c = compile(m, cache);
    printf("compile: %6zu phrases, from the cache %18.2f s (%s)\n",
           (size_t)100000, c,
           gloss__matcher_from_cache(m) ? "read from the cache" : "NOT cached");
    gloss__matcher_destroy(&m);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", cache);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_match: could not remove %s\n", cache);
    for (size_t i = 0; i < ndocs; i++)
        free(docs[i].p);
    return 0;
}
