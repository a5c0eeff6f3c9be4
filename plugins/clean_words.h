/*
 * clean_words.h - the word list behind de-hyphenation: a sorted array of
 * 64-bit FNV-1a hashes of lower-cased word forms and hyphenated compounds,
 * built from UD English EWT and CoNLL-2003 by tools/wordlist.lua (see
 * models/README.md). The built-in copy is compiled in (wordlist_data.c);
 * a file in the same format can replace it.
 */
#ifndef GLOSS_CLEAN_WORDS_H
#define GLOSS_CLEAN_WORDS_H

#include <stddef.h>
#include <stdint.h>

extern const uint64_t gloss__wordlist[];
extern const size_t gloss__wordlist_count;

typedef struct gloss__words {
    const uint64_t *hashes;
    size_t n;
    uint64_t *owned; /* the loaded file's array, or NULL for the built-in */
} gloss__words;

/* Loads path (NULL or "" for the built-in list). Returns 0, or -1 with a
 * message in err. */
int gloss__words_load(gloss__words *w, const char *path, char *err,
                      size_t errlen);
void gloss__words_free(gloss__words *w);

/*
 * Decides the hyphen at the end of a line between w1 (the letters before
 * it) and w2 (the letters that begin the next line): returns 1 to keep it
 * (a real compound such as long-standing), 0 to join the halves
 * (with-drawal). See clean_words.c for the evidence it weighs.
 */
int gloss__words_keep_hyphen(const gloss__words *w, const char *w1, size_t n1,
                             const char *w2, size_t n2);

#endif
