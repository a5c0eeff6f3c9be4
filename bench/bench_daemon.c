/*
 * bench_daemon.c - what glossd costs end to end, against the least program
 * that could do its job.
 *
 * Usage: bench_daemon GLOSSD
 *
 * Two targets take the same documents over the same transport (ipc:// in a
 * private mkdtemp folder) and are measured in the same run:
 *
 *   relay   a child process of this benchmark with a PULL socket in and a
 *           PUB socket out, forwarding each message as [topic][payload]:
 *           the bare ZeroMQ relay that is the floor for the daemon;
 *   glossd  the daemon with an empty pipeline (output.text on), 2 workers,
 *           fed on its `feed` socket and read on its `publish` socket.
 *
 * Documents are JSON envelopes {"id","text"} whose text is cut from a fixed
 * English paragraph (valid UTF-8, a few non-ASCII characters). They are
 * pushed with blocking sends from one thread and received by a SUB socket
 * (subscribed to "doc.") in the main thread, which matches each message to
 * its document by id.
 *
 * Throughput: a fixed number of documents per round, timed from the first
 * send to the last receive, best of 5 rounds per target, relay and glossd
 * rounds alternating so both share the machine's noise; each glossd
 * round's ratio to the relay round just before it is printed too, with
 * their median, which one lucky round moves less than the best. Latency: 1 KiB
 * documents sent on a fixed schedule at half of glossd's best 1 KiB rate
 * (open loop: the schedule does not wait for results), each timed from its
 * send to its receipt; the relay is measured at the same rate.
 *
 * CPU per document: around every throughput round the CPU time of each
 * process taking part is read (clock_getcpuclockid for whole processes,
 * /proc/PID/task/TID/schedstat for a main thread, /proc's children list
 * for glossd's workers), and the sums over all rounds of a size are
 * printed per document: this benchmark (sender, receiver and their
 * ZeroMQ thread), the target's main thread, its other threads (ZeroMQ's
 * I/O thread) and glossd's workers. With every process sharing the
 * machine's cores, the throughput ratio follows the ratio of these
 * totals (printed beside glossd's), and the parts say where glossd's
 * extra cost lies.
 *
 * Every round must receive every document it sent; a round that does not
 * is reported as FAILED and does not count. Every wait has a timeout, both
 * child processes are stopped at the end, and timings are reported, never
 * asserted: `make bench` runs this.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "clock.h"

extern char **environ;

#define ROUNDS 5
#define WORKERS 2
#define MAX_INFLIGHT 4096
#define PUBLISH_HWM 100000
#define SUB_RCVHWM 1000000
#define LAT_DOCS 10000
#define IDLE_TIMEOUT_MS 10000 /* a round fails after this long without a message */
#define SEND_TIMEOUT_MS 10000 /* a blocked send fails after this long */
#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 30000
#define TOPIC "doc.feed"

/* Realistic text, with a few non-ASCII characters so that the documents
 * exercise UTF-8 validation the way real input does. It has no '"', '\\'
 * or control characters, so it goes into a JSON string as it is (checked
 * at start-up). */
static const char PARAGRAPH[] =
    "The European Parliament, having regard to its previous resolutions on "
    "the situation in the region, notes with concern that the journalist "
    "was arrested on 28 January in Zürich and charged under Article 174 of "
    "the Criminal Code; calls on the authorities to release him without "
    "delay — and to guarantee his right to a fair trial, access to a lawyer "
    "of his choosing and contact with his family; stresses that freedom of "
    "expression and media freedom are essential to a democratic society; "
    "regrets the café owners’ reports of intimidation; instructs its "
    "President to forward this resolution to the Council, the Commission "
    "and the governments of the Member States. ";

static const struct {
    const char *label;
    size_t size; /* bytes of text */
    size_t docs; /* per round */
} SIZES[] = {
    {"1 KiB", 1024, 20000},
    {"16 KiB", 16384, 5000},
};
#define N_SIZES (sizeof SIZES / sizeof SIZES[0])

/* Everything a fatal error must undo: the folder and both children. */
static char g_dir[64];
static pid_t g_relay = -1;
static pid_t g_glossd = -1;

