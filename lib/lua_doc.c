/*
 * lua_doc.c - document, span and text view handles for Lua (see lua_doc.h).
 *
 * Positions follow Lua's string conventions: 1-based, inclusive byte
 * positions, so that what string.find returns on doc.text can be passed
 * straight to doc:add. The engine keeps 0-based, half-open byte ranges;
 * the conversion is first = start + 1, last = end, which makes an empty
 * span at byte offset p the pair (p + 1, p). Every range coming from Lua
 * is checked, and a bad one raises an error that names the positions.
 *
 * A view is a window [start, end) onto the document's text, and every
 * position it takes or returns is a document position, so a match found in
 * a view can be added as a span without arithmetic.
 *
 * Every C function here gets the same upvalues: the three metatables, to
 * tell handles apart by metatable identity (a script cannot forge or swap
 * them: the metatables are hidden behind __metatable), and the methods
 * table of its type, which __index falls back to. A handle starts with its
 * generation; check_handle() compares it with the host's, which changes
 * every time a call returns.
 */
#include "lua_doc.h"

#include <lauxlib.h>
#include <string.h>

#include "doc_internal.h"
#include "lua_host.h"
#include "lua_json.h"
#include "utf8.h"

#define UV_DOC 1
#define UV_SPAN 2
#define UV_VIEW 3
#define UV_METHODS 4

static const char doc_mt_key = 'D';
static const char span_mt_key = 'S';
static const char view_mt_key = 'V';

typedef struct handle {
    uint64_t gen;       /* the host's generation when the handle was made */
    const char *origin; /* the call that made it ("process"), for messages */
} handle;

typedef struct doc_h {
    handle h;
    gloss_doc *doc;
} doc_h;

typedef struct span_h {
    handle h;
    gloss_span *span;
    gloss_layer *layer; /* spans do not know their layer; handles do */
} span_h;

typedef struct view_h {
    handle h;
    gloss_doc *doc;
    size_t start, end;
} view_h;

/* The spans of a layer as they were when a loop started. */
typedef struct span_snapshot {
    handle h;
    gloss_layer *layer;
    size_t n, next;
    gloss_span *spans[];
} span_snapshot;

static const struct {
    const char *type;  /* in "bad argument" messages */
    const char *stale; /* in "used after process() returned" */
} kinds[] = {
    [UV_DOC] = {"document", "document handle"},
    [UV_SPAN] = {"span", "span handle"},
    [UV_VIEW] = {"text view", "text view"},
};

/* ---- handles ---------------------------------------------------------------- */

static void check_live(lua_State *L, const handle *h, const char *stale)
{
    if (h->gen != gloss__lua_host_of(L)->gen)
        luaL_error(L, "%s used after %s() returned", stale, h->origin);
}

static void *check_handle(lua_State *L, int idx, int kind)
{
    void *p = lua_touserdata(L, idx);
    if (p && lua_getmetatable(L, idx)) {
        int same = lua_rawequal(L, -1, lua_upvalueindex(kind));
        lua_pop(L, 1);
        if (same) {
            check_live(L, p, kinds[kind].stale);
            return p;
        }
    }
    luaL_typeerror(L, idx, kinds[kind].type);
    return NULL;
}

#define check_doc(L, i) ((doc_h *)check_handle(L, i, UV_DOC))
#define check_span(L, i) ((span_h *)check_handle(L, i, UV_SPAN))
#define check_view(L, i) ((view_h *)check_handle(L, i, UV_VIEW))

static void push_span(lua_State *L, const handle *from, gloss_span *span,
                      gloss_layer *layer)
{
    span_h *s = lua_newuserdatauv(L, sizeof(*s), 0);
    s->h = *from;
    s->span = span;
    s->layer = layer;
    lua_pushvalue(L, lua_upvalueindex(UV_SPAN));
    lua_setmetatable(L, -2);
}

static void push_view(lua_State *L, const handle *from, gloss_doc *doc,
                      size_t start, size_t end)
{
    view_h *v = lua_newuserdatauv(L, sizeof(*v), 0);
    v->h = *from;
    v->doc = doc;
    v->start = start;
    v->end = end;
    lua_pushvalue(L, lua_upvalueindex(UV_VIEW));
    lua_setmetatable(L, -2);
}

