/*
 * test_worker.c - tests of the worker loop (daemon/worker.c): the test
 * plays the supervisor on one end of a socketpair, hands the other end to
 * gloss__worker_main(), and talks to it the way glossd will.
 *
 * Most workers run in a thread of this process, which lets the test read
 * the function's return value with pthread_join(). The test of a vanished
 * supervisor needs the worker to lose its parent process, so there a
 * middle process forks the worker and is then killed; the worker reports
 * its return value through a pipe, and the pipe's end of file says that it
 * exited. A worker thread writes its complaints to stderr, which the test
 * sends to a file while the worker runs, to check that they name what
 * was wrong.
 *
 * Receives have a generous timeout and the whole run an alarm, only as
 * safety stops: a hung worker fails the test instead of hanging it.
 * Nothing here measures time.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "wire.h"
#include "worker.h"

#define SAFETY_MS 60000   /* a receive that waits longer has hung */
#define ALARM_S 300       /* the whole run */

static char tmpdir[64];
static char fixtures[4096];

/* The pipeline of the tests: normalize refusing invalid UTF-8, then the
 * tag.lua stage (tests/fixtures/worker), found next to the configuration
 * through the folder sent in CONFIG. */
static const char good_config[] =
    "return {\n"
    "  pipeline = {\n"
    "    { stage = \"normalize\", options = { invalid = \"reject\" } },\n"
    "    { script = \"tag.lua\" },\n"
    "  },\n"
    "}\n";

/* A syntax error on line 4: a missing comma. */
static const char bad_config[] =
    "return {\n"
    "  pipeline = {\n"
    "    { stage = \"normalize\" }\n"
    "    { stage = \"normalize\", name = \"again\" },\n"
    "  },\n"
    "}\n";

/* ---- the supervisor's side --------------------------------------------- */

typedef struct sup {
    int fd;          /* the supervisor's end of the socketpair */
    int wfd;         /* the worker's end, handed to gloss__worker_main */
} sup;

static int sup_open(sup *s, const char *name)
{
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
        diag("%s: socketpair: %s", name, strerror(errno));
        s->fd = s->wfd = -1;
        return -1;
    }
    s->fd = fds[0];
    s->wfd = fds[1];
    return 0;
}

static void sup_close_socket(sup *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

static void sup_close(sup *s)
{
    sup_close_socket(s);
}

/* Reads len bytes, waiting at most SAFETY_MS for each part. */
static int read_full(int fd, char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, SAFETY_MS) != 1) {
            diag("no message from the worker");
            return -1;
        }
        ssize_t n = read(fd, buf + got, len - got);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            diag("the worker's end closed");
            return -1;
        }
        got += (size_t)n;
    }
    return 0;
}

/* Receives the next message of the worker: m->frame[0] is the verb.
 * Returns 0, or -1. */
static int sup_recv(sup *s, const char *identity, gloss__wire_msg *m)
{
    (void)identity;
    memset(m, 0, sizeof(*m));
    char head[GLOSS__WIRE_HEAD];
    uint64_t body;
    if (read_full(s->fd, head, sizeof head) < 0 ||
        gloss__wire_body(head, &body) < 0)
        return -1;
    char *buf = malloc(GLOSS__WIRE_HEAD + (size_t)body);
    if (!buf)
        return -1;
    memcpy(buf, head, sizeof head);
    size_t used;
    if (read_full(s->fd, buf + GLOSS__WIRE_HEAD, (size_t)body) < 0 ||
        gloss__wire_unpack(buf, GLOSS__WIRE_HEAD + (size_t)body, m, &used) != 1) {
        diag("a malformed message from the worker");
        free(buf);
        return -1;
    }
    m->mem_ = buf;
    return 0;
}

static void sup_msg_close(gloss__wire_msg *m)
{
    gloss__wire_msg_close(m);
}

/* Sends frames (n of them, with lengths) to the worker. */
static int sup_send(sup *s, const char *identity, size_t n,
                    const char *const *frames, const size_t *lens)
{
    (void)identity;
    const void *data[16];
    size_t len[16];
    for (size_t i = 0; i < n && i < 16; i++) {
        data[i] = frames[i];
        len[i] = lens ? lens[i] : strlen(frames[i]);
    }
    size_t size = gloss__wire_packed_size(n, len);
    char *buf = malloc(size);
    if (!buf)
        return -1;
    gloss__wire_pack(buf, n, data, len);
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(s->fd, buf + off, size - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            break;
        off += (size_t)w;
    }
    free(buf);
    return off == size ? 0 : -1;
}

