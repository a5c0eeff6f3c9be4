/*
 * normalize.c - the built-in `normalize` stage: valid UTF-8, one Unicode
 * normalization form, one kind of line break, no stray controls.
 *
 * Text arrives from PDF and HTML extraction and is mostly ASCII, and most
 * documents need no change at all, so the stage is built around one fast
 * read-only pass that validates the text and looks for anything to change.
 * Only when it finds something does the stage write a new text, in two
 * steps: cleaning (ill-formed UTF-8 replaced or rejected, line breaks
 * unified, controls dropped) and then normalization.
 *
 * Both steps record where their output came from, so that spans over the
 * new text can be led back to the bytes the user sent: a point on each
 * side of every change, none for copied text, so that a text with a few
 * changes costs a few points. Normalization carries cleaning's points
 * through as it copies, which gives the document one map from the stage's
 * output to its input.
 *
 * Normalization never runs over the whole text. A character is "stable"
 * when normalization leaves it alone whatever surrounds it: it is a starter
 * (canonical combining class 0), the chosen form maps it to itself, and it
 * is never the second half of a canonical composition (so nothing before it
 * can absorb it). Normalizing a text then equals normalizing separately the
 * pieces that begin at each stable character. All of ASCII is stable, and
 * so are nearly all the precomposed letters and punctuation real text
 * uses; the rest (combining marks, Hangul vowel and final jamo, characters
 * the form replaces) come in short runs. Each run, with the stable
 * character before it (which a mark may compose with), goes through
 * utf8proc in a reused buffer and is compared with the input; the table of
 * stable characters is built from utf8proc's data when the stage starts.
 *
 * Canonical ordering of combining marks is done here rather than by
 * utf8proc_decompose(), whose exchange sort is quadratic in the length of a
 * run of marks: a document of nothing but accents must not stall a worker.
 */
#include "normalize.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "clean.h"
#include "doc_internal.h"
#include "utf8.h"

/* Code points below this are classified by table: the Basic Multilingual
 * Plane and the two supplementary planes that hold emoji, historic scripts
 * and common CJK extensions. Rarer ones are always given to utf8proc. */
#define TABLE_LIMIT 0x30000u

/* More than the longest decomposition of any character (18 for U+FDFA). */
#define DECOMP_ROOM 32

/* What cleaning does to one character. */
enum action { KEEP = 0, DROP, TO_LF };

struct gloss__normalizer {
    gloss__normalize_settings set;
    utf8proc_option_t options;  /* utf8proc flags of the form */
    unsigned char ascii[128];   /* enum action for each ASCII byte */
    uint8_t *stable;            /* one bit per code point below TABLE_LIMIT */
};

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* True when all eight bytes of w are printable ASCII (0x20 to 0x7E), which
 * no setting ever changes. */
static inline int plain8(uint64_t w)
{
    uint64_t below_space = (w - ONES * 0x20) & ~w & HIGHS;
    uint64_t del = w ^ (ONES * 0x7F);
    uint64_t is_del = (del - ONES) & ~del & HIGHS;
    return ((w & HIGHS) | below_space | is_del) == 0;
}

/* How many bytes from s[i] on (before n) no setting ever changes:
 * printable ASCII, tab and line feed. Text is mostly these, line breaks
 * included, so the passes below skip them sixteen bytes at a time with
 * SSE2 (every x86-64 has it), eight at a time elsewhere. */
static inline size_t plain_run(const unsigned char *s, size_t i, size_t n)
{
    const size_t start = i;
#if defined(__SSE2__)
    const __m128i below = _mm_set1_epi8(0x20), nl = _mm_set1_epi8('\n');
    const __m128i tab = _mm_set1_epi8('\t'), del = _mm_set1_epi8(0x7F);
    while (i + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        /* Signed: bytes from 0x80 up count as below a space too. */
        __m128i ctl = _mm_andnot_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, nl), _mm_cmpeq_epi8(v, tab)),
            _mm_cmplt_epi8(v, below));
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(ctl, _mm_cmpeq_epi8(v, del)));
        if (m)
            return i + (size_t)__builtin_ctz(m) - start;
        i += 16;
    }
#endif
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (!plain8(w))
            break;
        i += 8;
    }
    while (i < n && ((s[i] >= 0x20 && s[i] < 0x7F) || s[i] == '\n' || s[i] == '\t'))
        i++;
    return i - start;
}

static inline int is_stable(const gloss__normalizer *nz, uint32_t cp)
{
    return cp < TABLE_LIMIT && ((nz->stable[cp >> 3] >> (cp & 7)) & 1);
}

/* The cleaning action for a character outside ASCII at byte offset pos. */
static inline enum action classify(const gloss__normalizer *nz, uint32_t cp,
                                   size_t pos)
{
    if (cp >= 0xA0 && cp != 0xAD && cp != 0xFEFF)
        return KEEP;
    if (cp == 0x85) /* NEL, a line break in EBCDIC-derived text */
        return nz->set.newlines ? TO_LF : KEEP;
    if (cp == 0xFEFF && pos != 0)
        return KEEP; /* inside the text it is a (deprecated) no-break joiner */
    return nz->set.strip_controls ? DROP : KEEP;
}

