/*
 * test_bytescan.c - the byte scanners of lib/bytescan.h find exactly the
 * byte a one-at-a-time loop finds.
 *
 * UTF-8 validation, the envelope lexer and JSON escaping all jump from one
 * byte of interest to the next with these scanners, so a scanner that
 * skips one byte lets an invalid byte or an unescaped quote through. The
 * scanners test sixteen bytes at a time, then eight, then one, so every
 * byte of interest is planted at every offset of buffers of every length
 * up to three blocks, starting from every alignment, and random buffers
 * are compared with the plain loop as well. Each byte value is planted at
 * least once, so a mistake in one of the bit tricks shows as the value it
 * misses. The test is built twice: as it is, and with SSE2 turned off
 * (test_bytescan_portable, where the compiler allows it), so that both the
 * SSE2 path and the portable one are checked on x86-64.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytescan.h"
#include "tap.h"

#define MAXLEN 56

static size_t plain_nonascii(const unsigned char *s, size_t i, size_t n)
{
    while (i < n && s[i] < 0x80)
        i++;
    return i;
}

static size_t plain_json(const unsigned char *s, size_t i, size_t n, int stop_high)
{
    while (i < n && s[i] != '"' && s[i] != '\\' && s[i] >= 0x20 &&
           !(stop_high && s[i] >= 0x80))
        i++;
    return i;
}

/* Compares the three scanners with the plain loops on s[i..n); a
 * difference is told as a TAP diagnostic, and 0 returned. */
static int same(const unsigned char *s, size_t i, size_t n, const char *what,
                unsigned v)
{
    size_t a = gloss__scan_nonascii(s, i, n), b = plain_nonascii(s, i, n);
    size_t c = gloss__scan_json_plain(s, i, n, 0), d = plain_json(s, i, n, 0);
    size_t e = gloss__scan_json_plain(s, i, n, 1), f = plain_json(s, i, n, 1);
    if (a == b && c == d && e == f)
        return 1;
    diag("%s (byte 0x%02x, from %zu of %zu): nonascii %zu/%zu, json %zu/%zu, "
         "json+high %zu/%zu (scanner/plain)",
         what, v, i, n, a, b, c, d, e, f);
    return 0;
}

int main(void)
{
    /* Room before the text for every alignment, and a guard after it that
     * would stop a scan reading past n (it holds every byte of interest). */
    unsigned char buf[16 + MAXLEN + 16];

    int planted = 1;
    for (unsigned v = 0; v < 256 && planted; v++) {
        /* Each value from its own alignment, so that all sixteen are seen
         * many times over without multiplying the work by sixteen. */
        size_t align = v % 16;
        unsigned char *s = buf + align;
        for (size_t n = 0; n <= MAXLEN && planted; n++) {
            memset(buf, 'a', sizeof buf);
            memset(s + n, '"', sizeof buf - align - n);
            for (size_t at = 0; at < n && planted; at++) {
                s[at] = (unsigned char)v;
                /* From the start, from the next block, from the byte itself
                 * and from just past it. */
                size_t froms[] = {0, at < 16 ? at : 16, at, at + 1};
                for (size_t k = 0; k < 4 && planted; k++)
                    if (froms[k] <= n)
                        planted &= same(s, froms[k], n, "planted", v);
                s[at] = 'a';
            }
            /* No byte of interest at all: every scanner reaches n. */
            planted &= same(s, 0, n, "plain text", 'a');
        }
    }
    ok(planted, "every byte value at every offset, length (0 to %d) and alignment "
                "is found where a byte-by-byte loop finds it", MAXLEN);

    /* Random text, mostly ASCII letters with a few of everything else, as
     * real documents are; scanned from random starts. */
    uint64_t x = 0x9E3779B97F4A7C15ull;
    int random_same = 1;
    unsigned char text[4096];
    for (int round = 0; round < 2000 && random_same; round++) {
        size_t n = 1 + (size_t)(x % sizeof text);
        for (size_t k = 0; k < n; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            unsigned r = (unsigned)(x >> 32);
            text[k] = (unsigned char)(r % 64 ? 'a' + r % 26 : r >> 8);
        }
        for (size_t from = 0; from < n && random_same;) {
            random_same &= same(text, from, n, "random", text[from]);
            size_t next = plain_json(text, from, n, 1);
            from = next == from ? from + 1 : next;
        }
    }
    ok(random_same, "on 2000 random texts the scanners stop where the loops stop, "
                    "hit after hit");

    /* The scanners read only s[i..n): a scan of a text ending at the end of
     * an allocation stays inside it (ASan and valgrind tell if not). */
    unsigned char *tight = malloc(37);
    if (!tight)
        return 1;
    memset(tight, 'b', 37);
    ok(gloss__scan_nonascii(tight, 0, 37) == 37 &&
           gloss__scan_json_plain(tight, 3, 37, 1) == 37,
       "a scan to the very end of an allocation returns its length");
    free(tight);
    return done_testing();
}
