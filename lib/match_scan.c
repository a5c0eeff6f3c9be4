/*
 * match_scan.c - one pass of a matcher over a text (see match.h).
 *
 * The text goes through hs_scan once: a copy with its white space turned
 * into spaces when there are phrases, folded as well when a group folds
 * diacritics and the text is not plain ASCII. The callback does O(1)
 * work: it appends the expression and the end of each report to a flat
 * array, so that Vectorscan's own loop stays hot in the cache. One pass
 * over that array afterwards turns the reports into candidates in bytes
 * of the original text: a phrase starts its length before its end (and
 * the longer phrases chained to it, absent from the database, are
 * compared with the bytes that follow, see match_internal.h); a
 * pattern's start (and its named groups) are found by an end-anchored
 * PCRE2 match over a window before its end; a trigger has PCRE2 run its
 * pattern around it, only as far as matches that start before the
 * trigger's end (an offset limit), and not at all when the pattern's
 * matches all start with a byte of a range (digits) that the window before
 * the trigger lacks; a pattern that declares a lead is searched only from
 * the run of lead characters before the first trigger of the window (see
 * match_lead.c). Candidates that cut a word or a number (in groups
 * that ask for boundaries), and matches of groups that keep diacritics but
 * were found through the folded copy and differ from their phrase, are
 * dropped as they are made; word characters are told apart with a
 * branch-free test on ASCII bytes, and only bytes beyond ASCII are
 * decoded. Prefilter patterns only record that they fired; PCRE2 then
 * runs them over the original text. The reports are handled in the order
 * Vectorscan gave them, so that a pattern's match found from one trigger
 * is skipped from the next one exactly as when the callback did all the
 * work; tests/test_match.c checks the matches on the fixtures against
 * those recorded before the work moved out of the callback.
 *
 * Overlaps are resolved greedily: candidates sorted by length (longest
 * first), priority (highest first), start (earliest first) and entry
 * (first added first) are taken one by one unless they overlap one taken
 * already. Sorted by start, candidates fall into clusters of overlapping
 * ones, and the choice only runs within each cluster: most candidates are
 * alone in theirs.
 */
#include "match_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "match_fold.h"
#include "utf8.h"

static int is_word_cp(uint32_t cp);
static uint32_t cp_before(const char *s, size_t off);
static int on_boundaries(const char *s, size_t n, size_t start, size_t end);
static int word_before(const char *s, size_t off);

/* ASCII letters and digits: 1 at their bytes, 0 at every other byte. */
static const unsigned char ascii_word_tab[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
    ['7'] = 1, ['8'] = 1, ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1,
    ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1,
    ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1,
    ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1,
    ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1,
    ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1};

/* An ASCII letter or digit (0 for bytes beyond ASCII): one lookup. */
static inline int ascii_word(unsigned c)
{
    return ascii_word_tab[c & 0xFF];
}

/* Doubles arr, an array of elements of size bytes with room for *cap
 * (first when empty): the array moved, and *cap updated; NULL (and
 * m->oom) when out of memory, arr untouched. Out of line and cold, so that
 * its callers (the Vectorscan callback, add_cand) save no registers for
 * their rare call. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline, cold))
#endif
static void *grow_array(gloss__matcher *m, void *arr, size_t *cap, size_t size,
                        size_t first)
{
    size_t ncap = *cap ? *cap * 2 : first;
    void *p = realloc(arr, ncap * size);
    if (!p) {
        m->oom = 1;
        return NULL;
    }
    *cap = ncap;
    return p;
}

/* Adds a candidate that passed its checks. */
static inline int add_cand(gloss__matcher *m, size_t start, size_t end,
                           uint32_t entry, int priority, uint32_t cap_off,
                           uint32_t ncaps)
{
    if (m->ncands == m->capcands) {
        match_cand *c = grow_array(m, m->cands, &m->capcands, sizeof *c, 256);
        if (!c)
            return -1;
        m->cands = c;
    }
    m->cands[m->ncands++] =
        (match_cand){start, end, entry, priority, cap_off, ncaps};
    return 0;
}

