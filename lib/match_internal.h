/*
 * match_internal.h - what match.c (building, compiling) and match_scan.c
 * (scanning, resolving overlaps) share about a matcher.
 */
#ifndef GLOSS_MATCH_INTERNAL_H
#define GLOSS_MATCH_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <hs.h>
#include <pcre2.h>

#include "arena.h"
#include "buf.h"
#include "match.h"
#include "match_fold.h"
#include "match_lead.h"

enum { KIND_PHRASE = 1, KIND_PATTERN = 2 };

typedef struct match_group {
    gloss__match_group_opts o; /* strings live in the matcher's arena */
    const char *source;        /* "match:<name>" */
} match_group;

typedef struct match_entry {
    gloss__match_entry pub;
    const char *text;  /* the phrase (trimmed) or the regular expression */
    const char *where; /* "file:line", for error messages */
    pcre2_code *re;    /* patterns: the PCRE2 form */
    pcre2_code *re_end; /* the same, anchored at the end of its subject */
    uint32_t plen;     /* phrases: bytes they span in the scanned text */
    uint32_t window;   /* patterns: how far back their matches can start */
    const char **triggers; /* patterns: literals Vectorscan looks for */
    size_t ntriggers;
    gloss__match_lead *lead; /* patterns: where their matches can begin
                                before a trigger, when they declare it */
    pcre2_code *re_start; /* the pattern anchored where it starts */
    unsigned char first_lo, first_hi; /* patterns: every match starts with a
                                         byte in [first_lo, first_hi] */
    unsigned char has_first;
    unsigned char jit; /* JIT_* of the forms the JIT compiled */
    uint32_t namecount, name_entry_size; /* patterns: their named groups, */
    PCRE2_SPTR name_table;               /* as PCRE2 describes them */
    uint32_t seen_scan; /* the scan that last found a match of the entry */
    size_t seen_end;    /* where that match ended */
    int group;
    unsigned char kind;
    unsigned char prefilter; /* Vectorscan only says "maybe"; PCRE2 finds */
} match_entry;

/* Which PCRE2 forms of a pattern the JIT compiled: those are run with
 * pcre2_jit_match(), which skips pcre2_match()'s checks of its arguments
 * (the scan has made them already); the others with pcre2_match(). */
enum { JIT_RE = 1, JIT_START = 2, JIT_END = 4 };

/* What a scan needs to know about one Vectorscan expression, packed into
 * one small table so that the reports of a scan touch little memory. */
enum { EXPR_PHRASE = 1, EXPR_TRIGGER, EXPR_PATTERN, EXPR_PREFILTER };

typedef struct match_expr {
    uint32_t entry;
    int priority;             /* its entry's, so that a report touches
                                 this table only */
    uint32_t len;             /* phrase: bytes it spans in the scanned text;
                                 trigger: its length */
    unsigned char what;       /* EXPR_* */
    unsigned char starts;     /* a trigger that starts every match ("^") */
    unsigned char boundaries; /* its group asks for word boundaries */
    unsigned char spell;      /* a phrase of a group that keeps diacritics:
                                 checked against the text when folded */
    /* Prefix chains: a case-sensitive phrase whose bytes start with those
     * of another one (Kazakh, Kazakhs and Kazakhstan after Kazak) is not
     * in the database; the shortest one is, and where Vectorscan finds
     * it, the scan compares the bytes that follow with those of the
     * longer ones (its children, each with its own children). */
    uint32_t kids;   /* its children: m->kids[kids] on, sorted by bytes */
    uint32_t nkids;  /* how many (0 for none) */
    const char *lit; /* chained phrases: the len bytes matched */
} match_expr;

/* One report of hs_scan, kept for the pass after the scan. */
typedef struct match_hit {
    uint32_t expr, to;
} match_hit;

/* A match before overlaps are resolved, in bytes of the original text. */
typedef struct match_cand {
    size_t start, end;
    uint32_t entry;
    int priority;
    uint32_t cap_off, ncaps;
} match_cand;

/* How many distinct labels and attribute keys the matcher shares between
 * entries. */
#define MAX_KEYS 64

struct gloss__matcher {
    gloss__arena arena;
    const char *keys[MAX_KEYS]; /* the labels and keys met, one copy each */
    size_t nkeys;
    match_group *groups;
    size_t ngroups, capgroups;
    match_entry *entries;
    size_t n, cap;
    int fold;       /* some group folds diacritics: scan a folded copy */
    int phrases;    /* there are phrases, or triggers with white space:
                       scan a copy with plain spaces */
    int from_cache;
    hs_database_t *db;
    match_expr *exprs; /* Vectorscan id -> what it stands for */
    size_t nexprs;
    uint32_t *kids;    /* the children of chained phrases (match_expr) */
    uint32_t scan_no;
    hs_scratch_t *scratch;
    pcre2_match_data *md;
    pcre2_match_context *mctx; /* carries the offset limit of triggers */

    /* Buffers of the scan, kept from one scan to the next. */
    gloss__buf folded;
    gloss__fold_map map;
    const char *text; /* the text being scanned */
    size_t len;
    const char *scanned; /* what Vectorscan scans: text, or folded.data */
    size_t scanned_len;
    int mapped;          /* scanned is folded: offsets go through map */
    unsigned char *from_point; /* mapped: bit i is set when folded byte i
                                  comes from a character that folding
                                  changed (a point of map) */
    size_t capbits;
    size_t map_hint;     /* where the last lookup in map ended */
    match_hit *hits; /* the reports of hs_scan, in the order they came */
    size_t nhits, caphits;
    match_cand *cands;
    size_t ncands, capcands;
    unsigned char *fired; /* per entry: a prefilter pattern reported */
    uint32_t *fired_list;
    size_t nfired;
    gloss__match_cap *caps;
    size_t ncaps, capcaps;
    gloss__match *out;
    size_t capout;
    int oom;
};

#endif
