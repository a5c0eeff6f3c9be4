/*
 * utf8.c - UTF-8 decoding, validation and counting (see utf8.h).
 *
 * The decoder is the table of well-formed byte sequences from the Unicode
 * standard (Table 3-7) written out as range checks; the validator skips runs
 * of ASCII sixteen bytes at a time (bytescan.h), since most text is mostly
 * ASCII.
 */
#include "utf8.h"

#include <string.h>

#include "bytescan.h"

size_t gloss__utf8_decode(const unsigned char *s, size_t n, uint32_t *cp,
                          size_t *bad)
{
    size_t dummy;
    if (!bad)
        bad = &dummy;
    *bad = 1;
    if (n == 0)
        return 0;
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    uint32_t v;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        v = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        v = c & 0x07;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F; /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if (i >= n) {
            *bad = i;
            return 0;
        }
        unsigned char b = s[i];
        if (b < lo || b > hi) {
            *bad = i;
            return 0;
        }
        lo = 0x80;
        hi = 0xBF;
        v = (v << 6) | (b & 0x3F);
    }
    *cp = v;
    return len;
}

size_t gloss__utf8_valid_prefix(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    for (;;) {
        /* ASCII runs are skipped sixteen bytes at a time; only the bytes
         * outside ASCII are decoded. */
        i = gloss__scan_nonascii(s, i, n);
        if (i >= n)
            return n;
        uint32_t cp;
        size_t len = gloss__utf8_decode(s + i, n - i, &cp, NULL);
        if (len == 0)
            return i;
        i += len;
    }
}

size_t gloss__utf8_encode(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t gloss__utf8_count(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t count = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        /* A continuation byte is 10xxxxxx: bit 7 set and bit 6 clear. */
        uint64_t cont = w & ~(w << 1) & 0x8080808080808080ull;
        count += 8 - (size_t)__builtin_popcountll(cont);
    }
    for (; i < n; i++)
        count += (s[i] & 0xC0) != 0x80;
    return count;
}
