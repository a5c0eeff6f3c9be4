/*
 * gloss/doc.h - the document that flows through a gloss pipeline.
 *
 * A document is UTF-8 text with an id, a source, a JSON object of metadata,
 * annotation layers, labels, and the errors and timings that stages leave on
 * it. Every byte a document owns comes from one arena that is freed in one go
 * when the document is destroyed, so stages never free what they add: a span,
 * an attribute or a string copied with gloss_doc_strdup() lives exactly as
 * long as its document.
 *
 * Offsets inside the engine are byte offsets into the current text, as
 * half-open ranges [start, end). Every span is checked when it is added: it
 * must lie inside the text and start and end on UTF-8 character boundaries.
 * The JSON output converts them to Unicode code points (see docs/schema.md).
 *
 * A layer is a named, sorted list of spans ("tokens", "sentences",
 * "entities", ...). Spans are sorted by start, then by decreasing end (an
 * enclosing span comes before what it encloses), then by insertion order.
 * Adding spans in text order is the fast path; out-of-order additions are
 * sorted lazily the next time the layer is read, and removals are compacted
 * the same way. A gloss_span pointer stays valid until the document is
 * destroyed, but an index into a layer is only valid until the layer is next
 * changed.
 *
 * Labels are (group, name, score) triples, such as ("topic", "torture",
 * 0.92), attached to the document or to a span. Setting a label that exists
 * replaces its score.
 *
 * None of these functions is thread-safe for one document; different
 * documents may be used from different threads.
 */
#ifndef GLOSS_DOC_H
#define GLOSS_DOC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define GLOSS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define GLOSS_PRINTF(f, a)
#endif

/* The largest text a document can hold: offsets are 32-bit. */
#define GLOSS_DOC_MAX_TEXT ((size_t)UINT32_MAX - 1)

typedef struct gloss_doc gloss_doc;
typedef struct gloss_layer gloss_layer;
typedef struct gloss_labels gloss_labels;

/* The value of a span attribute. Strings are owned by the document. */
typedef enum gloss_value_type {
    GLOSS_VALUE_NULL = 0,
    GLOSS_VALUE_BOOL,
    GLOSS_VALUE_NUMBER,
    GLOSS_VALUE_STRING
} gloss_value_type;

typedef struct gloss_value {
    gloss_value_type type;
    union {
        int boolean;
        double number;
        struct {
            const char *ptr; /* NUL-terminated as well as counted */
            size_t len;
        } string;
    } as;
} gloss_value;

/* One attribute of a span: its key is interned in the document. */
typedef struct gloss_attr {
    const char *key;
    gloss_value value;
} gloss_attr;

/*
 * A span of one layer. The first three fields are public and read-only:
 * change a span only through the functions below, which keep the layer
 * sorted. The rest belongs to the engine.
 */
typedef struct gloss_span {
    uint32_t start;    /* byte offset of the first byte */
    uint32_t end;      /* byte offset one past the last byte */
    const char *label; /* interned in the document; NULL when unlabelled */
    /* private */
    gloss_attr *attrs_;
    gloss_labels *labels_;
    uint32_t seq_;     /* insertion order, to keep sorting stable */
    uint16_t nattrs_;
    uint16_t flags_;
} gloss_span;

/* ---- life cycle --------------------------------------------------------- */

/*
 * Creates a document holding a copy of text (len bytes, any bytes: a
 * normalising stage validates them). id and source are copied; NULL means "".
 * Returns NULL when memory runs out or len exceeds GLOSS_DOC_MAX_TEXT.
 */
gloss_doc *gloss_doc_new(const char *id, const char *source, const char *text,
                         size_t len);

/* Frees the document and everything it owns, and sets *doc to NULL. */
void gloss_doc_destroy(gloss_doc **doc);

const char *gloss_doc_id(const gloss_doc *doc);
const char *gloss_doc_source(const gloss_doc *doc);

/* The current text; *len (if not NULL) receives its length in bytes. The
 * text is always followed by a NUL byte, which len does not count. */
const char *gloss_doc_text(const gloss_doc *doc, size_t *len);

/* The text the document was created with, before any stage replaced it. */
const char *gloss_doc_original(const gloss_doc *doc, size_t *len);

/*
 * Replaces the text (for normalising stages). Only allowed while no layer
 * holds a span, since spans would point into the old text: returns -1 then,
 * and also when len is too large or memory runs out. Returns 0 on success.
 */
int gloss_doc_set_text(gloss_doc *doc, const char *text, size_t len);