/* ---- normalizing one run ------------------------------------------------- */

/* A reusable buffer of code points for the runs of one text; it starts on
 * the stack and moves to the heap only for long runs. */
typedef struct scratch {
    utf8proc_int32_t *cps;
    size_t cap;
    utf8proc_int32_t local[256];
} scratch;

static void scratch_init(scratch *sc)
{
    sc->cps = sc->local;
    sc->cap = sizeof sc->local / sizeof sc->local[0];
}

static void scratch_free(scratch *sc)
{
    if (sc->cps != sc->local)
        free(sc->cps);
    scratch_init(sc);
}

static int scratch_reserve(scratch *sc, size_t need)
{
    if (need <= sc->cap)
        return 0;
    size_t cap = sc->cap;
    while (cap < need) {
        if (cap > SIZE_MAX / 2 / sizeof(*sc->cps))
            return -1;
        cap *= 2;
    }
    utf8proc_int32_t *grown;
    if (sc->cps == sc->local) {
        grown = malloc(cap * sizeof(*grown));
        if (grown)
            memcpy(grown, sc->local, sizeof sc->local);
    } else {
        grown = realloc(sc->cps, cap * sizeof(*grown));
    }
    if (!grown)
        return -1;
    sc->cps = grown;
    sc->cap = cap;
    return 0;
}

static unsigned ccc(utf8proc_int32_t cp)
{
    return (unsigned)utf8proc_get_property(cp)->combining_class;
}

static int key_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/*
 * Sorts the marks cps[0..k) by combining class, keeping the order of marks
 * of equal class (the canonical ordering algorithm). Each key packs the
 * class, the position (for stability) and the code point, so that one
 * integer sort does it in O(k log k).
 */
static int sort_marks(utf8proc_int32_t *cps, size_t k)
{
    uint64_t small[64];
    uint64_t *keys = small;
    if (k > sizeof small / sizeof small[0]) {
        if (k > ((uint64_t)1 << 35) || !(keys = malloc(k * sizeof(*keys))))
            return -1;
    }
    for (size_t i = 0; i < k; i++)
        keys[i] = ((uint64_t)ccc(cps[i]) << 56) | ((uint64_t)i << 21) |
                  (uint64_t)cps[i];
    if (k <= sizeof small / sizeof small[0]) {
        for (size_t i = 1; i < k; i++) {
            uint64_t key = keys[i];
            size_t j = i;
            for (; j > 0 && keys[j - 1] > key; j--)
                keys[j] = keys[j - 1];
            keys[j] = key;
        }
    } else {
        qsort(keys, k, sizeof(*keys), key_cmp);
    }
    for (size_t i = 0; i < k; i++)
        cps[i] = (utf8proc_int32_t)(keys[i] & 0x1FFFFF);
    if (keys != small)
        free(keys);
    return 0;
}

/*
 * Normalizes the well-formed UTF-8 in s[0..n). Returns the result, which
 * lives in sc until its next use, and its length in *outlen; NULL when
 * memory runs out.
 */
static const char *normalize_run(const gloss__normalizer *nz, scratch *sc,
                                 const unsigned char *s, size_t n,
                                 size_t *outlen)
{
    size_t m = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = gloss__utf8_decode(s + i, n - i, &cp, NULL);
        if (len == 0 || scratch_reserve(sc, m + DECOMP_ROOM) < 0)
            return NULL;
        utf8proc_ssize_t r = utf8proc_decompose_char(
            (utf8proc_int32_t)cp, sc->cps + m, (utf8proc_ssize_t)(sc->cap - m),
            nz->options, NULL);
        if (r < 0 || (size_t)r > sc->cap - m)
            return NULL;
        m += (size_t)r;
        i += len;
    }
    for (size_t i = 0; i < m;) {
        if (ccc(sc->cps[i]) == 0) {
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < m && ccc(sc->cps[j]) != 0)
            j++;
        if (j - i > 1 && sort_marks(sc->cps + i, j - i) < 0)
            return NULL;
        i = j;
    }
    /* utf8proc_reencode() composes in place, then writes the UTF-8 and a
     * NUL over the same memory: room for one more code point covers it. */
    if (scratch_reserve(sc, m + 1) < 0)
        return NULL;
    utf8proc_ssize_t bytes = utf8proc_reencode(sc->cps, (utf8proc_ssize_t)m,
                                               nz->options);
    if (bytes < 0)
        return NULL;
    *outlen = (size_t)bytes;
    return (const char *)sc->cps;
}

/* ---- building a normalizer ---------------------------------------------- */

static void mark_unstable(uint8_t *table, uint32_t cp)
{
    if (cp < TABLE_LIMIT)
        table[cp >> 3] &= (uint8_t) ~(1u << (cp & 7));
}

