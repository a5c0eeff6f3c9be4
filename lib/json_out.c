/*
 * json_out.c - writes a document as one JSON object (see json_out.h and
 * docs/schema.md).
 *
 * The writer appends straight to a gloss__buf: no tree is built, and the
 * only allocations are the buffer's own growth. Three pieces do the work:
 *
 * - The string writer copies runs of bytes that need no escaping with one
 *   memcpy each. It tests sixteen bytes at a time (bytescan.h) while
 *   the text is plain ASCII, checks the common two-byte UTF-8 sequences
 *   inline, and only calls the full decoder for longer sequences. Invalid
 *   UTF-8 becomes U+FFFD (one per maximal ill-formed subpart), so the output
 *   is valid JSON whatever bytes a pipeline let through.
 *
 * - Offsets are stored as bytes and written as code points by default (or
 *   as bytes, which for a text that needed repair means bytes of the text
 *   as written, U+FFFD being three bytes). A cursor remembers one pair of
 *   (stored offset, written offset) and moves to the next offset by
 *   counting the characters in between, forwards or backwards.
 *   Spans are sorted by start, so a cursor for starts only moves forwards;
 *   ends jump about (an enclosing span ends after the spans it encloses), so
 *   each end is reached from whichever is nearer, the previous end or the
 *   span's own start. The cost is proportional to those distances, with no
 *   per-document table. Every span boundary is a non-continuation byte, and
 *   decoding resynchronises at every such byte, so counting from any
 *   boundary to another gives the same answer as counting from the start.
 *
 * - With the original text comes the document's offset map, its byte
 *   offsets turned into the output's unit by one forward cursor over each
 *   text (see "the offset map" below).
 *
 * - A small pretty-printer state (indentation depth, and a "flat" mode in
 *   which objects stay on one line) lets one set of functions produce both
 *   the compact form and the indented one.
 */
#include "json_out.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytescan.h"
#include "doc_internal.h"
#include "utf8.h"

/* jansson refuses to parse deeper documents than this, so metadata that
 * came from JSON text never reaches it; the limit only guards against a
 * value built by hand that would otherwise exhaust the C stack. */
#define META_MAX_DEPTH 2048

/* ---- strings ------------------------------------------------------------- */

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

static void write_escape(gloss__buf *out, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char esc[6] = {'\\', 'u', '0', '0', 0, 0};
    switch (c) {
    case '"':
        gloss__buf_add(out, "\\\"", 2);
        return;
    case '\\':
        gloss__buf_add(out, "\\\\", 2);
        return;
    case '\n':
        gloss__buf_add(out, "\\n", 2);
        return;
    case '\t':
        gloss__buf_add(out, "\\t", 2);
        return;
    case '\r':
        gloss__buf_add(out, "\\r", 2);
        return;
    case '\f':
        gloss__buf_add(out, "\\f", 2);
        return;
    case '\b':
        gloss__buf_add(out, "\\b", 2);
        return;
    default:
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 0xF];
        gloss__buf_add(out, esc, 6);
        return;
    }
}

/*
 * Writes the body of a JSON string (without quotes). Returns 1 when s held
 * ill-formed UTF-8 (and was written with replacements), else 0.
 */
static int write_string_body(gloss__buf *out, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, copied = 0;
    int invalid = 0;
    if (n == 0)
        return 0; /* and s may then be NULL, which must not be offset */
    /* Most strings need no escaping at all, so reserving their length up
     * front makes the common case a single growth of the buffer. */
    gloss__buf_reserve(out, n + 2);
    while (i < n) {
        /* Plain ASCII is skipped sixteen bytes at a time (bytescan.h):
         * only bytes outside ASCII, controls, quotes and backslashes are
         * looked at. */
        i = gloss__scan_json_plain(s, i, n, 1);
        if (i >= n)
            break;
        unsigned char c = s[i];
        if (c >= 0x80) {
            /* C2..DF followed by a continuation byte is always a
             * well-formed two-byte sequence: Latin, Greek, Cyrillic. */
            if (c >= 0xC2 && c <= 0xDF && i + 1 < n && (s[i + 1] & 0xC0) == 0x80) {
                i += 2;
                continue;
            }
            uint32_t cp = 0;
            size_t bad;
            size_t len = gloss__utf8_decode(s + i, n - i, &cp, &bad);
            if (len && cp != 0x2028 && cp != 0x2029) {
                i += len;
                continue;
            }
            gloss__buf_add(out, s + copied, i - copied);
            if (len) {
                /* Valid JSON, but JavaScript before ES2019 ends a string
                 * literal at these two line terminators. */
                gloss__buf_add(out, cp == 0x2028 ? "\\u2028" : "\\u2029", 6);
                i += len;
            } else {
                gloss__buf_add(out, "\xEF\xBF\xBD", 3);
                i += bad;
                invalid = 1;
            }
            copied = i;
            continue;
        }
        gloss__buf_add(out, s + copied, i - copied);
        write_escape(out, c);
        copied = ++i;
    }
    gloss__buf_add(out, s + copied, n - copied);
    return invalid;
}