/* ---- values ----------------------------------------------------------------- */

/* Numbers without a fractional part come back as integers, so a count
 * stored as 3 reads back as 3, not 3.0. */
static void push_number(lua_State *L, double d)
{
    lua_Integer i;
    if (lua_numbertointeger(d, &i) && (double)i == d)
        lua_pushinteger(L, i);
    else
        lua_pushnumber(L, d);
}

static void push_value(lua_State *L, const gloss_value *v)
{
    switch (v->type) {
    case GLOSS_VALUE_BOOL:
        lua_pushboolean(L, v->as.boolean);
        break;
    case GLOSS_VALUE_NUMBER:
        push_number(L, v->as.number);
        break;
    case GLOSS_VALUE_STRING:
        lua_pushlstring(L, v->as.string.ptr, v->as.string.len);
        break;
    case GLOSS_VALUE_NULL:
    default:
        lua_pushnil(L);
        break;
    }
}

/* Reads the attribute value at idx. A string value points into the Lua
 * string, which stays on the stack while the document copies it. */
static void to_value(lua_State *L, int idx, gloss_value *out, const char *fname,
                     const char *key)
{
    switch (lua_type(L, idx)) {
    case LUA_TSTRING:
        out->type = GLOSS_VALUE_STRING;
        out->as.string.ptr = lua_tolstring(L, idx, &out->as.string.len);
        return;
    case LUA_TNUMBER:
        out->type = GLOSS_VALUE_NUMBER;
        out->as.number = (double)lua_tonumber(L, idx);
        return;
    case LUA_TBOOLEAN:
        out->type = GLOSS_VALUE_BOOL;
        out->as.boolean = lua_toboolean(L, idx);
        return;
    default:
        luaL_error(L, "%s: attribute '%s' must be a string, number or boolean "
                      "(got %s)", fname, key, luaL_typename(L, idx));
    }
}

/* A string argument that becomes a C string: a NUL inside would silently
 * cut it, so it is refused. */
static const char *check_name(lua_State *L, int idx, const char *fname,
                              const char *what)
{
    size_t len;
    const char *s = luaL_checklstring(L, idx, &len);
    if (strlen(s) != len)
        luaL_error(L, "%s: %s must not contain a NUL byte", fname, what);
    return s;
}

static void push_labels(lua_State *L, const gloss_labels *labels)
{
    size_t n = gloss_labels_count(labels);
    lua_createtable(L, 0, 2);
    for (size_t i = 0; i < n; i++) {
        const char *group, *name;
        double score;
        gloss_labels_at(labels, i, &group, &name, &score);
        if (lua_getfield(L, -1, group) == LUA_TNIL) {
            lua_pop(L, 1);
            lua_createtable(L, 0, 2);
            lua_pushvalue(L, -1);
            lua_setfield(L, -3, group);
        }
        push_number(L, score);
        lua_setfield(L, -2, name);
        lua_pop(L, 1);
    }
}

/* ---- positions -------------------------------------------------------------- */

/*
 * Turns Lua positions first..last into the byte range [*start, *end) of
 * doc's text, which must lie inside the window [lo, hi) (the whole text,
 * or a view) and start and end on character boundaries. window names the
 * window in messages ("the text", "the view").
 */
static void check_range(lua_State *L, const char *fname, const gloss_doc *doc,
                        size_t lo, size_t hi, const char *window,
                        lua_Integer first, lua_Integer last, size_t *start,
                        size_t *end)
{
    if (first < (lua_Integer)lo + 1 || last > (lua_Integer)hi)
        luaL_error(L, "%s: positions %I..%I are outside %s (%I..%I)", fname,
                   first, last, window, (lua_Integer)lo + 1, (lua_Integer)hi);
    if (last < first - 1)
        luaL_error(L, "%s: last position %I comes before first position %I",
                   fname, last, first);
    *start = (size_t)(first - 1);
    *end = (size_t)last;
    if (!gloss__utf8_boundary(doc->text, doc->len, *start))
        luaL_error(L, "%s: position %I is inside a UTF-8 character (positions "
                      "%I..%I)", fname, first, first, last);
    if (!gloss__utf8_boundary(doc->text, doc->len, *end))
        luaL_error(L, "%s: position %I is not the last byte of a UTF-8 "
                      "character (positions %I..%I)", fname, last, first, last);
}