/* Fills nz->stable: see the comment at the top of the file. */
static int build_table(gloss__normalizer *nz)
{
    uint8_t *table = malloc(TABLE_LIMIT / 8);
    if (!table)
        return -1;
    memset(table, 0xFF, TABLE_LIMIT / 8);
    nz->stable = table;
    scratch sc;
    scratch_init(&sc);
    int rc = 0;
    for (uint32_t cp = 0; cp < TABLE_LIMIT; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF) {
            mark_unstable(table, cp);
            continue;
        }
        const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)cp);
        if (p->combining_class != 0) {
            mark_unstable(table, cp);
            continue;
        }
        if (p->decomp_seqindex == UINT16_MAX || nz->set.form == GLOSS__FORM_NONE)
            continue;
        /* A character with a decomposition is stable only if the form
         * brings it back to itself (é does under NFC; ﬁ does not under
         * NFKC). */
        char utf8[4];
        size_t len = gloss__utf8_encode(cp, utf8), out;
        const char *norm = normalize_run(nz, &sc, (const unsigned char *)utf8,
                                         len, &out);
        if (!norm) {
            rc = -1;
            break;
        }
        if (out != len || memcmp(norm, utf8, len) != 0)
            mark_unstable(table, cp);
    }
    scratch_free(&sc);
    if (rc < 0)
        return -1;
    /* Whatever follows the first character of a canonical decomposition
     * can be absorbed by what precedes it (U+0BCA is U+0BC6 U+0BBE, so
     * U+0BBE after U+0BC6 composes). Marking every later character of
     * every decomposition is a superset of the true second halves, which
     * costs a little speed and never correctness. */
    for (uint32_t cp = 0; cp < 0x110000; cp++) {
        const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)cp);
        if (p->decomp_seqindex == UINT16_MAX || p->decomp_type != 0)
            continue;
        utf8proc_int32_t d[DECOMP_ROOM];
        utf8proc_ssize_t n = utf8proc_decompose_char(
            (utf8proc_int32_t)cp, d, DECOMP_ROOM, UTF8PROC_DECOMPOSE, NULL);
        for (utf8proc_ssize_t i = 1; i < n && i < DECOMP_ROOM; i++)
            mark_unstable(table, (uint32_t)d[i]);
    }
    /* Hangul syllables compose by arithmetic, not from the tables: a vowel
     * jamo joins a leading consonant, a final consonant joins a syllable. */
    for (uint32_t cp = 0x1161; cp <= 0x1175; cp++)
        mark_unstable(table, cp);
    for (uint32_t cp = 0x11A8; cp <= 0x11C2; cp++)
        mark_unstable(table, cp);
    return 0;
}

gloss__normalizer *gloss__normalizer_new(const gloss__normalize_settings *settings)
{
    gloss__normalizer *nz = calloc(1, sizeof(*nz));
    if (!nz)
        return NULL;
    nz->set = *settings;
    nz->options = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
    if (settings->form == GLOSS__FORM_NFKC)
        nz->options |= UTF8PROC_COMPAT;
    for (unsigned c = 0; c < 128; c++) {
        enum action a = KEEP;
        if (c == '\r' || c == '\v')
            a = settings->newlines ? TO_LF : KEEP;
        else if ((c < 0x20 && c != '\t' && c != '\n' && c != '\f') || c == 0x7F)
            a = settings->strip_controls ? DROP : KEEP;
        nz->ascii[c] = (unsigned char)a;
    }
    /* Without a form the table is never consulted. */
    if (settings->form != GLOSS__FORM_NONE && build_table(nz) < 0)
        gloss__normalizer_destroy(&nz);
    return nz;
}

void gloss__normalizer_destroy(gloss__normalizer **nz)
{
    if (!nz || !*nz)
        return;
    free((*nz)->stable);
    free(*nz);
    *nz = NULL;
}

/* ---- the map of a pass ---------------------------------------------------- */

void gloss__norm_map_free(gloss__norm_map *map)
{
    free(map->pts);
    map->pts = NULL;
    map->n = map->cap = 0;
    map->oom = 0;
}

static void map_append(gloss__norm_map *m, size_t nw, size_t old)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        gloss_offset_map_entry *grown =
            cap > SIZE_MAX / sizeof(*grown) ? NULL
                                            : realloc(m->pts, cap * sizeof(*grown));
        if (!grown) {
            m->oom = 1;
            return;
        }
        m->pts = grown;
        m->cap = cap;
    }
    m->pts[m->n].new_start = nw;
    m->pts[m->n].old_start = old;
    m->n++;
}

/* Empties the map and gives it its first point, {0, 0}, written out so
 * that map_point() always has a point to compare with. */
static void map_begin(gloss__norm_map *m)
{
    m->n = 0;
    m->oom = 0;
    map_append(m, 0, 0);
}

/*
 * Appends the point {nw, old}. A repeat of the last point is skipped, and
 * a point that only continues a stretch of equal sides replaces the last
 * one: two such stretches in a row translate as one, so a change that
 * keeps the length (a lone CR become LF) leaves no point behind.
 */
