/*
 * wire.h - the messages between the supervisor and its workers.
 *
 * Workers are processes (glossd --worker) connected to the supervisor over
 * one ipc ROUTER socket that the supervisor binds; each worker's DEALER
 * uses the routing id "w<generation>.<slot>.<pid>". Every message is
 * multipart and begins with a verb frame. Numbers travel as decimal text.
 *
 *   worker -> supervisor
 *     HELLO  generation                     connected; send the configuration
 *     READY  credit                         can take `credit` more jobs
 *     DONE   job  status  json  topics  stages
 *                                           a job finished: status is "ok",
 *                                           "dropped" or "failed"; json is the
 *                                           document (schema.md) with errors;
 *                                           topics are the topics to publish it
 *                                           on, one per line; stages what each
 *                                           stage cost it (routes.h)
 *     FATAL  message                        the configuration failed to start;
 *                                           the worker exits after sending it
 *   supervisor -> worker
 *     CONFIG name  dir  source              the configuration, as Lua source,
 *                                           its name for messages and the folder
 *                                           relative paths resolve against
 *     JOB    job  id  source  meta  text    one document (meta is JSON)
 *     STOP                                  finish what you hold, then exit
 *
 * Credit: a worker sends READY once, after its configuration is built, with
 * the number of jobs it may hold at once; it does not send READY again.
 * Each DONE gives one credit back, so the supervisor keeps, per worker,
 * credit - (jobs sent - DONEs received) and never sends a JOB past it.
 *
 * Sending the configuration's source (not its path) means every worker of
 * one generation runs exactly what the supervisor checked, even if the file
 * changes on disk in between.
 */
#ifndef GLOSS_WIRE_H
#define GLOSS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define GLOSS__WIRE_MAX_FRAMES 8

/* A received multipart message: frames point into zmq messages held
 * by the struct. */
typedef struct gloss__wire_msg {
    size_t nframes;
    const char *frame[GLOSS__WIRE_MAX_FRAMES];
    size_t len[GLOSS__WIRE_MAX_FRAMES];
    void *zmsgs_;      /* private: the zmq_msg_t array */
    int more_;         /* private: frames were dropped past the maximum */
} gloss__wire_msg;

/*
 * Receives one whole multipart message from sock (flags: 0 or
 * ZMQ_DONTWAIT). Returns 0, or -1 with errno (EAGAIN when nothing waits;
 * EPROTO when the message had more than GLOSS__WIRE_MAX_FRAMES frames, in
 * which case the whole message was consumed). Release with
 * gloss__wire_msg_close.
 */
int gloss__wire_recv(void *sock, gloss__wire_msg *m, int flags);
void gloss__wire_msg_close(gloss__wire_msg *m);

/* True when frame i exists and equals the NUL-terminated word. */
int gloss__wire_is(const gloss__wire_msg *m, size_t i, const char *word);

/* Copies frame i as a NUL-terminated malloc'd string (NULL on ENOMEM or
 * when it does not exist). */
char *gloss__wire_dup(const gloss__wire_msg *m, size_t i);

/* Parses frame i as an unsigned decimal number; returns 0, or -1. */
int gloss__wire_u64(const gloss__wire_msg *m, size_t i, uint64_t *out);

/*
 * Sends n frames (data[i], len[i]) as one multipart message. Returns 0, or
 * -1 with errno (EAGAIN with ZMQ_DONTWAIT when the peer is full;
 * EHOSTUNREACH on a ROUTER with ZMQ_ROUTER_MANDATORY when the peer is gone).
 */
int gloss__wire_send(void *sock, int flags, size_t n, const void *const *data,
                     const size_t *len);

/* Convenience: sends n NUL-terminated strings as frames (1 to
 * GLOSS__WIRE_MAX_FRAMES of them; otherwise -1 with EINVAL). */
int gloss__wire_sendv(void *sock, int flags, size_t n, ...);

#endif
