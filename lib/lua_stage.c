/*
 * lua_stage.c - a pipeline stage written in Lua (see lua_stage.h).
 *
 * The script is loaded once into its own sandboxed host. What it returns
 * must be a table; its process, process_batch and init functions are kept
 * in registry references, so that a call for a document looks up nothing
 * by name. Each call is a small C function run by gloss__lua_host_call():
 * it pushes the function and a fresh document handle and calls the script,
 * which keeps every allocation of the call inside protected mode and under
 * the stage's limits. init runs once, under the same limits, and its
 * reference is dropped afterwards.
 */
#include "lua_stage.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_doc.h"
#include "lua_host.h"
#include "lua_json.h"
#include "lua_match.h"

struct gloss__lua_stage {
    gloss__lua_host *host;
    int process_ref;      /* LUA_NOREF when the script has none */
    int batch_ref;        /* LUA_NOREF when the script has none */
    gloss__lua_stats stats;
};

/* What loading the script finds. */
typedef struct load_ctx {
    const char *path;
    const char *chunkname; /* "@watchlist.lua" */
    int process_ref, batch_ref, init_ref;
} load_ctx;

typedef struct init_ctx {
    int ref;
    const json_t *options;
} init_ctx;

typedef struct run_ctx {
    int ref;
    gloss_doc **docs;
    size_t n;
} run_ctx;

/* Takes field of the table at t as a function reference, LUA_NOREF when
 * it is absent. */
static int take_function(lua_State *L, int t, const char *field,
                         const char *script)
{
    int type = lua_getfield(L, t, field);
    if (type == LUA_TNIL) {
        lua_pop(L, 1);
        return LUA_NOREF;
    }
    if (type != LUA_TFUNCTION)
        luaL_error(L, "%s: '%s' must be a function, not a %s", script, field,
                   lua_typename(L, type));
    return luaL_ref(L, LUA_REGISTRYINDEX);
}

static int stage_load(lua_State *L)
{
    load_ctx *c = lua_touserdata(L, 1);
    const char *script = c->chunkname + 1;
    gloss__lua_doc_open(L);
    gloss__lua_match_open(L);
    if (gloss__lua_host_loadfile(L, c->path, c->chunkname) != LUA_OK)
        return lua_error(L);
    lua_call(L, 0, 1);
    if (!lua_istable(L, -1))
        return luaL_error(L, "%s must return a table with a process(doc) "
                             "function, not a %s value", script,
                          luaL_typename(L, -1));
    int t = lua_gettop(L);
    c->process_ref = take_function(L, t, "process", script);
    c->batch_ref = take_function(L, t, "process_batch", script);
    c->init_ref = take_function(L, t, "init", script);
    if (c->process_ref == LUA_NOREF && c->batch_ref == LUA_NOREF)
        return luaL_error(L, "%s must return a table with a process(doc) or "
                             "process_batch(docs) function", script);
    return 0;
}

static int stage_init(lua_State *L)
{
    init_ctx *c = lua_touserdata(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->ref);
    luaL_unref(L, LUA_REGISTRYINDEX, c->ref);
    if (!c->options)
        lua_newtable(L);
    else if (gloss__json_to_lua(L, c->options) < 0)
        return luaL_error(L, "the options are nested too deeply");
    lua_call(L, 1, 0);
    return 0;
}

static int stage_process_one(lua_State *L)
{
    run_ctx *c = lua_touserdata(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->ref);
    gloss__lua_doc_push(L, c->docs[0]);
    lua_call(L, 1, 0);
    return 0;
}

