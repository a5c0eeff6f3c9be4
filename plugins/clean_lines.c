/*
 * clean_lines.c - the shapes of lines that decide whether a line break is
 * a PDF's wrap or the author's: list items (bullets, "A.", "1.", "(a)",
 * "[1]") and headings (all capitals) begin or end a line of their own.
 */
#include <stddef.h>

#include "clean_internal.h"

size_t gloss__line_lead(const char *s, size_t start, size_t end)
{
    while (start < end && (s[start] == ' ' || s[start] == '\t' || s[start] == '\f'))
        start++;
    return start;
}

size_t gloss__line_trail(const char *s, size_t start, size_t end)
{
    while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t' ||
                           s[end - 1] == '\f'))
        end--;
    return end;
}

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static int space_or_end(const char *s, size_t i, size_t end)
{
    return i >= end || s[i] == ' ' || s[i] == '\t';
}

/* Bullets as UTF-8: the bullet, en and em dashes, middle dot, black small
 * square, and the ASCII hyphen and asterisk. The first byte decides most
 * lines at once, since this runs on every line of a document. */
static size_t bullet(const char *s, size_t i, size_t end)
{
    unsigned char c = (unsigned char)s[i];
    if (c == '-' || c == '*')
        return 1;
    if (c == 0xC2)
        return i + 1 < end && (unsigned char)s[i + 1] == 0xB7 ? 2 : 0;
    if ((c != 0xE2) || i + 2 >= end)
        return 0;
    unsigned char c1 = (unsigned char)s[i + 1], c2 = (unsigned char)s[i + 2];
    if (c1 == 0x80 && (c2 == 0xA2 || c2 == 0x93 || c2 == 0x94))
        return 3;
    return c1 == 0x96 && c2 == 0xAA ? 3 : 0;
}

int gloss__line_is_item(const char *s, size_t start, size_t end)
{
    size_t i = gloss__line_lead(s, start, end);
    if (i >= end)
        return 0;
    size_t b = bullet(s, i, end);
    if (b)
        return space_or_end(s, i + b, end);
    unsigned char c = (unsigned char)s[i];
    if (c == '(' || c == '[') {
        /* (a), (iv), (1), [1] */
        size_t j = i + 1;
        while (j < end && j - i <= 5 && (is_digit((unsigned char)s[j]) ||
                                         (unsigned)(((unsigned char)s[j] | 0x20) - (unsigned)'a') < 26u))
            j++;
        return j > i + 1 && j < end && (s[j] == ')' || s[j] == ']') &&
               space_or_end(s, j + 1, end);
    }
    if (is_digit(c)) {
        /* 1. 12. 1.2. 9 . 3) */
        size_t j = i;
        while (j < end && j - i < 4 && (is_digit((unsigned char)s[j]) || s[j] == '.'))
            j++;
        if (j < end && s[j] == ' ' && j + 1 < end && (s[j + 1] == '.' || s[j + 1] == ')'))
            j++;
        return j > i && (s[j - 1] == '.' || (j < end && s[j] == ')') ) &&
               space_or_end(s, j < end && s[j] == ')' ? j + 1 : j, end);
    }
    if (((c | 0x20) >= 'a' && (c | 0x20) <= 'z') && i + 1 < end &&
        (s[i + 1] == '.' || s[i + 1] == ')'))
        /* A. whereas ...; a) ... */
        return space_or_end(s, i + 2, end) && i + 2 < end;
    return 0;
}

int gloss__line_is_heading(const char *s, size_t start, size_t end)
{
    size_t upper = 0;
    for (size_t i = start; i < end; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'a' && c <= 'z')
            return 0;
        if (c >= 'A' && c <= 'Z')
            upper++;
    }
    return upper >= 2;
}
