/*
 * clean_furniture.c - finding page furniture (running headers and
 * footers, page numbers, file names) by repetition within the document.
 *
 * Each short line gets a key: its words with every run of digits masked
 * (page numbers vary), numbers of their own ("2/5") left out, and the rest
 * combined in any order (odd and even pages often swap the two halves of a
 * header). A key found min_repeats times or more is furniture; a line
 * made only of numbers must be found once more than that, since two
 * stand-alone dates are more likely than two stand-alone page numbers. A
 * line that occurs once is not furniture by itself, but a running footer
 * whose own text repeats only on pages the extraction cut short still
 * shows its frame: next to the furniture found above (with only blank
 * lines between), short lines that begin and end with the same words
 * ("EN ... EN") as another such neighbour are furniture too. All counting
 * goes through one open-addressing table, so the cost is linear. A line
 * of one word, like a line of numbers, needs one occurrence more.
 *
 * Repetition alone is not enough: an e-mail thread repeats "Thanks," and
 * its signature, a poem its refrain. Furniture comes with pages, and pages
 * show themselves by their numbers: only a document in which two lines of
 * one key differ in their digits ("2/5" and "3/5") has its repeated lines
 * removed.
 */
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <stdlib.h>
#include <string.h>

#include "bytescan.h"
#include "clean_internal.h"

#define MAX_FURNITURE_LINE 160
#define MAX_NEIGHBOUR_LINE 64

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

/* Hashes one word with digit runs masked; *letters tells whether it has a
 * letter (a word with none is a number such as "2/5" or "12"). */
static uint64_t word_hash(const char *s, size_t a, size_t b, int *letters,
                          uint64_t *digits)
{
    uint64_t h = 0xcbf29ce484222325ull;
    int digit = 0;
    *letters = 0;
    for (size_t i = a; i < b; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= '0' && c <= '9') {
            *digits = *digits * 11 + (uint64_t)(c - '0' + 1);
            if (digit)
                continue;
            digit = 1;
            c = '#';
        } else {
            digit = 0;
            if (gloss__wordbyte(c))
                *letters = 1;
        }
        h = (h ^ c) * 0x100000001b3ull;
    }
    return h;
}

/* The high bit of each byte of x that equals c (exact for the lowest such
 * byte; a byte above a match may be flagged too). */
static inline uint64_t bytes_eq(uint64_t x, unsigned char c)
{
    return gloss__scan_zero_bytes(x ^ (GLOSS__SCAN_ONES * c));
}

/* The high bit of each byte of x that is an ASCII digit (same caveat). */
static inline uint64_t bytes_digit(uint64_t x)
{
    uint64_t y = x ^ (GLOSS__SCAN_ONES * '0'); /* digits become 0 to 9 */
    return (y - GLOSS__SCAN_ONES * 10) & ~y & GLOSS__SCAN_HIGHS;
}

/* The separators of words in a line: space, tab, form feed. */
static inline uint64_t bytes_sep(uint64_t x)
{
    return bytes_eq(x, ' ') | bytes_eq(x, '\t') | bytes_eq(x, '\f');
}

/* One step of the hash of a word: eight bytes in, one multiply; line_key()
 * mixes each word's hash fully afterwards. */
static inline uint64_t absorb(uint64_t h, uint64_t x)
{
    h = (h ^ x) * 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 29);
}

/*
 * Hashes the word that starts at s[w], before b, and returns where it
 * ends. A word without digits, nearly all of them, is read and hashed
 * eight bytes at a time; a word with digits goes to word_hash(), which
 * masks them. The two kinds never meet (a word has digits or not), so
 * equal words, digits masked, still get equal hashes.
 */
static size_t next_word(const char *s, size_t w, size_t b, uint64_t *hash,
                        int *letters, uint64_t *digits)
{
    size_t i = w;
    uint64_t seen_digit = 0, h = 0x9e3779b97f4a7c15ull;
    int ended = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (i + 8 <= b) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        uint64_t sep = bytes_sep(x);
        if (!sep) {
            seen_digit |= bytes_digit(x);
            h = absorb(h, x);
            i += 8;
            continue;
        }
        /* The word ends in this load, before its first separator. */
        unsigned k = (unsigned)__builtin_ctzll(sep) / 8;
        if (k) {
            uint64_t keep = ((uint64_t)1 << (8 * k)) - 1;
            x &= keep;
            seen_digit |= bytes_digit(x | ~keep); /* 0xFF is no digit */
            h = absorb(h, x);
        }
        i += k;
        ended = 1;
        break;
    }
