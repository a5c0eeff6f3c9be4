/*
 * normalize.h - the text transformation behind the built-in `normalize`
 * stage, exposed so that tests can drive it without a pipeline.
 *
 * A normalizer is built once from its settings (it holds a table of the
 * characters that normalization leaves alone) and then applied to any
 * number of texts; it is read-only after construction, so several threads
 * may share one. The stage descriptor gloss__stage_normalize wraps it:
 * options in, gloss_doc_set_text_mapped() out.
 */
#ifndef GLOSS_NORMALIZE_H
#define GLOSS_NORMALIZE_H

#include <stddef.h>

#include "buf.h"
#include "gloss/stage.h"

typedef enum gloss__nf_form {
    GLOSS__FORM_NONE = 0, /* leave characters as they are */
    GLOSS__FORM_NFC,      /* canonical composition */
    GLOSS__FORM_NFKC      /* compatibility composition */
} gloss__nf_form;

typedef struct gloss__normalize_settings {
    int reject_invalid;   /* fail on ill-formed UTF-8 instead of replacing it */
    gloss__nf_form form;
    int newlines;         /* CRLF, CR, VT and NEL become LF */
    int strip_controls;   /* drop controls, a leading BOM and soft hyphens */
} gloss__normalize_settings;

typedef struct gloss__normalizer gloss__normalizer;

/* Builds a normalizer; returns NULL when memory runs out. */
gloss__normalizer *gloss__normalizer_new(const gloss__normalize_settings *settings);
void gloss__normalizer_destroy(gloss__normalizer **nz);

/*
 * Where the normal text came from: points in the form
 * gloss_doc_set_text_mapped() takes, new_start an offset of the normal
 * text (counted from where it begins in out) and old_start one of the
 * input. Every stretch the pass changed (one line break, one run given to
 * normalization, one removed character, one replaced ill-formed sequence)
 * lies between two points; copied text needs none, so the map grows with
 * the number of changes, not with the text.
 */
typedef struct gloss__norm_map {
    gloss_offset_map_entry *pts;
    size_t n, cap;
    int oom; /* set once an allocation failed */
} gloss__norm_map;

#define GLOSS__NORM_MAP_INIT {NULL, 0, 0, 0}

void gloss__norm_map_free(gloss__norm_map *map);

/*
 * Normalizes in[0..len). Returns 0 when the text is already normal (out and
 * map are left alone); 1 when it is not, with the normal text appended to
 * out and, when map is not NULL, the points relating it to in stored in
 * map (emptied first); -1 with a message in err when the text holds
 * ill-formed UTF-8 and the settings say to reject it, or when memory runs
 * out.
 */
int gloss__normalize_text(const gloss__normalizer *nz, const char *in,
                          size_t len, gloss__buf *out, gloss__norm_map *map,
                          char *err, size_t errlen);

/* The stage, as listed in lib/registry.c. */
extern const gloss_stage_desc gloss__stage_normalize;

#endif