/* Adds a candidate of a pattern unless it cuts a word in a group that asks
 * for boundaries; a refused one gives back the named groups pushed for it
 * (they are the last ones in m->caps). */
static int push_cand(gloss__matcher *m, size_t start, size_t end,
                     uint32_t entry, uint32_t cap_off, uint32_t ncaps)
{
    const match_entry *e = &m->entries[entry];
    if (m->groups[e->group].o.boundaries &&
        !on_boundaries(m->text, m->len, start, end)) {
        m->ncaps = cap_off;
        return 0;
    }
    return add_cand(m, start, end, entry, e->pub.priority, cap_off, ncaps);
}

/* Where the byte at offset off of the scanned text came from. */
static size_t orig_start(gloss__matcher *m, size_t off)
{
    if (!m->mapped)
        return off;
    return off >= m->scanned_len ? m->len : gloss__fold_orig_start(&m->map, off,
                                                           &m->map_hint);
}

/* The end in the original text of a match ending before byte off of the
 * scanned text. A match that ends inside the folded form of a character
 * ("s" of the "ss" of "ß") takes the whole character. */
static size_t orig_end(gloss__matcher *m, size_t off)
{
    if (!m->mapped)
        return off;
    return off >= m->scanned_len ? m->len : gloss__fold_orig_end(&m->map, off,
                                                         &m->map_hint);
}

/* Runs re (its JIT code when jit is set) over subject [0, len) from
 * start: arguments are valid and the text is valid UTF-8 by then. */
static inline int run_re(const pcre2_code *re, int jit, const char *subject,
                         size_t len, size_t start, pcre2_match_data *md,
                         pcre2_match_context *mctx)
{
    if (jit)
        return pcre2_jit_match(re, (PCRE2_SPTR)subject, len, start, 0, md,
                               mctx);
    return pcre2_match(re, (PCRE2_SPTR)subject, len, start,
                       PCRE2_NO_UTF_CHECK, md, mctx);
}

static int push_cap(gloss__matcher *m, const char *name, size_t s, size_t e)
{
    if (m->ncaps == m->capcaps) {
        size_t ncap = m->capcaps ? m->capcaps * 2 : 64;
        gloss__match_cap *c = realloc(m->caps, ncap * sizeof(*c));
        if (!c) {
            m->oom = 1;
            return -1;
        }
        m->caps = c;
        m->capcaps = ncap;
    }
    m->caps[m->ncaps++] = (gloss__match_cap){name, s, e};
    return 0;
}

/* Records the named groups of the match in m->md (subject offsets, mapped
 * to the original text when mapped is set); *off and *n receive where
 * they went in m->caps. */
static int push_named(gloss__matcher *m, const match_entry *e, int rc,
                      int mapped, uint32_t *off, uint32_t *n)
{
    uint32_t namecount = e->namecount, entry_size = e->name_entry_size;
    PCRE2_SPTR table = e->name_table;
    *off = (uint32_t)m->ncaps;
    *n = 0;
    if (namecount == 0)
        return 0;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
    for (uint32_t k = 0; k < namecount; k++) {
        const unsigned char *ent = table + (size_t)k * entry_size;
        uint32_t g = ((uint32_t)ent[0] << 8) | ent[1];
        if ((int)g >= rc || ov[2 * g] == PCRE2_UNSET)
            continue;
        size_t s = ov[2 * g], t = ov[2 * g + 1];
        if (mapped) {
            size_t os = orig_start(m, s);
            t = t > s ? orig_end(m, t) : os;
            s = os;
        }
        if (push_cap(m, (const char *)ent + 2, s, t) < 0)
            return -1;
    }
    *n = (uint32_t)m->ncaps - *off;
    return 0;
}

/* A pattern's match ends at `to` of the scanned text: the end-anchored
 * PCRE2 form, tried from the start of the pattern's window on, finds the
 * leftmost start of a match ending there, and its named groups. */
