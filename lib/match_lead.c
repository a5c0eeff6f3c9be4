/*
 * match_lead.c - a pattern's lead (see match_lead.h): where the search for
 * its matches around a trigger can begin.
 *
 * Without a lead, PCRE2 looks for a pattern's matches from a whole window
 * (the pattern's longest match, at most 256 bytes) before each trigger.
 * A pattern that declares a lead says that every match starts with a run
 * of lead characters (maybe none) followed by one of its triggers: the
 * month-name DATE pattern's matches start with days ("1, 2 and 3 ") and
 * then a month name. Then no match starts before the run of lead bytes
 * that ends at the first trigger of the window: take a match starting at
 * s, with its run of lead bytes [s, p) and a trigger at p. If p came
 * before that first trigger f, p would be an earlier trigger of the
 * window; so p >= f, and [s, p) holds the byte just before the run that
 * ends at f, which is not a lead byte. PCRE2, which tries starts from
 * left to right, so finds the same leftmost match from the start of that
 * run as from the start of the window.
 *
 * Triggers are looked for as Vectorscan does, or more loosely (which only
 * costs time): their bytes as given, ASCII letters of both cases in
 * case-insensitive groups, where a byte beyond ASCII stands for any such
 * byte (Vectorscan takes the other case of a letter when it is as long).
 * Candidates are the bytes of the range triggers start with, sixteen at a
 * time with SSE2; only those are compared with the triggers that start
 * with them. The lead characters are turned into bytes: a run of lead
 * characters is a run of their bytes, which is all the search needs.
 */
#include "match_lead.h"

#include <stdio.h>
#include <string.h>
#include <utf8proc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "utf8.h"

/* ---- parsing the class ------------------------------------------------------ */

static void mark_cp(unsigned char *set, uint32_t cp)
{
    char enc[4];
    size_t k = gloss__utf8_encode(cp, enc);
    for (size_t i = 0; i < k; i++)
        set[(unsigned char)enc[i]] = 1;
}

/* Marks the bytes of cp and, in case-insensitive groups, of the
 * characters PCRE2 takes for its other cases: both cases of ASCII
 * letters, the Kelvin sign for k and the long s for s; for a character
 * beyond ASCII that has cases, every byte beyond ASCII (its case
 * partners are many, and a wider set only costs time) and its ASCII
 * partners. */
static void mark(unsigned char *set, uint32_t cp, int ci)
{
    mark_cp(set, cp);
    if (!ci)
        return;
    if (cp < 0x80) {
        if (cp >= 'a' && cp <= 'z')
            set[cp - 'a' + 'A'] = 1;
        else if (cp >= 'A' && cp <= 'Z')
            set[cp - 'A' + 'a'] = 1;
        if (cp == 'k' || cp == 'K')
            mark_cp(set, 0x212A);
        if (cp == 's' || cp == 'S')
            mark_cp(set, 0x17F);
        return;
    }
    uint32_t lo = (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp),
             up = (uint32_t)utf8proc_toupper((utf8proc_int32_t)cp);
    if (lo == cp && up == cp)
        return;
    for (int b = 0x80; b < 0x100; b++)
        set[b] = 1;
    if (lo < 0x80)
        mark(set, lo, 1);
    if (up < 0x80)
        mark(set, up, 1);
}

/* Reads one item of the class at spec[*i]: a character, escaped or not
 * (*cp), or a class escape (\s, \d, \w: marked in set at once, *cp =
 * UINT32_MAX). Returns 0, or -1 with why. */
static int item(const char *spec, size_t *i, size_t n, unsigned char *set,
                int ci, uint32_t *cp, char *why, size_t whylen)
{
    unsigned char c = (unsigned char)spec[*i];
    if (c != '\\') {
        size_t k = gloss__utf8_decode((const unsigned char *)spec + *i,
                                      n - *i, cp, NULL);
        if (k == 0) {
            snprintf(why, whylen, "it is not UTF-8");
            return -1;
        }
        *i += k;
        return 0;
    }
    if (*i + 1 >= n) {
        snprintf(why, whylen, "it ends with a lone backslash");
        return -1;
    }
    unsigned char e = (unsigned char)spec[*i + 1];
    *i += 2;
    *cp = UINT32_MAX;
    switch (e) {
    case 's':
        for (const char *s = " \t\n\v\f\r"; *s; s++)
            set[(unsigned char)*s] = 1;
        return 0;
    case 'd':
        for (int d = '0'; d <= '9'; d++)
            set[d] = 1;
        return 0;
    case 'w':
        for (int d = 0; d < 0x80; d++)
            if ((d >= '0' && d <= '9') || (d >= 'a' && d <= 'z') ||
                (d >= 'A' && d <= 'Z') || d == '_')
                mark(set, (uint32_t)d, ci);
        return 0;
    case 't': *cp = '\t'; return 0;
    case 'n': *cp = '\n'; return 0;
    case 'r': *cp = '\r'; return 0;
    case 'f': *cp = '\f'; return 0;
    case 'v': *cp = '\v'; return 0;
    default:
        break;
    }
    if (e < 0x80 && e > ' ' && e != 0x7F &&
        !((e >= '0' && e <= '9') || (e >= 'a' && e <= 'z') ||
          (e >= 'A' && e <= 'Z'))) {
        *cp = e; /* escaped punctuation: \- \] \\ \^ ... */
        return 0;
    }
    snprintf(why, whylen, "'\\%c' is not an escape it knows (\\s, \\d, \\w, "
             "\\t, \\n, \\r, \\f, \\v, or a backslash before punctuation)",
             e < 0x80 && e > ' ' ? e : '?');
    return -1;
}

