/*
 * envelope_scan.c - the envelope's JSON scanner (see envelope_scan.h).
 *
 * How it works: a lexer reads one token at a time (punctuation, a string,
 * a number, a word) and a parser consumes the tokens with an explicit
 * stack instead of recursion, so that nesting costs heap memory, not C
 * stack, and is bounded by GLOSS__SCAN_MAX_DEPTH. Both follow jansson's
 * load.c step for step where it matters to a client: which token an error
 * is reported at, which bytes have been read when it is (the "line,
 * column" and the "near '...'" context), and the order of the checks. Any
 * divergence would show up as a different bad_json message, or worse, as
 * meta the scanner accepts but a worker's jansson refuses.
 *
 * Strings are the bulk of an envelope, so the string lexer skips runs of
 * plain ASCII sixteen bytes at a time and only looks closely at quotes,
 * backslashes, control bytes and bytes above 0x7F, whose sequences it
 * checks for UTF-8 in the same pass. Outside strings only ASCII is
 * accepted, so an envelope the scanner accepts is valid UTF-8 as a whole,
 * and admission need not read it twice; when the scanner refuses one,
 * admission checks the whole message for UTF-8 before it reports a JSON
 * error.
 *
 * Duplicate keys are refused at every level, like JSON_REJECT_DUPLICATES:
 * each open object's keys sit on a stack (compared linearly while an
 * object is small) and an object that grows past a few keys moves to a
 * hash table, so that a hostile object of a million keys costs linear
 * time, as it does in jansson.
 */
#include "envelope_scan.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytescan.h"
#include "utf8.h"

/* Tokens: punctuation is its own character; the rest are above 255. */
enum {
    TOK_EOF = 0,
    TOK_INVALID = 256,
    TOK_STRING,
    TOK_INTEGER,
    TOK_REAL,
    TOK_TRUE,
    TOK_FALSE,
    TOK_NULL
};

/* An object's keys are compared linearly up to this many; beyond it they
 * go to the hash table. Envelopes have four keys and most meta objects a
 * handful, so the table is rarely built. */
#define LINEAR_KEYS 16

/* A key of an open object: its decoded bytes are either in the input (a
 * key without escapes) or in the scanner's key arena. Offsets rather than
 * pointers, because the arena moves when it grows. */
typedef struct key {
    size_t off, len;
    int in_arena;
    uint32_t hash;
} key;

/* A slot of the hash table: a copy of a key and the object it belongs
 * to. Slots of closed objects stay behind; their serial never matches
 * again, so their (possibly reused) arena bytes are never compared. */
typedef struct slot {
    uint64_t serial; /* 0: the slot is free */
    size_t off, len;
    int in_arena;
    uint32_t hash;
} slot;

/* An open array or object. */
typedef struct frame {
    int is_object;
    int hashed;         /* its keys are in the hash table */
    uint64_t serial;    /* unique per object, to tell table slots apart */
    size_t keys_start;  /* its first key on the key stack */
    size_t arena_mark;  /* the arena's length when it opened */
} frame;

typedef struct scanner {
    const unsigned char *s;
    size_t n;
    size_t pos;       /* the next byte to read */

    /* The current token: its kind, first byte, and for a string its
     * contents and what decoding it would find. */
    int tok;
    size_t tok_start;
    size_t str_start, str_end;
    int str_escaped, str_nul;

    frame *frames;
    size_t nframes, frames_cap;
    frame frames_inline[16];
    uint64_t next_serial;

    key *keys;
    size_t nkeys, keys_cap;
    key keys_inline[32];

    char *arena;
    size_t arena_len, arena_cap;

    slot *table;
    size_t table_cap, table_used;

    int failed; /* 1: a syntax error is in r; -1: out of memory */
    gloss__scan_result *r;
} scanner;

/* ---- errors -------------------------------------------------------------------- */

/* Records a refusal at the current position, in jansson's words: the
 * bytes of the current token read so far are quoted as context when there
 * are some and at most 20 of them; none means the input ended. */
