/*
 * config_eval.c - runs a configuration file in a restricted Lua state (see
 * config_eval.h).
 *
 * The state gets the base library without dofile and loadfile, string,
 * table and math, and an os table holding only getenv, time and date: what
 * a configuration needs to compute values, and nothing that reads files,
 * loads modules or runs programs. load() is kept but only accepts text,
 * because a binary chunk can break the Lua VM's memory safety; print()
 * writes to standard error, so that debugging a configuration cannot
 * corrupt the JSON that `gloss run` writes to standard output.
 *
 * Two limits keep a faulty configuration from hurting the program that
 * loads it. An allocator counts the bytes the state holds and refuses to go
 * past GLOSS__CONFIG_MAX_MEMORY, which Lua reports as a memory error. A
 * count hook runs every HOOK_EVERY instructions and raises an error once
 * the budget is spent, and then on every instruction; it stays installed
 * until the state is closed, so a configuration cannot escape it with
 * pcall or with a finaliser that runs at close. (A single call into C, such as one huge string.rep, is not
 * interrupted by the hook; the memory cap bounds those.)
 *
 * Everything that may raise a Lua error, from opening the libraries to
 * running the chunk, runs inside one lua_pcall, so a failure anywhere
 * unwinds to one place instead of reaching Lua's panic handler.
 */
#include "config_eval.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_json.h"

#define HOOK_EVERY 1000

/* What the allocator and the hook count; the state's allocator userdata. */
typedef struct sandbox {
    size_t used;  /* bytes the state holds now */
    size_t limit; /* bytes it may hold */
    unsigned long long steps;  /* instructions run, to HOOK_EVERY */
    unsigned long long budget; /* instructions it may run */
} sandbox;

/* What run_config() needs; passed as a light userdata. */
typedef struct chunk {
    const char *src;
    size_t len;
    const char *chunkname;
} chunk;

static void *counting_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    sandbox *sb = ud;
    /* With ptr NULL, osize is the kind of object Lua is creating. */
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        sb->used -= old;
        return NULL;
    }
    if (nsize > old && nsize - old > sb->limit - sb->used)
        return NULL;
    void *p = realloc(ptr, nsize);
    if (!p)
        return NULL;
    sb->used = sb->used - old + nsize;
    return p;
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    void *ud;
    lua_getallocf(L, &ud);
    sandbox *sb = ud;
    sb->steps += HOOK_EVERY;
    if (sb->steps > sb->budget) {
        /* From now on every instruction fails, not every thousandth: a
         * loop around pcall would otherwise catch each error and go on,
         * since the next thousandth instruction always falls inside the
         * protected call again. */
        lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
        luaL_error(L, "the configuration ran more than %I Lua instructions "
                   "(an endless loop?)", (lua_Integer)sb->budget);
    }
}

/* load(chunk [, chunkname [, mode [, env]]]) with the mode forced to text.
 * The number of arguments is kept, because load() tells an absent env
 * (use the globals) from an explicit nil. */
static int load_text(lua_State *L)
{
    int n = lua_gettop(L);
    if (n < 3) {
        lua_settop(L, 3);
        n = 3;
    }
    lua_pushliteral(L, "t");
    lua_replace(L, 3);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    return lua_gettop(L);
}

static int print_stderr(lua_State *L)
{
    int n = lua_gettop(L);
    for (int i = 1; i <= n; i++) {
        size_t len;
        const char *s = luaL_tolstring(L, i, &len);
        if (i > 1)
            fputc('\t', stderr);
        fwrite(s, 1, len, stderr);
        lua_pop(L, 1);
    }
    fputc('\n', stderr);
    return 0;
}

static void open_libs(lua_State *L)
{
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base},
        {LUA_STRLIBNAME, luaopen_string},
        {LUA_TABLIBNAME, luaopen_table},
        {LUA_MATHLIBNAME, luaopen_math},
    };
    for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
        luaL_requiref(L, libs[i].name, libs[i].func, 1);
        lua_pop(L, 1);
    }

    lua_pushnil(L);
    lua_setglobal(L, "dofile");
    lua_pushnil(L);
    lua_setglobal(L, "loadfile");
    lua_getglobal(L, "load");
    lua_pushcclosure(L, load_text, 1);
    lua_setglobal(L, "load");
    lua_pushcfunction(L, print_stderr);
    lua_setglobal(L, "print");

    /* The full os library is built but never made global: only the three
     * functions that read the environment and the clock are copied out. */
    static const char *const os_keep[] = {"getenv", "time", "date"};
    lua_pushcfunction(L, luaopen_os);
    lua_call(L, 0, 1);
    lua_createtable(L, 0, 3);
    for (size_t i = 0; i < sizeof os_keep / sizeof os_keep[0]; i++) {
        lua_getfield(L, -2, os_keep[i]);
        lua_setfield(L, -2, os_keep[i]);
    }
    lua_setglobal(L, LUA_OSLIBNAME);
    lua_pop(L, 1);
}

