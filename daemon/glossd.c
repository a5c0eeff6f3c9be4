/*
 * glossd.c - the entry point of the daemon.
 *
 * Run by a user, glossd is the supervisor: it loads and checks the
 * configuration, listens on its endpoints and starts its workers. Run as
 * `glossd --worker FD IDENTITY GENERATION CREDIT [PROGRESS_FD]`, it
 * is one of those workers (the supervisor starts them that way; users never
 * need to).
 */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "supervisor.h"
#include "worker.h"

static void usage(FILE *out)
{
    fprintf(out,
"usage: glossd [-c CONFIG] [-w WORKERS]\n"
"\n"
"glossd takes documents over ZeroMQ, runs each through the pipeline of its\n"
"configuration in worker processes, and publishes the annotated results.\n"
"Without -c it runs the embedded default configuration.\n"
"\n"
"Options:\n"
"  -c, --config FILE    the configuration (docs/config.md); its `daemon` table\n"
"                       sets the endpoints, limits and routes\n"
"  -w, --workers N      worker processes (default: daemon.workers, or one per core)\n"
"  -h, --help           show this help\n"
"      --version        show the version\n"
"\n"
"Endpoints (defaults; see docs/protocol.md):\n"
"  submit   tcp://127.0.0.1:5701  ROUTER: send a document, get accepted/rejected\n"
"  feed     tcp://127.0.0.1:5702  PULL: send documents, no reply\n"
"  publish  tcp://127.0.0.1:5703  XPUB (subscribe as to a PUB): results on\n"
"                                 doc.<source>, label.*, entity.*, errors on\n"
"                                 error.<stage>; a subscriber too slow to keep\n"
"                                 up loses messages (publish_overflows)\n"
"  control  tcp://127.0.0.1:5704  ROUTER: ping, stats, reload, drain\n"
"\n"
"Signals: SIGTERM or SIGINT drain (finish and publish everything in flight,\n"
"then exit 0); SIGHUP reloads the configuration (an invalid one is refused\n"
"and the old one keeps running).\n"
"\n"
"Use `gloss send`, `gloss sub` and `gloss stats|reload|drain|ping` to talk to it.\n");
}

/* A descriptor number the supervisor passed (3 and up), or -1 (said). */
static int parse_fd(const char *what, const char *arg)
{
    char *end;
    long fd = strtol(arg, &end, 10);
    if (end == arg || *end || fd < 3 || fd > 1024) {
        fprintf(stderr, "glossd --worker: %s must be a descriptor number, "
                        "got '%s'\n", what, arg);
        return -1;
    }
    return (int)fd;
}

static int worker_mode(int argc, char **argv)
{
    if (argc != 6 && argc != 7) {
        fprintf(stderr, "glossd --worker: expected FD IDENTITY "
                        "GENERATION CREDIT [PROGRESS_FD] (glossd starts its "
                        "workers itself)\n");
        return 2;
    }
    /* Ctrl-C in a terminal reaches the whole process group: the
     * supervisor decides when workers stop (STOP, or SIGKILL at a
     * deadline), so a worker finishes its document instead of dying. */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    char *end;
    unsigned long generation = strtoul(argv[4], &end, 10);
    unsigned long credit = strtoul(argv[5], &end, 10);
    int fd = parse_fd("FD", argv[2]);
    int progress_fd = argc == 7 ? parse_fd("PROGRESS_FD", argv[6]) : -1;
    if (fd < 0 || (argc == 7 && progress_fd < 0))
        return 2;
    return gloss__worker_main(fd, argv[3], (unsigned)generation,
                              (unsigned)credit, progress_fd);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--worker") == 0)
        return worker_mode(argc, argv);

    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"workers", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    gloss__sup sup;
    memset(&sup, 0, sizeof sup);
    int c;
    while ((c = getopt_long(argc, argv, "c:w:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            sup.config_path = optarg;
            break;
        case 'w': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || n < 1 || n > 256) {
                fprintf(stderr, "glossd: --workers wants a number from 1 to "
                                "256, got '%s'\n", optarg);
                return 2;
            }
            sup.workers_wanted = (unsigned)n;
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("glossd %s\n", PACKAGE_VERSION);
            return 0;
        default:
            fprintf(stderr, "Run 'glossd --help' for the options.\n");
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "glossd: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }

    /* Workers are this same program; its absolute path survives a change
     * of directory and does not depend on PATH. */
    static char exe[PATH_MAX];
    size_t exe_len = sizeof exe;
    if (uv_exepath(exe, &exe_len) != 0) {
        fprintf(stderr, "glossd: cannot find its own executable\n");
        return 1;
    }
    sup.exe = exe;

    uv_loop_t loop;
    uv_loop_init(&loop);
    sup.loop = &loop;
    char err[2048];
    int status = 0;
    if (gloss__sup_start(&sup, err, sizeof err) < 0) {
        fprintf(stderr, "glossd: %s\n", err);
        status = sup.generations ? 1 : 2;
        /* Whatever started is stopped the way a drain stops it. */
        sup.draining = 1;
        gloss__sup_maybe_finish(&sup);
    } else {
        const gloss__daemon_conf *d = &gloss__sup_config(&sup)->daemon;
        fprintf(stderr,
                "glossd %s: %s, %u workers; submit %s, feed %s, publish %s, "
                "control %s\n",
                PACKAGE_VERSION, gloss__sup_config(&sup)->path,
                sup.workers_wanted, *d->submit ? d->submit : "(off)",
                *d->feed ? d->feed : "(off)", d->publish, d->control);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    gloss__sup_close(&sup);
    if (uv_loop_close(&loop) != 0)
        fprintf(stderr, "glossd: handles were left open at exit\n");
    if (status == 0)
        fprintf(stderr, "glossd: drained; %llu processed, %llu failed, %llu "
                        "published\n",
                (unsigned long long)sup.stats.processed,
                (unsigned long long)sup.stats.failed,
                (unsigned long long)sup.stats.published);
    return status;
}
