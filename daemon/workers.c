/*
 * workers.c - the supervisor's worker processes: starting them, what they
 * say on their streams, and what happens when one dies or overruns.
 *
 * A worker is this same program started as `glossd --worker ...`, with one
 * end of a socketpair as its descriptor 3 (libuv makes the pair; the
 * supervisor reads its end with a uv_pipe_t and writes with uv_try_write,
 * queueing with uv_write only what the socket cannot take at once). It
 * says HELLO, is sent its generation's configuration, says READY with its
 * credit, and then answers each JOB with DONE. Its death is seen by libuv's exit
 * callback: every job it held goes back to the front of the queue, once;
 * a job whose worker dies a second time is published on error.worker.
 * The document that overran its deadline is published on error.deadline
 * (its worker was killed for it), and the other jobs of that worker go back
 * to the queue without counting against them.
 *
 * When a worker's exit is seen, what it wrote before it ended is read
 * first, so that a DONE it sent just before stopping counts as done and its
 * job is not run again.
 *
 * Each worker shares an area with the supervisor (daemon/area.h): two
 * rings through which its jobs and results travel, and a progress page
 * (daemon/wire.h):
 * a worker answers a batch of jobs with one DONE, and the page says which
 * of them it is running, so that a deadline kill blames that document and
 * not one whose result was merely waiting to be sent with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "area.h"
#include "clock.h"
#include "supervisor.h"
#include "wire.h"

/* A worker that dies this soon after starting, twice in a row, is not
 * restarted at once: a configuration that crashes its workers must not
 * turn the supervisor into a fork loop. */
#define RESPAWN_DELAY_MS 1000

/* ---- what workers send ----------------------------------------------------
 *
 * What is read from a worker goes into an inbuf, and the documents in it
 * are published from where they lie (gloss__sup_publish_inplace): ZeroMQ's
 * I/O thread sends them from there and releases them when it is done, so
 * the buffer is counted. The reader holds one reference; each published
 * message one more. A buffer that only the reader holds is reused (what is
 * left of a message moves to its front); one that messages still point
 * into is left to them, and reading goes on in a new one. The last
 * release of a buffer of the usual size keeps it as the supervisor's
 * spare (one at most), which the next new buffer is, so that reading
 * does not allocate and fault in fresh memory every time. */
struct gloss__inbuf {
    _Atomic size_t refs;
    gloss__sup *sup;          /* its inbuf_bytes and spare_inbuf */
    size_t cap;
    char data[];
};

/* Above this many bytes of buffers still allocated, results are published
 * as copies: a subscriber that is slow to read a rare topic could otherwise
 * make the supervisor keep a whole buffer for each message queued for it. */
#define INBUF_PUBLISH_MAX ((size_t)64 << 20)

/* The size of a new buffer, unless a message needs more. */
#define READ_SIZE 65536

/* A buffer of at least cap bytes: READ_SIZE (the spare one when there is
 * one) unless more is needed. */
static gloss__inbuf *inbuf_new(gloss__sup *sup, size_t cap)
{
    if (cap <= READ_SIZE) {
        gloss__inbuf *spare = atomic_exchange_explicit(&sup->spare_inbuf, NULL,
                                                       memory_order_acquire);
        if (spare) {
            atomic_store_explicit(&spare->refs, 1, memory_order_relaxed);
            return spare;
        }
        cap = READ_SIZE;
    }
    gloss__inbuf *b = malloc(sizeof(*b) + cap);
    if (b) {
        atomic_init(&b->refs, 1);
        b->sup = sup;
        b->cap = cap;
        atomic_fetch_add_explicit(&sup->inbuf_bytes, cap, memory_order_relaxed);
    }
    return b;
}

static void inbuf_hold(void *hint)
{
    gloss__inbuf *b = hint;
    atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
}

/* Drops a reference (a zmq_free_fn: ZeroMQ calls it from its I/O thread).
 * The last one frees the buffer; acquire-release, so that the thread that
 * frees it sees every use of it done. */
static void inbuf_release(void *data, void *hint)
{
    gloss__inbuf *b = hint;
    (void)data;
    if (!b || atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1)
        return;
    gloss__inbuf *none = NULL;
    if (b->cap == READ_SIZE &&
        atomic_compare_exchange_strong_explicit(&b->sup->spare_inbuf, &none, b,
                                                memory_order_release,
                                                memory_order_relaxed))
        return;
    atomic_fetch_sub_explicit(&b->sup->inbuf_bytes, b->cap, memory_order_relaxed);
    free(b);
}

static int inbuf_shared(gloss__inbuf *b)
{
    return atomic_load_explicit(&b->refs, memory_order_acquire) > 1;
}

/* A worker's process and pipe handles carry the worker: it is freed when
 * both are closed. */
static void on_closed(uv_handle_t *h)
{
    gloss__worker *w = h->data;
    if (--w->handles > 0)
        return;
    gloss__area_release(w->area);
    inbuf_release(NULL, w->in);
    free(w);
}

static void close_worker(gloss__worker *w)
{
    uv_close((uv_handle_t *)&w->proc, on_closed);
    uv_close((uv_handle_t *)&w->pipe, on_closed);
}

