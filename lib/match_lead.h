/*
 * match_lead.h - a pattern's lead: the characters that may come between
 * the start of any of its matches and the trigger that follows them (see
 * match_lead.c). Declared by the pattern (a fifth column of a pattern
 * file, `lead` in gloss.matcher), it lets the search around a trigger
 * start where such a run of characters before the first trigger of the
 * window begins, instead of a whole window before the trigger.
 */
#ifndef GLOSS_MATCH_LEAD_H
#define GLOSS_MATCH_LEAD_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

typedef struct gloss__match_lead {
    /* 1 at every byte of the characters that may lead a match (both
     * cases of letters, and more, in case-insensitive groups). */
    unsigned char bytes[256];
    unsigned char ci;        /* the group ignores case */
    unsigned char lo, hi;    /* the bytes a trigger can start with lie in
                                [lo, hi] (lo > hi: no trigger) */
    /* The triggers' bytes as the scanned text holds them, sorted by the
     * key of their first byte (itself, or in case-insensitive groups
     * lower case for ASCII and 0x80 for any byte beyond); those whose
     * key is k are trig[first[k]] to trig[first[k + 1]] (exclusive). */
    uint16_t first[257];
    const unsigned char **trig;
    uint32_t *len;
    size_t ntrig, cap;
} gloss__match_lead;

/*
 * Parses spec, a character class in brackets ("[0-9\s,-]": characters,
 * ASCII ranges, \s \d \w and escaped punctuation), into a lead for up to
 * ntriggers triggers, allocated from arena. ci: the group ignores case.
 * Returns it, or NULL with the reason in why (NULL with why "" when
 * memory runs out).
 */
gloss__match_lead *gloss__match_lead_new(gloss__arena *arena, const char *spec,
                                         int ci, size_t ntriggers, char *why,
                                         size_t whylen);

/* Adds a trigger's bytes as Vectorscan looks for them (folded when the
 * text is, runs of white space as one space), then, once all are added,
 * builds the table of first bytes. Returns -1 when memory runs out. */
int gloss__match_lead_trigger(gloss__match_lead *l, gloss__arena *arena,
                              const char *bytes, size_t n);
void gloss__match_lead_finish(gloss__match_lead *l);

/*
 * Where the search for the pattern's matches around a trigger that starts
 * at tstart of s (n bytes) can begin instead of pos (the start of its
 * window, pos <= tstart, not inside a character): no match starts in
 * between.
 */
size_t gloss__match_lead_start(const gloss__match_lead *l, const char *s,
                               size_t n, size_t pos, size_t tstart);

#endif