/* ---- documents ------------------------------------------------------------ */

static int doc_index(lua_State *L)
{
    doc_h *d = check_doc(L, 1);
    if (lua_type(L, 2) == LUA_TSTRING) {
        size_t len;
        const char *k = lua_tolstring(L, 2, &len);
        switch (len) {
        case 2:
            if (memcmp(k, "id", 2) == 0) {
                lua_pushstring(L, d->doc->id);
                return 1;
            }
            break;
        case 4:
            /* The text is copied into Lua once per call, then reused. */
            if (memcmp(k, "text", 4) == 0) {
                if (lua_getiuservalue(L, 1, 1) == LUA_TNIL) {
                    lua_pop(L, 1);
                    lua_pushlstring(L, d->doc->text, d->doc->len);
                    lua_pushvalue(L, -1);
                    lua_setiuservalue(L, 1, 1);
                }
                return 1;
            }
            break;
        case 6:
            if (memcmp(k, "source", 6) == 0) {
                lua_pushstring(L, d->doc->source);
                return 1;
            }
            break;
        case 7:
            if (memcmp(k, "dropped", 7) == 0) {
                if (d->doc->dropped)
                    lua_pushstring(L, d->doc->dropped);
                else
                    lua_pushnil(L);
                return 1;
            }
            break;
        default:
            break;
        }
    }
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(UV_METHODS));
    return 1;
}

static int doc_len(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)check_doc(L, 1)->doc->len);
    return 1;
}

static int doc_tostring(lua_State *L)
{
    lua_pushfstring(L, "document '%s'", check_doc(L, 1)->doc->id);
    return 1;
}

static int doc_view(lua_State *L)
{
    doc_h *d = check_doc(L, 1);
    lua_Integer first = luaL_optinteger(L, 2, 1);
    lua_Integer last = luaL_optinteger(L, 3, (lua_Integer)d->doc->len);
    size_t start, end;
    check_range(L, "doc:view", d->doc, 0, d->doc->len, "the text", first, last,
                &start, &end);
    push_view(L, &d->h, d->doc, start, end);
    return 1;
}

static int doc_meta(lua_State *L)
{
    doc_h *d = check_doc(L, 1);
    json_t *meta = d->doc->meta;
    const json_t *v;
    if (lua_isnoneornil(L, 2)) {
        if (!meta) {
            lua_newtable(L);
            return 1;
        }
        v = meta;
    } else {
        const char *key = check_name(L, 2, "doc:meta", "the key");
        v = meta ? json_object_get(meta, key) : NULL;
    }
    if (!v)
        lua_pushnil(L);
    else if (gloss__json_to_lua(L, v) < 0)
        return luaL_error(L, "doc:meta: value nested too deeply");
    return 1;
}

static int doc_set_meta(lua_State *L)
{
    doc_h *d = check_doc(L, 1);
    const char *key = check_name(L, 2, "doc:set_meta", "the key");
    luaL_checkany(L, 3);
    gloss_doc *doc = d->doc;
    if (lua_isnil(L, 3)) {
        if (doc->meta)
            json_object_del(doc->meta, key);
        return 0;
    }
    char err[256];
    json_t *v = gloss__lua_to_json(L, 3, key, err, sizeof err);
    if (!v)
        return luaL_error(L, "doc:set_meta: %s", err);
    if (!doc->meta && !(doc->meta = json_object())) {
        json_decref(v);
        return luaL_error(L, "doc:set_meta: out of memory");
    }
    if (json_object_set_new(doc->meta, key, v) < 0)
        return luaL_error(L, "doc:set_meta: out of memory");
    return 0;
}

static int span_iter(lua_State *L)
{
    span_snapshot *snap = lua_touserdata(L, lua_upvalueindex(UV_METHODS));
    check_live(L, &snap->h, "span iterator");
    while (snap->next < snap->n) {
        gloss_span *span = snap->spans[snap->next++];
        if (!(span->flags_ & GLOSS__SPAN_REMOVED)) {
            push_span(L, &snap->h, span, snap->layer);
            return 1;
        }
    }
    return 0;
}