void gloss__json_string(gloss__buf *out, const char *s, size_t len)
{
    gloss__buf_addc(out, '"');
    write_string_body(out, s, len);
    gloss__buf_addc(out, '"');
}

/* ---- numbers --------------------------------------------------------------- */

/* Writes the decimal digits of v at p (20 bytes of room) and returns how
 * many. Offsets are written twice per span, so digits go in pairs from a
 * table, halving the divisions. */
static size_t put_uint(char *p, uint64_t v)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324"
                                "25262728293031323334353637383940414243444546474849"
                                "50515253545556575859606162636465666768697071727374"
                                "75767778798081828384858687888990919293949596979899";
    char digits[20];
    size_t n = 0;
    while (v >= 100) {
        unsigned two = (unsigned)(v % 100);
        v /= 100;
        n += 2;
        memcpy(digits + sizeof digits - n, pairs + 2 * two, 2);
    }
    if (v >= 10) {
        n += 2;
        memcpy(digits + sizeof digits - n, pairs + 2 * v, 2);
    } else {
        digits[sizeof digits - ++n] = (char)('0' + v);
    }
    memcpy(p, digits + sizeof digits - n, n);
    return n;
}

size_t gloss__json_uint(char *p, uint64_t v)
{
    return put_uint(p, v);
}

static void write_uint(gloss__buf *out, uint64_t v)
{
    char digits[20];
    gloss__buf_add(out, digits, put_uint(digits, v));
}

static void write_int(gloss__buf *out, long long v)
{
    if (v < 0) {
        gloss__buf_addc(out, '-');
        /* Negating through unsigned arithmetic keeps LLONG_MIN defined. */
        write_uint(out, 0u - (uint64_t)v);
        return;
    }
    write_uint(out, (uint64_t)v);
}

/*
 * Writes v the way a reader expects to see it: whole numbers without a
 * fraction, others with the fewest significant digits that read back as
 * the same double, and NaN or infinities (which JSON cannot express) as
 * null.
 */
static void write_number(gloss__buf *out, double v)
{
    if (!isfinite(v)) {
        gloss__buf_add(out, "null", 4);
        return;
    }
    /* Below 2^53 every whole double is exact as an integer; above 1e15 the
     * %g form is shorter than the digits, so those go the general way. */
    if (v == floor(v) && fabs(v) < 1e15) {
        write_int(out, (long long)v);
        return;
    }
    char text[40];
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(text, sizeof text, "%.*g", precision, v);
        if (strtod(text, NULL) == v)
            break;
    }
    /* printf follows LC_NUMERIC: if a program using the engine switched to
     * a locale whose decimal mark is a comma, put back the point JSON
     * needs. %g only ever writes digits, signs, 'e' and the mark. */
    for (char *p = text; *p; p++)
        if (!(*p >= '0' && *p <= '9') && *p != '-' && *p != '+' && *p != 'e')
            *p = '.';
    gloss__buf_adds(out, text);
}

/* ---- layout ---------------------------------------------------------------- */

typedef struct writer {
    gloss__buf *out;
    int pretty; /* indent members, one per line */
    int flat;   /* pretty, but keep this value on one line (a span) */
    int depth;  /* nesting level, for indentation */
} writer;

static void newline_indent(writer *w)
{
    gloss__buf_addc(w->out, '\n');
    for (int i = 0; i < w->depth; i++)
        gloss__buf_add(w->out, "  ", 2);
}

static void open_value(writer *w, char c)
{
    gloss__buf_addc(w->out, c);
    w->depth++;
}

