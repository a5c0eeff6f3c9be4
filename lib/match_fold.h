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
 *
 * The map is sparse: one entry per character whose folded bytes differ
 * from its own, so that plain stretches cost nothing to map.
 */
#ifndef GLOSS_MATCH_FOLD_H
#define GLOSS_MATCH_FOLD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* One character whose folded form differs: folded bytes [f, f + flen)
 * come from original bytes [o, o + olen). */
typedef struct gloss__fold_point {
    uint32_t f, flen, o, olen;
} gloss__fold_point;

/* A fold map and the cache of folded characters that speeds folding up;
 * zero-initialise it, reuse it, free it with gloss__fold_map_free(). The
 * cache is keyed by a character's UTF-8 bytes (which a hit shows to be
 * well formed: only decoded characters go in), so that a character met
 * before is folded without decoding it again. */
typedef struct gloss__fold_map {
    gloss__fold_point *p;
    size_t n, cap;
    size_t bad; /* ill-formed UTF-8 sequences met by the last fold */
    struct {
        uint32_t raw;  /* the character's bytes, zero-padded */
        uint8_t len;   /* folded length + 1; 0: an empty slot */
        uint8_t same;  /* folding leaves the character as it is */
        char bytes[10];
    } cache[256];
} gloss__fold_map;

void gloss__fold_map_free(gloss__fold_map *map);

/* Non-zero when the n bytes at s are all ASCII (folding changes nothing). */
int gloss__fold_is_ascii(const char *s, size_t n);

/*
 * Appends the folded form of s (n bytes) to out. When map is not NULL, it
 * is emptied and then describes where the appended bytes came from (out
 * should be empty then, since its offsets are those of out), and map->bad
 * counts the ill-formed UTF-8 sequences met, so that folding validates the
 * text on the way. Ill-formed bytes are copied as they are. Returns 0, or
 * -1 when memory runs out.
 */
int gloss__fold(gloss__buf *out, const char *s, size_t n, gloss__fold_map *map);

/* Where the folded byte f starts in the original (the start of its
 * character), and where a span of folded bytes ending before f ends in
 * the original (the end of the character holding byte f - 1). hint, when
 * not NULL, keeps where the last lookup ended in the map (start it at 0),
 * so that lookups of nearby offsets, as a scan makes them, take a step or
 * two instead of a binary search. */
size_t gloss__fold_orig_start(const gloss__fold_map *map, size_t f,
                              size_t *hint);
size_t gloss__fold_orig_end(const gloss__fold_map *map, size_t f,
                            size_t *hint);

/* Both ends of the folded span [fs, fe) (fs < fe) in the original, as the
 * two functions above give them, with one lookup in the map when no
 * folded character lies inside the span (the common case). */
void gloss__fold_orig_span(const gloss__fold_map *map, size_t fs, size_t fe,
                           size_t *os, size_t *oe, size_t *hint);

/* Appends s with ASCII white space turned into spaces (the same length,
 * so offsets need no map). */
void gloss__fold_spaces(gloss__buf *out, const char *s, size_t n);

#endif
