/*
 * clean.h - the second half of normalize: turning text extracted from PDF
 * and HTML back into running text (lines unwrapped, hyphenation undone,
 * page furniture, footnote markers and markup removed), with the offset
 * map and the spans that record what was taken out.
 *
 * A cleaner is built once from its settings (it holds the word list) and is
 * read-only afterwards, so threads may share it. gloss__clean_text() reads
 * a text and fills a result: the new text, the points of its offset map in
 * the form gloss_doc_set_text_mapped() takes, and the footnote references
 * and markup elements found, with offsets into the new text. Names and
 * codes of elements point into the input, which must outlive the result.
 */
#ifndef GLOSS_CLEAN_H
#define GLOSS_CLEAN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "gloss/doc.h"

typedef struct gloss__clean_settings {
    int unwrap;          /* join lines a PDF wrapped mid-paragraph */
    int dehyphenate;     /* undo hyphens that only broke a word at a line end */
    int furniture;       /* remove lines that repeat as page headers/footers */
    int min_repeats;     /* how often a line must occur to be furniture */
    int footnotes;       /* take footnote markers out of words */
    int markup;          /* take tags out, keeping their content as spans */
    const char *wordlist; /* a word list file, or NULL for the built-in one */
} gloss__clean_settings;

typedef struct gloss__clean_ref {
    size_t pos;          /* where the marker was, in the new text */
    unsigned note;       /* the footnote's number */
} gloss__clean_ref;

typedef struct gloss__clean_mark {
    size_t start, end;   /* the element's content, in the new text */
    const char *name;    /* element name, in the input */
    size_t name_len;
    const char *code;    /* the {CODE} at the start of the content, or NULL */
    size_t code_len;
} gloss__clean_mark;

typedef struct gloss__clean_result {
    gloss__buf text;
    gloss_offset_map_entry *map;
    size_t nmap, capmap;
    gloss__clean_ref *refs;
    size_t nrefs, caprefs;
    gloss__clean_mark *marks;
    size_t nmarks, capmarks;
    int oom;
} gloss__clean_result;

typedef struct gloss__cleaner gloss__cleaner;

/* Builds a cleaner. Returns NULL with a message in err when the word list
 * cannot be read or memory runs out. */
gloss__cleaner *gloss__cleaner_new(const gloss__clean_settings *set, char *err,
                                   size_t errlen);
void gloss__cleaner_destroy(gloss__cleaner **cl);

/* Cleans in[0..len) into *res (which must be zeroed first). Returns 1 when
 * the text changed, 0 when it did not (res then holds no text), -1 when
 * memory ran out. */
int gloss__clean_text(const gloss__cleaner *cl, const char *in, size_t len,
                      gloss__clean_result *res);

void gloss__clean_result_free(gloss__clean_result *res);

#endif