/* Separates a member or element from the previous one. */
static void separate(writer *w, int *first)
{
    if (!*first)
        gloss__buf_addc(w->out, ',');
    if (w->pretty && !w->flat)
        newline_indent(w);
    else if (w->pretty && !*first)
        gloss__buf_addc(w->out, ' ');
    *first = 0;
}

static void close_value(writer *w, char c, int first)
{
    w->depth--;
    if (w->pretty && !w->flat && !first)
        newline_indent(w);
    gloss__buf_addc(w->out, c);
}

/* Starts a member of an object: separator, key and colon. */
static void key(writer *w, int *first, const char *name)
{
    separate(w, first);
    gloss__json_string(w->out, name, strlen(name));
    if (w->pretty)
        gloss__buf_add(w->out, ": ", 2);
    else
        gloss__buf_addc(w->out, ':');
}

/* Keys the engine writes itself need no escaping, so they skip the
 * string writer. */
static void key_literal(writer *w, int *first, const char *quoted_colon)
{
    separate(w, first);
    gloss__buf_adds(w->out, quoted_colon);
    if (w->pretty)
        gloss__buf_addc(w->out, ' ');
}

static void write_cstring(writer *w, const char *s)
{
    gloss__json_string(w->out, s, strlen(s));
}

/* ---- metadata ------------------------------------------------------------- */

/* Writes a jansson value with this writer's strings, numbers and layout,
 * so that metadata looks like the rest of the document. */
static void write_json_value(writer *w, json_t *v, int depth)
{
    if (depth > META_MAX_DEPTH) {
        gloss__buf_add(w->out, "null", 4);
        return;
    }
    int first = 1;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *member;
        open_value(w, '{');
        json_object_foreach(v, k, member) {
            key(w, &first, k);
            write_json_value(w, member, depth + 1);
        }
        close_value(w, '}', first);
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *element;
        open_value(w, '[');
        json_array_foreach(v, i, element) {
            separate(w, &first);
            write_json_value(w, element, depth + 1);
        }
        close_value(w, ']', first);
        break;
    }
    case JSON_STRING:
        gloss__json_string(w->out, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        write_int(w->out, (long long)json_integer_value(v));
        break;
    case JSON_REAL:
        write_number(w->out, json_real_value(v));
        break;
    case JSON_TRUE:
        gloss__buf_add(w->out, "true", 4);
        break;
    case JSON_FALSE:
        gloss__buf_add(w->out, "false", 5);
        break;
    case JSON_NULL:
        gloss__buf_add(w->out, "null", 4);
        break;
    }
}

/* ---- offsets --------------------------------------------------------------- */

typedef struct text_view {
    const char *s;
    size_t n;
    int valid; /* the whole text is well-formed UTF-8 */
    int bytes; /* offsets count bytes of the written (repaired) text */
} text_view;

typedef struct cursor {
    size_t byte; /* a character boundary of the text */
    size_t cp;   /* its offset in the output's unit */
} cursor;

/* The number of continuation bytes among the eight bytes of w whose
 * flags survive mask, summed with one multiplication. */
static inline size_t continuations(uint64_t w, uint64_t mask)
{
    uint64_t cont = ((w & ~(w << 1) & HIGHS) >> 7) & mask;
    return (size_t)((cont * ONES) >> 56);
}

/*
 * The length of [a, b) (both boundaries) in the output's unit: code
 * points, or, for byte offsets into text that needed repair, bytes of the
 * repaired text. Each ill-formed subpart counts as the U+FFFD the string
 * writer puts in its place: one code point, three bytes.
 */
