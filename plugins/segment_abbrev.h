/*
 * segment_abbrev.h - the abbreviations that keep their full stop.
 *
 * Whether "Mr." is one token and whether "etc." may end a sentence depend
 * on a list of words, and different words behave differently: a title
 * ("Mr.", "Dr.") is always followed by a name, a reference ("No.", "p.",
 * "Art.") is an abbreviation only before a number ("No. 5" but "I said
 * No."), and an ordinary abbreviation ("etc.", "Inc.", "a.m.") may also end
 * a sentence, which it does when the next word starts with a capital. A set
 * maps each word (without its final full stop, case-sensitive) to one of
 * these kinds. It is built once per stage instance and read-only after, so
 * threads may share it.
 */
#ifndef GLOSS_SEGMENT_ABBREV_H
#define GLOSS_SEGMENT_ABBREV_H

#include <stddef.h>

typedef enum gloss__abbrev_kind {
    GLOSS__AB_NONE = 0, /* not an abbreviation */
    GLOSS__AB_TITLE,    /* never ends a sentence: Mr., Dr., e.g., cf. */
    GLOSS__AB_NUMBER,   /* an abbreviation only before a number: No., p. */
    GLOSS__AB_FINAL     /* may end a sentence: etc., Inc., a.m. */
} gloss__abbrev_kind;

typedef struct gloss__abbrevs gloss__abbrevs;

/* An empty set; NULL when memory runs out. */
gloss__abbrevs *gloss__abbrevs_new(void);
void gloss__abbrevs_destroy(gloss__abbrevs **set);

/* Adds the built-in list of a language ("en"); returns -1 for an unknown
 * language or when memory runs out. */
int gloss__abbrevs_add_language(gloss__abbrevs *set, const char *language);

/* Adds word (a final full stop is ignored) with its kind, replacing the
 * kind it had. Returns 0, or -1 when memory runs out or the word is empty
 * or longer than 63 bytes. */
int gloss__abbrevs_add(gloss__abbrevs *set, const char *word, size_t len,
                       gloss__abbrev_kind kind);

/* The kind of word (without its full stop), GLOSS__AB_NONE when absent. */
gloss__abbrev_kind gloss__abbrevs_find(const gloss__abbrevs *set,
                                       const char *word, size_t len);

#endif
