/*
 * eval_conllu.h - reading a CoNLL-U file as running text with its gold
 * tokens and sentences, and scoring spans against them, for `gloss eval
 * segment`.
 *
 * Scores follow the CoNLL 2018 shared task: spans are compared by their
 * position in the text with white space removed, so that a token which
 * contains a space ("10 000") or a different amount of space between
 * sentences changes nothing; a multiword token counts once, by its surface
 * span.
 */
#ifndef GLOSS_EVAL_CONLLU_H
#define GLOSS_EVAL_CONLLU_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef struct gloss__eval_span {
    uint32_t start, end; /* byte offsets into the text */
} gloss__eval_span;

typedef struct gloss__eval_spans {
    gloss__eval_span *v;
    size_t n, cap;
} gloss__eval_spans;

typedef struct gloss__conllu {
    gloss__buf text;            /* the `# text` lines joined */
    gloss__eval_spans tokens;    /* surface tokens, in text order */
    gloss__eval_spans sentences;
    size_t unaligned;            /* forms not found in their `# text` */
} gloss__conllu;

/*
 * Reads path: sentences of one paragraph are joined by a space, and a new
 * paragraph (`# newpar`) or document (`# newdoc`) starts after a blank
 * line. Returns 0, or -1 with a message in err.
 */
int gloss__conllu_read(const char *path, gloss__conllu *c, char *err,
                       size_t errlen);
void gloss__conllu_free(gloss__conllu *c);

/* Appends a span; returns -1 when memory runs out. */
int gloss__eval_spans_add(gloss__eval_spans *s, size_t start, size_t end);
void gloss__eval_spans_free(gloss__eval_spans *s);

typedef struct gloss__eval_score {
    size_t gold, system, correct;
} gloss__eval_score;

/*
 * Scores system against gold (both sorted by start, over texts that are
 * equal once white space is removed). When errors is not NULL, up to
 * *errors disagreements are printed to it with their context (gold_text
 * and sys_text), counting *errors down.
 */
gloss__eval_score gloss__eval_compare(const gloss__eval_spans *gold,
                                      const char *gold_text, size_t gold_len,
                                      const gloss__eval_spans *system,
                                      const char *sys_text, size_t sys_len,
                                      const char *what, void *errors_file,
                                      long *errors);

#endif
