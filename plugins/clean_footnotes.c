/*
 * clean_footnotes.c - footnote lists and the markers that point at them.
 *
 * A footnote list entry is a line "[n] text" (HTML extractions), or, in a
 * PDF extraction, a line "n Text" that opens a block (after a blank line,
 * furniture, or another entry): a number without the full stop or
 * parenthesis that numbers paragraphs, then a capital or a digit. Markers
 * in the text are "[n]" (always: brackets around a number glued to the
 * text are unambiguous), and, only when entry n exists, digits glued to the
 * end of a word ("Kazakhstan2,") or to a year ("20134" is 2013 and note
 * 4), which without a list would be guesses.
 */
#include <string.h>

#include "clean_internal.h"

static int digit(char c) { return c >= '0' && c <= '9'; }

static int has_note(const uint8_t *notes, unsigned n)
{
    return notes && n > 0 && n < GLOSS__MAX_NOTE && (notes[n >> 3] >> (n & 7)) & 1;
}

/* Reads a number of 1 to 3 digits without a leading zero at s[i..end);
 * returns its length or 0. */
static size_t note_number(const char *s, size_t i, size_t end, unsigned *n)
{
    size_t j = i;
    unsigned v = 0;
    while (j < end && j - i < 4 && digit(s[j]))
        v = v * 10 + (unsigned)(s[j++] - '0');
    if (j == i || j - i > 3 || s[i] == '0')
        return 0;
    *n = v;
    return j - i;
}

int gloss__clean_notes(const char *s, const gloss__line *lines, size_t n,
                       const uint8_t *flags, uint8_t *notes)
{
    int any = 0, opens = 1;
    memset(notes, 0, GLOSS__MAX_NOTE / 8);
    for (size_t i = 0; i < n; i++) {
        if (flags[i] & (GLOSS__LINE_BLANK | GLOSS__LINE_FURNITURE)) {
            opens = 1;
            continue;
        }
        size_t a = gloss__line_lead(s, lines[i].start, lines[i].end);
        size_t end = lines[i].end;
        unsigned v = 0;
        int entry = 0;
        if (a < end && s[a] == '[') {
            size_t k = note_number(s, a + 1, end, &v);
            entry = k && a + 1 + k < end && s[a + 1 + k] == ']';
        } else if (opens) {
            size_t k = note_number(s, a, end, &v);
            entry = k && a + k + 1 < end && s[a + k] == ' ' &&
                    ((s[a + k + 1] >= 'A' && s[a + k + 1] <= 'Z') ||
                     digit(s[a + k + 1]));
        }
        if (entry) {
            notes[v >> 3] = (uint8_t)(notes[v >> 3] | 1u << (v & 7));
            any = 1;
        }
        opens = entry;
    }
    return any;
}

/* Whether a marker ending at s[i] ends a word: what follows is a space,
 * the end, or punctuation that is not the start of a longer number. */
static int word_end(const char *s, size_t i, size_t end)
{
    if (i >= end)
        return 1;
    char c = s[i];
    if (c == '.')
        return i + 1 >= end || s[i + 1] == ' ';
    return c == ' ' || c == '\t' || c == ',' || c == ';' || c == ':' ||
           c == ')' || c == '\'' || c == '"';
}

size_t gloss__clean_marker(const char *s, size_t pos, size_t line_start,
                           size_t end, const uint8_t *notes, size_t *skip,
                           unsigned *note, size_t *next)
{
    *next = pos + 1;
    if (s[pos] == '[') {
        unsigned v;
        size_t k = note_number(s, pos + 1, end, &v);
        if (k && pos > line_start && pos + 1 + k < end && s[pos + 1 + k] == ']') {
            *skip = 0;
            *note = v;
            return k + 2;
        }
        return 0;
    }
    /* A run of digits: looked at once, from its first digit. */
    size_t e = pos;
    while (e < end && digit(s[e]))
        e++;
    *next = e;
    if (!notes || (pos > line_start && digit(s[pos - 1])) || !word_end(s, e, end))
        return 0;
    unsigned v;
    if (pos >= line_start + 2 && s[pos - 1] >= 'a' && s[pos - 1] <= 'z' &&
        gloss__wordbyte((unsigned char)s[pos - 2])) {
        size_t k = note_number(s, pos, end, &v);
        if (k == e - pos && has_note(notes, v)) {
            *skip = 0;
            *note = v;
            return k;
        }
        return 0;
    }
    if (e - pos >= 5 && e - pos <= 7 &&
        (pos == line_start || !gloss__wordbyte((unsigned char)s[pos - 1]))) {
        unsigned year = 0;
        for (size_t i = pos; i < pos + 4; i++)
            year = year * 10 + (unsigned)(s[i] - '0');
        size_t k = note_number(s, pos + 4, end, &v);
        if (year >= 1800 && year <= 2099 && k == e - pos - 4 && has_note(notes, v)) {
            *skip = 4;
            *note = v;
            return k;
        }
    }
    return 0;
}
