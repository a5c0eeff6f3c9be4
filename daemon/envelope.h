/*
 * envelope.h - admission: turning one incoming message into a document, or
 * into a rejection that names what was wrong.
 *
 * A message on `submit` or `feed` is either raw UTF-8 text, or a JSON
 * envelope {"id", "text", "source", "meta"} when its first byte is '{'
 * (docs/protocol.md). Admission checks everything a client can get wrong
 * before a document takes a place in the queue: size, emptiness, UTF-8,
 * the envelope's syntax, unknown fields, field types and values. A rejected
 * message costs nothing further, and its rejection carries a stable code
 * for programs and a message for people.
 */
#ifndef GLOSS_ENVELOPE_H
#define GLOSS_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

/* Stable rejection codes (docs/protocol.md lists them). */
typedef enum gloss__reject {
    GLOSS__ACCEPT = 0,
    GLOSS__REJECT_BAD_FRAMES,  /* "bad_frames": wrong number of frames */
    GLOSS__REJECT_EMPTY,       /* "empty": no text, or only whitespace */
    GLOSS__REJECT_TOO_LARGE,   /* "too_large": over max_document_size */
    GLOSS__REJECT_INVALID_UTF8,/* "invalid_utf8": names the byte offset */
    GLOSS__REJECT_BAD_JSON,    /* "bad_json": the envelope does not parse */
    GLOSS__REJECT_UNKNOWN_FIELD, /* "unknown_field": names the field */
    GLOSS__REJECT_BAD_FIELD,   /* "bad_field": wrong type or value */
    GLOSS__REJECT_DRAINING,    /* "draining": the daemon is stopping */
    GLOSS__REJECT_BAD_COMMAND, /* "bad_command": control only */
    GLOSS__REJECT_INTERNAL     /* "internal": the daemon ran out of memory */
} gloss__reject;

/* The code's name as it appears on the wire ("invalid_utf8"). */
const char *gloss__reject_code(gloss__reject r);

/* An admitted document, not yet a gloss_doc: the supervisor queues these
 * and workers build the document. Its strings lie in one allocation, made
 * once per document (free it with gloss__admitted_free), except the text
 * when it is borrowed (gloss__admission.borrow_text). */
typedef struct gloss__admitted {
    char *id;          /* given, or generated */
    char *source;      /* given, or the endpoint's default */
    /* UTF-8; NUL-terminated unless borrowed, in which case it points into
     * the payload and lives as long as the caller keeps that. */
    char *text;
    size_t text_len;
    int text_borrowed;
    /* The meta object as JSON text, NUL-terminated: the envelope's own
     * bytes, validated (whitespace included), or "{}". Kept as text
     * because the supervisor only forwards it to a worker, which parses
     * it; a tree here would be built and dumped for nothing. */
    char *meta_json;
    size_t meta_len;
    int id_given;      /* the client chose the id */
    char *mem_;        /* private: the allocation the strings lie in */
} gloss__admitted;

/* The longest id a client may give (bytes, without the NUL). */
#define GLOSS__ID_MAX 200

/* The longest id a generator may make (bytes, without the NUL). */
#define GLOSS__ID_GEN_MAX 63

typedef struct gloss__admission {
    size_t max_document_size;  /* bytes of text */
    const char *default_source;/* "submit" or "feed" */
    /* Generates an id for messages without one (a malloc'd string of at
     * most GLOSS__ID_GEN_MAX bytes); the generator keeps its own state
     * (see gloss__id_next). */
    char *(*new_id)(void *arg);
    void *new_id_arg;
    /* When set, text that needs no decoding (raw text, and an envelope's
     * text without escapes) is not copied: the admitted document's text
     * points into the payload, which the caller then keeps as long as the
     * document (the supervisor keeps the ZeroMQ message with its job). */
    int borrow_text;
} gloss__admission;

/*
 * Admits the payload (len bytes). On success returns GLOSS__ACCEPT and
 * fills *out. On rejection returns the code, writes a message for people in
 * msg (naming the field, the byte offset, the limit...), and, when the
 * envelope gave a usable id, copies it to id_out (else id_out[0] = 0).
 */
gloss__reject gloss__admit(const gloss__admission *adm, const void *payload,
                           size_t len, gloss__admitted *out, char *msg,
                           size_t msglen, char *id_out, size_t idlen);

void gloss__admitted_free(gloss__admitted *a);

/* An id generator: ids are "<prefix>-<counter>" where prefix is fixed per
 * daemon start (time and pid, in base 36), so ids are unique across
 * restarts and sort in arrival order within one run. */
typedef struct gloss__id_gen {
    char prefix[32];
    uint64_t next;
} gloss__id_gen;

void gloss__id_init(gloss__id_gen *g);
/* Returns a new malloc'd id (free it), or NULL on ENOMEM. Matches the
 * new_id signature with arg = the generator. */
char *gloss__id_next(void *g);

#endif