static void map_point(gloss__norm_map *m, size_t nw, size_t old)
{
    if (m->oom)
        return;
    size_t k = m->n;
    gloss_offset_map_entry *r = m->pts;
    if (r[k - 1].new_start == nw && r[k - 1].old_start == old)
        return;
    if (gloss__map_extends(r, k, nw, old)) {
        r[k - 1].new_start = nw;
        r[k - 1].old_start = old;
        return;
    }
    map_append(m, nw, old);
}

/*
 * Carries cleaning's map (cleaned text to input, ending with the point
 * {cleaned length, input length}) through normalization of the cleaned
 * text into out (normal text to input). Both walk forward, so one cursor
 * over cleaning's points does it.
 */
typedef struct composer {
    const gloss_offset_map_entry *p; /* cleaning's points */
    size_t np;
    size_t j;                        /* the first point not yet passed over */
    gloss_offset_map_entry last;     /* the last point passed over */
    gloss__norm_map *out;
} composer;

/* Passes on cleaning's points up to cleaned offset x (those at x
 * included), shifted to the normal text, where x lies at nx: the text
 * between the last change and x was copied. */
static void compose_copy(composer *c, size_t x, size_t nx)
{
    for (; c->j < c->np && c->p[c->j].new_start <= x; c->j++) {
        c->last = c->p[c->j];
        map_point(c->out, nx - (x - c->last.new_start), c->last.old_start);
    }
}

/* Cleaned offset x (not before the last point passed over) in the input,
 * clamped as in a replaced stretch (see gloss_offset_map_entry). */
static size_t compose_through(const composer *c, size_t x)
{
    size_t d = x - c->last.new_start;
    if (c->j < c->np && d > c->p[c->j].old_start - c->last.old_start)
        d = c->p[c->j].old_start - c->last.old_start;
    return c->last.old_start + d;
}

/*
 * Records that normalization replaced the cleaned bytes [cs, ce) by the
 * normal bytes [ns, ne). They become one stretch, from cs past whatever
 * cleaning removed there to ce before whatever it removed there (that
 * belongs to the text around, and gets its own points); cleaning's points
 * inside the stretch are dropped, since the stretch is replaced as a
 * whole.
 */
static void compose_replace(composer *c, size_t cs, size_t ce, size_t ns,
                            size_t ne)
{
    compose_copy(c, cs, ns);
    map_point(c->out, ns, compose_through(c, cs));
    for (; c->j < c->np && c->p[c->j].new_start < ce; c->j++)
        c->last = c->p[c->j];
    size_t oe = c->j < c->np && c->p[c->j].new_start == ce
                    ? c->p[c->j].old_start
                    : compose_through(c, ce);
    map_point(c->out, ne, oe);
}

/* ---- the passes ---------------------------------------------------------- */

/*
 * Walks s[0..n) run by run. Without out, it checks: it returns 1 at the
 * first thing cleaning or normalization would change, with *from set to
 * the byte where rewriting must begin, or 0 when the text is normal. With
 * out, s is cleaned text, and it appends the normalized text to out,
 * records each run it replaced through cz (whose map counts from the
 * length out had on entry; the caller passes on cleaning's points after
 * the last run), and returns 0. Returns -1 when memory runs out.
 */
static int scan(const gloss__normalizer *nz, const unsigned char *s, size_t n,
                scratch *sc, gloss__buf *out, size_t *from, composer *cz)
{
    const size_t base = out ? out->len : 0;
    const int checking = out == NULL;
    const int forms = nz->set.form != GLOSS__FORM_NONE;
    size_t i = 0, prev = 0, copied = 0;
    while (i < n) {
        size_t k = plain_run(s, i, n);
        if (k) {
            i += k;
            prev = i - 1;
            continue;
        }
        if (s[i] < 0x80) {
            if (checking && nz->ascii[s[i]] != KEEP) {
                *from = i;
                return 1;
            }
            prev = i++;
            continue;
        }
        uint32_t cp;
        size_t len = gloss__utf8_decode(s + i, n - i, &cp, NULL);
        if (len == 0 && !checking)
            return -1; /* cleaned text is valid: never reached */
        if (checking && (len == 0 || classify(nz, cp, i) != KEEP)) {
            *from = i;
            return 1;
        }
        if (!forms || is_stable(nz, cp)) {
            prev = i;
            i += len;
            continue;
        }
        /* A run of unstable characters, and the stable one before it. */
        size_t start = i ? prev : 0, j = i + len, last = i;
        while (j < n && s[j] >= 0x80) {
            len = gloss__utf8_decode(s + j, n - j, &cp, NULL);
            if (len == 0 && !checking)
                return -1;
            if (checking && (len == 0 || classify(nz, cp, j) != KEEP)) {
                *from = j;
                return 1;
            }
            if (is_stable(nz, cp))
                break;
            last = j;
            j += len;
        }
        size_t m;
        const char *norm = normalize_run(nz, sc, s + start, j - start, &m);
        if (!norm)
            return -1;
        if (m != j - start || memcmp(norm, s + start, m) != 0) {
            if (checking) {
                *from = start;
                return 1;
            }
            gloss__buf_add(out, s + copied, start - copied);
            size_t ns = out->len - base;
            gloss__buf_add(out, norm, m);
            /* The stable character the run was given with usually comes
             * out unchanged (o before the ligature fi); leaving it out of
             * the replaced stretch keeps the stretch to what changed. */
            size_t k = 0;
            while (k < m && k < j - start && (unsigned char)norm[k] == s[start + k])
                k++;
            while (k > 0 && k < j - start && (s[start + k] & 0xC0) == 0x80)
                k--;
            compose_replace(cz, start + k, j, ns + k, ns + m);
            copied = j;
        }
        prev = last;
        i = j;
    }
    if (!checking)
        gloss__buf_add(out, s + copied, n - copied);
    return 0;
}

