/*
 * worker.c - the worker process's main loop (see daemon/worker.h and the
 * protocol in daemon/wire.h).
 *
 * A worker does one thing at a time, so it needs no event loop: it blocks
 * in poll() on the stream socket it shares with the supervisor (a
 * socketpair the supervisor made when it started the worker), runs the jobs
 * of each JOB message through the pipeline as soon as it arrives, and
 * answers with a DONE before it reads the next message. With a progress
 * page, that is one DONE for the whole batch (the page tells the
 * supervisor which job is running); without one, one DONE per job, sent as
 * soon as the job is done. The supervisor's credit keeps at most `credit`
 * jobs queued for the worker, which lets the next batch wait while the
 * current one runs instead of costing a round trip. When the area shared
 * with the supervisor has rings (wire.h), a batch's records lie in the job
 * ring and the page's job queue says where; the worker reads them there,
 * and writes its answers into the done ring, saying where in the result
 * queue, or inline as a DONE when the ring has no room for them now. The
 * worker runs whatever is queued before it waits on the socket, and says
 * it is asleep in the job queue first, so that the supervisor knows to
 * send a WAKE: while jobs keep coming, they cost no system call.
 *
 * A plain socket, not ZeroMQ: a worker talks to one peer only, and a
 * stream needs no I/O thread in either process, so a batch costs at most one
 * write and one wake-up each way instead of a hand-over between four
 * threads.
 *
 * Noticing that the supervisor is gone
 * ------------------------------------
 * A worker must not outlive its supervisor. Two signals are watched, and
 * the poll wakes at least once a second (POLL_MS) to look at them:
 *   - The parent process: the supervisor starts its workers itself, so
 *     when it dies the worker is re-parented and getppid() changes. This
 *     covers every way the supervisor can die, kill -9 included.
 *   - The connection: the socket reads as ended as soon as the supervisor's
 *     end is closed (it closed it, or its process died).
 * Both are looked at only between jobs. A job that never ends (a Lua stage
 * in an endless loop) is ended by the supervisor's deadline, which needs a
 * supervisor; so on Linux the worker also asks the kernel to kill it when
 * its parent dies (PR_SET_PDEATHSIG), and no worker can be left spinning.
 * Sends wait in the same one-second slices, so a DONE for a supervisor
 * that has gone never blocks forever, and they never raise SIGPIPE.
 */
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "config.h"
#include "gloss/doc.h"
#include "json_out.h"
#include "pipeline.h"
#include "routes.h"
#include "wire.h"

/* How often, at the least, the worker looks for its supervisor. */
#define POLL_MS 1000

typedef struct worker {
    const char *identity;
    pid_t parent;            /* the supervisor, as seen at the start */
    int fd;                  /* the stream socket to the supervisor */
    int gone;                /* the supervisor went away */
    gloss__config *cfg;
    gloss__pipeline *pipeline;
    gloss__json_opts json;
    gloss__buf topics;       /* its topics, one per line, reused */
    gloss__buf stages;       /* what each stage cost it, reused */
    gloss__buf done;         /* the DONE records not yet sent, reused */
    gloss__buf in;           /* what was read and not yet taken, reused */
    size_t in_used;          /* the front of `in` that the last message holds */
    gloss__wire_progress *progress; /* shared with the supervisor, or NULL */
    size_t shared_size;      /* of the mapping progress begins */
    gloss__wire_rings rings; /* after the page (wire.h), or empty */
    uint64_t done_head;      /* where the next result block may go */
} worker;

__attribute__((format(printf, 2, 3)))
static void say(const worker *w, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "glossd worker %s: %s\n", w->identity, line);
}

/* Writes the verb of m, printable and shortened, for messages: a malformed
 * message may carry anything in its first frame. */
