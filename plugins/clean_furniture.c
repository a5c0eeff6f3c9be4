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
#include <stdlib.h>
#include <string.h>

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

/* The key of line [a, b): 0 when the line cannot be furniture. *digits
 * receives a hash of the digits the key masks, which tells page numbers
 * apart. */
static uint64_t line_key(const char *s, size_t a, size_t b, int *numeric,
                         uint64_t *digits)
{
    uint64_t sum = 0, all = 0, nwords = 0;
    int any_letters = 0;
    size_t i = a;
    *numeric = 0;
    if (b - a > MAX_FURNITURE_LINE)
        return 0;
    while (i < b) {
        while (i < b && (s[i] == ' ' || s[i] == '\t' || s[i] == '\f'))
            i++;
        size_t w = i;
        while (i < b && s[i] != ' ' && s[i] != '\t' && s[i] != '\f')
            i++;
        if (w == i)
            break;
        int letters;
        uint64_t h = word_hash(s, w, i, &letters, digits);
        all = mix(all ^ h) + nwords;
        nwords++;
        if (letters) {
            any_letters = 1;
            sum += mix(h);
        }
    }
    if (nwords == 0)
        return 0;
    if (!any_letters) {
        *numeric = 1;
        return mix(all ^ 0x6e756d626572ull) | 1;
    }
    /* A line of one word ("B9-0149/2021", "(2021/2544(RSP))") is as
     * likely a reference a title page repeats as a running header: it
     * needs one more occurrence, like a line of numbers. */
    *numeric = nwords == 1;
    return mix(sum) | 1;
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
     * (0: the line cannot be furniture) and whether each line is numeric. */
    uint64_t *keys = malloc((n ? n : 1) * (sizeof(*keys) + 1));
    if (!keys) {
        table_free(&t);
        return -1;
    }
    uint8_t *numerics = (uint8_t *)(keys + n);
    int paged = 0;
    for (size_t i = 0; i < n; i++) {
        keys[i] = 0;
        if (flags[i] & GLOSS__LINE_BLANK)
            continue;
        size_t a = content_start(s, &lines[i]), b = content_end(s, &lines[i]);
        if (b - a > MAX_FURNITURE_LINE || entry_like(s, &lines[i]))
            continue;
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
