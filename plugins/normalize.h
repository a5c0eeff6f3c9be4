/*
 * normalize.h - the text transformation behind the built-in `normalize`
 * stage, exposed so that tests can drive it without a pipeline.
 *
 * A normalizer is built once from its settings (it holds a table of the
 * characters that normalization leaves alone) and then applied to any
 * number of texts; it is read-only after construction, so several threads
 * may share one. The stage descriptor gloss__stage_normalize wraps it:
 * options in, gloss_doc_set_text() out.
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
 * Normalizes in[0..len). Returns 0 when the text is already normal (out is
 * left alone); 1 when it is not, with the normal text appended to out;
 * -1 with a message in err when the text holds ill-formed UTF-8 and the
 * settings say to reject it, or when memory runs out.
 */
int gloss__normalize_text(const gloss__normalizer *nz, const char *in,
                          size_t len, gloss__buf *out, char *err,
                          size_t errlen);

/* The stage, as listed in lib/registry.c. */
extern const gloss_stage_desc gloss__stage_normalize;

#endif
