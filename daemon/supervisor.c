/*
 * supervisor.c - glossd's supervisor: its sockets, admission of documents,
 * the queue, dispatch to workers by credit, and publishing results.
 *
 * Admission happens here, in the loop, before a document takes a place in
 * the queue, so that a client learns at once why its document was refused
 * and a bad document never reaches a worker. Accepted documents wait in one
 * FIFO queue; dispatch hands the oldest to the ready worker of the newest
 * generation with the most room left, so work spreads over the workers
 * and no worker holds more than its credit, nor (by the recent mean time
 * of its documents) much more than daemon.hold of work: with slow
 * documents few wait behind one, and with fast ones a worker takes its
 * whole credit, in batches large enough that their wake-ups matter little.
 * Workers with nothing to do are left asleep while the busy ones would get
 * through their work and the queue's within daemon.spread: on a machine
 * with few cores, a second worker woken for a load the first keeps up
 * with only adds wake-ups and takes CPU from this thread and ZeroMQ's.
 * Results come back as finished JSON with the topics to publish them on
 * (the worker computed both), so the supervisor never parses a document:
 * it only adds the sequence number.
 *
 * The in-flight bound is applied by stopping the submit and feed watchers:
 * ZeroMQ then queues up to its high-water marks and holds senders back,
 * which is the only backpressure that cannot lose a document. The watchers
 * also stop while QUEUE_AHEAD documents wait for a worker, so that the
 * supervisor does not read (and admit, and copy) far ahead of the workers.
 */
#include "supervisor.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "buf.h"
#include "clock.h"
#include "json_out.h"
#include "pipeline.h"
#include "wire.h"

#define BATCH 64
#define TICK_MS 100
/* How many documents may wait for a worker before input is held. */
#define QUEUE_AHEAD 256

/* ---- job lists ------------------------------------------------------------- */

void gloss__jobs_push(gloss__job_list *l, gloss__job *j)
{
    j->next = NULL;
    j->prev = l->tail;
    if (l->tail)
        l->tail->next = j;
    else
        l->head = j;
    l->tail = j;
    l->n++;
}

void gloss__jobs_push_front(gloss__job_list *l, gloss__job *j)
{
    j->prev = NULL;
    j->next = l->head;
    if (l->head)
        l->head->prev = j;
    else
        l->tail = j;
    l->head = j;
    l->n++;
}

void gloss__jobs_remove(gloss__job_list *l, gloss__job *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else
        l->head = j->next;
    if (j->next)
        j->next->prev = j->prev;
    else
        l->tail = j->prev;
    j->prev = j->next = NULL;
    l->n--;
}

gloss__config *gloss__sup_config(const gloss__sup *sup)
{
    return sup->generations->cfg;
}

/* ---- in-flight ids (duplicate submits) ------------------------------------ */

/* A client that retries after a timeout sends the same id again. While the
 * first copy is still in flight, the retry is acknowledged without being
 * queued, so one submit makes one result. Only ids that clients chose are
 * indexed: generated ids are unique by construction. */
static gloss__job *find_inflight(gloss__sup *sup, const char *id)
{
    return gloss__idset_get(&sup->inflight_ids, id);
}

/* ---- input and backpressure ----------------------------------------------- */

/* Sets what an input watcher waits for, when that changes: this runs for
 * every document, and most of the time nothing changes. */
static void set_input_events(gloss__zwatch *w, int events)
{
    if (w && gloss__zwatch_events(w) != events)
        gloss__zwatch_set_events(w, events);
}

void gloss__sup_update_input(gloss__sup *sup)
{
    const gloss__daemon_conf *d = &gloss__sup_config(sup)->daemon;
    int full = sup->inflight_docs >= d->max_inflight_documents ||
               sup->inflight_bytes >= d->max_inflight_bytes;
    if (full && !sup->input_paused)
        sup->stats.paused++;
    sup->input_paused = full;
    /* Reading further ahead than QUEUE_AHEAD documents waiting for a
     * worker gains nothing: they would only wait longer, and their memory
     * falls out of the caches before a worker gets them. Input is held
     * there too (not counted as a pause: the bound is not reached), and
     * resumes once the queue is down to half of that: stopping and
     * starting the watchers costs system calls in this thread and in
     * ZeroMQ's, which a hold of one document at a time would pay for
     * every document. */
    int ahead = sup->queue.n >= QUEUE_AHEAD ||
                (sup->input_held && sup->queue.n > QUEUE_AHEAD / 2);
    int hold = full || ahead;
    sup->input_held = hold;
    /* While draining, submit stays open to tell clients "draining"; feed
     * stops, and what waits in it stays with ZeroMQ. */
    set_input_events(sup->w_submit, hold ? 0 : ZMQ_POLLIN);
    set_input_events(sup->w_feed, (hold || sup->draining) ? 0 : ZMQ_POLLIN);
}

