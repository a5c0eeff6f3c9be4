/*
 * clean_words.c - loading the word list and deciding line-end hyphens.
 *
 * A hyphen at the end of a PDF line is either the typesetter's (the word
 * was broken to fit: "with-" + "drawal") or the author's ("long-" +
 * "standing"). The corpora tell which: a compound seen with its hyphen is
 * kept; failing that, halves that join into a seen word are joined; two
 * halves that are both words of their own but never seen joined are kept
 * apart ("ill-treatment"); and fragments nobody writes alone are joined,
 * since a typesetter breaks words at syllables. Lookups are binary searches
 * in the sorted hashes, made only at hyphenated line ends.
 */
#include "clean_words.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "GLSWORDS"
#define WORDLIST_VERSION 1u
#define MAX_WORD 64

static uint64_t read_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint32_t read_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

int gloss__words_load(gloss__words *w, const char *path, char *err,
                      size_t errlen)
{
    memset(w, 0, sizeof(*w));
    if (!path || !*path) {
        w->hashes = gloss__wordlist;
        w->n = gloss__wordlist_count;
        return 0;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open word list %s", path);
        return -1;
    }
    unsigned char head[16];
    int rc = -1;
    if (fread(head, 1, sizeof head, f) != sizeof head ||
        memcmp(head, MAGIC, 8) != 0 || read_le32(head + 8) != WORDLIST_VERSION) {
        snprintf(err, errlen, "%s is not a gloss word list (version %u)", path,
                 WORDLIST_VERSION);
        goto done;
    }
    uint32_t n = read_le32(head + 12);
    w->owned = malloc(n ? (size_t)n * sizeof(uint64_t) : 1);
    if (!w->owned) {
        snprintf(err, errlen, "out of memory reading %s", path);
        goto done;
    }
    for (uint32_t i = 0; i < n; i++) {
        unsigned char b[8];
        if (fread(b, 1, 8, f) != 8) {
            snprintf(err, errlen, "%s is truncated", path);
            goto done;
        }
        w->owned[i] = read_le64(b);
        /* Lookups rely on the order: a file out of order is refused
         * rather than silently giving wrong answers. */
        if (i && w->owned[i] <= w->owned[i - 1]) {
            snprintf(err, errlen, "%s is not sorted", path);
            goto done;
        }
    }
    w->hashes = w->owned;
    w->n = n;
    rc = 0;
done:
    fclose(f);
    if (rc < 0)
        gloss__words_free(w);
    return rc;
}

void gloss__words_free(gloss__words *w)
{
    free(w->owned);
    memset(w, 0, sizeof(*w));
}

/* FNV-1a over the pieces, lower-casing ASCII letters: the hash
 * tools/wordlist.lua writes. */
static uint64_t hash_parts(const char *a, size_t na, const char *sep,
                           const char *b, size_t nb)
{
    uint64_t h = 0xcbf29ce484222325ull;
    const char *parts[3] = {a, sep, b};
    size_t lens[3] = {na, sep ? strlen(sep) : 0, nb};
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < lens[k]; i++) {
            unsigned char c = (unsigned char)parts[k][i];
            if (c >= 'A' && c <= 'Z')
                c = (unsigned char)(c | 0x20);
            h = (h ^ c) * 0x100000001b3ull;
        }
    }
    return h;
}

static int known(const gloss__words *w, uint64_t h)
{
    size_t lo = 0, hi = w->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w->hashes[mid] < h)
            lo = mid + 1;
        else if (w->hashes[mid] > h)
            hi = mid;
        else
            return 1;
    }
    return 0;
}

int gloss__words_keep_hyphen(const gloss__words *w, const char *w1, size_t n1,
                             const char *w2, size_t n2)
{
    if (n1 == 0 || n2 == 0 || n1 > MAX_WORD || n2 > MAX_WORD)
        return 1;
    if (known(w, hash_parts(w1, n1, "-", w2, n2)))
        return 1;
    if (known(w, hash_parts(w1, n1, NULL, w2, n2)))
        return 0;
    return known(w, hash_parts(w1, n1, NULL, NULL, 0)) &&
           known(w, hash_parts(w2, n2, NULL, NULL, 0));
}
