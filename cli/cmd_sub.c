/*
 * cmd_sub.c - `gloss sub`: subscribes to a running glossd's results and
 * prints them as JSON Lines.
 *
 * Each message is [topic][json]; the JSON is printed as received (it holds
 * the sequence number "seq"), or indented with --pretty. --count and
 * --timeout make it usable from scripts and tests: stop after N messages,
 * or fail when nothing arrives for a while.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "cli.h"

/* SIGINT and SIGTERM end the subscription cleanly. A flag alone is not
 * enough: the signal may come just before zmq_poll() starts waiting, or be
 * taken by one of ZeroMQ's own threads, and the wait would never end. So
 * the handler also writes a byte to a pipe that zmq_poll() watches beside
 * the socket, and the signals are blocked while ZeroMQ starts its threads,
 * which keep that mask, so that only the main thread takes them. */
static volatile sig_atomic_t interrupted;
static int wake_fd = -1;

static void on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    interrupted = 1;
    if (wake_fd >= 0) {
        char c = 0;
        ssize_t n = write(wake_fd, &c, 1);
        (void)n;
    }
    errno = saved;
}

static void usage(FILE *out)
{
    fprintf(out,
"usage: gloss sub [-e ENDPOINT] [-c CONFIG] [OPTIONS] [TOPIC...]\n"
"\n"
"Prints the results glossd publishes, one JSON document per line. A TOPIC\n"
"is a prefix: 'doc.' gets every processed document, 'label.torture' the\n"
"documents labelled torture, 'error.' every failure. No TOPIC gets all.\n"
"\n"
"Options:\n"
"  -e, --endpoint EP    the publish endpoint (default: tcp://127.0.0.1:5703)\n"
"  -c, --config FILE    take the endpoint from this configuration's daemon table\n"
"  -n, --count N        exit after N messages\n"
"  -t, --timeout S      exit with status 1 when no message came for S seconds\n"
"  -p, --pretty         indent the JSON for humans\n"
"      --topic          print each message's topic and a tab before its JSON\n"
"  -h, --help           show this help\n"
"\n"
"ZeroMQ subscribers miss what was published before they connected, and a\n"
"subscriber too slow to keep up loses messages at the daemon's publish_hwm:\n"
"the \"seq\" numbers then have gaps (docs/protocol.md).\n"
"\n"
"Ctrl-C or SIGTERM ends it with status 0, after the line being printed.\n");
}

int gloss__cmd_sub(int argc, char **argv)
{
    enum { OPT_TOPIC = 256 };
    static const struct option longopts[] = {
        {"endpoint", required_argument, NULL, 'e'},
        {"config", required_argument, NULL, 'c'},
        {"count", required_argument, NULL, 'n'},
        {"timeout", required_argument, NULL, 't'},
        {"pretty", no_argument, NULL, 'p'},
        {"topic", no_argument, NULL, OPT_TOPIC},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *given = NULL, *config = NULL;
    long count = -1;
    double timeout = 0;
    int pretty = 0, show_topic = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "e:c:n:t:ph", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'e': given = optarg; break;
        case 'c': config = optarg; break;
        case 'n':
            count = strtol(optarg, &end, 10);
            if (*end || count < 1) {
                fprintf(stderr, "gloss sub: --count wants a positive number, "
                                "got '%s'\n", optarg);
                return GLOSS_EXIT_USAGE;
            }
            break;
        case 't':
            timeout = strtod(optarg, &end);
            if (*end || timeout <= 0) {
                fprintf(stderr, "gloss sub: --timeout wants a number of "
                                "seconds, got '%s'\n", optarg);
                return GLOSS_EXIT_USAGE;
            }
            break;
        case 'p': pretty = 1; break;
        case OPT_TOPIC: show_topic = 1; break;
        case 'h': usage(stdout); return GLOSS_EXIT_OK;
        default: return GLOSS_EXIT_USAGE;
        }
    }
    char *endpoint = gloss__cli_endpoint("gloss sub", given, config,
                                         GLOSS__EP_PUBLISH);
    if (!endpoint)
        return GLOSS_EXIT_USAGE;

    int status = GLOSS_EXIT_OK;
    int wake[2] = {-1, -1};
    if (pipe(wake) != 0) {
        fprintf(stderr, "gloss sub: cannot make a pipe: %s\n", strerror(errno));
        free(endpoint);
        return GLOSS_EXIT_FAILED;
    }
    fcntl(wake[0], F_SETFL, O_NONBLOCK);
    fcntl(wake[1], F_SETFL, O_NONBLOCK);
    sigset_t stop_signals, old_mask;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, &old_mask);
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_SUB);
    wake_fd = wake[1];
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    int linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    if (optind == argc)
        zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
    for (int i = optind; i < argc; i++)
        zmq_setsockopt(s, ZMQ_SUBSCRIBE, argv[i], strlen(argv[i]));
    if (zmq_connect(s, endpoint) != 0) {
        fprintf(stderr, "gloss sub: cannot connect to %s: %s\n", endpoint,
                zmq_strerror(zmq_errno()));
        status = GLOSS_EXIT_USAGE;
        goto out;
    }

    long seen = 0;
    while (!interrupted && (count < 0 || seen < count)) {
        zmq_pollitem_t items[2] = {{s, 0, ZMQ_POLLIN, 0},
                                   {NULL, wake[0], ZMQ_POLLIN, 0}};
        int rc = zmq_poll(items, 2, timeout > 0 ? (long)(timeout * 1000) : -1);
        if (rc < 0) {
            if (zmq_errno() == EINTR)
                continue;
            break;
        }
        if (interrupted)
            break;
        if (rc == 0) {
            fprintf(stderr, "gloss sub: nothing from %s for %g s (%ld "
                            "message%s received)\n", endpoint, timeout, seen,
                    seen == 1 ? "" : "s");
            status = GLOSS_EXIT_FAILED;
            break;
        }
        zmq_msg_t topic, body;
        zmq_msg_init(&topic);
        zmq_msg_init(&body);
        /* Never a blocking receive: only zmq_poll() waits, so that a
         * signal always ends the wait. The frames of one message arrive
         * together, so the body is there when its topic is. */
        if (zmq_msg_recv(&topic, s, ZMQ_DONTWAIT) < 0 ||
            !zmq_msg_more(&topic) ||
            zmq_msg_recv(&body, s, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&topic);
            zmq_msg_close(&body);
            continue;
        }
        if (show_topic)
            printf("%.*s\t", (int)zmq_msg_size(&topic),
                   (const char *)zmq_msg_data(&topic));
        if (pretty) {
            json_t *doc = json_loadb(zmq_msg_data(&body), zmq_msg_size(&body),
                                     0, NULL);
            char *text = doc ? json_dumps(doc, JSON_INDENT(2) |
                                                   JSON_PRESERVE_ORDER)
                             : NULL;
            if (text)
                printf("%s\n", text);
            else
                printf("%.*s\n", (int)zmq_msg_size(&body),
                       (const char *)zmq_msg_data(&body));
            free(text);
            json_decref(doc);
        } else {
            fwrite(zmq_msg_data(&body), 1, zmq_msg_size(&body), stdout);
            putchar('\n');
        }
        fflush(stdout);
        zmq_msg_close(&topic);
        zmq_msg_close(&body);
        seen++;
    }
out:
    zmq_close(s);
    zmq_ctx_term(ctx);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    wake_fd = -1;
    close(wake[0]);
    close(wake[1]);
    free(endpoint);
    return status;
}