void gloss__sup_reply(void *sock, const char *identity, size_t idlen,
                      json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text)
        return;
    const void *frames[3] = {identity, "", text};
    size_t lens[3] = {idlen, 0, strlen(text)};
    gloss__wire_send(sock, ZMQ_DONTWAIT, 3, frames, lens);
    free(text);
}

static json_t *rejection(gloss__reject r, const char *id, const char *msg)
{
    json_t *body = json_pack("{s:b, s:s, s:s}", "ok", 0, "error",
                             gloss__reject_code(r), "message", msg);
    if (body && id && *id)
        json_object_set_new(body, "id", json_string(id));
    return body;
}

void gloss__job_free(gloss__job *job)
{
    gloss__admitted_free(&job->doc);
    zmq_msg_close(&job->payload);
    free(job);
}

/* Queues an admitted document whose payload is frame `frame` of m: when
 * its text is borrowed from there, the frame moves into the job, not a
 * copy of it. Returns 1 when it was queued, 0 when it was a duplicate of
 * one in flight, -1 when memory ran out (either way the document was
 * freed). */
static int enqueue(gloss__sup *sup, gloss__admitted *doc, gloss__wire_msg *m,
                   size_t frame)
{
    if (doc->id_given && find_inflight(sup, doc->id)) {
        sup->stats.duplicates++;
        gloss__admitted_free(doc);
        return 0;
    }
    gloss__job *job = calloc(1, sizeof(*job));
    if (!job) {
        gloss__admitted_free(doc);
        return -1;
    }
    job->number = ++sup->next_job;
    job->doc = *doc;
    if (doc->text_borrowed) {
        size_t off = (size_t)(doc->text - m->frame[frame]);
        if (gloss__wire_take(m, frame, &job->payload) < 0) {
            gloss__job_free(job);
            return -1;
        }
        job->doc.text = (char *)zmq_msg_data(&job->payload) + off;
    } else {
        zmq_msg_init(&job->payload);
    }
    if (job->doc.id_given &&
        gloss__idset_put(&sup->inflight_ids, job->doc.id, job) < 0) {
        gloss__job_free(job);
        return -1;
    }
    gloss__jobs_push(&sup->queue, job);
    sup->inflight_docs++;
    sup->inflight_bytes += job->doc.text_len;
    sup->stats.accepted++;
    return 1;
}

static void publish_admission_error(gloss__sup *sup, gloss__reject r,
                                    const char *id, const char *msg)
{
    json_t *body = json_pack("{s:s, s:s, s:s}", "error", gloss__reject_code(r),
                             "message", msg, "endpoint", "feed");
    if (!body)
        return;
    if (id && *id)
        json_object_set_new(body, "id", json_string(id));
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (text) {
        gloss__sup_publish(sup, "error.admission", text, strlen(text));
        free(text);
    }
}

static void on_submit(gloss__zwatch *w, int revents, void *arg)
{
    gloss__sup *sup = arg;
    if (revents & ZMQ_POLLERR)
        return;
    for (int i = 0; i < BATCH && !sup->input_held; i++) {
        gloss__wire_msg m;
        if (gloss__wire_recv(sup->submit, &m, ZMQ_DONTWAIT) < 0) {
            if (errno == EPROTO) {
                sup->stats.received++;
                sup->stats.rejected[GLOSS__REJECT_BAD_FRAMES]++;
                continue;
            }
            /* Nothing more to read: the watcher need not ask ZeroMQ
             * again before the loop blocks. */
            if (errno == EAGAIN)
                gloss__zwatch_drained(w);
            break;
        }
        sup->stats.received++;
        char msg[512], id[256];
        gloss__reject r;
        gloss__admitted doc;
        if (m.nframes != 3 || m.len[1] != 0) {
            r = GLOSS__REJECT_BAD_FRAMES;
            snprintf(msg, sizeof msg,
                     "expected an empty delimiter frame and one document "
                     "frame, got %zu frame%s",
                     m.nframes - 1, m.nframes == 2 ? "" : "s");
            id[0] = '\0';
        } else if (sup->draining) {
            r = GLOSS__REJECT_DRAINING;
            snprintf(msg, sizeof msg,
                     "the daemon is draining and accepts no new documents");
            id[0] = '\0';
        } else {
            r = gloss__admit(&sup->adm_submit, m.frame[2], m.len[2], &doc, msg,
                             sizeof msg, id, sizeof id);
        }
        if (r != GLOSS__ACCEPT) {
            sup->stats.rejected[r]++;
            gloss__sup_reply(sup->submit, m.frame[0], m.len[0],
                             rejection(r, id, msg));
            gloss__wire_msg_close(&m);
            continue;
        }
        /* The id is kept for the reply: enqueue frees a duplicate. */
        char doc_id[GLOSS__ID_MAX + 1];
        snprintf(doc_id, sizeof doc_id, "%s", doc.id);
        int queued = enqueue(sup, &doc, &m, 2);
        json_t *body;
        if (queued < 0)
            body = rejection(GLOSS__REJECT_INTERNAL, NULL, "out of memory");
        else if (queued == 0)
            body = json_pack("{s:b, s:s, s:b}", "ok", 1, "id", doc_id,
                             "duplicate", 1);
        else
            body = json_pack("{s:b, s:s}", "ok", 1, "id", doc_id);
        gloss__sup_reply(sup->submit, m.frame[0], m.len[0], body);
        gloss__wire_msg_close(&m);
        gloss__sup_update_input(sup);
    }
    gloss__sup_dispatch(sup);
}

