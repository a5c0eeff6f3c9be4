/*
 * zprobe.c - sends raw ZeroMQ frames, for the daemon's tests of bad input:
 * wrong frame counts, binary garbage, over-size documents, which no
 * well-behaved client (gloss send) would ever produce.
 *
 *   zprobe dealer ENDPOINT FRAME...   send, print the answer's frames
 *   zprobe push ENDPOINT FRAME...     send, no answer
 *   zprobe stall ENDPOINT SECONDS     subscribe to everything, read nothing
 *                                     for SECONDS (a subscriber that has
 *                                     stopped keeping up), then exit
 *
 * A FRAME is literal text, "@FILE" for a file's bytes, "hex:4142ff" for raw
 * bytes, or "rep:N:TEXT" for TEXT repeated N times. The answer's frames
 * after the empty delimiter are printed one per line. Exit status 1 when no
 * answer comes within 10 seconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "buf.h"

static int frame_bytes(const char *spec, gloss__buf *out)
{
    if (spec[0] == '@')
        return gloss__buf_read_file(out, spec + 1);
    if (strncmp(spec, "hex:", 4) == 0) {
        for (const char *p = spec + 4; p[0] && p[1]; p += 2) {
            unsigned v;
            if (sscanf(p, "%2x", &v) != 1)
                return -1;
            gloss__buf_addc(out, (char)v);
        }
        return 0;
    }
    if (strncmp(spec, "rep:", 4) == 0) {
        char *end;
        long n = strtol(spec + 4, &end, 10);
        if (*end != ':' || n < 0)
            return -1;
        for (long i = 0; i < n; i++)
            gloss__buf_adds(out, end + 1);
        return out->oom ? -1 : 0;
    }
    gloss__buf_adds(out, spec);
    return 0;
}

/* A SUB that never reads: its receive queue (one message) and the
 * socket's buffers fill, and then the publisher's queue for it. */
static int stall(const char *endpoint, const char *seconds)
{
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_SUB);
    int hwm = 1, linger = 0;
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
    if (zmq_connect(s, endpoint) != 0) {
        fprintf(stderr, "zprobe: cannot connect to %s\n", endpoint);
        return 2;
    }
    sleep((unsigned)atoi(seconds));
    zmq_close(s);
    zmq_ctx_term(ctx);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "stall") == 0)
        return stall(argv[2], argv[3]);
    if (argc < 4 || (strcmp(argv[1], "dealer") && strcmp(argv[1], "push"))) {
        fprintf(stderr, "usage: zprobe dealer|push ENDPOINT FRAME...\n"
                        "       zprobe stall ENDPOINT SECONDS\n");
        return 2;
    }
    int dealer = strcmp(argv[1], "dealer") == 0;
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, dealer ? ZMQ_DEALER : ZMQ_PUSH);
    int linger = 5000;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(s, argv[2]) != 0) {
        fprintf(stderr, "zprobe: cannot connect to %s\n", argv[2]);
        return 2;
    }
    for (int i = 3; i < argc; i++) {
        gloss__buf b = GLOSS__BUF_INIT;
        if (frame_bytes(argv[i], &b) < 0) {
            fprintf(stderr, "zprobe: bad frame '%s'\n", argv[i]);
            return 2;
        }
        zmq_send(s, b.data ? b.data : "", b.len, i + 1 < argc ? ZMQ_SNDMORE : 0);
        gloss__buf_free(&b);
    }
    int status = 0;
    if (dealer) {
        zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 10000) <= 0) {
            fprintf(stderr, "zprobe: no answer\n");
            status = 1;
        } else {
            int more = 1;
            while (more) {
                zmq_msg_t m;
                zmq_msg_init(&m);
                zmq_msg_recv(&m, s, 0);
                more = zmq_msg_more(&m);
                if (zmq_msg_size(&m))
                    printf("%.*s\n", (int)zmq_msg_size(&m),
                           (const char *)zmq_msg_data(&m));
                zmq_msg_close(&m);
            }
        }
    }
    zmq_close(s);
    zmq_ctx_term(ctx);
    return status;
}
