/*
 * envelope_scan.h - a validating JSON scanner specialised for the envelope
 * {"id", "text", "source", "meta"} (docs/protocol.md).
 *
 * Admission used to build a jansson tree for every envelope only to read
 * four members and throw the tree away; parsing was half the supervisor's
 * time. This scanner makes one pass over the bytes, builds nothing, and
 * reports where the top-level members' values are, so that admission can
 * copy (or unescape) just the strings it keeps and keep meta as the text
 * it arrived as.
 *
 * It accepts and refuses exactly what json_loadb(JSON_REJECT_DUPLICATES)
 * of jansson 2.14 does on valid UTF-8 (duplicate keys at every level,
 * integers outside 64 bits, reals that overflow, "\u0000" in strings,
 * nesting deeper than 2048 values), and reports a refusal with the same
 * line, column and text, so that clients see the same bad_json messages
 * as before. tests/test_envelope.c checks that against jansson itself.
 */
#ifndef GLOSS_ENVELOPE_SCAN_H
#define GLOSS_ENVELOPE_SCAN_H

#include <stddef.h>

/* The deepest nesting of values accepted, counting the envelope itself as
 * 1: jansson's JSON_PARSER_MAX_DEPTH, so that meta that reaches a worker
 * always parses there too. */
#define GLOSS__SCAN_MAX_DEPTH 2048

/* What kind of JSON value a member has (0 when the member is absent). */
typedef enum gloss__scan_kind {
    GLOSS__SCAN_ABSENT = 0,
    GLOSS__SCAN_OBJECT,
    GLOSS__SCAN_ARRAY,
    GLOSS__SCAN_STRING,
    GLOSS__SCAN_NUMBER,
    GLOSS__SCAN_BOOLEAN,
    GLOSS__SCAN_NULL
} gloss__scan_kind;

/* The members admission knows, as indexes into gloss__scan_result.field. */
enum { GLOSS__FIELD_ID, GLOSS__FIELD_TEXT, GLOSS__FIELD_SOURCE,
       GLOSS__FIELD_META, GLOSS__FIELD_COUNT };

/* Where a known member's value is in the envelope. For a string, start and
 * end enclose its contents without the quotes, still escaped; for any
 * other value, its whole text. */
typedef struct gloss__scan_field {
    gloss__scan_kind kind;
    size_t start, end;
    int escaped; /* a string with at least one backslash escape */
} gloss__scan_field;

/* Enough of an unknown member's name to quote it in a message: the first
 * bytes, decoded, and its whole decoded length. */
#define GLOSS__SCAN_NAME_ROOM 72

typedef struct gloss__scan_result {
    gloss__scan_field field[GLOSS__FIELD_COUNT];
    int unknown;      /* the envelope has a member it should not have */
    size_t unknown_len;
    char unknown_name[GLOSS__SCAN_NAME_ROOM + 1];

    /* A refusal: where (as jansson counts: lines from 1, columns in
     * characters from 1, the byte offset after the last byte read) and
     * why. nul_value marks "\u0000" in a string value, which admission
     * words itself. */
    int line, column;
    size_t offset;
    int nul_value;
    char text[160];
} gloss__scan_result;

/*
 * Scans the envelope s (n bytes). Returns 0 when it is valid JSON whose
 * top-level value is an object (r says where its known members are), which
 * implies that s is valid UTF-8; 1 when it is not (r says where and why;
 * when s is not valid UTF-8 the reason is meant for nobody: the caller
 * reports the bad byte instead), and -1 when memory ran out.
 */
int gloss__scan_envelope(const char *s, size_t n, gloss__scan_result *r);

/* Decodes the contents of a string the scanner accepted (n bytes at s,
 * without the quotes) into out, which has room for n + 1 bytes; the result
 * is NUL-terminated and its length returned. Decoding never makes a string
 * longer, hence the room. */
size_t gloss__scan_unescape(const char *s, size_t n, char *out);

#endif
