/*
 * pipeline.c - building stage instances from a configuration and running
 * documents through them (see pipeline.h).
 *
 * A stage instance is either a C stage (a descriptor, built in or from a
 * plugin, with its checked options and init() context) or a Lua stage. The
 * pipeline runs documents stage by stage over a batch: every live document
 * goes through stage 1, then every document still live through stage 2, and
 * so on. That order is what lets a Lua stage with process_batch() see the
 * whole batch in one call, and it keeps each stage's code and data hot in the
 * cache while it works through the batch.
 *
 * Failures are applied here, in one place, with the stage's on_error policy,
 * so that C and Lua stages behave the same way.
 */
#include "pipeline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config_path.h"
#include "err.h"
#include "lua_stage.h"
#include "opts.h"
#include "registry.h"

typedef struct stage {
    char *name;
    gloss__on_error on_error;
    /* A C stage: */
    const gloss_stage_desc *desc;
    void *ctx;
    gloss_opts *opts;
    gloss__plugin *plugin; /* NULL for a built-in stage */
    /* A Lua stage: */
    gloss__lua_stage *lua;
    int lua_batch;         /* the script defines process_batch */
    gloss__stage_stats stats;
} stage;

struct gloss__pipeline {
    stage *stages;
    size_t n;
    /* Scratch space for one batch, grown as needed and kept between runs. */
    gloss_doc **live;
    size_t *live_index;
    gloss_err *errs;
    size_t scratch_cap;
};

static void stage_fini(stage *st)
{
    if (st->desc && st->desc->fini && st->ctx)
        st->desc->fini(st->ctx);
    gloss__opts_destroy(&st->opts);
    gloss__plugin_close(&st->plugin);
    gloss__lua_stage_destroy(&st->lua);
    free(st->name);
}

/* Finds "<name>.so" in the configured plugin folders. */
static char *find_plugin(const gloss__config *cfg, const char *name)
{
    size_t len = strlen(name) + 4;
    char *file = malloc(len);
    if (!file)
        return NULL;
    snprintf(file, len, "%s.so", name);
    char *found = NULL;
    for (size_t i = 0; i < cfg->n_plugin_paths && !found; i++) {
        char *path = gloss__path_join(cfg->plugin_paths[i], file);
        if (path && gloss__path_is_file(path))
            found = path;
        else
            free(path);
    }
    free(file);
    return found;
}

static int stage_init_c(stage *st, const gloss__stage_conf *sc,
                        const gloss__config *cfg, char *err, size_t errlen)
{
    char where[256];
    snprintf(where, sizeof where, "%s.options", sc->key_path);
    st->opts = gloss__opts_new(st->desc->options, sc->options, where, st->name,
                               cfg->dir, err, errlen);
    if (!st->opts)
        return -1;
    if (st->desc->init) {
        gloss_err e;
        gloss__err_clear(&e);
        if (st->desc->init(&st->ctx, st->opts, &e) != GLOSS_OK) {
            snprintf(err, errlen, "%s: stage '%s' failed to start: %s",
                     sc->key_path, st->name,
                     e.msg[0] ? e.msg : "init() failed without a message");
            st->ctx = NULL;
            return -1;
        }
    }
    return 0;
}

static int stage_init(stage *st, const gloss__stage_conf *sc,
                      const gloss__config *cfg, char *err, size_t errlen)
{
    st->name = strdup(sc->name);
    st->on_error = sc->on_error;
    if (!st->name) {
        snprintf(err, errlen, "%s: out of memory", sc->key_path);
        return -1;
    }
    st->stats.name = st->name;

    if (sc->script) {
        st->lua = gloss__lua_stage_new(sc, cfg, err, errlen);
        if (!st->lua)
            return -1;
        st->lua_batch = gloss__lua_stage_has_batch(st->lua);
        return 0;
    }

    char perr[1024];
    if (sc->plugin) {
        st->plugin = gloss__plugin_open(sc->plugin, perr, sizeof perr);
        if (!st->plugin) {
            snprintf(err, errlen, "%s.plugin: %s", sc->key_path, perr);
            return -1;
        }
        st->desc = gloss__plugin_desc(st->plugin);
        return stage_init_c(st, sc, cfg, err, errlen);
    }

    st->desc = gloss__builtin_stage(sc->stage);
    if (!st->desc) {
        char *path = find_plugin(cfg, sc->stage);
        if (!path) {
            char known[512] = "";
            for (size_t i = 0; gloss__builtin_stages[i]; i++) {
                size_t len = strlen(known);
                snprintf(known + len, sizeof known - len, "%s%s",
                         i ? ", " : "", gloss__builtin_stages[i]->name);
            }
            snprintf(err, errlen,
                     "%s.stage: unknown stage '%s': not built in (built-in "
                     "stages: %s) and no %s.so in the plugin folders "
                     "(plugin_paths, $GLOSS_PLUGIN_PATH, %s)",
                     sc->key_path, sc->stage, known, sc->stage,
                     GLOSS_PLUGIN_DIR);
            return -1;
        }
        st->plugin = gloss__plugin_open(path, perr, sizeof perr);
        free(path);
        if (!st->plugin) {
            snprintf(err, errlen, "%s.stage: %s", sc->key_path, perr);
            return -1;
        }
        st->desc = gloss__plugin_desc(st->plugin);
    }
    return stage_init_c(st, sc, cfg, err, errlen);
}