static int pattern_at(gloss__matcher *m, uint32_t id, size_t to)
{
    const match_entry *e = &m->entries[id];
    size_t from = to > e->window ? to - e->window : 0;
    while (from > 0 && ((unsigned char)m->scanned[from] & 0xC0) == 0x80)
        from++;
    int rc = run_re(e->re_end, e->jit & JIT_END, m->scanned, to, from, m->md,
                    NULL);
    if (rc < 0)
        return 0; /* Vectorscan and PCRE2 disagree: trust PCRE2 */
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
    size_t s = orig_start(m, ov[0]), t = orig_end(m, to);
    if (t <= s)
        return 0;
    uint32_t off, n;
    if (push_named(m, e, rc, m->mapped, &off, &n) < 0)
        return -1;
    return push_cand(m, s, t, id, off, n);
}

/* Whether one of the n bytes at s is in [lo, hi]. */
static int has_byte_in(const char *s, size_t n, unsigned char lo,
                       unsigned char hi)
{
    size_t i = 0;
#ifdef __SSE2__
    const __m128i vlo = _mm_set1_epi8((char)lo),
                  span = _mm_set1_epi8((char)(hi - lo));
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i t = _mm_sub_epi8(v, vlo);
        if (_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(t, span), t)))
            return 1;
    }
#endif
    for (; i < n; i++)
        if ((unsigned char)((unsigned char)s[i] - lo) <= (unsigned char)(hi - lo))
            return 1;
    return 0;
}

/* A trigger of pattern id ends at `to`: PCRE2 looks for the pattern's
 * matches from a window before the trigger to a window after it. A match
 * that overlaps one found for the same pattern earlier in this scan was
 * found from an earlier trigger already. */
static int triggered_at(gloss__matcher *m, uint32_t id, size_t tstart,
                        size_t to, int starts)
{
    match_entry *e = &m->entries[id];
    /* A trigger that starts with a letter or digit must start a word:
     * "men" is not looked for in "amendment". */
    unsigned char first = (unsigned char)m->scanned[tstart];
    if ((first < 0x80 ? ascii_word(first) : is_word_cp(first)) &&
        word_before(m->scanned, tstart))
        return 0;
    size_t end = m->scanned_len - to > e->window ? to + e->window
                                                 : m->scanned_len;
    while (end < m->scanned_len && ((unsigned char)m->scanned[end] & 0xC0) == 0x80)
        end--;
    if (starts) {
        /* The match starts with the trigger: one anchored attempt. */
        if (e->seen_scan == m->scan_no && tstart < e->seen_end)
            return 0;
        int rc = run_re(e->re_start, e->jit & JIT_START, m->scanned, end,
                        tstart, m->md, NULL);
        if (rc < 0)
            return 0;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
        size_t s = ov[0], t = ov[1];
        if (t <= s)
            return 0;
        e->seen_scan = m->scan_no;
        e->seen_end = t;
        size_t os = orig_start(m, s), ot = orig_end(m, t);
        uint32_t off, n;
        if (ot > os && (push_named(m, e, rc, m->mapped, &off, &n) < 0 ||
                        push_cand(m, os, ot, id, off, n) < 0))
            return -1;
        return 0;
    }
    size_t pos = tstart > e->window ? tstart - e->window : 0;
    while (pos > 0 && ((unsigned char)m->scanned[pos] & 0xC0) == 0x80)
        pos++;
    /* A search from `to` on could only find matches that start after the
     * trigger, which this loop gives up on: stop before making it. */
    /* No byte a match can start with before `to`: no match to look for. */
    if (e->has_first &&
        !has_byte_in(m->scanned + pos, to - pos, e->first_lo, e->first_hi))
        return 0;
    /* A pattern that declares a lead: no match starts before the run of
     * lead characters ending at the first trigger of the window. */
    if (e->lead)
        pos = gloss__match_lead_start(e->lead, m->scanned, m->scanned_len, pos,
                                      tstart);
    /* Matches must start before `to` (the loop gives up on others): the
     * offset limit keeps PCRE2 from looking for them further on. */
    pcre2_set_offset_limit(m->mctx, to - 1);
    while (pos < to) {
        int rc = run_re(e->re, e->jit & JIT_RE, m->scanned, end, pos, m->md,
                        m->mctx);
        if (rc < 0)
            return 0;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
        size_t s = ov[0], t = ov[1];
        if (s >= to)
            return 0;
        if (t > s) {
            int seen = e->seen_scan == m->scan_no && s < e->seen_end;
            if (!seen) {
                e->seen_scan = m->scan_no;
                e->seen_end = t;
                size_t os = orig_start(m, s), ot = orig_end(m, t);
                uint32_t off, n;
                if (ot > os &&
                    (push_named(m, e, rc, m->mapped, &off, &n) < 0 ||
                     push_cand(m, os, ot, id, off, n) < 0))
                    return -1;
            }
            pos = t;
        } else {
            pos = t + 1;
            while (pos < end && ((unsigned char)m->scanned[pos] & 0xC0) == 0x80)
                pos++;
        }
    }
    return 0;
}

