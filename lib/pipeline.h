/*
 * pipeline.h - an ordered list of stage instances that documents run
 * through.
 *
 * The pipeline is built from a checked configuration: each entry becomes a
 * built-in C stage, a C stage from a plugin, or a Lua stage, with its
 * options checked and its init() run. Running a document times each stage,
 * records the timing on the document, and applies the stage's on_error
 * policy when it fails. The same pipeline serves `gloss run`, the daemon's
 * workers and the benchmarks.
 */
#ifndef GLOSS_PIPELINE_H
#define GLOSS_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "gloss/doc.h"

typedef struct gloss__pipeline gloss__pipeline;

typedef enum gloss__doc_status {
    GLOSS__DOC_OK = 0,  /* went through (errors under "continue" recorded) */
    GLOSS__DOC_DROPPED, /* dropped by a stage or by an on_error "drop" */
    GLOSS__DOC_FAILED   /* a stage with on_error "fail" failed */
} gloss__doc_status;

/* Per-stage counters, the basis of stats and metrics. */
typedef struct gloss__stage_stats {
    const char *name;
    uint64_t docs_in;
    uint64_t docs_out;
    uint64_t errors;
    uint64_t dropped;
    uint64_t ns;        /* total time spent in the stage */
} gloss__stage_stats;

gloss__pipeline *gloss__pipeline_new(const gloss__config *cfg, char *err,
                                     size_t errlen);

/* Runs n documents through every stage. status[i] receives each one's
 * outcome; a failed or dropped document skips the remaining stages, and the
 * reason is recorded on it (errors, or gloss_doc_dropped()). */
void gloss__pipeline_run(gloss__pipeline *p, gloss_doc **docs, size_t n,
                         gloss__doc_status *status);

size_t gloss__pipeline_stage_count(const gloss__pipeline *p);
void gloss__pipeline_stage_stats(const gloss__pipeline *p, size_t i,
                                 gloss__stage_stats *out);

void gloss__pipeline_destroy(gloss__pipeline **p);

#endif