static size_t count_units(const text_view *t, size_t a, size_t b)
{
    const unsigned char *s = (const unsigned char *)t->s;
    size_t count = 0;
    if (t->valid) {
        if (t->bytes)
            return b - a;
        if (b - a >= 64)
            return gloss__utf8_count(t->s + a, b - a);
        /* Neighbouring offsets are mostly a word apart: count the
         * characters (bytes that are not continuation bytes) a word at a
         * time, inline. */
        size_t len = b - a;
        for (; a + 8 <= b; a += 8) {
            uint64_t w;
            memcpy(&w, s + a, 8);
            len -= continuations(w, ~(uint64_t)0);
        }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (a < b && a + 8 <= t->n) {
            /* The first b - a bytes in memory are the low bytes of w. */
            uint64_t w;
            memcpy(&w, s + a, 8);
            return len - continuations(w, ((uint64_t)1 << (8 * (b - a))) - 1);
        }
#endif
        for (; a < b; a++)
            len -= (s[a] & 0xC0) == 0x80;
        return len;
    }
    while (a < b) {
        if (s[a] < 0x80) {
            a++;
        } else {
            uint32_t cp;
            size_t bad;
            size_t len = gloss__utf8_decode(s + a, b - a, &cp, &bad);
            a += len ? len : bad;
            if (t->bytes) {
                count += len ? len : 3;
                continue;
            }
        }
        count++;
    }
    return count;
}

static size_t distance(size_t a, size_t b) { return a > b ? a - b : b - a; }

/* Moves c to the stored offset target (jumping first to anchor when that
 * is nearer) and returns target as written. */
static size_t seek(const text_view *t, cursor *c, const cursor *anchor,
                   size_t target)
{
    if (target > t->n)
        target = t->n; /* gloss_layer_add() guarantees this never happens */
    if (anchor && distance(anchor->byte, target) < distance(c->byte, target))
        *c = *anchor;
    if (target >= c->byte)
        c->cp += count_units(t, c->byte, target);
    else
        c->cp -= count_units(t, target, c->byte);
    c->byte = target;
    return c->cp;
}

/* ---- the offset map -------------------------------------------------------- */

/*
 * The document's map relates byte offsets of the text to byte offsets of
 * the original; the output relates offsets in the output's unit. Turning
 * each point's two byte offsets into units is one forward cursor per text,
 * so the whole map costs one pass over each text and no memory. Points are
 * not enough on their own, though: a stretch whose two sides have the same
 * length in bytes translates exactly, and a stage may have put something
 * just as long but made of other characters there ("ss" for "ß", or
 * repaired bytes on one side only), whose two sides then differ in code
 * points. Such a stretch is walked character by character on both sides,
 * and a point goes out wherever both sides are at a character boundary, so
 * that the reader's rule (exact where the sides are equal, clamped where
 * they differ) holds in units as it does in bytes. A stretch copied
 * unchanged, which is nearly all of a text, is recognised with memcmp.
 */

/* The length in bytes of the character at a (the text ending at b, which
 * is itself a boundary), counted the way count_units() counts it, with its
 * length in the output's unit in *units. The sum over the characters of a
 * range is therefore count_units() of that range. */
static size_t char_at(const text_view *t, size_t a, size_t b, size_t *units)
{
    const unsigned char *s = (const unsigned char *)t->s;
    if (t->valid) {
        size_t k = a + 1;
        while (k < b && (s[k] & 0xC0) == 0x80)
            k++;
        *units = t->bytes ? k - a : (size_t)((s[a] & 0xC0) != 0x80);
        return k - a;
    }
    if (s[a] < 0x80) {
        *units = 1;
        return 1;
    }
    uint32_t cp;
    size_t bad;
    size_t len = gloss__utf8_decode(s + a, b - a, &cp, &bad);
    if (t->bytes)
        *units = len ? len : 3;
    else
        *units = 1;
    return len ? len : bad;
}

typedef struct map_out {
    writer *w;
    int first;
    gloss_offset_map_entry pending[2]; /* in units, not yet written */
    size_t npending;
} map_out;

static void write_point(map_out *m, const gloss_offset_map_entry *p)
{
    char pair[48];
    size_t k = 0;
    separate(m->w, &m->first);
    pair[k++] = '[';
    k += put_uint(pair + k, p->new_start);
    pair[k++] = ',';
    if (m->w->pretty)
        pair[k++] = ' ';
    k += put_uint(pair + k, p->old_start);
    pair[k++] = ']';
    gloss__buf_add(m->w->out, pair, k);
}

/*
 * Adds a point in units. Byte points that land on one unit offset, and a
 * point that only continues a stretch of equal sides, are merged the way
 * the document merges its own, so the written map is no longer than the
 * changes need; that takes holding back the last two points.
 */