static int sup_config(sup *s, const char *identity, const char *name,
                      const char *source)
{
    const char *f[4] = {"CONFIG", name, fixtures, source};
    return sup_send(s, identity, 4, f, NULL);
}

/* Sends n jobs (numbers, ids, metas, texts) as one JOB message. */
static int sup_jobs(sup *s, const char *identity, size_t n,
                    const uint64_t *jobs, const char *const *ids,
                    const char *const *metas, const char *const *texts,
                    const size_t *textlens)
{
    gloss__wire_rec r[8];
    size_t size = 0;
    for (size_t i = 0; i < n && i < 8; i++) {
        r[i] = (gloss__wire_rec){.job = jobs[i], .nfields = 4};
        r[i].field[0] = ids[i];
        r[i].len[0] = strlen(ids[i]);
        r[i].field[1] = "test";
        r[i].len[1] = 4;
        r[i].field[2] = metas[i];
        r[i].len[2] = strlen(metas[i]);
        r[i].field[3] = texts[i];
        r[i].len[3] = textlens[i];
        size += gloss__wire_rec_size(&r[i]);
    }
    char *batch = malloc(size + 1);
    if (!batch)
        return -1;
    char *p = batch;
    for (size_t i = 0; i < n && i < 8; i++)
        p += gloss__wire_rec_put(p, &r[i]);
    const char *f[2] = {"JOB", batch};
    size_t l[2] = {3, size};
    int rc = sup_send(s, identity, 2, f, l);
    free(batch);
    return rc;
}

static int sup_job(sup *s, const char *identity, uint64_t job, const char *id,
                   const char *meta, const char *text, size_t textlen)
{
    return sup_jobs(s, identity, 1, &job, &id, &meta, &text, &textlen);
}

/* Waits for a message with this verb and frame count; returns 0 with *m
 * to close, else -1 (and reports what came). */
static int expect(sup *s, const char *identity, const char *verb,
                  size_t nframes, gloss__wire_msg *m)
{
    if (sup_recv(s, identity, m) < 0)
        return -1;
    if (gloss__wire_is(m, 0, verb) && m->nframes == nframes)
        return 0;
    char *got = gloss__wire_dup(m, 0);
    diag("expected %s with %zu frames, got %s with %zu", verb, nframes,
         got ? got : "?", m->nframes);
    free(got);
    sup_msg_close(m);
    return -1;
}

/* ---- running a worker in a thread -------------------------------------- */

typedef struct run {
    int fd;
    const char *identity;
    unsigned generation, credit;
    int status;
    pthread_t thread;
    int progress_fd;          /* -1: none */
} run;

static void *run_worker(void *arg)
{
    run *r = arg;
    r->status = gloss__worker_main(r->fd, r->identity, r->generation,
                                   r->credit, r->progress_fd);
    return NULL;
}

/* Sends stderr to a file while a worker thread runs. */
static int saved_stderr = -1;

static void capture_stderr(const char *path)
{
    fflush(stderr);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return;
    saved_stderr = dup(2);
    dup2(fd, 2);
    close(fd);
}

/* Restores stderr and returns what was written (free it). */
static char *release_stderr(const char *path)
{
    fflush(stderr);
    if (saved_stderr >= 0) {
        dup2(saved_stderr, 2);
        close(saved_stderr);
        saved_stderr = -1;
    }
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *text = calloc(1, 65536);
    if (text) {
        size_t n = fread(text, 1, 65535, f);
        text[n] = '\0';
    }
    fclose(f);
    unlink(path);
    return text;
}

/* Takes HELLO, sends the good configuration and takes READY: a worker
 * ready for jobs. */
static void handshake(sup *s, const char *wid)
{
    gloss__wire_msg m;
    if (expect(s, wid, "HELLO", 2, &m) == 0)
        sup_msg_close(&m);
    sup_config(s, wid, "worker.conf.lua", good_config);
    if (expect(s, wid, "READY", 2, &m) == 0)
        sup_msg_close(&m);
}

/* ---- checking DONE ----------------------------------------------------- */

/* The DONE message being read, record by record: a worker with a progress
 * page answers a batch of jobs with one DONE. */
static gloss__wire_msg done_msg;
static const char *done_p, *done_end;

/* How many DONE messages the last expect_done calls received. */
static int done_messages;

/* Receives the next DONE record (from the DONE message being read, or from
 * a new one) and checks its job number and status; returns its JSON parsed
 * (json_decref it) or NULL. */