/* ---- writing to a worker ------------------------------------------------ */

gloss__outmsg *gloss__outmsg_new(size_t n, const void *const *data,
                                 const size_t *len, char **last)
{
    size_t size = gloss__wire_packed_size(n, len);
    gloss__outmsg *m = malloc(sizeof(*m) + size);
    if (!m)
        return NULL;
    m->size = gloss__wire_pack(m->data, n, data, len);
    if (last)
        *last = m->data + m->size - len[n - 1];
    return m;
}

static void on_written(uv_write_t *req, int status)
{
    /* A failed write means the worker is gone; its exit, seen by libuv,
     * takes care of its jobs. */
    (void)status;
    free(req->data);
}

/*
 * Writes bufs to w's stream; owner (a malloc'd block holding req) is freed
 * once nothing needs it any more. Most messages go out at once with
 * uv_try_write, which costs one system call and nothing else; only what
 * the socket cannot take now is queued with uv_write. (A uv_write that
 * completes at once still costs its callback a loop iteration later and,
 * with libuv 1.44, an epoll_ctl for every message.) Returns 0, or -1 when
 * the worker's stream is gone.
 */
static int write_bufs(gloss__worker *w, void *owner, uv_write_t *req,
                      uv_buf_t *bufs, unsigned nbufs)
{
    uv_stream_t *s = (uv_stream_t *)&w->pipe;
    if (w->exited || uv_is_closing((uv_handle_t *)&w->pipe)) {
        free(owner);
        return -1;
    }
    int n = uv_try_write(s, bufs, nbufs);
    if (n < 0 && n != UV_EAGAIN) {
        free(owner);
        return -1;
    }
    /* Skips what went out, part of a buffer included. */
    size_t left = n > 0 ? (size_t)n : 0;
    while (nbufs > 0 && left >= bufs->len) {
        left -= bufs->len;
        bufs++;
        nbufs--;
    }
    if (nbufs == 0) {
        free(owner);
        return 0;
    }
    bufs->base += left;
    bufs->len -= left;
    req->data = owner;
    if (uv_write(req, s, bufs, nbufs, on_written) != 0) {
        free(owner);
        return -1;
    }
    return 0;
}

int gloss__worker_write(gloss__worker *w, gloss__outmsg *msg)
{
    uv_buf_t b = uv_buf_init(msg->data, (unsigned)msg->size);
    return write_bufs(w, msg, &msg->req, &b, 1);
}

/* A JOB message whose large fields are written from where they lie. */
typedef struct jobs_msg {
    uv_write_t req;
    unsigned nbufs;
    uv_buf_t bufs[]; /* then the bytes the message itself holds */
} jobs_msg;

/* Fields this long or longer are not copied into the message. */
#define REF_MIN 4096

static int by_ref(const gloss__wire_rec *r, size_t i)
{
    return r->len[i] >= REF_MIN;
}

/* Appends n bytes to the message's own bytes at *p, extending the last
 * buffer when it ends there. */
static void add_own(jobs_msg *m, char **p, const void *data, size_t n)
{
    uv_buf_t *last = m->nbufs ? &m->bufs[m->nbufs - 1] : NULL;
    if (!last || last->base + last->len != *p)
        m->bufs[m->nbufs++] = uv_buf_init(*p, 0);
    memcpy(*p, data, n);
    *p += n;
    m->bufs[m->nbufs - 1].len += n;
}

static int write_words(gloss__worker *w, size_t n, const char *const *words);

/* The job ring is free before the mark of the oldest job w holds: the
 * worker has answered every job sent before that one's batch. */
static uint64_t job_tail(const gloss__worker *w)
{
    return w->jobs.head ? w->jobs.head->ring_mark : w->job_head;
}

/* Writes the records into w's job ring and tells w where. Returns 0, 1
 * when they do not fit in the ring now (nothing was sent), or -1. */
static int write_jobs_ring(gloss__worker *w, const gloss__wire_rec *recs,
                           size_t n, uint64_t *mark)
{
    gloss__area *a = w->area;
    size_t frame = 0;
    for (size_t i = 0; i < n; i++)
        frame += gloss__wire_rec_size(&recs[i]);
    uint64_t pos = gloss__wire_ring_place(w->job_head, job_tail(w),
                                          a->rings.job_size, frame);
    if (pos == UINT64_MAX)
        return 1;
    char *p = a->rings.job + pos % a->rings.job_size;
    for (size_t i = 0; i < n; i++)
        p += gloss__wire_rec_put(p, &recs[i]);
    gloss__wire_ref ref = {pos, frame};
    /* Queued, the reference costs nothing while the worker is busy; it
     * is woken when it is asleep, and told in a JOB@ when the queue is
     * full (wire.h). */
    int queued = gloss__wire_queue_push(&a->progress->jobs, &ref);
    if (queued == 1) {
        static const char *const wake[1] = {"WAKE"};
        if (write_words(w, 1, wake) < 0)
            return -1;
        w->sup->stats.wakes_to_workers++;
    } else if (queued < 0) {
        const void *data[2] = {"JOB@", &ref};
        size_t len[2] = {4, sizeof ref};
        gloss__outmsg *m = gloss__outmsg_new(2, data, len, NULL);
        if (!m || gloss__worker_write(w, m) < 0)
            return -1;
    }
    w->job_head = pos + frame;
    *mark = pos;
    w->sup->stats.jobs_shared++;
    return 0;
}

