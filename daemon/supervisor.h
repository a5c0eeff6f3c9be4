/*
 * supervisor.h - the state of glossd's supervisor process, shared by the
 * files that implement it:
 *
 *   supervisor.c  start and stop, the external sockets, admission, the queue
 *                 and dispatch to workers, publishing results;
 *   workers.c     worker processes: spawning, their messages, deaths,
 *                 deadlines;
 *   control.c     the control socket: ping, stats, reload, drain.
 *
 * One libuv loop runs everything; ZeroMQ sockets join it through zwatch.
 * A document is a job: it sits in the queue until a worker with credit
 * takes it, then in that worker's list until the worker answers DONE or
 * dies. In-flight documents and bytes (queued plus in workers) are bounded:
 * at the bound the supervisor stops reading submit and feed, so ZeroMQ's
 * high-water marks hold senders back and nothing is dropped.
 */
#ifndef GLOSS_SUPERVISOR_H
#define GLOSS_SUPERVISOR_H

#include <stdatomic.h>
#include <stddef.h>
#include <jansson.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "envelope.h"
#include "idset.h"
#include "wire.h"
#include "zwatch.h"

typedef struct gloss__sup gloss__sup;
typedef struct gloss__worker gloss__worker;
typedef struct gloss__inbuf gloss__inbuf;

typedef struct gloss__job {
    uint64_t number;          /* job number on the wire */
    gloss__admitted doc;
    /* The message the document's text is borrowed from (an empty message
     * when the text was copied): kept, not copied, until the job ends. */
    zmq_msg_t payload;
    int attempts;             /* times a worker died holding it */
    uint64_t started_ns;      /* when it was sent to its worker */
    /* Where its batch began in its worker's job ring (or the ring's head
     * then, for a batch sent inline): the ring is free before the mark
     * of the oldest job the worker holds. */
    uint64_t ring_mark;
    gloss__worker *worker;    /* NULL while queued */
    struct gloss__job *prev, *next; /* in the queue or the worker's list */
} gloss__job;

typedef struct gloss__job_list {
    gloss__job *head, *tail;
    size_t n;
} gloss__job_list;

typedef enum gloss__worker_state {
    GLOSS__WORKER_STARTING = 0, /* spawned, no HELLO yet */
    GLOSS__WORKER_CONFIGURING,  /* CONFIG sent, no READY yet */
    GLOSS__WORKER_READY,        /* takes jobs */
    GLOSS__WORKER_STOPPING      /* STOP sent: finishes what it holds */
} gloss__worker_state;

struct gloss__worker {
    gloss__sup *sup;
    uv_process_t proc;
    uv_pipe_t pipe;           /* the stream to the worker (a socketpair) */
    /* Bytes read from it (workers.c): [in_off, in_len) are not yet a
     * whole message. Published messages point into it too. */
    gloss__inbuf *in;
    size_t in_off, in_len;
    int handles;              /* of proc and pipe, not yet closed */
    char identity[64];
    unsigned generation;
    unsigned slot;
    gloss__worker_state state;
    unsigned credit;          /* jobs it may still be sent */
    gloss__job_list jobs;     /* jobs it holds */
    /* The recent mean time its documents take, in nanoseconds, as seen
     * from here (from a batch's start to its results); 0 until its first
     * results. Dispatch keeps the work it holds to about daemon.hold. */
    uint64_t doc_ns;
    uint64_t documents;       /* results it has sent back */
    uint64_t deadline_job;    /* the job it was killed for, or 0 */
    /* The area shared with it (area.h), or NULL; its progress page, or
     * NULL. */
    struct gloss__area *area;
    gloss__wire_progress *progress;
    uint64_t job_head;        /* where the next job block may go */
    int queue_broken;         /* its result queue was written over */
    int exited;
    gloss__worker *next;      /* in sup->workers */
};

/* A configuration generation: workers of an old generation finish their
 * jobs after a reload, then end, then their configuration is freed. */
typedef struct gloss__generation {
    unsigned number;
    gloss__config *cfg;
    struct gloss__generation *next;
} gloss__generation;

