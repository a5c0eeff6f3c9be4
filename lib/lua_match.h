/*
 * lua_match.h - gloss.matcher() for Lua stages: the matcher of the
 * `match` stage (lib/match.h), built from a table (see docs/lua-api.md).
 */
#ifndef GLOSS_LUA_MATCH_H
#define GLOSS_LUA_MATCH_H

#include <lua.h>

/* Creates the global table `gloss` (if absent) and its function matcher.
 * Runs once per state, inside a protected call (it allocates). */
void gloss__lua_match_open(lua_State *L);

#endif
