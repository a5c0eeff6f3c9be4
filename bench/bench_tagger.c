/*
 * bench_tagger.c - how fast the pos and ner stages are, beside wink-nlp on
 * the same documents in the same run.
 *
 *     bench/bench_tagger SEEDS_DIR [WINK_DIR WINK_BENCH_JS]
 *     bench/bench_tagger --once WARM.txt TEXT.txt
 *
 * The corpus is the sample documents (every *.txt file of SEEDS_DIR,
 * ../shared/seeds by default; the benchmark says so and stops when it is
 * absent), taken in turn until a round has seen about a million tokens.
 * The default models are found as the stages find them ($GLOSS_MODEL_PATH,
 * which `make bench` points at the source tree's models/). Figures, each
 * the best of ROUNDS rounds, on one thread (so per core):
 *
 *   tagger     pos + ner through the tagger's own calls on tokens already
 *              segmented: tokens per second of the two models together,
 *              the figure the target (2 million) is about, per
 *              second of the thread's CPU time (best and median of the
 *              rounds; the wall clock too), with the cache of per-token
 *              sums warm, emptied before each document, and off;
 *   pipeline   segment alone, then segment + pos + ner, as documents
 *              through a pipeline (spans, attributes and all), in tokens
 *              per second, and the cost of pos + ner as the difference;
 *   wink-nlp   the same documents, as many times, through wink-nlp's
 *              readDoc with its English lite web model (tokens, sentences,
 *              part of speech and entities), when node and the npm
 *              packages are in WINK_DIR (`make bench-wink-setup`): tokens
 *              per second, and our pipeline's speed as a ratio to it.
 *
 * With --once, text not seen before instead: each model's document state
 * is warmed on WARM.txt (say the sentences of a training set, one
 * document), then TEXT.txt (a dev set) is tagged once, as one document,
 * and timed; ROUNDS times afresh, best and median, with what the cache
 * found and made while tagging TEXT.txt. New words and new pairs keep
 * coming, so this is the figure of a worker on text it has not seen.
 *
 * Timings are printed, never asserted: `make bench` runs this, `make
 * check` does not.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "config.h"
#include "gloss/doc.h"
#include "pipeline.h"
#include "tagger.h"

#define ROUNDS 5
#define TARGET_TOKENS 1000000u

typedef struct text {
    char *p;
    size_t n;
    char *path;
} text;

static void die(const char *what)
{
    fprintf(stderr, "bench_tagger: %s\n", what);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

/* The CPU time of this thread: what the tagger costs whatever else the
 * machine runs. */
static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int by_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const text *)a)->path, ((const text *)b)->path);
}

static size_t load(const char *dir, text **out)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0, cap = 16;
    text *v = xmalloc(cap * sizeof *v);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".txt") != 0)
            continue;
        char *path = xmalloc(strlen(dir) + len + 2);
        sprintf(path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        struct stat st;
        if (!f || fstat(fileno(f), &st) != 0)
            die("cannot read a sample");
        if (n == cap) {
            cap *= 2;
            v = realloc(v, cap * sizeof *v);
            if (!v)
                die("out of memory");
        }
        v[n].p = xmalloc((size_t)st.st_size + 1);
        v[n].n = fread(v[n].p, 1, (size_t)st.st_size, f);
        v[n].path = path;
        fclose(f);
        n++;
    }
    closedir(d);
    qsort(v, n, sizeof *v, by_name);
    *out = v;
    return n;
}

static gloss__pipeline *pipeline(const char *src, gloss__config **cfg)
{
    char err[1024];
    *cfg = gloss__config_load_string(src, strlen(src), "bench", ".", err, sizeof err);
    gloss__pipeline *p = *cfg ? gloss__pipeline_new(*cfg, err, sizeof err) : NULL;
    if (!p) {
        fprintf(stderr, "bench_tagger: %s\n", err);
        exit(1);
    }
    return p;
}

/* Runs every document repeat times through p; returns nanoseconds and
 * the tokens seen in *tokens. */
