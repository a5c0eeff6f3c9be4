/*
 * match_fold.c - diacritics folding with an offset map (see match_fold.h).
 *
 * ASCII runs are copied as they are; each other character is looked up in
 * a short table of letters Unicode does not decompose, and otherwise
 * decomposed by utf8proc with compatibility mappings and marks stripped.
 * The map gives, for every folded byte, where its character started in
 * the input, so that a match on the folded text can be pointed back.
 */
#include "match_fold.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "utf8.h"

/* Letters with no decomposition that readers still take as accented
 * forms of a base letter (or as two letters). */
static const struct {
    uint32_t cp;
    const char *to;
} specials[] = {
    {0x00C6, "AE"}, {0x00D0, "D"},  {0x00D8, "O"},  {0x00DE, "Th"},
    {0x00DF, "ss"}, {0x00E6, "ae"}, {0x00F0, "d"},  {0x00F8, "o"},
    {0x00FE, "th"}, {0x0110, "D"},  {0x0111, "d"},  {0x0126, "H"},
    {0x0127, "h"},  {0x0131, "i"},  {0x0141, "L"},  {0x0142, "l"},
    {0x0152, "OE"}, {0x0153, "oe"}, {0x0166, "T"},  {0x0167, "t"},
    {0x1E9E, "SS"},
};

int gloss__fold_is_ascii(const char *s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ull)
            return 0;
    }
    for (; i < n; i++)
        if ((unsigned char)s[i] & 0x80)
            return 0;
    return 1;
}

static int map_reserve(uint32_t **map, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 256;
    while (ncap < need)
        ncap *= 2;
    uint32_t *p = realloc(*map, ncap * sizeof(*p));
    if (!p)
        return -1;
    *map = p;
    *cap = ncap;
    return 0;
}

/* Appends the folded form of code point cp to out. */
static void fold_char(gloss__buf *out, uint32_t cp)
{
    for (size_t i = 0; i < sizeof specials / sizeof *specials; i++)
        if (specials[i].cp == cp) {
            gloss__buf_adds(out, specials[i].to);
            return;
        }
    utf8proc_int32_t dec[18];
    int last = 0;
    utf8proc_ssize_t k = utf8proc_decompose_char(
        (utf8proc_int32_t)cp, dec, 18,
        UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_STRIPMARK, &last);
    char enc[4];
    if (k < 0 || k > 18) {
        gloss__buf_add(out, enc, gloss__utf8_encode(cp, enc));
        return;
    }
    for (utf8proc_ssize_t j = 0; j < k; j++) {
        /* Further marks (compatibility forms can carry them) go too. */
        utf8proc_category_t c = utf8proc_category(dec[j]);
        if (c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC ||
            c == UTF8PROC_CATEGORY_ME)
            continue;
        int hit = 0;
        for (size_t i = 0; i < sizeof specials / sizeof *specials; i++)
            if (specials[i].cp == (uint32_t)dec[j]) {
                gloss__buf_adds(out, specials[i].to);
                hit = 1;
                break;
            }
        if (!hit)
            gloss__buf_add(out, enc, gloss__utf8_encode((uint32_t)dec[j], enc));
    }
}

/* ASCII white space becomes a space; every other byte stays. */
static const unsigned char space_of[256] = {
    ['\t'] = 1, ['\n'] = 1, ['\v'] = 1, ['\f'] = 1, ['\r'] = 1,
};

void gloss__fold_spaces(gloss__buf *out, const char *s, size_t n)
{
    if (gloss__buf_reserve(out, n) < 0)
        return;
    char *d = out->data + out->len;
    for (size_t i = 0; i < n; i++)
        d[i] = space_of[(unsigned char)s[i]] ? ' ' : s[i];
    out->len += n;
    out->data[out->len] = '\0';
}

int gloss__fold(gloss__buf *out, const char *s, size_t n, uint32_t **map,
                size_t *mapcap)
{
    size_t i = 0;
    while (i < n) {
        size_t before = out->len;
        unsigned char c = (unsigned char)s[i];
        size_t step;
        if (c < 0x80) {
            /* Copy the whole ASCII run at once. */
            step = 1;
            while (i + step < n && !((unsigned char)s[i + step] & 0x80))
                step++;
            gloss__fold_spaces(out, s + i, step);
            if (map) {
                if (map_reserve(map, mapcap, out->len))
                    return -1;
                for (size_t j = 0; j < step; j++)
                    (*map)[before + j] = (uint32_t)(i + j);
            }
            i += step;
            continue;
        }
        uint32_t cp;
        size_t bad = 0;
        step = gloss__utf8_decode((const unsigned char *)s + i, n - i, &cp,
                                  &bad);
        if (step == 0) {
            step = bad ? bad : 1;
            gloss__buf_add(out, s + i, step);
        } else {
            fold_char(out, cp);
        }
        if (map) {
            if (map_reserve(map, mapcap, out->len))
                return -1;
            for (size_t j = before; j < out->len; j++)
                (*map)[j] = (uint32_t)i;
        }
        i += step;
    }
    return out->oom ? -1 : 0;
}
