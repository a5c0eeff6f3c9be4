/*
 * cmd_send.c - `gloss send`: submits files to a running glossd and reports
 * what it accepted and rejected.
 *
 * Each file becomes one JSON envelope {"id", "text", "source", "meta"} on
 * the submit endpoint. Up to --window documents are in flight at once;
 * each answer names its id, so answers are matched by id, in any order. A
 * document without an answer after --timeout is sent again with the same
 * id, which the daemon acknowledges without processing twice while the first
 * copy is in flight; after --retries tries it counts as failed. A file that
 * is not UTF-8 is reported here, with the byte offset, without a round trip.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "utf8.h"

typedef struct slot {
    char *id;
    char *payload;
    size_t len;
    uint64_t sent_ns;
    int tries;
    int used;
} slot;

typedef struct sender {
    void *sock;
    const char *source;
    const char *stdin_id;
    slot *slots;
    size_t window, busy;
    double timeout;
    int retries;
    int progress;        /* stderr is a terminal */
    uint64_t last_draw;
    unsigned long total, sent, accepted, rejected, failed;
} sender;

static void usage(FILE *out)
{
    fprintf(out,
"usage: gloss send [-e ENDPOINT] [-c CONFIG] [OPTIONS] FILE...|DIR|-\n"
"\n"
"Submits each FILE (every regular file of a DIR, in name order; '-' reads\n"
"standard input) to glossd as one document, and reports which were accepted\n"
"and which rejected, with the reason. Results arrive on the publish\n"
"endpoint: see `gloss sub`.\n"
"\n"
"Options:\n"
"  -e, --endpoint EP    the submit endpoint (default: tcp://127.0.0.1:5701)\n"
"  -c, --config FILE    take the endpoint from this configuration's daemon table\n"
"  -s, --source NAME    the source of the documents (default 'file'); results\n"
"                       are published on doc.NAME\n"
"      --id ID          the id of the document read from standard input\n"
"  -w, --window N       documents in flight at once (default 32)\n"
"  -t, --timeout S      seconds to wait for an answer before trying again\n"
"                       (default 10)\n"
"  -r, --retries N      tries per document (default 3)\n"
"  -q, --quiet          no progress bar, no summary\n"
"  -h, --help           show this help\n"
"\n"
"A document's id is its path. Exit status: 0 when every document was\n"
"accepted, 1 when any was rejected or got no answer, 2 for a usage error.\n");
}

static void draw(sender *s, int final)
{
    if (!s->progress)
        return;
    uint64_t now = gloss__now_ns();
    if (!final && now - s->last_draw < 100000000ull)
        return;
    s->last_draw = now;
    unsigned long done = s->accepted + s->rejected + s->failed;
    int width = 30;
    int fill = s->total ? (int)((double)done / (double)s->total * width) : width;
    fprintf(stderr, "\r[%.*s%*s] %lu/%lu accepted %lu rejected %lu",
            fill, "##############################", width - fill, "", done,
            s->total, s->accepted, s->rejected);
    if (final)
        fprintf(stderr, "\n");
    fflush(stderr);
}

