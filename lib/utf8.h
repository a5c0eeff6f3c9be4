/*
 * utf8.h - the engine's UTF-8 primitives.
 *
 * Validation follows RFC 3629 strictly (no overlong forms, no surrogates,
 * nothing above U+10FFFF), so that text the engine calls valid is valid for
 * every JSON and Lua consumer downstream. The functions work on counted
 * byte ranges and never read past them.
 */
#ifndef GLOSS_UTF8_H
#define GLOSS_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Returns the length (1 to 4) of the well-formed UTF-8 sequence at s (n
 * bytes available), storing its code point in *cp; returns 0 when the bytes
 * at s do not start a well-formed sequence. In that case *bad (if not NULL)
 * receives the length of the maximal ill-formed subpart, which is how many
 * bytes one U+FFFD should replace (Unicode 15, section 3.9).
 */
size_t gloss__utf8_decode(const unsigned char *s, size_t n, uint32_t *cp,
                          size_t *bad);

/* Returns n when s[0..n) is valid UTF-8, else the offset of the first byte
 * of the first ill-formed sequence. */
size_t gloss__utf8_valid_prefix(const char *s, size_t n);

/* Writes cp as UTF-8 into out (4 bytes of room) and returns the length. */
size_t gloss__utf8_encode(uint32_t cp, char *out);

/* True when offset off of s (n bytes) is a character boundary: 0, n, or a
 * byte that is not a continuation byte. */
static inline int gloss__utf8_boundary(const char *s, size_t n, size_t off)
{
    return off == 0 || off == n ||
           (off < n && ((unsigned char)s[off] & 0xC0) != 0x80);
}

/* Counts the characters (non-continuation bytes) in s[0..n). */
size_t gloss__utf8_count(const char *s, size_t n);

#endif
