/*
 * bytescan.h - finding the next byte that needs attention in a run of
 * text, sixteen bytes at a time.
 *
 * Text is mostly plain ASCII, and the loops that validate UTF-8, lex JSON
 * strings and escape them only have work to do at a few bytes: a byte
 * outside ASCII, a quote, a backslash, a control character. These helpers
 * return the offset of the next such byte, so that each loop jumps from
 * one to the next instead of testing every byte. Where SSE2 is there (every
 * x86-64 processor) sixteen bytes are tested at once and the position of
 * the first hit comes from the comparison's bit mask; elsewhere, and for
 * the last bytes, eight at a time with the classic has-zero-byte tricks,
 * then one at a time. All of them read only s[i..n).
 */
#ifndef GLOSS_BYTESCAN_H
#define GLOSS_BYTESCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define GLOSS__SCAN_ONES 0x0101010101010101ull
#define GLOSS__SCAN_HIGHS 0x8080808080808080ull

/* The bytes of w that are zero have their high bit set in the result;
 * exact for "is any byte zero", which is all the callers ask. */
static inline uint64_t gloss__scan_zero_bytes(uint64_t w)
{
    return (w - GLOSS__SCAN_ONES) & ~w & GLOSS__SCAN_HIGHS;
}

/* The first offset from i on (or n) whose byte is 0x80 or above. */
static inline size_t gloss__scan_nonascii(const unsigned char *s, size_t i,
                                          size_t n)
{
#if defined(__SSE2__)
    while (i + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        unsigned m = (unsigned)_mm_movemask_epi8(v);
        if (m)
            return i + (size_t)__builtin_ctz(m);
        i += 16;
    }
#endif
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & GLOSS__SCAN_HIGHS)
            break;
        i += 8;
    }
    while (i < n && s[i] < 0x80)
        i++;
    return i;
}

/*
 * The first offset from i on (or n) whose byte a JSON string cannot hold
 * as it is: a quote, a backslash or a control character (below 0x20); and
 * when stop_high is set, also any byte of 0x80 or above (for writers that
 * must look at every character outside ASCII).
 */
static inline size_t gloss__scan_json_plain(const unsigned char *s, size_t i,
                                            size_t n, int stop_high)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20), c1f = _mm_set1_epi8(0x1F);
    while (i + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        /* Signed, "below 0x20" also holds for every byte of 0x80 or more;
         * unsigned, "min(v, 0x1F) == v" holds for the controls alone. */
        __m128i low = stop_high ? _mm_cmplt_epi8(v, space)
                                : _mm_cmpeq_epi8(_mm_min_epu8(v, c1f), v);
        __m128i hit = _mm_or_si128(low, _mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                                     _mm_cmpeq_epi8(v, bslash)));
        unsigned m = (unsigned)_mm_movemask_epi8(hit);
        if (m)
            return i + (size_t)__builtin_ctz(m);
        i += 16;
    }
#endif
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t hit = gloss__scan_zero_bytes(w ^ (GLOSS__SCAN_ONES * '"')) |
                       gloss__scan_zero_bytes(w ^ (GLOSS__SCAN_ONES * '\\')) |
                       ((w - GLOSS__SCAN_ONES * 0x20) & ~w & GLOSS__SCAN_HIGHS);
        if (stop_high)
            hit |= w & GLOSS__SCAN_HIGHS;
        if (hit)
            break;
        i += 8;
    }
    while (i < n && s[i] != '"' && s[i] != '\\' && s[i] >= 0x20 &&
           !(stop_high && s[i] >= 0x80))
        i++;
    return i;
}

#endif