static int no_spans(lua_State *L)
{
    (void)L;
    return 0;
}

/* The loop walks a copy of the layer's span array taken when it starts:
 * spans added during the loop are not visited, and spans removed during it
 * are skipped when their turn comes, since the engine only flags them. */
static int doc_spans(lua_State *L)
{
    doc_h *d = check_doc(L, 1);
    const char *name = check_name(L, 2, "doc:spans", "the layer name");
    gloss_layer *layer = gloss_doc_layer(d->doc, name, 0);
    if (!layer) {
        lua_pushcfunction(L, no_spans);
        return 1;
    }
    size_t n;
    gloss_span **spans = gloss__layer_raw(layer, &n);
    size_t live = n - layer->removed;
    /* The iterator gets the metatables like every function here, and the
     * snapshot in the place of the methods table. */
    for (int k = UV_DOC; k <= UV_VIEW; k++)
        lua_pushvalue(L, lua_upvalueindex(k));
    span_snapshot *snap =
        lua_newuserdatauv(L, sizeof(*snap) + live * sizeof(gloss_span *), 0);
    snap->h = d->h;
    snap->layer = layer;
    snap->next = 0;
    snap->n = 0;
    for (size_t i = 0; i < n && snap->n < live; i++)
        if (!(spans[i]->flags_ & GLOSS__SPAN_REMOVED))
            snap->spans[snap->n++] = spans[i];
    lua_pushcclosure(L, span_iter, 4);
    return 1;
}

static int doc_count(lua_State *L)
{
    doc_h *d = check_doc(L, 1);
    const char *name = check_name(L, 2, "doc:count", "the layer name");
    gloss_layer *layer = gloss_doc_layer(d->doc, name, 0);
    lua_pushinteger(L, layer ? (lua_Integer)gloss_layer_size(layer) : 0);
    return 1;
}

static int doc_layers(lua_State *L)
{
    doc_h *d = check_doc(L, 1);
    size_t n = gloss_doc_layer_count(d->doc);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, gloss_layer_name(gloss_doc_layer_at(d->doc, i)));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* Checks every attribute before anything is added, so that a bad table
 * leaves no half-made span behind. */
static void check_attrs(lua_State *L, int idx, const char *fname)
{
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_error(L, "%s: attribute names must be strings (got %s)", fname,
                       luaL_typename(L, -2));
        size_t klen;
        const char *key = lua_tolstring(L, -2, &klen);
        if (strlen(key) != klen)
            luaL_error(L, "%s: attribute names must not contain a NUL byte",
                       fname);
        gloss_value v;
        to_value(L, -1, &v, fname, key);
        lua_pop(L, 1);
    }
}

static int doc_add(lua_State *L)
{
    doc_h *d = check_doc(L, 1);
    const char *name = check_name(L, 2, "doc:add", "the layer name");
    lua_Integer first = luaL_checkinteger(L, 3);
    lua_Integer last = luaL_checkinteger(L, 4);
    const char *label = lua_isnoneornil(L, 5)
                            ? NULL
                            : check_name(L, 5, "doc:add", "the label");
    int has_attrs = !lua_isnoneornil(L, 6);
    if (has_attrs) {
        luaL_checktype(L, 6, LUA_TTABLE);
        check_attrs(L, 6, "doc:add");
    }
    gloss_doc *doc = d->doc;
    size_t start, end;
    check_range(L, "doc:add", doc, 0, doc->len, "the text", first, last, &start,
                &end);
    gloss_layer *layer = gloss_doc_layer(doc, name, 1);
    gloss_span *span = layer ? gloss_layer_add(layer, start, end, label) : NULL;
    if (!span)
        return luaL_error(L, "doc:add: out of memory");
    if (has_attrs) {
        lua_pushnil(L);
        while (lua_next(L, 6)) {
            gloss_value v;
            const char *key = lua_tostring(L, -2);
            to_value(L, -1, &v, "doc:add", key);
            if (gloss_span_set(doc, span, key, &v) < 0)
                return luaL_error(L, "doc:add: out of memory");
            lua_pop(L, 1);
        }
    }
    push_span(L, &d->h, span, layer);
    return 1;
}

