/*
 * lua_host.c - the sandboxed Lua state of a stage (see lua_host.h).
 *
 * Three mechanisms keep a script in its box, and each is built so that a
 * script cannot switch it off from inside:
 *
 * - The allocator counts every byte the state holds. Once the sandbox is
 *   built, growing past the limit is refused, and the refusal is sticky for
 *   the rest of the call: every later growth fails too. Shrinking never
 *   fails, as Lua requires.
 *
 * - The count hook adds up instructions every hook_count instructions.
 *   When the budget runs out it raises an error and re-arms itself to fire
 *   on every instruction. The coroutine library is left out, so all Lua
 *   code runs on the main thread, whose hook the host re-arms before each
 *   call; nothing can run uncounted on another thread.
 *
 *   A limit that ran out cannot be caught: pcall and xpcall pass the error
 *   on once a limit is out, and xpcall's message handlers are skipped (they
 *   would run with hooks disabled). The sticky refusal and the hook firing
 *   on every instruction back this up: whatever the script tries next
 *   fails at once.
 *
 * - The globals hold only base (without dofile and loadfile, with load
 *   forced to text chunks), string (without dump), table, math, utf8 and
 *   os.time/clock/date. require() takes module names made of letters,
 *   digits, '_' and '.', and loads text chunks from the script folders
 *   only. setmetatable() refuses metatables with __gc, since finalizers
 *   would run Lua code outside any call, where no limit is armed, including
 *   while the state is closed. collectgarbage() offers "collect" and
 *   "count" only: stopping or retuning the collector would let one stage's
 *   garbage pile up until its memory limit fails unrelated documents.
 *
 * Every call goes through gloss__lua_host_call(), which runs a C function
 * under lua_pcall. Doing all the work in that C function (pushing the
 * document handle as well as calling the script) means that no allocation,
 * and hence no memory error, ever happens outside a protected call.
 */
#include "lua_host.h"

#include <errno.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Instructions between two runs of the count hook. Every instruction pays
 * for the hook's countdown once a hook is set, so a larger interval only
 * saves the C call; a smaller one bounds how far past its budget a call
 * can run. */
#define HOOK_INTERVAL 1000

/* The longest module name require() accepts. */
#define MODULE_NAME_MAX 200

/* The address of this variable is the registry key of require()'s cache. */
static const char loaded_key = 'L';

/* ---- the allocator -------------------------------------------------------- */

static void *host_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    gloss__lua_host *h = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        h->mem_used -= old;
        return NULL;
    }
    if (nsize > old && h->mem_enforce && h->mem_limit) {
        size_t grow = nsize - old;
        if (h->mem_tripped || grow > SIZE_MAX - h->mem_used ||
            h->mem_used + grow > h->mem_limit) {
            if (!h->mem_tripped && !h->budget_tripped)
                h->first_trip = GLOSS__LUA_MEMORY;
            h->mem_tripped = 1;
            return NULL;
        }
    }
    void *p = realloc(ptr, nsize);
    if (!p)
        return NULL;
    h->mem_used = h->mem_used - old + nsize;
    if (h->mem_used > h->mem_peak)
        h->mem_peak = h->mem_used;
    return p;
}

/* ---- the instruction budget ----------------------------------------------- */

static void count_hook(lua_State *L, lua_Debug *ar)
{
    gloss__lua_host *h = gloss__lua_host_of(L);
    if (!h->budget_tripped) {
        h->used += (uint64_t)lua_gethookcount(L);
        if (h->used < h->budget)
            return;
        if (!h->mem_tripped)
            h->first_trip = GLOSS__LUA_BUDGET;
        h->budget_tripped = 1;
        h->budget_where[0] = '\0';
        if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
            snprintf(h->budget_where, sizeof h->budget_where, "%s:%d: ",
                     ar->short_src, ar->currentline);
        lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
    }
    lua_pushliteral(L, "instruction budget exceeded");
    lua_error(L);
}

/* ---- sandboxed replacements of standard functions ------------------------- */

/* load() with the mode forced to text: a precompiled chunk can break the
 * VM's invariants, so it is refused whatever mode the script asks for. The
 * environment defaults to the globals, which are the sandbox. */
