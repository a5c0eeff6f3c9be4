/*
 * doc.c - the document model: text, metadata, layers, labels (see doc.h).
 *
 * Everything a document allocates comes from its arena, except two things
 * that must be able to grow without leaving dead copies behind: the intern
 * table (malloc'd, rebuilt on growth) and the metadata (a jansson object,
 * since meta is arbitrary JSON that stages read and write by key).
 *
 * Layers keep an array of span pointers. Appending in text order keeps the
 * array sorted at no cost; an out-of-order append clears the sorted flag and
 * the next reader sorts, so a stage that adds spans backwards costs
 * O(n log n) rather than O(n^2). Removal flags the span and the next reader
 * compacts the array. Span structs never move, which is what lets Lua hold a
 * handle to a span while the layer changes around it.
 */
#include "doc_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* ---- interning --------------------------------------------------------- */

static uint32_t fnv1a(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

static int intern_grow(gloss_doc *doc)
{
    size_t cap = doc->intern_cap ? doc->intern_cap * 2 : 64;
    gloss__intern_slot *slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return -1;
    for (size_t i = 0; i < doc->intern_cap; i++) {
        gloss__intern_slot *old = &doc->intern[i];
        if (!old->str)
            continue;
        size_t j = old->hash & (cap - 1);
        while (slots[j].str)
            j = (j + 1) & (cap - 1);
        slots[j] = *old;
    }
    free(doc->intern);
    doc->intern = slots;
    doc->intern_cap = cap;
    return 0;
}

const char *gloss_doc_intern(gloss_doc *doc, const char *s, size_t len)
{
    if (len > UINT32_MAX)
        return NULL;
    if ((doc->intern_n + 1) * 4 > doc->intern_cap * 3 && intern_grow(doc) < 0)
        return NULL;
    uint32_t h = fnv1a(s, len);
    size_t mask = doc->intern_cap - 1;
    size_t j = h & mask;
    while (doc->intern[j].str) {
        gloss__intern_slot *slot = &doc->intern[j];
        if (slot->hash == h && slot->len == len && memcmp(slot->str, s, len) == 0)
            return slot->str;
        j = (j + 1) & mask;
    }
    char *copy = gloss_doc_strndup(doc, s, len);
    if (!copy)
        return NULL;
    doc->intern[j].str = copy;
    doc->intern[j].len = (uint32_t)len;
    doc->intern[j].hash = h;
    doc->intern_n++;
    return copy;
}

static const char *intern_cstr(gloss_doc *doc, const char *s)
{
    return s ? gloss_doc_intern(doc, s, strlen(s)) : NULL;
}

/* ---- life cycle ----------------------------------------------------------- */

void *gloss_doc_alloc(gloss_doc *doc, size_t size)
{
    return gloss__arena_alloc(&doc->arena, size);
}

char *gloss_doc_strndup(gloss_doc *doc, const char *s, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *p = gloss__arena_alloc(&doc->arena, len + 1);
    if (!p)
        return NULL;
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

gloss_doc *gloss_doc_new(const char *id, const char *source, const char *text,
                         size_t len)
{
    if (len > GLOSS_DOC_MAX_TEXT) {
        errno = EFBIG;
        return NULL;
    }
    gloss_doc *doc = calloc(1, sizeof(*doc));
    if (!doc)
        return NULL;
    /* One first chunk sized for the text and a comfortable share of spans
     * makes a typical document a single malloc. */
    gloss__arena_init(&doc->arena, len + len / 2 + 4096);
    doc->id = gloss_doc_strndup(doc, id ? id : "", id ? strlen(id) : 0);
    doc->source = gloss_doc_strndup(doc, source ? source : "",
                                    source ? strlen(source) : 0);
    doc->text = gloss_doc_strndup(doc, text ? text : "", text ? len : 0);
    if (!doc->id || !doc->source || !doc->text) {
        gloss_doc_destroy(&doc);
        errno = ENOMEM;
        return NULL;
    }
    doc->len = text ? len : 0;
    doc->original = doc->text;
    doc->original_len = doc->len;
    return doc;
}

void gloss_doc_destroy(gloss_doc **docp)
{
    if (!docp || !*docp)
        return;
    gloss_doc *doc = *docp;
    json_decref(doc->meta);
    free(doc->intern);
    gloss__arena_free(&doc->arena);
    free(doc);
    *docp = NULL;
}

const char *gloss_doc_id(const gloss_doc *doc) { return doc->id; }
const char *gloss_doc_source(const gloss_doc *doc) { return doc->source; }

const char *gloss_doc_text(const gloss_doc *doc, size_t *len)
{
    if (len)
        *len = doc->len;
    return doc->text;
}

const char *gloss_doc_original(const gloss_doc *doc, size_t *len)
{
    if (len)
        *len = doc->original_len;
    return doc->original;
}

static size_t live_spans(const gloss_layer *layer)
{
    return layer->n - layer->removed;
}

/* ---- replacing the text and the offset map ------------------------------ */

/*
 * The map is kept as corresponding points with both ends written out (see
 * gloss_offset_map_entry in doc.h). Translating an offset is a binary
 * search for the stretch that holds it; composing a new replacement with
 * the map walks both lists once, so every replacement costs time linear in
 * the two maps, whatever the size of the text.
 */

/* The index of the last point whose new_start is <= x (there is one: the
 * first point is {0, 0}). */
static size_t last_at_or_before(const gloss_offset_map_entry *m, size_t n,
                                size_t x)
{
    size_t lo = 0, hi = n;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (m[mid].new_start <= x)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* The index of the first point whose new_start is >= x, or n. */
static size_t first_at_or_after(const gloss_offset_map_entry *m, size_t n,
                                size_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m[mid].new_start < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* x translated through stretch i: exact in a stretch of equal sides,
 * clamped into the old side of one that was replaced. */
static size_t through(const gloss_offset_map_entry *m, size_t n, size_t i,
                      size_t x)
{
    size_t d = x - m[i].new_start;
    if (i + 1 < n && d > m[i + 1].old_start - m[i].old_start)
        d = m[i + 1].old_start - m[i].old_start;
    return m[i].old_start + d;
}

static size_t map_start(const gloss_offset_map_entry *m, size_t n, size_t x)
{
    return through(m, n, last_at_or_before(m, n, x), x);
}

static size_t map_end(const gloss_offset_map_entry *m, size_t n, size_t x)
{
    size_t k = first_at_or_after(m, n, x);
    if (k < n && m[k].new_start == x)
        return m[k].old_start;
    return through(m, n, k - 1, x);
}

size_t gloss_doc_original_offset(const gloss_doc *doc, size_t offset)
{
    return doc->map ? map_start(doc->map, doc->nmap, offset) : offset;
}

size_t gloss_doc_original_end(const gloss_doc *doc, size_t offset)
{
    return doc->map ? map_end(doc->map, doc->nmap, offset) : offset;
}

size_t gloss_doc_offset_map(const gloss_doc *doc,
                            const gloss_offset_map_entry **map)
{
    *map = doc->map;
    return doc->map ? doc->nmap : 0;
}

/* Appends a point to r, skipping a repeat of the last one and merging a
 * point that only continues a stretch of equal sides, so that the
 * composed map stays as small as the changes it describes. */
static void push_point(gloss_offset_map_entry *r, size_t *nr, size_t nw,
                       size_t old)
{
    size_t k = *nr;
    if (k && r[k - 1].new_start == nw && r[k - 1].old_start == old)
        return;
    if (gloss__map_extends(r, k, nw, old)) {
        r[k - 1].new_start = nw;
        r[k - 1].old_start = old;
        return;
    }
    r[k].new_start = nw;
    r[k].old_start = old;
    *nr = k + 1;
}

/*
 * Composes q (new text to the current text, both end points written out)
 * with p (the current text to the original) into a fresh array of the
 * document. Each point of q goes through p on both sides of any deletion
 * p records there; inside a stretch of q with equal sides, p's own points
 * come through shifted, since that stretch is the current text unchanged.
 */
static gloss_offset_map_entry *compose(gloss_doc *doc,
                                       const gloss_offset_map_entry *p,
                                       size_t np,
                                       const gloss_offset_map_entry *q,
                                       size_t nq, size_t *nout)
{
    if (np > SIZE_MAX / sizeof(*p) - 2 * nq)
        return NULL;
    gloss_offset_map_entry *r = gloss_doc_alloc(doc, (np + 2 * nq) * sizeof(*r));
    if (!r)
        return NULL;
    size_t nr = 0, j = 0;
    if (!doc->map) {
        /* p is the identity ({0, 0} to the text's end), through which
         * every point of q comes out as it is and none of p's comes in
         * between: q with the merging rule applied, without the two
         * binary searches a point, which were most of the cost of
         * replacing the text of a document seen for the first time. */
        for (size_t i = 0; i < nq; i++)
            push_point(r, &nr, q[i].new_start, q[i].old_start);
        *nout = nr;
        return r;
    }
    for (size_t i = 0; i < nq; i++) {
        size_t nw = q[i].new_start, t = q[i].old_start;
        push_point(r, &nr, nw, map_end(p, np, t));
        push_point(r, &nr, nw, map_start(p, np, t));
        if (i + 1 == nq)
            break;
        size_t nw2 = q[i + 1].new_start, t2 = q[i + 1].old_start;
        if (nw2 - nw != t2 - t || nw2 == nw)
            continue;
        while (j < np && p[j].new_start <= t)
            j++;
        for (; j < np && p[j].new_start < t2; j++)
            push_point(r, &nr, nw + (p[j].new_start - t), p[j].old_start);
    }
    *nout = nr;
    return r;
}

/* Checks that the text may be replaced and copies it into the document;
 * returns the copy, or NULL with errno set. */
static char *replaceable_copy(gloss_doc *doc, const char *text, size_t len)
{
    for (size_t i = 0; i < doc->nlayers; i++) {
        if (live_spans(doc->layers[i]) > 0) {
            errno = EBUSY;
            return NULL;
        }
    }
    if (len > GLOSS_DOC_MAX_TEXT) {
        errno = EFBIG;
        return NULL;
    }
    char *copy = gloss_doc_strndup(doc, text, len);
    if (!copy)
        errno = ENOMEM;
    return copy;
}

int gloss_doc_set_text_mapped(gloss_doc *doc, const char *text, size_t len,
                              const gloss_offset_map_entry *map, size_t n)
{
    size_t prev_n = 0, prev_o = 0;
    for (size_t i = 0; i < n; i++) {
        if (map[i].new_start < prev_n || map[i].old_start < prev_o ||
            map[i].new_start > len || map[i].old_start > doc->len) {
            errno = EINVAL;
            return -1;
        }
        prev_n = map[i].new_start;
        prev_o = map[i].old_start;
    }
    if (n > (SIZE_MAX / sizeof(*map)) / 2 - 2) {
        errno = ENOMEM;
        return -1;
    }
    /* The given points with both ends written out. */
    char *copy = replaceable_copy(doc, text, len);
    if (!copy)
        return -1;
    gloss_offset_map_entry *q = malloc((n + 2) * sizeof(*q));
    if (!q) {
        errno = ENOMEM;
        return -1;
    }
    size_t nq = 0;
    if (n == 0 || map[0].new_start != 0 || map[0].old_start != 0)
        q[nq++] = (gloss_offset_map_entry){0, 0};
    if (n)
        memcpy(q + nq, map, n * sizeof(*q));
    nq += n;
    if (q[nq - 1].new_start != len || q[nq - 1].old_start != doc->len)
        q[nq++] = (gloss_offset_map_entry){len, doc->len};

    gloss_offset_map_entry ident[2] = {{0, 0}, {doc->len, doc->len}};
    const gloss_offset_map_entry *p = doc->map ? doc->map : ident;
    size_t np = doc->map ? doc->nmap : 2, nr = 0;
    gloss_offset_map_entry *r = compose(doc, p, np, q, nq, &nr);
    free(q);
    if (!r) {
        errno = ENOMEM;
        return -1;
    }
    doc->text = copy;
    doc->len = len;
    doc->text_utf8 = 0;
    doc->map = r;
    doc->nmap = nr;
    return 0;
}

int gloss_doc_set_text(gloss_doc *doc, const char *text, size_t len)
{
    return gloss_doc_set_text_mapped(doc, text, len, NULL, 0);
}

int gloss__doc_text_utf8(gloss_doc *doc)
{
    if (!doc->text_utf8)
        doc->text_utf8 = gloss__utf8_valid_prefix(doc->text, doc->len) == doc->len;
    return doc->text_utf8;
}

void gloss__doc_set_text_utf8(gloss_doc *doc)
{
    doc->text_utf8 = 1;
}

/* ---- metadata ------------------------------------------------------------ */

static json_t *meta_object(gloss_doc *doc)
{
    if (!doc->meta)
        doc->meta = json_object();
    return doc->meta;
}

static int meta_set(gloss_doc *doc, const char *key, json_t *value)
{
    json_t *obj = meta_object(doc);
    if (!obj || !value) {
        json_decref(value);
        return -1;
    }
    return json_object_set_new(obj, key, value) == 0 ? 0 : -1;
}

int gloss_doc_meta_set_string(gloss_doc *doc, const char *key, const char *value)
{
    return meta_set(doc, key, json_string(value));
}

int gloss_doc_meta_set_number(gloss_doc *doc, const char *key, double value)
{
    return meta_set(doc, key, json_real(value));
}

int gloss_doc_meta_set_bool(gloss_doc *doc, const char *key, int value)
{
    return meta_set(doc, key, json_boolean(value));
}

int gloss_doc_meta_set_json(gloss_doc *doc, const char *key, const char *json)
{
    json_error_t e;
    json_t *v = json_loads(json, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
    if (!v)
        return -1;
    if (!key) {
        /* Replacing the whole object: it must be an object. */
        if (!json_is_object(v)) {
            json_decref(v);
            return -1;
        }
        json_decref(doc->meta);
        doc->meta = v;
        return 0;
    }
    return meta_set(doc, key, v);
}

int gloss_doc_meta_remove(gloss_doc *doc, const char *key)
{
    if (!doc->meta)
        return -1;
    return json_object_del(doc->meta, key) == 0 ? 0 : -1;
}

const char *gloss_doc_meta_string(const gloss_doc *doc, const char *key)
{
    if (!doc->meta)
        return NULL;
    return json_string_value(json_object_get(doc->meta, key));
}

int gloss_doc_meta_number(const gloss_doc *doc, const char *key, double *out)
{
    json_t *v = doc->meta ? json_object_get(doc->meta, key) : NULL;
    if (!json_is_number(v))
        return -1;
    *out = json_number_value(v);
    return 0;
}

char *gloss_doc_meta_json(const gloss_doc *doc, const char *key)
{
    const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER;
    if (!key)
        return doc->meta ? json_dumps(doc->meta, flags) : strdup("{}");
    json_t *v = doc->meta ? json_object_get(doc->meta, key) : NULL;
    return v ? json_dumps(v, flags) : NULL;
}

/* ---- layers ------------------------------------------------------------- */

gloss_layer *gloss_doc_layer(gloss_doc *doc, const char *name, int create)
{
    for (size_t i = 0; i < doc->nlayers; i++)
        if (strcmp(doc->layers[i]->name, name) == 0)
            return doc->layers[i];
    if (!create)
        return NULL;
    if (doc->nlayers == doc->caplayers) {
        size_t cap = doc->caplayers ? doc->caplayers * 2 : 8;
        gloss_layer **grown = gloss__arena_grow(&doc->arena, doc->layers,
                                                doc->nlayers * sizeof(*grown),
                                                cap * sizeof(*grown));
        if (!grown)
            return NULL;
        doc->layers = grown;
        doc->caplayers = cap;
    }
    gloss_layer *layer = gloss_doc_alloc(doc, sizeof(*layer));
    if (!layer)
        return NULL;
    memset(layer, 0, sizeof(*layer));
    layer->doc = doc;
    layer->name = intern_cstr(doc, name);
    layer->sorted = 1;
    if (!layer->name)
        return NULL;
    doc->layers[doc->nlayers++] = layer;
    return layer;
}

size_t gloss_doc_layer_count(const gloss_doc *doc) { return doc->nlayers; }

gloss_layer *gloss_doc_layer_at(const gloss_doc *doc, size_t i)
{
    return i < doc->nlayers ? doc->layers[i] : NULL;
}

const char *gloss_layer_name(const gloss_layer *layer) { return layer->name; }

/* The layer order: start ascending, end descending (the enclosing span
 * first), then insertion order, which makes it total and the sort stable. */
static int span_cmp(const gloss_span *a, const gloss_span *b)
{
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->end != b->end)
        return a->end > b->end ? -1 : 1;
    if (a->seq_ != b->seq_)
        return a->seq_ < b->seq_ ? -1 : 1;
    return 0;
}

static int span_qsort_cmp(const void *a, const void *b)
{
    return span_cmp(*(gloss_span *const *)a, *(gloss_span *const *)b);
}

gloss_span **gloss__layer_raw(gloss_layer *layer, size_t *n)
{
    if (!layer->sorted) {
        qsort(layer->spans, layer->n, sizeof(*layer->spans), span_qsort_cmp);
        layer->sorted = 1;
    }
    *n = layer->n;
    return layer->spans;
}

static void layer_settle(gloss_layer *layer)
{
    size_t n;
    gloss__layer_raw(layer, &n);
    if (layer->removed == 0)
        return;
    size_t w = 0;
    for (size_t r = 0; r < layer->n; r++)
        if (!(layer->spans[r]->flags_ & GLOSS__SPAN_REMOVED))
            layer->spans[w++] = layer->spans[r];
    layer->n = w;
    layer->removed = 0;
}

size_t gloss_layer_size(gloss_layer *layer)
{
    layer_settle(layer);
    return layer->n;
}

gloss_span *gloss_layer_span(gloss_layer *layer, size_t i)
{
    layer_settle(layer);
    return i < layer->n ? layer->spans[i] : NULL;
}

static int span_fits(const gloss_doc *doc, size_t start, size_t end)
{
    return start <= end && end <= doc->len &&
           gloss__utf8_boundary(doc->text, doc->len, start) &&
           gloss__utf8_boundary(doc->text, doc->len, end);
}

int gloss__span_move(gloss_layer *layer, gloss_span *span, size_t start,
                     size_t end)
{
    if (!span_fits(layer->doc, start, end)) {
        errno = EINVAL;
        return -1;
    }
    span->start = (uint32_t)start;
    span->end = (uint32_t)end;
    layer->sorted = 0;
    return 0;
}

/* Adds a span whose label is interned already (or NULL). */
static gloss_span *add_span(gloss_layer *layer, size_t start, size_t end,
                            const char *interned);

gloss_span *gloss_layer_add(gloss_layer *layer, size_t start, size_t end,
                            const char *label)
{
    const char *interned = NULL;
    if (label && !(interned = intern_cstr(layer->doc, label))) {
        errno = ENOMEM;
        return NULL;
    }
    return add_span(layer, start, end, interned);
}

gloss_span *gloss__layer_add_interned(gloss_layer *layer, size_t start,
                                      size_t end, const char *label)
{
    return add_span(layer, start, end, label);
}

static gloss_span *add_span(gloss_layer *layer, size_t start, size_t end,
                            const char *interned)
{
    gloss_doc *doc = layer->doc;
    if (!span_fits(doc, start, end)) {
        errno = EINVAL;
        return NULL;
    }
    if (layer->n == layer->cap) {
        size_t cap = layer->cap ? layer->cap * 2 : 16;
        gloss_span **grown = gloss__arena_grow(&doc->arena, layer->spans,
                                               layer->n * sizeof(*grown),
                                               cap * sizeof(*grown));
        if (!grown) {
            errno = ENOMEM;
            return NULL;
        }
        layer->spans = grown;
        layer->cap = cap;
    }
    gloss_span *span = gloss_doc_alloc(doc, sizeof(*span));
    if (!span) {
        errno = ENOMEM;
        return NULL;
    }
    memset(span, 0, sizeof(*span));
    span->start = (uint32_t)start;
    span->end = (uint32_t)end;
    span->seq_ = layer->next_seq++;
    span->label = interned;
    if (layer->sorted && layer->n > 0 &&
        span_cmp(layer->spans[layer->n - 1], span) > 0)
        layer->sorted = 0;
    layer->spans[layer->n++] = span;
    return span;
}

/* Bytes 0x80-0xBF, which continue a character: a span bound on one falls
 * inside a character, unless it is offset 0. */
#define CONT16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
static const unsigned char continuation[256] = {
    CONT16(0), CONT16(0), CONT16(0), CONT16(0), CONT16(0), CONT16(0),
    CONT16(0), CONT16(0), CONT16(1), CONT16(1), CONT16(1), CONT16(1),
    CONT16(0), CONT16(0), CONT16(0), CONT16(0)};
#undef CONT16

/* Whether every bound of the n ranges (as gloss__layer_add_ranges takes
 * them, already known to lie within the text) is a character boundary:
 * the exact test, for when the quick one over the bytes at the bounds saw
 * a continuation byte, which may be at offset 0 of a text that is not
 * valid UTF-8. */
static int bounds_on_boundaries(const gloss_doc *doc, const unsigned char *r,
                                size_t n, size_t stride)
{
    for (size_t k = 0; k < n; k++) {
        uint32_t se[2];
        memcpy(se, r + k * stride, sizeof se);
        if (!gloss__utf8_boundary(doc->text, doc->len, se[0]) ||
            !gloss__utf8_boundary(doc->text, doc->len, se[1]))
            return 0;
    }
    return 1;
}

int gloss__layer_add_ranges(gloss_layer *layer, const void *ranges, size_t n,
                            size_t stride)
{
    gloss_doc *doc = layer->doc;
    const unsigned char *r = ranges;
    if (n == 0)
        return 0;
    if (layer->cap - layer->n < n) {
        /* An empty layer gets exactly what it is given: the tokenizer adds
         * a whole document's spans at once, and rounding up would leave a
         * large share of the array untouched but allocated. */
        size_t cap = layer->cap ? layer->cap : layer->n == 0 ? n : 16;
        while (cap - layer->n < n)
            cap *= 2;
        gloss_span **grown = gloss__arena_grow(&doc->arena, layer->spans,
                                               layer->n * sizeof(*grown),
                                               cap * sizeof(*grown));
        if (!grown) {
            errno = ENOMEM;
            return -1;
        }
        layer->spans = grown;
        layer->cap = cap;
    }
    gloss_span *spans = gloss__arena_alloc(&doc->arena, n * sizeof(*spans));
    if (!spans) {
        errno = ENOMEM;
        return -1;
    }
    /* One pass checks each range, writes its span whole (no clearing
     * before) and its slot, and follows whether a sorted layer stays
     * sorted. The layer counts the new spans only once all are known good:
     * a bad bound adds nothing (the arena block is left unused). */
    const gloss_span *last = layer->n > 0 ? layer->spans[layer->n - 1] : NULL;
    /* A range keeps the layer sorted when it comes after the one before:
     * starts later, or at the same place and is no longer (equal spans
     * keep their insertion order). That is one comparison of 64-bit keys,
     * the start above the complement of the end. */
    uint64_t prev = last ? (uint64_t)last->start << 32 | (uint32_t)~last->end : 0;
    int sorted = layer->sorted;
    gloss_span **slot = layer->spans + layer->n;
    uint32_t seq = layer->next_seq;
    const size_t len = doc->len;
    const unsigned char *u = (const unsigned char *)doc->text;
    unsigned cont = 0;
    const unsigned char *rk = r;
    for (size_t k = 0; k < n; k++, rk += stride) {
        uint32_t se[2];
        memcpy(se, rk, sizeof se);
        /* span_fits(), written out: the call per span cost more than the
         * test. The bounds are tested at once; whether a bound falls on a
         * continuation byte is gathered without a branch and tested once
         * all are seen (text[len] is the NUL gloss_doc_strndup() puts after
         * every text, so both reads are in bounds). */
        if (se[0] > se[1] || se[1] > len) {
            errno = EINVAL;
            return -1;
        }
        cont |= continuation[u[se[0]]] | continuation[u[se[1]]];
        uint64_t key = (uint64_t)se[0] << 32 | (uint32_t)~se[1];
        sorted &= prev <= key;
        prev = key;
        /* Field by field: the whole struct as a compound literal was
         * zeroed first and its bounds and order written over the zeros. */
        gloss_span *sp = &spans[k];
        sp->start = se[0];
        sp->end = se[1];
        sp->label = NULL;
        sp->attrs_ = NULL;
        sp->labels_ = NULL;
        sp->seq_ = seq + (uint32_t)k;
        sp->nattrs_ = 0;
        sp->flags_ = 0;
        slot[k] = sp;
    }
    if (cont && !bounds_on_boundaries(doc, r, n, stride)) {
        errno = EINVAL;
        return -1;
    }
    layer->n += n;
    layer->next_seq = seq + (uint32_t)n;
    layer->sorted = sorted;
    return 0;
}

int gloss_layer_remove(gloss_layer *layer, gloss_span *span)
{
    if (!span || (span->flags_ & GLOSS__SPAN_REMOVED))
        return -1;
    size_t n;
    gloss_span **spans = gloss__layer_raw(layer, &n);
    /* The sort order is total, so binary search finds the span's exact
     * position if it belongs to this layer; removed spans keep their place
     * until the layer is compacted, so the order still holds. */
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = span_cmp(spans[mid], span);
        if (c == 0) {
            if (spans[mid] != span)
                return -1;
            span->flags_ |= GLOSS__SPAN_REMOVED;
            layer->removed++;
            return 0;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* ---- span attributes --------------------------------------------------- */

int gloss_span_set_label(gloss_doc *doc, gloss_span *span, const char *label)
{
    const char *interned = NULL;
    if (label && !(interned = intern_cstr(doc, label)))
        return -1;
    span->label = interned;
    return 0;
}

/* Sets attribute k (interned) to v (its string owned by the document). */
static int set_interned(gloss_doc *doc, gloss_span *span, const char *k,
                        gloss_value v)
{
    for (size_t i = 0; i < span->nattrs_; i++) {
        if (span->attrs_[i].key == k) {
            span->attrs_[i].value = v;
            return 0;
        }
    }
    if (span->nattrs_ == UINT16_MAX)
        return -1;
    /* Attribute lists are short; growing by one keeps them exact. Capacity
     * doubles at powers of two so a span with many attributes does not
     * copy its list each time. */
    size_t n = span->nattrs_;
    if (n == 0 || (n >= 2 && (n & (n - 1)) == 0)) {
        size_t cap = n ? n * 2 : 2;
        gloss_attr *grown = gloss__arena_grow(&doc->arena, span->attrs_,
                                              n * sizeof(*grown),
                                              cap * sizeof(*grown));
        if (!grown)
            return -1;
        span->attrs_ = grown;
    }
    span->attrs_[n].key = k;
    span->attrs_[n].value = v;
    span->nattrs_++;
    return 0;
}

int gloss_span_set(gloss_doc *doc, gloss_span *span, const char *key,
                   const gloss_value *value)
{
    const char *k = intern_cstr(doc, key);
    if (!k)
        return -1;
    gloss_value v = *value;
    if (v.type == GLOSS_VALUE_STRING) {
        char *copy = gloss_doc_strndup(doc, v.as.string.ptr, v.as.string.len);
        if (!copy)
            return -1;
        v.as.string.ptr = copy;
    }
    return set_interned(doc, span, k, v);
}

int gloss__span_set_strings(gloss_doc *doc, gloss_span *span, size_t n,
                            const char *const *keys, const char *const *values,
                            const size_t *lens)
{
    if (n == 0)
        return 0;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (lens[i] >= SIZE_MAX / 2 - total)
            return -1;
        total += lens[i] + 1;
    }
    char *buf = gloss__arena_alloc(&doc->arena, total);
    if (!buf)
        return -1;
    gloss_attr *list = NULL;
    size_t used = 0;
    if (span->nattrs_ == 0 && n < UINT16_MAX) {
        /* The list in one allocation, as large as gloss_span_set() would
         * have grown it for n attributes (2, then powers of two), so that
         * its later calls find the capacity they expect. */
        size_t cap = 2;
        while (cap < n)
            cap *= 2;
        if (!(list = gloss__arena_alloc(&doc->arena, cap * sizeof(*list))))
            return -1;
    }
    for (size_t i = 0; i < n; i++) {
        gloss_value v = {.type = GLOSS_VALUE_STRING};
        memcpy(buf, values[i], lens[i]);
        buf[lens[i]] = '\0';
        v.as.string.ptr = buf;
        v.as.string.len = lens[i];
        buf += lens[i] + 1;
        if (!list) {
            if (set_interned(doc, span, keys[i], v) < 0)
                return -1;
            continue;
        }
        size_t j = 0;
        while (j < used && list[j].key != keys[i])
            j++;
        list[j].key = keys[i];
        list[j].value = v;
        used += j == used;
    }
    if (list) {
        span->attrs_ = list;
        span->nattrs_ = (uint16_t)used;
    }
    return 0;
}

int gloss_span_set_string(gloss_doc *doc, gloss_span *span, const char *key,
                          const char *value)
{
    gloss_value v = {.type = GLOSS_VALUE_STRING};
    v.as.string.ptr = value;
    v.as.string.len = strlen(value);
    return gloss_span_set(doc, span, key, &v);
}

int gloss_span_set_number(gloss_doc *doc, gloss_span *span, const char *key,
                          double value)
{
    gloss_value v = {.type = GLOSS_VALUE_NUMBER};
    v.as.number = value;
    return gloss_span_set(doc, span, key, &v);
}

int gloss_span_set_bool(gloss_doc *doc, gloss_span *span, const char *key,
                        int value)
{
    gloss_value v = {.type = GLOSS_VALUE_BOOL};
    v.as.boolean = value != 0;
    return gloss_span_set(doc, span, key, &v);
}

const gloss_value *gloss_span_get(const gloss_span *span, const char *key)
{
    for (size_t i = 0; i < span->nattrs_; i++)
        if (strcmp(span->attrs_[i].key, key) == 0)
            return &span->attrs_[i].value;
    return NULL;
}

size_t gloss_span_attr_count(const gloss_span *span) { return span->nattrs_; }

const gloss_attr *gloss_span_attr_at(const gloss_span *span, size_t i)
{
    return i < span->nattrs_ ? &span->attrs_[i] : NULL;
}

/* ---- labels ------------------------------------------------------------- */

static int labels_set(gloss_doc *doc, gloss_labels **slot, const char *group,
                      const char *name, double score)
{
    const char *g = intern_cstr(doc, group);
    const char *n = intern_cstr(doc, name);
    if (!g || !n)
        return -1;
    gloss_labels *labels = *slot;
    if (!labels) {
        labels = gloss_doc_alloc(doc, sizeof(*labels));
        if (!labels)
            return -1;
        memset(labels, 0, sizeof(*labels));
        *slot = labels;
    }
    for (size_t i = 0; i < labels->n; i++) {
        if (labels->items[i].group == g && labels->items[i].name == n) {
            labels->items[i].score = score;
            return 0;
        }
    }
    if (labels->n == labels->cap) {
        size_t cap = labels->cap ? labels->cap * 2 : 4;
        gloss__label *grown = gloss__arena_grow(&doc->arena, labels->items,
                                                labels->n * sizeof(*grown),
                                                cap * sizeof(*grown));
        if (!grown)
            return -1;
        labels->items = grown;
        labels->cap = cap;
    }
    labels->items[labels->n].group = g;
    labels->items[labels->n].name = n;
    labels->items[labels->n].score = score;
    labels->n++;
    return 0;
}

int gloss_doc_set_label(gloss_doc *doc, const char *group, const char *name,
                        double score)
{
    return labels_set(doc, &doc->labels, group, name, score);
}

int gloss_span_set_label_score(gloss_doc *doc, gloss_span *span,
                               const char *group, const char *name,
                               double score)
{
    return labels_set(doc, &span->labels_, group, name, score);
}

const gloss_labels *gloss_doc_labels(const gloss_doc *doc) { return doc->labels; }
const gloss_labels *gloss_span_labels(const gloss_span *span) { return span->labels_; }

size_t gloss_labels_count(const gloss_labels *labels)
{
    return labels ? labels->n : 0;
}

int gloss_labels_at(const gloss_labels *labels, size_t i, const char **group,
                    const char **name, double *score)
{
    if (!labels || i >= labels->n)
        return -1;
    if (group)
        *group = labels->items[i].group;
    if (name)
        *name = labels->items[i].name;
    if (score)
        *score = labels->items[i].score;
    return 0;
}

int gloss_labels_get(const gloss_labels *labels, const char *group,
                     const char *name, double *score)
{
    for (size_t i = 0; labels && i < labels->n; i++) {
        if (strcmp(labels->items[i].group, group) == 0 &&
            strcmp(labels->items[i].name, name) == 0) {
            if (score)
                *score = labels->items[i].score;
            return 0;
        }
    }
    return -1;
}

/* ---- errors, timings, drop ------------------------------------------------ */

void gloss_doc_add_error(gloss_doc *doc, const char *stage, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (doc->nerrors == doc->caperrors) {
        size_t cap = doc->caperrors ? doc->caperrors * 2 : 4;
        gloss__note *grown = gloss__arena_grow(&doc->arena, doc->errors,
                                               doc->nerrors * sizeof(*grown),
                                               cap * sizeof(*grown));
        if (!grown)
            return;
        doc->errors = grown;
        doc->caperrors = cap;
    }
    const char *s = intern_cstr(doc, stage ? stage : "");
    const char *m = gloss_doc_strndup(doc, msg, strlen(msg));
    if (!s || !m)
        return;
    doc->errors[doc->nerrors].stage = s;
    doc->errors[doc->nerrors].message = m;
    doc->nerrors++;
}

size_t gloss_doc_error_count(const gloss_doc *doc) { return doc->nerrors; }

int gloss_doc_error_at(const gloss_doc *doc, size_t i, const char **stage,
                       const char **message)
{
    if (i >= doc->nerrors)
        return -1;
    if (stage)
        *stage = doc->errors[i].stage;
    if (message)
        *message = doc->errors[i].message;
    return 0;
}

void gloss_doc_add_timing(gloss_doc *doc, const char *stage, uint64_t ns)
{
    if (doc->ntimings == doc->captimings) {
        size_t cap = doc->captimings ? doc->captimings * 2 : 8;
        gloss__timing *grown = gloss__arena_grow(&doc->arena, doc->timings,
                                                 doc->ntimings * sizeof(*grown),
                                                 cap * sizeof(*grown));
        if (!grown)
            return;
        doc->timings = grown;
        doc->captimings = cap;
    }
    const char *s = intern_cstr(doc, stage ? stage : "");
    if (!s)
        return;
    doc->timings[doc->ntimings].stage = s;
    doc->timings[doc->ntimings].ns = ns;
    doc->ntimings++;
}

size_t gloss_doc_timing_count(const gloss_doc *doc) { return doc->ntimings; }

int gloss_doc_timing_at(const gloss_doc *doc, size_t i, const char **stage,
                        uint64_t *ns)
{
    if (i >= doc->ntimings)
        return -1;
    if (stage)
        *stage = doc->timings[i].stage;
    if (ns)
        *ns = doc->timings[i].ns;
    return 0;
}

void gloss_doc_drop(gloss_doc *doc, const char *reason)
{
    if (doc->dropped)
        return;
    if (!reason || !*reason)
        reason = "dropped";
    doc->dropped = gloss_doc_strndup(doc, reason, strlen(reason));
    if (!doc->dropped)
        doc->dropped = "dropped";
}

const char *gloss_doc_dropped(const gloss_doc *doc) { return doc->dropped; }

/* ---- invariants -------------------------------------------------------- */

int gloss_doc_check(gloss_doc *doc, char *err, size_t errlen)
{
    for (size_t l = 0; l < doc->nlayers; l++) {
        gloss_layer *layer = doc->layers[l];
        size_t n = gloss_layer_size(layer);
        for (size_t i = 0; i < n; i++) {
            const gloss_span *s = layer->spans[i];
            if (s->start > s->end || s->end > doc->len) {
                snprintf(err, errlen,
                         "layer '%s' span %zu [%u, %u) lies outside the text "
                         "(%zu bytes)",
                         layer->name, i, s->start, s->end, doc->len);
                return -1;
            }
            if (!gloss__utf8_boundary(doc->text, doc->len, s->start) ||
                !gloss__utf8_boundary(doc->text, doc->len, s->end)) {
                snprintf(err, errlen,
                         "layer '%s' span %zu [%u, %u) cuts a UTF-8 character",
                         layer->name, i, s->start, s->end);
                return -1;
            }
            if (i > 0 && span_cmp(layer->spans[i - 1], s) > 0) {
                snprintf(err, errlen, "layer '%s' is not sorted at span %zu",
                         layer->name, i);
                return -1;
            }
        }
    }
    return 0;
}