/* Sends the records inline, as one JOB message. Returns 0, or -1. */
static int write_jobs_inline(gloss__worker *w, const gloss__wire_rec *recs,
                             size_t n)
{
    size_t frame = 0, own = GLOSS__WIRE_HEAD + 8 + 3 + 8, refs = 0;
    for (size_t i = 0; i < n; i++) {
        size_t size = gloss__wire_rec_size(&recs[i]);
        frame += size;
        own += size;
        for (size_t f = 0; f < recs[i].nfields; f++)
            if (by_ref(&recs[i], f)) {
                own -= recs[i].len[f];
                refs++;
            }
    }
    /* The NUL after a field written from where it lies is the message's
     * own byte: the field's next byte may be anything, or not there. */
    size_t max_bufs = 1 + 2 * refs;
    jobs_msg *m = malloc(sizeof(*m) + max_bufs * sizeof(uv_buf_t) + own);
    if (!m)
        return -1;
    m->nbufs = 0;
    char *p = (char *)(m->bufs + max_bufs);
    /* The stream head and the frames' lengths, as gloss__wire_pack lays
     * them out, then the records of wire.h. */
    char head[GLOSS__WIRE_HEAD];
    uint64_t three = 3, len64 = frame;
    gloss__wire_put_head(head, 8 + 3 + 8 + frame, 2);
    add_own(m, &p, head, sizeof head);
    add_own(m, &p, &three, 8);
    add_own(m, &p, "JOB", 3);
    add_own(m, &p, &len64, 8);
    for (size_t i = 0; i < n; i++) {
        const gloss__wire_rec *r = &recs[i];
        uint32_t nf = (uint32_t)r->nfields;
        add_own(m, &p, &r->job, 8);
        add_own(m, &p, &r->status, 4);
        add_own(m, &p, &nf, 4);
        for (size_t f = 0; f < r->nfields; f++) {
            uint64_t l = r->len[f];
            add_own(m, &p, &l, 8);
            if (by_ref(r, f))
                m->bufs[m->nbufs++] =
                    uv_buf_init((char *)r->field[f], (unsigned)l);
            else
                add_own(m, &p, r->field[f], r->len[f]);
            add_own(m, &p, "", 1);
        }
    }
    int rc = write_bufs(w, m, &m->req, m->bufs, m->nbufs);
    if (rc == 0)
        w->sup->stats.jobs_socket++;
    return rc;
}

int gloss__worker_write_jobs(gloss__worker *w, const gloss__wire_rec *recs,
                             size_t n, uint64_t *mark)
{
    *mark = w->job_head;
    if (w->area && w->area->rings.job_size) {
        int rc = write_jobs_ring(w, recs, n, mark);
        if (rc <= 0)
            return rc;
    }
    return write_jobs_inline(w, recs, n);
}

/* Sends the NUL-terminated words as frames. */
static int write_words(gloss__worker *w, size_t n, const char *const *words)
{
    const void *data[GLOSS__WIRE_MAX_FRAMES];
    size_t len[GLOSS__WIRE_MAX_FRAMES];
    for (size_t i = 0; i < n; i++) {
        data[i] = words[i];
        len[i] = strlen(words[i]);
    }
    gloss__outmsg *m = gloss__outmsg_new(n, data, len, NULL);
    return m ? gloss__worker_write(w, m) : -1;
}


/* A respawn timer is its own allocation (its data is the supervisor). */
static void on_timer_closed(uv_handle_t *h)
{
    free(h);
}

static void unlink_worker(gloss__sup *sup, gloss__worker *w)
{
    for (gloss__worker **p = &sup->workers; *p; p = &(*p)->next) {
        if (*p == w) {
            *p = w->next;
            return;
        }
    }
}

size_t gloss__workers_alive(const gloss__sup *sup)
{
    size_t n = 0;
    for (gloss__worker *w = sup->workers; w; w = w->next)
        n += !w->exited;
    return n;
}

static size_t alive_in(const gloss__sup *sup, unsigned generation)
{
    size_t n = 0;
    for (gloss__worker *w = sup->workers; w; w = w->next)
        n += !w->exited && w->generation == generation;
    return n;
}

static int spawn_one(gloss__sup *sup, unsigned generation, char *err,
                     size_t errlen);
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void respawn_later(uv_timer_t *t)
{
    gloss__sup *sup = t->data;
    uv_close((uv_handle_t *)t, on_timer_closed);
    if (sup->draining)
        return;
    unsigned current = sup->generations->number;
    char err[512];
    while (alive_in(sup, current) < sup->workers_wanted)
        if (spawn_one(sup, current, err, sizeof err) < 0) {
            fprintf(stderr, "glossd: %s\n", err);
            break;
        }
}

static void requeue(gloss__sup *sup, gloss__job *job)
{
    job->worker = NULL;
    gloss__jobs_push_front(&sup->queue, job);
}