static int sandbox_load(lua_State *L)
{
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    if (n >= 2)
        lua_pushvalue(L, 2);
    else
        lua_pushnil(L);
    lua_pushliteral(L, "t");
    if (n >= 4) {
        lua_pushvalue(L, 4);
        lua_call(L, 4, LUA_MULTRET);
    } else {
        lua_call(L, 3, LUA_MULTRET);
    }
    return lua_gettop(L) - n;
}

/* pcall and xpcall are the only ways a script can catch an error. Once a
 * limit has run out, both pass the error on instead of returning it, so
 * that the call ends whatever the script does. */
static int rethrow_if_tripped(lua_State *L)
{
    gloss__lua_host *h = gloss__lua_host_of(L);
    if (h->budget_tripped || h->mem_tripped) {
        if (lua_toboolean(L, 1))
            lua_pushliteral(L, "limit exceeded");
        else
            lua_pushvalue(L, 2);
        return lua_error(L);
    }
    return lua_gettop(L);
}

static int sandbox_pcall(lua_State *L)
{
    luaL_checkany(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return rethrow_if_tripped(L);
}

/* An error raised from the count hook unwinds with hooks still disabled
 * until it reaches a protected call, and Lua runs xpcall's message handler
 * before that, so a handler that loops would run unchecked forever. Each
 * handler is therefore wrapped: once a limit has run out, the wrapper
 * passes the error on without running the script's handler. */
static int guarded_handler(lua_State *L)
{
    gloss__lua_host *h = gloss__lua_host_of(L);
    if (h->budget_tripped || h->mem_tripped) {
        lua_settop(L, 1);
        return 1;
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int sandbox_xpcall(lua_State *L)
{
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, guarded_handler, 1);
    lua_replace(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return rethrow_if_tripped(L);
}

static int sandbox_setmetatable(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "setmetatable: __gc finalizers are not "
                                 "allowed in a stage");
        lua_pop(L, 1);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int sandbox_collectgarbage(lua_State *L)
{
    const char *opt = luaL_optstring(L, 1, "collect");
    if (strcmp(opt, "collect") == 0) {
        lua_gc(L, LUA_GCCOLLECT);
        lua_pushinteger(L, 0);
        return 1;
    }
    if (strcmp(opt, "count") == 0) {
        int kb = lua_gc(L, LUA_GCCOUNT);
        int rest = lua_gc(L, LUA_GCCOUNTB);
        lua_pushnumber(L, (lua_Number)kb + (lua_Number)rest / 1024);
        return 1;
    }
    return luaL_error(L, "collectgarbage: option '%s' is not allowed in a "
                         "stage (only \"collect\" and \"count\")", opt);
}

/* print() writes one line to standard error, prefixed with the stage, in
 * a single write so that lines of concurrent workers do not interleave. */
static int sandbox_print(lua_State *L)
{
    gloss__lua_host *h = gloss__lua_host_of(L);
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "stage '");
    luaL_addstring(&b, h->name);
    luaL_addstring(&b, "': ");
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_addchar(&b, '\n');
    luaL_pushresult(&b);
    size_t len;
    const char *line = lua_tolstring(L, -1, &len);
    fwrite(line, 1, len, stderr);
    return 0;
}

/* ---- require -------------------------------------------------------------- */

/* A module name is parts of letters, digits and '_' separated by single
 * dots, so that it can only name a file below a script folder. */
static int valid_module_name(const char *name, size_t len)
{
    if (len == 0 || len > MODULE_NAME_MAX || name[0] == '.' ||
        name[len - 1] == '.')
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '_' ||
                 (c == '.' && name[i + 1] != '.');
        if (!ok)
            return 0;
    }
    return 1;
}

static int is_regular_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int sandbox_require(lua_State *L)
{
    gloss__lua_host *h = gloss__lua_host_of(L);
    size_t len;
    const char *name = luaL_checklstring(L, 1, &len);
    lua_settop(L, 1);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &loaded_key);
    lua_pushvalue(L, 1);
    if (lua_rawget(L, 2) != LUA_TNIL)
        return 1;
    lua_pop(L, 1);
    if (!valid_module_name(name, len))
        return luaL_error(L, "require: invalid module name '%s' (use letters, "
                             "digits and '_', with '.' between parts)", name);

    char rel[MODULE_NAME_MAX + 8];
    for (size_t i = 0; i < len; i++)
        rel[i] = name[i] == '.' ? '/' : name[i];
    memcpy(rel + len, ".lua", 5);

    char path[4096];
    size_t i;
    for (i = 0; i < h->npaths; i++) {
        int n = snprintf(path, sizeof path, "%s/%s", h->paths[i], rel);
        if (n > 0 && (size_t)n < sizeof path && is_regular_file(path))
            break;
    }
    if (i == h->npaths) {
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        luaL_where(L, 1);
        luaL_addvalue(&b);
        lua_pushfstring(L, "require: module '%s' not found (looked for %s in ",
                        name, rel);
        luaL_addvalue(&b);
        if (h->npaths == 0)
            luaL_addstring(&b, "no folder");
        for (size_t j = 0; j < h->npaths; j++) {
            if (j > 0)
                luaL_addstring(&b, ", ");
            luaL_addstring(&b, h->paths[j]);
        }
        luaL_addchar(&b, ')');
        luaL_pushresult(&b);
        return lua_error(L);
    }

    lua_pushfstring(L, "@%s", rel);
    int status = gloss__lua_host_loadfile(L, path, lua_tostring(L, -1));
    if (status != LUA_OK) {
        luaL_where(L, 1);
        lua_pushfstring(L, "require: module '%s': %s", name, lua_tostring(L, -2));
        lua_concat(L, 2);
        return lua_error(L);
    }
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, 1);
    lua_pushvalue(L, -2);
    lua_rawset(L, 2);
    return 1;
}