static void on_feed(gloss__zwatch *w, int revents, void *arg)
{
    gloss__sup *sup = arg;
    if (revents & ZMQ_POLLERR)
        return;
    for (int i = 0; i < BATCH && !sup->input_held && !sup->draining; i++) {
        gloss__wire_msg m;
        if (gloss__wire_recv(sup->feed, &m, ZMQ_DONTWAIT) < 0) {
            if (errno == EPROTO) {
                sup->stats.received++;
                sup->stats.rejected[GLOSS__REJECT_BAD_FRAMES]++;
                publish_admission_error(sup, GLOSS__REJECT_BAD_FRAMES, NULL,
                                        "too many frames: a feed message is one "
                                        "frame holding the document");
                continue;
            }
            if (errno == EAGAIN)
                gloss__zwatch_drained(w);
            break;
        }
        sup->stats.received++;
        char msg[512], id[256];
        gloss__admitted doc;
        gloss__reject r;
        if (m.nframes != 1) {
            r = GLOSS__REJECT_BAD_FRAMES;
            snprintf(msg, sizeof msg,
                     "expected one frame holding the document, got %zu",
                     m.nframes);
            id[0] = '\0';
        } else {
            r = gloss__admit(&sup->adm_feed, m.frame[0], m.len[0], &doc, msg,
                             sizeof msg, id, sizeof id);
        }
        if (r != GLOSS__ACCEPT) {
            gloss__wire_msg_close(&m);
            sup->stats.rejected[r]++;
            publish_admission_error(sup, r, id, msg);
            continue;
        }
        enqueue(sup, &doc, &m, 0);
        gloss__wire_msg_close(&m);
        gloss__sup_update_input(sup);
    }
    gloss__sup_dispatch(sup);
}

/* ---- dispatch ----------------------------------------------------------- */

unsigned gloss__sup_hold_limit(const gloss__sup *sup, const gloss__worker *w)
{
    const gloss__daemon_conf *d = &gloss__sup_config(sup)->daemon;
    unsigned credit = d->credit;
    if (d->hold_ns == 0)
        return credit;
    uint64_t limit;
    if (w->doc_ns == 0)
        limit = GLOSS__HOLD_UNTIMED;
    else
        limit = d->hold_ns / w->doc_ns;
    if (limit < 2)
        limit = 2;
    return limit < credit ? (unsigned)limit : credit;
}

/* How many more jobs w may be sent now: what its credit and its hold
 * limit both leave. */
static unsigned worker_room(const gloss__sup *sup, const gloss__worker *w)
{
    unsigned limit = gloss__sup_hold_limit(sup, w);
    if (w->jobs.n >= limit)
        return 0;
    unsigned room = limit - (unsigned)w->jobs.n;
    return room < w->credit ? room : w->credit;
}

/* Whether the busy workers of the current generation will get through
 * their work and the queue's soon enough (daemon.spread) that waking an
 * idle worker would gain less than it costs: a cross-CPU wake-up per batch,
 * and two workers contending for the cores the supervisor and ZeroMQ need.
 * Not when any busy worker is untimed, or has been on its oldest job for
 * longer than that (a slow or stuck document: its mean says nothing of
 * when it finishes). */