static void fail(scanner *sc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail(scanner *sc, const char *fmt, ...)
{
    gloss__scan_result *r = sc->r;
    char what[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);

    /* Lines count newlines; columns count characters (not continuation
     * bytes) since the last newline, as jansson's stream does. */
    size_t p = sc->pos, line_start = 0;
    int line = 1;
    for (size_t i = 0; i < p; i++)
        if (sc->s[i] == '\n') {
            line++;
            line_start = i + 1;
        }
    r->line = line;
    r->column = (int)gloss__utf8_count((const char *)sc->s + line_start,
                                       p - line_start);
    r->offset = p;

    /* jansson keeps the token's text as a C string, so a token that starts
     * with a NUL byte counts as no text at all. */
    size_t saved = p > sc->tok_start ? p - sc->tok_start : 0;
    const char *t = (const char *)sc->s + sc->tok_start;
    if (saved && t[0] != '\0') {
        if (saved <= 20)
            snprintf(r->text, sizeof r->text, "%s near '%.*s'", what,
                     (int)strnlen(t, saved), t);
        else
            snprintf(r->text, sizeof r->text, "%s", what);
    } else {
        snprintf(r->text, sizeof r->text, "%s near end of file", what);
    }
    sc->failed = 1;
}

/* ---- the lexer ------------------------------------------------------------------ */

static int is_digit(unsigned c) { return c >= '0' && c <= '9'; }
static int is_alpha(unsigned c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

static int hex_value(unsigned c)
{
    if (is_digit(c))
        return (int)(c - '0');
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return (int)(c - 'a' + 10);
    return -1;
}

/* The four hex digits at s, already known to be hex digits. */
static uint32_t hex4(const unsigned char *s)
{
    return (uint32_t)(hex_value(s[0]) << 12 | hex_value(s[1]) << 8 |
                      hex_value(s[2]) << 4 | hex_value(s[3]));
}

/* Returns the first offset from i on (or n) holding a byte a string's
 * contents cannot have as is (a quote, a backslash or a control byte) or a
 * byte above 0x7F, whose sequence is checked for UTF-8 (bytescan.h tests
 * sixteen bytes at a time). */
static size_t skip_plain(const unsigned char *s, size_t i, size_t n)
{
    return gloss__scan_json_plain(s, i, n, 1);
}

/* Lexes the string whose opening quote is at i. Lexing errors come first,
 * at the byte where they are found; what the escapes decode to (lone
 * surrogates) is judged once the whole string is read, as jansson does,
 * so the first such problem is kept until then. */
static int lex_string(scanner *sc, size_t i)
{
    const unsigned char *s = sc->s;
    size_t n = sc->n, j = i + 1;
    int escaped = 0, nul = 0;
    uint32_t bad1 = 0, bad2 = 0;
    int bad = 0; /* 1: a lone surrogate bad1; 2: the pair bad1 bad2 */
    for (;;) {
        j = skip_plain(s, j, n);
        if (j == n) {
            sc->pos = n;
            fail(sc, "premature end of input");
            return sc->tok = TOK_INVALID;
        }
        unsigned c = s[j];
        if (c == '"')
            break;
        if (c >= 0x80) {
            /* The string's bytes are checked for UTF-8 here, in the same
             * pass; admission reports a bad sequence as invalid_utf8 (it
             * checks the whole message whenever a scan fails). */
            uint32_t cp;
            size_t len = gloss__utf8_decode(s + j, n - j, &cp, NULL);
            if (len == 0) {
                sc->pos = j + 1;
                fail(sc, "invalid UTF-8");
                return sc->tok = TOK_INVALID;
            }
            j += len;
            continue;
        }
        if (c < 0x20) {
            sc->pos = j;
            if (c == '\n')
                fail(sc, "unexpected newline");
            else
                fail(sc, "control character 0x%x", c);
            return sc->tok = TOK_INVALID;
        }
        /* A backslash: jansson reads the escape a byte at a time and stops
         * just after the first byte that does not fit. */
        escaped = 1;
        if (j + 1 >= n) {
            sc->pos = n;
            fail(sc, "invalid escape");
            return sc->tok = TOK_INVALID;
        }
        c = s[j + 1];
        if (c == 'u') {
            for (size_t k = j + 2; k < j + 6; k++) {
                if (k >= n) {
                    sc->pos = n;
                    fail(sc, "invalid escape");
                    return sc->tok = TOK_INVALID;
                }
                if (hex_value(s[k]) < 0) {
                    sc->pos = k + 1;
                    fail(sc, "invalid escape");
                    return sc->tok = TOK_INVALID;
                }
            }
            uint32_t v = hex4(s + j + 2);
            j += 6;
            if (bad)
                continue;
            if (v >= 0xD800 && v <= 0xDBFF) {
                /* A high surrogate must be followed by a low one; what
                 * follows is only looked at as far as it was lexed, and an
                 * unfinished escape is a lexing error reported first. */
                if (j + 1 < n && s[j] == '\\' && s[j + 1] == 'u') {
                    int ok = 1;
                    for (size_t k = j + 2; k < j + 6; k++)
                        if (k >= n || hex_value(s[k]) < 0)
                            ok = 0;
                    if (!ok)
                        continue; /* the next round reports the escape */
                    uint32_t v2 = hex4(s + j + 2);
                    if (v2 >= 0xDC00 && v2 <= 0xDFFF) {
                        j += 6;
                    } else {
                        bad = 2;
                        bad1 = v;
                        bad2 = v2;
                    }
                } else {
                    bad = 1;
                    bad1 = v;
                }
            } else if (v >= 0xDC00 && v <= 0xDFFF) {
                bad = 1;
                bad1 = v;
            } else if (v == 0) {
                nul = 1;
            }
        } else if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' ||
                   c == 'n' || c == 'r' || c == 't') {
            j += 2;
        } else {
            sc->pos = j + 2;
            fail(sc, "invalid escape");
            return sc->tok = TOK_INVALID;
        }
    }
    sc->pos = j + 1;
    if (bad == 1) {
        fail(sc, "invalid Unicode '\\u%04X'", (unsigned)bad1);
        return sc->tok = TOK_INVALID;
    }
    if (bad == 2) {
        fail(sc, "invalid Unicode '\\u%04X\\u%04X'", (unsigned)bad1,
             (unsigned)bad2);
        return sc->tok = TOK_INVALID;
    }
    sc->str_start = i + 1;
    sc->str_end = j;
    sc->str_escaped = escaped;
    sc->str_nul = nul;
    return sc->tok = TOK_STRING;
}

/* Whether the digits d (n of them, no leading zero) exceed the digits of
 * the limit as a number. */
static int digits_exceed(const unsigned char *d, size_t n, const char *limit)
{
    size_t ln = strlen(limit);
    if (n != ln)
        return n > ln;
    return memcmp(d, limit, n) > 0;
}

/* Whether the real number s (n bytes, valid JSON) overflows a double, as
 * jansson decides it: strtod in the C locale's notation, with the decimal
 * point changed to the current locale's. Only reals with many digits or a
 * large exponent can overflow, so the rest never reach strtod. */
static int real_overflows(const unsigned char *s, size_t n, int *oom)
{
    size_t i = 0, intdigits = 0;
    if (s[i] == '-')
        i++;
    while (i < n && is_digit(s[i])) {
        i++;
        intdigits++;
    }
    while (i < n && s[i] != 'e' && s[i] != 'E')
        i++;
    long exp = 0;
    if (i < n) {
        i++;
        int neg = 0;
        if (s[i] == '+' || s[i] == '-')
            neg = s[i++] == '-';
        for (; i < n; i++)
            if (exp < 100000)
                exp = exp * 10 + (s[i] - '0');
        if (neg)
            exp = -exp;
    }
    /* A value below 10^300 is finite whatever its fraction says. */
    if ((long)intdigits + exp < 300 && intdigits < 300)
        return 0;

    char small[64];
    char *buf = n < sizeof small ? small : malloc(n + 1);
    if (!buf) {
        *oom = 1;
        return 0;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    const char *point = localeconv()->decimal_point;
    char *dot = memchr(buf, '.', n);
    if (dot && point && point[0] && !point[1])
        *dot = point[0];
    errno = 0;
    double v = strtod(buf, NULL);
    int over = (v == HUGE_VAL || v == -HUGE_VAL) && errno == ERANGE;
    if (buf != small)
        free(buf);
    return over;
}

/* Lexes the number whose first byte ('-' or a digit) is at i. A number
 * that goes wrong is an invalid token ending after the last byte that
 * fitted; one out of range is an error here. */
static int lex_number(scanner *sc, size_t i)
{
    const unsigned char *s = sc->s;
    size_t n = sc->n, j = i;
    int neg = 0;
    if (s[j] == '-') {
        neg = 1;
        j++;
    }
    if (j < n && s[j] == '0') {
        j++;
        if (j < n && is_digit(s[j])) {
            sc->pos = j;
            return sc->tok = TOK_INVALID;
        }
    } else if (j < n && is_digit(s[j])) {
        while (j < n && is_digit(s[j]))
            j++;
    } else {
        sc->pos = j;
        return sc->tok = TOK_INVALID;
    }
    if (j == n || (s[j] != '.' && s[j] != 'e' && s[j] != 'E')) {
        sc->pos = j;
        /* jansson's integers are 64-bit; strtoll's range decides. */
        const unsigned char *d = s + i + neg;
        if (digits_exceed(d, j - i - (size_t)neg,
                          neg ? "9223372036854775808" : "9223372036854775807")) {
            fail(sc, neg ? "too big negative integer" : "too big integer");
            return sc->tok = TOK_INVALID;
        }
        return sc->tok = TOK_INTEGER;
    }
    if (s[j] == '.') {
        j++;
        if (j == n || !is_digit(s[j])) {
            sc->pos = j;
            return sc->tok = TOK_INVALID;
        }
        while (j < n && is_digit(s[j]))
            j++;
    }
    if (j < n && (s[j] == 'e' || s[j] == 'E')) {
        j++;
        if (j < n && (s[j] == '+' || s[j] == '-'))
            j++;
        if (j == n || !is_digit(s[j])) {
            sc->pos = j;
            return sc->tok = TOK_INVALID;
        }
        while (j < n && is_digit(s[j]))
            j++;
    }
    sc->pos = j;
    int oom = 0;
    int over = real_overflows(s + i, j - i, &oom);
    if (oom) {
        sc->failed = -1;
        return sc->tok = TOK_INVALID;
    }
    if (over) {
        fail(sc, "real number overflow");
        return sc->tok = TOK_INVALID;
    }
    return sc->tok = TOK_REAL;
}

/* Reads the next token. */
static int lex(scanner *sc)
{
    const unsigned char *s = sc->s;
    size_t n = sc->n, i = sc->pos;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    sc->tok_start = i;
    if (i == n) {
        sc->pos = n;
        return sc->tok = TOK_EOF;
    }
    unsigned c = s[i];
    switch (c) {
    case '{': case '}': case '[': case ']': case ':': case ',':
        sc->pos = i + 1;
        return sc->tok = (int)c;
    case '"':
        return lex_string(sc, i);
    default:
        break;
    }
    if (is_digit(c) || c == '-')
        return lex_number(sc, i);
    if (is_alpha(c)) {
        /* jansson reads the whole word, for a clearer message. */
        size_t j = i;
        while (j < n && is_alpha(s[j]))
            j++;
        sc->pos = j;
        size_t len = j - i;
        if (len == 4 && memcmp(s + i, "true", 4) == 0)
            return sc->tok = TOK_TRUE;
        if (len == 5 && memcmp(s + i, "false", 5) == 0)
            return sc->tok = TOK_FALSE;
        if (len == 4 && memcmp(s + i, "null", 4) == 0)
            return sc->tok = TOK_NULL;
        return sc->tok = TOK_INVALID;
    }
    /* Anything else is one stray character, taken whole so that the
     * message quoting it stays valid UTF-8. */
    size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    sc->pos = i + len <= n ? i + len : n;
    return sc->tok = TOK_INVALID;
}

/* ---- keys ----------------------------------------------------------------------- */

static const char *key_bytes(const scanner *sc, size_t off, int in_arena)
{
    return in_arena ? sc->arena + off : (const char *)sc->s + off;
}

static uint32_t hash_bytes(const char *p, size_t n, uint64_t serial)
{
    uint32_t h = 2166136261u ^ (uint32_t)serial ^ (uint32_t)(serial >> 32);
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 16777619u;
    }
    return h;
}

static int grow(void **p, size_t *cap, size_t need, size_t size, void *inline_buf)
{
    if (need <= *cap)
        return 0;
    size_t cap2 = *cap ? *cap : 16;
    while (cap2 < need)
        cap2 *= 2;
    void *q;
    if (*p == inline_buf) {
        q = malloc(cap2 * size);
        if (q && *cap)
            memcpy(q, *p, *cap * size);
    } else {
        q = realloc(*p, cap2 * size);
    }
    if (!q)
        return -1;
    *p = q;
    *cap = cap2;
    return 0;
}

/* Puts a key into the hash table, or finds it there: returns 1 when the
 * object already has it, 0 when it was added, -1 when memory ran out. */
static int table_put(scanner *sc, uint64_t serial, const key *k)
{
    if ((sc->table_used + 1) * 2 > sc->table_cap) {
        size_t cap = sc->table_cap ? sc->table_cap * 2 : 256;
        slot *t = calloc(cap, sizeof *t);
        if (!t)
            return -1;
        for (size_t i = 0; i < sc->table_cap; i++) {
            slot *o = &sc->table[i];
            if (!o->serial)
                continue;
            size_t h = o->hash & (cap - 1);
            while (t[h].serial)
                h = (h + 1) & (cap - 1);
            t[h] = *o;
        }
        free(sc->table);
        sc->table = t;
        sc->table_cap = cap;
    }
    const char *kb = key_bytes(sc, k->off, k->in_arena);
    size_t h = k->hash & (sc->table_cap - 1);
    while (sc->table[h].serial) {
        const slot *o = &sc->table[h];
        if (o->serial == serial && o->hash == k->hash && o->len == k->len &&
            memcmp(key_bytes(sc, o->off, o->in_arena), kb, k->len) == 0)
            return 1;
        h = (h + 1) & (sc->table_cap - 1);
    }
    sc->table[h] = (slot){serial, k->off, k->len, k->in_arena, k->hash};
    sc->table_used++;
    return 0;
}

/* Adds the current string token as a key of the innermost object. Returns
 * 1 for a duplicate, 0 when added, -1 when memory ran out; *k receives
 * the decoded key. */
static int add_key(scanner *sc, key *k)
{
    frame *f = &sc->frames[sc->nframes - 1];
    size_t len = sc->str_end - sc->str_start;
    if (sc->str_escaped) {
        if (grow((void **)&sc->arena, &sc->arena_cap, sc->arena_len + len + 1,
                 1, NULL) < 0)
            return -1;
        k->off = sc->arena_len;
        k->len = gloss__scan_unescape((const char *)sc->s + sc->str_start, len,
                                      sc->arena + sc->arena_len);
        k->in_arena = 1;
        sc->arena_len += k->len;
    } else {
        k->off = sc->str_start;
        k->len = len;
        k->in_arena = 0;
    }
    const char *kb = key_bytes(sc, k->off, k->in_arena);
    size_t count = sc->nkeys - f->keys_start;
    k->hash = 0;
    if (!f->hashed) {
        for (size_t i = f->keys_start; i < sc->nkeys; i++) {
            const key *o = &sc->keys[i];
            if (o->len == k->len &&
                memcmp(key_bytes(sc, o->off, o->in_arena), kb, k->len) == 0)
                return 1;
        }
        if (count + 1 > LINEAR_KEYS) {
            /* The object has grown: its keys move to the table. */
            for (size_t i = f->keys_start; i < sc->nkeys; i++) {
                key *o = &sc->keys[i];
                o->hash = hash_bytes(key_bytes(sc, o->off, o->in_arena), o->len,
                                     f->serial);
                if (table_put(sc, f->serial, o) < 0)
                    return -1;
            }
            f->hashed = 1;
            sc->nkeys = f->keys_start;
        }
    }
    if (f->hashed) {
        k->hash = hash_bytes(kb, k->len, f->serial);
        return table_put(sc, f->serial, k);
    }
    if (grow((void **)&sc->keys, &sc->keys_cap, sc->nkeys + 1, sizeof *sc->keys,
             sc->keys_inline) < 0)
        return -1;
    sc->keys[sc->nkeys++] = *k;
    return 0;
}

/* ---- the parser ----------------------------------------------------------------- */

static int push(scanner *sc, int is_object)
{
    if (grow((void **)&sc->frames, &sc->frames_cap, sc->nframes + 1,
             sizeof *sc->frames, sc->frames_inline) < 0)
        return -1;
    sc->frames[sc->nframes++] = (frame){is_object, 0, ++sc->next_serial,
                                        sc->nkeys, sc->arena_len};
    return 0;
}

static void pop(scanner *sc)
{
    frame *f = &sc->frames[--sc->nframes];
    if (f->is_object && !f->hashed)
        sc->nkeys = f->keys_start;
    sc->arena_len = f->arena_mark;
}

static gloss__scan_kind token_kind(int tok)
{
    switch (tok) {
    case '{': return GLOSS__SCAN_OBJECT;
    case '[': return GLOSS__SCAN_ARRAY;
    case TOK_STRING: return GLOSS__SCAN_STRING;
    case TOK_INTEGER:
    case TOK_REAL: return GLOSS__SCAN_NUMBER;
    case TOK_TRUE:
    case TOK_FALSE: return GLOSS__SCAN_BOOLEAN;
    default: return GLOSS__SCAN_NULL;
    }
}

/* Notes a member of the envelope itself: which known field it is, or the
 * first unknown one. Returns the field's index, or -1. */
static int top_member(scanner *sc, const key *k)
{
    static const char *const names[GLOSS__FIELD_COUNT] = {"id", "text", "source",
                                                          "meta"};
    const char *kb = key_bytes(sc, k->off, k->in_arena);
    for (int i = 0; i < GLOSS__FIELD_COUNT; i++)
        if (strlen(names[i]) == k->len && memcmp(names[i], kb, k->len) == 0)
            return i;
    gloss__scan_result *r = sc->r;
    if (!r->unknown) {
        r->unknown = 1;
        r->unknown_len = k->len;
        size_t copy = k->len < GLOSS__SCAN_NAME_ROOM ? k->len : GLOSS__SCAN_NAME_ROOM;
        memcpy(r->unknown_name, kb, copy);
        r->unknown_name[copy] = '\0';
    }
    return -1;
}

/* Parses the whole input. The labels stand for jansson's functions:
 * "value" is parse_value for the current token, "key" the top of
 * parse_object's loop, "after" what follows a finished value in its
 * container. */
static void parse(scanner *sc)
{
    gloss__scan_result *r = sc->r;
    int depth = 0;
    int member = -1; /* the known field whose value is being read */

    lex(sc);
    if (sc->failed)
        return;
    if (sc->tok != '{' && sc->tok != '[') {
        fail(sc, "'[' or '{' expected");
        return;
    }

value:
    if (++depth > GLOSS__SCAN_MAX_DEPTH) {
        fail(sc, "maximum parsing depth reached");
        return;
    }
    if (sc->nframes == 1 && sc->frames[0].is_object && member >= 0) {
        gloss__scan_field *f = &r->field[member];
        f->kind = token_kind(sc->tok);
        f->start = sc->tok == TOK_STRING ? sc->str_start : sc->tok_start;
        f->escaped = sc->tok == TOK_STRING && sc->str_escaped;
        if (sc->tok == TOK_STRING)
            f->end = sc->str_end;
    }
    switch (sc->tok) {
    case TOK_STRING:
        if (sc->str_nul) {
            fail(sc, "\\u0000 is not allowed without JSON_ALLOW_NUL");
            r->nul_value = 1;
            return;
        }
        goto after;
    case TOK_INTEGER:
    case TOK_REAL:
    case TOK_TRUE:
    case TOK_FALSE:
    case TOK_NULL:
        goto after;
    case '{':
        if (push(sc, 1) < 0)
            goto oom;
        lex(sc);
        if (sc->failed)
            return;
        if (sc->tok == '}') {
            pop(sc);
            goto after;
        }
        goto key;
    case '[':
        if (push(sc, 0) < 0)
            goto oom;
        lex(sc);
        if (sc->failed)
            return;
        if (sc->tok == ']') {
            pop(sc);
            goto after;
        }
        if (sc->tok == TOK_EOF) {
            fail(sc, "']' expected");
            return;
        }
        goto value;
    case TOK_INVALID:
        fail(sc, "invalid token");
        return;
    default:
        fail(sc, "unexpected token");
        return;
    }

key:
    if (sc->tok != TOK_STRING) {
        fail(sc, "string or '}' expected");
        return;
    }
    if (sc->str_nul) {
        fail(sc, "NUL byte in object key not supported");
        return;
    }
    {
        key k;
        int dup = add_key(sc, &k);
        if (dup < 0)
            goto oom;
        if (dup) {
            fail(sc, "duplicate object key");
            return;
        }
        /* Keys of nested objects leave member alone: it still names the
         * envelope's member whose value they are inside. */
        if (sc->nframes == 1)
            member = top_member(sc, &k);
    }
    lex(sc);
    if (sc->failed)
        return;
    if (sc->tok != ':') {
        fail(sc, "':' expected");
        return;
    }
    lex(sc);
    if (sc->failed)
        return;
    goto value;

after:
    depth--;
    if (sc->nframes == 0) {
        lex(sc);
        if (sc->failed)
            return;
        if (sc->tok != TOK_EOF)
            fail(sc, "end of file expected");
        return;
    }
    if (sc->nframes == 1 && member >= 0) {
        /* A member of the envelope is complete: a string's end is already
         * known, any other value ends here. */
        gloss__scan_field *f = &r->field[member];
        if (f->kind != GLOSS__SCAN_STRING)
            f->end = sc->pos;
        member = -1;
    }
    lex(sc);
    if (sc->failed)
        return;
    if (sc->frames[sc->nframes - 1].is_object) {
        if (sc->tok == ',') {
            lex(sc);
            if (sc->failed)
                return;
            goto key;
        }
        if (sc->tok != '}') {
            fail(sc, "'}' expected");
            return;
        }
    } else {
        if (sc->tok == ',') {
            lex(sc);
            if (sc->failed)
                return;
            if (sc->tok == TOK_EOF) {
                fail(sc, "']' expected");
                return;
            }
            goto value;
        }
        if (sc->tok != ']') {
            fail(sc, "']' expected");
            return;
        }
    }
    pop(sc);
    goto after;

oom:
    sc->failed = -1;
}

int gloss__scan_envelope(const char *s, size_t n, gloss__scan_result *r)
{
    memset(r, 0, sizeof *r);
    /* The inline buffers are left as they are: only what is pushed is
     * read, and clearing them would cost more than a small envelope's scan. */
    scanner sc;
    sc.s = (const unsigned char *)s;
    sc.n = n;
    sc.pos = 0;
    sc.tok = TOK_EOF;
    sc.tok_start = sc.str_start = sc.str_end = 0;
    sc.str_escaped = sc.str_nul = 0;
    sc.frames = sc.frames_inline;
    sc.nframes = 0;
    sc.frames_cap = sizeof sc.frames_inline / sizeof *sc.frames_inline;
    sc.next_serial = 0;
    sc.keys = sc.keys_inline;
    sc.nkeys = 0;
    sc.keys_cap = sizeof sc.keys_inline / sizeof *sc.keys_inline;
    sc.arena = NULL;
    sc.arena_len = sc.arena_cap = 0;
    sc.table = NULL;
    sc.table_cap = sc.table_used = 0;
    sc.failed = 0;
    sc.r = r;

    parse(&sc);

    if (sc.frames != sc.frames_inline)
        free(sc.frames);
    if (sc.keys != sc.keys_inline)
        free(sc.keys);
    free(sc.arena);
    free(sc.table);
    return sc.failed;
}

size_t gloss__scan_unescape(const char *s, size_t n, char *out)
{
    size_t i = 0, o = 0;
    while (i < n) {
        const char *bs = memchr(s + i, '\\', n - i);
        size_t run = bs ? (size_t)(bs - (s + i)) : n - i;
        memcpy(out + o, s + i, run);
        o += run;
        i += run;
        if (!bs)
            break;
        char c = s[i + 1];
        i += 2;
        switch (c) {
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'u': {
            uint32_t v = hex4((const unsigned char *)s + i);
            i += 4;
            if (v >= 0xD800 && v <= 0xDBFF) {
                /* The scanner made sure a low surrogate follows. */
                uint32_t lo = hex4((const unsigned char *)s + i + 2);
                v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            }
            o += gloss__utf8_encode(v, out + o);
            break;
        }
        default: out[o++] = c; break; /* '"', '\\' and '/' */
        }
    }
    out[o] = '\0';
    return o;
}
