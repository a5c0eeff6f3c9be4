/*
 * segment_chars.c - classifying characters for the segmenter: a table for
 * ASCII, the Unicode general category for the rest.
 *
 * Quotation marks and apostrophes get classes of their own because English
 * uses the same straight characters to open and to close quotations and
 * inside words ("don't"), and the tokenizer decides from the neighbours.
 */
#include "segment_chars.h"

#include <string.h>
#include <utf8proc.h>

#include "utf8.h"

void gloss__seg_ascii_classes(unsigned char table[128])
{
    memset(table, GLOSS__SC_PUNCT, 128);
    for (int c = 0; c <= ' '; c++)
        table[c] = GLOSS__SC_SPACE;
    table[127] = GLOSS__SC_PUNCT;
    for (int c = 'A'; c <= 'Z'; c++)
        table[c] = GLOSS__SC_UPPER;
    for (int c = 'a'; c <= 'z'; c++)
        table[c] = GLOSS__SC_LOWER;
    for (int c = '0'; c <= '9'; c++)
        table[c] = GLOSS__SC_DIGIT;
    table['_'] = GLOSS__SC_LETTER;
    table['('] = table['['] = table['{'] = GLOSS__SC_OPEN;
    table[')'] = table[']'] = table['}'] = GLOSS__SC_CLOSE;
    table['"'] = table['`'] = GLOSS__SC_QUOTE;
    table['\''] = GLOSS__SC_APOS;
    table['.'] = table['!'] = table['?'] = GLOSS__SC_STOP;
}

size_t gloss__seg_classify_utf8(const unsigned char *s, size_t i, size_t n,
                                int *cls, uint32_t *cp)
{
    uint32_t c;
    size_t len;
    unsigned char b = i < n ? s[i] : 0;
    /* Two- and three-byte characters, typographic quotes and dashes among
     * them, decoded here when their form is valid beyond doubt (no lead
     * byte with a narrower range for its second byte: E0, ED); the
     * tokenizer classifies each such character several times. */
    if (b >= 0xC2 && b <= 0xDF && n - i >= 2 && (s[i + 1] & 0xC0) == 0x80) {
        c = ((uint32_t)(b & 0x1F) << 6) | (s[i + 1] & 0x3Fu);
        len = 2;
    } else if (b >= 0xE1 && b <= 0xEF && b != 0xED && n - i >= 3 &&
               (s[i + 1] & 0xC0) == 0x80 && (s[i + 2] & 0xC0) == 0x80) {
        c = ((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(s[i + 1] & 0x3F) << 6) |
            (s[i + 2] & 0x3Fu);
        len = 3;
    } else {
        len = gloss__utf8_decode(s + i, n - i, &c, NULL);
    }
    if (len == 0) {
        *cls = GLOSS__SC_LETTER;
        *cp = 0xFFFD;
        return 1;
    }
    *cp = c;
    switch (c) {
    case 0x2019: *cls = GLOSS__SC_APOS; return len;   /* right single quote */
    case 0x2018: case 0x201A: case 0x201B: case 0x201C: case 0x201E:
    case 0x201F: case 0x00AB: case 0x2039:
        *cls = GLOSS__SC_OQUOTE; return len;
    case 0x201D: case 0x00BB: case 0x203A:
        *cls = GLOSS__SC_CQUOTE; return len;
    case 0x2026: *cls = GLOSS__SC_STOP; return len;   /* ellipsis */
    case 0x00AD: case 0x200B: case 0x200C: case 0x200D: case 0x2060:
        *cls = GLOSS__SC_LETTER; return len;          /* inside words */
    default: break;
    }
    switch (utf8proc_category((utf8proc_int32_t)c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LT:
        *cls = GLOSS__SC_UPPER; break;
    case UTF8PROC_CATEGORY_LL:
        *cls = GLOSS__SC_LOWER; break;
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_CF:
        *cls = GLOSS__SC_LETTER; break;
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        *cls = GLOSS__SC_DIGIT; break;
    case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP: case UTF8PROC_CATEGORY_CC:
        *cls = GLOSS__SC_SPACE; break;
    case UTF8PROC_CATEGORY_PS:
        *cls = GLOSS__SC_OPEN; break;
    case UTF8PROC_CATEGORY_PE:
        *cls = GLOSS__SC_CLOSE; break;
    case UTF8PROC_CATEGORY_PI:
        *cls = GLOSS__SC_OQUOTE; break;
    case UTF8PROC_CATEGORY_PF:
        *cls = GLOSS__SC_CQUOTE; break;
    default:
        *cls = GLOSS__SC_PUNCT; break;
    }
    return len;
}