static void read_rest(gloss__worker *w);
static int take_done_queue(gloss__sup *sup, gloss__worker *w);

static void on_worker_exit(uv_process_t *proc, int64_t status, int signum)
{
    gloss__worker *w = proc->data;
    gloss__sup *sup = w->sup;
    w->exited = 1;
    read_rest(w);
    /* Results queued after its last message are results all the same:
     * their jobs must not be retried. */
    take_done_queue(sup, w);
    int asked = w->state == GLOSS__WORKER_STOPPING && w->jobs.n == 0;
    if (!asked && !w->deadline_job) {
        sup->stats.worker_deaths++;
        if (signum)
            fprintf(stderr, "glossd: worker %s was killed by signal %d\n",
                    w->identity, signum);
        else
            fprintf(stderr, "glossd: worker %s exited with status %lld\n",
                    w->identity, (long long)status);
    }

    char why[256];
    if (signum)
        snprintf(why, sizeof why, "signal %d", signum);
    else
        snprintf(why, sizeof why, "exit status %lld", (long long)status);
    /* Requeue from the back of the worker's list so that the jobs keep
     * their order at the front of the queue. */
    while (w->jobs.tail) {
        gloss__job *job = w->jobs.tail;
        gloss__jobs_remove(&w->jobs, job);
        if (w->deadline_job && job->number == w->deadline_job) {
            char msg[512];
            snprintf(msg, sizeof msg,
                     "the document was still being processed after the "
                     "deadline of %g s; its worker was stopped",
                     gloss__sup_config(sup)->daemon.deadline);
            gloss__sup_job_report(sup, job, "error.deadline", "deadline", msg);
        } else if (w->deadline_job) {
            requeue(sup, job);
        } else if (++job->attempts >= 2) {
            char msg[512];
            snprintf(msg, sizeof msg,
                     "a worker died twice while holding this document (last "
                     "time: %s)", why);
            gloss__sup_job_report(sup, job, "error.worker", "worker", msg);
        } else {
            sup->stats.retried++;
            requeue(sup, job);
        }
    }

    int early = w->state < GLOSS__WORKER_READY;
    unsigned generation = w->generation;
    unlink_worker(sup, w);
    close_worker(w);

    if (!sup->draining && generation == sup->generations->number &&
        alive_in(sup, generation) < sup->workers_wanted) {
        if (early) {
            uv_timer_t *t = malloc(sizeof(*t));
            if (t) {
                uv_timer_init(sup->loop, t);
                t->data = sup;
                uv_timer_start(t, respawn_later, RESPAWN_DELAY_MS, 0);
            }
        } else {
            char err[512];
            if (spawn_one(sup, generation, err, sizeof err) < 0)
                fprintf(stderr, "glossd: %s\n", err);
        }
    }
    gloss__sup_dispatch(sup);
    gloss__sup_maybe_finish(sup);
}

static int spawn_one(gloss__sup *sup, unsigned generation, char *err,
                     size_t errlen)
{
    gloss__worker *w = calloc(1, sizeof(*w));
    if (!w) {
        snprintf(err, errlen, "out of memory starting a worker");
        return -1;
    }
    w->sup = sup;
    w->generation = generation;
    w->slot = sup->next_slot++;
    snprintf(w->identity, sizeof w->identity, "w%u.%u", generation, w->slot);
    char gen[16], credit[16];
    snprintf(gen, sizeof gen, "%u", generation);
    snprintf(credit, sizeof credit, "%u", gloss__sup_config(sup)->daemon.credit);
    /* The socketpair becomes the worker's descriptor 3, the progress
     * page its descriptor 4. */
    int progress_fd = -1;
    w->area = gloss__area_new(sup->run_dir, &progress_fd);
    if (w->area)
        w->progress = w->area->progress;
    char *args[] = {(char *)sup->exe, "--worker", "3", w->identity, gen,
                    credit, progress_fd >= 0 ? "4" : NULL, NULL};
    uv_pipe_init(sup->loop, &w->pipe, 0);
    w->pipe.data = w;
    uv_stdio_container_t stdio[5] = {
        {.flags = UV_IGNORE},
        {.flags = UV_IGNORE},
        {.flags = UV_INHERIT_FD, .data.fd = 2},
        {.flags = UV_CREATE_PIPE | UV_READABLE_PIPE | UV_WRITABLE_PIPE,
         .data.stream = (uv_stream_t *)&w->pipe},
        {.flags = UV_INHERIT_FD, .data.fd = progress_fd},
    };
    uv_process_options_t opts = {
        .exit_cb = on_worker_exit,
        .file = sup->exe,
        .args = args,
        .stdio_count = progress_fd >= 0 ? 5 : 4,
        .stdio = stdio,
    };
    w->proc.data = w;
    w->handles = 2;
    int rc = uv_spawn(sup->loop, &w->proc, &opts);
    if (progress_fd >= 0)
        close(progress_fd);
    if (rc == 0)
        rc = uv_read_start((uv_stream_t *)&w->pipe, on_alloc, on_read);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start a worker (%s): %s", sup->exe,
                 uv_strerror(rc));
        if (uv_is_active((uv_handle_t *)&w->proc))
            uv_process_kill(&w->proc, SIGKILL);
        close_worker(w);
        return -1;
    }
    w->next = sup->workers;
    sup->workers = w;
    sup->stats.worker_starts++;
    return 0;
}

