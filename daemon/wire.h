/*
 * wire.h - the messages between the supervisor and its workers, and the
 * multipart ZeroMQ messages of the external sockets.
 *
 * Workers are processes (glossd --worker) that each share a socketpair with
 * the supervisor: the supervisor makes it when it starts the worker and the
 * worker finds its end as descriptor 3. Over that byte stream the messages
 * are framed as below (stream framing). Every message is multipart and
 * begins with a verb frame. Numbers in HELLO and READY travel as decimal
 * text; jobs and results travel as records.
 *
 *   worker -> supervisor
 *     HELLO  generation                     connected; send the configuration
 *     READY  credit                         can take `credit` more jobs
 *     DONE   records                        one or more jobs finished: one
 *                                           record per job (below), with its
 *                                           status (0 ok, 1 dropped, 2 failed)
 *                                           and three fields: json (the
 *                                           document of schema.md, with its
 *                                           errors), topics (one per line, to
 *                                           publish it on) and stages (what
 *                                           each stage cost it, routes.h)
 *     DONE@  ring reference                 the same, its records in the done
 *                                           ring (below)
 *     WAKE                                  results were queued (below)
 *                                           while the supervisor was asleep
 *     FATAL  message                        the configuration failed to start;
 *                                           the worker exits after sending it
 *   supervisor -> worker
 *     CONFIG name  dir  source              the configuration, as Lua source,
 *                                           its name for messages and the folder
 *                                           relative paths resolve against
 *     JOB    records                        one or more documents: one record
 *                                           per job, status 0, with four
 *                                           fields: id, source, meta (JSON)
 *                                           and text
 *     JOB@   ring reference                 the same, its records in the job
 *                                           ring (below)
 *     WAKE                                  jobs were queued (below) while
 *                                           the worker was asleep
 *     STOP                                  finish what you hold, then exit
 *
 * Records: JOB and DONE carry their jobs in one frame, so that a batch of
 * documents costs one message instead of one message of six or seven frames
 * each. A record is, in the host's byte order (both ends are the same
 * program on the same machine):
 *
 *     u64 job | u32 status | u32 nfields | nfields x (u64 len | len bytes | NUL)
 *
 * The NUL after each field lets the worker use id, source and meta as C
 * strings where they lie, without copying them. The JSON of a DONE record
 * comes first so that the supervisor can publish it from where it was
 * read: the 24 bytes before it (job, status, nfields and its length),
 * already read by then, take the published message's head {"seq":N,.
 *
 * Credit: a worker sends READY once, after its configuration is built, with
 * the number of jobs it may hold at once; it does not send READY again.
 * Each record of a DONE gives one credit back, so the supervisor keeps, per
 * worker, credit - (jobs sent - jobs done) and never sends a job past it,
 * nor past what daemon.hold allows a worker whose documents are slow
 * (gloss__sup_hold_limit), and it leaves idle workers idle while the busy
 * ones keep up (daemon.spread). It sends the jobs for one worker in batches of
 * at most half of what the worker may hold (and about 256 KiB of text), so
 * that the next batch waits in the worker's ring or socket while the
 * worker runs the current one.
 *
 * Results and deadlines: a worker that holds a progress page (below)
 * answers a JOB message with one DONE holding the records of all its jobs.
 * Before it runs each job it writes the job's number and start time in the
 * page, and 0 once the job is done, so the supervisor knows which document
 * is running even while the results of the ones before it wait to be sent:
 * a deadline kill blames exactly that document. A worker without a page
 * (one started by a test) answers each job with its own DONE as soon as it
 * is done, and the supervisor blames the oldest job it holds, as before.
 *
 * The progress page is a small shared file that the supervisor makes in its
 * private run folder, unlinks at once, and hands to the worker as an open
 * descriptor (descriptor 4, named by the sixth argument of glossd
 * --worker).
 *
 * Rings: the shared area that holds the progress page also holds, after
 * its first GLOSS__WIRE_RINGS_AT bytes, two rings (of job_size and
 * done_size bytes), so that documents and results do not travel through
 * the kernel's socket buffers (copied in, copied out, accounted page by
 * page) but are written once where the other process reads them. A
 * block's reference, its position and length (u64 each), goes in the
 * page's queue for that ring (gloss__wire_queue, below), which costs no
 * system call while its reader is awake, and a WAKE goes over the socket
 * only when the reader said it was asleep. When the queue is full, the
 * reference travels in a JOB@ or DONE@ message instead, as one 16-byte
 * frame. The job ring is the supervisor's to write: a job block is free
 * again once the worker has answered every job in it, which the
 * supervisor sees from its DONEs. The done ring is the worker's to write:
 * the supervisor publishes results from where they lie there, and stores
 * done_tail past a result block once its records are taken and ZeroMQ
 * has released the messages made on it (daemon/area.h). A batch that
 * does not fit in its ring now (the ring is full, or the batch is larger
 * than the ring) travels inline as JOB or DONE instead, so no side ever
 * waits for room. Each side takes everything queued before it handles a
 * message, so queued blocks keep their place in the order of everything
 * said. An area the size of the page alone has no rings (job_size and
 * done_size 0).
 *
 * Sending the configuration's source (not its path) means every worker of
 * one generation runs exactly what the supervisor checked, even if the file
 * changes on disk in between.
 */