static int doc_remove(lua_State *L)
{
    doc_h *d = check_doc(L, 1);
    span_h *s = check_span(L, 2);
    if (s->layer->doc != d->doc)
        return luaL_error(L, "doc:remove: the span belongs to another document");
    lua_pushboolean(L, gloss_layer_remove(s->layer, s->span) == 0);
    return 1;
}

static int doc_label(lua_State *L)
{
    doc_h *d = check_doc(L, 1);
    const char *group = check_name(L, 2, "doc:label", "the group");
    const char *name = check_name(L, 3, "doc:label", "the name");
    double score = (double)luaL_optnumber(L, 4, 1.0);
    if (gloss_doc_set_label(d->doc, group, name, score) < 0)
        return luaL_error(L, "doc:label: out of memory");
    return 0;
}

static int doc_labels(lua_State *L)
{
    push_labels(L, gloss_doc_labels(check_doc(L, 1)->doc));
    return 1;
}

static int doc_drop(lua_State *L)
{
    doc_h *d = check_doc(L, 1);
    const char *reason = luaL_optstring(L, 2, NULL);
    if (!reason)
        reason = lua_pushfstring(L, "dropped by stage '%s'",
                                 gloss__lua_host_of(L)->name);
    gloss_doc_drop(d->doc, reason);
    return 0;
}

/* ---- spans ---------------------------------------------------------------- */

static int span_index(lua_State *L)
{
    span_h *s = check_span(L, 1);
    if (lua_type(L, 2) == LUA_TSTRING) {
        size_t len;
        const char *k = lua_tolstring(L, 2, &len);
        if (len == 5 && memcmp(k, "first", 5) == 0) {
            lua_pushinteger(L, (lua_Integer)s->span->start + 1);
            return 1;
        }
        if (len == 4 && memcmp(k, "last", 4) == 0) {
            lua_pushinteger(L, (lua_Integer)s->span->end);
            return 1;
        }
        if (len == 5 && memcmp(k, "label", 5) == 0) {
            if (s->span->label)
                lua_pushstring(L, s->span->label);
            else
                lua_pushnil(L);
            return 1;
        }
        if (len == 5 && memcmp(k, "layer", 5) == 0) {
            lua_pushstring(L, s->layer->name);
            return 1;
        }
    }
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(UV_METHODS));
    return 1;
}

/* Moves a span; the layer is sorted again by its next reader, and loops
 * already running keep their own copy of the order. The range was checked
 * by check_range, so the move cannot fail. */
static void move_span(span_h *s, size_t start, size_t end)
{
    gloss__span_move(s->layer, s->span, start, end);
}

static int span_newindex(lua_State *L)
{
    span_h *s = check_span(L, 1);
    const char *k = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?";
    gloss_doc *doc = s->layer->doc;
    size_t start, end;
    if (strcmp(k, "first") == 0) {
        check_range(L, "span.first", doc, 0, doc->len, "the text",
                    luaL_checkinteger(L, 3), (lua_Integer)s->span->end, &start,
                    &end);
        move_span(s, start, end);
    } else if (strcmp(k, "last") == 0) {
        check_range(L, "span.last", doc, 0, doc->len, "the text",
                    (lua_Integer)s->span->start + 1, luaL_checkinteger(L, 3),
                    &start, &end);
        move_span(s, start, end);
    } else if (strcmp(k, "label") == 0) {
        const char *label =
            lua_isnil(L, 3) ? NULL : check_name(L, 3, "span.label", "the label");
        if (gloss_span_set_label(doc, s->span, label) < 0)
            return luaL_error(L, "span.label: out of memory");
    } else {
        return luaL_error(L, "span: field '%s' cannot be set (first, last and "
                             "label can; use span:set(key, value) for "
                             "attributes)", k);
    }
    return 0;
}

static int span_eq(lua_State *L)
{
    /* Comparing reads no span, so stale handles compare too. */
    span_h *a = lua_touserdata(L, 1), *b = lua_touserdata(L, 2);
    int same = 0;
    if (a && b && lua_getmetatable(L, 1) && lua_getmetatable(L, 2))
        same = lua_rawequal(L, -1, -2) &&
               lua_rawequal(L, -1, lua_upvalueindex(UV_SPAN)) &&
               a->span == b->span;
    lua_pushboolean(L, same);
    return 1;
}

