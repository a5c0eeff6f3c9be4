/*
 * envelope.c - admission: one incoming message becomes a document or a
 * rejection (see envelope.h and docs/protocol.md).
 *
 * The checks run from the cheapest to the dearest, so that a bad message
 * costs as little as possible: an empty message and the size are known
 * without reading the bytes; UTF-8 validity takes one pass; only then is an
 * envelope parsed as JSON. In particular a message far over the size limit
 * is refused by its length alone, so a gigabyte of garbage is never parsed.
 *
 * A message whose first byte is '{' is a JSON envelope; anything else is
 * raw text. The decisions a client can observe:
 *
 * - An envelope may be at most twice max_document_size plus 64 KiB: JSON
 *   escapes make text longer (a quote or newline takes two bytes) and the
 *   envelope carries an id, a source and meta besides the text. The text
 *   inside it is then held to max_document_size like raw text.
 * - A bad UTF-8 byte is reported as invalid_utf8 with its offset in the
 *   message, whichever form the message has, before any JSON error
 *   (jansson would refuse it too, but without saying where in bytes). Raw
 *   text is checked in one pass; an envelope's scanner checks its strings
 *   as it reads them and accepts nothing but ASCII outside them, and when
 *   it refuses an envelope the whole message is checked before the JSON
 *   error is reported: the outcome is that of a check before parsing, for
 *   one pass over an envelope that is accepted.
 * - The envelope is read by a scanner made for it (envelope_scan.h), not
 *   by a general JSON library: it builds no tree, copies only the strings
 *   admission keeps, and keeps meta as the text it came as. It accepts and
 *   refuses what jansson does, with the same line, column and wording.
 * - A NUL byte in raw text is refused as invalid_utf8. U+0000 is valid
 *   UTF-8, but text with NUL bytes is nearly always UTF-16 or binary data
 *   sent by mistake, and stages written in C would see the text cut short.
 *   In an envelope, "\u0000" is refused by the JSON parser, as bad_json
 *   naming the line and column. Other control characters are allowed (the
 *   normalize stage removes them).
 * - "Empty" means no characters other than white space: the Unicode
 *   White_Space characters, the byte order mark and the zero-width space.
 * - An envelope field given as null is a field of the wrong type, not an
 *   absent one, so a client's mistake is not silently ignored.
 */
#include "envelope.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "envelope_scan.h"
#include "utf8.h"

/* The longest id and source accepted (bytes), and the room an envelope
 * has beyond its text. */
#define ID_MAX GLOSS__ID_MAX
#define SOURCE_MAX 64
#define ENVELOPE_EXTRA ((size_t)64 << 10)

/* The field list named in unknown_field messages. */
#define FIELDS "id, text, source, meta"

const char *gloss__reject_code(gloss__reject r)
{
    switch (r) {
    case GLOSS__ACCEPT: return "ok";
    case GLOSS__REJECT_BAD_FRAMES: return "bad_frames";
    case GLOSS__REJECT_EMPTY: return "empty";
    case GLOSS__REJECT_TOO_LARGE: return "too_large";
    case GLOSS__REJECT_INVALID_UTF8: return "invalid_utf8";
    case GLOSS__REJECT_BAD_JSON: return "bad_json";
    case GLOSS__REJECT_UNKNOWN_FIELD: return "unknown_field";
    case GLOSS__REJECT_BAD_FIELD: return "bad_field";
    case GLOSS__REJECT_DRAINING: return "draining";
    case GLOSS__REJECT_BAD_COMMAND: return "bad_command";
    case GLOSS__REJECT_INTERNAL: return "internal";
    }
    return "unknown";
}

void gloss__admitted_free(gloss__admitted *a)
{
    if (!a)
        return;
    free(a->mem_);
    memset(a, 0, sizeof *a);
}

/* ---- checks on the text ------------------------------------------------------ */

/* Whether cp is white space for the emptiness check: Unicode's White_Space
 * property, plus the byte order mark and the zero-width space, which show
 * nothing either and often pad otherwise empty files. */
static int is_blank(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 ||
           cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200B) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
           cp == 0x3000 || cp == 0xFEFF;
}

/* Whether the valid UTF-8 text s (n bytes) holds nothing but white space. */
static int is_blank_text(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t len = gloss__utf8_decode(p + i, n - i, &cp, NULL);
        if (len == 0 || !is_blank(cp))
            return 0;
        i += len;
    }
    return 1;
}