#ifndef GLOSS_WIRE_H
#define GLOSS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define GLOSS__WIRE_MAX_FRAMES 8
#define GLOSS__WIRE_MAX_FIELDS 4

/* The statuses of a DONE record. */
enum { GLOSS__WIRE_OK = 0, GLOSS__WIRE_DROPPED = 1, GLOSS__WIRE_FAILED = 2 };

/* One job's record in a JOB or DONE frame. Fields received point into the
 * frame and are each followed by a NUL. */
typedef struct gloss__wire_rec {
    uint64_t job;
    uint32_t status;
    size_t nfields;
    const char *field[GLOSS__WIRE_MAX_FIELDS];
    size_t len[GLOSS__WIRE_MAX_FIELDS];
} gloss__wire_rec;

/* The bytes r takes in a frame. */
size_t gloss__wire_rec_size(const gloss__wire_rec *r);

/* Writes r at dst, which has gloss__wire_rec_size(r) bytes; returns that
 * size. */
size_t gloss__wire_rec_put(char *dst, const gloss__wire_rec *r);

/* The layout gloss__wire_rec_put writes, for a record whose first field is
 * made where it will lie (the worker's JSON, which is then not copied):
 * the record's head, GLOSS__WIRE_REC_HEAD bytes, then each field as its
 * length (GLOSS__WIRE_FIELD_HEAD bytes), its bytes and a NUL. */
#define GLOSS__WIRE_REC_HEAD 16
#define GLOSS__WIRE_FIELD_HEAD 8
void gloss__wire_rec_put_head(char *dst, uint64_t job, uint32_t status,
                              size_t nfields);
void gloss__wire_field_put_len(char *dst, size_t len);
/* Writes a whole field (its length, its len bytes and a NUL) at dst and
 * returns how many bytes that took: GLOSS__WIRE_FIELD_HEAD + len + 1. */
size_t gloss__wire_field_put(char *dst, const void *data, size_t len);

/*
 * Reads the record at *p (before end), which must have nfields fields.
 * Returns 1 with *r filled and *p moved past it, 0 when *p == end, or -1
 * when the bytes are not a whole record of that shape.
 */
int gloss__wire_rec_next(const char **p, const char *end, size_t nfields,
                         gloss__wire_rec *r);

/*
 * A queue of block references in the shared page, one way: the writer of
 * a ring pushes the reference of each block it wrote, and the reader takes
 * them in order, so that while the reader is awake a block costs no system
 * call on either side. A reader about to block in poll() says so first
 * (asleep), then looks at the queue once more; a writer that pushes reads
 * and clears asleep after the push, and sends a WAKE message only when it
 * was set. Both steps are sequentially consistent, so of the two one
 * always sees the other: either the reader finds the block, or the writer
 * finds it asleep and wakes it. A full queue is never waited for: the
 * reference travels as a JOB@ or DONE@ message instead, and a reader
 * takes everything queued before it handles any message, so the order of
 * what was said holds.
 */
#define GLOSS__WIRE_QUEUE 64
typedef struct gloss__wire_queue {
    _Atomic uint64_t head;   /* references pushed: the writer's */
    _Atomic uint64_t tail;   /* references taken: the reader's */
    _Atomic uint32_t asleep; /* the reader waits for a WAKE */
    uint32_t pad_;
    struct {
        _Atomic uint64_t pos, len;
    } ref[GLOSS__WIRE_QUEUE];
} gloss__wire_queue;

/* The progress page a worker shares with the supervisor: the job it is
 * running (0 for none) and since when (gloss__now_ns, CLOCK_MONOTONIC,
 * which both processes read alike). The worker stores started_ns, then job
 * with release order; the supervisor loads job with acquire order, then
 * started_ns, so it never pairs a job with an earlier job's start. */