static int span_tostring(lua_State *L)
{
    span_h *s = check_span(L, 1);
    lua_pushfstring(L, "span %s[%I..%I]", s->layer->name,
                    (lua_Integer)s->span->start + 1, (lua_Integer)s->span->end);
    if (s->span->label) {
        lua_pushfstring(L, " '%s'", s->span->label);
        lua_concat(L, 2);
    }
    return 1;
}

static int span_move(lua_State *L)
{
    span_h *s = check_span(L, 1);
    gloss_doc *doc = s->layer->doc;
    size_t start, end;
    check_range(L, "span:move", doc, 0, doc->len, "the text",
                luaL_checkinteger(L, 2), luaL_checkinteger(L, 3), &start, &end);
    move_span(s, start, end);
    return 0;
}

static int span_text(lua_State *L)
{
    span_h *s = check_span(L, 1);
    const gloss_doc *doc = s->layer->doc;
    lua_pushlstring(L, doc->text + s->span->start, s->span->end - s->span->start);
    return 1;
}

static int span_view(lua_State *L)
{
    span_h *s = check_span(L, 1);
    push_view(L, &s->h, s->layer->doc, s->span->start, s->span->end);
    return 1;
}

static int span_attr(lua_State *L)
{
    span_h *s = check_span(L, 1);
    const gloss_value *v = gloss_span_get(s->span, luaL_checkstring(L, 2));
    if (v)
        push_value(L, v);
    else
        lua_pushnil(L);
    return 1;
}

static int span_set(lua_State *L)
{
    span_h *s = check_span(L, 1);
    const char *key = check_name(L, 2, "span:set", "the attribute name");
    gloss_value v;
    to_value(L, 3, &v, "span:set", key);
    if (gloss_span_set(s->layer->doc, s->span, key, &v) < 0)
        return luaL_error(L, "span:set: out of memory");
    return 0;
}

static int span_attrs(lua_State *L)
{
    span_h *s = check_span(L, 1);
    size_t n = gloss_span_attr_count(s->span);
    lua_createtable(L, 0, (int)n);
    for (size_t i = 0; i < n; i++) {
        const gloss_attr *a = gloss_span_attr_at(s->span, i);
        push_value(L, &a->value);
        lua_setfield(L, -2, a->key);
    }
    return 1;
}

static int span_set_label(lua_State *L)
{
    span_h *s = check_span(L, 1);
    const char *group = check_name(L, 2, "span:set_label", "the group");
    const char *name = check_name(L, 3, "span:set_label", "the name");
    double score = (double)luaL_optnumber(L, 4, 1.0);
    if (gloss_span_set_label_score(s->layer->doc, s->span, group, name, score) < 0)
        return luaL_error(L, "span:set_label: out of memory");
    return 0;
}

static int span_labels(lua_State *L)
{
    push_labels(L, gloss_span_labels(check_span(L, 1)->span));
    return 1;
}

/* ---- text views ------------------------------------------------------------- */

static int view_index(lua_State *L)
{
    view_h *v = check_view(L, 1);
    if (lua_type(L, 2) == LUA_TSTRING) {
        size_t len;
        const char *k = lua_tolstring(L, 2, &len);
        if (len == 5 && memcmp(k, "first", 5) == 0) {
            lua_pushinteger(L, (lua_Integer)v->start + 1);
            return 1;
        }
        if (len == 4 && memcmp(k, "last", 4) == 0) {
            lua_pushinteger(L, (lua_Integer)v->end);
            return 1;
        }
    }
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(UV_METHODS));
    return 1;
}

static int view_len(lua_State *L)
{
    view_h *v = check_view(L, 1);
    lua_pushinteger(L, (lua_Integer)(v->end - v->start));
    return 1;
}

static int view_str(lua_State *L)
{
    view_h *v = check_view(L, 1);
    lua_pushlstring(L, v->doc->text + v->start, v->end - v->start);
    return 1;
}

/* "x" .. view and view .. "x" work like strings; other operands fail the
 * way plain concatenation would. */