static int busy_keep_up(gloss__sup *sup, unsigned current)
{
    uint64_t spread = gloss__sup_config(sup)->daemon.spread_ns;
    if (spread == 0)
        return 0;
    uint64_t now = 0, work = 0, sum_doc = 0, busy = 0;
    for (gloss__worker *w = sup->workers; w; w = w->next) {
        if (w->exited || w->state != GLOSS__WORKER_READY ||
            w->generation != current || w->jobs.n == 0)
            continue;
        if (w->doc_ns == 0)
            return 0;
        if (!now)
            now = gloss__now_ns();
        uint64_t started = w->jobs.head->started_ns;
        if (started && now > started && now - started > spread)
            return 0;
        work += w->jobs.n * w->doc_ns;
        sum_doc += w->doc_ns;
        busy++;
    }
    if (busy == 0)
        return 0;
    work += sup->queue.n * (sum_doc / busy);
    return work / busy < spread;
}

static void on_recheck(uv_timer_t *t)
{
    gloss__sup_dispatch(t->data);
}

/* Jobs left waiting for busy workers must not wait for ever when those
 * stop keeping up without sending anything (a document that runs long):
 * dispatch looks again when daemon.spread has passed. */
static void recheck_later(gloss__sup *sup)
{
    if (!sup->handles_open || uv_is_active((uv_handle_t *)&sup->recheck))
        return;
    uint64_t ms = (gloss__sup_config(sup)->daemon.spread_ns + 999999) / 1000000;
    uv_timer_start(&sup->recheck, on_recheck, ms ? ms : 1, 0);
}

static gloss__worker *pick_worker(gloss__sup *sup, unsigned *room)
{
    unsigned current = sup->generations->number;
    int pack = busy_keep_up(sup, current), idle_left = 0;
    gloss__worker *best = NULL;
    *room = 0;
    for (gloss__worker *w = sup->workers; w; w = w->next) {
        if (w->exited || w->state != GLOSS__WORKER_READY ||
            w->generation != current)
            continue;
        if (pack && w->jobs.n == 0) {
            idle_left = 1;
            continue;
        }
        unsigned r = worker_room(sup, w);
        if (r > *room) {
            best = w;
            *room = r;
        }
    }
    /* Jobs wait while an idle worker could take them: only then can the
     * busy ones' falling behind leave them waiting for nothing. */
    if (!best && idle_left)
        recheck_later(sup);
    return best;
}

/* A batch for one worker holds at most half what it may hold, so that the
 * next batch can wait in the worker's ring while it runs this one, and
 * stops growing at about BATCH_BYTES, so that a batch of large documents
 * is not held up to be sent whole, and a few batches fit in a ring at once
 * (GLOSS__WIRE_JOB_RING). */
#define BATCH_BYTES (256u << 10)
/* Half the largest credit (64). */
#define BATCH_MAX 32

static gloss__wire_rec job_record(const gloss__job *job)
{
    /* Meta travels as the JSON text admission validated; the worker
     * parses it, so the supervisor never builds or dumps a tree. */
    gloss__wire_rec r = {.job = job->number, .nfields = 4};
    r.field[0] = job->doc.id;
    r.len[0] = strlen(job->doc.id);
    r.field[1] = job->doc.source;
    r.len[1] = strlen(job->doc.source);
    r.field[2] = job->doc.meta_json;
    r.len[2] = job->doc.meta_len;
    r.field[3] = job->doc.text;
    r.len[3] = job->doc.text_len;
    return r;
}

/* Sends the first n jobs of the queue to w as one JOB message. Returns 0,
 * or -1 (nothing was sent). */
static int send_jobs(gloss__sup *sup, gloss__worker *w, size_t n,
                     uint64_t *mark)
{
    gloss__wire_rec recs[BATCH_MAX];
    gloss__job *job = sup->queue.head;
    for (size_t i = 0; i < n; i++, job = job->next)
        recs[i] = job_record(job);
    return gloss__worker_write_jobs(w, recs, n, mark);
}

/* How many of the queue's first jobs go to w in one message. */
static size_t batch_size(gloss__sup *sup, const gloss__worker *w,
                         unsigned room)
{
    unsigned half = gloss__sup_hold_limit(sup, w) / 2;
    size_t max = room < half ? room : half;
    if (max == 0)
        max = 1;
    if (max > BATCH_MAX)
        max = BATCH_MAX;
    size_t n = 0, bytes = 0;
    for (gloss__job *j = sup->queue.head; j && n < max; j = j->next) {
        if (n > 0 && bytes + j->doc.text_len > BATCH_BYTES)
            break;
        bytes += j->doc.text_len;
        n++;
    }
    return n;
}

