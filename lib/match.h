/*
 * match.h - the phrase and pattern matcher shared by the `match` stage and
 * Lua's gloss.matcher().
 *
 * A matcher is built in three steps: groups (a dictionary or a pattern
 * file, with its options), entries (phrases and regular expressions, each
 * with a label, a canonical id and attributes), then one compilation into
 * a single Vectorscan database. After that, gloss__matcher_scan() finds
 * every entry in a text in one hs_scan pass and resolves overlaps: the
 * longest match wins, then the higher priority, then the earlier start,
 * then the entry added first.
 *
 * Diacritics-insensitive groups make the matcher scan a folded copy of the
 * text (match_fold.c); spans are mapped back to the text given. Entries of
 * other groups are checked against the text as it is, so folding one
 * dictionary does not loosen the others.
 *
 * A matcher owns its scratch space and the buffers of its last scan: one
 * matcher serves one thread at a time (a stage instance, a Lua state).
 */
#ifndef GLOSS_MATCH_H
#define GLOSS_MATCH_H

#include <stddef.h>
#include <stdint.h>

typedef struct gloss__matcher gloss__matcher;

/* The options of one group of entries (a dictionary or pattern file). */
typedef struct gloss__match_group_opts {
    const char *name;           /* spans get source "match:<name>" */
    const char *label;          /* default label of its entries, or NULL */
    int case_insensitive;
    int diacritics_insensitive; /* Róża = Roza, Žanaozen = Zanaozen */
    int boundaries;             /* a match must not cut a word or number */
    int priority;               /* higher wins between equally long matches */
} gloss__match_group_opts;

typedef struct gloss__match_attr {
    const char *key;
    const char *value;
} gloss__match_attr;

/* What an entry says about the text it matches. Labels and attribute
 * keys of the same text are mostly one pointer (the first 64 texts met),
 * which lets the stage intern each one once per document. */
typedef struct gloss__match_entry {
    const char *label;
    const char *id;     /* canonical id; NULL for patterns without one */
    const char *source; /* "match:<group name>" */
    const gloss__match_attr *attrs;
    size_t nattrs;
    int priority;
} gloss__match_entry;

/* A named capture of a pattern match: the attribute key and its bytes. */
typedef struct gloss__match_cap {
    const char *name;
    size_t start, end;
} gloss__match_cap;

/* One match after overlaps are resolved, in bytes of the scanned text. */
typedef struct gloss__match {
    size_t start, end;
    const gloss__match_entry *entry;
    const gloss__match_cap *caps; /* valid until the next scan */
    size_t ncaps;
} gloss__match;

gloss__matcher *gloss__matcher_new(void);
void gloss__matcher_destroy(gloss__matcher **m);

/* Adds a group; returns its index, or -1 when memory runs out. */
int gloss__matcher_group(gloss__matcher *m, const gloss__match_group_opts *o);

/*
 * Adds a phrase or a regular expression (PCRE syntax; named groups become
 * attributes) to group. label NULL takes the group's label; id NULL leaves
 * phrases with the phrase as their id. where ("file:line") names the
 * entry in error messages. Strings are copied. Returns 0, or -1 with a
 * message in err.
 *
 * A pattern may name triggers: literals one of which every match
 * contains (month names for a date, "Article" for a legal reference),
 * matched as written (case counts unless the group ignores it); one that
 * starts with a letter or digit must start a word.
 * Vectorscan then looks only for the triggers, which it does at the speed
 * of phrases, and PCRE2 runs the pattern around each one. Without
 * triggers, Vectorscan runs the whole pattern, which for patterns led by
 * digits or character classes is many times slower.
 *
 * A pattern with triggers may declare its lead (NULL for none): a
 * character class in brackets ("[0-9\s,]") of the characters that may
 * come between the start of a match and the trigger after them, when
 * every match is such characters (maybe none) followed by a trigger. PCRE2
 * then starts where those characters before the first trigger near the
 * one found begin, rather than a whole window before it; the matches are
 * the same. A lead that does not parse, or one without a trigger that
 * can follow it (none, or only "^" ones), is an error naming where and
 * the pattern.
 */
int gloss__matcher_add_phrase(gloss__matcher *m, int group, const char *phrase,
                              const char *label, const char *id,
                              const gloss__match_attr *attrs, size_t nattrs,
                              const char *where, char *err, size_t errlen);
int gloss__matcher_add_pattern(gloss__matcher *m, int group, const char *regex,
                               const char *label, const char *id,
                               const gloss__match_attr *attrs, size_t nattrs,
                               const char *const *triggers, size_t ntriggers,
                               const char *lead, const char *where, char *err,
                               size_t errlen);

/*
 * Reads a dictionary (a .json file, or TSV lines "phrase TAB label TAB id
 * TAB key=value;key=value") or a pattern file (TSV lines "LABEL TAB regex
 * TAB key=value;... TAB trigger|trigger TAB lead") into group. Returns 0,
 * or -1 with a message naming the file and line in err. The fields after
 * the regex may be left out (or empty): attributes, triggers separated by
 * '|', and the lead of the triggers.
 */
int gloss__matcher_load_dictionary(gloss__matcher *m, int group,
                                   const char *path, char *err, size_t errlen);
int gloss__matcher_load_patterns(gloss__matcher *m, int group,
                                 const char *path, char *err, size_t errlen);

/*
 * Compiles everything added into one database. With cache_dir (not NULL
 * or ""), a database compiled before from the same entries is read from
 * there instead, and a new one is written there. A pattern that does not
 * compile is an error naming its file, line and text. Returns 0, or -1
 * with a message in err.
 */
int gloss__matcher_compile(gloss__matcher *m, const char *cache_dir, char *err,
                           size_t errlen);

/* The number of entries, and whether compile() read the cache. */
size_t gloss__matcher_size(const gloss__matcher *m);
int gloss__matcher_from_cache(const gloss__matcher *m);

/*
 * Finds the entries in text (len bytes) and stores the resolved matches,
 * in text order, in *out (owned by the matcher, valid until the next scan
 * or destroy). Returns their number, or -1 with a message in err.
 */
long gloss__matcher_scan(gloss__matcher *m, const char *text, size_t len,
                         const gloss__match **out, char *err, size_t errlen);

#endif
