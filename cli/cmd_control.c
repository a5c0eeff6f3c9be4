/*
 * cmd_control.c - `gloss ping`, `gloss stats`, `gloss reload` and
 * `gloss drain`: one command to a running glossd's control endpoint, one
 * JSON answer.
 *
 * The client is a DEALER that sends [empty][{"cmd": ...}] and waits for the
 * answer with a timeout, so that a daemon that is not running gives a clear
 * message instead of a hang.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "cli.h"

static void usage(FILE *out, const char *cmd)
{
    fprintf(out,
"usage: gloss %s [-e ENDPOINT] [-c CONFIG] [--timeout SECONDS]\n"
"\n"
"  ping     checks that glossd answers; prints its pid, version, generation\n"
"  stats    prints the daemon's counters, in-flight documents and workers\n"
"  reload   makes glossd load its configuration again; an invalid one is\n"
"           refused and the old one keeps running (the reason is printed)\n"
"  drain    makes glossd finish everything in flight, publish it and exit\n"
"\n"
"Options:\n"
"  -e, --endpoint EP    the control endpoint (default: tcp://127.0.0.1:5704)\n"
"  -c, --config FILE    take the endpoint from this configuration's daemon table\n"
"  -t, --timeout S      how long to wait for the answer (default 5)\n"
"  -p, --pretty         indent the answer (the default for stats)\n"
"\n"
"Exit status: 0 when the daemon answered ok, 1 when it refused or did not\n"
"answer, 2 for a usage error.\n", cmd);
}

int gloss__cmd_control(int argc, char **argv)
{
    const char *cmd = argv[0];
    static const struct option longopts[] = {
        {"endpoint", required_argument, NULL, 'e'},
        {"config", required_argument, NULL, 'c'},
        {"timeout", required_argument, NULL, 't'},
        {"pretty", no_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *given = NULL, *config = NULL;
    double timeout = 5;
    int pretty = strcmp(cmd, "stats") == 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "e:c:t:ph", longopts, NULL)) != -1) {
        switch (c) {
        case 'e': given = optarg; break;
        case 'c': config = optarg; break;
        case 't': {
            char *end;
            timeout = strtod(optarg, &end);
            if (*end || timeout <= 0) {
                fprintf(stderr, "gloss %s: --timeout wants a number of seconds, "
                                "got '%s'\n", cmd, optarg);
                return GLOSS_EXIT_USAGE;
            }
            break;
        }
        case 'p': pretty = 1; break;
        case 'h': usage(stdout, cmd); return GLOSS_EXIT_OK;
        default: return GLOSS_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "gloss %s: unexpected argument '%s'\n", cmd, argv[optind]);
        return GLOSS_EXIT_USAGE;
    }
    char prefix[64];
    snprintf(prefix, sizeof prefix, "gloss %s", cmd);
    char *endpoint = gloss__cli_endpoint(prefix, given, config, GLOSS__EP_CONTROL);
    if (!endpoint)
        return GLOSS_EXIT_USAGE;

    int status = GLOSS_EXIT_FAILED;
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(s, endpoint) != 0) {
        fprintf(stderr, "gloss %s: cannot connect to %s: %s\n", cmd, endpoint,
                zmq_strerror(zmq_errno()));
        status = GLOSS_EXIT_USAGE;
        goto out;
    }
    char request[64];
    snprintf(request, sizeof request, "{\"cmd\":\"%s\"}", cmd);
    zmq_send(s, "", 0, ZMQ_SNDMORE);
    zmq_send(s, request, strlen(request), 0);

    zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, (long)(timeout * 1000)) <= 0) {
        fprintf(stderr, "gloss %s: no answer from %s within %g s (is glossd "
                        "running?)\n", cmd, endpoint, timeout);
        goto out;
    }
    zmq_msg_t delim, body;
    zmq_msg_init(&delim);
    zmq_msg_init(&body);
    if (zmq_msg_recv(&delim, s, 0) < 0 || !zmq_msg_more(&delim) ||
        zmq_msg_recv(&body, s, 0) < 0) {
        fprintf(stderr, "gloss %s: malformed answer from %s\n", cmd, endpoint);
        zmq_msg_close(&delim);
        zmq_msg_close(&body);
        goto out;
    }
    json_error_t e;
    json_t *answer = json_loadb(zmq_msg_data(&body), zmq_msg_size(&body), 0, &e);
    zmq_msg_close(&delim);
    zmq_msg_close(&body);
    if (!answer) {
        fprintf(stderr, "gloss %s: the answer is not JSON: %s\n", cmd, e.text);
        goto out;
    }
    int ok = json_is_true(json_object_get(answer, "ok"));
    char *text = json_dumps(answer, pretty ? JSON_INDENT(2) | JSON_PRESERVE_ORDER
                                           : JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (ok) {
        printf("%s\n", text ? text : "");
        status = GLOSS_EXIT_OK;
    } else {
        const char *msg = json_string_value(json_object_get(answer, "message"));
        fprintf(stderr, "gloss %s: refused: %s\n", cmd, msg ? msg : text);
    }
    free(text);
    json_decref(answer);
out:
    zmq_close(s);
    zmq_ctx_term(ctx);
    free(endpoint);
    return status;
}