#endif
    if (!ended) {
        /* The end of the line, a byte at a time, packed eight bytes to a
         * step from the same offsets as above, so that a word hashes the
         * same wherever it stands. */
        uint64_t x = 0;
        unsigned k = 0;
        while (i < b && s[i] != ' ' && s[i] != '\t' && s[i] != '\f') {
            unsigned char c = (unsigned char)s[i++];
            seen_digit |= c >= '0' && c <= '9';
            x |= (uint64_t)c << (8 * k);
            if (++k == 8) {
                h = absorb(h, x);
                x = 0;
                k = 0;
            }
        }
        if (k)
            h = absorb(h, x);
    }
    if (seen_digit) {
        *hash = word_hash(s, w, i, letters, digits);
        return i;
    }
    *letters = 0;
    for (size_t k = w; k < i && !*letters; k++)
        *letters = gloss__wordbyte((unsigned char)s[k]);
    *hash = h ^ (uint64_t)(i - w);
    return i;
}

/* Steps *i over the separators to the next word of the line (before b)
 * and past it, hashing it with next_word(); 0 at the end of the line. */
static int line_word(const char *s, size_t *i, size_t b, uint64_t *hash,
                     int *letters, uint64_t *digits)
{
    while (*i < b && (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\f'))
        (*i)++;
    if (*i == b)
        return 0;
    *i = next_word(s, *i, b, hash, letters, digits);
    return 1;
}

/* The key of line [a, b): 0 when the line cannot be furniture. *digits
 * receives a hash of the digits the key masks, which tells page numbers
 * apart. */
static uint64_t line_key(const char *s, size_t a, size_t b, int *numeric,
                         uint64_t *digits)
{
    uint64_t sum = 0, nwords = 0;
    int any_letters = 0;
    size_t i = a;
    *numeric = 0;
    if (b - a > MAX_FURNITURE_LINE)
        return 0;
    int letters;
    uint64_t h;
    while (line_word(s, &i, b, &h, &letters, digits)) {
        nwords++;
        if (letters) {
            any_letters = 1;
            sum += mix(h);
        }
    }
    if (nwords == 0)
        return 0;
    if (!any_letters) {
        /* A line of numbers, rare: its key keeps the order of its words,
         * hashed again in a second walk. */
        uint64_t all = 0, ignored = 0;
        size_t k = 0;
        *numeric = 1;
        for (i = a; line_word(s, &i, b, &h, &letters, &ignored); k++)
            all = mix(all ^ h) + k;
        return mix(all ^ 0x6e756d626572ull) | 1;
    }
    /* A line of one word ("B9-0149/2021", "(2021/2544(RSP))") is as
     * likely a reference a title page repeats as a running header: it
     * needs one more occurrence, like a line of numbers. */
    *numeric = nwords == 1;
    return mix(sum) | 1;
}

/*
 * A cheap summary of line [a, b) that two lines of one key always share:
 * the number and the sum of its letter bytes (gloss__wordbyte). The key
 * is made of the words with letters, digits masked, in any order, so
 * equal keys mean equal letters; lines of numbers all share one summary.
 * Most lines of a text occur once, and a line whose summary occurs once
 * cannot repeat: only the others are hashed word by word. SSE2 reads the
 * line sixteen bytes at a time, the last load overlapping the one before
 * rather than reading past the line.
 */
static uint64_t letter_key(const char *s, size_t a, size_t b)
{
    uint64_t count = 0, sum = 0;
    size_t i = a;
#if defined(__SSE2__)
    static const unsigned char from[32] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    if (b - a >= 16) {
        const __m128i zero = _mm_setzero_si128(), case_bit = _mm_set1_epi8(0x20);
        const __m128i a_1 = _mm_set1_epi8('a' - 1), z1 = _mm_set1_epi8('z' + 1);
        const __m128i one = _mm_set1_epi8(1);
        for (;;) {
            size_t at = i + 16 <= b ? i : b - 16;
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + at));
            __m128i f = _mm_or_si128(v, case_bit);
            __m128i letter = _mm_or_si128(
                _mm_and_si128(_mm_cmpgt_epi8(f, a_1), _mm_cmplt_epi8(f, z1)),
                _mm_cmplt_epi8(v, zero)); /* signed: 0x80 and up */
            /* The bytes before i were counted by the load before. */
            letter = _mm_and_si128(letter, _mm_loadu_si128(
                (const __m128i *)(const void *)(from + 16 - (i - at))));
            /* Horizontal sums of the letters' bytes and of one per
             * letter (without a popcount instruction, which x86-64's
             * baseline lacks). */
            __m128i sums = _mm_sad_epu8(_mm_and_si128(v, letter), zero);
            __m128i ones = _mm_sad_epu8(_mm_and_si128(one, letter), zero);
            sum += (uint64_t)_mm_cvtsi128_si32(sums) +
                   (uint64_t)_mm_cvtsi128_si32(_mm_srli_si128(sums, 8));
            count += (uint64_t)_mm_cvtsi128_si32(ones) +
                     (uint64_t)_mm_cvtsi128_si32(_mm_srli_si128(ones, 8));
            if (at + 16 >= b)
                break;
            i = at + 16;
        }
        i = b;
    }
#endif
    for (; i < b; i++) {
        unsigned char c = (unsigned char)s[i];
        if (gloss__wordbyte(c)) {
            count++;
            sum += c;
        }
    }
    return mix((count << 32) ^ sum) | 1;
}