/* The callback: O(1), no allocation but the array's rare growth. */
static int on_match(unsigned int xid, unsigned long long from,
                    unsigned long long to, unsigned int flags, void *ctx)
{
    (void)flags;
    (void)from;
    gloss__matcher *m = ctx;
    if (m->nhits == m->caphits) {
        match_hit *h = grow_array(m, m->hits, &m->caphits, sizeof *h, 1024);
        if (!h)
            return 1;
        m->hits = h;
    }
    m->hits[m->nhits++] = (match_hit){xid, (uint32_t)to};
    return 0;
}

static int spells(const char *text, size_t start, size_t end, const char *p,
                  int ci);

/* Whether the scanned bytes at off - 1 and off (0 < off) are both copied
 * as they are from the text: always, when the text was scanned as it is;
 * otherwise when folding changed neither (the from_point bitmap). */
static inline int copied_pair(const gloss__matcher *m, size_t off)
{
    if (!m->mapped)
        return 1;
    /* The two bits from the two bytes of the bitmap that hold them (the
     * bitmap has a byte to spare at its end). */
    const unsigned char *b = m->from_point + ((off - 1) >> 3);
    unsigned pair = (unsigned)b[0] | (unsigned)b[1] << 8;
    return !((pair >> ((off - 1) & 7)) & 3);
}

/* Whether the scanned bytes at off - 1 and off are both ASCII letters or
 * digits copied as they are from the text: a match cannot start or end
 * between them, as on_boundaries() would find in the text itself. */
static inline int cuts_word(const gloss__matcher *m, size_t off)
{
    if (off == 0 || off >= m->scanned_len)
        return 0;
    if (!ascii_word((unsigned char)m->scanned[off - 1]) ||
        !ascii_word((unsigned char)m->scanned[off]))
        return 0;
    return copied_pair(m, off);
}

/* Whether the scanned bytes at off - 1 and off settle the boundary at
 * off on their own, so that cuts_word() has said all on_boundaries() would
 * say about it in the text: both are ASCII bytes copied as they are from
 * the text (ASCII white space turned into spaces is still not a word
 * byte), or off is the end of the text. The start of a folded text is
 * left to on_boundaries(): a character folded to nothing may come first. */
static inline int settled(const gloss__matcher *m, size_t off)
{
    if (off >= m->scanned_len)
        return 1;
    if (off == 0)
        return !m->mapped;
    if (((unsigned char)m->scanned[off - 1] | (unsigned char)m->scanned[off]) &
        0x80)
        return 0;
    return copied_pair(m, off);
}

/* A phrase ends at `to` of the scanned text. The commonest refusal comes
 * first and costs a few instructions: a phrase that is the start of a
 * longer word (Kazak, Kazakh and Kazakhs at every Kazakhstan). Most
 * phrases that pass it are between ASCII bytes, which settle their
 * boundaries without decoding the text. */
static int phrase_span(gloss__matcher *m, const match_expr *x, size_t to);

static inline int phrase_at(gloss__matcher *m, const match_expr *x, size_t to)
{
    if (to < x->len)
        return 0;
    if (x->boundaries && (cuts_word(m, to) || cuts_word(m, to - x->len)))
        return 0;
    return phrase_span(m, x, to);
}

/* The rest of phrase_at(), out of line so that its quick refusals inline
 * where phrases are handled and cost no call: the span in the text, its
 * boundaries there when the scanned bytes do not settle them, its
 * spelling. */
