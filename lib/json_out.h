/*
 * json_out.h - writing a document as JSON (the format of docs/schema.md).
 *
 * The writer streams straight into a buffer, without building a tree, since
 * it runs once per document on the daemon's output path. Offsets are
 * converted from bytes to code points with a cursor that walks the text
 * forwards and backwards from the previous offset, which costs time
 * proportional to the distance between neighbouring offsets and no memory.
 * Text that is not valid UTF-8 (a pipeline without normalize) is written
 * with U+FFFD for each ill-formed sequence, so the output is always valid
 * JSON; code-point offsets then count each replaced sequence as one, and
 * byte offsets count the three bytes of each U+FFFD as written, so that
 * both still slice the text the JSON holds.
 */
#ifndef GLOSS_JSON_OUT_H
#define GLOSS_JSON_OUT_H

#include "buf.h"
#include "config.h"
#include "gloss/doc.h"

#define GLOSS_SCHEMA_VERSION 1

typedef struct gloss__json_opts {
    gloss__offsets offsets; /* code points (default) or bytes */
    int text;               /* include "text" */
    int original;           /* include "original" and "offset_map" when
                             * the text changed */
    int timings;            /* include "timings" */
    int pretty;             /* indent for humans */
} gloss__json_opts;

/* Appends the document to out as one JSON object (no newline). Returns 0,
 * or -1 when memory runs out. */
int gloss__doc_to_json(gloss_doc *doc, const gloss__json_opts *opts,
                       gloss__buf *out);

/* Appends s (len bytes) to out as a JSON string with quotes, escaping what
 * JSON requires and replacing ill-formed UTF-8 with U+FFFD. */
void gloss__json_string(gloss__buf *out, const char *s, size_t len);

/* Writes the decimal digits of v at p (room for 20, no NUL added) and
 * returns how many: a number written without printf's cost. */
size_t gloss__json_uint(char *p, uint64_t v);

#endif