typedef struct gloss__wire_progress {
    _Atomic uint64_t job;
    _Atomic uint64_t started_ns;
    /* The rings that follow the page (below): the bytes of each, 0 when
     * there are none. The supervisor writes them before the worker
     * starts. */
    uint64_t job_size, done_size;
    /* How far the supervisor has read the done ring: the worker may write
     * over everything before it. Stored with release order once the
     * supervisor is done with a DONE@'s records, loaded with acquire. */
    _Atomic uint64_t done_tail;
    /* The references of the blocks of each ring (above): jobs from the
     * supervisor, results from the worker. */
    gloss__wire_queue jobs, done;
} gloss__wire_progress;

/* Where the rings begin in the shared area: the job ring here, the done
 * ring job_size bytes further. */
#define GLOSS__WIRE_RINGS_AT 4096
/* The bytes of the rings of the areas glossd makes. The job ring holds
 * what a worker may hold at once (daemon.credit, at most 64) of documents
 * of 16 KiB, 1 MiB and the records' heads, with room to spare, since a
 * block that would run past the ring's end starts the next turn. Results
 * are larger than the documents (a document's JSON holds its text and its
 * layers), and they stay in the done ring until ZeroMQ has sent them to
 * every subscriber, so the done ring is the larger one. */
#define GLOSS__WIRE_JOB_RING ((uint64_t)2 << 20)
#define GLOSS__WIRE_DONE_RING ((uint64_t)4 << 20)

/*
 * Where a block of len bytes goes in a ring of size bytes whose writer is
 * at position head and whose reader has let go of everything before
 * position tail (positions count bytes since the start and never wrap):
 * head itself, or the start of the ring's next turn when the block would
 * run past the ring's end, since a block is always whole in one place.
 * Returns that position, or UINT64_MAX when the block does not fit now.
 */
uint64_t gloss__wire_ring_place(uint64_t head, uint64_t tail, uint64_t size,
                                uint64_t len);

/* The rings of a shared area, as its page describes them. */
typedef struct gloss__wire_rings {
    char *job, *done;
    uint64_t job_size, done_size; /* 0: no rings */
} gloss__wire_rings;

/* Finds the rings of a mapped area of size bytes that begins with a
 * progress page. Returns 1 with *r set, or 0 with *r empty when the page
 * says there are none or the area is too small for what it says. */
int gloss__wire_area_rings(void *map, size_t size, gloss__wire_rings *r);

/* The bytes of the block at position pos of len bytes in the ring at
 * base, or NULL when the reference (read from the other process) does
 * not lie inside the ring. */
char *gloss__wire_ring_at(char *base, uint64_t size, uint64_t pos,
                          uint64_t len);

/* A reference to a block of a ring: the one frame after the verb of a
 * JOB@ or a DONE@, sent as these 16 bytes. */
typedef struct gloss__wire_ref {
    uint64_t pos, len;
} gloss__wire_ref;


/*
 * The queue's steps (above). push returns 1 when the reader was asleep and
 * must be sent a WAKE, 0 when it will find the reference by itself, and -1
 * when the queue is full (nothing was pushed). take returns 1 with *ref, 0
 * when the queue is empty, or -1 when its counters cannot be right (the
 * other process wrote over them): the reader then stops using it. sleep
 * returns 1 when the queue is empty and the reader, marked asleep, may
 * block; 0 when something is queued (it is not marked). awake clears the
 * mark once the reader is back from its wait.
 */
int gloss__wire_queue_push(gloss__wire_queue *q, const gloss__wire_ref *ref);
int gloss__wire_queue_take(gloss__wire_queue *q, gloss__wire_ref *ref);
int gloss__wire_queue_sleep(gloss__wire_queue *q);
void gloss__wire_queue_awake(gloss__wire_queue *q);

/* A received multipart message: frames point into zmq messages held
 * by the struct. */
typedef struct gloss__wire_msg {
    size_t nframes;
    const char *frame[GLOSS__WIRE_MAX_FRAMES];
    size_t len[GLOSS__WIRE_MAX_FRAMES];
    void *zmsgs_;      /* private: the zmq_msg_t array */
    int more_;         /* private: frames were dropped past the maximum */
    void *mem_;        /* private: malloc'd bytes the frames point into */
} gloss__wire_msg;

/*
 * Receives one whole multipart message from sock (flags: 0 or
 * ZMQ_DONTWAIT). Returns 0, or -1 with errno (EAGAIN when nothing waits;
 * EPROTO when the message had more than GLOSS__WIRE_MAX_FRAMES frames, in
 * which case the whole message was consumed). Release with
 * gloss__wire_msg_close.
 */
int gloss__wire_recv(void *sock, gloss__wire_msg *m, int flags);
void gloss__wire_msg_close(gloss__wire_msg *m);

