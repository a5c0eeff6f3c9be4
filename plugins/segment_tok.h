/*
 * segment_tok.h - tokens and sentences of one paragraph, for the built-in
 * `segment` stage, exposed so that tests and benchmarks can drive it
 * without a pipeline.
 *
 * A segmenter holds what its options decided (the abbreviations, whether
 * hyphenated words are split) and the ASCII class table; it is read-only
 * after construction, so threads may share one. gloss__seg_paragraph()
 * appends to a gloss__seg_out the tokens, the multiword tokens (a surface
 * word such as "don't" that is split into the syntactic words "do" "n't")
 * and the sentences of one paragraph, all as byte ranges of the text.
 */
#ifndef GLOSS_SEGMENT_TOK_H
#define GLOSS_SEGMENT_TOK_H

#include <stddef.h>
#include <stdint.h>

#include "segment_abbrev.h"

typedef struct gloss__seg_range {
    uint32_t start, end;
    uint32_t flags; /* for tokens, what the sentence splitter needs */
} gloss__seg_range;

/* A growable list of ranges; oom is set once an allocation failed. */
typedef struct gloss__seg_list {
    gloss__seg_range *v;
    size_t n, cap;
} gloss__seg_list;

typedef struct gloss__seg_out {
    gloss__seg_list tokens, multiwords, sentences;
    /* The indices of the tokens the sentence splitter must look at (stops,
     * numbers, links, ...), written as the tokens are: the splitter goes
     * from one to the next instead of testing every word. */
    uint32_t *look;
    size_t nlook, caplook;
    int oom;
} gloss__seg_out;

typedef struct gloss__segmenter {
    unsigned char ascii[128];      /* enum gloss__seg_class of each byte */
    unsigned char chunk[256];      /* GLOSS__SEG_CHUNK_* bits of each byte */
    unsigned char lead[128];       /* the case flags of a token this starts */
    const gloss__abbrevs *abbrevs; /* borrowed from the stage instance */
    int split_hyphens;             /* EWT: "long - term", but "non-stop" */
} gloss__segmenter;

/* The bits of the chunk table, which lets the scan for the end of a chunk
 * (the run of bytes between spaces) test one table entry per byte: a chunk
 * of plain letters and digits, the common case, needs nothing more. */
#define GLOSS__SEG_CHUNK_SPACE 1u /* an ASCII space: the chunk ends */
#define GLOSS__SEG_CHUNK_MULTI 2u /* a byte of a multibyte character */
#define GLOSS__SEG_CHUNK_PLAIN 4u /* an ASCII letter or digit */
#define GLOSS__SEG_CHUNK_DIGIT 8u /* an ASCII digit */
/* And what emit() asks of a token's first byte to tell whether the token
 * may mark a list item or close a time ("a", "b.", "PM", a bullet). */
#define GLOSS__SEG_SHAPE_ONE 16u  /* a letter, '-', '*' or from 0xC2: alone */
#define GLOSS__SEG_SHAPE_TWO 32u  /* a letter: followed by '.' or 'M' */
#define GLOSS__SEG_SHAPE_LEAD 64u /* from 0xC2: a character of 2 or 3 bytes */

/* Fills the class table; abbrevs is borrowed and must outlive sg. */
void gloss__segmenter_init(gloss__segmenter *sg, const gloss__abbrevs *abbrevs,
                           int split_hyphens);

/* Tokenizes text[start..end) (valid UTF-8, one paragraph) and splits it
 * into sentences, appending to out. */
void gloss__seg_paragraph(const gloss__segmenter *sg, const char *text,
                          size_t start, size_t end, gloss__seg_out *out);

/* Appends the range [start, end) to l, one of out's lists or another;
 * sets out->oom when memory runs out. */
void gloss__seg_push(gloss__seg_out *out, gloss__seg_list *l, size_t start,
                     size_t end, uint32_t flags);

/* Empties out, keeping its memory; and frees it. */
void gloss__seg_out_clear(gloss__seg_out *out);
void gloss__seg_out_free(gloss__seg_out *out);

#endif