static void describe_invalid(const unsigned char *s, size_t n, size_t at,
                             size_t bad, char *err, size_t errlen)
{
    /* Show the ill-formed bytes and the byte that cut them short (the
     * 0x28 of "0xC3 0x28"), which is what a user needs to recognise the
     * encoding the text really has. */
    size_t show = bad;
    if (at + show < n && show < 4 &&
        ((s[at] >= 0xC2 && s[at] <= 0xF4) || (s[at + show] & 0xC0) == 0x80))
        show++;
    int w = snprintf(err, errlen, "invalid UTF-8 at byte %zu:", at);
    for (size_t k = 0; k < show && w >= 0 && (size_t)w < errlen; k++)
        w += snprintf(err + w, errlen - (size_t)w, " 0x%02X", s[at + k]);
}

/* Appends to out the cleaned text: s[0..from) as it is, then the rest with
 * ill-formed UTF-8 replaced (or rejected), line breaks and controls dealt
 * with. Each change goes into map (begun by the caller) as the stretch it
 * is, with offsets of the cleaned text counted from where it begins in
 * out. Returns 0, or -1 with a message in err. */
static int clean(const gloss__normalizer *nz, const unsigned char *s, size_t n,
                 size_t from, gloss__buf *out, gloss__norm_map *map, char *err,
                 size_t errlen)
{
    const size_t base = out->len;
    gloss__buf_reserve(out, n);
    gloss__buf_add(out, s, from);
    size_t i = from, copied = from;
    while (i < n) {
        size_t k = plain_run(s, i, n);
        if (k) {
            i += k;
            continue;
        }
        unsigned char c = s[i];
        enum action a;
        size_t len = 1;
        if (c < 0x80) {
            a = (enum action)nz->ascii[c];
        } else {
            uint32_t cp;
            size_t bad;
            len = gloss__utf8_decode(s + i, n - i, &cp, &bad);
            if (len == 0) {
                if (nz->set.reject_invalid) {
                    describe_invalid(s, n, i, bad, err, errlen);
                    return -1;
                }
                gloss__buf_add(out, s + copied, i - copied);
                map_point(map, out->len - base, i);
                gloss__buf_add(out, "\xEF\xBF\xBD", 3);
                i += bad;
                map_point(map, out->len - base, i);
                copied = i;
                continue;
            }
            a = classify(nz, cp, i);
        }
        if (a == KEEP) {
            i += len;
            continue;
        }
        gloss__buf_add(out, s + copied, i - copied);
        map_point(map, out->len - base, i);
        /* A CRLF is one line break, and one stretch of the map: the LF
         * that replaces it stands for both bytes. */
        if (a == TO_LF) {
            if (c == '\r' && i + 1 < n && s[i + 1] == '\n')
                len = 2;
            gloss__buf_addc(out, '\n');
        }
        i += len;
        map_point(map, out->len - base, i);
        copied = i;
    }
    gloss__buf_add(out, s + copied, n - copied);
    map_point(map, out->len - base, n);
    if (out->oom || map->oom) {
        snprintf(err, errlen, "out of memory normalizing %zu bytes", n);
        return -1;
    }
    return 0;
}