/* ---- building the sandbox ------------------------------------------------- */

/* Replaces global name with a C closure of fn whose upvalue is the
 * original function. */
static void wrap_global(lua_State *L, const char *name, lua_CFunction fn)
{
    lua_getglobal(L, name);
    lua_pushcclosure(L, fn, 1);
    lua_setglobal(L, name);
}

static int build_sandbox(lua_State *L)
{
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base},
        {LUA_STRLIBNAME, luaopen_string},
        {LUA_TABLIBNAME, luaopen_table},
        {LUA_MATHLIBNAME, luaopen_math},
        {LUA_UTF8LIBNAME, luaopen_utf8},
        {NULL, NULL},
    };
    for (const luaL_Reg *lib = libs; lib->name; lib++) {
        luaL_requiref(L, lib->name, lib->func, 1);
        lua_pop(L, 1);
    }

    /* string.dump would hand out bytecode; the string metatable's __index
     * is this same table, so ("").dump goes too. */
    lua_getglobal(L, LUA_STRLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);

    /* os keeps only its clock and calendar functions. */
    luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 0);
    lua_createtable(L, 0, 3);
    static const char *const os_keep[] = {"time", "clock", "date"};
    for (size_t i = 0; i < sizeof os_keep / sizeof *os_keep; i++) {
        lua_getfield(L, -2, os_keep[i]);
        lua_setfield(L, -2, os_keep[i]);
    }
    lua_setglobal(L, LUA_OSLIBNAME);
    lua_pop(L, 1);

    lua_pushnil(L);
    lua_setglobal(L, "dofile");
    lua_pushnil(L);
    lua_setglobal(L, "loadfile");
    wrap_global(L, "load", sandbox_load);
    wrap_global(L, "setmetatable", sandbox_setmetatable);
    wrap_global(L, "pcall", sandbox_pcall);
    wrap_global(L, "xpcall", sandbox_xpcall);
    lua_register(L, "collectgarbage", sandbox_collectgarbage);
    lua_register(L, "print", sandbox_print);
    lua_register(L, "require", sandbox_require);

    /* require()'s cache, holding the libraries under their usual names so
     * that require("string") works as it does in plain Lua. */
    lua_newtable(L);
    static const char *const preloaded[] = {
        LUA_GNAME, LUA_STRLIBNAME, LUA_TABLIBNAME, LUA_MATHLIBNAME,
        LUA_UTF8LIBNAME, LUA_OSLIBNAME,
    };
    for (size_t i = 0; i < sizeof preloaded / sizeof *preloaded; i++) {
        lua_getglobal(L, preloaded[i]);
        lua_setfield(L, -2, preloaded[i]);
    }
    lua_rawsetp(L, LUA_REGISTRYINDEX, &loaded_key);
    return 0;
}

