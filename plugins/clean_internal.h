/*
 * clean_internal.h - what the pieces of the cleaner (clean_*.c) share: the
 * table of lines and the helpers each piece provides to the driver in
 * clean.c. Nothing outside plugins/clean_*.c includes it.
 */
#ifndef GLOSS_CLEAN_INTERNAL_H
#define GLOSS_CLEAN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "clean_words.h"

/* One line of the input, without its line feed. */
typedef struct gloss__line {
    uint32_t start;
    uint32_t end;
} gloss__line;

/* Flags of a line. */
#define GLOSS__LINE_BLANK 0x1u     /* only spaces, tabs, form feeds */
#define GLOSS__LINE_FURNITURE 0x2u /* page furniture, removed */
#define GLOSS__LINE_LIST 0x4u      /* one of a column of short lines */

/* True for an ASCII letter or any byte of a multi-byte character, which is
 * how the cleaner tells word characters without decoding. */
static inline int gloss__wordbyte(unsigned char c)
{
    return c >= 0x80 || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Marks the furniture lines of the text (clean_furniture.c); returns -1
 * when memory runs out. */
int gloss__clean_furniture(const char *s, const gloss__line *lines, size_t n,
                           uint8_t *flags, int min_repeats);

/* The numbers of the footnotes listed in the text (clean_footnotes.c): a
 * bit per number below GLOSS__MAX_NOTE. Returns whether there is any. */
#define GLOSS__MAX_NOTE 1000u
int gloss__clean_notes(const char *s, const gloss__line *lines, size_t n,
                       const uint8_t *flags, uint8_t *notes);

/* A footnote marker at s[pos] (in a line [line_start, end)), given the
 * listed notes (NULL when there are none): returns the length of the text
 * to remove (0 when there is no marker), and stores in *skip where it
 * starts relative to pos and in *note its number. *next receives where
 * the scan may go on when there is no marker. */
size_t gloss__clean_marker(const char *s, size_t pos, size_t line_start,
                           size_t end, const uint8_t *notes, size_t *skip,
                           unsigned *note, size_t *next);

/* A tag at s[pos] (s[pos] == '<') within [pos, end): returns its length, or
 * 0 when it is not one; *name and *name_len receive the element name,
 * *closing whether it is an end tag, *empty whether it closes itself. */
size_t gloss__clean_tag(const char *s, size_t pos, size_t end,
                        const char **name, size_t *name_len, int *closing,
                        int *empty);

/* A {CODE} at s[pos]: returns its length with the braces, or 0. */
size_t gloss__clean_code(const char *s, size_t pos, size_t end);

/* Line shapes (clean_lines.c). */
int gloss__line_is_item(const char *s, size_t start, size_t end);
int gloss__line_is_heading(const char *s, size_t start, size_t end);
/* The first byte after leading spaces and tabs, and the end without
 * trailing ones. */
size_t gloss__line_lead(const char *s, size_t start, size_t end);
size_t gloss__line_trail(const char *s, size_t start, size_t end);

#endif