gloss__pipeline *gloss__pipeline_new(const gloss__config *cfg, char *err,
                                     size_t errlen)
{
    gloss__pipeline *p = calloc(1, sizeof(*p));
    if (!p || (cfg->n_stages && !(p->stages = calloc(cfg->n_stages,
                                                     sizeof(*p->stages))))) {
        free(p);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < cfg->n_stages; i++) {
        p->n = i + 1;
        if (stage_init(&p->stages[i], &cfg->stages[i], cfg, err, errlen) < 0) {
            gloss__pipeline_destroy(&p);
            return NULL;
        }
    }
    p->n = cfg->n_stages;
    return p;
}

static int reserve_scratch(gloss__pipeline *p, size_t n)
{
    if (n <= p->scratch_cap)
        return 0;
    gloss_doc **live = realloc(p->live, n * sizeof(*live));
    if (live)
        p->live = live;
    size_t *index = realloc(p->live_index, n * sizeof(*index));
    if (index)
        p->live_index = index;
    gloss_err *errs = realloc(p->errs, n * sizeof(*errs));
    if (errs)
        p->errs = errs;
    if (!live || !index || !errs)
        return -1;
    p->scratch_cap = n;
    return 0;
}

/* Applies the outcome of one stage call to one document. */
static void settle(stage *st, gloss_doc *doc, int failed, const char *msg,
                   gloss__doc_status *status)
{
    if (failed) {
        st->stats.errors++;
        if (!msg || !*msg)
            msg = "failed without a message";
        gloss_doc_add_error(doc, st->name, "%s", msg);
        switch (st->on_error) {
        case GLOSS__ON_ERROR_CONTINUE:
            break;
        case GLOSS__ON_ERROR_DROP:
            gloss_doc_drop(doc, "stage failed (on_error = \"drop\")");
            break;
        case GLOSS__ON_ERROR_FAIL:
            *status = GLOSS__DOC_FAILED;
            return;
        }
    }
    if (gloss_doc_dropped(doc)) {
        st->stats.dropped++;
        *status = GLOSS__DOC_DROPPED;
        return;
    }
    st->stats.docs_out++;
}

static void run_c_stage(stage *st, gloss_doc **live, size_t n,
                        const size_t *index, gloss__doc_status *status)
{
    for (size_t i = 0; i < n; i++) {
        gloss_err e;
        gloss__err_clear(&e);
        uint64_t t0 = gloss__now_ns();
        int rc = st->desc->process(st->ctx, live[i], &e);
        uint64_t dt = gloss__now_ns() - t0;
        st->stats.ns += dt;
        gloss_doc_add_timing(live[i], st->name, dt);
        settle(st, live[i], rc != GLOSS_OK, e.msg, &status[index[i]]);
    }
}

static void run_lua_stage(gloss__pipeline *p, stage *st, gloss_doc **live,
                          size_t n, const size_t *index,
                          gloss__doc_status *status)
{
    if (st->lua_batch) {
        /* One call for the batch: its time is shared out evenly, since
         * there is no way to tell which document took how long. */
        uint64_t t0 = gloss__now_ns();
        gloss__lua_stage_process(st->lua, live, n, p->errs);
        uint64_t dt = gloss__now_ns() - t0;
        st->stats.ns += dt;
        for (size_t i = 0; i < n; i++) {
            gloss_doc_add_timing(live[i], st->name, dt / n);
            settle(st, live[i], p->errs[i].msg[0] != '\0', p->errs[i].msg,
                   &status[index[i]]);
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t t0 = gloss__now_ns();
        gloss__lua_stage_process(st->lua, &live[i], 1, &p->errs[i]);
        uint64_t dt = gloss__now_ns() - t0;
        st->stats.ns += dt;
        gloss_doc_add_timing(live[i], st->name, dt);
        settle(st, live[i], p->errs[i].msg[0] != '\0', p->errs[i].msg,
               &status[index[i]]);
    }
}

void gloss__pipeline_run(gloss__pipeline *p, gloss_doc **docs, size_t n,
                         gloss__doc_status *status)
{
    for (size_t i = 0; i < n; i++)
        status[i] = gloss_doc_dropped(docs[i]) ? GLOSS__DOC_DROPPED
                                               : GLOSS__DOC_OK;
    if (reserve_scratch(p, n) < 0) {
        for (size_t i = 0; i < n; i++) {
            gloss_doc_add_error(docs[i], "pipeline", "out of memory");
            status[i] = GLOSS__DOC_FAILED;
        }
        return;
    }
    for (size_t s = 0; s < p->n; s++) {
        stage *st = &p->stages[s];
        size_t live = 0;
        for (size_t i = 0; i < n; i++) {
            if (status[i] != GLOSS__DOC_OK)
                continue;
            p->live[live] = docs[i];
            p->live_index[live] = i;
            live++;
        }
        if (live == 0)
            return;
        st->stats.docs_in += live;
        if (st->lua)
            run_lua_stage(p, st, p->live, live, p->live_index, status);
        else
            run_c_stage(st, p->live, live, p->live_index, status);
    }
}

size_t gloss__pipeline_stage_count(const gloss__pipeline *p) { return p->n; }

void gloss__pipeline_stage_stats(const gloss__pipeline *p, size_t i,
                                 gloss__stage_stats *out)
{
    *out = p->stages[i].stats;
}

void gloss__pipeline_destroy(gloss__pipeline **pp)
{
    if (!pp || !*pp)
        return;
    gloss__pipeline *p = *pp;
    for (size_t i = p->n; i-- > 0;)
        stage_fini(&p->stages[i]);
    free(p->stages);
    free(p->live);
    free(p->live_index);
    free(p->errs);
    free(p);
    *pp = NULL;
}