static void describe_verb(const gloss__wire_msg *m, char *out, size_t outlen)
{
    if (m->nframes == 0 || m->len[0] == 0) {
        snprintf(out, outlen, "(empty)");
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < m->len[0] && n + 4 < outlen && i < 32; i++) {
        unsigned char c = (unsigned char)m->frame[0][i];
        out[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (m->len[0] > 32 && n + 4 < outlen) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

static void ignore_message(const worker *w, const gloss__wire_msg *m,
                           const char *why)
{
    char verb[48];
    describe_verb(m, verb, sizeof verb);
    say(w, "ignored a message from the supervisor: %s with %zu frame%s (%s)",
        verb, m->nframes, m->nframes == 1 ? "" : "s", why);
}

/* Returns 1 (and says why, once) when the supervisor is gone. */
static int supervisor_gone(worker *w)
{
    if (w->gone)
        return 1;
    if (getppid() != w->parent) {
        say(w, "the supervisor (pid %ld) is gone; exiting", (long)w->parent);
        w->gone = 1;
    }
    return w->gone;
}

static void connection_closed(worker *w)
{
    if (!w->gone)
        say(w, "the supervisor closed the connection; exiting");
    w->gone = 1;
}

/* Waits up to POLL_MS for the socket to be ready for events. Returns 0,
 * or -1 (the reason was said). */
static int wait_socket(worker *w, short events)
{
    if (w->gone)
        return -1;
    struct pollfd p = {w->fd, events, 0};
    int n = poll(&p, 1, POLL_MS);
    if (n < 0 && errno != EINTR) {
        say(w, "cannot wait for the supervisor: %s", strerror(errno));
        return -1;
    }
    /* The parent is looked at when a wait ends with nothing to do (once a
     * second while idle), not before every wait: a busy worker waits once
     * per batch, and a supervisor that died closed its end, which ends the
     * wait at once. */
    if (n == 0 && supervisor_gone(w))
        return -1;
    return 0;
}

/* How much a read asks for beyond what the message being read needs:
 * what the supervisor wrote after it (its next batch, a STOP) comes in
 * with the same system call instead of one read for each head and body. */
#define READ_AHEAD 65536

/* The supervisor's job queue in the shared page (wire.h), or NULL when
 * there are no rings. */
static gloss__wire_queue *job_queue(const worker *w)
{
    return w->rings.job_size ? &w->progress->jobs : NULL;
}

/* What fill() and next_message() return when jobs wait in the queue
 * (only when asked to look: jobs_ok). */
#define QUEUED 2

/* Reads until w->in holds at least need bytes, taking with them whatever
 * else the socket has, up to READ_AHEAD bytes more. Before it waits for
 * the socket, it says it is asleep in the job queue, if jobs_ok, and
 * returns QUEUED instead of waiting when jobs are there. Returns 1, 0 when
 * the supervisor closed the connection, QUEUED, or -1 (the reason was
 * said). */
static int fill(worker *w, size_t need, int jobs_ok)
{
    if (w->in.len >= need)
        return 1;
    if (gloss__buf_reserve(&w->in, need - w->in.len + READ_AHEAD) < 0) {
        say(w, "out of memory reading a message of %zu bytes", need);
        return -1;
    }
    while (w->in.len < need) {
        ssize_t n = read(w->fd, w->in.data + w->in.len,
                         w->in.cap - 1 - w->in.len);
        if (n > 0) {
            w->in.len += (size_t)n;
            continue;
        }
        if (n == 0) {
            connection_closed(w);
            return 0;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            if (errno == ECONNRESET) {
                connection_closed(w);
                return 0;
            }
            say(w, "cannot receive: %s", strerror(errno));
            return -1;
        }
        gloss__wire_queue *q = jobs_ok ? job_queue(w) : NULL;
        if (q && !gloss__wire_queue_sleep(q))
            return QUEUED;
        int rc = wait_socket(w, POLLIN);
        if (q)
            gloss__wire_queue_awake(q);
        if (rc < 0)
            return -1;
    }
    w->in.data[w->in.len] = '\0';
    return 1;
}

/* Drops the first n bytes of w->in: what follows moves to the front. */
static void take(worker *w, size_t n)
{
    memmove(w->in.data, w->in.data + n, w->in.len - n);
    w->in.len -= n;
    w->in.data[w->in.len] = '\0';
}

/* Waits for the next message from the supervisor. Returns 0 with *m, whose
 * frames stay valid until the next call (they lie in w->in, which is
 * reused so that a large batch does not cost fresh pages every time),
 * QUEUED when jobs wait in the queue instead (only if jobs_ok), or -1
 * when the worker must end (the reason was said). */
static int next_message(worker *w, gloss__wire_msg *m, int jobs_ok)
{
    /* The message returned last is done with now. */
    if (w->in_used) {
        take(w, w->in_used);
        w->in_used = 0;
    }
    for (;;) {
        uint64_t body;
        int rc = fill(w, GLOSS__WIRE_HEAD, jobs_ok);
        if (rc != 1)
            return rc == QUEUED ? QUEUED : -1;
        if (gloss__wire_body(w->in.data, &body) < 0) {
            say(w, "the supervisor sent a message too large to be one of "
                   "the protocol");
            return -1;
        }
        size_t size = GLOSS__WIRE_HEAD + (size_t)body;
        rc = fill(w, size, jobs_ok);
        if (rc != 1)
            return rc == QUEUED ? QUEUED : -1;
        size_t used;
        if (gloss__wire_unpack(w->in.data, size, m, &used) == 1) {
            w->in_used = size;
            return 0;
        }
        if (errno == EPROTO)
            say(w, "ignored a message from the supervisor with more than %d "
                   "frames", GLOSS__WIRE_MAX_FRAMES);
        else
            say(w, "ignored a message from the supervisor whose frames do "
                   "not fill it");
        take(w, size);
    }
}

/* Sends one message, waiting as long as the supervisor is there to take
 * it. Returns 0, or -1 (the reason was said). The frames are written from
 * where they lie, behind the head and their lengths. */
static int send_msg(worker *w, size_t n, const void *const *data,
                    const size_t *len)
{
    if (n > GLOSS__WIRE_MAX_FRAMES) {
        say(w, "cannot send a message of %zu frames", n);
        return -1;
    }
    char head[GLOSS__WIRE_HEAD];
    uint64_t lens[GLOSS__WIRE_MAX_FRAMES];
    struct iovec iov[1 + 2 * GLOSS__WIRE_MAX_FRAMES];
    /* The head and the lengths are written here (the layout of
     * gloss__wire_pack); the frames' bytes go out from their own
     * buffers, so a large DONE is never copied into a message. */
    gloss__wire_put_head(head, gloss__wire_packed_size(n, len) - GLOSS__WIRE_HEAD,
                         (uint32_t)n);
    int cnt = 0;
    iov[cnt++] = (struct iovec){head, sizeof head};
    for (size_t i = 0; i < n; i++) {
        lens[i] = len[i];
        iov[cnt++] = (struct iovec){&lens[i], 8};
        if (len[i])
            iov[cnt++] = (struct iovec){(void *)data[i], len[i]};
    }
    struct iovec *v = iov;
    while (cnt > 0) {
        struct msghdr mh = {.msg_iov = v, .msg_iovlen = (size_t)cnt};
        ssize_t sent = sendmsg(w->fd, &mh, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EPIPE || errno == ECONNRESET) {
                connection_closed(w);
                return -1;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                say(w, "cannot send: %s", strerror(errno));
                return -1;
            }
            if (wait_socket(w, POLLOUT) < 0)
                return -1;
            continue;
        }
        /* Skips what went out, part of an iovec included. */
        size_t left = (size_t)sent;
        while (cnt > 0 && left >= v->iov_len) {
            left -= v->iov_len;
            v++;
            cnt--;
        }
        if (cnt > 0) {
            v->iov_base = (char *)v->iov_base + left;
            v->iov_len -= left;
        }
    }
    return 0;
}

static int send_words(worker *w, const char *verb, const char *arg)
{
    const void *data[2] = {verb, arg};
    size_t len[2] = {strlen(verb), strlen(arg)};
    return send_msg(w, 2, data, len);
}

static int open_socket(worker *w)
{
    int flags = fcntl(w->fd, F_GETFL);
    if (flags < 0 || fcntl(w->fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        say(w, "descriptor %d is not the supervisor's socket: %s", w->fd,
            strerror(errno));
        return -1;
    }
    return 0;
}

/* Builds the configuration and the pipeline from a CONFIG message. Returns
 * 0, or -1 after sending FATAL (or failing to). */
static int configure(worker *w, const gloss__wire_msg *m)
{
    char err[4096] = "";
    char *name = gloss__wire_dup(m, 1);
    char *dir = gloss__wire_dup(m, 2);
    if (!name || !dir) {
        snprintf(err, sizeof err, "out of memory");
    } else {
        w->cfg = gloss__config_load_string(m->frame[3], m->len[3], name,
                                           *dir ? dir : NULL, err, sizeof err);
        if (w->cfg)
            w->pipeline = gloss__pipeline_new(w->cfg, err, sizeof err);
    }
    free(name);
    free(dir);
    if (w->pipeline) {
        w->json.offsets = w->cfg->offsets;
        w->json.text = w->cfg->output_text;
        w->json.original = w->cfg->output_original;
        w->json.timings = 1;
        w->json.pretty = 0;
        return 0;
    }
    say(w, "%s", err);
    send_words(w, "FATAL", err);
    return -1;
}

/* Makes the document of a job record. On a problem with the job itself
 * (its meta, its size) it returns a document that carries the error
 * instead, with *failed set; NULL only when memory ran out. The record's
 * fields are NUL-terminated where they lie (wire.h). */
static gloss_doc *make_doc(const gloss__wire_rec *r, int *failed)
{
    *failed = 0;
    const char *id = r->field[0], *source = r->field[1], *meta = r->field[2];
    /* "{}", what the supervisor sends for a document without meta, is what
     * a new document has already: it is not parsed. */
    int has_meta = r->len[2] && !(r->len[2] == 2 && memcmp(meta, "{}", 2) == 0);
    gloss_doc *doc = gloss_doc_new(id, source, r->field[3], r->len[3]);
    if (!doc) {
        const char *why = errno == EFBIG ? "document larger than 4 GiB"
                                         : "out of memory";
        if ((doc = gloss_doc_new(id, source, "", 0))) {
            gloss_doc_add_error(doc, "worker", "%s", why);
            *failed = 1;
        }
    } else if (has_meta && gloss_doc_meta_set_json(doc, NULL, meta) < 0) {
        gloss_doc_add_error(doc, "worker", "meta is not a JSON object");
        *failed = 1;
    }
    return doc;
}

/* Copies the DONE records gathered so far into the done ring and says
 * where: in the result queue, or with a DONE@. Returns 0, 1 when they do
 * not fit in the ring now (nothing was sent), or -1. */
static int flush_done_ring(worker *w)
{
    uint64_t tail = atomic_load_explicit(&w->progress->done_tail,
                                         memory_order_acquire);
    uint64_t pos = gloss__wire_ring_place(w->done_head, tail,
                                          w->rings.done_size, w->done.len);
    if (pos == UINT64_MAX)
        return 1;
    memcpy(w->rings.done + pos % w->rings.done_size, w->done.data,
           w->done.len);
    gloss__wire_ref ref = {pos, w->done.len};
    w->done_head = pos + w->done.len;
    /* Queued, the reference costs nothing while the supervisor is awake;
     * it is woken when it is asleep, and told in a DONE@ when the queue is
     * full (wire.h). */
    int queued = gloss__wire_queue_push(&w->progress->done, &ref);
    if (queued == 0)
        return 0;
    if (queued > 0) {
        const void *wake[1] = {"WAKE"};
        size_t wake_len[1] = {4};
        return send_msg(w, 1, wake, wake_len);
    }
    const void *data[2] = {"DONE@", &ref};
    size_t len[2] = {5, sizeof ref};
    return send_msg(w, 2, data, len);
}

/* Sends the DONE records gathered so far, if any: through the done ring
 * when they fit there, else inline. Returns 0, or -1. */
static int flush_done(worker *w)
{
    if (w->done.len == 0)
        return 0;
    int rc = w->rings.done_size ? flush_done_ring(w) : 1;
    if (rc > 0) {
        const void *data[2] = {"DONE", w->done.data};
        size_t len[2] = {4, w->done.len};
        rc = send_msg(w, 2, data, len);
    }
    gloss__buf_clear(&w->done);
    return rc;
}

static void set_progress(worker *w, uint64_t job)
{
    if (!w->progress)
        return;
    if (job)
        atomic_store_explicit(&w->progress->started_ns, gloss__now_ns(),
                              memory_order_relaxed);
    atomic_store_explicit(&w->progress->job, job, memory_order_release);
}

/* Appends a field of a record being built in b (wire.h): its length, its
 * bytes and a NUL. */
static void add_field(gloss__buf *b, const gloss__buf *field)
{
    if (gloss__buf_reserve(b, GLOSS__WIRE_FIELD_HEAD + field->len + 1) < 0)
        return;
    b->len += gloss__wire_field_put(b->data + b->len, field->data, field->len);
    b->data[b->len] = '\0';
}

/* Runs one job and adds its DONE record to w->done. The document's JSON,
 * most of a record's bytes, is written where the record holds it, after
 * room for the record's head and the field's length, which are filled in
 * once it is known: so a result is copied once less on its way out.
 * Returns 0, or -1 when the worker cannot go on (out of memory). */
static int run_job(worker *w, const gloss__wire_rec *job)
{
    set_progress(w, job->job);
    int failed;
    gloss_doc *doc = make_doc(job, &failed);
    if (!doc) {
        say(w, "out of memory reading job %llu", (unsigned long long)job->job);
        return -1;
    }
    gloss__doc_status st = GLOSS__DOC_FAILED;
    if (!failed)
        gloss__pipeline_run(w->pipeline, &doc, 1, &st);
    size_t start = w->done.len;
    size_t json_at = start + GLOSS__WIRE_REC_HEAD + GLOSS__WIRE_FIELD_HEAD;
    int rc = gloss__buf_reserve(&w->done, json_at - start);
    if (rc == 0) {
        w->done.len = json_at;
        rc = gloss__doc_to_json(doc, &w->json, &w->done);
    }
    size_t json_len = rc == 0 ? w->done.len - json_at : 0;
    gloss__buf_addc(&w->done, '\0');
    gloss__routes_topics(w->cfg, doc, st, &w->topics);
    gloss__routes_stage_report(doc, &w->stages);
    gloss_doc_destroy(&doc);
    set_progress(w, 0);
    add_field(&w->done, &w->topics);
    add_field(&w->done, &w->stages);
    if (rc < 0 || w->done.oom || w->topics.oom || w->stages.oom) {
        say(w, "out of memory writing job %llu", (unsigned long long)job->job);
        return -1;
    }
    uint32_t status = st == GLOSS__DOC_OK        ? GLOSS__WIRE_OK
                      : st == GLOSS__DOC_DROPPED ? GLOSS__WIRE_DROPPED
                                                 : GLOSS__WIRE_FAILED;
    gloss__wire_rec_put_head(w->done.data + start, job->job, status, 3);
    gloss__wire_field_put_len(w->done.data + start + GLOSS__WIRE_REC_HEAD,
                              json_len);
    return 0;
}

/* Runs the job records in [p, end) and answers them. Returns 0, 1 when
 * the bytes are not all well-formed records (the jobs before were run),
 * or -1 when the worker cannot go on (out of memory, or the supervisor is
 * gone). */
static int run_records(worker *w, const char *p, const char *end)
{
    gloss__wire_rec job;
    int rc;
    while ((rc = gloss__wire_rec_next(&p, end, 4, &job)) == 1) {
        if (run_job(w, &job) < 0)
            return -1;
        if (!w->progress && flush_done(w) < 0)
            return -1;
    }
    if (flush_done(w) < 0)
        return -1;
    return rc < 0 ? 1 : 0;
}

/* Runs the jobs of a JOB message (records in its frame) or a JOB@ (in the
 * job ring). Returns 0, or -1 when the worker cannot go on. */
static int run_jobs(worker *w, const gloss__wire_msg *m)
{
    const char *p = m->frame[1], *end = p + m->len[1];
    if (gloss__wire_is(m, 0, "JOB@")) {
        gloss__wire_ref ref;
        p = gloss__wire_ref_block(m, w->rings.job, w->rings.job_size, &ref);
        if (!p) {
            ignore_message(w, m, "it refers to bytes outside the job ring");
            return 0;
        }
        end = p + ref.len;
    }
    int rc = run_records(w, p, end);
    if (rc > 0)
        ignore_message(w, m, "its jobs are not well-formed records");
    return rc < 0 ? -1 : 0;
}

/* Runs every batch queued in the job queue (wire.h). Returns 0, or -1
 * when the worker cannot go on (the reason was said). */
static int run_queued(worker *w)
{
    gloss__wire_queue *q = job_queue(w);
    gloss__wire_ref ref;
    int rc;
    while (q && (rc = gloss__wire_queue_take(q, &ref)) != 0) {
        if (rc < 0) {
            say(w, "the job queue's counters are wrong; stopping");
            return -1;
        }
        const char *p = gloss__wire_ring_at(w->rings.job, w->rings.job_size,
                                            ref.pos, ref.len);
        if (!p) {
            say(w, "ignored queued jobs outside the job ring");
            continue;
        }
        rc = run_records(w, p, p + ref.len);
        if (rc < 0)
            return -1;
        if (rc > 0)
            say(w, "ignored queued jobs that are not well-formed records");
    }
    return 0;
}

enum { STOPPED = 1 };

/* Waits for CONFIG. Returns 0 once configured, STOPPED when STOP came
 * first, or -1. */
static int await_config(worker *w)
{
    for (;;) {
        gloss__wire_msg m;
        if (next_message(w, &m, 0) < 0)
            return -1;
        int rc = -2;
        if (gloss__wire_is(&m, 0, "CONFIG") && m.nframes == 4)
            rc = configure(w, &m);
        else if (gloss__wire_is(&m, 0, "STOP") && m.nframes == 1)
            rc = STOPPED;
        else
            ignore_message(w, &m, "expected CONFIG");
        gloss__wire_msg_close(&m);
        if (rc != -2)
            return rc;
    }
}

/* Serves jobs until STOP (returns 0) or a failure (returns -1). Queued
 * batches are run before any message is handled, since the supervisor
 * queued them before it sent the message (wire.h). */
static int serve(worker *w)
{
    for (;;) {
        if (run_queued(w) < 0)
            return -1;
        gloss__wire_msg m;
        int got = next_message(w, &m, 1);
        if (got < 0)
            return -1;
        if (got == QUEUED)
            continue;
        int rc = 1;
        if (run_queued(w) < 0)
            rc = -1;
        else if ((gloss__wire_is(&m, 0, "JOB") && m.nframes == 2) ||
                 gloss__wire_is_ref(&m, "JOB@"))
            rc = run_jobs(w, &m) < 0 ? -1 : 1;
        else if (gloss__wire_is(&m, 0, "STOP") && m.nframes == 1)
            rc = 0;
        else if (!(gloss__wire_is(&m, 0, "WAKE") && m.nframes == 1))
            ignore_message(w, &m, "expected JOB, WAKE or STOP");
        gloss__wire_msg_close(&m);
        if (rc <= 0)
            return rc;
    }
}

/* Maps the shared area the supervisor handed over as descriptor fd: its
 * progress page, and its rings when it says it has them and is large
 * enough for them. Leaves w->progress NULL (no page) when fd is -1 or is
 * not such an area. */
static void map_progress(worker *w, int fd)
{
    struct stat st;
    if (fd < 0)
        return;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (size_t)st.st_size < sizeof(gloss__wire_progress)) {
        say(w, "descriptor %d is not a progress page; answering job by job", fd);
        close(fd);
        return;
    }
    size_t size = (size_t)st.st_size;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return;
    w->progress = p;
    w->shared_size = size;
    gloss__wire_area_rings(p, size, &w->rings);
}

int gloss__worker_main(int fd, const char *identity, unsigned generation,
                       unsigned credit, int progress_fd)
{
    worker w = {.identity = identity, .parent = getppid(), .fd = fd,
                .topics = GLOSS__BUF_INIT,
                .stages = GLOSS__BUF_INIT, .done = GLOSS__BUF_INIT,
                .in = GLOSS__BUF_INIT};
    int status = 1;
    char num[24];
#ifdef __linux__
    /* The supervisor starts its workers from its loop thread, which lives
     * as long as the process, so the signal comes when the process dies. */
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    map_progress(&w, progress_fd);
    if (open_socket(&w) < 0)
        goto out;
    snprintf(num, sizeof num, "%u", generation);
    if (send_words(&w, "HELLO", num) < 0)
        goto out;
    int rc = await_config(&w);
    if (rc == STOPPED)
        status = 0;
    if (rc != 0)
        goto out;
    snprintf(num, sizeof num, "%u", credit ? credit : 1);
    if (send_words(&w, "READY", num) < 0)
        goto out;
    if (serve(&w) == 0)
        status = 0;
out:
    close(w.fd);
    gloss__buf_free(&w.topics);
    gloss__buf_free(&w.stages);
    gloss__buf_free(&w.done);
    gloss__buf_free(&w.in);
    if (w.progress)
        munmap(w.progress, w.shared_size);
    gloss__pipeline_destroy(&w.pipeline);
    gloss__config_destroy(&w.cfg);
    return status;
}