static int phrase_span(gloss__matcher *m, const match_expr *x, size_t to)
{
    size_t s = to - x->len, t = to;
    if (m->mapped) {
        if (t >= m->scanned_len)
            s = orig_start(m, s), t = m->len;
        else
            gloss__fold_orig_span(&m->map, s, t, &s, &t, &m->map_hint);
        if (t <= s)
            return 0;
    }
    if (x->boundaries &&
        !(settled(m, to) && settled(m, to - x->len)) &&
        !on_boundaries(m->text, m->len, s, t))
        return 0;
    if (x->spell && m->mapped) {
        const match_entry *e = &m->entries[x->entry];
        if (!spells(m->text, s, t, e->text,
                    m->groups[e->group].o.case_insensitive))
            return 0;
    }
    return add_cand(m, s, t, x->entry, x->priority, 0, 0);
}

/* How child phrase y (whose first xl bytes are its parent's) compares
 * with the tn bytes of scanned text at t (the parent's bytes there too):
 * < 0 when it sorts before, > 0 after, 0 when the text starts with it. */
static inline int cmp_child(const match_expr *y, const unsigned char *t,
                            size_t tn, size_t xl)
{
    const unsigned char *a = (const unsigned char *)y->lit;
    size_t n = y->len < tn ? y->len : tn;
    for (size_t i = xl; i < n; i++)
        if (a[i] != t[i])
            return a[i] < t[i] ? -1 : 1;
    return y->len <= tn ? 0 : 1;
}

/* Phrase x starts at `start` of the scanned text (Vectorscan found it
 * there): the child whose remaining bytes follow, if one does, is found
 * there too, as Vectorscan would have reported it, and so on down (a loop
 * rather than a call per level: Kazak, Kazakh, Kazakhs, Kazakhstan). The
 * children are sorted by bytes and none starts another, so the one found
 * is the last that does not sort after the text: a binary search. */