int gloss__normalize_text(const gloss__normalizer *nz, const char *in,
                          size_t len, gloss__buf *out, gloss__norm_map *map,
                          char *err, size_t errlen)
{
    const unsigned char *s = (const unsigned char *)in;
    gloss__norm_map own = GLOSS__NORM_MAP_INIT;
    if (!map)
        map = &own;
    scratch sc;
    scratch_init(&sc);
    size_t from = 0;
    /* The check records nothing: a normal text costs no map work. */
    int rc = scan(nz, s, len, &sc, NULL, &from, NULL);
    if (rc == 1 && nz->set.form == GLOSS__FORM_NONE) {
        map_begin(map);
        if (clean(nz, s, len, from, out, map, err, errlen) < 0) {
            scratch_free(&sc);
            gloss__norm_map_free(&own);
            return -1; /* clean() wrote the message */
        }
    } else if (rc == 1) {
        gloss__buf cleaned = GLOSS__BUF_INIT;
        gloss__norm_map cmap = GLOSS__NORM_MAP_INIT;
        map_begin(&cmap);
        if (clean(nz, s, len, from, &cleaned, &cmap, err, errlen) < 0) {
            gloss__buf_free(&cleaned);
            gloss__norm_map_free(&cmap);
            scratch_free(&sc);
            gloss__norm_map_free(&own);
            return -1;
        }
        map_begin(map);
        composer cz = {cmap.pts, cmap.n, 0, {0, 0}, map};
        const size_t base = out->len;
        if (cleaned.len && scan(nz, (const unsigned char *)cleaned.data,
                                cleaned.len, &sc, out, NULL, &cz) < 0) {
            rc = -1;
        } else if (cz.j == 0 && !map->oom) {
            /* Normalization replaced nothing (every replacement passes
             * over cleaning's first point), so cleaning's map is the
             * whole map: take it over rather than copy it point by point,
             * which matters for a text with a CRLF on every line. */
            gloss__norm_map t = *map;
            *map = cmap;
            cmap = t;
        } else {
            compose_copy(&cz, cleaned.len, out->len - base);
        }
        gloss__buf_free(&cleaned);
        gloss__norm_map_free(&cmap);
    }
    scratch_free(&sc);
    int oom = map->oom;
    gloss__norm_map_free(&own);
    if (rc < 0 || out->oom || oom) {
        snprintf(err, errlen, "out of memory normalizing %zu bytes", len);
        return -1;
    }
    return rc;
}

/* ---- the stage ----------------------------------------------------------- */

static const char *const invalid_choices[] = {"replace", "reject", NULL};
static const char *const form_choices[] = {"NFC", "NFKC", "none", NULL};

static const gloss_option normalize_options[] = {
    {"invalid", GLOSS_OPT_STRING, "\"reject\"",
     "What to do with bytes that are not UTF-8. \"reject\" (the default) "
     "fails the document with the byte offset and the bytes: invalid UTF-8 "
     "usually means the whole file is in another encoding (Windows-1252, "
     "Latin-1), where replacing would quietly turn every accented letter "
     "of every name into U+FFFD, and the failure tells whoever feeds the "
     "document what to fix. \"replace\" puts U+FFFD in place of each "
     "ill-formed sequence, as web browsers do, for sources known to carry "
     "only the odd damaged byte.",
     invalid_choices},
    {"form", GLOSS_OPT_STRING, "\"NFC\"",
     "Unicode normalization form. \"NFC\" (the default) composes characters, "
     "so that the same text always has the same bytes (e followed by U+0301 "
     "becomes the single character U+00E9) and nothing visible changes. "
     "\"NFKC\" also replaces compatibility characters by their plain "
     "equivalents (the ligature U+FB01 becomes \"fi\", a no-break space a "
     "space, a superscript two a 2), which helps matching but loses those "
     "distinctions. \"none\" leaves characters as they are.",
     form_choices},
    {"newlines", GLOSS_OPT_BOOL, "true",
     "Turn CRLF, lone CR, vertical tab (used for line breaks by word "
     "processors) and NEL (U+0085) into LF, so that later stages see one "
     "kind of line break.",
     NULL},
    {"strip_controls", GLOSS_OPT_BOOL, "true",
     "Remove characters that carry no text: C0 controls other than tab, "
     "line feed, form feed (kept: PDF extractions mark page breaks with "
     "it) and the line breaks left to `newlines`; DEL; C1 controls; a byte "
     "order mark at the very start; soft hyphens (U+00AD), invisible "
     "hyphenation hints that would split words. Zero-width spaces, joiners "
     "and direction marks are kept, since they change how words break, "
     "join or read in some scripts.",
     NULL},
    {"unwrap", GLOSS_OPT_BOOL, "true",
     "Join lines that a PDF wrapped in the middle of a paragraph, so that "
     "sentences run on one line. A line break stays where a paragraph "
     "ends (a blank line, or a short line ending a sentence), before a "
     "list item (a bullet, \"A.\", \"1.\", \"(a)\", \"[1]\") and around a "
     "heading in capitals.",
     NULL},
    {"dehyphenate", GLOSS_OPT_BOOL, "true",
     "When joined lines meet at a hyphen, drop it if it only broke a word "
     "(\"with-\" and \"drawal\" become \"withdrawal\") and keep it in a "
     "real compound (\"long-standing\"), deciding with the word list.",
     NULL},
    {"wordlist", GLOSS_OPT_STRING, "\"\"",
     "A word list file (built by `make wordlist`, see models/README.md) "
     "for `dehyphenate`; \"\" (the default) uses the built-in list, made "
     "from UD English EWT and CoNLL-2003.",
     NULL},
    {"furniture", GLOSS_OPT_BOOL, "true",
     "Remove page furniture: running headers and footers, page numbers "
     "and file names, found because they repeat within the document "
     "(with page numbers masked and the order of words ignored), in a "
     "document that shows pages: two such lines differ in their numbers "
     "(\"2/5\", \"3/5\"). Without that, repeated lines (an e-mail's "
     "\"Thanks,\", a refrain) stay. A line that occurs once stays, unless "
     "it stands next to such furniture and repeats its frame "
     "(\"EN ... EN\").",
     NULL},
    {"furniture_min_repeats", GLOSS_OPT_INTEGER, "2",
     "How many times a line must occur to be taken for furniture (a line "
     "of nothing but numbers, one more).",
     NULL},
    {"footnotes", GLOSS_OPT_BOOL, "true",
     "Take footnote markers out of the words and record them as empty "
     "spans in the layer \"footnote_refs\" with the attribute \"note\": "
     "\"[1]\" always, and digits glued to a word or a year "
     "(\"Kazakhstan2\", \"20134\" for 2013 and note 4) when the document "
     "lists that footnote. The list itself stays in the text.",
     NULL},
    {"markup", GLOSS_OPT_BOOL, "true",
     "Take tags left by HTML extraction (\"<Depute>\", \"</Commission>\") "
     "out of the text and record each element's content as a span of the "
     "layer \"markup\" labelled with the element's name; a \"{CODE}\" "
     "opening the content is removed too and kept as the attribute "
     "\"code\".",
     NULL},
    {NULL, 0, NULL, NULL, NULL},
};

