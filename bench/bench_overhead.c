/*
 * bench_overhead.c - what the engine costs per document, before any stage
 * does real work.
 *
 * Three pipelines run the same small documents in the same process, one
 * after the other, several rounds each, keeping each pipeline's best round
 * (the least disturbed by the rest of a shared machine):
 *
 *   empty   no stage: document creation, the pipeline loop, destruction;
 *   lua     one Lua stage whose process(doc) returns at once;
 *   lua-api one Lua stage that reads doc.id and adds a span.
 *
 * It prints nanoseconds per document for each, the Lua call's own cost
 * (lua - empty), and each as a ratio to the empty pipeline. Timings are
 * reported, never asserted: `make bench` runs this.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "gloss/doc.h"
#include "pipeline.h"

#define DOCS 200000
#define ROUNDS 5
#define BATCH 32

static const char TEXT[] =
    "Whereas the journalist was arrested on 28 January and charged under "
    "Article 174 of the Criminal Code.";

static double per_doc_ns(gloss__pipeline *p)
{
    gloss_doc *docs[BATCH];
    gloss__doc_status status[BATCH];
    double best = 1e30;
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t t0 = gloss__now_ns();
        for (int i = 0; i < DOCS; i += BATCH) {
            for (int j = 0; j < BATCH; j++)
                docs[j] = gloss_doc_new("bench", "bench", TEXT, sizeof TEXT - 1);
            gloss__pipeline_run(p, docs, BATCH, status);
            for (int j = 0; j < BATCH; j++) {
                if (status[j] != GLOSS__DOC_OK) {
                    fprintf(stderr, "bench: a document failed\n");
                    exit(1);
                }
                gloss_doc_destroy(&docs[j]);
            }
        }
        double ns = (double)(gloss__now_ns() - t0) / DOCS;
        if (ns < best)
            best = ns;
    }
    return best;
}

static gloss__pipeline *pipeline(const char *src, const char *dir,
                                 gloss__config **cfg)
{
    char err[1024];
    *cfg = gloss__config_load_string(src, strlen(src), "bench", dir, err,
                                     sizeof err);
    gloss__pipeline *p = *cfg ? gloss__pipeline_new(*cfg, err, sizeof err) : NULL;
    if (!p) {
        fprintf(stderr, "bench: %s\n", err);
        exit(1);
    }
    return p;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "bench";
    static const struct {
        const char *name;
        const char *config;
    } cases[] = {
        {"empty", "return { pipeline = {} }"},
        {"lua", "return { pipeline = { { script = 'noop.lua' } } }"},
        {"lua-api", "return { pipeline = { { script = 'touch.lua' } } }"},
    };
    double ns[3];
    for (int i = 0; i < 3; i++) {
        gloss__config *cfg;
        gloss__pipeline *p = pipeline(cases[i].config, dir, &cfg);
        ns[i] = per_doc_ns(p);
        gloss__pipeline_destroy(&p);
        gloss__config_destroy(&cfg);
    }
    printf("# bench_overhead: %d documents of %zu bytes, best of %d rounds, "
           "batches of %d\n", DOCS, sizeof TEXT - 1, ROUNDS, BATCH);
    printf("%-8s %10s %10s\n", "pipeline", "ns/doc", "ratio");
    for (int i = 0; i < 3; i++)
        printf("%-8s %10.0f %10.2f\n", cases[i].name, ns[i], ns[i] / ns[0]);
    printf("lua call overhead: %.0f ns per document (target: under 2000)\n",
           ns[1] - ns[0]);
    return 0;
}