int gloss__workers_spawn(gloss__sup *sup, unsigned generation, char *err,
                         size_t errlen)
{
    for (unsigned i = 0; i < sup->workers_wanted; i++)
        if (spawn_one(sup, generation, err, errlen) < 0)
            return -1;
    return 0;
}

static gloss__config *config_of(gloss__sup *sup, unsigned generation)
{
    for (gloss__generation *g = sup->generations; g; g = g->next)
        if (g->number == generation)
            return g->cfg;
    return NULL;
}

static void send_stop(gloss__worker *w)
{
    static const char *const stop[1] = {"STOP"};
    w->state = GLOSS__WORKER_STOPPING;
    w->credit = 0;
    write_words(w, 1, stop);
}

static void on_hello(gloss__sup *sup, gloss__worker *w)
{
    gloss__config *cfg = config_of(sup, w->generation);
    if (!cfg || sup->stopping) {
        send_stop(w);
        return;
    }
    const void *frames[4] = {"CONFIG", cfg->path, cfg->dir, cfg->source};
    size_t lens[4] = {6, strlen(cfg->path), strlen(cfg->dir), cfg->source_len};
    gloss__outmsg *m = gloss__outmsg_new(4, frames, lens, NULL);
    if (m && gloss__worker_write(w, m) == 0)
        w->state = GLOSS__WORKER_CONFIGURING;
}

/* The bytes of a DONE record before its JSON field (wire.h): job, status,
 * nfields and the field's length. They have been read by then, so the
 * head of the published message can be written over them. */
#define REC_ROOM (8 + 4 + 4 + 8)

/* Where a record's JSON lies, for publishing it in place: a buffer read
 * from the worker's socket, or a block of its done ring. */
typedef struct rec_home {
    gloss__inbuf *in;         /* or NULL */
    gloss__area_block *block; /* or NULL */
} rec_home;

/* Publishes r's JSON on topic from where it lies (rec_home), when that is
 * allowed; returns 0 when it did. */
static int publish_in_place(gloss__sup *sup, const char *topic,
                            const gloss__wire_rec *r, const rec_home *home)
{
    char *json = (char *)r->field[0];
    if (home->block)
        return gloss__sup_publish_inplace(sup, topic, json, r->len[0], REC_ROOM,
                                          gloss__area_block_release,
                                          gloss__area_block_hold, home->block);
    if (!home->in || (size_t)(json - home->in->data) < REC_ROOM ||
        atomic_load_explicit(&sup->inbuf_bytes, memory_order_relaxed) >
            INBUF_PUBLISH_MAX)
        return -1;
    return gloss__sup_publish_inplace(sup, topic, json, r->len[0], REC_ROOM,
                                      inbuf_release, inbuf_hold, home->in);
}

/* Publishes a result on each topic the worker listed, one per line. The
 * first message is made in place, from where the result was read (its
 * record's own bytes before the JSON take the head); the others are
 * copies, since the first one's bytes are ZeroMQ's by then. */
static void publish_topics(gloss__sup *sup, const gloss__wire_rec *r,
                           const rec_home *home)
{
    char *json = (char *)r->field[0];
    size_t json_len = r->len[0];
    const char *p = r->field[1];
    const char *end = p + r->len[1];
    int first = 1;
    char *copy = NULL;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (len > 0 && len < 256) {
            char topic[256];
            memcpy(topic, p, len);
            topic[len] = '\0';
            if (first && nl && nl + 1 < end) {
                /* More topics follow: they are published from a copy, made
                 * before the first one changes the bytes. */
                copy = malloc(json_len);
                if (copy)
                    memcpy(copy, json, json_len);
            }
            if (first && publish_in_place(sup, topic, r, home) == 0) {
                /* Published from where it lies. */
            } else if (first || copy) {
                gloss__sup_publish(sup, topic, first ? json : copy, json_len);
            } else {
                sup->stats.publish_errors++;
            }
            first = 0;
        }
        p += len + 1;
    }
    free(copy);
}

static gloss__stage_metrics *stage_metrics(gloss__sup *sup, const char *name,
                                           size_t len)
{
    if (len >= sizeof sup->stages[0].name)
        len = sizeof sup->stages[0].name - 1;
    for (size_t i = 0; i < sup->n_stages; i++)
        if (strlen(sup->stages[i].name) == len &&
            memcmp(sup->stages[i].name, name, len) == 0)
            return &sup->stages[i];
    if (sup->n_stages == sup->cap_stages) {
        size_t cap = sup->cap_stages ? sup->cap_stages * 2 : 8;
        gloss__stage_metrics *grown = realloc(sup->stages, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        sup->stages = grown;
        sup->cap_stages = cap;
    }
    gloss__stage_metrics *m = &sup->stages[sup->n_stages++];
    memset(m, 0, sizeof(*m));
    memcpy(m->name, name, len);
    return m;
}

/* Adds a document's "name<TAB>ns<TAB>failed" lines to the metrics. */
static void add_stage_report(gloss__sup *sup, const char *p, size_t len)
{
    const char *end = p + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        const char *tab = memchr(p, '\t', (size_t)(line_end - p));
        if (tab) {
            unsigned long long ns = strtoull(tab + 1, NULL, 10);
            const char *tab2 = memchr(tab + 1, '\t', (size_t)(line_end - tab - 1));
            gloss__stage_metrics *sm = stage_metrics(sup, p, (size_t)(tab - p));
            if (sm) {
                sm->docs++;
                sm->ns_total += ns;
                if (ns > sm->ns_max)
                    sm->ns_max = ns;
                if (tab2 && tab2[1] == '1')
                    sm->errors++;
            }
        }
        p = line_end + 1;
    }
}

