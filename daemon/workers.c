/*
 * workers.c - the supervisor's worker processes: starting them, what they
 * say on the work socket, and what happens when one dies or overruns.
 *
 * A worker is this same program started as `glossd --worker ...`. It says
 * HELLO, is sent its generation's configuration, says READY with its credit,
 * and then answers each JOB with DONE. Its death is seen by libuv's exit
 * callback: every job it held goes back to the front of the queue, once;
 * a job whose worker dies a second time is published on error.worker.
 * The document that overran its deadline is published on error.deadline
 * (its worker was killed for it), and the other jobs of that worker go back
 * to the queue without counting against them.
 *
 * Each worker shares a progress page with the supervisor (daemon/wire.h):
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
#include <zmq.h>

#include "clock.h"
#include "supervisor.h"
#include "wire.h"

/* A worker that dies this soon after starting, twice in a row, is not
 * restarted at once: a configuration that crashes its workers must not
 * turn the supervisor into a fork loop. */
#define RESPAWN_DELAY_MS 1000

/* A worker's process handle carries the worker: both go together. */
static void on_closed(uv_handle_t *h)
{
    gloss__worker *w = h->data;
    if (w->progress)
        munmap(w->progress, sizeof(*w->progress));
    free(w);
}

/* Makes the progress page: a file in the private run folder, unlinked at
 * once, so that only the supervisor and the worker it is handed to can
 * reach it. Returns its descriptor (the supervisor's mapping is in
 * w->progress), or -1, in which case the worker runs without one. */
static int make_progress(gloss__sup *sup, gloss__worker *w)
{
    char path[700];
    snprintf(path, sizeof path, "%s/progress.XXXXXX", sup->run_dir);
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    unlink(path);
    void *p = MAP_FAILED;
    if (ftruncate(fd, sizeof(*w->progress)) == 0)
        p = mmap(NULL, sizeof(*w->progress), PROT_READ | PROT_WRITE,
                 MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        close(fd);
        return -1;
    }
    w->progress = p;
    return fd;
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

static void on_worker_exit(uv_process_t *proc, int64_t status, int signum)
{
    gloss__worker *w = proc->data;
    gloss__sup *sup = w->sup;
    w->exited = 1;
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
    uv_close((uv_handle_t *)proc, on_closed);

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
    /* The progress page becomes the worker's descriptor 3. */
    int progress_fd = make_progress(sup, w);
    char *args[] = {(char *)sup->exe, "--worker", sup->work_endpoint,
                    w->identity, gen, credit,
                    progress_fd >= 0 ? "3" : NULL, NULL};
    uv_stdio_container_t stdio[4] = {
        {.flags = UV_IGNORE},
        {.flags = UV_IGNORE},
        {.flags = UV_INHERIT_FD, .data.fd = 2},
        {.flags = UV_INHERIT_FD, .data.fd = progress_fd},
    };
    uv_process_options_t opts = {
        .exit_cb = on_worker_exit,
        .file = sup->exe,
        .args = args,
        .stdio_count = progress_fd >= 0 ? 4 : 3,
        .stdio = stdio,
    };
    w->proc.data = w;
    int rc = uv_spawn(sup->loop, &w->proc, &opts);
    if (progress_fd >= 0)
        close(progress_fd);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start a worker (%s): %s", sup->exe,
                 uv_strerror(rc));
        uv_close((uv_handle_t *)&w->proc, on_closed);
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

static gloss__worker *find(gloss__sup *sup, const char *id, size_t len)
{
    for (gloss__worker *w = sup->workers; w; w = w->next)
        if (!w->exited && strlen(w->identity) == len &&
            memcmp(w->identity, id, len) == 0)
            return w;
    return NULL;
}

static gloss__config *config_of(gloss__sup *sup, unsigned generation)
{
    for (gloss__generation *g = sup->generations; g; g = g->next)
        if (g->number == generation)
            return g->cfg;
    return NULL;
}

static void send_stop(gloss__sup *sup, gloss__worker *w)
{
    w->state = GLOSS__WORKER_STOPPING;
    w->credit = 0;
    gloss__wire_sendv(sup->work, ZMQ_DONTWAIT, 2, w->identity, "STOP");
}

static void on_hello(gloss__sup *sup, gloss__worker *w)
{
    gloss__config *cfg = config_of(sup, w->generation);
    if (!cfg || sup->stopping) {
        send_stop(sup, w);
        return;
    }
    const void *frames[5] = {w->identity, "CONFIG", cfg->path, cfg->dir,
                             cfg->source};
    size_t lens[5] = {strlen(w->identity), 6, strlen(cfg->path),
                      strlen(cfg->dir), cfg->source_len};
    if (gloss__wire_send(sup->work, ZMQ_DONTWAIT, 5, frames, lens) == 0)
        w->state = GLOSS__WORKER_CONFIGURING;
}

/* Publishes a result on each topic the worker listed, one per line. */
static void publish_topics(gloss__sup *sup, const gloss__wire_rec *r)
{
    const char *json = r->field[0];
    size_t json_len = r->len[0];
    const char *p = r->field[1];
    const char *end = p + r->len[1];
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (len > 0 && len < 256) {
            char topic[256];
            memcpy(topic, p, len);
            topic[len] = '\0';
            gloss__sup_publish(sup, topic, json, json_len);
        }
        p += len + 1;
    }
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

/* Takes one finished job of a DONE. Returns 0, or -1 when the record is
 * not one of w's jobs. */
static int done_one(gloss__sup *sup, gloss__worker *w, const gloss__wire_rec *r)
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
    publish_topics(sup, r);
    add_stage_report(sup, r->field[2], r->len[2]);
    gloss__sup_job_done(sup, job);
    return 0;
}