/* What an instance of the stage holds: both halves of the work. */
typedef struct normalize_ctx {
    gloss__normalizer *nz;
    gloss__cleaner *cl;
    int cleaning; /* any cleaning option on */
} normalize_ctx;

static int normalize_init(void **ctx, const gloss_opts *opts, gloss_err *err)
{
    gloss__normalize_settings set;
    const char *form = gloss_opts_string(opts, "form");
    set.reject_invalid = strcmp(gloss_opts_string(opts, "invalid"), "reject") == 0;
    set.form = strcmp(form, "NFKC") == 0   ? GLOSS__FORM_NFKC
               : strcmp(form, "none") == 0 ? GLOSS__FORM_NONE
                                           : GLOSS__FORM_NFC;
    set.newlines = gloss_opts_bool(opts, "newlines");
    set.strip_controls = gloss_opts_bool(opts, "strip_controls");
    gloss__clean_settings cs;
    cs.unwrap = gloss_opts_bool(opts, "unwrap");
    cs.dehyphenate = gloss_opts_bool(opts, "dehyphenate");
    cs.furniture = gloss_opts_bool(opts, "furniture");
    long long reps = gloss_opts_integer(opts, "furniture_min_repeats");
    cs.min_repeats = reps < 2 ? 2 : reps > 1000000 ? 1000000 : (int)reps;
    cs.footnotes = gloss_opts_bool(opts, "footnotes");
    cs.markup = gloss_opts_bool(opts, "markup");
    char *path = NULL;
    const char *wl = gloss_opts_string(opts, "wordlist");
    if (wl && *wl && !(path = gloss_opts_path(opts, wl))) {
        gloss_err_set(err, "out of memory");
        return GLOSS_ERROR;
    }
    cs.wordlist = path;
    normalize_ctx *c = calloc(1, sizeof(*c));
    char msg[256] = "out of memory";
    if (c) {
        c->nz = gloss__normalizer_new(&set);
        c->cl = c->nz ? gloss__cleaner_new(&cs, msg, sizeof msg) : NULL;
        c->cleaning = cs.unwrap || cs.furniture || cs.footnotes || cs.markup;
    }
    free(path);
    if (!c || !c->nz || !c->cl) {
        gloss_err_set(err, "normalize: %s", msg);
        if (c) {
            gloss__normalizer_destroy(&c->nz);
            gloss__cleaner_destroy(&c->cl);
            free(c);
        }
        return GLOSS_ERROR;
    }
    *ctx = c;
    return GLOSS_OK;
}

static void normalize_fini(void *ctx)
{
    normalize_ctx *c = ctx;
    gloss__normalizer_destroy(&c->nz);
    gloss__cleaner_destroy(&c->cl);
    free(c);
}

static int set_text_failed(gloss_err *err, int saved)
{
    if (saved == EFBIG)
        gloss_err_set(err, "the normalized text is larger than a document "
                           "can hold (%zu bytes)", (size_t)GLOSS_DOC_MAX_TEXT);
    else
        gloss_err_set(err, "out of memory replacing the text");
    return GLOSS_ERROR;
}

/* Records the footnote references and markup elements the cleaner found,
 * now that the text they point into is the document's. */