static void map_point(map_out *m, size_t nw, size_t old)
{
    gloss_offset_map_entry *p = m->pending;
    size_t k = m->npending;
    if (k && p[k - 1].new_start == nw && p[k - 1].old_start == old)
        return;
    if (k == 2 && p[1].new_start > p[0].new_start && nw > p[1].new_start &&
        p[1].old_start >= p[0].old_start && old >= p[1].old_start &&
        p[1].new_start - p[0].new_start == p[1].old_start - p[0].old_start &&
        nw - p[1].new_start == old - p[1].old_start) {
        p[1].new_start = nw;
        p[1].old_start = old;
        return;
    }
    if (k == 2) {
        write_point(m, &p[0]);
        p[0] = p[1];
        k = 1;
    }
    p[k].new_start = nw;
    p[k].old_start = old;
    m->npending = k + 1;
}

/*
 * Moves both cursors across a stretch of len bytes on each side whose
 * characters do not line up, adding a point at every offset where both
 * sides are at a character boundary. Between two such points lies either
 * one character on each side (exact, and merged away by map_point) or a
 * group whose sides differ, which the reader's rule clamps.
 */
static void walk_equal_stretch(map_out *m, const text_view *nt, cursor *cn,
                               const text_view *ot, cursor *co, size_t len)
{
    size_t n0 = cn->byte, o0 = co->byte, i = 0, j = 0, units;
    while (i < len || j < len) {
        if (i == j && i > 0)
            map_point(m, cn->cp, co->cp);
        /* The side that is behind takes a character; at a common
         * boundary both do, the new side first. */
        if (i <= j) {
            i += char_at(nt, n0 + i, n0 + len, &units);
            cn->cp += units;
        }
        if (j < i) {
            j += char_at(ot, o0 + j, o0 + len, &units);
            co->cp += units;
        }
    }
    cn->byte = n0 + len;
    co->byte = o0 + len;
}

/* Writes the document's map (at least two points, since the text was
 * replaced) as [new, original] pairs in the output's unit. */
static void write_offset_map(writer *w, const gloss_doc *doc,
                             const text_view *nt, const text_view *ot)
{
    const gloss_offset_map_entry *map;
    size_t n = gloss_doc_offset_map(doc, &map);
    map_out m = {w, 1, {{0, 0}, {0, 0}}, 0};
    cursor cn = {0, 0}, co = {0, 0};
    open_value(w, '[');
    for (size_t i = 0; i < n; i++) {
        size_t nw = map[i].new_start, old = map[i].old_start;
        size_t len = nw - cn.byte;
        if (nw > cn.byte && old >= co.byte && old - co.byte == len) {
            /* A stretch that translates exactly: copied text needs no
             * points inside; anything else is walked. */
            cursor sn = cn, so = co;
            if (memcmp(nt->s + cn.byte, ot->s + co.byte, len) == 0) {
                seek(nt, &cn, NULL, nw);
                seek(ot, &co, NULL, old);
                if (cn.cp - sn.cp == co.cp - so.cp) {
                    map_point(&m, cn.cp, co.cp);
                    continue;
                }
                cn = sn;
                co = so;
            }
            walk_equal_stretch(&m, nt, &cn, ot, &co, len);
        } else {
            /* The document keeps both columns in order; seek() would
             * still give the right units if the original went back. */
            seek(nt, &cn, NULL, nw);
            seek(ot, &co, NULL, old);
        }
        map_point(&m, cn.cp, co.cp);
    }
    for (size_t k = 0; k < m.npending; k++)
        write_point(&m, &m.pending[k]);
    close_value(w, ']', m.first);
}

/* ---- the document ---------------------------------------------------------- */

static void write_labels(writer *w, const gloss_labels *labels)
{
    int first = 1;
    open_value(w, '{');
    /* Labels are stored in insertion order; the output groups them by
     * group, each group where its first label appeared. Label lists are
     * short, so a quadratic walk beats building an index. */
    for (size_t i = 0; labels && i < labels->n; i++) {
        const char *group = labels->items[i].group;
        size_t seen = 0;
        while (seen < i && labels->items[seen].group != group)
            seen++;
        if (seen < i)
            continue;
        key(w, &first, group);
        int first_name = 1;
        open_value(w, '{');
        for (size_t j = i; j < labels->n; j++) {
            if (labels->items[j].group != group)
                continue;
            key(w, &first_name, labels->items[j].name);
            write_number(w->out, labels->items[j].score);
        }
        close_value(w, '}', first_name);
    }
    close_value(w, '}', first);
}

