/*
 * segment_chars.h - the character classes the segmenter works with.
 *
 * The segmenter looks at every byte of a document, so the class of an
 * ASCII byte comes from a 128-entry table built once per stage instance,
 * and only characters outside ASCII are decoded and classified from their
 * Unicode general category (utf8proc). Everything the tokenizer and the
 * sentence splitter decide is phrased in these few classes.
 */
#ifndef GLOSS_SEGMENT_CHARS_H
#define GLOSS_SEGMENT_CHARS_H

#include <stddef.h>
#include <stdint.h>

enum gloss__seg_class {
    GLOSS__SC_SPACE = 0, /* separates chunks: spaces, tabs, line breaks */
    GLOSS__SC_UPPER,     /* an uppercase or titlecase letter */
    GLOSS__SC_LOWER,     /* a lowercase letter */
    GLOSS__SC_LETTER,    /* any other letter, mark or '_': part of a word */
    GLOSS__SC_DIGIT,     /* a decimal digit or other number */
    GLOSS__SC_OPEN,      /* an opening bracket */
    GLOSS__SC_CLOSE,     /* a closing bracket */
    GLOSS__SC_OQUOTE,    /* an opening quotation mark (“ ‘ «) */
    GLOSS__SC_CQUOTE,    /* a closing quotation mark (” ») */
    GLOSS__SC_QUOTE,     /* a quote that may open or close (" `) */
    GLOSS__SC_APOS,      /* an apostrophe (' or U+2019) */
    GLOSS__SC_STOP,      /* ends a sentence: . ! ? and the ellipsis U+2026 */
    GLOSS__SC_PUNCT      /* any other punctuation or symbol */
};

/* True for the classes that make up words. */
static inline int gloss__sc_word(int c)
{
    return c >= GLOSS__SC_UPPER && c <= GLOSS__SC_DIGIT;
}

/* Fills table with the class of each ASCII byte. */
void gloss__seg_ascii_classes(unsigned char table[128]);

/*
 * Classifies the character at s[i] (n bytes in all): returns its length
 * and stores its class in *cls. A byte that does not start well-formed
 * UTF-8 counts as a one-byte letter (the stage refuses such text before
 * tokenizing, so this only keeps the function total).
 */
size_t gloss__seg_classify_utf8(const unsigned char *s, size_t i, size_t n,
                                int *cls, uint32_t *cp);

#endif
