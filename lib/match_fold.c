/*
 * match_fold.c - diacritics folding with an offset map (see match_fold.h).
 *
 * ASCII runs are copied as they are; each other character is looked up in
 * a short table of letters Unicode does not decompose, and otherwise
 * decomposed by utf8proc with compatibility mappings and marks stripped.
 * With a map, a cache keyed by a character's bytes keeps how the
 * characters met folded, so that one met again (curly quotes, dashes,
 * no-break spaces) is copied without decoding it. The map gives, for every folded byte, where its character started in
 * the input, so that a match on the folded text can be pointed back.
 */
#include "match_fold.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

/* The length of the run of ASCII bytes that s starts with: sixteen bytes
 * at a time where SSE2 is there, eight otherwise. */
static size_t ascii_run(const char *s, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        unsigned mask = (unsigned)_mm_movemask_epi8(v);
        if (mask)
            return i + (size_t)__builtin_ctz(mask);
    }
#endif
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ull)
            break;
    }
    while (i < n && !((unsigned char)s[i] & 0x80))
        i++;
    return i;
}

int gloss__fold_is_ascii(const char *s, size_t n)
{
    return ascii_run(s, n) == n;
}

void gloss__fold_map_free(gloss__fold_map *map)
{
    free(map->p);
    map->p = NULL;
    map->n = map->cap = 0;
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

static int add_point(gloss__fold_map *map, gloss__fold_point pt)
{
    if (map->n == map->cap) {
        size_t ncap = map->cap ? map->cap * 2 : 64;
        gloss__fold_point *p = realloc(map->p, ncap * sizeof(*p));
        if (!p)
            return -1;
        map->p = p;
        map->cap = ncap;
    }
    map->p[map->n++] = pt;
    return 0;
}

/* Non-zero when one of the 8 bytes of w is below 0x20 (a control
 * character, white space included): the classic "has less" bit trick. */
static inline uint64_t has_control(uint64_t w)
{
    return (w - 0x2020202020202020ull) & ~w & 0x8080808080808080ull;
}

#ifdef __SSE2__
/* Copies sixteen bytes from s to d, bytes 9 to 13 (tab to carriage
 * return) turned into spaces; returns the bytes as loaded. */
static inline __m128i spaces16(const char *s, char *d)
{
    const __m128i nine = _mm_set1_epi8(9), four = _mm_set1_epi8(4),
                  space = _mm_set1_epi8(' ');
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
    __m128i t = _mm_sub_epi8(v, nine);
    __m128i ws = _mm_cmpeq_epi8(_mm_min_epu8(t, four), t);
    _mm_storeu_si128((__m128i *)(void *)d,
                     _mm_or_si128(_mm_and_si128(ws, space), _mm_andnot_si128(ws, v)));
    return v;
}
#endif

void gloss__fold_spaces(gloss__buf *out, const char *s, size_t n)
{
    if (gloss__buf_reserve(out, n) < 0)
        return;
    char *d = out->data + out->len;
    size_t i = 0;
#ifdef __SSE2__
    for (; i + 16 <= n; i += 16)
        spaces16(s + i, d + i);
#endif
    /* Eight bytes at a time while they hold no control character, which
     * is most of a text: a line break comes every line or so. */
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (!has_control(w)) {
            memcpy(d + i, &w, 8);
            continue;
        }
        for (size_t j = i; j < i + 8; j++) {
            unsigned char c = (unsigned char)s[j];
            d[j] = (char)((unsigned char)(c - 9) < 5 ? ' ' : c);
        }
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        d[i] = (char)((unsigned char)(c - 9) < 5 ? ' ' : c);
    }
    out->len += n;
    out->data[out->len] = '\0';
}

/* Appends the run of ASCII bytes that s starts with, its white space
 * turned into spaces as gloss__fold_spaces() does, and returns its length:
 * finding where the run ends and copying it are one pass. Bytes past the
 * run may be written beyond out->len; they are overwritten later. */
static size_t add_ascii_run(gloss__buf *out, const char *s, size_t n)
{
    /* Once the buffer holds the whole text, the call is not needed. */
    if (out->cap - out->len <= n && gloss__buf_reserve(out, n) < 0)
        return 0;
    char *d = out->data + out->len;
    size_t i = 0;
#ifdef __SSE2__
    for (; i + 16 <= n; i += 16) {
        __m128i v = spaces16(s + i, d + i);
        unsigned mask = (unsigned)_mm_movemask_epi8(v);
        if (mask) {
            i += (size_t)__builtin_ctz(mask);
            goto done;
        }
    }
#endif
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c & 0x80)
            break;
        d[i] = (char)((unsigned char)(c - 9) < 5 ? ' ' : c);
    }
#ifdef __SSE2__
done:
#endif
    out->len += i;
    out->data[out->len] = '\0';
    return i;
}

/* The cache slot of a character's bytes (raw, zero-padded). */
static inline unsigned cache_slot(uint32_t raw)
{
    return (raw * 2654435761u) >> 24;
}