static void write_value(writer *w, const gloss_value *v)
{
    switch (v->type) {
    case GLOSS_VALUE_BOOL:
        if (v->as.boolean)
            gloss__buf_add(w->out, "true", 4);
        else
            gloss__buf_add(w->out, "false", 5);
        break;
    case GLOSS_VALUE_NUMBER:
        write_number(w->out, v->as.number);
        break;
    case GLOSS_VALUE_STRING:
        gloss__json_string(w->out, v->as.string.ptr, v->as.string.len);
        break;
    case GLOSS_VALUE_NULL:
    default:
        gloss__buf_add(w->out, "null", 4);
        break;
    }
}

typedef struct offsets_state {
    const text_view *text;
    int bytes;      /* write stored offsets as they are (valid text, bytes) */
    cursor start;   /* at the previous span's start */
    cursor end;     /* at the previous span's end */
} offsets_state;

static size_t put(char *p, const char *s, size_t len)
{
    memcpy(p, s, len);
    return len;
}

/*
 * Writes one span. A layer of tokens has a span every few bytes, so the
 * part every span has (separator, start, end) is assembled on the stack
 * and appended at once; labels and attributes take the general path.
 */
static void write_span(writer *w, offsets_state *o, const gloss_span *span,
                       int *first_span)
{
    char head[96];
    size_t k = 0;
    size_t start = span->start, end = span->end;
    if (!o->bytes) {
        start = seek(o->text, &o->start, NULL, span->start);
        end = seek(o->text, &o->end, &o->start, span->end);
    }
    if (w->pretty) {
        separate(w, first_span);
        k += put(head + k, "{\"start\": ", 10);
        k += put_uint(head + k, start);
        k += put(head + k, ", \"end\": ", 9);
    } else {
        if (!*first_span)
            head[k++] = ',';
        *first_span = 0;
        k += put(head + k, "{\"start\":", 9);
        k += put_uint(head + k, start);
        k += put(head + k, ",\"end\":", 7);
    }
    k += put_uint(head + k, end);
    int more = span->label || span->nattrs_ || (span->labels_ && span->labels_->n);
    if (!more)
        head[k++] = '}';
    gloss__buf_add(w->out, head, k);
    if (!more)
        return;

    int first = 0, flat = w->flat;
    w->flat = w->pretty;
    w->depth++;
    if (span->label) {
        key_literal(w, &first, "\"label\":");
        write_cstring(w, span->label);
    }
    if (span->nattrs_) {
        int first_attr = 1;
        key_literal(w, &first, "\"attrs\":");
        open_value(w, '{');
        for (size_t i = 0; i < span->nattrs_; i++) {
            key(w, &first_attr, span->attrs_[i].key);
            write_value(w, &span->attrs_[i].value);
        }
        close_value(w, '}', first_attr);
    }
    if (span->labels_ && span->labels_->n) {
        key_literal(w, &first, "\"labels\":");
        write_labels(w, span->labels_);
    }
    close_value(w, '}', first);
    w->flat = flat;
}

static void write_layers(writer *w, gloss_doc *doc, offsets_state *o)
{
    static const cursor origin = {0, 0};
    int first = 1;
    open_value(w, '{');
    for (size_t l = 0; l < doc->nlayers; l++) {
        gloss_layer *layer = doc->layers[l];
        size_t n = gloss_layer_size(layer);
        int first_span = 1;
        key(w, &first, layer->name);
        open_value(w, '[');
        /* A new layer starts again near the beginning of the text: jump
         * there unless the cursor is already closer. */
        if (n && !o->bytes)
            seek(o->text, &o->start, &origin, layer->spans[0]->start);
        for (size_t i = 0; i < n; i++)
            write_span(w, o, layer->spans[i], &first_span);
        close_value(w, ']', first_span);
    }
    close_value(w, '}', first);
}

static void write_errors(writer *w, const gloss_doc *doc)
{
    int first = 1;
    open_value(w, '[');
    for (size_t i = 0; i < doc->nerrors; i++) {
        int first_member = 1;
        separate(w, &first);
        w->flat = w->pretty;
        open_value(w, '{');
        key_literal(w, &first_member, "\"stage\":");
        write_cstring(w, doc->errors[i].stage);
        key_literal(w, &first_member, "\"message\":");
        write_cstring(w, doc->errors[i].message);
        close_value(w, '}', first_member);
        w->flat = 0;
    }
    close_value(w, ']', first);
}

