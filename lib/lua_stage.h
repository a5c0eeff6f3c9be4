/*
 * lua_stage.h - a pipeline stage written in Lua.
 *
 * Each instance owns one sandboxed lua_State (see lua_host.c): the script
 * is loaded once, its init(options) runs once, then process(doc) - or
 * process_batch(docs) when the script defines it - runs for documents. Every
 * call goes through one protected-call helper that installs a traceback
 * handler, enforces the instruction budget and the memory limit, checks the
 * stack balance, and turns any failure into a message naming the script,
 * the line and the document.
 */
#ifndef GLOSS_LUA_STAGE_H
#define GLOSS_LUA_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "gloss/doc.h"

typedef struct gloss__lua_stage gloss__lua_stage;

/* Failure counts by kind, for stats and metrics. */
typedef struct gloss__lua_stats {
    uint64_t calls;           /* calls into process or process_batch */
    uint64_t errors;          /* documents whose call raised an error */
    uint64_t budget_exceeded; /* calls stopped by the instruction budget */
    uint64_t memory_exceeded; /* calls stopped by the memory limit */
    size_t memory_used;       /* bytes held by the state now */
    size_t memory_peak;       /* most bytes ever held */
} gloss__lua_stats;

/*
 * Loads sc->script into a new sandboxed state and runs its init() with
 * sc->options. cfg gives the folders require() may load from. Returns NULL
 * with a message in err (naming the script and line) on failure.
 */
gloss__lua_stage *gloss__lua_stage_new(const gloss__stage_conf *sc,
                                       const gloss__config *cfg, char *err,
                                       size_t errlen);

/*
 * Runs the stage over n documents. When the script defines process_batch,
 * it is called once with all of them; otherwise process is called for each.
 * errs[i] is cleared for every document and holds a message for each
 * document whose call failed (all of them, when a batch call fails).
 * Returns the number of documents that failed.
 */
size_t gloss__lua_stage_process(gloss__lua_stage *st, gloss_doc **docs,
                                size_t n, gloss_err *errs);

/* True when the script defines process_batch (the pipeline then hands it
 * whole batches; otherwise one document per call, timed one by one). */
int gloss__lua_stage_has_batch(const gloss__lua_stage *st);

void gloss__lua_stage_stats(const gloss__lua_stage *st, gloss__lua_stats *out);

void gloss__lua_stage_destroy(gloss__lua_stage **st);

#endif
