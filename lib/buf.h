/*
 * buf.h - a growable byte buffer, the one way the engine builds output.
 *
 * Used for JSON output, messages and file reading. The buffer keeps a NUL
 * after its contents so that it can be handed to functions that want a C
 * string. A failed allocation sets the oom flag and turns every later append
 * into a no-op, so callers check once at the end instead of after each call.
 */
#ifndef GLOSS_BUF_H
#define GLOSS_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct gloss__buf {
    char *data;  /* NUL-terminated contents, or NULL while empty */
    size_t len;  /* bytes used, not counting the NUL */
    size_t cap;  /* bytes allocated */
    int oom;     /* set once an allocation failed */
} gloss__buf;

#define GLOSS__BUF_INIT {NULL, 0, 0, 0}

/* Makes room for extra more bytes; returns 0, or -1 (and sets oom). */
int gloss__buf_reserve(gloss__buf *b, size_t extra);
void gloss__buf_add(gloss__buf *b, const void *data, size_t len);
void gloss__buf_addc(gloss__buf *b, char c);
void gloss__buf_adds(gloss__buf *b, const char *s);
void gloss__buf_printf(gloss__buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void gloss__buf_vprintf(gloss__buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Empties the buffer but keeps its memory. */
void gloss__buf_clear(gloss__buf *b);
/* Hands the contents to the caller (free() them) and empties the buffer. */
char *gloss__buf_steal(gloss__buf *b, size_t *len);
void gloss__buf_free(gloss__buf *b);

/* Reads a whole file (or standard input for "-") into b. Returns 0, or -1
 * with errno set. */
int gloss__buf_read_file(gloss__buf *b, const char *path);

#endif