/* ---- housekeeping ----------------------------------------------------- */

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_dir(void)
{
    if (g_dir[0])
        nftw(g_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    g_dir[0] = '\0';
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Waits up to timeout_ms for pid to exit; returns its wait status, or -1
 * when it had to be killed. */
static int reap(pid_t pid, unsigned timeout_ms)
{
    int status;
    for (unsigned waited = 0; waited < timeout_ms; waited += 10) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR)
            return -1;
        sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

/* A fatal error: the children must not outlive the benchmark, since the
 * relay would hold its sockets and glossd its workers. */
__attribute__((format(printf, 1, 2))) static void die(const char *fmt, ...);

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench_daemon: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (g_glossd > 0) {
        kill(g_glossd, SIGKILL);
        waitpid(g_glossd, NULL, 0);
    }
    if (g_relay > 0) {
        kill(g_relay, SIGKILL);
        waitpid(g_relay, NULL, 0);
    }
    remove_dir();
    exit(1);
}

/* ---- the bare relay (a child process) --------------------------------- */

static volatile sig_atomic_t relay_stop;

static void relay_on_term(int sig)
{
    (void)sig;
    relay_stop = 1;
}

/* PULL in, PUB out, nothing else. It reads every message that is waiting
 * before polling again, which is what any relay tuned for throughput does
 * (and what glossd's supervisor does with its batches). */
static int relay_main(const char *in, const char *out, pid_t parent)
{
    signal(SIGTERM, relay_on_term);
    void *ctx = zmq_ctx_new();
    void *pull = zmq_socket(ctx, ZMQ_PULL);
    void *pub = zmq_socket(ctx, ZMQ_PUB);
    int hwm = PUBLISH_HWM, linger = 0;
    zmq_setsockopt(pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(pub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(pull, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(pull, in) != 0 || zmq_bind(pub, out) != 0) {
        fprintf(stderr, "bench_daemon: relay: bind: %s\n", zmq_strerror(errno));
        return 1;
    }
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    /* The parent's death is noticed within a poll period, so a killed
     * benchmark never leaves the relay behind. */
    while (!relay_stop && getppid() == parent) {
        zmq_pollitem_t item = {pull, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 100) <= 0)
            continue;
        while (zmq_msg_recv(&msg, pull, ZMQ_DONTWAIT) >= 0) {
            zmq_send(pub, TOPIC, sizeof TOPIC - 1, ZMQ_SNDMORE);
            zmq_msg_send(&msg, pub, 0);
        }
    }
    zmq_msg_close(&msg);
    zmq_close(pull);
    zmq_close(pub);
    zmq_ctx_term(ctx);
    return 0;
}

/* ---- documents -------------------------------------------------------- */

/* The paragraph repeated, long enough to cut any document from any word
 * start, and the word starts (so that documents differ from each other
 * and every cut begins on a character boundary). */
typedef struct corpus {
    char *text;
    size_t len;
    size_t *starts;
    size_t n_starts;
} corpus;

static void corpus_init(corpus *c, size_t max_size)
{
    size_t plen = sizeof PARAGRAPH - 1;
    for (size_t i = 0; i < plen; i++) {
        unsigned char ch = (unsigned char)PARAGRAPH[i];
        if (ch < 0x20 || ch == '"' || ch == '\\')
            die("%s", "the paragraph needs JSON escapes");
    }
    size_t reps = max_size / plen + 2;
    c->len = reps * plen;
    c->text = malloc(c->len + 1);
    c->starts = malloc(plen * sizeof *c->starts);
    if (!c->text || !c->starts)
        die("%s", "out of memory");
    for (size_t r = 0; r < reps; r++)
        memcpy(c->text + r * plen, PARAGRAPH, plen);
    c->text[c->len] = '\0';
    c->n_starts = 0;
    for (size_t i = 0; i < plen; i++)
        if (i == 0 || PARAGRAPH[i - 1] == ' ')
            c->starts[c->n_starts++] = i;
}

static void corpus_free(corpus *c)
{
    free(c->text);
    free(c->starts);
}

/* Writes document id's envelope into out (size + 64 bytes at least) and
 * returns its length; *text_len gets the bytes of text, which may be up to
 * 3 less than size so as not to cut a character in two. */
static size_t envelope(const corpus *c, char *out, uint64_t id, size_t size,
                       size_t *text_len)
{
    size_t off = c->starts[id % c->n_starts];
    size_t len = size;
    while (len > 0 && ((unsigned char)c->text[off + len] & 0xC0) == 0x80)
        len--;
    int n = sprintf(out, "{\"id\":\"b-%llu\",\"text\":\"", (unsigned long long)id);
    memcpy(out + n, c->text + off, len);
    memcpy(out + n + len, "\"}", 2);
    *text_len = len;
    return (size_t)n + len + 2;
}

/* ---- CPU time of the processes taking part ----------------------------- */

/* CPU nanoseconds of one measured round (or of several, summed), by who
 * spent them. */
typedef struct cpu_use {
    uint64_t bench;   /* this process, every thread */
    uint64_t main;    /* the target's main thread */
    uint64_t others;  /* the target's other threads: ZeroMQ's */
    uint64_t workers; /* glossd's worker processes */
    int ok;           /* every figure could be read */
} cpu_use;

/* The CPU time of a whole process, exited threads included; 0 when it
 * cannot be read. */
static uint64_t process_cpu_ns(pid_t pid)
{
    clockid_t id;
    struct timespec ts;
    if (pid == 0) {
        id = CLOCK_PROCESS_CPUTIME_ID;
    } else if (clock_getcpuclockid(pid, &id) != 0) {
        return 0;
    }
    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The CPU time of a process's main thread (Linux's schedstat); 0 when it
 * cannot be read. */
static uint64_t main_thread_cpu_ns(pid_t pid)
{
    char path[64];
    unsigned long long ns = 0;
    snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat", (int)pid, (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    if (fscanf(f, "%llu", &ns) != 1)
        ns = 0;
    fclose(f);
    return ns;
}

/* All the CPU time u counts, in nanoseconds. */
static uint64_t cpu_total(const cpu_use *u)
{
    return u->bench + u->main + u->others + u->workers;
}

/* The summed CPU time of pid's child processes (glossd's workers, which
 * its main thread starts); -1 when they cannot be listed. */
static int64_t children_cpu_ns(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int64_t sum = 0;
    int child;
    while (fscanf(f, "%d", &child) == 1)
        sum += (int64_t)process_cpu_ns(child);
    fclose(f);
    return sum;
}

static cpu_use cpu_now(pid_t target, int with_children)
{
    cpu_use u = {0};
    u.bench = process_cpu_ns(0);
    uint64_t all = process_cpu_ns(target);
    u.main = main_thread_cpu_ns(target);
    u.others = all > u.main ? all - u.main : 0;
    int64_t kids = with_children ? children_cpu_ns(target) : 0;
    u.workers = kids > 0 ? (uint64_t)kids : 0;
    u.ok = u.bench && all && u.main && kids >= 0;
    return u;
}

/* Adds what was spent between a and b to sum. */
static void cpu_add(cpu_use *sum, const cpu_use *a, const cpu_use *b)
{
    if (!a->ok || !b->ok || b->bench < a->bench || b->main < a->main ||
        b->others < a->others || b->workers < a->workers) {
        sum->ok = 0; /* a process ended or could not be read */
        return;
    }
    sum->bench += b->bench - a->bench;
    sum->main += b->main - a->main;
    sum->others += b->others - a->others;
    sum->workers += b->workers - a->workers;
}

/* ---- one measured run ------------------------------------------------- */

typedef struct target {
    const char *name;
    pid_t pid;  /* the relay or glossd, for its CPU time */
    void *push; /* connected to the target's input */
    void *sub;  /* connected to its output, subscribed to "doc." */
} target;

typedef struct run {
    const corpus *corpus;
    target *t;
    size_t size;
    size_t n;
    double rate;        /* documents per second; 0 means as fast as it can */
    uint64_t first_id;  /* ids first_id .. first_id + n - 1 */
    uint64_t t0;        /* when the first send may start */
    uint64_t *send_ns;  /* when each document was sent */
    uint64_t *recv_ns;  /* when each was received; 0 = not yet */
    uint64_t text_bytes;
    size_t sent;
    int send_failed;
} run;

/* The sender thread. It owns the target's PUSH socket while it runs; the
 * thread's creation and join are the memory barriers ZeroMQ asks for when
 * a socket moves between threads. */
static void *sender(void *arg)
{
    run *r = arg;
    char *buf = malloc(r->size + 64);
    if (!buf) {
        r->send_failed = 1;
        return NULL;
    }
    double interval_ns = r->rate > 0 ? 1e9 / r->rate : 0;
    for (size_t i = 0; i < r->n; i++) {
        size_t text_len;
        size_t len = envelope(r->corpus, buf, r->first_id + i, r->size,
                              &text_len);
        if (interval_ns > 0) {
            /* Open loop: each document has its own send time on a fixed
             * schedule, so a slow response never delays later sends (which
             * would hide the very latency being measured). */
            uint64_t due = r->t0 + (uint64_t)(interval_ns * (double)i);
            struct timespec ts = {(time_t)(due / 1000000000u),
                                  (long)(due % 1000000000u)};
            while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
                   EINTR)
                ;
        }
        r->send_ns[i] = gloss__now_ns();
        if (zmq_send(r->t->push, buf, len, 0) != (int)len) {
            r->send_failed = 1;
            break;
        }
        r->sent++;
        r->text_bytes += text_len;
    }
    free(buf);
    return NULL;
}

/* Receives until every document of the run has arrived or nothing has come
 * for IDLE_TIMEOUT_MS. Returns how many distinct documents arrived, and in
 * *last the time of the last one. */
static size_t receive(run *r, uint64_t *last)
{
    size_t got = 0;
    uint64_t idle_since = gloss__now_ns();
    zmq_msg_t topic, body;
    zmq_msg_init(&topic);
    zmq_msg_init(&body);
    *last = 0;
    while (got < r->n) {
        zmq_pollitem_t item = {r->t->sub, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 100) <= 0) {
            if (gloss__now_ns() - idle_since > IDLE_TIMEOUT_MS * 1000000ull)
                break;
            continue;
        }
        while (zmq_msg_recv(&topic, r->t->sub, ZMQ_DONTWAIT) >= 0) {
            if (zmq_msg_recv(&body, r->t->sub, 0) < 0)
                break;
            uint64_t now = gloss__now_ns();
            idle_since = now;
            /* The id comes early in both targets' output (the envelope
             * itself, or glossd's seq, schema and id), so only the head of
             * the message is searched. */
            size_t len = zmq_msg_size(&body);
            const char *data = zmq_msg_data(&body);
            const char *p = memmem(data, len < 256 ? len : 256, "\"id\":\"b-", 8);
            if (!p)
                continue; /* a warm-up document */
            uint64_t id = strtoull(p + 8, NULL, 10);
            if (id < r->first_id || id - r->first_id >= r->n)
                continue; /* a late one from an earlier run */
            uint64_t *slot = &r->recv_ns[id - r->first_id];
            if (*slot == 0) {
                *slot = now;
                *last = now;
                got++;
            }
        }
    }
    zmq_msg_close(&topic);
    zmq_msg_close(&body);
    return got;
}