static void on_done(gloss__sup *sup, gloss__worker *w, const gloss__wire_msg *m)
{
    if (m->nframes != 3) {
        fprintf(stderr, "glossd: worker %s sent a malformed DONE\n", w->identity);
        return;
    }
    const char *p = m->frame[2], *end = p + m->len[2];
    gloss__wire_rec r;
    int rc;
    while ((rc = gloss__wire_rec_next(&p, end, 3, &r)) == 1)
        done_one(sup, w, &r);
    if (rc < 0)
        fprintf(stderr, "glossd: worker %s sent a malformed DONE\n", w->identity);
}

void gloss__workers_on_message(gloss__zwatch *watch, int revents, void *arg)
{
    gloss__sup *sup = arg;
    (void)watch;
    if (revents & ZMQ_POLLERR)
        return;
    for (int i = 0; i < 64; i++) {
        gloss__wire_msg m;
        if (gloss__wire_recv(sup->work, &m, ZMQ_DONTWAIT) < 0) {
            if (errno == EPROTO)
                continue;
            break;
        }
        gloss__worker *w = m.nframes >= 2 ? find(sup, m.frame[0], m.len[0]) : NULL;
        if (!w) {
            gloss__wire_msg_close(&m);
            continue;
        }
        if (gloss__wire_is(&m, 1, "HELLO")) {
            on_hello(sup, w);
        } else if (gloss__wire_is(&m, 1, "READY")) {
            uint64_t credit;
            if (gloss__wire_u64(&m, 2, &credit) == 0 &&
                w->state == GLOSS__WORKER_CONFIGURING) {
                w->state = GLOSS__WORKER_READY;
                w->credit = credit > 64 ? 64 : (unsigned)credit;
            }
        } else if (gloss__wire_is(&m, 1, "DONE")) {
            on_done(sup, w, &m);
        } else if (gloss__wire_is(&m, 1, "FATAL")) {
            fprintf(stderr, "glossd: worker %s cannot start: %.*s\n",
                    w->identity, m.nframes > 2 ? (int)m.len[2] : 0,
                    m.nframes > 2 ? m.frame[2] : "");
        } else {
            fprintf(stderr, "glossd: worker %s sent an unknown message\n",
                    w->identity);
        }
        gloss__wire_msg_close(&m);
    }
    gloss__sup_dispatch(sup);
    gloss__sup_maybe_finish(sup);
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
            send_stop(sup, w);
}

void gloss__workers_stop_all(gloss__sup *sup)
{
    for (gloss__worker *w = sup->workers; w; w = w->next)
        if (!w->exited && w->state != GLOSS__WORKER_STOPPING)
            send_stop(sup, w);
}