/* The protected part: libraries, loading, running. Returns the chunk's
 * first result. */
static int run_config(lua_State *L)
{
    const chunk *c = lua_touserdata(L, 1);
    lua_settop(L, 0);
    open_libs(L);
    if (luaL_loadbufferx(L, c->src, c->len, c->chunkname, "t") != LUA_OK)
        return lua_error(L);
    lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
    lua_call(L, 0, 1);
    return 1;
}

/* Writes the error at the top of the stack, making sure it starts with the
 * file's name: Lua shortens long names in positions ("...conf.lua:3:"), and
 * errors raised with level 0 carry no position at all. */
static void report(lua_State *L, int status, const char *name, char *err,
                   size_t errlen)
{
    if (status == LUA_ERRMEM) {
        snprintf(err, errlen, "%s: the configuration needs more than %zu MiB "
                 "of memory", name, GLOSS__CONFIG_MAX_MEMORY >> 20);
        return;
    }
    const char *msg = NULL;
    if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER)
        msg = lua_tostring(L, -1);
    if (!msg) {
        snprintf(err, errlen, "%s: the configuration raised an error that is "
                 "not a message (a %s)", name, luaL_typename(L, -1));
        return;
    }
    size_t nlen = strlen(name);
    if (strncmp(msg, name, nlen) == 0 && msg[nlen] == ':')
        snprintf(err, errlen, "%s", msg);
    else
        snprintf(err, errlen, "%s: %s", name, msg);
}

/* Converts the returned value at the top of the stack. */
static json_t *result(lua_State *L, const char *name, char *err, size_t errlen)
{
    if (!lua_istable(L, -1)) {
        snprintf(err, errlen, "%s: the configuration must return a table "
                 "(end it with `return { ... }`), but it returned %s", name,
                 lua_isnil(L, -1) ? "nothing" : luaL_typename(L, -1));
        return NULL;
    }
    char msg[512];
    json_t *top = gloss__lua_to_json(L, -1, "", msg, sizeof msg);
    if (!top) {
        /* A problem with the returned table itself has an empty path. */
        const char *what = strncmp(msg, ": ", 2) == 0 ? msg + 2 : msg;
        snprintf(err, errlen, "%s: %s", name, what);
        return NULL;
    }
    if (!json_is_object(top) && json_array_size(top) > 0) {
        snprintf(err, errlen, "%s: the configuration must return a table of "
                 "named keys (such as `pipeline = ...`), but it returned a "
                 "list", name);
        json_decref(top);
        return NULL;
    }
    return top;
}

json_t *gloss__config_eval(const char *src, size_t len, const char *name,
                           char *err, size_t errlen)
{
    sandbox sb = {0, GLOSS__CONFIG_MAX_MEMORY, 0, GLOSS__CONFIG_MAX_INSTRUCTIONS};
    lua_State *L = lua_newstate(counting_alloc, &sb);
    if (!L) {
        snprintf(err, errlen, "%s: out of memory", name);
        return NULL;
    }

    size_t nlen = strlen(name);
    char *chunkname = malloc(nlen + 2);
    if (!chunkname) {
        lua_close(L);
        snprintf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    chunkname[0] = '@';
    memcpy(chunkname + 1, name, nlen + 1);

    chunk c = {src, len, chunkname};
    json_t *top = NULL;
    lua_pushcfunction(L, run_config);
    lua_pushlightuserdata(L, &c);
    int status = lua_pcall(L, 1, 1, 0);
    if (status != LUA_OK)
        report(L, status, name, err, errlen);
    else
        top = result(L, name, err, errlen);
    lua_close(L);
    free(chunkname);
    return top;
}