/* Takes one finished job of a DONE or a result block, whose record lies
 * where home says. Returns 0, or -1 when the record is not one of w's jobs. */
static int done_one(gloss__sup *sup, gloss__worker *w, const gloss__wire_rec *r,
                    const rec_home *home)
{
    /* Jobs finish in the order they were sent, so the job is the head of
     * the list but for a worker that skipped one. */
    gloss__job *job = w->jobs.head;
    while (job && job->number != r->job)
        job = job->next;
    if (!job) {
        fprintf(stderr, "glossd: worker %s finished job %llu it does not hold\n",
                w->identity, (unsigned long long)r->job);
        return -1;
    }
    int was_head = job == w->jobs.head;
    gloss__jobs_remove(&w->jobs, job);
    if (was_head && w->jobs.head)
        w->jobs.head->started_ns = gloss__now_ns();
    if (w->state == GLOSS__WORKER_READY)
        w->credit++;
    if (r->status == GLOSS__WIRE_OK)
        sup->stats.processed++;
    else if (r->status == GLOSS__WIRE_DROPPED)
        sup->stats.dropped++;
    else
        sup->stats.failed++;
    publish_topics(sup, r, home);
    add_stage_report(sup, r->field[2], r->len[2]);
    gloss__sup_job_done(sup, job);
    return 0;
}

/* Folds the time of one message's n results into w->doc_ns. since is when
 * the oldest of them started, as dispatch and done_one set it (when it was
 * sent to an idle worker, or when the one before it finished), so the time
 * includes the hand-over both ways, which is what a batch costs. Each
 * message weighs 1/8 of the mean, so that one slow document lowers the
 * worker's hold limit (gloss__sup_hold_limit) for a few batches but does
 * not set it. */
static void time_results(gloss__worker *w, uint64_t since, size_t n)
{
    if (n == 0 || since == 0)
        return;
    uint64_t now = gloss__now_ns();
    uint64_t per = now > since ? (now - since) / n : 0;
    if (per == 0)
        per = 1;
    w->doc_ns = w->doc_ns ? w->doc_ns - w->doc_ns / 8 + per / 8 : per;
}

/* Takes the DONE records in [p, end), from the socket or the done ring:
 * each finishes its job, and their time goes into w's mean. Returns what
 * gloss__wire_rec_next said last: 0 at the end, -1 at bytes that are not
 * a record. */
static int take_records(gloss__sup *sup, gloss__worker *w, const char *p,
                        const char *end, const rec_home *home)
{
    uint64_t since = w->jobs.head ? w->jobs.head->started_ns : 0;
    size_t n = 0;
    gloss__wire_rec r;
    int rc;
    while ((rc = gloss__wire_rec_next(&p, end, 3, &r)) == 1)
        n += done_one(sup, w, &r, home) == 0;
    time_results(w, since, n);
    w->documents += n;
    return rc;
}

static void on_done(gloss__sup *sup, gloss__worker *w, const gloss__wire_msg *m)
{
    if (m->nframes != 2) {
        fprintf(stderr, "glossd: worker %s sent a malformed DONE\n", w->identity);
        return;
    }
    const char *p = m->frame[1], *end = p + m->len[1];
    rec_home home = {.in = w->in};
    sup->stats.results_socket++;
    int rc = take_records(sup, w, p, end, &home);
    if (rc < 0)
        fprintf(stderr, "glossd: worker %s sent a malformed DONE\n", w->identity);
    /* The worker answers inline when its done ring is full: messages
     * published from the ring may have been released since. */
    if (w->area)
        gloss__area_give_back(w->area);
}

/* A block of w's done ring, told in a DONE@ or queued: results are
 * published from there. The worker may write over them once they are
 * taken and those messages are released (area.h). */
static void on_done_block(gloss__sup *sup, gloss__worker *w,
                          const gloss__wire_ref *ref)
{
    gloss__area *a = w->area;
    const char *p = gloss__wire_ring_at(a->rings.done, a->rings.done_size,
                                        ref->pos, ref->len);
    if (!p) {
        fprintf(stderr, "glossd: worker %s told of results outside its done "
                        "ring\n", w->identity);
        return;
    }
    const char *end = p + ref->len;
    rec_home home = {.block = gloss__area_block_begin(a, ref->pos + ref->len)};
    sup->stats.results_shared++;
    int rc = take_records(sup, w, p, end, &home);
    if (rc < 0)
        fprintf(stderr, "glossd: worker %s sent malformed results\n",
                w->identity);
    gloss__area_block_done(home.block);
    gloss__area_give_back(a);
}