static void dispatch_jobs(gloss__sup *sup)
{
    while (sup->queue.head) {
        unsigned room;
        gloss__worker *w = pick_worker(sup, &room);
        if (!w)
            return;
        size_t n = batch_size(sup, w, room);
        uint64_t mark = 0;
        if (send_jobs(sup, w, n, &mark) < 0) {
            /* The worker's pipe is gone or full: it takes nothing more
             * until it says READY again or its exit is seen. */
            w->credit = 0;
            continue;
        }
        uint64_t now = gloss__now_ns();
        for (size_t i = 0; i < n; i++) {
            gloss__job *job = sup->queue.head;
            gloss__jobs_remove(&sup->queue, job);
            if (w->jobs.n == 0)
                job->started_ns = now;
            job->worker = w;
            job->ring_mark = mark;
            gloss__jobs_push(&w->jobs, job);
        }
        w->credit -= (unsigned)n;
    }
}

void gloss__sup_dispatch(gloss__sup *sup)
{
    dispatch_jobs(sup);
    /* Jobs left the queue: input held for a long queue may resume. */
    if (sup->input_held)
        gloss__sup_update_input(sup);
}

/* ---- results ------------------------------------------------------------ */

/* How a published message is made: the document's JSON is an object, and
 * the sequence number goes in as its first member, so the supervisor never
 * parses what it publishes. Either the head and the JSON are copied into a
 * new message, or (in place) the head is written over the JSON's '{' and
 * the bytes before it, and the message points into that buffer. */
typedef struct pub_src {
    const char *json;
    size_t len;
    char head[32];
    size_t head_len;
    /* In place: the buffer's release function and its argument; NULL to
     * copy. hold(hint) is called for each message made on the buffer. */
    zmq_free_fn *release;
    void (*hold)(void *hint);
    void *hint;
} pub_src;

/* Makes the message of src. Returns 0, or -1. */
static int make_published(const pub_src *src, zmq_msg_t *msg)
{
    size_t size = src->head_len + src->len - 1;
    if (src->release) {
        char *start = (char *)src->json + 1 - src->head_len;
        src->hold(src->hint);
        if (zmq_msg_init_data(msg, start, size, src->release, src->hint) != 0) {
            src->release(start, src->hint);
            return -1;
        }
        return 0;
    }
    if (zmq_msg_init_size(msg, size) != 0)
        return -1;
    char *p = zmq_msg_data(msg);
    memcpy(p, src->head, src->head_len);
    memcpy(p + src->head_len, src->json + 1, src->len - 1);
    return 0;
}

/* Sends [topic][src's message] on the publish socket. Returns 0, or -1
 * with errno. */
static int send_published(gloss__sup *sup, const char *topic,
                          const pub_src *src)
{
    zmq_msg_t msg;
    if (make_published(src, &msg) != 0)
        return -1;
    const void *frames[1] = {topic};
    size_t lens[1] = {strlen(topic)};
    return gloss__wire_send_msg(sup->publish, ZMQ_DONTWAIT, 1, frames, lens,
                                &msg);
}

static void publish_src(gloss__sup *sup, const char *topic, const pub_src *src)
{
    int rc = send_published(sup, topic, src);
    if (rc < 0 && errno == EAGAIN) {
        /* A subscriber's queue is full (publish_hwm): with XPUB_NODROP the
         * socket refuses the message instead of dropping it unseen. It is
         * counted, then sent again without the option, which gives it to
         * every subscriber with room and drops it for the full one: what
         * PUB does, now counted. The loop never waits. */
        sup->stats.publish_overflows++;
        int nodrop = 0;
        zmq_setsockopt(sup->publish, ZMQ_XPUB_NODROP, &nodrop, sizeof nodrop);
        rc = send_published(sup, topic, src);
        nodrop = 1;
        zmq_setsockopt(sup->publish, ZMQ_XPUB_NODROP, &nodrop, sizeof nodrop);
    }
    if (rc == 0) {
        sup->seq++;
        sup->stats.published++;
    } else {
        sup->stats.publish_errors++;
    }
}

/* Fills src's head for the next sequence number. Returns 0, or -1 when
 * json is not an object. */
static int pub_head(gloss__sup *sup, pub_src *src, const char *json, size_t len)
{
    if (len < 2 || json[0] != '{')
        return -1;
    src->json = json;
    src->len = len;
    memcpy(src->head, "{\"seq\":", 7);
    src->head_len = 7 + gloss__json_uint(src->head + 7, sup->seq + 1);
    if (len > 2)
        src->head[src->head_len++] = ',';
    src->release = NULL;
    return 0;
}

