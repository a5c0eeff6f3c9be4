/*
 * lua_json.h - converting between Lua values and JSON (jansson) values.
 *
 * Used by the configuration loader (a Lua table becomes the JSON the engine
 * keeps) and by the Lua stage host (options reach init() as a table, meta
 * values cross in both directions). A Lua table with keys 1..n is an array;
 * one with string keys is an object; an empty table is an empty object.
 * Anything else (a function, userdata, a table mixing both kinds of keys, a
 * NaN) is refused with the path of the offending value.
 */
#ifndef GLOSS_LUA_JSON_H
#define GLOSS_LUA_JSON_H

#include <jansson.h>
#include <lua.h>

/*
 * Converts the value at index idx to a new JSON value. path names the
 * value in messages ("pipeline[2].options"). Returns NULL with a message in
 * err on failure. Recursion is bounded; cycles are refused.
 */
json_t *gloss__lua_to_json(lua_State *L, int idx, const char *path, char *err,
                           size_t errlen);

/* Pushes value as a Lua value (null becomes nil). Returns 0, or -1 when the
 * Lua stack cannot grow. */
int gloss__json_to_lua(lua_State *L, const json_t *value);

#endif