int gloss__fold(gloss__buf *out, const char *s, size_t n, gloss__fold_map *map)
{
    if (map) {
        map->n = 0;
        map->bad = 0;
    }
    size_t i = 0;
    while (i < n) {
        /* The ASCII run from i, copied as it is found. */
        size_t run = add_ascii_run(out, s + i, n - i);
        if (out->oom)
            return -1;
        if (run) {
            i += run;
            continue;
        }
        /* A character met before: its bytes are in the cache with their
         * folded form, and whether that differs (a point of the map). */
        unsigned char c = (unsigned char)s[i];
        size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        uint32_t raw = 0;
        if (map && n - i >= want) {
            memcpy(&raw, s + i, want);
            unsigned slot = cache_slot(raw);
            if (map->cache[slot].raw == raw && map->cache[slot].len) {
                size_t before = out->len, k = map->cache[slot].len - 1u;
                if (out->cap - out->len > sizeof map->cache[slot].bytes) {
                    /* The commonest case: room for the whole slot, copied
                     * with a fixed size. */
                    memcpy(out->data + out->len, map->cache[slot].bytes,
                           sizeof map->cache[slot].bytes);
                    out->len += k;
                    out->data[out->len] = '\0';
                } else {
                    gloss__buf_add(out, map->cache[slot].bytes, k);
                    if (out->oom)
                        return -1;
                }
                if (!map->cache[slot].same &&
                    add_point(map, (gloss__fold_point){(uint32_t)before,
                                                       (uint32_t)k, (uint32_t)i,
                                                       (uint32_t)want}) < 0)
                    return -1;
                i += want;
                continue;
            }
        }
        size_t before = out->len;
        uint32_t cp;
        size_t bad = 0;
        size_t step = gloss__utf8_decode((const unsigned char *)s + i, n - i,
                                         &cp, &bad);
        int valid = step != 0;
        if (step == 0) {
            step = bad ? bad : 1;
            gloss__buf_add(out, s + i, step);
            if (map)
                map->bad++;
        } else {
            fold_char(out, cp);
        }
        if (out->oom)
            return -1;
        size_t k = out->len - before;
        int same = k == step && memcmp(out->data + before, s + i, k) == 0;
        if (map && valid && step == want && raw &&
            k < sizeof map->cache[0].bytes) {
            /* Decoded well: the bytes are a character, remembered. */
            unsigned slot = cache_slot(raw);
            map->cache[slot].raw = raw;
            map->cache[slot].len = (uint8_t)(k + 1);
            map->cache[slot].same = (uint8_t)same;
            memcpy(map->cache[slot].bytes, out->data + before, k);
        }
        if (map && !same &&
            add_point(map, (gloss__fold_point){(uint32_t)before, (uint32_t)k,
                                               (uint32_t)i, (uint32_t)step}) < 0)
            return -1;
        i += step;
    }
    return out->oom ? -1 : 0;
}

/* The number of points whose folded bytes start before f. From a hint,
 * a few steps either way find it when f is near the last lookup; a binary
 * search does otherwise. Points are in increasing order of f. */
static size_t points_before(const gloss__fold_map *map, size_t f, size_t *hint)
{
    size_t n = map->n;
    if (hint && *hint <= n) {
        size_t h = *hint;
        for (int steps = 0; steps < 8; steps++) {
            if (h > 0 && map->p[h - 1].f >= f)
                h--;
            else if (h < n && map->p[h].f < f)
                h++;
            else {
                *hint = h;
                return h;
            }
        }
    }
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (map->p[mid].f < f)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (hint)
        *hint = lo;
    return lo;
}

size_t gloss__fold_orig_start(const gloss__fold_map *map, size_t f,
                              size_t *hint)
{
    size_t k = points_before(map, f + 1, hint);
    if (!k)
        return f;
    const gloss__fold_point *p = &map->p[k - 1];
    if (f < (size_t)p->f + p->flen)
        return p->o;
    return f - (p->f + p->flen) + (p->o + p->olen);
}

size_t gloss__fold_orig_end(const gloss__fold_map *map, size_t f, size_t *hint)
{
    size_t k = points_before(map, f, hint);
    if (!k)
        return f;
    const gloss__fold_point *p = &map->p[k - 1];
    if (f <= (size_t)p->f + p->flen)
        return (size_t)p->o + p->olen;
    return f - (p->f + p->flen) + (p->o + p->olen);
}

void gloss__fold_orig_span(const gloss__fold_map *map, size_t fs, size_t fe,
                           size_t *os, size_t *oe, size_t *hint)
{
    size_t k = points_before(map, fe, hint);
    const gloss__fold_point *p = k ? &map->p[k - 1] : NULL;
    if (!p) {
        *os = fs;
        *oe = fe;
        return;
    }
    if ((size_t)p->f + p->flen <= fs) {
        /* Every point before fe ends before fs: one shift for both. */
        size_t shift_o = (size_t)p->o + p->olen, shift_f = (size_t)p->f + p->flen;
        *os = fs - shift_f + shift_o;
        *oe = fe - shift_f + shift_o;
        return;
    }
    *oe = fe <= (size_t)p->f + p->flen ? (size_t)p->o + p->olen
                                       : fe - (p->f + p->flen) + (p->o + p->olen);
    *os = gloss__fold_orig_start(map, fs, hint);
}