void gloss__sup_publish(gloss__sup *sup, const char *topic, const char *json,
                        size_t len)
{
    pub_src src;
    if (pub_head(sup, &src, json, len) < 0) {
        sup->stats.publish_errors++;
        return;
    }
    publish_src(sup, topic, &src);
}

int gloss__sup_publish_inplace(gloss__sup *sup, const char *topic, char *json,
                               size_t len, size_t room, zmq_free_fn *release,
                               void (*hold)(void *hint), void *hint)
{
    pub_src src;
    if (pub_head(sup, &src, json, len) < 0) {
        sup->stats.publish_errors++;
        return 0;
    }
    if (src.head_len > room + 1)
        return -1;
    memcpy(json + 1 - src.head_len, src.head, src.head_len);
    src.release = release;
    src.hold = hold;
    src.hint = hint;
    publish_src(sup, topic, &src);
    return 0;
}

/* XPUB hands subscriptions to the program; nothing needs them, but unread
 * they would pile up, so the tick reads and drops them. */
static void drop_subscriptions(gloss__sup *sup)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    for (int i = 0; i < 1024 && zmq_msg_recv(&m, sup->publish, ZMQ_DONTWAIT) >= 0;
         i++)
        ;
    zmq_msg_close(&m);
}

void gloss__sup_job_done(gloss__sup *sup, gloss__job *job)
{
    if (job->doc.id_given)
        gloss__idset_del(&sup->inflight_ids, job->doc.id);
    sup->inflight_docs--;
    sup->inflight_bytes -= job->doc.text_len;
    gloss__job_free(job);
    gloss__sup_update_input(sup);
}

void gloss__sup_job_report(gloss__sup *sup, gloss__job *job, const char *topic,
                           const char *stage, const char *message)
{
    /* The document never came back from a worker: it is published as it
     * arrived, with the reason, so that it does not vanish. */
    const gloss__config *cfg = gloss__sup_config(sup);
    gloss_doc *doc = gloss_doc_new(job->doc.id, job->doc.source, job->doc.text,
                                   job->doc.text_len);
    if (doc) {
        gloss_doc_meta_set_json(doc, NULL, job->doc.meta_json);
        gloss_doc_add_error(doc, stage, "%s", message);
        gloss__json_opts opts = {.offsets = cfg->offsets,
                                 .text = cfg->output_text};
        gloss__buf out = GLOSS__BUF_INIT;
        if (gloss__doc_to_json(doc, &opts, &out) == 0)
            gloss__sup_publish(sup, topic, out.data, out.len);
        gloss__buf_free(&out);
        gloss_doc_destroy(&doc);
    }
    fprintf(stderr, "glossd: document '%s': %s\n", job->doc.id, message);
    sup->stats.failed++;
    gloss__sup_job_done(sup, job);
}

/* ---- start and stop ----------------------------------------------------- */

static void on_signal(uv_signal_t *h, int signum)
{
    gloss__sup *sup = h->data;
    if (signum == SIGHUP) {
        char err[2048];
        if (gloss__sup_reload(sup, err, sizeof err) < 0)
            fprintf(stderr, "glossd: reload refused, still running the old "
                            "configuration: %s\n", err);
        return;
    }
    gloss__sup_drain(sup);
}

/* The idle handle exists only to make the loop poll with a zero timeout;
 * libuv requires a callback to start it. */
static void on_results_idle(uv_idle_t *h)
{
    (void)h;
}

/* Runs just before the loop blocks: from here on a worker that queues
 * results sends a WAKE, unless results wait already, in which case the
 * loop must not block at all (wire.h's queues). */
static void on_results_prepare(uv_prepare_t *h)
{
    gloss__sup *sup = h->data;
    if (gloss__workers_before_poll(sup))
        uv_idle_start(&sup->results_idle, on_results_idle);
    else
        uv_idle_stop(&sup->results_idle);
}

static void on_results_check(uv_check_t *h)
{
    gloss__workers_after_poll(h->data);
}

static void on_tick(uv_timer_t *t)
{
    gloss__sup *sup = t->data;
    gloss__workers_check_deadlines(sup);
    if (sup->publish)
        drop_subscriptions(sup);
    if (sup->stopping && gloss__now_ns() - sup->stop_started_ns > 10000000000ull) {
        /* Workers asked to stop ten seconds ago are not coming back. */
        for (gloss__worker *w = sup->workers; w; w = w->next)
            if (!w->exited)
                uv_process_kill(&w->proc, SIGKILL);
    }
}