static uint64_t run_docs(gloss__pipeline *p, const text *docs, size_t ndocs, size_t repeat,
                         size_t *tokens)
{
    size_t nt = 0;
    uint64_t t0 = gloss__now_ns();
    for (size_t r = 0; r < repeat; r++)
        for (size_t i = 0; i < ndocs; i++) {
            gloss_doc *doc = gloss_doc_new("bench", "bench", docs[i].p, docs[i].n);
            gloss__doc_status st;
            if (!doc)
                die("out of memory");
            gloss__pipeline_run(p, &doc, 1, &st);
            if (st != GLOSS__DOC_OK)
                die("a document failed");
            gloss_layer *l = gloss_doc_layer(doc, "tokens", 0);
            nt += l ? gloss_layer_size(l) : 0;
            gloss_doc_destroy(&doc);
        }
    *tokens = nt;
    uint64_t ns = gloss__now_ns() - t0;
    return ns ? ns : 1;
}

static uint64_t best_docs(gloss__pipeline *p, const text *docs, size_t ndocs,
                          size_t repeat, size_t *tokens)
{
    uint64_t best = UINT64_MAX;
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t ns = run_docs(p, docs, ndocs, repeat, tokens);
        if (ns < best)
            best = ns;
    }
    return best;
}

/* The segmented documents, as the tagger takes them. */
typedef struct seg {
    gloss__tagger_tok *toks;
    size_t *sents;
    size_t ntoks, nsents;
} seg;

static seg segment_doc(gloss__pipeline *p, const text *t)
{
    seg s = {0};
    gloss_doc *doc = gloss_doc_new("bench", "bench", t->p, t->n);
    gloss__doc_status st;
    if (!doc)
        die("out of memory");
    gloss__pipeline_run(p, &doc, 1, &st);
    gloss_layer *toks = gloss_doc_layer(doc, "tokens", 0);
    gloss_layer *sents = gloss_doc_layer(doc, "sentences", 0);
    size_t nt = toks ? gloss_layer_size(toks) : 0, ns = sents ? gloss_layer_size(sents) : 0;
    s.toks = xmalloc(nt * sizeof *s.toks);
    s.sents = xmalloc((ns + 2) * sizeof *s.sents);
    /* Token text points into the sample, whose bytes segment left alone. */
    size_t k = 0;
    for (size_t i = 0; i < nt; i++) {
        const gloss_span *sp = gloss_layer_span(toks, i);
        while (k < ns && gloss_layer_span(sents, k)->start <= sp->start) {
            if (s.nsents == 0 || s.sents[s.nsents - 1] != i)
                s.sents[s.nsents++] = i;
            k++;
        }
        if (s.nsents == 0)
            s.sents[s.nsents++] = 0;
        s.toks[i].s = t->p + sp->start;
        s.toks[i].len = sp->end - sp->start;
    }
    s.ntoks = nt;
    s.sents[s.nsents] = nt;
    gloss_doc_destroy(&doc);
    return s;
}

static text read_text(const char *path)
{
    text t = {0};
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0)
        die("cannot read a --once file");
    t.p = xmalloc((size_t)st.st_size + 1);
    t.n = fread(t.p, 1, (size_t)st.st_size, f);
    t.path = NULL;
    fclose(f);
    return t;
}