typedef struct result {
    int ok;
    double docs_per_s;
    double mb_per_s;
    double p50_us, p99_us, max_us;
} result;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Each glossd round ran right after a relay round, so the two met much the
 * same machine: the ratios of those pairs, and their median, are less at
 * the mercy of one lucky round than the ratio of the best rounds. */
static void print_paired(const char *label, const double *relay,
                         const double *glossd)
{
    double ratio[ROUNDS];
    size_t n = 0;
    for (int r = 0; r < ROUNDS; r++)
        if (relay[r] > 0 && glossd[r] > 0)
            ratio[n++] = glossd[r] / relay[r];
    if (n == 0)
        return;
    printf("# rounds, %s, glossd/relay round by round:", label);
    for (size_t i = 0; i < n; i++)
        printf(" %.2f", ratio[i]);
    qsort(ratio, n, sizeof ratio[0], cmp_double);
    printf(" (median %.2f)\n", n % 2 ? ratio[n / 2]
                                      : (ratio[n / 2 - 1] + ratio[n / 2]) / 2);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The nearest-rank percentile of sorted values. */
static double percentile_us(const uint64_t *v, size_t n, double p)
{
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    return (double)v[rank - 1] / 1000.0;
}

/* Measures one round; when cpu is not NULL, the CPU time the round cost
 * is added to it. */
static result measure(const corpus *c, target *t, size_t size, size_t n,
                      double rate, uint64_t *next_id, cpu_use *cpu)
{
    result res = {0};
    run r = {.corpus = c, .t = t, .size = size, .n = n, .rate = rate,
             .first_id = *next_id};
    *next_id += n;
    r.send_ns = calloc(n, sizeof *r.send_ns);
    r.recv_ns = calloc(n, sizeof *r.recv_ns);
    if (!r.send_ns || !r.recv_ns)
        die("%s", "out of memory");
    pthread_t th;
    int glossd = t->pid == g_glossd;
    cpu_use before = cpu_now(t->pid, glossd);
    r.t0 = gloss__now_ns();
    if (pthread_create(&th, NULL, sender, &r) != 0)
        die("%s", "cannot start the sender thread");
    uint64_t last;
    size_t got = receive(&r, &last);
    pthread_join(th, NULL);
    if (cpu) {
        cpu_use after = cpu_now(t->pid, glossd);
        cpu_add(cpu, &before, &after);
    }
    if (r.send_failed || got != n) {
        printf("# FAILED: %s, %zu documents of %zu bytes: %zu sent, %zu "
               "received%s; this measurement does not count\n",
               t->name, n, size, r.sent, got,
               r.send_failed ? " (a send failed or timed out)" : "");
        fprintf(stderr, "bench_daemon: FAILED measurement: %s received %zu of "
                        "%zu documents\n", t->name, got, n);
    } else {
        double s = (double)(last - r.t0) / 1e9;
        res.ok = 1;
        res.docs_per_s = (double)n / s;
        res.mb_per_s = (double)r.text_bytes / 1e6 / s;
        for (size_t i = 0; i < n; i++)
            r.recv_ns[i] = r.recv_ns[i] > r.send_ns[i]
                               ? r.recv_ns[i] - r.send_ns[i] : 0;
        qsort(r.recv_ns, n, sizeof *r.recv_ns, cmp_u64);
        res.p50_us = percentile_us(r.recv_ns, n, 50);
        res.p99_us = percentile_us(r.recv_ns, n, 99);
        res.max_us = (double)r.recv_ns[n - 1] / 1000.0;
    }
    free(r.send_ns);
    free(r.recv_ns);
    return res;
}

/* ---- sockets and glossd ------------------------------------------------ */

static void *open_socket(void *ctx, int type, const char *endpoint)
{
    void *s = zmq_socket(ctx, type);
    int linger = 0, timeout = SEND_TIMEOUT_MS, hwm = SUB_RCVHWM;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    if (type == ZMQ_PUSH)
        zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
    if (type == ZMQ_SUB) {
        zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
        zmq_setsockopt(s, ZMQ_SUBSCRIBE, "doc.", 4);
    }
    if (zmq_connect(s, endpoint) != 0)
        die("cannot connect to %s", endpoint);
    return s;
}

/* A subscription takes a moment to reach a PUB socket and everything
 * published before it is lost, so warm-up documents are sent until one
 * comes back; the rest are drained before measuring. */
static void await_subscription(target *t)
{
    zmq_pollitem_t item = {t->sub, 0, ZMQ_POLLIN, 0};
    int seen = 0;
    for (int i = 0; i < START_TIMEOUT_MS / 100 && !seen; i++) {
        char doc[64];
        int n = snprintf(doc, sizeof doc, "{\"id\":\"w-%d\",\"text\":\"warm up\"}", i);
        zmq_send(t->push, doc, (size_t)n, ZMQ_DONTWAIT);
        seen = zmq_poll(&item, 1, 100) > 0;
    }
    if (!seen)
        die("%s: no warm-up document came back", t->name);
    zmq_msg_t m;
    zmq_msg_init(&m);
    while (zmq_poll(&item, 1, 300) > 0)
        while (zmq_msg_recv(&m, t->sub, ZMQ_DONTWAIT) >= 0)
            ;
    zmq_msg_close(&m);
}

/* Sends a control command and returns the reply (to be freed), or NULL
 * after timeout_ms. Stale replies from an earlier timed-out call are
 * discarded first. */
static char *control(void *ctl, const char *cmd, int timeout_ms)
{
    char stale[4096];
    while (zmq_recv(ctl, stale, sizeof stale, ZMQ_DONTWAIT) >= 0)
        ;
    zmq_send(ctl, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(ctl, cmd, strlen(cmd), ZMQ_DONTWAIT);
    zmq_pollitem_t item = {ctl, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, timeout_ms) <= 0)
        return NULL;
    zmq_msg_t m;
    zmq_msg_init(&m);
    char *reply = NULL;
    /* The reply is [empty][json]: the last frame is the one kept. */
    while (zmq_msg_recv(&m, ctl, ZMQ_DONTWAIT) >= 0) {
        free(reply);
        reply = strndup(zmq_msg_data(&m), zmq_msg_size(&m));
        if (!zmq_msg_more(&m))
            break;
    }
    zmq_msg_close(&m);
    return reply;
}

static void write_config(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        die("cannot write %s", path);
    fprintf(f,
            "return {\n"
            "  pipeline = {},\n"
            "  output = { text = true },\n"
            "  daemon = {\n"
            "    submit = \"\", feed = \"ipc://%s/feed\",\n"
            "    publish = \"ipc://%s/publish\", control = \"ipc://%s/control\",\n"
            "    run_dir = \"%s\",\n"
            "    workers = %d,\n"
            "    max_inflight_documents = %d, publish_hwm = %d,\n"
            "  },\n"
            "}\n",
            g_dir, g_dir, g_dir, g_dir, WORKERS, MAX_INFLIGHT,
            PUBLISH_HWM);
    if (fclose(f) != 0)
        die("cannot write %s", path);
}

static pid_t start_glossd(const char *glossd, const char *conf, const char *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    char *argv[] = {(char *)glossd, (char *)"-c", (char *)conf, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, glossd, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        errno = rc;
        die("cannot start %s", glossd);
    }
    return pid;
}

/* Prints the daemon's own counters: what it received, published, could not
 * publish, and how often it paused its input at the in-flight limit. */
static void print_stats(void *ctl)
{
    char *reply = control(ctl, "{\"cmd\":\"stats\"}", 2000);
    json_t *j = reply ? json_loads(reply, 0, NULL) : NULL;
    json_t *c = json_object_get(j, "counters");
    json_t *b = json_object_get(c, "batches");
    if (c)
        printf("# glossd stats: received %lld, accepted %lld, published %lld, "
               "publish_errors %lld, publish_overflows %lld, input_paused %lld, "
               "worker_deaths %lld; batches to workers %lld shared + %lld by "
               "socket, from them %lld + %lld; wake-ups to workers %lld, "
               "from them %lld\n",
               (long long)json_integer_value(json_object_get(c, "received")),
               (long long)json_integer_value(json_object_get(c, "accepted")),
               (long long)json_integer_value(json_object_get(c, "published")),
               (long long)json_integer_value(json_object_get(c, "publish_errors")),
               (long long)json_integer_value(json_object_get(c, "publish_overflows")),
               (long long)json_integer_value(json_object_get(c, "input_paused")),
               (long long)json_integer_value(json_object_get(c, "worker_deaths")),
               (long long)json_integer_value(json_object_get(b, "jobs_shared")),
               (long long)json_integer_value(json_object_get(b, "jobs_socket")),
               (long long)json_integer_value(json_object_get(b, "results_shared")),
               (long long)json_integer_value(json_object_get(b, "results_socket")),
               (long long)json_integer_value(json_object_get(b, "wakes_to_workers")),
               (long long)json_integer_value(json_object_get(b, "wakes_from_workers")));
    else
        printf("# glossd stats: no answer\n");
    json_decref(j);
    free(reply);
}

/* ---- main -------------------------------------------------------------- */

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_daemon GLOSSD\n");
        return 2;
    }
    const char *glossd = argv[1];
    strcpy(g_dir, "/tmp/gloss-bench-XXXXXX");
    if (!mkdtemp(g_dir))
        die("%s", "cannot make a private folder in /tmp");

    char relay_in[128], relay_out[128], feed[128], publish[128], ctl_ep[128];
    char conf[128], err[128];
    snprintf(relay_in, sizeof relay_in, "ipc://%s/relay.in", g_dir);
    snprintf(relay_out, sizeof relay_out, "ipc://%s/relay.out", g_dir);
    snprintf(feed, sizeof feed, "ipc://%s/feed", g_dir);
    snprintf(publish, sizeof publish, "ipc://%s/publish", g_dir);
    snprintf(ctl_ep, sizeof ctl_ep, "ipc://%s/control", g_dir);
    snprintf(conf, sizeof conf, "%s/glossd.conf.lua", g_dir);
    snprintf(err, sizeof err, "%s/glossd.err", g_dir);

    /* The relay is forked before this process makes a ZeroMQ context: a
     * context does not survive fork, and the relay must own its own, with
     * its own I/O thread, as glossd does. */
    fflush(NULL);
    pid_t parent = getpid();
    g_relay = fork();
    if (g_relay < 0)
        die("%s", "cannot fork the relay");
    if (g_relay == 0)
        _exit(relay_main(relay_in, relay_out, parent));

    write_config(conf);
    g_glossd = start_glossd(glossd, conf, err);

    void *ctx = zmq_ctx_new();
    void *ctl = open_socket(ctx, ZMQ_DEALER, ctl_ep);
    int up = 0;
    for (int i = 0; i < START_TIMEOUT_MS / 200 && !up; i++) {
        char *pong = control(ctl, "{\"cmd\":\"ping\"}", 200);
        up = pong && strstr(pong, "\"pong\"");
        free(pong);
        if (!up && waitpid(g_glossd, NULL, WNOHANG) == g_glossd) {
            g_glossd = -1;
            die("glossd exited at start; see %s", err);
        }
    }
    if (!up)
        die("glossd did not answer ping; see %s", err);

    target targets[2] = {
        {"relay", g_relay, open_socket(ctx, ZMQ_PUSH, relay_in),
         open_socket(ctx, ZMQ_SUB, relay_out)},
        {"glossd", g_glossd, open_socket(ctx, ZMQ_PUSH, feed),
         open_socket(ctx, ZMQ_SUB, publish)},
    };
    for (int i = 0; i < 2; i++)
        await_subscription(&targets[i]);

    corpus c;
    corpus_init(&c, SIZES[N_SIZES - 1].size);
    uint64_t next_id = 1;
    int failed = 0;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);

    printf("# bench_daemon: glossd pass-through against a bare ZeroMQ relay, "
           "measured in the same run\n");
    printf("# command: %s %s\n", argv[0], glossd);
    printf("# machine: %ld online cores; everything (this program, the relay, "
           "glossd and its workers) shares them\n", cores);
    printf("# transport: ipc:// in a private folder; JSON envelopes "
           "{\"id\",\"text\"} of English text (UTF-8) pushed to PULL with "
           "blocking sends, received by SUB \"doc.\" (RCVHWM %d)\n", SUB_RCVHWM);
    printf("# relay: one process, PULL in, PUB out (SNDHWM %d), each message "
           "forwarded as [\"%s\"][payload]\n", PUBLISH_HWM, TOPIC);
    printf("# glossd: pipeline = {}, output.text = true, workers = %d, "
           "credit: the default, max_inflight_documents = %d, publish_hwm = %d\n",
           WORKERS, MAX_INFLIGHT, PUBLISH_HWM);
    printf("# throughput: first send to last receive, best of %d rounds, relay "
           "and glossd rounds alternating; MB = 10^6 bytes of text\n", ROUNDS);

    result best[N_SIZES][2];
    memset(best, 0, sizeof best);
    cpu_use cpu[N_SIZES][2];
    for (size_t s = 0; s < N_SIZES; s++)
        for (int t = 0; t < 2; t++)
            cpu[s][t] = (cpu_use){.ok = 1};
    for (size_t s = 0; s < N_SIZES; s++) {
        double rounds[2][ROUNDS];
        for (int r = 0; r < ROUNDS; r++)
            for (int t = 0; t < 2; t++) {
                result res = measure(&c, &targets[t], SIZES[s].size,
                                     SIZES[s].docs, 0, &next_id, &cpu[s][t]);
                rounds[t][r] = res.docs_per_s;
                if (!res.ok)
                    failed = 1;
                else if (res.docs_per_s > best[s][t].docs_per_s)
                    best[s][t] = res;
            }
        for (int t = 0; t < 2; t++) {
            printf("# rounds, %s, %zu x %s:", targets[t].name, SIZES[s].docs,
                   SIZES[s].label);
            for (int r = 0; r < ROUNDS; r++)
                printf(" %.0f", rounds[t][r]);
            printf(" docs/s\n");
        }
        print_paired(SIZES[s].label, rounds[0], rounds[1]);
    }

    printf("%-8s %-8s %10s %8s %8s\n", "size", "target", "docs/s", "MB/s",
           "ratio");
    for (size_t s = 0; s < N_SIZES; s++)
        for (int t = 0; t < 2; t++) {
            result *b = &best[s][t];
            if (!b->ok) {
                printf("%-8s %-8s %10s %8s %8s\n", SIZES[s].label,
                       targets[t].name, "FAILED", "-", "-");
                continue;
            }
            printf("%-8s %-8s %10.0f %8.1f", SIZES[s].label, targets[t].name,
                   b->docs_per_s, b->mb_per_s);
            if (t == 1 && best[s][0].ok)
                printf(" %8.2f  (glossd/relay; target: at least 0.80)",
                       b->docs_per_s / best[s][0].docs_per_s);
            printf("\n");
        }

    printf("# CPU per document, microseconds, over all %d rounds of a size "
           "(bench: this program; main, others: the target's main thread and "
           "its other threads, ZeroMQ's I/O; workers: glossd's)\n", ROUNDS);
    printf("%-8s %-8s %8s %8s %8s %8s %8s\n", "cpu", "target", "total",
           "bench", "main", "others", "workers");
    for (size_t s = 0; s < N_SIZES; s++)
        for (int t = 0; t < 2; t++) {
            const cpu_use *u = &cpu[s][t];
            double per = 1e3 * ROUNDS * (double)SIZES[s].docs;
            if (!u->ok) {
                printf("%-8s %-8s %8s\n", SIZES[s].label, targets[t].name,
                       "n/a");
                continue;
            }
            printf("%-8s %-8s %8.2f %8.2f %8.2f %8.2f", SIZES[s].label,
                   targets[t].name, (double)cpu_total(u) / per,
                   (double)u->bench / per, (double)u->main / per,
                   (double)u->others / per);
            if (t == 1)
                printf(" %8.2f", (double)u->workers / per);
            else
                printf(" %8s", "-");
            /* The throughput ratio the two would have if both kept the
             * cores equally busy: steadier than the rounds' rates, which
             * the machine's noise moves. The relay leaves the cores idle
             * more often (it has fewer threads to run), so the measured
             * ratio is usually a little above it. */
            if (t == 1 && cpu[s][0].ok && cpu_total(u))
                printf("  (relay/glossd: %.2f)",
                       (double)cpu_total(&cpu[s][0]) / (double)cpu_total(u));
            printf("\n");
        }

    /* Latency at half of glossd's best 1 KiB rate: a load it can sustain,
     * so the figures are the cost of one trip, not of a queue growing. */
    if (best[0][1].ok) {
        double rate = best[0][1].docs_per_s / 2;
        printf("# latency: %d x %s documents at %.0f docs/s (half of glossd's "
               "best), open loop, send to receive\n", LAT_DOCS, SIZES[0].label,
               rate);
        printf("%-8s %-8s %10s %10s %10s\n", "latency", "target", "p50 us",
               "p99 us", "max us");
        for (int t = 0; t < 2; t++) {
            result res = measure(&c, &targets[t], SIZES[0].size, LAT_DOCS, rate,
                                 &next_id, NULL);
            if (!res.ok) {
                failed = 1;
                printf("%-8s %-8s %10s\n", SIZES[0].label, targets[t].name,
                       "FAILED");
                continue;
            }
            printf("%-8s %-8s %10.0f %10.0f %10.0f\n", SIZES[0].label,
                   targets[t].name, res.p50_us, res.p99_us, res.max_us);
        }
    } else {
        printf("# latency: not measured (glossd's 1 KiB throughput failed)\n");
    }

    print_stats(ctl);
    char *reply = control(ctl, "{\"cmd\":\"drain\"}", 2000);
    if (!reply || !strstr(reply, "\"draining\":true"))
        kill(g_glossd, SIGTERM);
    free(reply);
    int status = reap(g_glossd, STOP_TIMEOUT_MS);
    g_glossd = -1;
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        printf("# glossd did not stop cleanly after drain (status %d)\n", status);
        failed = 1;
    }
    kill(g_relay, SIGTERM);
    reap(g_relay, STOP_TIMEOUT_MS);
    g_relay = -1;

    for (int t = 0; t < 2; t++) {
        zmq_close(targets[t].push);
        zmq_close(targets[t].sub);
    }
    zmq_close(ctl);
    zmq_ctx_term(ctx);
    corpus_free(&c);
    remove_dir();
    if (failed)
        printf("# FAILED: at least one measurement lost documents or timed out\n");
    return failed;
}
