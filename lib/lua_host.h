/*
 * lua_host.h - the sandboxed Lua state behind each Lua stage instance.
 *
 * A host owns one lua_State and everything that keeps a script in its box:
 * an allocator that counts bytes and refuses to grow past the memory limit,
 * a count hook that stops a call past its instruction budget, a global
 * environment holding only safe libraries, and a require() that loads text
 * modules from the configured script folders only. Every call into Lua goes
 * through gloss__lua_host_call(), which runs a C function under lua_pcall
 * with a traceback handler, with the limits armed, and checks that the
 * stack is left as it was found.
 *
 * The host is reachable from any Lua C function through the state's extra
 * space (gloss__lua_host_of), which is how the document bindings read the
 * current handle generation without a registry lookup.
 */
#ifndef GLOSS_LUA_HOST_H
#define GLOSS_LUA_HOST_H

#include <lua.h>
#include <stddef.h>
#include <stdint.h>

/* How a call ended. */
typedef enum gloss__lua_status {
    GLOSS__LUA_OK = 0,
    GLOSS__LUA_ERROR,  /* the script raised an error (or did not load) */
    GLOSS__LUA_BUDGET, /* the instruction budget ran out */
    GLOSS__LUA_MEMORY  /* the memory limit (or memory itself) ran out */
} gloss__lua_status;

typedef struct gloss__lua_host {
    lua_State *L;
    char *name;           /* stage instance name, for messages and print() */

    /* Memory, counted by the allocator. The limit is enforced only once the
     * sandbox is built, so that a small limit fails with a clear message
     * when the script loads instead of making the state impossible. */
    size_t mem_used;
    size_t mem_peak;
    size_t mem_limit;     /* 0 = none */
    int mem_enforce;
    int mem_tripped;      /* the limit refused memory during this call */

    /* Instructions, counted by the hook every hook_count instructions. */
    uint64_t budget;      /* per call; 0 = none */
    uint64_t used;        /* instructions counted in the current call */
    int hook_count;
    int budget_tripped;   /* the budget ran out during this call */
    char budget_where[128]; /* "script.lua:12: " where it ran out */
    gloss__lua_status first_trip; /* which limit ran out first, if any */

    /* Handles given to Lua carry the generation they were made in; the
     * generation changes when a call returns, which retires them. */
    uint64_t gen;
    const char *call_name; /* "process", "init", ...: for stale handles */

    /* Folders require() searches, the stage's own folder first. */
    char **paths;
    size_t npaths;

    /* The last failure, kept until the next call. */
    char fail_body[512];
    char fail_trace[384];
} gloss__lua_host;

/* The host that owns L (or a thread of it). */
static inline gloss__lua_host *gloss__lua_host_of(lua_State *L)
{
    return *(gloss__lua_host **)lua_getextraspace(L);
}

/*
 * Creates a state with the sandboxed globals. name is the stage instance;
 * script_dir is the folder of the stage's script, searched first by
 * require(), then paths (npaths folders). max_memory and max_instructions
 * are the limits (0 = none). Returns NULL with a message in err on failure.
 */
gloss__lua_host *gloss__lua_host_new(const char *name, const char *script_dir,
                                     char *const *paths, size_t npaths,
                                     size_t max_memory,
                                     uint64_t max_instructions, char *err,
                                     size_t errlen);

void gloss__lua_host_destroy(gloss__lua_host **host);

/*
 * Runs fn(ud) in protected mode (ud is passed as a light userdata argument;
 * fn returns nothing). call_name names the call in messages about stale
 * handles ("process"). The budget is reset before the call; after a
 * failure, a full garbage collection returns what the call left behind, so
 * the next call starts clean. On failure, gloss__lua_host_describe() tells
 * what happened.
 */
gloss__lua_status gloss__lua_host_call(gloss__lua_host *host, lua_CFunction fn,
                                       void *ud, const char *call_name);

/*
 * Writes the last failure as "stage 'NAME': BODY [CONTEXT]" followed by a
 * few traceback lines, each on its own line. context may be NULL. Without
 * named, the "stage 'NAME': " prefix is left out: a document's error is
 * recorded with its stage already.
 */
void gloss__lua_host_describe(const gloss__lua_host *host, const char *context,
                              int named, char *out, size_t outlen);

/*
 * Loads the file at path as a text chunk named chunkname ("@x.lua") and
 * pushes it as a function. Returns LUA_OK, or another status with the
 * message pushed instead. Binary chunks are refused. Must run inside a call.
 */
int gloss__lua_host_loadfile(lua_State *L, const char *path,
                             const char *chunkname);

#endif