/* Counters reported by `gloss stats`. */
typedef struct gloss__sup_stats {
    uint64_t received;        /* messages on submit and feed */
    uint64_t accepted;
    uint64_t duplicates;      /* submits of an id already in flight */
    uint64_t rejected[16];    /* by gloss__reject code */
    uint64_t processed;       /* DONE ok */
    uint64_t dropped;         /* DONE dropped */
    uint64_t failed;          /* DONE failed, and worker/deadline reports */
    uint64_t published;       /* messages sent on publish */
    uint64_t publish_errors;  /* messages the publish socket refused */
    uint64_t publish_overflows; /* times a subscriber's queue was full */
    uint64_t worker_starts;
    uint64_t worker_deaths;   /* exits the supervisor did not ask for */
    uint64_t deadline_kills;
    uint64_t retried;
    uint64_t reloads;
    uint64_t reload_failures;
    uint64_t paused;          /* times input stopped at the in-flight bound */
    /* Batches to and from workers, through their shared rings or, when a
     * ring had no room (or there is none), through their sockets. */
    uint64_t jobs_shared, jobs_socket, results_shared, results_socket;
    /* WAKE messages: batches queued for an asleep worker, and results
     * queued while this loop was asleep (wire.h's queues). */
    uint64_t wakes_to_workers, wakes_from_workers;
} gloss__sup_stats;

/* Per-stage metrics, summed from what workers report with each document
 * (their own stage counters die with them; these survive reloads). */
typedef struct gloss__stage_metrics {
    char name[64];
    uint64_t docs;
    uint64_t errors;
    uint64_t ns_total;
    uint64_t ns_max;
} gloss__stage_metrics;

struct gloss__sup {
    uv_loop_t *loop;
    const char *config_path;  /* NULL: the embedded default */
    const char *exe;          /* this program, to spawn workers */
    gloss__generation *generations; /* newest first */
    unsigned workers_wanted;

    void *zctx;
    void *submit, *feed, *publish, *control;
    gloss__zwatch *w_submit, *w_feed, *w_control;
    char run_dir[512];        /* private folder for the progress pages */

    uv_signal_t sig_term, sig_int, sig_hup;
    uv_timer_t tick;          /* deadlines, respawns, the end of a drain */
    /* Dispatch again once daemon.spread has passed, when jobs were left
     * waiting for busy workers (supervisor.c, pick_worker). */
    uv_timer_t recheck;
    /* Around each poll, the results workers queue in their pages:
     * prepare marks the loop asleep (or starts idle, which keeps the poll
     * from blocking, when results wait already), check takes them. */
    uv_prepare_t results_prepare;
    uv_check_t results_check;
    uv_idle_t results_idle;
    int handles_open;         /* the signals, timers and results handles are
                               * initialised */

    gloss__job_list queue;
    gloss__idset inflight_ids; /* client-given ids of the jobs in flight */
    size_t inflight_docs;     /* queued plus in workers */
    size_t inflight_bytes;
    uint64_t next_job;
    gloss__id_gen ids;
    gloss__admission adm_submit, adm_feed;
    int input_paused;         /* at the in-flight bound */
    int input_held;           /* not reading submit and feed */

    gloss__worker *workers;
    unsigned next_slot;
    uint64_t seq;             /* last sequence number published */

    int draining;
    int stopping;             /* workers told to stop; waiting for exits */
    uint64_t stop_started_ns;
    int exit_status;
    gloss__sup_stats stats;
    gloss__stage_metrics *stages;
    size_t n_stages, cap_stages;
    /* Bytes of the buffers read from workers that are still allocated,
     * counting those that only published messages hold (workers.c); ZeroMQ
     * frees those from its I/O thread, hence atomic. */
    _Atomic size_t inbuf_bytes;
    /* One released buffer of the usual size, kept for the next read so
     * that reading does not allocate (and fault in) a fresh one each time;
     * set from ZeroMQ's I/O thread too. */
    _Atomic(gloss__inbuf *) spare_inbuf;
};

/* supervisor.c */
int gloss__sup_start(gloss__sup *sup, char *err, size_t errlen);
void gloss__sup_close(gloss__sup *sup);
gloss__config *gloss__sup_config(const gloss__sup *sup);
void gloss__sup_dispatch(gloss__sup *sup);
/* How many jobs w may hold now: its credit, but no more than about
 * daemon.hold of work by the recent mean time of its documents, and at
 * least two (one running, one waiting); GLOSS__HOLD_UNTIMED until its
 * first results come back. */
