/*
 * lua_doc.h - how a Lua stage sees a document.
 *
 * A document reaches Lua as a userdata handle, never as a copy: fields are
 * read on access, text views point into the document's text, and spans are
 * handles on the engine's own span structs. Handles are only valid during
 * the call that received them; each carries the host's generation and
 * every access checks it, so a handle a script keeps in a global raises an
 * error in a later call instead of touching a freed document. The API is
 * described for stage authors in docs/lua-api.md.
 */
#ifndef GLOSS_LUA_DOC_H
#define GLOSS_LUA_DOC_H

#include <lua.h>

#include "gloss/doc.h"

/* Creates the metatables of document, span and view handles in L. Runs
 * once per state, inside a protected call (it allocates). */
void gloss__lua_doc_open(lua_State *L);

/* Pushes a handle on doc, valid until the current call returns. Runs
 * inside a protected call. */
void gloss__lua_doc_push(lua_State *L, gloss_doc *doc);

/* When the value at idx is a live document, span or text view handle,
 * stores the document's text in *text and the handle's range of it in
 * [*start, *end), and returns 1; returns 0 for any other value. Raises an
 * error for a handle used after its call returned. */
int gloss__lua_doc_text_of(lua_State *L, int idx, const char **text,
                           size_t *start, size_t *end);

#endif