static int add_spans(gloss_doc *doc, const gloss__clean_result *r)
{
    gloss_layer *refs = r->nrefs ? gloss_doc_layer(doc, "footnote_refs", 1) : NULL;
    gloss_layer *marks = r->nmarks ? gloss_doc_layer(doc, "markup", 1) : NULL;
    if ((r->nrefs && !refs) || (r->nmarks && !marks))
        return -1;
    for (size_t i = 0; i < r->nrefs; i++) {
        gloss_span *sp = gloss_layer_add(refs, r->refs[i].pos, r->refs[i].pos, NULL);
        if (!sp || gloss_span_set_number(doc, sp, "note", r->refs[i].note) < 0)
            return -1;
    }
    for (size_t i = 0; i < r->nmarks; i++) {
        const gloss__clean_mark *m = &r->marks[i];
        const char *label = gloss_doc_intern(doc, m->name, m->name_len);
        gloss_span *sp = label ? gloss_layer_add(marks, m->start, m->end, label) : NULL;
        if (!sp)
            return -1;
        if (m->code) {
            gloss_value v;
            v.type = GLOSS_VALUE_STRING;
            v.as.string.ptr = gloss_doc_strndup(doc, m->code, m->code_len);
            v.as.string.len = m->code_len;
            if (!v.as.string.ptr || gloss_span_set(doc, sp, "code", &v) < 0)
                return -1;
        }
    }
    return 0;
}

static int normalize_process(void *ctx, gloss_doc *doc, gloss_err *err)
{
    const normalize_ctx *c = ctx;
    size_t len;
    const char *text = gloss_doc_text(doc, &len);
    gloss__buf out = GLOSS__BUF_INIT;
    gloss__norm_map map = GLOSS__NORM_MAP_INIT;
    char msg[256];
    int rc = gloss__normalize_text(c->nz, text, len, &out, &map, msg, sizeof msg);
    if (rc < 0) {
        gloss__buf_free(&out);
        gloss__norm_map_free(&map);
        gloss_err_set(err, "%s", msg);
        return GLOSS_ERROR;
    }
    gloss__clean_result cr;
    memset(&cr, 0, sizeof cr);
    int crc = 0;
    if (c->cleaning) {
        crc = gloss__clean_text(c->cl, rc ? out.data : text, rc ? out.len : len, &cr);
        if (crc < 0) {
            gloss__buf_free(&out);
            gloss__norm_map_free(&map);
            gloss_err_set(err, "out of memory cleaning %zu bytes", len);
            return GLOSS_ERROR;
        }
    }
    if (rc == 0 && crc == 0) {
        /* The check went over every byte: segment need not again. */
        gloss__doc_set_text_utf8(doc);
        return GLOSS_OK;
    }
    for (size_t i = 0; i < gloss_doc_layer_count(doc); i++) {
        gloss_layer *layer = gloss_doc_layer_at(doc, i);
        size_t n = gloss_layer_size(layer);
        if (n > 0) {
            gloss_err_set(err,
                          "normalize would change the text, but layer '%s' "
                          "already holds %zu span%s that would then point at "
                          "the wrong characters: put normalize before the "
                          "stages that add spans",
                          gloss_layer_name(layer), n, n == 1 ? "" : "s");
            gloss__buf_free(&out);
            gloss__norm_map_free(&map);
            gloss__clean_result_free(&cr);
            return GLOSS_ERROR;
        }
    }
    /* Both passes hand over exact maps, which the document composes, so
     * that a span of the final text leads back to the very bytes of the
     * original it came from. */
    int src = rc ? gloss_doc_set_text_mapped(doc, out.data ? out.data : "",
                                             out.len, map.pts, map.n)
                 : 0;
    gloss__norm_map_free(&map);
    if (src < 0) {
        int saved = errno;
        gloss__buf_free(&out);
        gloss__clean_result_free(&cr);
        return set_text_failed(err, saved);
    }
    if (crc) {
        if (gloss_doc_set_text_mapped(doc, cr.text.data ? cr.text.data : "",
                                      cr.text.len, cr.map, cr.nmap) < 0) {
            int saved = errno;
            gloss__buf_free(&out);
            gloss__clean_result_free(&cr);
            return set_text_failed(err, saved);
        }
        /* The names and codes of elements point into the text the cleaner
         * read: the Unicode pass's output when that pass changed anything
         * (so it is freed only after the spans are added), else the
         * document's own text. */
        int arc = add_spans(doc, &cr);
        gloss__clean_result_free(&cr);
        if (arc < 0) {
            gloss__buf_free(&out);
            gloss_err_set(err, "out of memory recording spans");
            return GLOSS_ERROR;
        }
    }
    gloss__buf_free(&out);
    /* Ill-formed bytes were replaced or refused, and cleaning cuts and
     * joins the text only at ASCII bytes, so the text is valid UTF-8 (the
     * fuzz target checks it on every input). */
    gloss__doc_set_text_utf8(doc);
    return GLOSS_OK;
}

const gloss_stage_desc gloss__stage_normalize = {
    .abi = GLOSS_STAGE_ABI,
    .name = "normalize",
    .description = "Validates UTF-8 and normalizes the text: Unicode form "
                   "(NFC by default), line breaks, control characters; then "
                   "cleans text extracted from PDF and HTML (wrapped lines, "
                   "hyphenation, page furniture, footnote markers, markup).",
    .options = normalize_options,
    .init = normalize_init,
    .process = normalize_process,
    .fini = normalize_fini,
};