static void write_timings(writer *w, const gloss_doc *doc)
{
    int first = 1;
    open_value(w, '{');
    /* A stage that ran twice on the document (a retried document, say)
     * gets one member with its total time, so keys stay unique. */
    for (size_t i = 0; i < doc->ntimings; i++) {
        const char *stage = doc->timings[i].stage;
        size_t seen = 0;
        while (seen < i && doc->timings[seen].stage != stage)
            seen++;
        if (seen < i)
            continue;
        uint64_t total = 0;
        for (size_t j = i; j < doc->ntimings; j++)
            if (doc->timings[j].stage == stage)
                total += doc->timings[j].ns;
        key(w, &first, stage);
        write_uint(w->out, total);
    }
    close_value(w, '}', first);
}

int gloss__doc_to_json(gloss_doc *doc, const gloss__json_opts *opts,
                       gloss__buf *out)
{
    static const gloss__json_opts defaults = {GLOSS__OFFSETS_CODEPOINTS, 1, 0, 0, 0};
    if (!opts)
        opts = &defaults;
    size_t mark = out->len;
    writer w = {out, opts->pretty != 0, 0, 0};
    text_view text = {doc->text, doc->len, 1, 0};
    int first = 1;

    open_value(&w, '{');
    key_literal(&w, &first, "\"schema\":");
    write_uint(out, GLOSS_SCHEMA_VERSION);
    key_literal(&w, &first, "\"id\":");
    write_cstring(&w, doc->id);
    key_literal(&w, &first, "\"source\":");
    write_cstring(&w, doc->source);
    key_literal(&w, &first, "\"meta\":");
    if (doc->meta) {
        write_json_value(&w, doc->meta, 0);
    } else {
        gloss__buf_add(out, "{}", 2);
    }
    int original = opts->original && doc->original != doc->text;
    if (opts->text) {
        key_literal(&w, &first, "\"text\":");
        gloss__buf_addc(out, '"');
        text.valid = !write_string_body(out, doc->text, doc->len);
        gloss__buf_addc(out, '"');
    } else if (doc->nlayers || original) {
        text.valid = gloss__utf8_valid_prefix(doc->text, doc->len) == doc->len;
    }
    text.bytes = opts->offsets == GLOSS__OFFSETS_BYTES;
    if (original) {
        /* The original is counted as it is written, like the text: its
         * offsets slice the "original" member, repairs included. */
        text_view orig = {doc->original, doc->original_len, 1, text.bytes};
        key_literal(&w, &first, "\"original\":");
        gloss__buf_addc(out, '"');
        orig.valid = !write_string_body(out, doc->original, doc->original_len);
        gloss__buf_addc(out, '"');
        key_literal(&w, &first, "\"offset_map\":");
        write_offset_map(&w, doc, &text, &orig);
    }
    key_literal(&w, &first, "\"offsets\":");
    if (opts->offsets == GLOSS__OFFSETS_BYTES)
        gloss__buf_adds(out, "\"bytes\"");
    else
        gloss__buf_adds(out, "\"codepoints\"");

    /* Byte offsets are the stored ones, except in a text that had to be
     * repaired, where they are moved to match the text as written. */
    offsets_state o = {&text, text.bytes && text.valid, {0, 0}, {0, 0}};
    key_literal(&w, &first, "\"layers\":");
    write_layers(&w, doc, &o);
    key_literal(&w, &first, "\"labels\":");
    write_labels(&w, doc->labels);
    key_literal(&w, &first, "\"errors\":");
    write_errors(&w, doc);
    if (opts->timings) {
        key_literal(&w, &first, "\"timings\":");
        write_timings(&w, doc);
    }
    if (doc->dropped) {
        key_literal(&w, &first, "\"dropped\":");
        write_cstring(&w, doc->dropped);
    }
    close_value(&w, '}', first);

    if (out->oom) {
        /* Leave no half-written object behind for a caller that goes on
         * using the buffer once memory is available again. */
        out->len = mark;
        if (out->data)
            out->data[mark] = '\0';
        return -1;
    }
    return 0;
}