static int stage_process_batch(lua_State *L)
{
    run_ctx *c = lua_touserdata(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->ref);
    lua_createtable(L, c->n < 1u << 20 ? (int)c->n : 1 << 20, 0);
    for (size_t i = 0; i < c->n; i++) {
        gloss__lua_doc_push(L, c->docs[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_call(L, 1, 0);
    return 0;
}

/* The folder of path ("." when it has none), in a new string. */
static char *folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    size_t len = slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(len + 1);
    if (dir) {
        memcpy(dir, path, len);
        dir[len] = '\0';
    }
    return dir;
}

gloss__lua_stage *gloss__lua_stage_new(const gloss__stage_conf *sc,
                                       const gloss__config *cfg, char *err,
                                       size_t errlen)
{
    if (!sc->script) {
        snprintf(err, errlen, "stage '%s': no script given",
                 sc->name ? sc->name : "?");
        return NULL;
    }
    const char *slash = strrchr(sc->script, '/');
    const char *base = slash ? slash + 1 : sc->script;
    const char *name = sc->name ? sc->name : base;

    gloss__lua_stage *st = calloc(1, sizeof(*st));
    char *dir = folder_of(sc->script);
    size_t clen = strlen(base) + 2;
    char *chunkname = malloc(clen);
    if (!st || !dir || !chunkname) {
        snprintf(err, errlen, "stage '%s': out of memory", name);
        goto fail;
    }
    snprintf(chunkname, clen, "@%s", base);
    st->process_ref = st->batch_ref = LUA_NOREF;
    st->host = gloss__lua_host_new(name, dir, cfg ? cfg->script_paths : NULL,
                                   cfg ? cfg->n_script_paths : 0,
                                   sc->max_memory, sc->max_instructions, err,
                                   errlen);
    if (!st->host)
        goto fail;

    load_ctx lc = {sc->script, chunkname, LUA_NOREF, LUA_NOREF, LUA_NOREF};
    if (gloss__lua_host_call(st->host, stage_load, &lc, "load") != GLOSS__LUA_OK) {
        gloss__lua_host_describe(st->host, NULL, 1, err, errlen);
        goto fail;
    }
    st->process_ref = lc.process_ref;
    st->batch_ref = lc.batch_ref;
    if (lc.init_ref != LUA_NOREF) {
        init_ctx ic = {lc.init_ref, sc->options};
        if (gloss__lua_host_call(st->host, stage_init, &ic, "init") !=
            GLOSS__LUA_OK) {
            gloss__lua_host_describe(st->host, "init", 1, err, errlen);
            goto fail;
        }
    }
    free(dir);
    free(chunkname);
    return st;

fail:
    free(dir);
    free(chunkname);
    gloss__lua_stage_destroy(&st);
    return NULL;
}

static void count_failure(gloss__lua_stage *st, gloss__lua_status s)
{
    if (s == GLOSS__LUA_BUDGET)
        st->stats.budget_exceeded++;
    else if (s == GLOSS__LUA_MEMORY)
        st->stats.memory_exceeded++;
}

size_t gloss__lua_stage_process(gloss__lua_stage *st, gloss_doc **docs,
                                size_t n, gloss_err *errs)
{
    char context[320];
    for (size_t i = 0; i < n; i++)
        gloss__err_clear(&errs[i]);
    if (n == 0)
        return 0;

    if (st->batch_ref != LUA_NOREF) {
        run_ctx c = {st->batch_ref, docs, n};
        st->stats.calls++;
        gloss__lua_status s = gloss__lua_host_call(st->host, stage_process_batch,
                                                   &c, "process_batch");
        if (s == GLOSS__LUA_OK)
            return 0;
        count_failure(st, s);
        for (size_t i = 0; i < n; i++) {
            snprintf(context, sizeof context, "document '%.256s', batch of %zu",
                     gloss_doc_id(docs[i]), n);
            gloss__lua_host_describe(st->host, context, 0, errs[i].msg,
                                     sizeof errs[i].msg);
        }
        st->stats.errors += n;
        return n;
    }

    size_t failed = 0;
    run_ctx c = {st->process_ref, NULL, 1};
    for (size_t i = 0; i < n; i++) {
        c.docs = &docs[i];
        st->stats.calls++;
        gloss__lua_status s =
            gloss__lua_host_call(st->host, stage_process_one, &c, "process");
        if (s == GLOSS__LUA_OK)
            continue;
        count_failure(st, s);
        snprintf(context, sizeof context, "document '%.256s'",
                 gloss_doc_id(docs[i]));
        gloss__lua_host_describe(st->host, context, 0, errs[i].msg,
                                 sizeof errs[i].msg);
        failed++;
    }
    st->stats.errors += failed;
    return failed;
}

int gloss__lua_stage_has_batch(const gloss__lua_stage *st)
{
    return st->batch_ref != LUA_NOREF;
}

void gloss__lua_stage_stats(const gloss__lua_stage *st, gloss__lua_stats *out)
{
    *out = st->stats;
    out->memory_used = st->host->mem_used;
    out->memory_peak = st->host->mem_peak;
}

void gloss__lua_stage_destroy(gloss__lua_stage **stp)
{
    if (!stp || !*stp)
        return;
    gloss__lua_host_destroy(&(*stp)->host);
    free(*stp);
    *stp = NULL;
}
