/*
 * lua_match.c - gloss.matcher() for Lua stages (see lua_match.h).
 *
 * A script builds a matcher once, at the top level or in init(), from a
 * table of phrases and patterns, and calls m:find(subject) on documents:
 *
 *     local m = gloss.matcher{
 *         case_insensitive = true,
 *         { phrase = "political prisoner", label = "TOPIC", id = "prisoners" },
 *         { phrases = { "torture", "ill-treatment" }, label = "TOPIC",
 *           id = "torture" },
 *         { pattern = [[Article \d+]], label = "LAW" },
 *         { pattern = [[\d{1,2} (?:May|June) \d{4}]], label = "DATE",
 *           triggers = { "May", "June" }, lead = "[0-9 ]" },
 *     }
 *     for _, hit in ipairs(m:find(doc)) do ... hit.first, hit.last ... end
 *
 * It is the C matcher of the `match` stage, so phrases and patterns behave
 * exactly as they do in dictionary and pattern files. The matcher is a
 * userdata whose C finalizer frees the compiled database; it is built
 * inside the userdata so that an error half-way through (a bad pattern)
 * leaks nothing. Its memory is the matcher's own, outside the Lua state,
 * and so not counted against the stage's max_memory.
 */
#include "lua_match.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "lua_doc.h"
#include "match.h"

static const char matcher_mt_key = 'M';

typedef struct matcher_ud {
    gloss__matcher *m;
} matcher_ud;

static int matcher_gc(lua_State *L)
{
    matcher_ud *u = lua_touserdata(L, 1);
    if (u)
        gloss__matcher_destroy(&u->m);
    return 0;
}

static int opt_bool(lua_State *L, int t, const char *key, int def)
{
    int type = lua_getfield(L, t, key);
    int v = def;
    if (type == LUA_TBOOLEAN)
        v = lua_toboolean(L, -1);
    else if (type != LUA_TNIL)
        luaL_error(L, "gloss.matcher: '%s' must be a boolean", key);
    lua_pop(L, 1);
    return v;
}

/* Reads the string field key of the table at t (NULL when absent). The
 * string stays on the stack, which the caller resets. */
static const char *opt_string(lua_State *L, int t, const char *key,
                              lua_Integer item)
{
    int type = lua_getfield(L, t, key);
    if (type == LUA_TNIL)
        return NULL;
    if (type != LUA_TSTRING)
        luaL_error(L, "gloss.matcher: item %I: '%s' must be a string", item,
                   key);
    return lua_tostring(L, -1);
}

#define MAX_ATTRS 32

static void add_item(lua_State *L, gloss__matcher *m, int group, int t,
                     lua_Integer item)
{
    int top = lua_gettop(L);
    if (!lua_istable(L, t))
        luaL_error(L, "gloss.matcher: item %I must be a table", item);
    char where[64];
    snprintf(where, sizeof where, "gloss.matcher: item %lld", (long long)item);
    const char *label = opt_string(L, t, "label", item);
    const char *id = opt_string(L, t, "id", item);
    gloss__match_attr attrs[MAX_ATTRS];
    size_t na = 0;
    if (lua_getfield(L, t, "attrs") == LUA_TTABLE) {
        int a = lua_gettop(L);
        lua_pushnil(L);
        while (lua_next(L, a)) {
            luaL_checkstack(L, 4, "gloss.matcher: too many attributes");
            if (lua_type(L, -2) != LUA_TSTRING || na == MAX_ATTRS)
                luaL_error(L, "%s: 'attrs' must map names to values (at most "
                              "%d)", where, MAX_ATTRS);
            attrs[na].key = lua_tostring(L, -2);
            attrs[na].value = luaL_tolstring(L, -1, NULL);
            na++;
            /* The key stays for lua_next; the value and its string stay
             * on the stack (reachable) until the item is added. */
            lua_pushvalue(L, -3);
        }
    } else if (!lua_isnil(L, -1)) {
        luaL_error(L, "%s: 'attrs' must be a table", where);
    }
    char err[1024];
    const char *pattern = opt_string(L, t, "pattern", item);
    const char *phrase = opt_string(L, t, "phrase", item);
    int rc = 0;
    if (pattern) {
        const char *triggers[64];
        size_t nt = 0;
        if (lua_getfield(L, t, "triggers") == LUA_TTABLE) {
            int tt = lua_gettop(L);
            lua_Integer k = (lua_Integer)lua_rawlen(L, tt);
            if (k > 64)
                luaL_error(L, "%s: more than 64 triggers", where);
            luaL_checkstack(L, (int)k + 2, "gloss.matcher: too many triggers");
            for (lua_Integer i = 1; i <= k; i++) {
                if (lua_rawgeti(L, tt, i) != LUA_TSTRING)
                    luaL_error(L, "%s: 'triggers' must hold strings", where);
                triggers[nt++] = lua_tostring(L, -1);
            }
        } else if (!lua_isnil(L, -1)) {
            luaL_error(L, "%s: 'triggers' must be a list of strings", where);
        }
        const char *lead = opt_string(L, t, "lead", item);
        rc = gloss__matcher_add_pattern(m, group, pattern, label, id, attrs,
                                        na, triggers, nt, lead, where, err,
                                        sizeof err);
    } else if (phrase) {
        rc = gloss__matcher_add_phrase(m, group, phrase, label, id, attrs, na,
                                       where, err, sizeof err);
    } else if (lua_getfield(L, t, "phrases") == LUA_TTABLE) {
        int p = lua_gettop(L);
        lua_Integer n = (lua_Integer)lua_rawlen(L, p);
        for (lua_Integer i = 1; i <= n && rc == 0; i++) {
            if (lua_rawgeti(L, p, i) != LUA_TSTRING)
                luaL_error(L, "%s: 'phrases' must hold strings", where);
            rc = gloss__matcher_add_phrase(m, group, lua_tostring(L, -1),
                                           label, id, attrs, na, where, err,
                                           sizeof err);
            lua_pop(L, 1);
        }
    } else {
        luaL_error(L, "%s: expected 'phrase', 'phrases' or 'pattern'", where);
    }
    if (rc < 0)
        luaL_error(L, "%s", err);
    lua_settop(L, top);
}