static json_t *expect_done(sup *s, const char *identity, uint64_t job,
                           const char *status)
{
    if (!done_p || done_p == done_end) {
        if (done_p)
            sup_msg_close(&done_msg);
        done_p = NULL;
        if (expect(s, identity, "DONE", 2, &done_msg) < 0) {
            ok(0, "DONE for job %llu", (unsigned long long)job);
            return NULL;
        }
        done_messages++;
        done_p = done_msg.frame[1];
        done_end = done_p + done_msg.len[1];
    }
    gloss__wire_rec r;
    if (!ok(gloss__wire_rec_next(&done_p, done_end, 3, &r) == 1,
            "DONE holds a record for job %llu", (unsigned long long)job)) {
        done_p = done_end;
        return NULL;
    }
    ok(r.job == job, "DONE carries job number %llu", (unsigned long long)job);
    static const char *const names[3] = {"ok", "dropped", "failed"};
    is_str(r.status < 3 ? names[r.status] : "?", status, "job %llu is %s",
           (unsigned long long)job, status);
    json_error_t e;
    json_t *doc = json_loadb(r.field[0], r.len[0], 0, &e);
    if (!ok(json_is_object(doc), "job %llu's JSON parses",
            (unsigned long long)job))
        diag("%s", e.text);
    return doc;
}

/* Closes the DONE message being read, once all its records were taken. */
static void done_close(void)
{
    if (done_p) {
        ok(done_p == done_end, "no DONE record is left unread");
        sup_msg_close(&done_msg);
    }
    done_p = done_end = NULL;
}

static const char *str_at(json_t *doc, const char *path)
{
    json_t *v = json_object_get(doc, path);
    return json_string_value(v);
}

/* ---- the tests --------------------------------------------------------- */