/* An error outside any protected call is a bug in the host; say so before
 * Lua aborts the process. */
static int host_panic(lua_State *L)
{
    const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?";
    fprintf(stderr, "gloss: unprotected Lua error: %s\n", msg);
    return 0;
}

gloss__lua_host *gloss__lua_host_new(const char *name, const char *script_dir,
                                     char *const *paths, size_t npaths,
                                     size_t max_memory,
                                     uint64_t max_instructions, char *err,
                                     size_t errlen)
{
    gloss__lua_host *h = calloc(1, sizeof(*h));
    if (!h)
        goto oom;
    h->name = strdup(name ? name : "lua");
    h->paths = calloc(npaths + 1, sizeof(*h->paths));
    if (!h->name || !h->paths)
        goto oom;
    if (script_dir && !(h->paths[h->npaths++] = strdup(script_dir)))
        goto oom;
    for (size_t i = 0; i < npaths; i++)
        if (!(h->paths[h->npaths++] = strdup(paths[i])))
            goto oom;
    h->mem_limit = max_memory;
    h->budget = max_instructions;
    h->hook_count = max_instructions < HOOK_INTERVAL ? (int)max_instructions
                                                     : HOOK_INTERVAL;

    h->L = lua_newstate(host_alloc, h);
    if (!h->L)
        goto oom;
    *(gloss__lua_host **)lua_getextraspace(h->L) = h;
    lua_atpanic(h->L, host_panic);
    lua_pushcfunction(h->L, build_sandbox);
    if (lua_pcall(h->L, 0, 0, 0) != LUA_OK)
        goto oom;
    h->mem_enforce = 1;
    if (h->budget)
        lua_sethook(h->L, count_hook, LUA_MASKCOUNT, h->hook_count);
    return h;

oom:
    snprintf(err, errlen, "stage '%s': out of memory creating its Lua state",
             name ? name : "lua");
    gloss__lua_host_destroy(&h);
    return NULL;
}

void gloss__lua_host_destroy(gloss__lua_host **hp)
{
    if (!hp || !*hp)
        return;
    gloss__lua_host *h = *hp;
    if (h->L)
        lua_close(h->L);
    for (size_t i = 0; h->paths && i < h->npaths; i++)
        free(h->paths[i]);
    free(h->paths);
    free(h->name);
    free(h);
    *hp = NULL;
}

/* ---- loading files -------------------------------------------------------- */

typedef struct file_reader {
    FILE *f;
    char buf[4096];
} file_reader;

static const char *read_file_chunk(lua_State *L, void *ud, size_t *size)
{
    (void)L;
    file_reader *r = ud;
    *size = fread(r->buf, 1, sizeof r->buf, r->f);
    return *size ? r->buf : NULL;
}

int gloss__lua_host_loadfile(lua_State *L, const char *path,
                             const char *chunkname)
{
    file_reader r;
    r.f = fopen(path, "rb");
    if (!r.f) {
        lua_pushfstring(L, "cannot open %s: %s", path, strerror(errno));
        return LUA_ERRFILE;
    }
    /* lua_load reports errors as a status, never by unwinding, so the file
     * is always closed; the message is pushed only once it is. */
    int status = lua_load(L, read_file_chunk, &r, chunkname, "t");
    int failed = ferror(r.f);
    fclose(r.f);
    if (status == LUA_OK && failed) {
        lua_pop(L, 1);
        lua_pushfstring(L, "cannot read %s", path);
        return LUA_ERRFILE;
    }
    return status;
}

/* ---- the one call helper -------------------------------------------------- */