static int matcher_new(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    matcher_ud *u = lua_newuserdatauv(L, sizeof(*u), 0);
    u->m = NULL;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &matcher_mt_key);
    lua_setmetatable(L, -2);
    if (!(u->m = gloss__matcher_new()))
        return luaL_error(L, "gloss.matcher: out of memory");

    const char *name = NULL;
    if (lua_getfield(L, 1, "name") == LUA_TSTRING)
        name = lua_tostring(L, -1);
    else if (!lua_isnil(L, -1))
        return luaL_error(L, "gloss.matcher: 'name' must be a string");
    int prio = 0;
    if (lua_getfield(L, 1, "priority") != LUA_TNIL) {
        if (!lua_isinteger(L, -1))
            return luaL_error(L, "gloss.matcher: 'priority' must be an integer");
        prio = (int)lua_tointeger(L, -1);
    }
    lua_pop(L, 1);
    gloss__match_group_opts go = {
        .name = name ? name : "lua",
        .case_insensitive = opt_bool(L, 1, "case_insensitive", 0),
        .diacritics_insensitive = opt_bool(L, 1, "diacritics_insensitive", 1),
        .boundaries = opt_bool(L, 1, "boundaries", 1),
        .priority = prio,
    };
    int group = gloss__matcher_group(u->m, &go);
    if (group < 0)
        return luaL_error(L, "gloss.matcher: out of memory");
    lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, 1, i);
        add_item(L, u->m, group, lua_gettop(L), i);
        lua_pop(L, 1);
    }
    char err[1024];
    if (gloss__matcher_compile(u->m, NULL, err, sizeof err) < 0)
        return luaL_error(L, "gloss.matcher: %s", err);
    lua_pushvalue(L, 2);
    return 1;
}

/* m:find(subject): subject is a string (positions in it) or a document,
 * span or text view (positions in the document). */
static int matcher_find(lua_State *L)
{
    matcher_ud *u = luaL_checkudata(L, 1, "gloss matcher");
    if (!u->m)
        return luaL_error(L, "matcher:find: the matcher was not built");
    const char *text;
    size_t start = 0, end = 0;
    if (lua_type(L, 2) == LUA_TSTRING) {
        text = lua_tolstring(L, 2, &end);
    } else if (!gloss__lua_doc_text_of(L, 2, &text, &start, &end)) {
        return luaL_typeerror(L, 2, "string, document, span or text view");
    }
    const gloss__match *ms;
    char err[512];
    long n = gloss__matcher_scan(u->m, text + start, end - start, &ms, err,
                                 sizeof err);
    if (n < 0)
        return luaL_error(L, "matcher:find: %s", err);
    lua_createtable(L, (int)(n < 1 << 20 ? n : 1 << 20), 0);
    for (long i = 0; i < n; i++) {
        const gloss__match *mt = &ms[i];
        const gloss__match_entry *e = mt->entry;
        lua_createtable(L, 0, 6);
        lua_pushinteger(L, (lua_Integer)(start + mt->start) + 1);
        lua_setfield(L, -2, "first");
        lua_pushinteger(L, (lua_Integer)(start + mt->end));
        lua_setfield(L, -2, "last");
        lua_pushstring(L, e->label);
        lua_setfield(L, -2, "label");
        if (e->id) {
            lua_pushstring(L, e->id);
            lua_setfield(L, -2, "id");
        }
        lua_pushstring(L, e->source);
        lua_setfield(L, -2, "source");
        lua_createtable(L, 0, (int)(e->nattrs + mt->ncaps));
        for (size_t k = 0; k < e->nattrs; k++) {
            lua_pushstring(L, e->attrs[k].value);
            lua_setfield(L, -2, e->attrs[k].key);
        }
        for (size_t k = 0; k < mt->ncaps; k++) {
            lua_pushlstring(L, text + start + mt->caps[k].start,
                            mt->caps[k].end - mt->caps[k].start);
            lua_setfield(L, -2, mt->caps[k].name);
        }
        lua_setfield(L, -2, "attrs");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int matcher_size(lua_State *L)
{
    matcher_ud *u = luaL_checkudata(L, 1, "gloss matcher");
    lua_pushinteger(L, u->m ? (lua_Integer)gloss__matcher_size(u->m) : 0);
    return 1;
}

void gloss__lua_match_open(lua_State *L)
{
    luaL_newmetatable(L, "gloss matcher");
    lua_pushcfunction(L, matcher_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, matcher_size);
    lua_setfield(L, -2, "__len");
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, matcher_find);
    lua_setfield(L, -2, "find");
    lua_setfield(L, -2, "__index");
    lua_pushliteral(L, "matcher");
    lua_setfield(L, -2, "__metatable");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &matcher_mt_key);

    if (lua_getglobal(L, "gloss") != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setglobal(L, "gloss");
    }
    lua_pushcfunction(L, matcher_new);
    lua_setfield(L, -2, "matcher");
    lua_pop(L, 1);
}