/* --once: warm on one text, time another tagged once (see the top). */
static int once(gloss__tagger *tg[2], gloss__pipeline *segp, const char *warm_path,
                const char *text_path)
{
    text t[2] = {read_text(warm_path), read_text(text_path)};
    seg s[2] = {segment_doc(segp, &t[0]), segment_doc(segp, &t[1])};
    size_t maxn = s[0].ntoks > s[1].ntoks ? s[0].ntoks : s[1].ntoks;
    uint8_t *out = xmalloc(maxn + 1);
    float *conf = xmalloc((maxn + 1) * sizeof *conf);
    uint64_t cpu[2][ROUNDS];
    gloss__tagger_cache_stats st[2], before;
    for (int r = 0; r < ROUNDS; r++)
        for (int m = 0; m < 2; m++) {
            gloss__tagger_doc *d = gloss__tagger_doc_new();
            if (!d)
                die("out of memory");
            gloss__tagger_tag_doc(tg[m], d, s[0].toks, s[0].sents, s[0].nsents, out,
                                  m ? conf : NULL);
            gloss__tagger_doc_cache_stats(d, &before);
            uint64_t c0 = thread_cpu_ns();
            gloss__tagger_tag_doc(tg[m], d, s[1].toks, s[1].sents, s[1].nsents, out,
                                  m ? conf : NULL);
            cpu[m][r] = thread_cpu_ns() - c0;
            gloss__tagger_doc_cache_stats(d, &st[m]);
            st[m].hits -= before.hits;
            st[m].misses -= before.misses;
            st[m].pair_hits -= before.pair_hits;
            st[m].pair_misses -= before.pair_misses;
            gloss__tagger_doc_free(d);
        }
    for (int m = 0; m < 2; m++)
        qsort(cpu[m], ROUNDS, sizeof cpu[m][0], by_u64);
    double n = (double)s[1].ntoks;
    printf("once: warmed on %s (%zu tokens), then %s (%zu tokens) tagged once; best of %d "
           "rounds, one thread\n",
           warm_path, s[0].ntoks, text_path, s[1].ntoks, ROUNDS);
    printf("tagger     once        (tokens per second of thread CPU time, best / median)\n");
    printf("           pos %9.0f / %9.0f   ner %9.0f / %9.0f   pos + ner %9.0f / %9.0f\n",
           n * 1e9 / (double)cpu[0][0], n * 1e9 / (double)cpu[0][ROUNDS / 2],
           n * 1e9 / (double)cpu[1][0], n * 1e9 / (double)cpu[1][ROUNDS / 2],
           n * 1e9 / (double)(cpu[0][0] + cpu[1][0]),
           n * 1e9 / (double)(cpu[0][ROUNDS / 2] + cpu[1][ROUNDS / 2]));
    for (int m = 0; m < 2; m++)
        printf("cache      %s: word types found %zu, made %zu; pairs found %zu, made %zu\n",
               m ? "ner" : "pos", st[m].hits, st[m].misses, st[m].pair_hits,
               st[m].pair_misses);
    for (int i = 0; i < 2; i++) {
        free(t[i].p);
        free(s[i].toks);
        free(s[i].sents);
    }
    free(out);
    free(conf);
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/seeds";
    int once_mode = argc == 4 && strcmp(argv[1], "--once") == 0;
    const char *wink = argc > 3 && !once_mode ? argv[2] : NULL;
    const char *script = argc > 3 && !once_mode ? argv[3] : NULL;
    text *docs = NULL;
    size_t ndocs = once_mode ? 0 : load(dir, &docs);
    if (once_mode) {
        char err[1024];
        char *paths[2] = {gloss__tagger_default_model(GLOSS__TAGGER_POS),
                          gloss__tagger_default_model(GLOSS__TAGGER_NER)};
        gloss__tagger *tg[2] = {NULL, NULL};
        for (int m = 0; m < 2; m++)
            tg[m] = paths[m] ? gloss__tagger_open(paths[m], m ? GLOSS__TAGGER_NER
                                                              : GLOSS__TAGGER_POS,
                                                  err, sizeof err)
                             : NULL;
        if (!tg[0] || !tg[1]) {
            fprintf(stderr, "bench_tagger: cannot load the default models (%s)\n",
                    paths[0] && paths[1] ? err : "not found; set GLOSS_MODEL_PATH");
            return 1;
        }
        gloss__config *c0;
        gloss__pipeline *segp0 =
            pipeline("return { pipeline = { { stage = 'segment' } } }", &c0);
        int rc = once(tg, segp0, argv[2], argv[3]);
        for (int m = 0; m < 2; m++) {
            gloss__tagger_close(tg[m]);
            free(paths[m]);
        }
        gloss__pipeline_destroy(&segp0);
        gloss__config_destroy(&c0);
        return rc;
    }
    if (!ndocs) {
        printf("bench_tagger: no sample documents in %s; nothing measured\n", dir);
        return 0;
    }
    char err[1024];
    char *pos_path = gloss__tagger_default_model(GLOSS__TAGGER_POS);
    char *ner_path = gloss__tagger_default_model(GLOSS__TAGGER_NER);
    gloss__tagger *pos = pos_path ? gloss__tagger_open(pos_path, GLOSS__TAGGER_POS, err, sizeof err) : NULL;
    gloss__tagger *ner = ner_path ? gloss__tagger_open(ner_path, GLOSS__TAGGER_NER, err, sizeof err) : NULL;
    if (!pos || !ner) {
        fprintf(stderr, "bench_tagger: cannot load the default models (%s)\n",
                pos_path && ner_path ? err : "not found; set GLOSS_MODEL_PATH");
        return 1;
    }

    gloss__config *c1, *c2;
    gloss__pipeline *segp = pipeline("return { pipeline = { { stage = 'segment' } } }", &c1);
    gloss__pipeline *allp = pipeline("return { pipeline = { { stage = 'segment' },"
                                     " { stage = 'pos' }, { stage = 'ner' } } }",
                                     &c2);
    /* How many passes over the samples make about TARGET_TOKENS. */
    seg *segs = xmalloc(ndocs * sizeof *segs);
    size_t per_pass = 0, bytes = 0, maxn = 0;
    for (size_t i = 0; i < ndocs; i++) {
        segs[i] = segment_doc(segp, &docs[i]);
        per_pass += segs[i].ntoks;
        bytes += docs[i].n;
        if (segs[i].ntoks > maxn)
            maxn = segs[i].ntoks;
    }
    size_t repeat = per_pass ? (TARGET_TOKENS + per_pass - 1) / per_pass : 1;
    printf("corpus: %zu sample documents in %s, %zu bytes, %zu tokens; %zu passes a "
           "round, best of %d rounds, one thread\n",
           ndocs, dir, bytes, per_pass, repeat, ROUNDS);

    /* 1. The taggers alone, each with its own document state (as each
     * stage has), in three ways: with the cache of per-token sums warm
     * (a worker that has tagged for a while), with it emptied before
     * every document (a worker that has just started), and without it. */
    uint8_t *out = xmalloc(maxn + 1);
    float *conf = xmalloc((maxn + 1) * sizeof *conf);
    gloss__tagger_doc *ws[2] = {gloss__tagger_doc_new(), gloss__tagger_doc_new()};
    static const char *const mode_name[3] = {"warm cache", "cold cache", "no cache"};
    double ntok = (double)(per_pass * repeat);
    for (int mode = 0; mode < 3; mode++) {
        uint64_t wall[2][ROUNDS], cpu[2][ROUNDS];
        for (int m = 0; m < 2; m++)
            gloss__tagger_doc_set_cache(ws[m], mode == 2 ? 0 : GLOSS__TAGGER_CACHE_TYPES);
        for (int r = 0; r < ROUNDS; r++)
            for (int m = 0; m < 2; m++) {
                uint64_t t0 = gloss__now_ns(), c0 = thread_cpu_ns();
                for (size_t k = 0; k < repeat; k++)
                    for (size_t i = 0; i < ndocs; i++) {
                        if (mode == 1)
                            gloss__tagger_doc_set_cache(ws[m], GLOSS__TAGGER_CACHE_TYPES);
                        gloss__tagger_tag_doc(m ? ner : pos, ws[m], segs[i].toks,
                                              segs[i].sents, segs[i].nsents, out,
                                              m ? conf : NULL);
                    }
                cpu[m][r] = thread_cpu_ns() - c0;
                wall[m][r] = gloss__now_ns() - t0;
            }
        for (int m = 0; m < 2; m++) {
            qsort(wall[m], ROUNDS, sizeof wall[m][0], by_u64);
            qsort(cpu[m], ROUNDS, sizeof cpu[m][0], by_u64);
        }
        printf("tagger     %-10s  (tokens per second of thread CPU time, best / median; "
               "wall clock best)\n",
               mode_name[mode]);
        printf("           pos %9.0f / %9.0f   ner %9.0f / %9.0f   pos + ner %9.0f / %9.0f "
               "(wall %9.0f)%s\n",
               ntok * 1e9 / (double)cpu[0][0], ntok * 1e9 / (double)cpu[0][ROUNDS / 2],
               ntok * 1e9 / (double)cpu[1][0], ntok * 1e9 / (double)cpu[1][ROUNDS / 2],
               ntok * 1e9 / (double)(cpu[0][0] + cpu[1][0]),
               ntok * 1e9 / (double)(cpu[0][ROUNDS / 2] + cpu[1][ROUNDS / 2]),
               ntok * 1e9 / (double)(wall[0][0] + wall[1][0]),
               mode == 0 ? " (target 2000000)" : "");
    }

    /* 2. Through pipelines. */
    size_t t1 = 0, t2 = 0;
    uint64_t ns_seg = best_docs(segp, docs, ndocs, repeat, &t1);
    uint64_t ns_all = best_docs(allp, docs, ndocs, repeat, &t2);
    double seg_tps = (double)t1 * 1e9 / (double)ns_seg;
    double all_tps = (double)t2 * 1e9 / (double)ns_all;
    printf("pipeline   segment %10.0f tokens/s   segment + pos + ner %10.0f tokens/s   "
           "pos + ner alone %10.0f tokens/s\n",
           seg_tps, all_tps,
           ns_all > ns_seg ? (double)t2 * 1e9 / (double)(ns_all - ns_seg) : 0.0);

    /* 3. wink-nlp on the same documents, as many times. */
    if (!wink) {
        printf("wink-nlp   not measured: no WINK_DIR given (make bench-wink-setup)\n");
    } else {
        size_t cmdlen = strlen(wink) + strlen(script) + 256;
        for (size_t i = 0; i < ndocs; i++)
            cmdlen += strlen(docs[i].path) + 3;
        char *cmd = xmalloc(cmdlen);
        int n = snprintf(cmd, cmdlen, "NODE_PATH='%s/node_modules' node '%s' %d %zu", wink,
                         script, ROUNDS, repeat);
        for (size_t i = 0; i < ndocs; i++)
            n += snprintf(cmd + n, cmdlen - (size_t)n, " '%s'", docs[i].path);
        FILE *f = popen(cmd, "r");
        double wt = 0, ws_ = 0;
        char line[256];
        int got = 0;
        while (f && fgets(line, sizeof line, f))
            if (sscanf(line, "wink tokens %lf seconds %lf", &wt, &ws_) == 2)
                got = 1;
        if (f)
            pclose(f);
        free(cmd);
        if (!got || ws_ <= 0) {
            printf("wink-nlp   not measured: node or the npm packages are missing in %s "
                   "(make bench-wink-setup)\n",
                   wink);
        } else {
            double wink_tps = wt / ws_;
            printf("wink-nlp   readDoc (tokens, sentences, pos, entities) %10.0f tokens/s "
                   "(its own tokens)\n",
                   wink_tps);
            printf("ratio      gloss segment + pos + ner / wink-nlp: %.2f\n",
                   all_tps / wink_tps);
        }
    }

    for (size_t i = 0; i < ndocs; i++) {
        free(docs[i].p);
        free(docs[i].path);
        free(segs[i].toks);
        free(segs[i].sents);
    }
    free(docs);
    free(segs);
    free(out);
    free(conf);
    gloss__tagger_doc_free(ws[0]);
    gloss__tagger_doc_free(ws[1]);
    gloss__tagger_close(pos);
    gloss__tagger_close(ner);
    free(pos_path);
    free(ner_path);
    gloss__pipeline_destroy(&segp);
    gloss__pipeline_destroy(&allp);
    gloss__config_destroy(&c1);
    gloss__config_destroy(&c2);
    return 0;
}
