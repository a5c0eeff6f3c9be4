/*
 * match_fold.h - diacritics folding for the matcher, with an offset map.
 *
 * Folding takes every character to its compatibility decomposition without
 * combining marks (NFKD, marks stripped: "Róża" -> "Roza", "ﬁ" -> "fi",
 * a no-break space -> a space), and spells out the Latin letters that
 * Unicode does not decompose (ø -> o, ł -> l, đ -> d, ß -> ss, æ -> ae,
 * œ -> oe, þ -> th, ı -> i, ħ -> h). Case is kept: case-insensitivity is
 * the matcher's business. ASCII is left as it is, which is the fast path,
 * except for white space: tabs, line breaks and the like become spaces
 * (byte for byte), so that a phrase written with a space matches a name
 * broken across lines.
 */
#ifndef GLOSS_MATCH_FOLD_H
#define GLOSS_MATCH_FOLD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Non-zero when the n bytes at s are all ASCII (folding changes nothing). */
int gloss__fold_is_ascii(const char *s, size_t n);

/*
 * Appends the folded form of s (n bytes) to out. When map is not NULL, it
 * receives one entry per byte appended: the offset in s of the character
 * that byte comes from (*map is grown with realloc; *mapcap is its
 * capacity in entries). Ill-formed bytes are copied as they are. Returns
 * 0, or -1 when memory runs out.
 */
int gloss__fold(gloss__buf *out, const char *s, size_t n, uint32_t **map,
                size_t *mapcap);

/* Appends s with ASCII white space turned into spaces (the same length,
 * so offsets need no map). */
void gloss__fold_spaces(gloss__buf *out, const char *s, size_t n);

#endif