static void *bind_socket(gloss__sup *sup, int type, const char *what,
                         const char *endpoint, char *err, size_t errlen)
{
    void *s = zmq_socket(sup->zctx, type);
    if (!s) {
        snprintf(err, errlen, "cannot create the %s socket: %s", what,
                 zmq_strerror(zmq_errno()));
        return NULL;
    }
    int linger = type == ZMQ_XPUB ? 2000 : 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    if (type == ZMQ_XPUB) {
        /* An XPUB with XPUB_NODROP says when a subscriber's queue is full
         * (gloss__sup_publish), where a PUB drops without a word. */
        int hwm = gloss__sup_config(sup)->daemon.publish_hwm, nodrop = 1;
        zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
        zmq_setsockopt(s, ZMQ_XPUB_NODROP, &nodrop, sizeof nodrop);
    }
    if (zmq_bind(s, endpoint) != 0) {
        snprintf(err, errlen, "cannot listen on the %s endpoint %s: %s", what,
                 endpoint, zmq_strerror(zmq_errno()));
        zmq_close(s);
        return NULL;
    }
    return s;
}

/* Checks a configuration the way a worker will use it: building the
 * pipeline loads every script and runs every init(). */
static int check_pipeline(gloss__config *cfg, char *err, size_t errlen)
{
    char why[2048];
    gloss__pipeline *p = gloss__pipeline_new(cfg, why, sizeof why);
    if (!p) {
        snprintf(err, errlen, "%s: %s", cfg->path, why);
        return -1;
    }
    gloss__pipeline_destroy(&p);
    return 0;
}

int gloss__sup_start(gloss__sup *sup, char *err, size_t errlen)
{
    gloss__config *cfg = gloss__config_load(sup->config_path, err, errlen);
    if (!cfg)
        return -1;
    if (check_pipeline(cfg, err, errlen) < 0) {
        gloss__config_destroy(&cfg);
        return -1;
    }
    sup->generations = calloc(1, sizeof(*sup->generations));
    if (!sup->generations) {
        gloss__config_destroy(&cfg);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    sup->generations->number = 1;
    sup->generations->cfg = cfg;
    const gloss__daemon_conf *d = &cfg->daemon;
    if (!sup->workers_wanted)
        sup->workers_wanted = d->workers;
    if (!sup->workers_wanted) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        sup->workers_wanted = cores > 0 ? (unsigned)cores : 1;
    }

    gloss__id_init(&sup->ids);
    /* Text is borrowed from the message it came in, which the job keeps
     * (borrow_text): the supervisor does not copy a document's text. */
    sup->adm_submit = (gloss__admission){d->max_document_size, "submit",
                                         gloss__id_next, &sup->ids, 1};
    sup->adm_feed = sup->adm_submit;
    sup->adm_feed.default_source = "feed";

    snprintf(sup->run_dir, sizeof sup->run_dir, "%s/glossd.XXXXXX", d->run_dir);
    if (!mkdtemp(sup->run_dir)) {
        snprintf(err, errlen, "cannot make a private folder in %s: %s",
                 d->run_dir, strerror(errno));
        sup->run_dir[0] = '\0';
        return -1;
    }

    sup->zctx = zmq_ctx_new();
    if (!sup->zctx) {
        snprintf(err, errlen, "cannot start ZeroMQ: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    if (!(sup->publish = bind_socket(sup, ZMQ_XPUB, "publish", d->publish, err,
                                     errlen)) ||
        !(sup->control = bind_socket(sup, ZMQ_ROUTER, "control", d->control,
                                     err, errlen)))
        return -1;
    if (*d->submit &&
        !(sup->submit = bind_socket(sup, ZMQ_ROUTER, "submit", d->submit, err,
                                    errlen)))
        return -1;
    if (*d->feed &&
        !(sup->feed = bind_socket(sup, ZMQ_PULL, "feed", d->feed, err, errlen)))
        return -1;

    sup->w_control = gloss__zwatch_new(sup->loop, sup->control, ZMQ_POLLIN,
                                       gloss__control_on_message, sup);
    if (sup->submit)
        sup->w_submit = gloss__zwatch_new(sup->loop, sup->submit, ZMQ_POLLIN,
                                          on_submit, sup);
    if (sup->feed)
        sup->w_feed = gloss__zwatch_new(sup->loop, sup->feed, ZMQ_POLLIN,
                                        on_feed, sup);
    if (!sup->w_control || (sup->submit && !sup->w_submit) ||
        (sup->feed && !sup->w_feed)) {
        snprintf(err, errlen, "cannot watch the sockets: %s", strerror(errno));
        return -1;
    }

    /* A write to a worker that has just died must fail with EPIPE, which
     * the worker code expects (its exit then takes care of its jobs), not
     * end the supervisor with SIGPIPE: libuv writes to the socketpair
     * with writev, which raises it. Workers start with the default again
     * (libuv resets signal dispositions in the child it spawns). */
    signal(SIGPIPE, SIG_IGN);
    uv_signal_init(sup->loop, &sup->sig_term);
    uv_signal_init(sup->loop, &sup->sig_int);
    uv_signal_init(sup->loop, &sup->sig_hup);
    sup->sig_term.data = sup->sig_int.data = sup->sig_hup.data = sup;
    uv_signal_start(&sup->sig_term, on_signal, SIGTERM);
    uv_signal_start(&sup->sig_int, on_signal, SIGINT);
    uv_signal_start(&sup->sig_hup, on_signal, SIGHUP);
    uv_timer_init(sup->loop, &sup->tick);
    sup->tick.data = sup;
    uv_timer_start(&sup->tick, on_tick, TICK_MS, TICK_MS);
    uv_timer_init(sup->loop, &sup->recheck);
    sup->recheck.data = sup;
    uv_prepare_init(sup->loop, &sup->results_prepare);
    uv_check_init(sup->loop, &sup->results_check);
    uv_idle_init(sup->loop, &sup->results_idle);
    sup->results_prepare.data = sup->results_check.data = sup;
    uv_prepare_start(&sup->results_prepare, on_results_prepare);
    uv_check_start(&sup->results_check, on_results_check);
    sup->handles_open = 1;

    return gloss__workers_spawn(sup, 1, err, errlen);
}