/* The key of a line's frame: its first and last words. */
static uint64_t frame_key(const char *s, size_t a, size_t b)
{
    size_t fe = a;
    while (fe < b && s[fe] != ' ' && s[fe] != '\t')
        fe++;
    size_t ls = b;
    while (ls > a && s[ls - 1] != ' ' && s[ls - 1] != '\t')
        ls--;
    int l1, l2;
    uint64_t d = 0;
    uint64_t h1 = word_hash(s, a, fe, &l1, &d), h2 = word_hash(s, ls, b, &l2, &d);
    if (!l1 || !l2)
        return 0;
    return mix(h1 * 31 + mix(h2)) | 1;
}

typedef struct table {
    uint64_t *keys;
    uint32_t *counts;
    uint64_t *digits; /* the digits of the first line of each key */
    size_t mask;
} table;

static int table_init(table *t, size_t n)
{
    size_t cap = 16;
    while (cap < n * 2)
        cap *= 2;
    t->keys = calloc(cap, sizeof(*t->keys));
    t->counts = calloc(cap, sizeof(*t->counts));
    t->digits = calloc(cap, sizeof(*t->digits));
    t->mask = cap - 1;
    return t->keys && t->counts && t->digits ? 0 : -1;
}

static void table_free(table *t)
{
    free(t->keys);
    free(t->counts);
    free(t->digits);
}

static size_t slot_index(table *t, uint64_t key)
{
    size_t j = (size_t)key & t->mask;
    while (t->keys[j] && t->keys[j] != key)
        j = (j + 1) & t->mask;
    t->keys[j] = key;
    return j;
}

static uint32_t *slot(table *t, uint64_t key)
{
    return &t->counts[slot_index(t, key)];
}

static size_t content_start(const char *s, const gloss__line *l)
{
    return gloss__line_lead(s, l->start, l->end);
}

static size_t content_end(const char *s, const gloss__line *l)
{
    return gloss__line_trail(s, l->start, l->end);
}

/* Whether a line is shaped like a list item or a footnote entry ("[2] OJ C
 * 23, p. 83.", "2 OJ C 23, p. 83."): entries of one list look alike once
 * their numbers are masked, yet they are text, not furniture. */
static int entry_like(const char *s, const gloss__line *l)
{
    size_t a = content_start(s, l), b = content_end(s, l);
    if (gloss__line_is_item(s, a, b))
        return 1;
    return a < b && s[a] >= '0' && s[a] <= '9' && s[b - 1] == '.';
}