__attribute__((format(printf, 2, 3))) static void say(sender *s,
                                                     const char *fmt, ...)
{
    if (s->progress)
        fprintf(stderr, "\r%*s\r", 70, "");
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

static int transmit(sender *s, slot *sl)
{
    if (zmq_send(s->sock, "", 0, ZMQ_SNDMORE) < 0 ||
        zmq_send(s->sock, sl->payload, sl->len, 0) < 0)
        return -1;
    sl->sent_ns = gloss__now_ns();
    sl->tries++;
    return 0;
}

static void release(sender *s, slot *sl)
{
    free(sl->id);
    free(sl->payload);
    memset(sl, 0, sizeof(*sl));
    s->busy--;
}

/* Reads path and sends it; a file that cannot be read or is not UTF-8
 * counts as rejected here. */
static void submit(sender *s, const char *path)
{
    s->total++;
    gloss__buf text = GLOSS__BUF_INIT;
    if (gloss__buf_read_file(&text, path) < 0) {
        char why[256];
        snprintf(why, sizeof why, "%s", strerror(errno));
        say(s, "gloss send: %s: cannot read: %s\n", path, why);
        s->rejected++;
        gloss__buf_free(&text);
        return;
    }
    size_t valid = gloss__utf8_valid_prefix(text.data ? text.data : "", text.len);
    if (valid != text.len) {
        char why[128];
        snprintf(why, sizeof why, "not UTF-8 at byte %zu (0x%02X)", valid,
                 (unsigned char)text.data[valid]);
        say(s, "gloss send: %s: rejected (invalid_utf8): %s\n", path, why);
        s->rejected++;
        gloss__buf_free(&text);
        return;
    }
    const char *id = strcmp(path, "-") == 0 ? s->stdin_id : path;
    json_t *env = json_pack("{s:s, s:s%, s:s, s:{s:s}}", "id", id, "text",
                            text.data ? text.data : "", text.len, "source",
                            s->source, "meta", "path", path);
    gloss__buf_free(&text);
    char *payload = env ? json_dumps(env, JSON_COMPACT) : NULL;
    json_decref(env);
    slot *sl = NULL;
    for (size_t i = 0; i < s->window && !sl; i++)
        if (!s->slots[i].used)
            sl = &s->slots[i];
    if (!payload || !sl || !(sl->id = strdup(id))) {
        free(payload);
        say(s, "gloss send: %s: %s\n", path, "out of memory");
        s->failed++;
        return;
    }
    sl->payload = payload;
    sl->len = strlen(payload);
    sl->used = 1;
    s->busy++;
    if (transmit(s, sl) < 0) {
        say(s, "gloss send: %s: cannot send: %s\n", path,
            zmq_strerror(zmq_errno()));
        release(s, sl);
        s->failed++;
        return;
    }
    s->sent++;
}

/* Handles one answer from the daemon. */
static void on_answer(sender *s, const char *data, size_t len)
{
    json_t *a = json_loadb(data, len, 0, NULL);
    const char *id = json_string_value(json_object_get(a, "id"));
    slot *sl = NULL;
    for (size_t i = 0; id && i < s->window && !sl; i++)
        if (s->slots[i].used && strcmp(s->slots[i].id, id) == 0)
            sl = &s->slots[i];
    if (!sl) {
        /* An answer to an earlier try of a document already answered. */
        json_decref(a);
        return;
    }
    if (json_is_true(json_object_get(a, "ok"))) {
        s->accepted++;
    } else {
        const char *code = json_string_value(json_object_get(a, "error"));
        const char *msg = json_string_value(json_object_get(a, "message"));
        char why[1024];
        snprintf(why, sizeof why, "rejected (%s): %s", code ? code : "?",
                 msg ? msg : "no reason given");
        say(s, "gloss send: %s: %s\n", sl->id, why);
        s->rejected++;
    }
    release(s, sl);
    json_decref(a);
}

/* Waits for answers until at most `until` documents are in flight. */
static int wait_answers(sender *s, size_t until)
{
    while (s->busy > until) {
        uint64_t now = gloss__now_ns(), wait = (uint64_t)(s->timeout * 1e9);
        uint64_t soonest = UINT64_MAX;
        for (size_t i = 0; i < s->window; i++) {
            slot *sl = &s->slots[i];
            if (!sl->used)
                continue;
            uint64_t due = sl->sent_ns + wait;
            if (due <= now) {
                if (sl->tries >= s->retries) {
                    char why[128];
                    snprintf(why, sizeof why, "no answer after %d tries", sl->tries);
                    say(s, "gloss send: %s: %s\n", sl->id, why);
                    s->failed++;
                    release(s, sl);
                    continue;
                }
                transmit(s, sl);
                due = sl->sent_ns + wait;
            }
            if (due < soonest)
                soonest = due;
        }
        if (s->busy <= until)
            break;
        long ms = soonest == UINT64_MAX ? 100 : (long)((soonest - now) / 1000000) + 1;
        zmq_pollitem_t item = {s->sock, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, 1, ms);
        if (rc < 0 && zmq_errno() != EINTR)
            return -1;
        while (rc > 0) {
            zmq_msg_t delim, body;
            zmq_msg_init(&delim);
            zmq_msg_init(&body);
            if (zmq_msg_recv(&delim, s->sock, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&delim);
                zmq_msg_close(&body);
                break;
            }
            if (zmq_msg_more(&delim) && zmq_msg_recv(&body, s->sock, 0) >= 0)
                on_answer(s, zmq_msg_data(&body), zmq_msg_size(&body));
            zmq_msg_close(&delim);
            zmq_msg_close(&body);
        }
        draw(s, 0);
    }
    return 0;
}

static int send_path(sender *s, const char *path)
{
    struct stat st;
    if (strcmp(path, "-") == 0 || stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        if (wait_answers(s, s->window - 1) < 0)
            return -1;
        submit(s, path);
        draw(s, 0);
        return 0;
    }
    char **names;
    size_t n;
    if (gloss__cli_list_folder(path, &names, &n) < 0) {
        say(s, "gloss send: %s: cannot open folder: %s\n", path, strerror(errno));
        s->rejected++;
        return 0;
    }
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0 && (rc = wait_answers(s, s->window - 1)) == 0) {
            submit(s, names[i]);
            draw(s, 0);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int gloss__cmd_send(int argc, char **argv)
{
    enum { OPT_ID = 256 };
    static const struct option longopts[] = {
        {"endpoint", required_argument, NULL, 'e'},
        {"config", required_argument, NULL, 'c'},
        {"source", required_argument, NULL, 's'},
        {"id", required_argument, NULL, OPT_ID},
        {"window", required_argument, NULL, 'w'},
        {"timeout", required_argument, NULL, 't'},
        {"retries", required_argument, NULL, 'r'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *given = NULL, *config = NULL;
    sender s = {.source = "file", .window = 32, .timeout = 10, .retries = 3};
    int quiet = 0;
    char stdin_id[64];
    snprintf(stdin_id, sizeof stdin_id, "stdin-%ld-%ld", (long)getpid(),
             (long)(gloss__now_ns() / 1000000));
    s.stdin_id = stdin_id;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "e:c:s:w:t:r:qh", longopts, NULL)) != -1) {
        char *end;
        long v;
        switch (c) {
        case 'e': given = optarg; break;
        case 'c': config = optarg; break;
        case 's': s.source = optarg; break;
        case OPT_ID: s.stdin_id = optarg; break;
        case 'w':
            v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 10000) {
                fprintf(stderr, "gloss send: --window wants 1 to 10000, got '%s'\n",
                        optarg);
                return GLOSS_EXIT_USAGE;
            }
            s.window = (size_t)v;
            break;
        case 't':
            s.timeout = strtod(optarg, &end);
            if (*end || s.timeout <= 0) {
                fprintf(stderr, "gloss send: --timeout wants a number of "
                                "seconds, got '%s'\n", optarg);
                return GLOSS_EXIT_USAGE;
            }
            break;
        case 'r':
            v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 100) {
                fprintf(stderr, "gloss send: --retries wants 1 to 100, got '%s'\n",
                        optarg);
                return GLOSS_EXIT_USAGE;
            }
            s.retries = (int)v;
            break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return GLOSS_EXIT_OK;
        default: return GLOSS_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "gloss send: no input: name files, a folder, or '-'\n");
        return GLOSS_EXIT_USAGE;
    }
    char *endpoint = gloss__cli_endpoint("gloss send", given, config,
                                         GLOSS__EP_SUBMIT);
    if (!endpoint)
        return GLOSS_EXIT_USAGE;
    s.progress = !quiet && isatty(STDERR_FILENO);
    s.slots = calloc(s.window, sizeof(*s.slots));
    void *ctx = zmq_ctx_new();
    s.sock = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(s.sock, ZMQ_LINGER, &linger, sizeof linger);
    int status = GLOSS_EXIT_FAILED;
    if (!s.slots) {
        fprintf(stderr, "gloss send: out of memory\n");
        goto out;
    }
    if (zmq_connect(s.sock, endpoint) != 0) {
        fprintf(stderr, "gloss send: cannot connect to %s: %s\n", endpoint,
                zmq_strerror(zmq_errno()));
        status = GLOSS_EXIT_USAGE;
        goto out;
    }
    int rc = 0;
    for (int i = optind; i < argc && rc == 0; i++)
        rc = send_path(&s, argv[i]);
    if (rc == 0)
        rc = wait_answers(&s, 0);
    draw(&s, 1);
    if (rc < 0)
        fprintf(stderr, "gloss send: %s\n", zmq_strerror(zmq_errno()));
    if (!quiet)
        fprintf(stderr, "gloss send: %lu document%s: %lu accepted, %lu rejected, "
                        "%lu without answer\n",
                s.total, s.total == 1 ? "" : "s", s.accepted, s.rejected,
                s.failed);
    status = (rc == 0 && s.rejected == 0 && s.failed == 0) ? GLOSS_EXIT_OK
                                                           : GLOSS_EXIT_FAILED;
out:
    for (size_t i = 0; s.slots && i < s.window; i++)
        if (s.slots[i].used)
            release(&s, &s.slots[i]);
    free(s.slots);
    zmq_close(s.sock);
    zmq_ctx_term(ctx);
    free(endpoint);
    return status;
}