static void on_done_ring(gloss__sup *sup, gloss__worker *w,
                         const gloss__wire_msg *m)
{
    gloss__wire_ref ref;
    if (!w->area || !gloss__wire_ref_block(m, w->area->rings.done,
                                           w->area->rings.done_size, &ref)) {
        fprintf(stderr, "glossd: worker %s sent a malformed DONE@\n",
                w->identity);
        return;
    }
    on_done_block(sup, w, &ref);
}

/* w's result queue in its page (wire.h), or NULL when it has no rings or
 * wrote over the queue. */
static gloss__wire_queue *done_queue(const gloss__worker *w)
{
    return w->area && w->area->rings.done_size && !w->queue_broken
               ? &w->progress->done
               : NULL;
}

/* Takes the results w queued in its page (wire.h). They come before any
 * message w sent after queueing them, so this runs before each message is
 * handled, as well as once per turn of the loop. Returns how many blocks
 * it took, or -1 when the queue's counters cannot be right: the worker is
 * then killed, as for a stream that cannot be trusted. */
static int take_done_queue(gloss__sup *sup, gloss__worker *w)
{
    gloss__wire_queue *q = done_queue(w);
    if (!q)
        return 0;
    int n = 0, rc;
    gloss__wire_ref ref;
    while ((rc = gloss__wire_queue_take(q, &ref)) == 1) {
        on_done_block(sup, w, &ref);
        n++;
    }
    if (rc < 0) {
        fprintf(stderr, "glossd: worker %s wrote over its result queue; "
                        "stopping it\n", w->identity);
        w->queue_broken = 1;
        if (!w->exited)
            uv_process_kill(&w->proc, SIGKILL);
        return -1;
    }
    return n;
}

/* One message from a worker (verb first). */
static void on_message(gloss__sup *sup, gloss__worker *w, const gloss__wire_msg *m)
{
    take_done_queue(sup, w);
    if (gloss__wire_is(m, 0, "WAKE")) {
        sup->stats.wakes_from_workers++;
    } else if (gloss__wire_is(m, 0, "HELLO")) {
        if (!w->exited)
            on_hello(sup, w);
    } else if (gloss__wire_is(m, 0, "READY")) {
        uint64_t credit;
        if (gloss__wire_u64(m, 1, &credit) == 0 &&
            w->state == GLOSS__WORKER_CONFIGURING && !w->exited) {
            w->state = GLOSS__WORKER_READY;
            w->credit = credit > 64 ? 64 : (unsigned)credit;
        }
    } else if (gloss__wire_is(m, 0, "DONE")) {
        on_done(sup, w, m);
    } else if (gloss__wire_is(m, 0, "DONE@")) {
        on_done_ring(sup, w, m);
    } else if (gloss__wire_is(m, 0, "FATAL")) {
        fprintf(stderr, "glossd: worker %s cannot start: %.*s\n", w->identity,
                m->nframes > 1 ? (int)m->len[1] : 0,
                m->nframes > 1 ? m->frame[1] : "");
    } else {
        fprintf(stderr, "glossd: worker %s sent an unknown message\n",
                w->identity);
    }
}

/* Takes every whole message in w->in. Returns 0, or -1 when the stream
 * cannot be trusted any more (the worker is then killed). */
static int take_messages(gloss__sup *sup, gloss__worker *w)
{
    int rc = 0;
    while (w->in && w->in_off < w->in_len) {
        gloss__wire_msg m;
        size_t used;
        int r = gloss__wire_unpack(w->in->data + w->in_off,
                                   w->in_len - w->in_off, &m, &used);
        if (r == 0)
            break;
        if (r < 0 && used == 0) {
            fprintf(stderr, "glossd: worker %s sent a message too large to be "
                            "one of the protocol; stopping it\n", w->identity);
            rc = -1;
            w->in_off = w->in_len;
            break;
        }
        if (r < 0)
            fprintf(stderr, "glossd: worker %s sent a malformed message\n",
                    w->identity);
        else
            on_message(sup, w, &m);
        w->in_off += used;
    }
    return rc;
}

/* The least room worth reading into at the end of a buffer. */
#define READ_MIN 16384