void gloss__sup_maybe_finish(gloss__sup *sup)
{
    if (!sup->draining)
        return;
    if (!sup->stopping && sup->inflight_docs == 0) {
        sup->stopping = 1;
        sup->stop_started_ns = gloss__now_ns();
        gloss__workers_stop_all(sup);
    }
    if (sup->stopping && gloss__workers_alive(sup) == 0) {
        /* Nothing is left to wait for: closing the handles lets uv_run
         * return, and main closes the sockets, flushing publish. */
        gloss__zwatch_destroy(&sup->w_submit);
        gloss__zwatch_destroy(&sup->w_feed);
        gloss__zwatch_destroy(&sup->w_control);
        if (sup->handles_open) {
            sup->handles_open = 0;
            uv_close((uv_handle_t *)&sup->tick, NULL);
            uv_close((uv_handle_t *)&sup->recheck, NULL);
            uv_close((uv_handle_t *)&sup->results_prepare, NULL);
            uv_close((uv_handle_t *)&sup->results_check, NULL);
            uv_close((uv_handle_t *)&sup->results_idle, NULL);
            uv_close((uv_handle_t *)&sup->sig_term, NULL);
            uv_close((uv_handle_t *)&sup->sig_int, NULL);
            uv_close((uv_handle_t *)&sup->sig_hup, NULL);
        }
    }
}

static void free_jobs(gloss__job_list *l)
{
    while (l->head) {
        gloss__job *j = l->head;
        gloss__jobs_remove(l, j);
        gloss__job_free(j);
    }
}

void gloss__sup_close(gloss__sup *sup)
{
    void **socks[] = {&sup->submit, &sup->feed, &sup->publish, &sup->control};
    for (size_t i = 0; i < sizeof socks / sizeof *socks; i++) {
        if (*socks[i])
            zmq_close(*socks[i]);
        *socks[i] = NULL;
    }
    if (sup->zctx)
        zmq_ctx_term(sup->zctx);
    sup->zctx = NULL;
    /* ZeroMQ has released every published message now. */
    free(atomic_exchange(&sup->spare_inbuf, NULL));
    if (sup->run_dir[0])
        rmdir(sup->run_dir);
    free_jobs(&sup->queue);
    gloss__idset_free(&sup->inflight_ids);
    while (sup->workers) {
        gloss__worker *w = sup->workers;
        sup->workers = w->next;
        free_jobs(&w->jobs);
        free(w);
    }
    free(sup->stages);
    sup->stages = NULL;
    while (sup->generations) {
        gloss__generation *g = sup->generations;
        sup->generations = g->next;
        gloss__config_destroy(&g->cfg);
        free(g);
    }
}