/*
 * The offset map: where each stretch of the current text came from in the
 * original text, so that a span can be pointed back into what the user
 * sent. A stage that replaces the text describes its change as a list of
 * corresponding points, each an entry {new_start, old_start}: the byte
 * new_start of the new text corresponds to the byte old_start of the text
 * it replaces. Both members are non-decreasing from one entry to the next.
 * Between two consecutive points (and from the last one to the two ends,
 * which are implicit, as is the point {0, 0}) lies a stretch: new bytes
 * [new_i, new_i+1) stand for old bytes [old_i, old_i+1). A stretch whose
 * two sides have the same length is copied byte for byte (or replaced by
 * something just as long), so offsets inside it translate exactly; a
 * stretch whose sides differ was replaced as a whole, and offsets inside it
 * are clamped into the old stretch. Two points with the same new_start
 * describe deleted text (an empty new stretch); two with the same
 * old_start, inserted text. Only the places where lengths change need a
 * point: a text that keeps its length needs none.
 */
typedef struct gloss_offset_map_entry {
    size_t new_start;
    size_t old_start;
} gloss_offset_map_entry;

/*
 * Replaces the text like gloss_doc_set_text(), and records where it came
 * from: map (n entries, as described above) relates the new text to the
 * text being replaced. The document composes it with the maps of earlier
 * replacements, so that its own map always leads back to the original
 * text. Returns -1 with errno EINVAL when the entries are not in order or
 * point past either text, and fails as gloss_doc_set_text() does otherwise.
 * gloss_doc_set_text() itself records the whole text as one replaced
 * stretch, since it knows nothing finer.
 */
int gloss_doc_set_text_mapped(gloss_doc *doc, const char *text, size_t len,
                              const gloss_offset_map_entry *map, size_t n);

/*
 * Translates an offset of the current text into the original text. Where
 * text was deleted, one offset of the new text stands for a whole stretch
 * of the original: gloss_doc_original_offset() gives its far side, right
 * for the start of a span (the span starts after what was deleted), and
 * gloss_doc_original_end() its near side, right for the end of a span (the
 * span ends before what was deleted). The original of span [start, end)
 * is thus [gloss_doc_original_offset(start), gloss_doc_original_end(end)).
 * Without any replacement both return offset.
 */
size_t gloss_doc_original_offset(const gloss_doc *doc, size_t offset);
size_t gloss_doc_original_end(const gloss_doc *doc, size_t offset);

/*
 * The document's composed map (current text to original), with the
 * implicit first and last points written out: at least two entries once
 * the text was replaced, the first {0, 0} and the last {text length,
 * original length}. Stores the entries in *map (owned by the document,
 * valid until the text is next replaced) and returns their number; 0 when
 * the text was never replaced.
 */
size_t gloss_doc_offset_map(const gloss_doc *doc,
                            const gloss_offset_map_entry **map);

/* ---- memory owned by the document --------------------------------------- */

/* Allocates size bytes aligned for any type, freed with the document. */
void *gloss_doc_alloc(gloss_doc *doc, size_t size);

/* Copies len bytes of s and a terminating NUL into the document. */
char *gloss_doc_strndup(gloss_doc *doc, const char *s, size_t len);

/* Returns the document's one copy of s: equal strings share one pointer, so
 * interned strings can be compared by pointer. */
const char *gloss_doc_intern(gloss_doc *doc, const char *s, size_t len);

/* ---- metadata (a JSON object) -------------------------------------------- */

/* Each setter returns 0, or -1 if memory runs out or (for _json) the text is
 * not valid JSON. */
int gloss_doc_meta_set_string(gloss_doc *doc, const char *key, const char *value);
int gloss_doc_meta_set_number(gloss_doc *doc, const char *key, double value);
int gloss_doc_meta_set_bool(gloss_doc *doc, const char *key, int value);
int gloss_doc_meta_set_json(gloss_doc *doc, const char *key, const char *json);
int gloss_doc_meta_remove(gloss_doc *doc, const char *key);

/* Returns the string value of key, or NULL when it is absent or not a string.
 * The pointer is valid until the key is next set or removed. */
const char *gloss_doc_meta_string(const gloss_doc *doc, const char *key);

/* Stores the number under key in *out and returns 0; -1 if absent or not a
 * number. */
int gloss_doc_meta_number(const gloss_doc *doc, const char *key, double *out);

/* Returns the value of key as compact JSON in a string the caller frees with
 * free(), or NULL when the key is absent. key NULL gives the whole object. */
char *gloss_doc_meta_json(const gloss_doc *doc, const char *key);

/* ---- layers and spans ----------------------------------------------------- */

/* Returns the layer called name; creates it when create is non-zero and it
 * does not exist yet. Returns NULL when it does not exist (or on ENOMEM). */