static void test_serving(void)
{
    sup s = {0};
    if (sup_open(&s, "serve") < 0) {
        ok(0, "a socketpair for the worker");
        return;
    }
    char log_path[128];
    snprintf(log_path, sizeof log_path, "%s/serve.log", tmpdir);
    const char *wid = "w7.0.1";
    /* This worker has a progress page, as glossd's workers do. */
    char page_path[128];
    snprintf(page_path, sizeof page_path, "%s/progress", tmpdir);
    int page_fd = open(page_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    gloss__wire_progress *page = NULL;
    if (page_fd >= 0 && ftruncate(page_fd, sizeof *page) == 0)
        page = mmap(NULL, sizeof *page, PROT_READ | PROT_WRITE, MAP_SHARED,
                    page_fd, 0);
    unlink(page_path);
    if (!ok(page && page != MAP_FAILED, "a progress page for the worker"))
        page = NULL;
    run r = {s.wfd, wid, 7, 3, -1, 0, page_fd};
    capture_stderr(log_path);
    if (pthread_create(&r.thread, NULL, run_worker, &r) != 0) {
        release_stderr(log_path);
        ok(0, "the worker thread starts");
        sup_close(&s);
        return;
    }

    gloss__wire_msg m;
    int rc = expect(&s, wid, "HELLO", 2, &m);
    ok(rc == 0 && gloss__wire_is(&m, 1, "7"),
       "HELLO arrives from the routing id with the generation");
    if (rc == 0)
        sup_msg_close(&m);

    /* Messages that are not part of the protocol before CONFIG. */
    const char *early[1] = {"JOB"};
    sup_send(&s, wid, 1, early, NULL);

    sup_config(&s, wid, "worker.conf.lua", good_config);
    rc = expect(&s, wid, "READY", 2, &m);
    ok(rc == 0 && gloss__wire_is(&m, 1, "3"), "READY offers the credit, 3");
    if (rc == 0)
        sup_msg_close(&m);

    /* Malformed messages, each of which must be ignored. */
    const char *bogus[2] = {"BOGUS", "x"};
    sup_send(&s, wid, 2, bogus, NULL);
    const char *short_job[2] = {"JOB", "1"};
    sup_send(&s, wid, 2, short_job, NULL);
    const char *three_frames[3] = {"JOB", "1", "doc-x"};
    sup_send(&s, wid, 3, three_frames, NULL);
    const char *binary[1] = {"\x01\xff"};
    size_t binary_len[1] = {2};
    sup_send(&s, wid, 1, binary, binary_len);
    const char *many[10] = {"JOB", "2", "a", "b", "c", "d", "e", "f", "g", "h"};
    sup_send(&s, wid, 10, many, NULL);
    const char *stop_extra[2] = {"STOP", "now"};
    sup_send(&s, wid, 2, stop_extra, NULL);
    const char *again[4] = {"CONFIG", "x", "", "return {}"};
    sup_send(&s, wid, 4, again, NULL);

    /* Three jobs at once, the worker's credit, in one JOB message. */
    static const char nonascii[] = "\xc3\x87" "a marche: gloss \xc3\xbc" "ber alles";
    static const char invalid[] = "bad \xff\xfe text";
    static const char drop[] = "please DROP ME now";
    const uint64_t jobs[3] = {1001, 1002, 1003};
    const char *ids[3] = {"doc-1", "doc-2", "doc-3"};
    const char *metas[3] = {"{\"lang\":\"fr\",\"n\":2}", "{}", ""};
    const char *texts[3] = {nonascii, invalid, drop};
    const size_t lens[3] = {sizeof nonascii - 1, sizeof invalid - 1,
                            sizeof drop - 1};
    sup_jobs(&s, wid, 3, jobs, ids, metas, texts, lens);

    done_messages = 0;
    json_t *d = expect_done(&s, wid, 1001, "ok");
    if (d) {
        is_str(str_at(d, "id"), "doc-1", "the id travels");
        is_str(str_at(d, "source"), "test", "the source travels");
        is_str(json_string_value(json_object_get(json_object_get(d, "meta"),
                                                 "lang")),
               "fr", "the meta travels");
        is_int(json_integer_value(json_object_get(json_object_get(d, "meta"),
                                                  "n")),
               2, "the meta keeps its numbers");
        is_str(str_at(d, "text"), nonascii, "the non-ASCII text is intact");
        json_t *span = json_array_get(
            json_object_get(json_object_get(d, "layers"), "words"), 0);
        is_int(json_integer_value(json_object_get(span, "start")), 11,
               "the Lua stage's span starts at code point 11");
        is_int(json_integer_value(json_object_get(span, "end")), 16,
               "and ends at code point 16");
        is_str(json_string_value(json_object_get(span, "label")), "TOOL",
               "the span has the stage's label");
        ok(json_number_value(json_object_get(
               json_object_get(json_object_get(d, "labels"), "kind"),
               "test")) == 1.0,
           "the document has the stage's label");
        json_t *timings = json_object_get(d, "timings");
        ok(json_is_integer(json_object_get(timings, "normalize")) &&
               json_is_integer(json_object_get(timings, "tag")),
           "per-stage timings are included");
        is_int(json_array_size(json_object_get(d, "errors")), 0,
               "no errors");
        json_decref(d);
    }

    d = expect_done(&s, wid, 1002, "failed");
    if (d) {
        json_t *err = json_array_get(json_object_get(d, "errors"), 0);
        is_str(json_string_value(json_object_get(err, "stage")), "normalize",
               "the failure names the stage");
        like(json_string_value(json_object_get(err, "message")),
             "invalid UTF-8 at byte 4", "and says what was wrong, where");
        is_str(str_at(d, "id"), "doc-2", "the failed document keeps its id");
        json_decref(d);
    }

    d = expect_done(&s, wid, 1003, "dropped");
    if (d) {
        is_str(str_at(d, "dropped"), "the text asked to be dropped",
               "the dropped document's JSON says why");
        is_int(json_object_size(json_object_get(d, "meta")), 0,
               "an empty meta frame gives an empty meta");
        json_decref(d);
    }
    done_close();
    is_int(done_messages, 1,
           "with a progress page, the batch is answered with one DONE");
    if (page) {
        is_int((long long)atomic_load(&page->job), 0,
               "the progress page says no job is running");
        ok(atomic_load(&page->started_ns) > 0,
           "and holds when the last job started");
    }

    /* A meta that is not an object fails the document, not the worker. */
    sup_job(&s, wid, UINT64_MAX, "doc-4", "[1,2]", "fine", 4);
    d = expect_done(&s, wid, UINT64_MAX, "failed");
    if (d) {
        json_t *err = json_array_get(json_object_get(d, "errors"), 0);
        is_str(json_string_value(json_object_get(err, "stage")), "worker",
               "a bad meta is the worker's error");
        like(json_string_value(json_object_get(err, "message")),
             "meta is not a JSON object", "and says so");
        json_decref(d);
    }
    done_close();

    /* The worker still serves after all of that. */
    sup_job(&s, wid, 1005, "doc-5", "{}", "gloss", 5);
    d = expect_done(&s, wid, 1005, "ok");
    json_decref(d);
    done_close();

    const char *stop[1] = {"STOP"};
    sup_send(&s, wid, 1, stop, NULL);
    pthread_join(r.thread, NULL);
    char *log = release_stderr(log_path);
    is_int(r.status, 0, "STOP: the worker returns 0");

    like(log, "JOB with 1 frame (expected CONFIG)",
         "a JOB before CONFIG is logged with its verb");
    like(log, "BOGUS with 2 frames", "an unknown verb is logged");
    like(log, "JOB with 2 frames (its jobs are not well-formed records)",
         "a JOB whose records are cut short is logged");
    like(log, "JOB with 3 frames", "a JOB with too many frames is logged");
    like(log, "?? with 1 frame", "a binary verb is logged printably");
    like(log, "more than 8 frames", "a message with too many frames is logged");
    like(log, "STOP with 2 frames", "a STOP with extra frames is logged");
    like(log, "CONFIG with 4 frames (expected JOB, WAKE or STOP)",
         "a second CONFIG is logged");
    if (log && tap_failed_)
        diag("worker stderr:\n%s", log);
    free(log);
    if (page)
        munmap(page, sizeof *page);
    sup_close(&s);
}

/* A worker without a progress page answers each job as soon as it is done,
 * so that the supervisor can time each one. */
static void test_job_by_job(void)
{
    sup s = {0};
    if (sup_open(&s, "single") < 0) {
        ok(0, "a socketpair for the worker");
        return;
    }
    const char *wid = "w8.0.1";
    run r = {s.wfd, wid, 8, 2, -1, 0, -1};
    if (pthread_create(&r.thread, NULL, run_worker, &r) != 0) {
        ok(0, "the worker thread starts");
        sup_close(&s);
        return;
    }
    handshake(&s, wid);
    const uint64_t jobs[2] = {1, 2};
    const char *ids[2] = {"a", "b"};
    const char *metas[2] = {"{}", "{}"};
    const char *texts[2] = {"first", "second"};
    const size_t lens[2] = {5, 6};
    sup_jobs(&s, wid, 2, jobs, ids, metas, texts, lens);
    done_messages = 0;
    json_t *d = expect_done(&s, wid, 1, "ok");
    is_str(d ? str_at(d, "id") : NULL, "a", "the first job's document");
    json_decref(d);
    done_close();
    d = expect_done(&s, wid, 2, "ok");
    is_str(d ? str_at(d, "id") : NULL, "b", "the second job's document");
    json_decref(d);
    done_close();
    is_int(done_messages, 2, "without a progress page, one DONE per job");
    const char *stop[1] = {"STOP"};
    sup_send(&s, wid, 1, stop, NULL);
    pthread_join(r.thread, NULL);
    is_int(r.status, 0, "STOP: the worker returns 0");
    sup_close(&s);
}

/* ---- the rings ---------------------------------------------------------- */

/* A shared area with rings as glossd makes them, but with rings of
 * RING bytes, small enough that a few results fill the done ring. */
#define RING 4096

typedef struct area {
    gloss__wire_progress *page;
    char *job_ring, *done_ring;
    uint64_t job_head;
    uint64_t done_end;        /* the end of the last DONE@ block taken */
} area;

/* How ring_job tells the worker of a job: as glossd does (queued, with a
 * WAKE when the worker is asleep), queued without a WAKE, or in a JOB@. */
enum { TELL_QUEUE, TELL_QUEUE_SILENTLY, TELL_MESSAGE };

/* Puts the job (number, id, text) in the job ring and tells the worker.
 * Every job sent before has been answered, so the whole ring is free. */
static int ring_job(sup *s, area *a, const char *wid, uint64_t job,
                    const char *id, const char *text, int tell)
{
    gloss__wire_rec r = {.job = job, .nfields = 4};
    r.field[0] = id;
    r.len[0] = strlen(id);
    r.field[1] = "test";
    r.len[1] = 4;
    r.field[2] = "{}";
    r.len[2] = 2;
    r.field[3] = text;
    r.len[3] = strlen(text);
    size_t len = gloss__wire_rec_size(&r);
    uint64_t pos = gloss__wire_ring_place(a->job_head, a->job_head, RING, len);
    if (pos == UINT64_MAX)
        return -1;
    gloss__wire_rec_put(a->job_ring + pos % RING, &r);
    a->job_head = pos + len;
    if (tell != TELL_MESSAGE) {
        gloss__wire_ref ref = {pos, len};
        int queued = gloss__wire_queue_push(&a->page->jobs, &ref);
        if (queued < 0)
            return -1;
        if (queued == 0 || tell == TELL_QUEUE_SILENTLY)
            return 0;
        const char *wake[1] = {"WAKE"};
        return sup_send(s, wid, 1, wake, NULL);
    }
    uint64_t ref[2] = {pos, len};
    const char *f[2] = {"JOB@", (const char *)ref};
    size_t l[2] = {4, sizeof ref};
    return sup_send(s, wid, 2, f, l);
}

/* Receives the answer to one job as glossd does: from the result queue,
 * waiting for the worker's WAKE when it is empty, or from a DONE@ (its
 * record read from the done ring) or an inline DONE. Sets *inline_done to
 * whether it was inline, and returns the document's id (free it), or
 * NULL. */
static char *ring_answer(sup *s, area *a, const char *wid, uint64_t job,
                         int *inline_done)
{
    gloss__wire_msg m = {0};
    uint64_t ref[2];
    int queued = 0;
    *inline_done = 0;
    if (!gloss__wire_queue_sleep(&a->page->done)) {
        queued = 1;
    } else {
        if (sup_recv(s, wid, &m) < 0)
            return NULL;
        gloss__wire_queue_awake(&a->page->done);
        *inline_done = gloss__wire_is(&m, 0, "DONE") && m.nframes == 2;
        queued = gloss__wire_is(&m, 0, "WAKE") && m.nframes == 1;
    }
    if (queued) {
        gloss__wire_ref r;
        if (!ok(gloss__wire_queue_take(&a->page->done, &r) == 1,
                "the result of job %llu is queued",
                (unsigned long long)job)) {
            sup_msg_close(&m);
            return NULL;
        }
        ref[0] = r.pos;
        ref[1] = r.len;
    }
    const char *p = NULL, *end = NULL;
    if (*inline_done) {
        p = m.frame[1];
        end = p + m.len[1];
    } else if (queued || (gloss__wire_is(&m, 0, "DONE@") && m.nframes == 2 &&
                          m.len[1] == 16)) {
        if (!queued)
            memcpy(ref, m.frame[1], sizeof ref);
        p = gloss__wire_ring_at(a->done_ring, RING, ref[0], ref[1]);
        ok(p != NULL, "job %llu's results lie inside the done ring",
           (unsigned long long)job);
        ok(ref[0] >= a->done_end &&
               (ref[0] == a->done_end || ref[0] % RING == 0),
           "its block follows the one before, or starts the ring's next turn");
        a->done_end = ref[0] + ref[1];
        end = p ? p + ref[1] : NULL;
    }
    char *id = NULL;
    gloss__wire_rec r;
    if (p && gloss__wire_rec_next(&p, end, 3, &r) == 1 && r.job == job &&
        p == end) {
        json_t *doc = json_loadb(r.field[0], r.len[0], 0, NULL);
        const char *v = json_string_value(json_object_get(doc, "id"));
        id = v ? strdup(v) : NULL;
        json_decref(doc);
    }
    sup_msg_close(&m);
    return id;
}

static void test_rings(void)
{
    sup s = {0};
    if (sup_open(&s, "rings") < 0) {
        ok(0, "a socketpair for the worker");
        return;
    }
    char path[128], log_path[128];
    snprintf(path, sizeof path, "%s/area", tmpdir);
    snprintf(log_path, sizeof log_path, "%s/rings.log", tmpdir);
    size_t size = GLOSS__WIRE_RINGS_AT + 2 * RING;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    void *map = MAP_FAILED;
    if (fd >= 0 && ftruncate(fd, (off_t)size) == 0)
        map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    unlink(path);
    if (!ok(map != MAP_FAILED, "a shared area with rings for the worker")) {
        if (fd >= 0)
            close(fd);
        sup_close(&s);
        return;
    }
    area a = {.page = map, .job_ring = (char *)map + GLOSS__WIRE_RINGS_AT};
    a.done_ring = a.job_ring + RING;
    a.page->job_size = RING;
    a.page->done_size = RING;
    const char *wid = "w9.0.1";
    run r = {s.wfd, wid, 9, 4, -1, 0, fd};
    capture_stderr(log_path);
    if (pthread_create(&r.thread, NULL, run_worker, &r) != 0) {
        release_stderr(log_path);
        ok(0, "the worker thread starts");
        munmap(map, size);
        sup_close(&s);
        return;
    }
    handshake(&s, wid);

    /* Results of about 1.4 KiB each, none of them let go of: the done ring
     * fills, and the worker answers inline instead of waiting for room. */
    char text[1201];
    memset(text, 'x', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    int via_ring = 0, inline_seen = 0;
    uint64_t job = 1;
    for (; job <= 4; job++) {
        char id[16];
        snprintf(id, sizeof id, "r%llu", (unsigned long long)job);
        int in_line = 0;
        /* The third is told in a JOB@, as when the job queue is full. */
        ring_job(&s, &a, wid, job, id, text,
                 job == 3 ? TELL_MESSAGE : TELL_QUEUE);
        char *got = ring_answer(&s, &a, wid, job, &in_line);
        is_str(got, id, "job %llu is answered with its document",
               (unsigned long long)job);
        free(got);
        via_ring += !in_line;
        inline_seen += in_line;
    }
    ok(via_ring >= 2, "results go through the done ring while it has room");
    /* With nothing to do, the worker waits for the socket, and says so in
     * the job queue first: a job queued then comes with a WAKE. */
    int asleep = 0;
    for (int i = 0; i < SAFETY_MS && !asleep; i++) {
        asleep = atomic_load(&a.page->jobs.asleep) != 0;
        if (!asleep)
            usleep(1000);
    }
    ok(asleep, "an idle worker says it is asleep in the job queue");
    ok(inline_seen >= 1, "with the done ring full, results come inline");

    /* Once the supervisor lets go of the ring, results use it again, in
     * its next turn when the block would run past its end. */
    atomic_store(&a.page->done_tail, a.done_end);
    int in_line = 1;
    ring_job(&s, &a, wid, job, "again", text, TELL_QUEUE);
    char *got = ring_answer(&s, &a, wid, job, &in_line);
    is_str(got, "again", "after done_tail moves, the job is answered");
    ok(!in_line, "through the done ring");
    free(got);
    job++;

    /* A reference outside the job ring, and one of the wrong size, are
     * ignored; the worker goes on. */
    uint64_t bad[2] = {RING - 10, 100};
    const char *f[2] = {"JOB@", (const char *)bad};
    size_t l[2] = {4, sizeof bad};
    sup_send(&s, wid, 2, f, l);
    l[1] = 3;
    sup_send(&s, wid, 2, f, l);
    atomic_store(&a.page->done_tail, a.done_end);
    ring_job(&s, &a, wid, job, "after", "short", TELL_QUEUE);
    got = ring_answer(&s, &a, wid, job, &in_line);
    is_str(got, "after", "after bad references, the next job is answered");
    free(got);
    job++;

    /* A job queued just before STOP, with no WAKE: the worker, woken by
     * the STOP, runs what was queued before it first. */
    atomic_store(&a.page->done_tail, a.done_end);
    ring_job(&s, &a, wid, job, "last", "short", TELL_QUEUE_SILENTLY);
    const char *stop[1] = {"STOP"};
    sup_send(&s, wid, 1, stop, NULL);
    got = ring_answer(&s, &a, wid, job, &in_line);
    is_str(got, "last", "a job queued before STOP is answered before the "
                        "worker stops");
    free(got);
    pthread_join(r.thread, NULL);
    char *log = release_stderr(log_path);
    is_int(r.status, 0, "STOP: the worker returns 0");
    ok(log && strstr(log, "outside the job ring"),
       "the reference outside the job ring is named");
    ok(log && strstr(log, "expected JOB, WAKE or STOP"),
       "the reference of the wrong size is ignored");
    free(log);
    munmap(map, size);
    sup_close(&s);
}

static void test_bad_config(void)
{
    sup s = {0};
    if (sup_open(&s, "bad") < 0) {
        ok(0, "a socketpair for the worker");
        return;
    }
    char log_path[128];
    snprintf(log_path, sizeof log_path, "%s/bad.log", tmpdir);
    const char *wid = "w2.1.9";
    run r = {s.wfd, wid, 2, 1, -1, 0, -1};
    capture_stderr(log_path);
    if (pthread_create(&r.thread, NULL, run_worker, &r) != 0) {
        free(release_stderr(log_path));
        ok(0, "the worker thread starts");
        sup_close(&s);
        return;
    }
    gloss__wire_msg m;
    if (expect(&s, wid, "HELLO", 2, &m) == 0)
        sup_msg_close(&m);
    sup_config(&s, wid, "bad.conf.lua", bad_config);
    int rc = expect(&s, wid, "FATAL", 2, &m);
    char *msg = rc == 0 ? gloss__wire_dup(&m, 1) : NULL;
    if (rc == 0)
        sup_msg_close(&m);
    like(msg, "bad.conf.lua:4:", "FATAL names the configuration and its line");
    pthread_join(r.thread, NULL);
    char *log = release_stderr(log_path);
    ok(r.status != 0, "a bad configuration: the worker returns non-zero");
    like(log, "bad.conf.lua:4:", "and says why on stderr");
    free(log);
    free(msg);
    sup_close(&s);
}

static void test_stop_before_config(void)
{
    sup s = {0};
    if (sup_open(&s, "early") < 0) {
        ok(0, "a socketpair for the worker");
        return;
    }
    const char *wid = "w1.0.2";
    run r = {s.wfd, wid, 1, 0, -1, 0, -1};
    if (pthread_create(&r.thread, NULL, run_worker, &r) != 0) {
        ok(0, "the worker thread starts");
        sup_close(&s);
        return;
    }
    gloss__wire_msg m;
    if (expect(&s, wid, "HELLO", 2, &m) == 0)
        sup_msg_close(&m);
    const char *stop[1] = {"STOP"};
    sup_send(&s, wid, 1, stop, NULL);
    pthread_join(r.thread, NULL);
    is_int(r.status, 0, "STOP before CONFIG: the worker returns 0");
    sup_close(&s);
}

static void test_credit_zero_and_closed_connection(void)
{
    sup s = {0};
    if (sup_open(&s, "closed") < 0) {
        ok(0, "a socketpair for the worker");
        return;
    }
    char log_path[128];
    snprintf(log_path, sizeof log_path, "%s/closed.log", tmpdir);
    const char *wid = "w3.0.4";
    run r = {s.wfd, wid, 3, 0, -1, 0, -1};
    capture_stderr(log_path);
    if (pthread_create(&r.thread, NULL, run_worker, &r) != 0) {
        free(release_stderr(log_path));
        ok(0, "the worker thread starts");
        sup_close(&s);
        return;
    }
    gloss__wire_msg m;
    if (expect(&s, wid, "HELLO", 2, &m) == 0)
        sup_msg_close(&m);
    sup_config(&s, wid, "worker.conf.lua", good_config);
    int rc = expect(&s, wid, "READY", 2, &m);
    ok(rc == 0 && gloss__wire_is(&m, 1, "1"), "a credit of 0 is offered as 1");
    if (rc == 0)
        sup_msg_close(&m);
    /* The supervisor's socket closes while this process, the worker's
     * parent, lives on: the connection's end is what tells the worker. */
    sup_close_socket(&s);
    pthread_join(r.thread, NULL);
    char *log = release_stderr(log_path);
    ok(r.status != 0, "a closed connection: the worker returns non-zero");
    like(log, "closed the connection", "and says why");
    free(log);
    sup_close(&s);
}

/* The middle process forks the worker, then waits to be killed. */
static void middle(int fd, int report_fd)
{
    pid_t w = fork();
    if (w == 0) {
        unsigned char status = (unsigned char)gloss__worker_main(
            fd, "w5.0.7", 5, 2, -1);
        ssize_t n = write(report_fd, &status, 1);
        _exit(n == 1 ? 0 : 1);
    }
    close(report_fd);
    for (;;)
        pause();
}

static void test_parent_gone(void)
{
    int fds[2];
    if (pipe(fds) != 0) {
        ok(0, "a pipe for the worker's report");
        return;
    }
    sup s = {0};
    if (sup_open(&s, "orphan") < 0) {
        ok(0, "a socketpair for the worker");
        close(fds[0]);
        close(fds[1]);
        return;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t mid = fork();
    if (mid < 0) {
        ok(0, "fork");
        close(fds[0]);
        close(fds[1]);
        sup_close(&s);
        return;
    }
    if (mid == 0) {
        close(fds[0]);
        close(s.fd);
        middle(s.wfd, fds[1]);
        _exit(1);
    }
    close(fds[1]);
    close(s.wfd);
    const char *wid = "w5.0.7";
    gloss__wire_msg m;
    if (expect(&s, wid, "HELLO", 2, &m) == 0)
        sup_msg_close(&m);
    sup_config(&s, wid, "worker.conf.lua", good_config);
    int rc = expect(&s, wid, "READY", 2, &m);
    ok(rc == 0, "the forked worker is ready");
    if (rc == 0)
        sup_msg_close(&m);

    /* The worker's parent dies; the supervisor's socket stays open, so
     * only the parent's death can end the worker. */
    kill(mid, SIGKILL);
    waitpid(mid, NULL, 0);
    struct pollfd p = {fds[0], POLLIN, 0};
    unsigned char status = 0;
    ssize_t n = -1;
    if (poll(&p, 1, SAFETY_MS) == 1)
        n = read(fds[0], &status, 1);
#ifdef __linux__
    /* The kernel kills it (PR_SET_PDEATHSIG) before it can report. */
    ok(n == 0, "the worker is killed when its parent is gone");
#else
    ok(n == 1 && status != 0, "the worker returns non-zero when its parent "
                              "is gone");
    n = poll(&p, 1, SAFETY_MS) == 1 ? read(fds[0], &status, 1) : -1;
    ok(n == 0, "the worker process has exited");
#endif
    close(fds[0]);
    sup_close(&s);
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    if (!top)
        return skip_all("top_srcdir is not set (make check sets it)");
    snprintf(fixtures, sizeof fixtures, "%s/tests/fixtures/worker", top);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gloss-worker-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        printf("Bail out! mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    alarm(ALARM_S);

    test_serving();
    test_job_by_job();
    test_rings();
    test_bad_config();
    test_stop_before_config();
    test_credit_zero_and_closed_connection();
    test_parent_gone();

    rmdir(tmpdir);
    return done_testing();
}