/* Room for the next read: what is left of the buffer when it is at least
 * READ_MIN and holds the rest of the message being read; otherwise what is
 * left of that message moves to the front of the buffer, when only the
 * reader holds it, or to a new one. */
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    gloss__worker *w = h->data;
    (void)suggested;
    size_t rest = w->in ? w->in_len - w->in_off : 0;
    size_t need = READ_MIN;
    uint64_t body;
    if (rest >= GLOSS__WIRE_HEAD &&
        gloss__wire_body(w->in->data + w->in_off, &body) == 0 &&
        GLOSS__WIRE_HEAD + body > rest + need)
        need = GLOSS__WIRE_HEAD + (size_t)body - rest;
    if (w->in && w->in->cap - w->in_len < need && !inbuf_shared(w->in)) {
        memmove(w->in->data, w->in->data + w->in_off, rest);
        w->in_off = 0;
        w->in_len = rest;
    }
    if (!w->in || w->in->cap - w->in_len < need) {
        gloss__inbuf *grown = inbuf_new(w->sup, rest + need);
        if (!grown) {
            *buf = uv_buf_init(NULL, 0); /* libuv reports UV_ENOBUFS */
            return;
        }
        if (rest)
            memcpy(grown->data, w->in->data + w->in_off, rest);
        inbuf_release(NULL, w->in);
        w->in = grown;
        w->in_off = 0;
        w->in_len = rest;
    }
    *buf = uv_buf_init(w->in->data + w->in_len,
                       (unsigned)(w->in->cap - w->in_len));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    gloss__worker *w = s->data;
    gloss__sup *sup = w->sup;
    (void)buf;
    if (nread < 0) {
        /* The end of the stream: the worker closed it or died; its exit is
         * seen by libuv and handled there. */
        uv_read_stop(s);
        if (nread != UV_EOF && nread != UV_ECONNRESET && !w->exited) {
            fprintf(stderr, "glossd: cannot read from worker %s: %s\n",
                    w->identity, uv_strerror((int)nread));
            uv_process_kill(&w->proc, SIGKILL);
        }
        return;
    }
    w->in_len += (size_t)nread;
    if (take_messages(sup, w) < 0) {
        uv_read_stop(s);
        uv_process_kill(&w->proc, SIGKILL);
    }
    gloss__sup_dispatch(sup);
    gloss__sup_maybe_finish(sup);
}

/* Reads what an exited worker left in its stream, so that its last DONEs
 * are not mistaken for jobs it died with. */
static void read_rest(gloss__worker *w)
{
    uv_os_fd_t fd;
    if (uv_is_closing((uv_handle_t *)&w->pipe) ||
        uv_fileno((uv_handle_t *)&w->pipe, &fd) != 0)
        return;
    for (;;) {
        uv_buf_t b;
        on_alloc((uv_handle_t *)&w->pipe, 65536, &b);
        if (!b.base)
            return;
        ssize_t n = read(fd, b.base, b.len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        w->in_len += (size_t)n;
        if (take_messages(w->sup, w) < 0)
            break;
    }
    uv_read_stop((uv_stream_t *)&w->pipe);
}

static int holds(const gloss__worker *w, uint64_t number)
{
    for (const gloss__job *j = w->jobs.head; j; j = j->next)
        if (j->number == number)
            return 1;
    return 0;
}

/* The job w is running and since when: from its progress page when it has
 * one, else its oldest job, timed from when the job before it came back.
 * Returns 0 when w is running none of the jobs it holds. */
static uint64_t running(const gloss__worker *w, uint64_t *started_ns)
{
    if (w->progress) {
        uint64_t job = atomic_load_explicit(&w->progress->job,
                                            memory_order_acquire);
        *started_ns = atomic_load_explicit(&w->progress->started_ns,
                                           memory_order_relaxed);
        return job && holds(w, job) ? job : 0;
    }
    if (!w->jobs.head)
        return 0;
    *started_ns = w->jobs.head->started_ns;
    return w->jobs.head->number;
}

void gloss__workers_check_deadlines(gloss__sup *sup)
{
    double deadline = gloss__sup_config(sup)->daemon.deadline;
    uint64_t limit = (uint64_t)(deadline * 1e9);
    uint64_t now = gloss__now_ns();
    for (gloss__worker *w = sup->workers; w; w = w->next) {
        if (w->exited || w->deadline_job || !w->jobs.head)
            continue;
        uint64_t started = 0;
        uint64_t job = running(w, &started);
        if (job && now > started && now - started > limit) {
            w->deadline_job = job;
            sup->stats.deadline_kills++;
            uv_process_kill(&w->proc, SIGKILL);
        }
    }
}

void gloss__workers_stop_generation(gloss__sup *sup, unsigned generation)
{
    for (gloss__worker *w = sup->workers; w; w = w->next)
        if (!w->exited && w->generation == generation &&
            w->state != GLOSS__WORKER_STOPPING)
            send_stop(w);
}

void gloss__workers_stop_all(gloss__sup *sup)
{
    for (gloss__worker *w = sup->workers; w; w = w->next)
        if (!w->exited && w->state != GLOSS__WORKER_STOPPING)
            send_stop(w);
}

int gloss__workers_before_poll(gloss__sup *sup)
{
    int queued = 0;
    for (gloss__worker *w = sup->workers; w; w = w->next) {
        gloss__wire_queue *q = w->exited ? NULL : done_queue(w);
        if (q && !gloss__wire_queue_sleep(q))
            queued = 1;
    }
    return queued;
}

void gloss__workers_after_poll(gloss__sup *sup)
{
    int took = 0;
    for (gloss__worker *w = sup->workers; w; w = w->next) {
        gloss__wire_queue *q = w->exited ? NULL : done_queue(w);
        if (!q)
            continue;
        gloss__wire_queue_awake(q);
        if (take_done_queue(sup, w) > 0)
            took = 1;
    }
    if (took) {
        gloss__sup_dispatch(sup);
        gloss__sup_maybe_finish(sup);
    }
}