gloss_layer *gloss_doc_layer(gloss_doc *doc, const char *name, int create);

size_t gloss_doc_layer_count(const gloss_doc *doc);
gloss_layer *gloss_doc_layer_at(const gloss_doc *doc, size_t i);

const char *gloss_layer_name(const gloss_layer *layer);

/* The number of spans in the layer (sorting and compacting it first). */
size_t gloss_layer_size(gloss_layer *layer);

/* The i-th span in sorted order, or NULL when i is out of range. */
gloss_span *gloss_layer_span(gloss_layer *layer, size_t i);

/*
 * Adds the span [start, end) with label (copied and interned; may be NULL).
 * Returns the new span, or NULL with errno set: EINVAL when the span lies
 * outside the text, ends before it starts, or cuts a UTF-8 character;
 * ENOMEM when memory runs out. Empty spans (start == end) are allowed: they
 * mark a position, such as a footnote reference.
 */
gloss_span *gloss_layer_add(gloss_layer *layer, size_t start, size_t end,
                            const char *label);

/* Removes span from the layer. Returns 0, or -1 if it is not in the layer. */
int gloss_layer_remove(gloss_layer *layer, gloss_span *span);

/* Sets the span's label (copied and interned); NULL removes it. */
int gloss_span_set_label(gloss_doc *doc, gloss_span *span, const char *label);

/* Sets attribute key of the span, replacing any value it had. The value's
 * string (if any) is copied. Returns 0, or -1 on ENOMEM. */
int gloss_span_set(gloss_doc *doc, gloss_span *span, const char *key,
                   const gloss_value *value);
int gloss_span_set_string(gloss_doc *doc, gloss_span *span, const char *key,
                          const char *value);
int gloss_span_set_number(gloss_doc *doc, gloss_span *span, const char *key,
                          double value);
int gloss_span_set_bool(gloss_doc *doc, gloss_span *span, const char *key,
                        int value);

/* Returns the attribute key of span, or NULL when it has none. */
const gloss_value *gloss_span_get(const gloss_span *span, const char *key);
size_t gloss_span_attr_count(const gloss_span *span);
const gloss_attr *gloss_span_attr_at(const gloss_span *span, size_t i);

/* ---- labels --------------------------------------------------------------- */

/* Sets the document label group/name to score. Returns 0, or -1 on ENOMEM. */
int gloss_doc_set_label(gloss_doc *doc, const char *group, const char *name,
                        double score);
/* Sets a label on a span (a section, a sentence, ...). */
int gloss_span_set_label_score(gloss_doc *doc, gloss_span *span,
                               const char *group, const char *name,
                               double score);

/* The document's labels, or a span's; NULL when there are none. */
const gloss_labels *gloss_doc_labels(const gloss_doc *doc);
const gloss_labels *gloss_span_labels(const gloss_span *span);

size_t gloss_labels_count(const gloss_labels *labels);
/* Reads the i-th label in insertion order; returns -1 when out of range. */
int gloss_labels_at(const gloss_labels *labels, size_t i, const char **group,
                    const char **name, double *score);
/* Finds group/name; returns 0 and stores its score, or -1 when absent. */
int gloss_labels_get(const gloss_labels *labels, const char *group,
                     const char *name, double *score);

/* ---- what stages leave behind --------------------------------------------- */

/* Records an error of stage on the document (it travels in the output). */
void gloss_doc_add_error(gloss_doc *doc, const char *stage, const char *fmt, ...)
    GLOSS_PRINTF(3, 4);
size_t gloss_doc_error_count(const gloss_doc *doc);
int gloss_doc_error_at(const gloss_doc *doc, size_t i, const char **stage,
                       const char **message);

/* Records that stage took ns nanoseconds on this document. */
void gloss_doc_add_timing(gloss_doc *doc, const char *stage, uint64_t ns);
size_t gloss_doc_timing_count(const gloss_doc *doc);
int gloss_doc_timing_at(const gloss_doc *doc, size_t i, const char **stage,
                        uint64_t *ns);

/* Marks the document as dropped: the pipeline stops and nothing is output.
 * reason is copied; the first reason given is kept. */
void gloss_doc_drop(gloss_doc *doc, const char *reason);
/* The reason the document was dropped, or NULL when it was not. */
const char *gloss_doc_dropped(const gloss_doc *doc);

/*
 * Checks every invariant of the document: each span inside the text and on
 * character boundaries, every layer sorted. Returns 0 when all hold;
 * otherwise -1 with a description of the first violation in err.
 */
int gloss_doc_check(gloss_doc *doc, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* GLOSS_DOC_H */
