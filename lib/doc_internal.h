/*
 * doc_internal.h - the document's layout, for the engine's own modules.
 *
 * Stages see a gloss_doc only through gloss/doc.h. The JSON writer and the
 * Lua bindings read these structs directly, to walk layers without a call
 * per field; nothing outside lib/ includes this file.
 */
#ifndef GLOSS_DOC_INTERNAL_H
#define GLOSS_DOC_INTERNAL_H

#include <jansson.h>

#include "arena.h"
#include "gloss/doc.h"

#define GLOSS__SPAN_REMOVED 0x1u

typedef struct gloss__label {
    const char *group; /* interned */
    const char *name;  /* interned */
    double score;
} gloss__label;

struct gloss_labels {
    gloss__label *items;
    size_t n, cap;
};

struct gloss_layer {
    gloss_doc *doc;
    const char *name;    /* interned */
    gloss_span **spans;  /* arena array; sorted unless !sorted */
    size_t n, cap;
    size_t removed;      /* spans marked removed but not yet compacted */
    uint32_t next_seq;
    int sorted;
};

typedef struct gloss__note {
    const char *stage;
    const char *message;
} gloss__note;

typedef struct gloss__timing {
    const char *stage;
    uint64_t ns;
} gloss__timing;

typedef struct gloss__intern_slot {
    const char *str;
    uint32_t len;
    uint32_t hash;
} gloss__intern_slot;

struct gloss_doc {
    gloss__arena arena;
    const char *id;
    const char *source;
    char *text;
    size_t len;
    char *original;          /* the text as created; == text until replaced */
    size_t original_len;
    gloss_offset_map_entry *map; /* current text to original, with both
                                  * end points; NULL until text replaced */
    size_t nmap;
    json_t *meta;            /* object, created on first use; owned */
    gloss_layer **layers;    /* arena array, in creation order */
    size_t nlayers, caplayers;
    gloss_labels *labels;    /* NULL until the first label */
    gloss__note *errors;
    size_t nerrors, caperrors;
    gloss__timing *timings;
    size_t ntimings, captimings;
    const char *dropped;     /* reason, or NULL */
    gloss__intern_slot *intern; /* malloc'd open-addressing table */
    size_t intern_cap, intern_n;
    int text_utf8;           /* the text is known to be valid UTF-8 (set
                              * by gloss__doc_text_utf8(), cleared when the
                              * text is replaced) */
};

/* gloss_layer_add() with a label already interned in the layer's document
 * (gloss_doc_intern), or NULL. */
gloss_span *gloss__layer_add_interned(gloss_layer *layer, size_t start,
                                      size_t end, const char *label);

/*
 * Sets n string attributes of span as gloss_span_set() would one after the
 * other (a key given twice, or one the span has, takes the last value),
 * with less work: the keys are already interned in doc (gloss_doc_intern),
 * the values (lens[i] bytes each) are copied into one allocation, and a
 * span without attributes gets its list in one allocation. Returns 0, or
 * -1 on ENOMEM.
 */
int gloss__span_set_strings(gloss_doc *doc, gloss_span *span, size_t n,
                            const char *const *keys, const char *const *values,
                            const size_t *lens);

/*
 * Sorts the layer if needed (without compacting removed spans) and returns
 * its array; *n receives its length. Spans flagged GLOSS__SPAN_REMOVED may
 * be present and must be skipped. For iterators that must survive removals.
 */
gloss_span **gloss__layer_raw(gloss_layer *layer, size_t *n);

/*
 * The merging rule of offset maps, shared by the document (which composes
 * maps) and normalize (which builds one): a new point (nw, old) that only
 * continues the copied stretch ending at the last of the k points r[] can
 * move that last point instead of adding one, so that a map stays as small
 * as the changes it describes.
 */
static inline int gloss__map_extends(const gloss_offset_map_entry *r, size_t k,
                                     size_t nw, size_t old)
{
    return k >= 2 && r[k - 1].new_start > r[k - 2].new_start &&
           nw > r[k - 1].new_start &&
           r[k - 1].new_start - r[k - 2].new_start ==
               r[k - 1].old_start - r[k - 2].old_start &&
           nw - r[k - 1].new_start == old - r[k - 1].old_start;
}

/*
 * Whether the document's text is valid UTF-8, checked once per text: the
 * answer is remembered until the text is replaced. normalize, whose output
 * is valid UTF-8 by construction (it checked or rewrote every byte),
 * records so with gloss__doc_set_text_utf8(), and segment, which must not
 * read anything else, then need not scan the text again.
 */
int gloss__doc_text_utf8(gloss_doc *doc);
void gloss__doc_set_text_utf8(gloss_doc *doc);

/*
 * Moves span (of layer) to [start, end), checked as gloss_layer_add checks
 * a new span. The layer is sorted again by its next reader. Returns 0, or
 * -1 with errno EINVAL.
 */
int gloss__span_move(gloss_layer *layer, gloss_span *span, size_t start,
                     size_t end);

/*
 * Adds n unlabelled spans at once, as n calls of gloss_layer_add(layer,
 * start, end, NULL) would, with the same checks, but in one allocation:
 * the tokenizer adds a span per token, and per-span allocation and
 * bookkeeping were a large part of its cost. Element k of ranges begins
 * at byte k * stride and starts with two uint32_t, start and end. Returns
 * 0, or -1 with errno EINVAL (a bound that does not fit; nothing is added)
 * or ENOMEM.
 */
int gloss__layer_add_ranges(gloss_layer *layer, const void *ranges, size_t n,
                            size_t stride);

#endif