static int parse(const char *spec, unsigned char *set, int ci, char *why,
                 size_t whylen)
{
    size_t n = strlen(spec);
    if (n < 2 || spec[0] != '[') {
        snprintf(why, whylen, "write it as a character class in brackets, "
                 "such as [0-9\\s,]");
        return -1;
    }
    if (spec[1] == '^') {
        snprintf(why, whylen, "a negated class is not allowed: list the "
                 "characters that may come before the trigger");
        return -1;
    }
    size_t i = 1;
    int any = 0;
    while (i < n && spec[i] != ']') {
        uint32_t a, b;
        if (item(spec, &i, n, set, ci, &a, why, whylen) < 0)
            return -1;
        any = 1;
        if (a == UINT32_MAX)
            continue;
        /* A range: "a-z"; a '-' first, last or after a range is itself. */
        if (i + 1 < n && spec[i] == '-' && spec[i + 1] != ']') {
            i++;
            if (item(spec, &i, n, set, ci, &b, why, whylen) < 0)
                return -1;
            if (b == UINT32_MAX || a >= 0x80 || b >= 0x80 || b < a) {
                snprintf(why, whylen, "a range must go from one ASCII "
                         "character up to another");
                return -1;
            }
            for (uint32_t c = a; c <= b; c++)
                mark(set, c, ci);
            continue;
        }
        mark(set, a, ci);
    }
    if (i >= n) {
        snprintf(why, whylen, "the class has no closing ']'");
        return -1;
    }
    if (i + 1 != n) {
        snprintf(why, whylen, "something follows the class's closing ']'");
        return -1;
    }
    if (!any) {
        snprintf(why, whylen, "the class is empty");
        return -1;
    }
    return 0;
}

gloss__match_lead *gloss__match_lead_new(gloss__arena *arena, const char *spec,
                                         int ci, size_t ntriggers, char *why,
                                         size_t whylen)
{
    unsigned char set[256];
    memset(set, 0, sizeof set);
    if (parse(spec, set, ci, why, whylen) < 0)
        return NULL;
    gloss__match_lead *l = gloss__arena_alloc(arena, sizeof(*l));
    const unsigned char **trig =
        gloss__arena_alloc(arena, (ntriggers ? ntriggers : 1) * sizeof(*trig));
    uint32_t *len =
        gloss__arena_alloc(arena, (ntriggers ? ntriggers : 1) * sizeof(*len));
    if (!l || !trig || !len) {
        if (whylen)
            why[0] = '\0';
        return NULL;
    }
    memset(l, 0, sizeof(*l));
    memcpy(l->bytes, set, sizeof set);
    l->ci = ci != 0;
    l->lo = 1;
    l->hi = 0;
    l->trig = trig;
    l->len = len;
    l->cap = ntriggers;
    return l;
}

/* ---- the triggers ----------------------------------------------------------- */

/* The key a trigger's first byte c is filed under. */
static inline unsigned key(const gloss__match_lead *l, unsigned char c)
{
    if (!l->ci)
        return c;
    if (c >= 0x80)
        return 0x80;
    return c >= 'A' && c <= 'Z' ? (unsigned)(c - 'A' + 'a') : c;
}

int gloss__match_lead_trigger(gloss__match_lead *l, gloss__arena *arena,
                              const char *bytes, size_t n)
{
    if (l->ntrig == l->cap || n == 0)
        return 0; /* more triggers than announced, or an empty one: the
                     table only lacks them, and the search, which never
                     goes past the trigger found, stays correct */
    unsigned char *t = gloss__arena_alloc(arena, n);
    if (!t)
        return -1;
    memcpy(t, bytes, n);
    if (l->ci)
        for (size_t i = 0; i < n; i++)
            if (t[i] >= 'A' && t[i] <= 'Z')
                t[i] = (unsigned char)(t[i] - 'A' + 'a');
    l->trig[l->ntrig] = t;
    l->len[l->ntrig] = (uint32_t)n;
    l->ntrig++;
    return 0;
}

