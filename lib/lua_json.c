/*
 * lua_json.c - Lua <-> JSON conversion (see lua_json.h).
 *
 * A table is classified by one pass over its keys: all positive integers
 * forming 1..n make an array, all strings make an object. Depth is capped so
 * that a self-referencing or absurdly nested table ends in an error instead
 * of a C stack overflow.
 */
#include "lua_json.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 64

static json_t *to_json(lua_State *L, int idx, char *path, size_t pathcap,
                       int depth, char *err, size_t errlen);

static json_t *fail(char *err, size_t errlen, const char *path, const char *what)
{
    snprintf(err, errlen, "%s: %s", path, what);
    return NULL;
}

/* Appends ".key" (or "key" at the root) to path in place and returns the
 * old length, so the caller can cut it back. */
static size_t path_push_key(char *path, size_t cap, const char *key)
{
    size_t old = strlen(path);
    snprintf(path + old, cap - old, "%s%s", old ? "." : "", key);
    return old;
}

/* Appends "[i]" to path in place and returns the old length. */
static size_t path_push_index(char *path, size_t cap, long long i)
{
    size_t old = strlen(path);
    snprintf(path + old, cap - old, "[%lld]", i);
    return old;
}

static json_t *table_to_json(lua_State *L, int idx, char *path, size_t pathcap,
                             int depth, char *err, size_t errlen)
{
    if (depth > MAX_DEPTH)
        return fail(err, errlen, path, "nested too deeply (a table that contains itself?)");
    if (!lua_checkstack(L, 4))
        return fail(err, errlen, path, "Lua stack exhausted");
    idx = lua_absindex(L, idx);

    size_t nstr = 0, nint = 0;
    lua_Integer maxint = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TSTRING) {
            nstr++;
        } else if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1) {
            nint++;
            if (lua_tointeger(L, -1) > maxint)
                maxint = lua_tointeger(L, -1);
        } else {
            lua_pop(L, 1);
            return fail(err, errlen, path,
                        "table keys must be strings (an object) or 1..n (a list)");
        }
    }
    if (nstr && nint)
        return fail(err, errlen, path, "table mixes list items and named keys");
    if (nint && (lua_Integer)nint != maxint)
        return fail(err, errlen, path, "list has holes (nil items)");

    if (nint) {
        json_t *arr = json_array();
        if (!arr)
            return fail(err, errlen, path, "out of memory");
        for (lua_Integer i = 1; i <= maxint; i++) {
            lua_rawgeti(L, idx, i);
            size_t old = path_push_index(path, pathcap, (long long)i);
            json_t *v = to_json(L, -1, path, pathcap, depth + 1, err, errlen);
            path[old] = '\0';
            lua_pop(L, 1);
            if (!v || json_array_append_new(arr, v) < 0) {
                json_decref(arr);
                return NULL;
            }
        }
        return arr;
    }

    json_t *obj = json_object();
    if (!obj)
        return fail(err, errlen, path, "out of memory");
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        const char *key = lua_tostring(L, -2);
        size_t old = path_push_key(path, pathcap, key);
        json_t *v = to_json(L, -1, path, pathcap, depth + 1, err, errlen);
        path[old] = '\0';
        lua_pop(L, 1);
        if (!v || json_object_set_new(obj, key, v) < 0) {
            lua_pop(L, 1);
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

static json_t *to_json(lua_State *L, int idx, char *path, size_t pathcap,
                       int depth, char *err, size_t errlen)
{
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        return json_null();
    case LUA_TBOOLEAN:
        return json_boolean(lua_toboolean(L, idx));
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            return json_integer((json_int_t)lua_tointeger(L, idx));
        else {
            double d = lua_tonumber(L, idx);
            if (!isfinite(d))
                return fail(err, errlen, path, "number is not finite");
            return json_real(d);
        }
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        json_t *v = json_stringn(s, len);
        return v ? v : fail(err, errlen, path, "string is not valid UTF-8");
    }
    case LUA_TTABLE:
        return table_to_json(L, idx, path, pathcap, depth, err, errlen);
    default: {
        char what[64];
        snprintf(what, sizeof what, "a %s cannot be stored as JSON",
                 luaL_typename(L, idx));
        return fail(err, errlen, path, what);
    }
    }
}

json_t *gloss__lua_to_json(lua_State *L, int idx, const char *path, char *err,
                           size_t errlen)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", path ? path : "");
    return to_json(L, idx, buf, sizeof buf, 0, err, errlen);
}

int gloss__json_to_lua(lua_State *L, const json_t *value)
{
    if (!lua_checkstack(L, 3))
        return -1;
    switch (json_typeof(value)) {
    case JSON_OBJECT: {
        lua_createtable(L, 0, (int)json_object_size(value));
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)value, key, v) {
            if (gloss__json_to_lua(L, v) < 0)
                return -1;
            lua_setfield(L, -2, key);
        }
        return 0;
    }
    case JSON_ARRAY: {
        lua_createtable(L, (int)json_array_size(value), 0);
        size_t i;
        json_t *v;
        json_array_foreach(value, i, v) {
            if (gloss__json_to_lua(L, v) < 0)
                return -1;
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        return 0;
    }
    case JSON_STRING:
        lua_pushlstring(L, json_string_value(value), json_string_length(value));
        return 0;
    case JSON_INTEGER:
        lua_pushinteger(L, (lua_Integer)json_integer_value(value));
        return 0;
    case JSON_REAL:
        lua_pushnumber(L, json_real_value(value));
        return 0;
    case JSON_TRUE:
        lua_pushboolean(L, 1);
        return 0;
    case JSON_FALSE:
        lua_pushboolean(L, 0);
        return 0;
    case JSON_NULL:
    default:
        lua_pushnil(L);
        return 0;
    }
}