/* Checks that s (n bytes) is UTF-8; when it is not, writes a message naming
 * the offset and the bad bytes ("of what" says which bytes: "the text", "the
 * envelope") and returns -1. */
static int check_utf8(const char *s, size_t n, const char *of, char *msg,
                      size_t msglen)
{
    size_t off = gloss__utf8_valid_prefix(s, n);
    if (off == n)
        return 0;
    uint32_t cp;
    size_t bad = 1;
    gloss__utf8_decode((const unsigned char *)s + off, n - off, &cp, &bad);
    if (bad == 0)
        bad = 1;
    char hex[3 * 4 + 1];
    size_t used = 0;
    for (size_t i = 0; i < bad && i < 4; i++)
        used += (size_t)snprintf(hex + used, sizeof hex - used, "%s%02X",
                                 i ? " " : "", (unsigned char)s[off + i]);
    snprintf(msg, msglen, "%s is not valid UTF-8: byte %zu (0x%s) does not "
             "start a well-formed sequence", of, off, hex);
    return -1;
}

/* ---- envelopes ----------------------------------------------------------------- */

/* How many bytes of the UTF-8 string s (n bytes) to quote in a message:
 * at most max, cut between characters. */
static int quote_len(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return (int)n;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return (int)n;
}

/* Names a JSON value's kind the way a JSON user would. */
static const char *json_kind(gloss__scan_kind k)
{
    switch (k) {
    case GLOSS__SCAN_OBJECT: return "an object";
    case GLOSS__SCAN_ARRAY: return "an array";
    case GLOSS__SCAN_STRING: return "a string";
    case GLOSS__SCAN_NUMBER: return "a number";
    case GLOSS__SCAN_BOOLEAN: return "a boolean";
    case GLOSS__SCAN_NULL:
    case GLOSS__SCAN_ABSENT:
    default: return "null";
    }
}

/* Checks an id: 1 to ID_MAX bytes, no control characters (C0, DEL or C1),
 * which would make it unreadable in logs and unsafe in frames that people
 * read. */