void gloss__match_lead_finish(gloss__match_lead *l)
{
    /* Insertion sort by key: a pattern has a few dozen triggers at most. */
    for (size_t i = 1; i < l->ntrig; i++) {
        const unsigned char *t = l->trig[i];
        uint32_t n = l->len[i];
        size_t k = i;
        while (k > 0 && key(l, l->trig[k - 1][0]) > key(l, t[0])) {
            l->trig[k] = l->trig[k - 1];
            l->len[k] = l->len[k - 1];
            k--;
        }
        l->trig[k] = t;
        l->len[k] = n;
    }
    size_t j = 0;
    for (unsigned k = 0; k <= 256; k++) {
        while (j < l->ntrig && key(l, l->trig[j][0]) < k)
            j++;
        l->first[k] = (uint16_t)j;
    }
    int lo = -1, hi = -1;
    for (int c = 0; c < 256; c++) {
        unsigned k = key(l, (unsigned char)c);
        if (l->first[k] == l->first[k + 1])
            continue;
        if (lo < 0)
            lo = c;
        hi = c;
    }
    l->lo = lo < 0 ? 1 : (unsigned char)lo;
    l->hi = lo < 0 ? 0 : (unsigned char)hi;
}

/* Whether the n bytes at p are those of trigger t, whose first byte is
 * known to match (case-insensitive groups: t is in lower case, and a byte
 * of t beyond ASCII stands for any such byte). */
static inline int trigger_at(int ci, const unsigned char *p,
                             const unsigned char *t, uint32_t n)
{
    if (!ci) {
        for (uint32_t k = 1; k < n; k++)
            if (p[k] != t[k])
                return 0;
        return 1;
    }
    for (uint32_t k = 1; k < n; k++) {
        unsigned char c = p[k];
        if (t[k] >= 0x80) {
            if (c < 0x80)
                return 0;
            continue;
        }
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if (c != t[k])
            return 0;
    }
    return 1;
}

/* Whether a trigger may start at s[i] (len bytes in s). */
static inline int any_trigger_at(const gloss__match_lead *l, const char *s,
                                 size_t i, size_t len)
{
    const unsigned char *p = (const unsigned char *)s + i;
    unsigned k = key(l, p[0]);
    for (unsigned j = l->first[k]; j < l->first[k + 1]; j++)
        if (len - i >= l->len[j] && trigger_at(l->ci, p, l->trig[j], l->len[j]))
            return 1;
    return 0;
}

#ifdef __SSE2__
/* Bit j set when byte j of the 16 at s is in [lo, lo + span]. */
static inline unsigned in_range16(const char *s, __m128i vlo, __m128i vspan)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
    __m128i t = _mm_sub_epi8(v, vlo);
    return (unsigned)_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_min_epu8(t, vspan), t));
}
#endif

/* The first place in [from, to) where a trigger may start, or to. */
static size_t first_trigger(const gloss__match_lead *l, const char *s,
                            size_t len, size_t from, size_t to)
{
    size_t i = from;
    if (l->lo > l->hi)
        return to;
    unsigned char lo = l->lo, span = (unsigned char)(l->hi - l->lo);
#ifdef __SSE2__
    const __m128i vlo = _mm_set1_epi8((char)lo),
                  vspan = _mm_set1_epi8((char)span);
    if (to - from >= 16) {
        for (; i + 16 <= to; i += 16)
            for (unsigned bits = in_range16(s + i, vlo, vspan); bits;
                 bits &= bits - 1) {
                size_t k = i + (size_t)__builtin_ctz(bits);
                if (any_trigger_at(l, s, k, len))
                    return k;
            }
        /* The last bytes: the 16 that end at `to`, those before i left
         * out. */
        if (i < to) {
            size_t b = to - 16;
            unsigned bits = in_range16(s + b, vlo, vspan) &
                            ~((1u << (i - b)) - 1u);
            for (; bits; bits &= bits - 1) {
                size_t k = b + (size_t)__builtin_ctz(bits);
                if (any_trigger_at(l, s, k, len))
                    return k;
            }
        }
        return to;
    }
#endif
    for (; i < to; i++)
        if ((unsigned char)((unsigned char)s[i] - lo) <= span &&
            any_trigger_at(l, s, i, len))
            return i;
    return to;
}

size_t gloss__match_lead_start(const gloss__match_lead *l, const char *s,
                               size_t n, size_t pos, size_t tstart)
{
    size_t f = first_trigger(l, s, n, pos, tstart);
    while (f > pos && l->bytes[(unsigned char)s[f - 1]])
        f--;
    /* A run may begin inside a character whose last bytes are lead
     * bytes; no match starts there. */
    while (f < tstart && ((unsigned char)s[f] & 0xC0) == 0x80)
        f++;
    return f;
}