static int message_handler(lua_State *L)
{
    const char *msg = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1) : NULL;
    if (!msg) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            msg = lua_tostring(L, -1);
        else if (lua_type(L, 1) == LUA_TNUMBER)
            msg = lua_tostring(L, 1);
        else
            msg = lua_pushfstring(L, "(error object is a %s value)",
                                  luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* Keeps the frames of the traceback that point into scripts: C frames and
 * elisions say nothing a stage author can act on. */
static void keep_trace(gloss__lua_host *h, const char *tb)
{
    size_t used = 0, kept = 0;
    while (tb && *tb && kept < 4) {
        const char *end = strchr(tb, '\n');
        size_t len = end ? (size_t)(end - tb) : strlen(tb);
        if (len > 1 && tb[0] == '\t' && strncmp(tb, "\t[C]:", 5) != 0 &&
            strncmp(tb, "\t(...", 5) != 0 && strncmp(tb, "\t...", 4) != 0) {
            int n = snprintf(h->fail_trace + used, sizeof h->fail_trace - used,
                             "\n    %.*s", (int)(len - 1), tb + 1);
            if (n < 0 || (size_t)n >= sizeof h->fail_trace - used)
                break;
            used += (size_t)n;
            kept++;
        }
        tb = end ? end + 1 : NULL;
    }
}

static gloss__lua_status classify(gloss__lua_host *h, int status)
{
    if (h->first_trip == GLOSS__LUA_BUDGET) {
        snprintf(h->fail_body, sizeof h->fail_body,
                 "%sinstruction budget of %llu exceeded", h->budget_where,
                 (unsigned long long)h->budget);
        return GLOSS__LUA_BUDGET;
    }
    if (h->first_trip == GLOSS__LUA_MEMORY) {
        snprintf(h->fail_body, sizeof h->fail_body,
                 "memory limit of %zu bytes exceeded", h->mem_limit);
        return GLOSS__LUA_MEMORY;
    }
    if (status == LUA_ERRMEM) {
        snprintf(h->fail_body, sizeof h->fail_body, "out of memory");
        return GLOSS__LUA_MEMORY;
    }
    lua_State *L = h->L;
    const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
                                                     : "(no error message)";
    const char *tb = strstr(msg, "\nstack traceback:\n");
    size_t len = tb ? (size_t)(tb - msg) : strlen(msg);
    snprintf(h->fail_body, sizeof h->fail_body, "%.*s", (int)len, msg);
    if (tb)
        keep_trace(h, tb + strlen("\nstack traceback:\n"));
    return GLOSS__LUA_ERROR;
}

gloss__lua_status gloss__lua_host_call(gloss__lua_host *h, lua_CFunction fn,
                                       void *ud, const char *call_name)
{
    lua_State *L = h->L;
    int top = lua_gettop(L);
    h->call_name = call_name;
    h->fail_body[0] = '\0';
    h->fail_trace[0] = '\0';
    h->used = 0;
    if (h->budget)
        lua_sethook(L, count_hook, LUA_MASKCOUNT, h->hook_count);

    lua_pushcfunction(L, message_handler);
    lua_pushcfunction(L, fn);
    lua_pushlightuserdata(L, ud);
    int status = lua_pcall(L, 1, 0, top + 1);

    /* Handles made during the call die with it. */
    h->gen++;
    gloss__lua_status result = GLOSS__LUA_OK;
    if (status != LUA_OK)
        result = classify(h, status);
    h->budget_tripped = 0;
    h->mem_tripped = 0;
    h->first_trip = GLOSS__LUA_OK;
    /* Whatever the call did, the stack goes back to where it was. */
    lua_settop(L, top);
    if (result != GLOSS__LUA_OK)
        lua_gc(L, LUA_GCCOLLECT);
    return result;
}

void gloss__lua_host_describe(const gloss__lua_host *h, const char *context,
                              int named, char *out, size_t outlen)
{
    /* A document's error already records its stage, so only messages that
     * leave the pipeline on their own (loading, init) name it. */
    const char *prefix = named ? "stage '" : "";
    const char *name = named ? h->name : "";
    const char *sep = named ? "': " : "";
    if (context)
        snprintf(out, outlen, "%s%s%s%s [%s]%s", prefix, name, sep,
                 h->fail_body, context, h->fail_trace);
    else
        snprintf(out, outlen, "%s%s%s%s%s", prefix, name, sep, h->fail_body,
                 h->fail_trace);
}