#define GLOSS__HOLD_UNTIMED 4
unsigned gloss__sup_hold_limit(const gloss__sup *sup, const gloss__worker *w);
void gloss__sup_update_input(gloss__sup *sup);
/* Answers a ROUTER peer with [identity][empty][body as compact JSON];
 * takes the reference to body (NULL sends nothing). */
void gloss__sup_reply(void *sock, const char *identity, size_t idlen,
                      json_t *body);
/* Publishes the JSON object json (len bytes) on topic with the next
 * sequence number, copied into the message. */
void gloss__sup_publish(gloss__sup *sup, const char *topic, const char *json,
                        size_t len);
/*
 * The same without copying json: the head of the message ({"seq":N,) is
 * written over json's first byte and up to room bytes before it, and the
 * message points into that buffer, which ZeroMQ releases (from its own
 * thread) with release(data, hint); hold(hint) is called for each message
 * made on it first. json is no longer an object afterwards, and its bytes
 * must stay as they are until released. Returns 0 (published, or counted
 * in publish_errors), or -1 when room is too small, in which case nothing
 * was written or sent.
 */
int gloss__sup_publish_inplace(gloss__sup *sup, const char *topic, char *json,
                               size_t len, size_t room, zmq_free_fn *release,
                               void (*hold)(void *hint), void *hint);
void gloss__sup_job_done(gloss__sup *sup, gloss__job *job);
void gloss__sup_job_report(gloss__sup *sup, gloss__job *job, const char *topic,
                           const char *stage, const char *message);
void gloss__sup_maybe_finish(gloss__sup *sup);

/* Frees a job: its document and the message its text came in. */
void gloss__job_free(gloss__job *job);

/* job lists */
void gloss__jobs_push(gloss__job_list *l, gloss__job *j);
void gloss__jobs_push_front(gloss__job_list *l, gloss__job *j);
void gloss__jobs_remove(gloss__job_list *l, gloss__job *j);

/* workers.c */
int gloss__workers_spawn(gloss__sup *sup, unsigned generation, char *err,
                         size_t errlen);
/* A message for a worker, packed (wire.h stream framing) behind its write
 * request. */
typedef struct gloss__outmsg {
    uv_write_t req;
    size_t size;
    char data[];
} gloss__outmsg;
/* Packs n frames into a new message; a frame whose data is NULL is left to
 * be filled, and *last (when not NULL) points to the last frame's bytes.
 * NULL on ENOMEM. */
gloss__outmsg *gloss__outmsg_new(size_t n, const void *const *data,
                                 const size_t *len, char **last);
/* Sends (and takes) msg. Returns 0, or -1 when the worker's stream is gone. */
int gloss__worker_write(gloss__worker *w, gloss__outmsg *msg);
/* Sends the n job records as one block of w's job ring (told of in its
 * queue, or in a JOB@: wire.h), when they fit there now; otherwise as one
 * JOB message, in which fields of 4 KiB or more are written from where
 * they lie, not copied: each must stay where it is until the worker
 * answers the job or its exit has been handled (a job's admitted document
 * and its payload message do). *mark is set to the jobs' ring_mark.
 * Returns 0, or -1. */
int gloss__worker_write_jobs(gloss__worker *w, const gloss__wire_rec *recs,
                             size_t n, uint64_t *mark);
/* The loop's turn around its poll, for the results workers queue in
 * their pages (wire.h): before_poll marks the loop asleep for each worker
 * and returns 1 when results are queued already (the poll must then not
 * block); after_poll clears the marks and takes what was queued. */
int gloss__workers_before_poll(gloss__sup *sup);
void gloss__workers_after_poll(gloss__sup *sup);
void gloss__workers_check_deadlines(gloss__sup *sup);
void gloss__workers_stop_generation(gloss__sup *sup, unsigned generation);
void gloss__workers_stop_all(gloss__sup *sup);
size_t gloss__workers_alive(const gloss__sup *sup);

/* control.c */
void gloss__control_on_message(gloss__zwatch *w, int revents, void *arg);
int gloss__sup_reload(gloss__sup *sup, char *err, size_t errlen);
void gloss__sup_drain(gloss__sup *sup);

#endif