/* Moves frame i of a received message into the zmq_msg_t *zmsg (which
 * needs no initialising and is the caller's to close), so that its bytes
 * can outlive m without being copied; frame i of m is empty afterwards.
 * Where the bytes lie may change (ZeroMQ keeps short frames inside the
 * zmq_msg_t itself): use zmq_msg_data(zmsg). Returns 0, or -1. */
int gloss__wire_take(gloss__wire_msg *m, size_t i, void *zmsg);

/* True when frame i exists and equals the NUL-terminated word. */
int gloss__wire_is(const gloss__wire_msg *m, size_t i, const char *word);
/* True when m is a reference message with this verb: the verb, then one
 * frame of a gloss__wire_ref. */
int gloss__wire_is_ref(const gloss__wire_msg *m, const char *verb);

/* The bytes of the block that m, a reference message, refers to in the
 * ring at base of size bytes, with *ref set; NULL when m holds no
 * reference or its block does not lie inside the ring. */
const char *gloss__wire_ref_block(const gloss__wire_msg *m, char *base,
                                  uint64_t size, gloss__wire_ref *ref);

/* Copies frame i as a NUL-terminated malloc'd string (NULL on ENOMEM or
 * when it does not exist). */
char *gloss__wire_dup(const gloss__wire_msg *m, size_t i);

/* Parses frame i as an unsigned decimal number; returns 0, or -1. */
int gloss__wire_u64(const gloss__wire_msg *m, size_t i, uint64_t *out);

/*
 * Sends n frames (data[i], len[i]) as one multipart message. Returns 0, or
 * -1 with errno (EAGAIN with ZMQ_DONTWAIT when the peer is full;
 * EHOSTUNREACH on a ROUTER with ZMQ_ROUTER_MANDATORY when the peer is gone).
 */
int gloss__wire_send(void *sock, int flags, size_t n, const void *const *data,
                     const size_t *len);

/*
 * Sends n frames like gloss__wire_send, then the zmq_msg_t *last as the
 * final frame, without copying it. last is always consumed: sent, or closed
 * on failure.
 */
int gloss__wire_send_msg(void *sock, int flags, size_t n,
                         const void *const *data, const size_t *len,
                         void *last);

/*
 * Stream framing: how the same multipart messages travel over the byte
 * stream between the supervisor and a worker (a socketpair). A message is
 *
 *     u64 body | u32 nframes | u32 0 | nframes x (u64 len | len bytes)
 *
 * in the host's byte order, body counting the bytes after the 16-byte
 * head.
 */
#define GLOSS__WIRE_HEAD 16
/* The largest body a reader accepts: a longer one is a protocol error. */
#define GLOSS__WIRE_MAX_BODY ((uint64_t)1 << 34)

/* Writes the head of a message of nframes frames whose body (what follows
 * the head) is body bytes: for writers that send the frames from where they
 * lie. */
void gloss__wire_put_head(char *dst, uint64_t body, uint32_t nframes);

/* The bytes a message of n frames of these lengths takes. */
size_t gloss__wire_packed_size(size_t n, const size_t *len);

/* Writes the message at dst (gloss__wire_packed_size bytes); returns that
 * size. A frame whose data is NULL is left for the caller to fill: the last
 * one then lies in the final len[n - 1] bytes. */
size_t gloss__wire_pack(char *dst, size_t n, const void *const *data,
                        const size_t *len);

/* The body length of the message whose head is at buf (GLOSS__WIRE_HEAD
 * bytes), or -1 with errno EPROTO when it is over GLOSS__WIRE_MAX_BODY. */
int gloss__wire_body(const char *buf, uint64_t *body);

/*
 * Reads the message at buf, of which avail bytes are there. Returns 1 with
 * *m (its frames point into buf; m owns nothing unless the caller sets
 * mem_) and *used, the message's size; 0 when more bytes are needed; -1
 * with errno when the message is whole but unusable, with *used set so
 * that the caller can skip it: EPROTO for more than GLOSS__WIRE_MAX_FRAMES
 * frames or a body over the maximum (then *used is 0: the stream cannot be
 * trusted past it), EBADMSG when its frames do not fill its body exactly.
 */
int gloss__wire_unpack(const char *buf, size_t avail, gloss__wire_msg *m,
                       size_t *used);

/* Convenience: sends n NUL-terminated strings as frames (1 to
 * GLOSS__WIRE_MAX_FRAMES of them; otherwise -1 with EINVAL). */
int gloss__wire_sendv(void *sock, int flags, size_t n, ...);

#endif