static int view_concat(lua_State *L)
{
    for (int i = 1; i <= 2; i++) {
        int t = lua_type(L, i);
        if (t == LUA_TSTRING || t == LUA_TNUMBER) {
            lua_pushvalue(L, i);
            continue;
        }
        void *p = lua_touserdata(L, i);
        int is_view = 0;
        if (p && lua_getmetatable(L, i)) {
            is_view = lua_rawequal(L, -1, lua_upvalueindex(UV_VIEW));
            lua_pop(L, 1);
        }
        if (!is_view)
            return luaL_error(L, "attempt to concatenate a %s value",
                              luaL_typename(L, i));
        view_h *v = p;
        check_live(L, &v->h, kinds[UV_VIEW].stale);
        lua_pushlstring(L, v->doc->text + v->start, v->end - v->start);
    }
    lua_concat(L, 2);
    return 1;
}

static int view_sub(lua_State *L)
{
    view_h *v = check_view(L, 1);
    lua_Integer first = luaL_checkinteger(L, 2);
    lua_Integer last = luaL_optinteger(L, 3, (lua_Integer)v->end);
    size_t start, end;
    check_range(L, "view:sub", v->doc, v->start, v->end, "the view", first,
                last, &start, &end);
    push_view(L, &v->h, v->doc, start, end);
    return 1;
}

static int view_byte(lua_State *L)
{
    view_h *v = check_view(L, 1);
    lua_Integer i = luaL_optinteger(L, 2, (lua_Integer)v->start + 1);
    lua_Integer j = luaL_optinteger(L, 3, i);
    if (j < i)
        return 0;
    if (i < (lua_Integer)v->start + 1 || j > (lua_Integer)v->end)
        return luaL_error(L, "view:byte: positions %I..%I are outside the view "
                             "(%I..%I)", i, j, (lua_Integer)v->start + 1,
                          (lua_Integer)v->end);
    if (j - i >= 1000000)
        return luaL_error(L, "view:byte: too many bytes asked for at once");
    int n = (int)(j - i + 1);
    luaL_checkstack(L, n, "view:byte: too many bytes asked for at once");
    const unsigned char *text = (const unsigned char *)v->doc->text;
    for (lua_Integer p = i; p <= j; p++)
        lua_pushinteger(L, text[p - 1]);
    return n;
}

/* A plain (not pattern) search inside the view, from document position
 * init; the match must end inside the view. */
static int view_find(lua_State *L)
{
    view_h *v = check_view(L, 1);
    size_t nlen;
    const char *needle = luaL_checklstring(L, 2, &nlen);
    lua_Integer init = luaL_optinteger(L, 3, (lua_Integer)v->start + 1);
    if (init < (lua_Integer)v->start + 1)
        return luaL_error(L, "view:find: init %I is before the view (%I..%I)",
                          init, (lua_Integer)v->start + 1, (lua_Integer)v->end);
    if (init > (lua_Integer)v->end + 1) {
        lua_pushnil(L);
        return 1;
    }
    size_t from = (size_t)(init - 1);
    const char *hit = nlen == 0 ? v->doc->text + from
                                : memmem(v->doc->text + from, v->end - from,
                                         needle, nlen);
    if (!hit) {
        lua_pushnil(L);
        return 1;
    }
    size_t at = (size_t)(hit - v->doc->text);
    lua_pushinteger(L, (lua_Integer)at + 1);
    lua_pushinteger(L, (lua_Integer)(at + nlen));
    return 2;
}

/* ---- registration ----------------------------------------------------------- */

static const luaL_Reg doc_methods[] = {
    {"view", doc_view},     {"meta", doc_meta},     {"set_meta", doc_set_meta},
    {"spans", doc_spans},   {"count", doc_count},   {"layers", doc_layers},
    {"add", doc_add},       {"remove", doc_remove}, {"label", doc_label},
    {"labels", doc_labels}, {"drop", doc_drop},     {NULL, NULL},
};

static const luaL_Reg doc_metamethods[] = {
    {"__index", doc_index},
    {"__len", doc_len},
    {"__tostring", doc_tostring},
    {NULL, NULL},
};

static const luaL_Reg span_methods[] = {
    {"text", span_text},
    {"view", span_view},
    {"attr", span_attr},
    {"set", span_set},
    {"attrs", span_attrs},
    {"set_label", span_set_label},
    {"labels", span_labels},
    {"move", span_move},
    {NULL, NULL},
};