int gloss__clean_furniture(const char *s, const gloss__line *lines, size_t n,
                           uint8_t *flags, int min_repeats)
{
    if (min_repeats < 2)
        min_repeats = 2;
    table t;
    if (table_init(&t, n + 1) < 0) {
        table_free(&t);
        return -1;
    }
    /* Each line's key is computed once: hashing every short line is the
     * costliest part of cleaning, and the second sweep needs the same keys
     * (0: the line cannot be furniture) and whether each line is numeric.
     * A first sweep sums up the lines (letter_key), so that only lines
     * whose summary repeats are hashed. */
    uint64_t *keys = malloc((n ? n : 1) * (sizeof(*keys) + 1));
    if (!keys) {
        table_free(&t);
        return -1;
    }
    uint8_t *numerics = (uint8_t *)(keys + n);
    size_t candidates = 0;
    for (size_t i = 0; i < n; i++) {
        keys[i] = 0;
        if (flags[i] & GLOSS__LINE_BLANK)
            continue;
        size_t a = content_start(s, &lines[i]), b = content_end(s, &lines[i]);
        if (b - a > MAX_FURNITURE_LINE || entry_like(s, &lines[i]))
            continue;
        keys[i] = letter_key(s, a, b);
        (*slot(&t, keys[i]))++;
        candidates++;
    }
    for (size_t i = 0; i < n; i++)
        if (keys[i] && *slot(&t, keys[i]) < 2)
            keys[i] = 0;
    if (candidates) {
        memset(t.keys, 0, (t.mask + 1) * sizeof(*t.keys));
        memset(t.counts, 0, (t.mask + 1) * sizeof(*t.counts));
    }
    int paged = 0;
    for (size_t i = 0; i < n; i++) {
        if (!keys[i])
            continue;
        keys[i] = 0;
        size_t a = content_start(s, &lines[i]), b = content_end(s, &lines[i]);
        int numeric;
        uint64_t digits = 0;
        uint64_t k = line_key(s, a, b, &numeric, &digits);
        if (k) {
            size_t j = slot_index(&t, k);
            if (t.counts[j] == 0)
                t.digits[j] = digits;
            else if (t.digits[j] != digits)
                paged = 1;
            if (t.counts[j] < UINT32_MAX)
                t.counts[j]++;
            keys[i] = k;
            numerics[i] = (uint8_t)numeric;
        }
    }
    size_t found = 0;
    for (size_t i = 0; paged && i < n; i++) {
        if (keys[i] &&
            *slot(&t, keys[i]) >= (uint32_t)min_repeats + numerics[i]) {
            flags[i] |= GLOSS__LINE_FURNITURE;
            found++;
        }
    }
    free(keys);
    table_free(&t);
    if (!found)
        return 0;

    /* The frames of the furniture's neighbours, counted once per line. */
    if (table_init(&t, 2 * found + 1) < 0) {
        table_free(&t);
        return -1;
    }
    /* The nearest line of text before and after each furniture line come
     * from one sweep each way, so that a document of nothing but
     * furniture stays linear. */
    size_t *before = malloc(n * sizeof(*before)), *after = malloc(n * sizeof(*after));
    if (!before || !after) {
        free(before);
        free(after);
        table_free(&t);
        return -1;
    }
    for (size_t i = 0, near = n; i < n; i++) {
        before[i] = near;
        if (!(flags[i] & (GLOSS__LINE_BLANK | GLOSS__LINE_FURNITURE)))
            near = i;
    }
    for (size_t i = n, near = n; i-- > 0;) {
        after[i] = near;
        if (!(flags[i] & (GLOSS__LINE_BLANK | GLOSS__LINE_FURNITURE)))
            near = i;
    }
    for (int pass = 0; pass < 2; pass++) {
        size_t last = n; /* the neighbour last counted, to count each once */
        for (size_t i = 0; i < n; i++) {
            if (!(flags[i] & GLOSS__LINE_FURNITURE))
                continue;
            for (int dir = -1; dir <= 1; dir += 2) {
                size_t j = dir < 0 ? before[i] : after[i];
                if (j == n || (pass == 0 && j == last))
                    continue;
                size_t a = content_start(s, &lines[j]), b = content_end(s, &lines[j]);
                if (b - a > MAX_NEIGHBOUR_LINE)
                    continue;
                uint64_t k = frame_key(s, a, b);
                if (!k)
                    continue;
                if (pass == 0) {
                    (*slot(&t, k))++;
                    last = j;
                } else if (*slot(&t, k) >= 2) {
                    flags[j] |= 0x80u; /* decided; applied below */
                }
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (flags[i] & 0x80u)
            flags[i] = (uint8_t)((flags[i] & ~0x80u) | GLOSS__LINE_FURNITURE);
    }
    free(before);
    free(after);
    table_free(&t);
    return 0;
}