static int check_id(gloss__scan_kind kind, const char *str, size_t n,
                    char *msg, size_t msglen)
{
    if (kind != GLOSS__SCAN_STRING) {
        snprintf(msg, msglen, "field 'id' must be a string of 1 to %d bytes, "
                 "got %s", ID_MAX, json_kind(kind));
        return -1;
    }
    const unsigned char *s = (const unsigned char *)str;
    if (n == 0 || n > ID_MAX) {
        snprintf(msg, msglen, "field 'id' must be 1 to %d bytes, got %zu",
                 ID_MAX, n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        int c1 = s[i] == 0xC2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9F;
        if (s[i] < 0x20 || s[i] == 0x7F || c1) {
            snprintf(msg, msglen, "field 'id' must not contain control "
                     "characters; byte %zu is one", i);
            return -1;
        }
    }
    return 0;
}

/* Checks a source: 1 to SOURCE_MAX bytes of [A-Za-z0-9._-], since it
 * becomes part of the topic doc.<source>. */
static int check_source(gloss__scan_kind kind, const char *s, size_t n,
                        char *msg, size_t msglen)
{
    static const char allowed[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "abcdefghijklmnopqrstuvwxyz0123456789._-";
    if (kind != GLOSS__SCAN_STRING) {
        snprintf(msg, msglen, "field 'source' must be a string of 1 to %d "
                 "characters from A-Z, a-z, 0-9, '.', '_' and '-', got %s",
                 SOURCE_MAX, json_kind(kind));
        return -1;
    }
    if (n == 0 || n > SOURCE_MAX || strspn(s, allowed) != n) {
        snprintf(msg, msglen, "field 'source' must be 1 to %d characters from "
                 "A-Z, a-z, 0-9, '.', '_' and '-' (it becomes part of a "
                 "topic), got \"%.*s%s\"", SOURCE_MAX, quote_len(s, n, 80), s,
                 n > 80 ? "..." : "");
        return -1;
    }
    return 0;
}

/* The one allocation of an admitted document (see gloss__admitted): its
 * strings are laid out in it one after the other. The block is sized for
 * the most they can take, so taking never fails. */
typedef struct block {
    char *p;
} block;

/* Starts out's block with room for size bytes. Returns 0, or -1. */
static int block_start(gloss__admitted *out, block *b, size_t size)
{
    out->mem_ = malloc(size);
    b->p = out->mem_;
    return out->mem_ ? 0 : -1;
}

/* Copies n bytes and a NUL into the block; returns where they went. */
static char *block_put(block *b, const char *s, size_t n)
{
    char *at = b->p;
    memcpy(at, s, n);
    at[n] = '\0';
    b->p += n + 1;
    return at;
}

/* Copies a string member's contents, decoded, into the block; *n receives
 * the decoded length (at most the raw one). */
static char *field_string(block *b, const char *payload,
                          const gloss__scan_field *f, size_t *n)
{
    size_t raw = f->end - f->start;
    if (!f->escaped) {
        *n = raw;
        return block_put(b, payload + f->start, raw);
    }
    char *at = b->p;
    *n = gloss__scan_unescape(payload + f->start, raw, at);
    b->p += *n + 1;
    return at;
}

/* The raw bytes of a string member (0 for other kinds). */
static size_t raw_len(const gloss__scan_field *f)
{
    return f->kind == GLOSS__SCAN_STRING ? f->end - f->start : 0;
}

static const char *default_source(const gloss__admission *adm)
{
    return adm->default_source ? adm->default_source : "default";
}

/* Gives out what the message did not: an id from the generator, the
 * endpoint's source, an empty meta object; the block has room for them. */
static gloss__reject fill_defaults(const gloss__admission *adm,
                                   gloss__admitted *out, block *b, char *msg,
                                   size_t msglen)
{
    if (!out->id && !out->id_given) {
        char *id = adm->new_id ? adm->new_id(adm->new_id_arg) : NULL;
        size_t n = id ? strlen(id) : 0;
        if (id && n <= GLOSS__ID_GEN_MAX)
            out->id = block_put(b, id, n);
        free(id);
    }
    if (!out->source) {
        const char *src = default_source(adm);
        out->source = block_put(b, src, strlen(src));
    }
    if (!out->meta_json) {
        out->meta_json = block_put(b, "{}", 2);
        out->meta_len = 2;
    }
    if (!out->id) {
        /* Out of memory is not the client's fault: "internal" tells it to
         * try again later rather than to change the document. */
        snprintf(msg, msglen, "out of memory%s",
                 adm->new_id ? "" : " (or no id generator)");
        return GLOSS__REJECT_INTERNAL;
    }
    return GLOSS__ACCEPT;
}

/* Parses and checks an envelope; on success fills out (text, source, meta;
 * the id when given). The checks and their order are those of the days
 * when the envelope was a jansson tree: syntax, then the id (so that every
 * later rejection can carry it), unknown fields, text, source, meta, the
 * text's size and emptiness. */
static gloss__reject admit_envelope(const gloss__admission *adm,
                                    const char *payload, size_t len,
                                    gloss__admitted *out, char *msg,
                                    size_t msglen, char *id_out, size_t idlen)
{
    gloss__scan_result sr;
    int rc = gloss__scan_envelope(payload, len, &sr);
    if (rc < 0) {
        snprintf(msg, msglen, "out of memory");
        return GLOSS__REJECT_INTERNAL;
    }
    if (rc > 0) {
        if (sr.nul_value)
            snprintf(msg, msglen, "the envelope is not valid JSON: line %d, "
                     "column %d: \\u0000 (NUL) is not allowed in strings",
                     sr.line, sr.column);
        else
            snprintf(msg, msglen, "the envelope is not valid JSON: line %d, "
                     "column %d: %s", sr.line, sr.column, sr.text);
        return GLOSS__REJECT_BAD_JSON;
    }

    const gloss__scan_field *id = &sr.field[GLOSS__FIELD_ID];
    const gloss__scan_field *text = &sr.field[GLOSS__FIELD_TEXT];
    const gloss__scan_field *source = &sr.field[GLOSS__FIELD_SOURCE];
    const gloss__scan_field *meta = &sr.field[GLOSS__FIELD_META];

    /* One block holds every string the document keeps: the id (or room
     * for a generated one), the source (or the default), meta (or "{}")
     * and the text, unless it is borrowed from the payload. Decoding never
     * makes a string longer, so the raw lengths bound what is needed. */
    int borrow = adm->borrow_text && !text->escaped;
    int copy_text = !borrow && (text->escaped ||
                                raw_len(text) <= adm->max_document_size);
    size_t size = (id->kind ? raw_len(id) : GLOSS__ID_GEN_MAX) + 1 +
                  (source->kind ? raw_len(source)
                                : strlen(default_source(adm))) + 1 +
                  (meta->kind ? meta->end - meta->start : 2) + 1;
    if (copy_text)
        size += raw_len(text) + 1;
    block b;
    if (block_start(out, &b, size) < 0)
        goto oom;

    /* The id comes first, so that every later rejection can carry it and
     * the client can tell which of its documents was refused. */
    if (id->kind) {
        size_t n = 0;
        if (id->kind == GLOSS__SCAN_STRING)
            out->id = field_string(&b, payload, id, &n);
        if (check_id(id->kind, out->id, n, msg, msglen) < 0)
            return GLOSS__REJECT_BAD_FIELD;
        if (n < idlen)
            memcpy(id_out, out->id, n + 1);
        out->id_given = 1;
    }
    if (sr.unknown) {
        size_t klen = sr.unknown_len;
        const char *key = sr.unknown_name;
        snprintf(msg, msglen, "unknown field '%.*s%s' (fields: " FIELDS ")",
                 quote_len(key, klen, 64), key, klen > 64 ? "..." : "");
        return GLOSS__REJECT_UNKNOWN_FIELD;
    }
    if (text->kind != GLOSS__SCAN_STRING) {
        snprintf(msg, msglen, "field 'text' must be a string (the document's "
                 "text), %s%s", text->kind ? "got " : "but it is missing",
                 text->kind ? json_kind(text->kind) : "");
        return GLOSS__REJECT_BAD_FIELD;
    }
    if (source->kind) {
        size_t n = 0;
        if (source->kind == GLOSS__SCAN_STRING)
            out->source = field_string(&b, payload, source, &n);
        if (check_source(source->kind, out->source, n, msg, msglen) < 0)
            return GLOSS__REJECT_BAD_FIELD;
    }
    if (meta->kind && meta->kind != GLOSS__SCAN_OBJECT) {
        snprintf(msg, msglen, "field 'meta' must be an object, got %s",
                 json_kind(meta->kind));
        return GLOSS__REJECT_BAD_FIELD;
    }

    /* Text without escapes is as long as it was sent, and is refused for
     * its size before it is copied (or borrowed); text with escapes is
     * decoded first. */
    size_t n = text->end - text->start;
    if (borrow && n <= adm->max_document_size) {
        out->text = (char *)payload + text->start;
        out->text_borrowed = 1;
        out->text_len = n;
    } else if (copy_text) {
        out->text = field_string(&b, payload, text, &n);
        out->text_len = n;
    }
    if (n > adm->max_document_size) {
        snprintf(msg, msglen, "the text is %zu bytes; the limit "
                 "(max_document_size) is %zu", n, adm->max_document_size);
        return GLOSS__REJECT_TOO_LARGE;
    }
    if (is_blank_text(out->text, n)) {
        snprintf(msg, msglen, n ? "the text is only white space"
                                : "the text is empty");
        return GLOSS__REJECT_EMPTY;
    }
    if (meta->kind) {
        out->meta_len = meta->end - meta->start;
        out->meta_json = block_put(&b, payload + meta->start, out->meta_len);
    }
    return fill_defaults(adm, out, &b, msg, msglen);
oom:
    /* Out of memory is not the client's fault: "internal" tells it to try
     * again later rather than to change the document. */
    snprintf(msg, msglen, "out of memory");
    return GLOSS__REJECT_INTERNAL;
}

/* ---- admission ------------------------------------------------------------------ */

/* The largest envelope accepted for a text limit of max, without
 * overflowing on a huge limit. */
static size_t envelope_limit(size_t max)
{
    if (max > (SIZE_MAX - ENVELOPE_EXTRA) / 2)
        return SIZE_MAX;
    return max * 2 + ENVELOPE_EXTRA;
}

static gloss__reject admit(const gloss__admission *adm, const void *payload,
                           size_t len, gloss__admitted *out, char *msg,
                           size_t msglen, char *id_out, size_t idlen)
{
    const char *p = payload;
    gloss__reject r;
    char dummy_id[1];
    if (!id_out || idlen == 0) {
        id_out = dummy_id;
        idlen = sizeof dummy_id;
    }
    id_out[0] = '\0';
    memset(out, 0, sizeof *out);
    if (msglen)
        msg[0] = '\0';

    if (len == 0) {
        snprintf(msg, msglen, "the message is empty");
        return GLOSS__REJECT_EMPTY;
    }
    int envelope = p[0] == '{';
    size_t limit = envelope ? envelope_limit(adm->max_document_size)
                            : adm->max_document_size;
    if (len > limit) {
        if (envelope)
            snprintf(msg, msglen, "the envelope is %zu bytes; the limit is %zu "
                     "(twice max_document_size %zu, plus %zu)", len, limit,
                     adm->max_document_size, ENVELOPE_EXTRA);
        else
            snprintf(msg, msglen, "the text is %zu bytes; the limit "
                     "(max_document_size) is %zu", len, limit);
        return GLOSS__REJECT_TOO_LARGE;
    }
    if (envelope) {
        /* The scanner checks UTF-8 as it reads (envelope_scan.h); when it
         * refuses the envelope, a bad byte anywhere is what is reported,
         * as if the message had been checked first. */
        r = admit_envelope(adm, p, len, out, msg, msglen, id_out, idlen);
        if (r == GLOSS__REJECT_BAD_JSON &&
            check_utf8(p, len, "the envelope", msg, msglen) < 0)
            r = GLOSS__REJECT_INVALID_UTF8;
        if (r != GLOSS__ACCEPT) {
            gloss__admitted_free(out);
            return r;
        }
    } else {
        if (check_utf8(p, len, "the text", msg, msglen) < 0)
            return GLOSS__REJECT_INVALID_UTF8;
        const char *nul = memchr(p, '\0', len);
        if (nul) {
            snprintf(msg, msglen, "the text has a NUL byte at byte %zu; text "
                     "with NUL bytes is refused (is it UTF-16 or binary "
                     "data? send UTF-8 text)", (size_t)(nul - p));
            return GLOSS__REJECT_INVALID_UTF8;
        }
        if (is_blank_text(p, len)) {
            snprintf(msg, msglen, "the text is only white space");
            return GLOSS__REJECT_EMPTY;
        }
        size_t size = GLOSS__ID_GEN_MAX + 1 + strlen(default_source(adm)) +
                      1 + 2 + 1 + (adm->borrow_text ? 0 : len + 1);
        block b;
        if (block_start(out, &b, size) < 0) {
            snprintf(msg, msglen, "out of memory");
            return GLOSS__REJECT_INTERNAL;
        }
        if (adm->borrow_text) {
            out->text = (char *)p;
            out->text_borrowed = 1;
        } else {
            out->text = block_put(&b, p, len);
        }
        out->text_len = len;
        r = fill_defaults(adm, out, &b, msg, msglen);
        if (r != GLOSS__ACCEPT)
            gloss__admitted_free(out);
    }
    return r;
}

gloss__reject gloss__admit(const gloss__admission *adm, const void *payload,
                           size_t len, gloss__admitted *out, char *msg,
                           size_t msglen, char *id_out, size_t idlen)
{
    gloss__reject r = admit(adm, payload, len, out, msg, msglen, id_out, idlen);
    /* A message may quote the client's bytes (a field name, a source, the
     * JSON parser's "near" text) and may be cut short by msglen; cutting it
     * back to whole characters keeps it valid UTF-8, so the daemon can
     * always put it in a JSON reply. */
    if (r != GLOSS__ACCEPT && msglen)
        msg[gloss__utf8_valid_prefix(msg, strlen(msg))] = '\0';
    return r;
}

/* ---- ids ------------------------------------------------------------------------ */

/* Writes v in base 36 (lowercase), at least width digits, into out (room
 * for 14 characters: 13 digits hold any 64-bit value). */
static void base36(uint64_t v, int width, char *out)
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    char tmp[16];
    int n = 0;
    do {
        tmp[n++] = digits[v % 36];
        v /= 36;
    } while (v);
    while (n < width)
        tmp[n++] = '0';
    for (int i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

void gloss__id_init(gloss__id_gen *g)
{
    /* Microseconds rather than seconds, so that a daemon restarted within
     * the same second with the same pid (pid 1 in a container) still gets
     * a new prefix. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    char t[16], pid[16];
    base36(us, 1, t);
    base36((uint64_t)getpid(), 1, pid);
    snprintf(g->prefix, sizeof g->prefix, "%s.%s", t, pid);
    g->next = 1;
}

char *gloss__id_next(void *arg)
{
    gloss__id_gen *g = arg;
    /* The counter has a fixed width of 13 base-36 digits (enough for any
     * 64-bit value), so ids of one run sort in arrival order as strings. */
    char counter[16];
    base36(g->next++, 13, counter);
    size_t plen = strlen(g->prefix);
    char *id = malloc(plen + 1 + 13 + 1);
    if (!id)
        return NULL;
    memcpy(id, g->prefix, plen);
    id[plen] = '-';
    memcpy(id + plen + 1, counter, 14);
    return id;
}