static const luaL_Reg span_metamethods[] = {
    {"__index", span_index},
    {"__newindex", span_newindex},
    {"__eq", span_eq},
    {"__tostring", span_tostring},
    {NULL, NULL},
};

static const luaL_Reg view_methods[] = {
    {"str", view_str},   {"sub", view_sub}, {"byte", view_byte},
    {"find", view_find}, {NULL, NULL},
};

static const luaL_Reg view_metamethods[] = {
    {"__index", view_index},   {"__len", view_len},
    {"__tostring", view_str},  {"__concat", view_concat},
    {NULL, NULL},
};

/* Fills the metatable at mt (and a new methods table) for one kind of
 * handle; mts is the index of the first of the three metatables. */
static void register_kind(lua_State *L, int mts, int kind,
                          const luaL_Reg *methods, const luaL_Reg *metamethods)
{
    int mt = mts + kind - 1;
    lua_newtable(L);
    int m = lua_gettop(L);
    const luaL_Reg *lists[2] = {methods, metamethods};
    int targets[2] = {m, mt};
    for (int i = 0; i < 2; i++) {
        lua_pushvalue(L, targets[i]);
        for (int k = 0; k < 3; k++)
            lua_pushvalue(L, mts + k);
        lua_pushvalue(L, m);
        luaL_setfuncs(L, lists[i], 4);
        lua_pop(L, 1);
    }
    /* __metatable hides the metatable from getmetatable(), so a script can
     * neither read the C functions out of it nor change how handles work;
     * __name makes messages say "document" rather than "userdata". */
    lua_pushstring(L, kinds[kind].type);
    lua_setfield(L, mt, "__metatable");
    lua_pushstring(L, kinds[kind].type);
    lua_setfield(L, mt, "__name");
    lua_pop(L, 1);
}

void gloss__lua_doc_open(lua_State *L)
{
    int mts = lua_gettop(L) + 1;
    for (int k = 0; k < 3; k++)
        lua_newtable(L);
    register_kind(L, mts, UV_DOC, doc_methods, doc_metamethods);
    register_kind(L, mts, UV_SPAN, span_methods, span_metamethods);
    register_kind(L, mts, UV_VIEW, view_methods, view_metamethods);
    lua_pushvalue(L, mts);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &doc_mt_key);
    lua_pushvalue(L, mts + 1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &span_mt_key);
    lua_pushvalue(L, mts + 2);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &view_mt_key);
    lua_settop(L, mts - 1);
}

void gloss__lua_doc_push(lua_State *L, gloss_doc *doc)
{
    gloss__lua_host *h = gloss__lua_host_of(L);
    doc_h *d = lua_newuserdatauv(L, sizeof(*d), 1);
    d->h.gen = h->gen;
    d->h.origin = h->call_name;
    d->doc = doc;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &doc_mt_key);
    lua_setmetatable(L, -2);
}

/* Whether the value at idx has the metatable stored under key. */
static int has_mt(lua_State *L, int idx, const char *key)
{
    if (!lua_getmetatable(L, idx))
        return 0;
    lua_rawgetp(L, LUA_REGISTRYINDEX, key);
    int same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return same;
}

int gloss__lua_doc_text_of(lua_State *L, int idx, const char **text,
                           size_t *start, size_t *end)
{
    void *p = lua_touserdata(L, idx);
    if (!p)
        return 0;
    if (has_mt(L, idx, &doc_mt_key)) {
        doc_h *d = p;
        check_live(L, &d->h, kinds[UV_DOC].stale);
        *text = d->doc->text;
        *start = 0;
        *end = d->doc->len;
        return 1;
    }
    if (has_mt(L, idx, &span_mt_key)) {
        span_h *s = p;
        check_live(L, &s->h, kinds[UV_SPAN].stale);
        *text = s->layer->doc->text;
        *start = s->span->start;
        *end = s->span->end;
        return 1;
    }
    if (has_mt(L, idx, &view_mt_key)) {
        view_h *v = p;
        check_live(L, &v->h, kinds[UV_VIEW].stale);
        *text = v->doc->text;
        *start = v->start;
        *end = v->end;
        return 1;
    }
    return 0;
}