static int chain_at(gloss__matcher *m, const match_expr *x, size_t start)
{
    const unsigned char *t = (const unsigned char *)m->scanned + start;
    size_t tn = m->scanned_len - start;
    while (x->nkids) {
        const uint32_t *kids = m->kids + x->kids;
        size_t lo = 0, hi = x->nkids;
        const match_expr *y = NULL;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            const match_expr *c = &m->exprs[kids[mid]];
            int r = cmp_child(c, t, tn, x->len);
            if (r == 0) {
                y = c;
                break;
            }
            if (r < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        /* Not found: had one followed, the search would have met it (lo
         * only passes a child that sorts before the text). */
        if (!y)
            return 0;
        if (phrase_at(m, y, start + y->len) < 0)
            return -1;
        x = y;
    }
    return 0;
}

/* How many reports ahead handle_hits() asks for the expression it will
 * need: the table of a large dictionary does not stay in the cache while
 * Vectorscan scans, and reports come in no order of expression. */
#define PREFETCH_AHEAD 8

/* Turns the reports of the scan into candidates, in the order they came. */
static int handle_hits(gloss__matcher *m)
{
    for (size_t i = 0; i < m->nhits; i++) {
#if defined(__GNUC__) || defined(__clang__)
        if (i + PREFETCH_AHEAD < m->nhits)
            __builtin_prefetch(&m->exprs[m->hits[i + PREFETCH_AHEAD].expr]);
#endif
        const match_expr *x = &m->exprs[m->hits[i].expr];
        size_t to = m->hits[i].to;
        int rc = 0;
        switch (x->what) {
        case EXPR_PHRASE:
            rc = phrase_at(m, x, to);
            if (x->nkids && rc == 0)
                rc = chain_at(m, x, to - x->len);
            break;
        case EXPR_TRIGGER:
            rc = triggered_at(m, x->entry, to >= x->len ? to - x->len : 0, to,
                              x->starts);
            break;
        case EXPR_PREFILTER:
            if (!m->fired[x->entry]) {
                m->fired[x->entry] = 1;
                m->fired_list[m->nfired++] = x->entry;
            }
            break;
        default:
            rc = pattern_at(m, x->entry, to);
            break;
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* ---- checks on a candidate ---------------------------------------------------- */

static int is_word_cp(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
               (cp >= '0' && cp <= '9');
    switch (utf8proc_category((utf8proc_int32_t)cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return 1;
    default:
        return 0;
    }
}

/* The code point ending at off (0 when there is none or it is broken). */
static uint32_t cp_before(const char *s, size_t off)
{
    if (off == 0)
        return 0;
    size_t i = off - 1;
    while (i > 0 && off - i < 4 && ((unsigned char)s[i] & 0xC0) == 0x80)
        i--;
    uint32_t cp = 0;
    if (gloss__utf8_decode((const unsigned char *)s + i, off - i, &cp, NULL) !=
        off - i)
        return 0;
    return cp;
}

static uint32_t cp_at(const char *s, size_t n, size_t off)
{
    uint32_t cp = 0;
    if (off >= n ||
        !gloss__utf8_decode((const unsigned char *)s + off, n - off, &cp, NULL))
        return 0;
    return cp;
}

/* Whether the character ending at off, or starting at off, is a word
 * character: ASCII bytes answer at once, others are decoded. */
static int word_before(const char *s, size_t off)
{
    if (off == 0)
        return 0;
    unsigned char c = (unsigned char)s[off - 1];
    return c < 0x80 ? ascii_word(c) : is_word_cp(cp_before(s, off));
}

static int word_at(const char *s, size_t n, size_t off)
{
    if (off >= n)
        return 0;
    unsigned char c = (unsigned char)s[off];
    return c < 0x80 ? ascii_word(c) : is_word_cp(cp_at(s, n, off));
}

/* A match must not start or end between two word characters. The end is
 * tried first: a phrase that is the start of a longer word ("Kazak" in
 * "Kazakhstan") is the commonest refusal. */
static int on_boundaries(const char *s, size_t n, size_t start, size_t end)
{
    if (word_at(s, n, end) && word_before(s, end))
        return 0;
    if (word_at(s, n, start) && word_before(s, start))
        return 0;
    return 1;
}

static int is_space_cp(uint32_t cp)
{
    return cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0xA0 ||
           (cp > 0x7F &&
            utf8proc_category((utf8proc_int32_t)cp) == UTF8PROC_CATEGORY_ZS);
}

/* Whether text [start, end) spells phrase p exactly (case aside when ci),
 * runs of white space being equal to runs of white space. */
static int spells(const char *text, size_t start, size_t end, const char *p,
                  int ci)
{
    size_t i = start, j = 0, pn = strlen(p);
    while (i < end && j < pn) {
        uint32_t a = 0, b = 0;
        size_t ka = gloss__utf8_decode((const unsigned char *)text + i, end - i,
                                       &a, NULL);
        size_t kb = gloss__utf8_decode((const unsigned char *)p + j, pn - j, &b,
                                       NULL);
        if (!ka || !kb)
            return 0;
        if (is_space_cp(a) && is_space_cp(b)) {
            while (i < end && is_space_cp(cp_at(text, end, i)))
                i += gloss__utf8_decode((const unsigned char *)text + i,
                                        end - i, &a, NULL);
            while (j < pn && is_space_cp(cp_at(p, pn, j)))
                j += gloss__utf8_decode((const unsigned char *)p + j, pn - j,
                                        &b, NULL);
            continue;
        }
        if (a != b && !(ci && utf8proc_tolower((utf8proc_int32_t)a) ==
                                  utf8proc_tolower((utf8proc_int32_t)b)))
            return 0;
        i += ka;
        j += kb;
    }
    return i == end && j == pn;
}

/* ---- prefilter patterns ------------------------------------------------------- */

/* Runs a prefilter pattern over the original text with PCRE2. */
static int run_pcre(gloss__matcher *m, uint32_t id, char *err, size_t errlen)
{
    const match_entry *e = &m->entries[id];
    size_t pos = 0;
    while (pos <= m->len) {
        int rc = pcre2_match(e->re, (PCRE2_SPTR)m->text, m->len, pos,
                             PCRE2_NO_UTF_CHECK, m->md, NULL);
        if (rc == PCRE2_ERROR_NOMATCH)
            break;
        if (rc < 0) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(rc, msg, sizeof msg);
            snprintf(err, errlen, "%s: pattern '%.200s': %s", e->where,
                     e->text, (const char *)msg);
            return -1;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
        size_t s = ov[0], t = ov[1];
        if (t > s) {
            uint32_t off, n;
            if (push_named(m, e, rc, 0, &off, &n) < 0 ||
                push_cand(m, s, t, id, off, n) < 0)
                return -1;
            pos = t;
        } else {
            /* An empty match: step over one character. */
            pos = t + 1;
            while (pos < m->len && ((unsigned char)m->text[pos] & 0xC0) == 0x80)
                pos++;
        }
    }
    return 0;
}

/* ---- resolving overlaps ------------------------------------------------------- */

/* Sets the bits of m->from_point for the folded bytes of every point of
 * the map (characters that folding changed), clearing the others, so that
 * cuts_word() knows the bytes it may take for the text's own. */
static int mark_points(gloss__matcher *m)
{
    /* A byte to spare, so that copied_pair() reads two bytes at once. */
    size_t nb = m->scanned_len / 8 + 2;
    if (nb > m->capbits) {
        unsigned char *b = realloc(m->from_point, nb);
        if (!b)
            return -1;
        m->from_point = b;
        m->capbits = nb;
    }
    memset(m->from_point, 0, nb);
    for (size_t i = 0; i < m->map.n; i++) {
        /* A character folded to nothing (a mark, a soft hyphen) lies
         * between two folded bytes: both are marked. */
        const gloss__fold_point *p = &m->map.p[i];
        size_t f = p->f, e = (size_t)p->f + p->flen;
        if (p->flen == 0)
            f -= f > 0, e++;
        for (; f < e && f <= m->scanned_len; f++)
            m->from_point[f >> 3] |= (unsigned char)(1u << (f & 7));
    }
    return 0;
}

static int by_preference(const void *pa, const void *pb)
{
    const match_cand *a = pa, *b = pb;
    size_t la = a->end - a->start, lb = b->end - b->start;
    if (la != lb)
        return la > lb ? -1 : 1;
    if (a->priority != b->priority)
        return a->priority > b->priority ? -1 : 1;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return a->entry < b->entry ? -1 : a->entry > b->entry;
}

/* Sorts a cluster by preference. Most clusters hold two to a few
 * candidates (a phrase and the longer one around it), for which an
 * insertion sort does without qsort's calls through a pointer; by
 * preference, candidates are only equal when they are the same span of
 * the same entry, so both sorts give the same matches. */
static void sort_cluster(match_cand *c, size_t n)
{
    if (n > 16) {
        qsort(c, n, sizeof(*c), by_preference);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        match_cand x = c[i];
        size_t k = i;
        while (k > 0 && by_preference(&c[k - 1], &x) > 0) {
            c[k] = c[k - 1];
            k--;
        }
        c[k] = x;
    }
}

long gloss__matcher_scan(gloss__matcher *m, const char *text, size_t len,
                         const gloss__match **out, char *err, size_t errlen)
{
    *out = NULL;
    m->ncands = m->ncaps = 0;
    m->oom = 0;
    m->scan_no++;
    if (!m->db)
        return 0;
    if (len > UINT32_MAX - 1) {
        snprintf(err, errlen, "the text is too long to match (%zu bytes)", len);
        return -1;
    }
    m->text = text;
    m->len = len;
    m->scanned = text;
    m->scanned_len = len;
    m->mapped = 0;
    /* Vectorscan's UTF-8 mode and PCRE2 both need valid UTF-8; folding
     * checks it on its way, other texts beyond ASCII are checked here. */
    static const char bad_utf8[] =
        "the text is not valid UTF-8 (run normalize before match)";
    int ascii = gloss__fold_is_ascii(text, len);
    if (m->fold && !ascii) {
        gloss__buf_clear(&m->folded);
        if (gloss__fold(&m->folded, text, len, &m->map) < 0 ||
            m->folded.len > UINT32_MAX - 1) {
            snprintf(err, errlen, "%s", m->map.bad ? bad_utf8
                                   : "out of memory folding the text");
            return -1;
        }
        if (m->map.bad) {
            snprintf(err, errlen, "%s", bad_utf8);
            return -1;
        }
        m->scanned = m->folded.data ? m->folded.data : "";
        m->scanned_len = m->folded.len;
        m->mapped = 1;
        if (mark_points(m) < 0) {
            snprintf(err, errlen, "out of memory matching");
            return -1;
        }
        m->map_hint = 0;
    } else if (!ascii && gloss__utf8_valid_prefix(text, len) != len) {
        snprintf(err, errlen, "%s", bad_utf8);
        return -1;
    } else if (m->phrases) {
        gloss__buf_clear(&m->folded);
        gloss__fold_spaces(&m->folded, text, len);
        if (m->folded.oom) {
            snprintf(err, errlen, "out of memory matching");
            return -1;
        }
        m->scanned = m->folded.data ? m->folded.data : "";
    }
    m->nhits = 0;
    hs_error_t hr = hs_scan(m->db, m->scanned, (unsigned)m->scanned_len, 0,
                            m->scratch, on_match, m);
    if (!m->oom && hr == HS_SUCCESS)
        handle_hits(m);
    for (size_t i = 0; i < m->nfired; i++)
        m->fired[m->fired_list[i]] = 0;
    size_t nfired = m->nfired;
    m->nfired = 0;
    if (m->oom || (hr != HS_SUCCESS && hr != HS_SCAN_TERMINATED)) {
        snprintf(err, errlen, m->oom ? "out of memory matching"
                                     : "hs_scan failed (error %d)", (int)hr);
        return -1;
    }
    for (size_t i = 0; i < nfired; i++)
        if (run_pcre(m, m->fired_list[i], err, errlen) < 0) {
            if (m->oom)
                snprintf(err, errlen, "out of memory matching");
            return -1;
        }

    /* Every candidate passed its checks when it was made: resolve
     * overlaps. */
    size_t n = m->ncands;
    if (n == 0)
        return 0;
    if (n > m->capout) {
        gloss__match *o = realloc(m->out, n * sizeof(*o));
        if (!o) {
            snprintf(err, errlen, "out of memory matching");
            return -1;
        }
        m->out = o;
        m->capout = n;
    }
    /* Sorted by start, candidates fall into clusters of overlapping ones;
     * most are alone, and only clusters need the greedy choice. They come
     * nearly in order (Vectorscan reports by end), so insertion sort. */
    match_cand *c = m->cands;
    for (size_t i = 1; i < n; i++) {
        match_cand x = c[i];
        size_t k = i;
        while (k > 0 && (c[k - 1].start > x.start ||
                         (c[k - 1].start == x.start && c[k - 1].end < x.end))) {
            c[k] = c[k - 1];
            k--;
        }
        c[k] = x;
    }
    size_t taken = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1, end = c[i].end;
        while (j < n && c[j].start < end) {
            if (c[j].end > end)
                end = c[j].end;
            j++;
        }
        if (j == i + 1) {
            /* Alone in its cluster, as most are: taken. */
            m->out[taken++] = (gloss__match){c[i].start, c[i].end,
                                             &m->entries[c[i].entry].pub,
                                             m->caps + c[i].cap_off,
                                             c[i].ncaps};
            i = j;
            continue;
        }
        size_t first = taken;
        sort_cluster(c + i, j - i);
        for (size_t k = i; k < j; k++) {
            int clash = 0;
            for (size_t t = first; t < taken && !clash; t++)
                clash = c[k].start < m->out[t].end && m->out[t].start < c[k].end;
            if (clash)
                continue;
            /* Kept in start order within the cluster. */
            size_t t = taken++;
            while (t > first && m->out[t - 1].start > c[k].start) {
                m->out[t] = m->out[t - 1];
                t--;
            }
            m->out[t] = (gloss__match){c[k].start, c[k].end,
                                       &m->entries[c[k].entry].pub,
                                       m->caps + c[k].cap_off, c[k].ncaps};
        }
        i = j;
    }
    *out = m->out;
    return (long)taken;
}
