/*
 * test_zwatch.c - the libuv watcher for ZeroMQ sockets (daemon/zwatch.c),
 * checked the way the daemon will lean on it: bulk delivery in bounded
 * batches, the missed wake-up that an edge-triggered ZMQ_FD invites, a
 * loop that sleeps when there is nothing to do, backpressure by pausing a
 * watcher, waiting for writability, destroying watchers from their own
 * callbacks, topic filtering, and the error a context shutdown produces.
 *
 * Every test runs its own loop and ZeroMQ context. ipc endpoints live in a
 * private folder made with mkdtemp() and removed at the end; the bulk,
 * batching, edge and idle tests also run over inproc, to show that it
 * works there too. Peers that must block (a sender pushing 100,000
 * messages, the far side of a ping-pong) run in their own thread with
 * their own socket; the test thread takes the socket back after
 * pthread_join(), which is the memory barrier ZeroMQ asks for when a
 * socket changes threads.
 *
 * No assertion depends on how long anything takes. A 20 s safety timer,
 * unreferenced so that it never keeps a finished loop alive, stops a test
 * that hangs (and then shuts its context down, which unblocks any peer
 * thread); the few timers that open a quiet window only decide when the
 * test looks, and what is asserted is counts and content. After every test
 * the loop must hold no handle and close cleanly.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>
#include <zmq.h>

#include "tap.h"
#include "zwatch.h"

enum {
    BATCH = 64,         /* messages a callback moves before yielding */
    SAFETY_MS = 20000,  /* a test that runs longer has hung */
    QUIET_MS = 300,     /* how long the idle tests watch a quiet loop */
    QUIET_MAX = 10,     /* iterations allowed in that window */
    MSG_SIZE = 16,
};

/* The private folder for ipc endpoints. */
static char tmpdir[96];

/* ---- helpers ------------------------------------------------------------ */

/* Stops the whole run: the environment cannot support the tests. */
static void bail(const char *what)
{
    printf("Bail out! %s: %s\n", what, strerror(errno));
    exit(1);
}

static void setopt_int(void *sock, int option, int value)
{
    if (zmq_setsockopt(sock, option, &value, sizeof value) != 0)
        bail("zmq_setsockopt");
}

/* Sockets never linger: a test that fails must still be able to end its
 * context without waiting for a peer that will never read. */
static void *sock_new(void *ctx, int type)
{
    void *sock = zmq_socket(ctx, type);
    if (!sock)
        bail("zmq_socket");
    setopt_int(sock, ZMQ_LINGER, 0);
    return sock;
}

static void sock_close(void **sock)
{
    if (*sock) {
        zmq_close(*sock);
        *sock = NULL;
    }
}

static void endpoint(char *buf, size_t size, const char *transport,
                     const char *name)
{
    if (strcmp(transport, "ipc") == 0)
        snprintf(buf, size, "ipc://%s/%s", tmpdir, name);
    else
        snprintf(buf, size, "inproc://%s", name);
}

static void must_bind(void *sock, const char *ep)
{
    if (zmq_bind(sock, ep) != 0)
        bail(ep);
}

static void must_connect(void *sock, const char *ep)
{
    if (zmq_connect(sock, ep) != 0)
        bail(ep);
}

/* A message carries its sequence number (big-endian) and bytes derived
 * from it, so that a receiver can tell a lost, reordered or damaged
 * message from the right one. */
static void msg_fill(unsigned char *buf, size_t size, uint32_t seq)
{
    buf[0] = (unsigned char)(seq >> 24);
    buf[1] = (unsigned char)(seq >> 16);
    buf[2] = (unsigned char)(seq >> 8);
    buf[3] = (unsigned char)seq;
    for (size_t i = 4; i < size; i++)
        buf[i] = (unsigned char)(seq * 31u + i);
}

static int msg_check(const unsigned char *buf, int len, size_t size,
                     uint32_t seq)
{
    unsigned char want[512];
    if (len != (int)size || size > sizeof want)
        return 0;
    msg_fill(want, size, seq);
    return memcmp(buf, want, size) == 0;
}

static uint32_t msg_seq(const unsigned char *buf)
{
    return (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
           (uint32_t)buf[2] << 8 | buf[3];
}

/* Counts loop iterations: a check handle runs once per iteration. */
static void count_iteration(uv_check_t *h)
{
    (*(int *)h->data)++;
}

static void close_handle(void *handle)
{
    if (!uv_is_closing(handle))
        uv_close(handle, NULL);
}

/* ---- the harness: one loop and one context per test --------------------- */

typedef struct harness {
    uv_loop_t loop;
    uv_timer_t safety;
    void *ctx;
    int timed_out;
} harness;

static void harness_init(harness *h)
{
    memset(h, 0, sizeof *h);
    if (uv_loop_init(&h->loop) != 0)
        bail("uv_loop_init");
    uv_timer_init(&h->loop, &h->safety);
    h->safety.data = h;
    h->ctx = zmq_ctx_new();
    if (!h->ctx)
        bail("zmq_ctx_new");
}

static void on_safety(uv_timer_t *t)
{
    harness *h = t->data;
    h->timed_out = 1;
    diag("the test did not finish within %d ms; stopping it", SAFETY_MS);
    uv_stop(&h->loop);
}

/* Runs the loop until the test's handles are gone, or the safety timer
 * fires. Returns 1 when the test finished by itself. */
static int harness_run(harness *h)
{
    uv_timer_start(&h->safety, on_safety, SAFETY_MS, 0);
    uv_unref((uv_handle_t *)&h->safety);
    uv_run(&h->loop, UV_RUN_DEFAULT);
    uv_timer_stop(&h->safety);
    return !h->timed_out;
}

/* Unblocks peer threads of a test that hung: their blocking calls return
 * ETERM once the context is shut down. */
static void harness_unblock(harness *h)
{
    if (h->timed_out)
        zmq_ctx_shutdown(h->ctx);
}

typedef struct handle_count {
    uv_handle_t *skip;
    int n;
} handle_count;

static void count_handle(uv_handle_t *handle, void *arg)
{
    handle_count *c = arg;
    if (handle != c->skip)
        c->n++;
}

/* Handles in the loop, not counting the harness's own safety timer. */
static int open_handles(harness *h)
{
    handle_count c = {(uv_handle_t *)&h->safety, 0};
    uv_walk(&h->loop, count_handle, &c);
    return c.n;
}

/* The test has destroyed its watchers, closed its own handles and its
 * sockets; one more iteration runs the close callbacks, after which the
 * loop must be empty. */
static void harness_finish(harness *h, const char *name)
{
    uv_close((uv_handle_t *)&h->safety, NULL);
    uv_run(&h->loop, UV_RUN_NOWAIT);
    handle_count c = {NULL, 0};
    uv_walk(&h->loop, count_handle, &c);
    is_int(c.n, 0, "%s: no uv handle is left open", name);
    is_int(uv_loop_close(&h->loop), 0, "%s: the loop closes", name);
    zmq_ctx_term(h->ctx);
}

/* ---- bulk PUSH to PULL, from a sender thread ---------------------------- */

enum { BULK_N = 100000 };

typedef struct bulk {
    harness *h;
    const char *ep;
    gloss__zwatch *w;
    void *pull;
    void *push;        /* the sender thread's socket, closed after join */
    int sender_err;    /* errno of a failed send in the thread, or 0 */
    _Atomic uint32_t received; /* read by the sender thread at its pauses */
    int in_order;
    int callbacks;
    int full_batches;  /* callbacks that stopped at BATCH, not at EAGAIN */
    int empty;         /* callbacks that found nothing to read */
    int pollerr;
    int drain;         /* end callbacks at EAGAIN with gloss__zwatch_drained */
    _Atomic int drained; /* callbacks that did (read by the sender too) */
} bulk;

static void *bulk_sender(void *arg)
{
    bulk *b = arg;
    void *push = zmq_socket(b->h->ctx, ZMQ_PUSH);
    if (!push) {
        b->sender_err = errno;
        return NULL;
    }
    int zero = 0;
    zmq_setsockopt(push, ZMQ_LINGER, &zero, sizeof zero);
    b->push = push;
    if (zmq_connect(push, b->ep) != 0) {
        b->sender_err = errno;
        return NULL;
    }
    unsigned char buf[MSG_SIZE];
    for (uint32_t seq = 0; seq < BULK_N; seq++) {
        /* With drain set, the sender stops twice for the reader to catch
         * up, sends one message and waits until a callback has met EAGAIN
         * after it: the drained path is taken whatever the timing. (A
         * wake-up lost there ends a wait after SAFETY_MS, and the transfer
         * then fails.) */
        int pause = b->drain && (seq == 1000 || seq == BULK_N / 2);
        int drained_before = 0;
        if (pause) {
            for (int waited = 0; atomic_load(&b->received) < seq &&
                                 waited < SAFETY_MS * 10; waited++)
                usleep(100);
            drained_before = atomic_load(&b->drained);
        }
        msg_fill(buf, sizeof buf, seq);
        if (zmq_send(push, buf, sizeof buf, 0) < 0) {
            b->sender_err = errno;
            break;
        }
        for (int waited = 0; pause && atomic_load(&b->drained) == drained_before &&
                             waited < SAFETY_MS * 10; waited++)
            usleep(100);
    }
    /* The socket stays open until the test thread has everything: closing
     * it with ZMQ_LINGER 0 would drop what is still queued. */
    return NULL;
}

static void bulk_on_ready(gloss__zwatch *w, int revents, void *arg)
{
    bulk *b = arg;
    if (revents & ZMQ_POLLERR) {
        b->pollerr++;
        gloss__zwatch_destroy(&b->w);
        return;
    }
    b->callbacks++;
    unsigned char buf[MSG_SIZE * 2];
    int n = 0;
    while (n < BATCH) {
        int len = zmq_recv(gloss__zwatch_socket(w), buf, sizeof buf,
                           ZMQ_DONTWAIT);
        if (len < 0) {
            if (b->drain && errno == EAGAIN) {
                gloss__zwatch_drained(w);
                b->drained++;
            }
            break;
        }
        if (!msg_check(buf, len, MSG_SIZE, b->received))
            b->in_order = 0;
        b->received++;
        n++;
        if (b->received == BULK_N) {
            gloss__zwatch_destroy(&b->w);
            return;
        }
    }
    if (n == 0)
        b->empty++;
    if (n == BATCH)
        b->full_batches++;
}

/* With drain set, callbacks that read up to EAGAIN say so with
 * gloss__zwatch_drained(), and the watcher then waits without asking
 * ZeroMQ again: a wrong shortcut there would lose the wake-up of the
 * sender's next message and hang the transfer. */
static void test_bulk(const char *transport, int drain)
{
    harness h;
    harness_init(&h);

    char label[32];
    snprintf(label, sizeof label, "%s%s", transport, drain ? " drained" : "");
    char ep[128];
    endpoint(ep, sizeof ep, transport, "bulk");
    bulk b = {.h = &h, .ep = ep, .in_order = 1, .drain = drain};
    b.pull = sock_new(h.ctx, ZMQ_PULL);
    must_bind(b.pull, ep);
    b.w = gloss__zwatch_new(&h.loop, b.pull, ZMQ_POLLIN, bulk_on_ready, &b);
    if (!b.w)
        bail("gloss__zwatch_new");

    pthread_t sender;
    if (pthread_create(&sender, NULL, bulk_sender, &b) != 0)
        bail("pthread_create");
    int finished = harness_run(&h);
    harness_unblock(&h);
    pthread_join(sender, NULL);

    ok(finished, "%s bulk: the transfer finished", label);
    is_int(b.sender_err, 0, "%s bulk: the sender thread sent everything",
           label);
    is_int(b.received, BULK_N, "%s bulk: all %d messages arrive", label,
           BULK_N);
    ok(b.in_order, "%s bulk: in order, with their content intact",
       label);
    is_int(b.empty, 0, "%s bulk: every callback found a message to read",
           label);
    ok(b.full_batches > 0,
       "%s bulk: callbacks stopped at the batch limit of %d with messages "
       "left, and the watcher came back for them (%d callbacks, %d full)",
       label, BATCH, b.callbacks, b.full_batches);
    is_int(b.pollerr, 0, "%s bulk: no error reported", label);
    if (drain)
        ok(b.drained > 0, "%s bulk: callbacks ended on EAGAIN and said so "
           "(%d times), and no wake-up was lost", label, b.drained);

    gloss__zwatch_destroy(&b.w);
    sock_close(&b.push);
    sock_close(&b.pull);
    char name[48];
    snprintf(name, sizeof name, "%s bulk", label);
    harness_finish(&h, name);
}

/* ---- queued work is drained in bounded, interleaved batches ------------- */

enum { PRE_N = 1000, PRE_CALLBACKS = (PRE_N + BATCH - 1) / BATCH };

typedef struct pre pre;

typedef struct pre_side {
    pre *t;
    int index;
    gloss__zwatch *w;
    void *pull, *push;
    int received;
    int callbacks;
    int in_order;
} pre_side;

struct pre {
    pre_side side[2];
    int first_done;       /* index of the side drained first, or -1 */
    int other_at_done;    /* what the other side had then */
};

static void pre_on_ready(gloss__zwatch *w, int revents, void *arg)
{
    pre_side *s = arg;
    pre *t = s->t;
    if (revents & ZMQ_POLLERR) {
        gloss__zwatch_destroy(&s->w);
        return;
    }
    s->callbacks++;
    unsigned char buf[MSG_SIZE * 2];
    for (int n = 0; n < BATCH; n++) {
        int len = zmq_recv(gloss__zwatch_socket(w), buf, sizeof buf,
                           ZMQ_DONTWAIT);
        if (len < 0)
            break;
        if (!msg_check(buf, len, MSG_SIZE, (uint32_t)s->received))
            s->in_order = 0;
        if (++s->received == PRE_N) {
            if (t->first_done < 0) {
                t->first_done = s->index;
                t->other_at_done = t->side[1 - s->index].received;
            }
            gloss__zwatch_destroy(&s->w);
            return;
        }
    }
}

/* Over inproc, zmq_send() puts the message in the receiver's pipe before it
 * returns, so the work is queued before the loop starts and the number of
 * callbacks is exact, not a matter of scheduling. */
static void test_prequeued(void)
{
    harness h;
    harness_init(&h);
    pre t = {.first_done = -1};
    for (int i = 0; i < 2; i++) {
        pre_side *s = &t.side[i];
        char ep[64];
        snprintf(ep, sizeof ep, "inproc://pre%d", i);
        s->t = &t;
        s->index = i;
        s->in_order = 1;
        s->pull = sock_new(h.ctx, ZMQ_PULL);
        s->push = sock_new(h.ctx, ZMQ_PUSH);
        setopt_int(s->pull, ZMQ_RCVHWM, 0);
        setopt_int(s->push, ZMQ_SNDHWM, 0);
        must_bind(s->pull, ep);
        must_connect(s->push, ep);
        unsigned char buf[MSG_SIZE];
        for (uint32_t seq = 0; seq < PRE_N; seq++) {
            msg_fill(buf, sizeof buf, seq);
            if (zmq_send(s->push, buf, sizeof buf, ZMQ_DONTWAIT) < 0)
                bail("zmq_send");
        }
        s->w = gloss__zwatch_new(&h.loop, s->pull, ZMQ_POLLIN, pre_on_ready, s);
        if (!s->w)
            bail("gloss__zwatch_new");
    }
    int finished = harness_run(&h);

    ok(finished, "queued: both sockets were drained");
    ok(t.side[0].received == PRE_N && t.side[1].received == PRE_N &&
           t.side[0].in_order && t.side[1].in_order,
       "queued: each socket delivers its %d messages in order", PRE_N);
    ok(t.side[0].callbacks == PRE_CALLBACKS &&
           t.side[1].callbacks == PRE_CALLBACKS,
       "queued: %d queued messages take exactly %d callbacks of at most %d, "
       "with no new event from outside (got %d and %d)",
       PRE_N, PRE_CALLBACKS, BATCH, t.side[0].callbacks,
       t.side[1].callbacks);
    ok(t.first_done >= 0 && t.other_at_done >= (PRE_CALLBACKS - 1) * BATCH,
       "queued: the sockets took turns; when one was drained the other had "
       "%d of %d (not starved)", t.other_at_done, PRE_N);

    for (int i = 0; i < 2; i++) {
        gloss__zwatch_destroy(&t.side[i].w);
        sock_close(&t.side[i].push);
        sock_close(&t.side[i].pull);
    }
    harness_finish(&h, "queued");
}

/* ---- the edge-trigger trap ---------------------------------------------- */

/* A ROUTER (watched, like the daemon's "submit" socket) and a DEALER in a
 * thread play ping-pong with two messages in flight. In each round the
 * callback reads one message, then waits with zmq_poll() until the next one
 * has arrived, without reading it: zmq_poll() reads ZMQ_EVENTS, which
 * empties the mailbox, so ZMQ_FD is now silent while a message waits. Then
 * it answers on the same socket. A watcher driven by ZMQ_FD alone would
 * block for good at the end of the last round, because the peer sends
 * nothing more until it is answered. */

enum { TRAP_N = 2000 };

typedef struct trap {
    harness *h;
    const char *ep;
    gloss__zwatch *w;
    void *router;
    int zfd;            /* the ROUTER's ZMQ_FD, looked at with poll(2) */
    uint32_t received;
    int in_order;
    int edge_eaten;     /* rounds that ended with a silent ZMQ_FD */
    int wait_failed;    /* zmq_poll() gave up waiting for the next message */
    int send_failed;
    int empty;
    void *dealer;       /* the peer thread's socket, closed after join */
    int acks;           /* answers the peer received */
    int acks_in_order;
    int peer_err;
} trap;

static void *trap_peer(void *arg)
{
    trap *t = arg;
    void *dealer = zmq_socket(t->h->ctx, ZMQ_DEALER);
    if (!dealer) {
        t->peer_err = errno;
        return NULL;
    }
    int zero = 0;
    zmq_setsockopt(dealer, ZMQ_LINGER, &zero, sizeof zero);
    t->dealer = dealer;
    if (zmq_connect(dealer, t->ep) != 0) {
        t->peer_err = errno;
        return NULL;
    }
    unsigned char buf[MSG_SIZE];
    uint32_t next = 0;
    for (; next < 2; next++) {
        msg_fill(buf, sizeof buf, next);
        if (zmq_send(dealer, buf, sizeof buf, 0) < 0) {
            t->peer_err = errno;
            return NULL;
        }
    }
    while (t->acks < TRAP_N) {
        int len = zmq_recv(dealer, buf, sizeof buf, 0);
        if (len < 0) {
            t->peer_err = errno;
            return NULL;
        }
        if (len != 4 || msg_seq(buf) != (uint32_t)t->acks)
            t->acks_in_order = 0;
        t->acks++;
        if (next < TRAP_N) {
            msg_fill(buf, sizeof buf, next++);
            if (zmq_send(dealer, buf, sizeof buf, 0) < 0) {
                t->peer_err = errno;
                return NULL;
            }
        }
    }
    return NULL;
}

static void trap_on_ready(gloss__zwatch *w, int revents, void *arg)
{
    trap *t = arg;
    (void)w;
    if (revents & ZMQ_POLLERR) {
        gloss__zwatch_destroy(&t->w);
        return;
    }
    unsigned char id[256], body[MSG_SIZE * 2];
    int idlen = zmq_recv(t->router, id, sizeof id, ZMQ_DONTWAIT);
    if (idlen < 0 || idlen > (int)sizeof id) {
        t->empty++;
        return;
    }
    int len = zmq_recv(t->router, body, sizeof body, ZMQ_DONTWAIT);
    uint32_t seq = t->received++;
    if (!msg_check(body, len, MSG_SIZE, seq))
        t->in_order = 0;

    if (t->received < TRAP_N) {
        zmq_pollitem_t item = {t->router, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, SAFETY_MS) != 1) {
            t->wait_failed++;
        } else {
            struct pollfd p = {t->zfd, POLLIN, 0};
            if (poll(&p, 1, 0) == 0)
                t->edge_eaten++;
        }
    }
    unsigned char ack[4];
    msg_fill(ack, sizeof ack, seq);
    if (zmq_send(t->router, id, (size_t)idlen, ZMQ_SNDMORE) < 0 ||
        zmq_send(t->router, ack, sizeof ack, 0) < 0)
        t->send_failed++;
    if (t->received == TRAP_N)
        gloss__zwatch_destroy(&t->w);
}

static void test_edge_trap(const char *transport)
{
    harness h;
    harness_init(&h);
    char ep[128];
    endpoint(ep, sizeof ep, transport, "trap");
    trap t = {.h = &h, .ep = ep, .in_order = 1, .acks_in_order = 1};
    t.router = sock_new(h.ctx, ZMQ_ROUTER);
    must_bind(t.router, ep);
    size_t size = sizeof t.zfd;
    if (zmq_getsockopt(t.router, ZMQ_FD, &t.zfd, &size) != 0)
        bail("ZMQ_FD");
    t.w = gloss__zwatch_new(&h.loop, t.router, ZMQ_POLLIN, trap_on_ready, &t);
    if (!t.w)
        bail("gloss__zwatch_new");

    pthread_t peer;
    if (pthread_create(&peer, NULL, trap_peer, &t) != 0)
        bail("pthread_create");
    int finished = harness_run(&h);
    harness_unblock(&h);
    pthread_join(peer, NULL);

    ok(finished, "%s edge: the ping-pong finished", transport);
    is_int(t.received, TRAP_N,
           "%s edge: every message arrived, the last one with no event "
           "from outside", transport);
    ok(t.in_order, "%s edge: in order, with their content intact",
       transport);
    ok(t.acks == TRAP_N && t.acks_in_order && t.peer_err == 0,
       "%s edge: the peer got every answer, in order", transport);
    ok(t.edge_eaten > 0,
       "%s edge: ZMQ_FD was silent while a message waited in %d of %d "
       "rounds, and the watcher delivered it anyway",
       transport, t.edge_eaten, TRAP_N - 1);
    ok(t.wait_failed == 0 && t.send_failed == 0 && t.empty == 0,
       "%s edge: no wait, send or read failed", transport);

    gloss__zwatch_destroy(&t.w);
    sock_close(&t.dealer);
    sock_close(&t.router);
    char name[32];
    snprintf(name, sizeof name, "%s edge", transport);
    harness_finish(&h, name);
}

/* ---- no busy loop when there is nothing to do --------------------------- */

enum { QUIET_MSGS = 10 };

typedef struct quiet {
    gloss__zwatch *w;
    void *pull, *push;
    uv_check_t counter;
    uv_timer_t timer;
    int received;
    int late;          /* callbacks during the quiet window */
    int iterations;
} quiet;

static void quiet_on_timer(uv_timer_t *timer)
{
    quiet *q = timer->data;
    uv_check_stop(&q->counter);
    gloss__zwatch_destroy(&q->w);
}

static void quiet_on_ready(gloss__zwatch *w, int revents, void *arg)
{
    quiet *q = arg;
    if (revents & ZMQ_POLLERR) {
        gloss__zwatch_destroy(&q->w);
        return;
    }
    if (q->received == QUIET_MSGS)
        q->late++;
    unsigned char buf[MSG_SIZE * 2];
    for (int n = 0; n < BATCH; n++) {
        if (zmq_recv(gloss__zwatch_socket(w), buf, sizeof buf,
                     ZMQ_DONTWAIT) < 0)
            break;
        q->received++;
    }
    /* The work is done: from here the loop should sleep until the timer. */
    if (q->received == QUIET_MSGS && !uv_is_active((uv_handle_t *)&q->timer)) {
        uv_check_start(&q->counter, count_iteration);
        uv_timer_start(&q->timer, quiet_on_timer, QUIET_MS, 0);
    }
}

static void test_quiet(const char *transport)
{
    harness h;
    harness_init(&h);
    char ep[128];
    endpoint(ep, sizeof ep, transport, "quiet");
    quiet q = {0};
    uv_check_init(&h.loop, &q.counter);
    uv_timer_init(&h.loop, &q.timer);
    q.counter.data = &q.iterations;
    q.timer.data = &q;
    q.pull = sock_new(h.ctx, ZMQ_PULL);
    q.push = sock_new(h.ctx, ZMQ_PUSH);
    must_bind(q.pull, ep);
    must_connect(q.push, ep);
    q.w = gloss__zwatch_new(&h.loop, q.pull, ZMQ_POLLIN, quiet_on_ready, &q);
    if (!q.w)
        bail("gloss__zwatch_new");
    unsigned char buf[MSG_SIZE];
    for (uint32_t seq = 0; seq < QUIET_MSGS; seq++) {
        msg_fill(buf, sizeof buf, seq);
        if (zmq_send(q.push, buf, sizeof buf, 0) < 0)
            bail("zmq_send");
    }
    int finished = harness_run(&h);

    ok(finished, "%s idle: the test finished", transport);
    is_int(q.received, QUIET_MSGS, "%s idle: the %d messages arrive",
           transport, QUIET_MSGS);
    is_int(q.late, 0, "%s idle: no callback once the socket was drained",
           transport);
    ok(q.iterations <= QUIET_MAX,
       "%s idle: with nothing to do for %d ms the loop ran %d iterations "
       "(at most %d): it blocked instead of spinning",
       transport, QUIET_MS, q.iterations, QUIET_MAX);

    gloss__zwatch_destroy(&q.w);
    close_handle(&q.counter);
    close_handle(&q.timer);
    sock_close(&q.push);
    sock_close(&q.pull);
    char name[32];
    snprintf(name, sizeof name, "%s idle", transport);
    harness_finish(&h, name);
}

/* ---- backpressure: set_events(0), then set_events(ZMQ_POLLIN) ----------- */

/* The sender sends until EAGAIN every time it is told ZMQ_POLLOUT; the
 * receiver stops watching after BP_PAUSE_AT messages, as the daemon does
 * when it is full. With small high-water marks and socket buffers, the
 * sender soon hits EAGAIN; a timer then resumes the receiver, and every
 * message must arrive, the sender being woken each time room is made. */

enum { BP_N = 4000, BP_SIZE = 512, BP_PAUSE_AT = 100, BP_HWM = 16,
       BP_BUF = 8192, BP_PAUSE_MS = 100 };

typedef struct bp {
    gloss__zwatch *sw, *rw;
    void *push, *pull;
    uv_timer_t resume;
    uint32_t sent, received;
    int in_order;
    int paused, resumed;
    int blocked;          /* the last send failed with EAGAIN */
    int eagain;           /* sends refused with EAGAIN, in all */
    int hwm_while_paused; /* the sender was refused while the receiver paused */
    int send_err;
    int delivered_while_paused;
    int received_at_resume;
    int events_while_paused;
    int queued_at_resume; /* ZMQ_EVENTS of the receiver at resume */
} bp;

static void bp_on_resume(uv_timer_t *timer)
{
    bp *t = timer->data;
    if (!t->rw)
        return; /* a failed test may have finished while "paused" */
    t->received_at_resume = (int)t->received;
    t->events_while_paused = gloss__zwatch_events(t->rw);
    size_t size = sizeof t->queued_at_resume;
    zmq_getsockopt(t->pull, ZMQ_EVENTS, &t->queued_at_resume, &size);
    t->resumed = 1;
    gloss__zwatch_set_events(t->rw, ZMQ_POLLIN);
}

/* Starts the resume timer once the receiver is paused and the sender is
 * held back by the high-water mark, whichever happened last. */
static void bp_maybe_resume(bp *t)
{
    if (t->paused && !t->resumed && t->blocked &&
        !uv_is_active((uv_handle_t *)&t->resume)) {
        t->hwm_while_paused = 1;
        uv_timer_start(&t->resume, bp_on_resume, BP_PAUSE_MS, 0);
    }
}

static void bp_on_writable(gloss__zwatch *w, int revents, void *arg)
{
    bp *t = arg;
    if (revents & ZMQ_POLLERR) {
        t->send_err = gloss__zwatch_error(w);
        return;
    }
    unsigned char buf[BP_SIZE];
    while (t->sent < BP_N) {
        msg_fill(buf, sizeof buf, t->sent);
        if (zmq_send(t->push, buf, sizeof buf, ZMQ_DONTWAIT) < 0) {
            if (errno != EAGAIN) {
                t->send_err = errno;
                gloss__zwatch_set_events(w, 0);
                return;
            }
            t->eagain++;
            t->blocked = 1;
            break;
        }
        t->blocked = 0;
        t->sent++;
    }
    /* A PUSH with room is writable on every iteration: stop asking. */
    if (t->sent == BP_N)
        gloss__zwatch_set_events(w, 0);
    bp_maybe_resume(t);
}

static void bp_on_readable(gloss__zwatch *w, int revents, void *arg)
{
    bp *t = arg;
    if (revents & ZMQ_POLLERR) {
        gloss__zwatch_destroy(&t->rw);
        return;
    }
    if (t->paused && !t->resumed)
        t->delivered_while_paused++;
    unsigned char buf[BP_SIZE * 2];
    for (int n = 0; n < BATCH; n++) {
        if (!t->paused && t->received == BP_PAUSE_AT) {
            gloss__zwatch_set_events(w, 0);
            t->paused = 1;
            bp_maybe_resume(t);
            return;
        }
        int len = zmq_recv(t->pull, buf, sizeof buf, ZMQ_DONTWAIT);
        if (len < 0)
            break;
        if (!msg_check(buf, len, BP_SIZE, t->received))
            t->in_order = 0;
        if (++t->received == BP_N) {
            gloss__zwatch_destroy(&t->rw);
            gloss__zwatch_destroy(&t->sw);
            uv_timer_stop(&t->resume);
            return;
        }
    }
}

static void test_backpressure(void)
{
    harness h;
    harness_init(&h);
    char ep[128];
    endpoint(ep, sizeof ep, "ipc", "backpressure");
    bp t = {.in_order = 1};
    uv_timer_init(&h.loop, &t.resume);
    t.resume.data = &t;
    t.push = sock_new(h.ctx, ZMQ_PUSH);
    t.pull = sock_new(h.ctx, ZMQ_PULL);
    setopt_int(t.push, ZMQ_SNDHWM, BP_HWM);
    setopt_int(t.push, ZMQ_SNDBUF, BP_BUF);
    setopt_int(t.pull, ZMQ_RCVHWM, BP_HWM);
    setopt_int(t.pull, ZMQ_RCVBUF, BP_BUF);
    must_bind(t.push, ep);
    must_connect(t.pull, ep);
    t.sw = gloss__zwatch_new(&h.loop, t.push, ZMQ_POLLOUT, bp_on_writable, &t);
    t.rw = gloss__zwatch_new(&h.loop, t.pull, ZMQ_POLLIN, bp_on_readable, &t);
    if (!t.sw || !t.rw)
        bail("gloss__zwatch_new");
    int finished = harness_run(&h);

    ok(finished, "backpressure: the transfer finished");
    ok(t.hwm_while_paused,
       "backpressure: with the receiver paused, the sender's non-blocking "
       "send failed with EAGAIN (%d refusals in all)", t.eagain);
    ok(t.delivered_while_paused == 0 && t.received_at_resume == BP_PAUSE_AT,
       "backpressure: set_events(0) stopped delivery at %d messages (%d "
       "when resumed)", BP_PAUSE_AT, t.received_at_resume);
    is_int(t.events_while_paused, 0,
           "backpressure: the paused watcher reports no events");
    diag("backpressure: ZMQ_EVENTS of the paused receiver at resume: %d",
         t.queued_at_resume);
    is_int(t.received, BP_N,
           "backpressure: set_events(ZMQ_POLLIN) resumed; all %d arrive",
           BP_N);
    ok(t.in_order, "backpressure: in order, with their content intact");
    ok(t.sent == BP_N && t.send_err == 0,
       "backpressure: the sender was woken with ZMQ_POLLOUT whenever room "
       "was made, and sent everything");

    gloss__zwatch_destroy(&t.sw);
    gloss__zwatch_destroy(&t.rw);
    close_handle(&t.resume);
    sock_close(&t.push);
    sock_close(&t.pull);
    harness_finish(&h, "backpressure");
}

/* ---- ZMQ_POLLOUT: nothing until a peer connects ------------------------- */

enum { POLLOUT_WAIT_MS = 200 };

typedef struct po {
    harness *h;
    const char *ep;
    gloss__zwatch *sw, *rw;
    void *push, *pull;
    uv_timer_t connect_timer;
    uv_check_t counter;
    int iterations;
    int writable_calls;
    int calls_before_peer;
    int iterations_waiting;
    int revents;
    char got[16];
} po;

static void po_on_readable(gloss__zwatch *w, int revents, void *arg)
{
    po *t = arg;
    if (!(revents & ZMQ_POLLERR)) {
        int len = zmq_recv(gloss__zwatch_socket(w), t->got,
                           sizeof t->got - 1, ZMQ_DONTWAIT);
        if (len < 0)
            return;
        t->got[len < (int)sizeof t->got ? len : (int)sizeof t->got - 1] = '\0';
    }
    gloss__zwatch_destroy(&t->rw);
    gloss__zwatch_destroy(&t->sw);
}

static void po_on_writable(gloss__zwatch *w, int revents, void *arg)
{
    po *t = arg;
    if (t->writable_calls++ == 0)
        t->revents = revents;
    if (!(revents & ZMQ_POLLERR))
        zmq_send(t->push, "hello", 5, ZMQ_DONTWAIT);
    gloss__zwatch_set_events(w, 0);
}

static void po_on_timer(uv_timer_t *timer)
{
    po *t = timer->data;
    t->calls_before_peer = t->writable_calls;
    t->iterations_waiting = t->iterations;
    uv_check_stop(&t->counter);
    t->pull = sock_new(t->h->ctx, ZMQ_PULL);
    must_connect(t->pull, t->ep);
    t->rw = gloss__zwatch_new(&t->h->loop, t->pull, ZMQ_POLLIN,
                              po_on_readable, t);
    if (!t->rw)
        bail("gloss__zwatch_new");
}

static void test_pollout(void)
{
    harness h;
    harness_init(&h);
    char ep[128];
    endpoint(ep, sizeof ep, "ipc", "pollout");
    po t = {.h = &h, .ep = ep};
    uv_timer_init(&h.loop, &t.connect_timer);
    uv_check_init(&h.loop, &t.counter);
    t.connect_timer.data = &t;
    t.counter.data = &t.iterations;
    /* A bound PUSH with no peer has no pipe, so ZeroMQ reports it not
     * writable; a connecting one would queue at once. */
    t.push = sock_new(h.ctx, ZMQ_PUSH);
    must_bind(t.push, ep);
    t.sw = gloss__zwatch_new(&h.loop, t.push, ZMQ_POLLOUT, po_on_writable, &t);
    if (!t.sw)
        bail("gloss__zwatch_new");
    uv_check_start(&t.counter, count_iteration);
    uv_timer_start(&t.connect_timer, po_on_timer, POLLOUT_WAIT_MS, 0);
    int finished = harness_run(&h);

    ok(finished, "pollout: the test finished");
    is_int(t.calls_before_peer, 0,
           "pollout: no callback while no peer is connected");
    ok(t.iterations_waiting <= QUIET_MAX,
       "pollout: and the loop blocked meanwhile (%d iterations in %d ms)",
       t.iterations_waiting, POLLOUT_WAIT_MS);
    is_int(t.revents, ZMQ_POLLOUT,
           "pollout: once a PULL connects, the watcher is told ZMQ_POLLOUT");
    is_int(t.writable_calls, 1, "pollout: once, after set_events(0)");
    is_str(t.got, "hello", "pollout: the message it then sent arrives");

    gloss__zwatch_destroy(&t.sw);
    gloss__zwatch_destroy(&t.rw);
    close_handle(&t.connect_timer);
    close_handle(&t.counter);
    sock_close(&t.push);
    sock_close(&t.pull);
    harness_finish(&h, "pollout");
}

/* ---- destroy from inside callbacks -------------------------------------- */

typedef struct sd {
    gloss__zwatch *w;
    void *pull;
    int calls;
    int nulled;
} sd;

/* The daemon's pattern when a worker goes away: forget the watcher and
 * close the socket, right in the callback, with messages still queued. */
static void sd_on_ready(gloss__zwatch *w, int revents, void *arg)
{
    sd *t = arg;
    (void)revents;
    t->calls++;
    char buf[32];
    zmq_recv(gloss__zwatch_socket(w), buf, sizeof buf, ZMQ_DONTWAIT);
    gloss__zwatch_destroy(&t->w);
    t->nulled = t->w == NULL;
    sock_close(&t->pull);
}

static void test_destroy_self(void)
{
    harness h;
    harness_init(&h);
    char ep[128];
    endpoint(ep, sizeof ep, "ipc", "destroy");
    sd t = {0};
    t.pull = sock_new(h.ctx, ZMQ_PULL);
    void *push = sock_new(h.ctx, ZMQ_PUSH);
    must_bind(t.pull, ep);
    must_connect(push, ep);
    for (int i = 0; i < 5; i++)
        if (zmq_send(push, "queued", 6, 0) < 0)
            bail("zmq_send");
    t.w = gloss__zwatch_new(&h.loop, t.pull, ZMQ_POLLIN, sd_on_ready, &t);
    if (!t.w)
        bail("gloss__zwatch_new");
    int finished = harness_run(&h);

    ok(finished, "destroy: the loop ended by itself after the watcher "
                 "destroyed itself");
    is_int(t.calls, 1, "destroy: no callback after destroy, though messages "
                       "were still queued");
    ok(t.nulled, "destroy: the caller's pointer is set to NULL");
    is_int(open_handles(&h), 0,
           "destroy: its handles are closed and freed, with no extra run");

    gloss__zwatch_destroy(&t.w);
    sock_close(&t.pull);
    sock_close(&push);
    harness_finish(&h, "destroy");
}

typedef struct cross {
    gloss__zwatch *w[2];
    void *pull[2], *push[2];
    int calls;
} cross;

static void cross_on_ready(gloss__zwatch *w, int revents, void *arg)
{
    cross *t = arg;
    (void)w;
    (void)revents;
    t->calls++;
    gloss__zwatch_destroy(&t->w[0]);
    gloss__zwatch_destroy(&t->w[1]);
}

/* Both sockets are ready in the same iteration; the first callback
 * destroys both watchers, and the second must not run. */
static void test_destroy_other(void)
{
    harness h;
    harness_init(&h);
    cross t = {0};
    for (int i = 0; i < 2; i++) {
        char ep[64];
        snprintf(ep, sizeof ep, "inproc://cross%d", i);
        t.pull[i] = sock_new(h.ctx, ZMQ_PULL);
        t.push[i] = sock_new(h.ctx, ZMQ_PUSH);
        must_bind(t.pull[i], ep);
        must_connect(t.push[i], ep);
        if (zmq_send(t.push[i], "ready", 5, 0) < 0)
            bail("zmq_send");
        t.w[i] = gloss__zwatch_new(&h.loop, t.pull[i], ZMQ_POLLIN,
                                   cross_on_ready, &t);
        if (!t.w[i])
            bail("gloss__zwatch_new");
    }
    int finished = harness_run(&h);

    ok(finished, "destroy other: the loop ended by itself");
    is_int(t.calls, 1, "destroy other: a watcher destroyed by another's "
                       "callback in the same iteration is not called");

    for (int i = 0; i < 2; i++) {
        gloss__zwatch_destroy(&t.w[i]);
        sock_close(&t.push[i]);
        sock_close(&t.pull[i]);
    }
    harness_finish(&h, "destroy other");
}

static void never_called(gloss__zwatch *w, int revents, void *arg)
{
    (void)w;
    (void)revents;
    (*(int *)arg)++;
}

static void test_api(void)
{
    harness h;
    harness_init(&h);
    int calls = 0;
    void *pull = sock_new(h.ctx, ZMQ_PULL);
    void *push = sock_new(h.ctx, ZMQ_PUSH);
    must_bind(pull, "inproc://api");
    must_connect(push, "inproc://api");
    if (zmq_send(push, "x", 1, 0) < 0)
        bail("zmq_send");

    errno = 0;
    gloss__zwatch *bad = gloss__zwatch_new(&h.loop, pull, 0x10, never_called,
                                           &calls);
    ok(bad == NULL && errno == EINVAL, "api: unknown events are refused "
                                       "with EINVAL");

    gloss__zwatch *w = gloss__zwatch_new(&h.loop, pull, 0, never_called,
                                         &calls);
    ok(w != NULL, "api: a watcher can be created stopped (events 0)");
    is_int(uv_loop_alive(&h.loop), 0,
           "api: a stopped watcher does not keep the loop alive");
    errno = 0;
    ok(gloss__zwatch_set_events(w, ZMQ_POLLIN | 0x10) == -1 &&
           errno == EINVAL && gloss__zwatch_events(w) == 0,
       "api: set_events refuses unknown events and changes nothing");
    ok(gloss__zwatch_set_events(w, ZMQ_POLLIN) == 0 &&
           gloss__zwatch_events(w) == ZMQ_POLLIN && uv_loop_alive(&h.loop),
       "api: set_events(ZMQ_POLLIN) starts it; now it keeps the loop alive");
    ok(gloss__zwatch_socket(w) == pull && gloss__zwatch_error(w) == 0,
       "api: it knows its socket, and has no error");

    errno = 0;
    gloss__zwatch *twice = gloss__zwatch_new(&h.loop, pull, ZMQ_POLLIN,
                                             never_called, &calls);
    ok(twice == NULL && errno == EEXIST,
       "api: a second watcher on the same socket fails with EEXIST");
    /* Created while the first is stopped, it fails when it would start. */
    gloss__zwatch_set_events(w, 0);
    twice = gloss__zwatch_new(&h.loop, pull, 0, never_called, &calls);
    gloss__zwatch_set_events(w, ZMQ_POLLIN);
    errno = 0;
    ok(twice && gloss__zwatch_set_events(twice, ZMQ_POLLIN) == -1 &&
           errno == EEXIST && gloss__zwatch_events(twice) == 0,
       "api: or, if created stopped, when set_events would start it");
    gloss__zwatch_destroy(&twice);

    /* Destroyed before the loop ever ran: nothing is delivered, and the
     * memory is released by the close callbacks of the next run (valgrind
     * and LeakSanitizer check that). */
    gloss__zwatch_destroy(&w);
    ok(w == NULL, "api: destroy sets the pointer to NULL");
    gloss__zwatch_destroy(&w);
    gloss__zwatch_destroy(NULL);
    uv_run(&h.loop, UV_RUN_NOWAIT);
    is_int(calls, 0, "api: a watcher destroyed before the loop ran is never "
                     "called");

    sock_close(&push);
    sock_close(&pull);
    harness_finish(&h, "api");
}

/* ---- PUB to SUB with a topic filter -------------------------------------- */

/* XPUB is a PUB that also hands the application each subscription, so the
 * publisher waits for the subscriber's filter to arrive instead of
 * guessing how long the "slow joiner" takes. */

enum { PS_N = 50 };

typedef struct ps {
    gloss__zwatch *pw, *sw;
    void *xpub, *sub;
    char subscription[32];
    int published;
    int tagged;
    int others;
    int in_order;
    int ended;
} ps;

static const char PS_TOPIC[] = "tagged.";

static void ps_on_subscription(gloss__zwatch *w, int revents, void *arg)
{
    ps *t = arg;
    (void)w;
    if (revents & ZMQ_POLLERR) {
        gloss__zwatch_destroy(&t->pw);
        return;
    }
    int len = zmq_recv(t->xpub, t->subscription, sizeof t->subscription - 1,
                       ZMQ_DONTWAIT);
    if (len < 0)
        return;
    t->subscription[len < (int)sizeof t->subscription
                        ? len : (int)sizeof t->subscription - 1] = '\0';
    /* "tag.N" shares a prefix with the filter without matching it. */
    char msg[32];
    for (int i = 0; i < PS_N; i++) {
        const char *topics[] = {"raw.", PS_TOPIC, "tag."};
        for (int k = 0; k < 3; k++) {
            int n = snprintf(msg, sizeof msg, "%s%d", topics[k], i);
            if (zmq_send(t->xpub, msg, (size_t)n, ZMQ_DONTWAIT) == n)
                t->published++;
        }
    }
    if (zmq_send(t->xpub, "tagged.end", 10, ZMQ_DONTWAIT) == 10)
        t->published++;
    gloss__zwatch_destroy(&t->pw);
}

static void ps_on_message(gloss__zwatch *w, int revents, void *arg)
{
    ps *t = arg;
    if (revents & ZMQ_POLLERR) {
        gloss__zwatch_destroy(&t->sw);
        return;
    }
    char msg[32];
    for (int n = 0; n < BATCH; n++) {
        int len = zmq_recv(gloss__zwatch_socket(w), msg, sizeof msg - 1,
                           ZMQ_DONTWAIT);
        if (len < 0)
            return;
        msg[len < (int)sizeof msg ? len : (int)sizeof msg - 1] = '\0';
        if (strcmp(msg, "tagged.end") == 0) {
            t->ended = 1;
            gloss__zwatch_destroy(&t->sw);
            return;
        }
        char want[32];
        snprintf(want, sizeof want, "%s%d", PS_TOPIC, t->tagged);
        if (strncmp(msg, PS_TOPIC, strlen(PS_TOPIC)) != 0) {
            t->others++;
        } else {
            if (strcmp(msg, want) != 0)
                t->in_order = 0;
            t->tagged++;
        }
    }
}

static void test_pubsub(void)
{
    harness h;
    harness_init(&h);
    char ep[128];
    endpoint(ep, sizeof ep, "ipc", "publish");
    ps t = {.in_order = 1};
    t.xpub = sock_new(h.ctx, ZMQ_XPUB);
    t.sub = sock_new(h.ctx, ZMQ_SUB);
    must_bind(t.xpub, ep);
    if (zmq_setsockopt(t.sub, ZMQ_SUBSCRIBE, PS_TOPIC, strlen(PS_TOPIC)) != 0)
        bail("ZMQ_SUBSCRIBE");
    must_connect(t.sub, ep);
    t.pw = gloss__zwatch_new(&h.loop, t.xpub, ZMQ_POLLIN, ps_on_subscription,
                             &t);
    t.sw = gloss__zwatch_new(&h.loop, t.sub, ZMQ_POLLIN, ps_on_message, &t);
    if (!t.pw || !t.sw)
        bail("gloss__zwatch_new");
    int finished = harness_run(&h);

    ok(finished, "pubsub: the test finished");
    ok(t.subscription[0] == 1 && strcmp(t.subscription + 1, PS_TOPIC) == 0,
       "pubsub: the publisher's watcher delivered the subscription");
    is_int(t.published, 3 * PS_N + 1, "pubsub: %d messages published on "
                                      "three topics", 3 * PS_N + 1);
    is_int(t.tagged, PS_N, "pubsub: the subscriber got the %d messages of "
                           "its topic", PS_N);
    ok(t.in_order, "pubsub: in order");
    is_int(t.others, 0, "pubsub: and none of the other topics");
    ok(t.ended, "pubsub: up to the last one");

    gloss__zwatch_destroy(&t.pw);
    gloss__zwatch_destroy(&t.sw);
    sock_close(&t.sub);
    sock_close(&t.xpub);
    harness_finish(&h, "pubsub");
}

/* ---- ETERM: the context shuts down under a watcher ---------------------- */

typedef struct term {
    harness *h;
    gloss__zwatch *w;
    uv_timer_t timer;
    int calls;
    int revents;
    int err;
    int events_after;
} term;

static void term_on_timer(uv_timer_t *timer)
{
    term *t = timer->data;
    zmq_ctx_shutdown(t->h->ctx);
}

static void term_on_ready(gloss__zwatch *w, int revents, void *arg)
{
    term *t = arg;
    t->calls++;
    t->revents = revents;
    t->err = gloss__zwatch_error(w);
    t->events_after = gloss__zwatch_events(w);
    /* The watcher stopped itself; the loop ends because nothing else is
     * active. It is destroyed after the run. */
}

static void test_eterm(void)
{
    harness h;
    harness_init(&h);
    term t = {.h = &h};
    uv_timer_init(&h.loop, &t.timer);
    t.timer.data = &t;
    void *pull = sock_new(h.ctx, ZMQ_PULL);
    must_bind(pull, "inproc://term");
    t.w = gloss__zwatch_new(&h.loop, pull, ZMQ_POLLIN, term_on_ready, &t);
    if (!t.w)
        bail("gloss__zwatch_new");
    uv_timer_start(&t.timer, term_on_timer, 10, 0);
    int finished = harness_run(&h);

    ok(finished, "eterm: the loop ended by itself");
    is_int(t.calls, 1, "eterm: zmq_ctx_shutdown() wakes the watcher once");
    is_int(t.revents, ZMQ_POLLERR, "eterm: with ZMQ_POLLERR");
    is_int(t.err, ETERM, "eterm: and gloss__zwatch_error() is ETERM");
    is_int(t.events_after, 0, "eterm: the watcher has stopped itself");

    gloss__zwatch_destroy(&t.w);
    close_handle(&t.timer);
    sock_close(&pull);
    harness_finish(&h, "eterm");
}

/* ---- main --------------------------------------------------------------- */

/* Removes the ipc folder and whatever a failed test left in it. */
/* ---- a call on the socket outside the callback: gloss__zwatch_touch --- */

/* The watcher does not ask ZeroMQ again while nothing it knows of has
 * changed. A timer that polls the watched socket with zmq_poll() takes the
 * command that announced a message, so ZMQ_FD stays silent with the
 * message waiting; gloss__zwatch_touch() tells the watcher, which must
 * then deliver it. */

enum { TOUCH_ROUNDS = 20 };

typedef struct touch {
    gloss__zwatch *w;
    void *pull, *push;
    uv_timer_t timer;
    int round;
    int received;
    int silent;      /* rounds where ZMQ_FD was silent with a message waiting */
    int zfd;
} touch;

static void touch_on_timer(uv_timer_t *timer)
{
    touch *t = timer->data;
    if (zmq_send(t->push, "x", 1, 0) < 0)
        bail("zmq_send");
    zmq_pollitem_t item = {t->pull, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, SAFETY_MS) == 1) {
        struct pollfd p = {t->zfd, POLLIN, 0};
        if (poll(&p, 1, 0) == 0)
            t->silent++;
    }
    gloss__zwatch_touch(t->w);
}

static void touch_on_ready(gloss__zwatch *w, int revents, void *arg)
{
    touch *t = arg;
    if (revents & ZMQ_POLLERR) {
        gloss__zwatch_destroy(&t->w);
        return;
    }
    char buf[8];
    while (zmq_recv(gloss__zwatch_socket(w), buf, sizeof buf, ZMQ_DONTWAIT) >= 0)
        t->received++;
    gloss__zwatch_drained(w);
    if (++t->round == TOUCH_ROUNDS) {
        gloss__zwatch_destroy(&t->w);
        return;
    }
    uv_timer_start(&t->timer, touch_on_timer, 1, 0);
}

static void test_touch(void)
{
    harness h;
    harness_init(&h);
    char ep[128];
    endpoint(ep, sizeof ep, "ipc", "touch");
    touch t = {0};
    uv_timer_init(&h.loop, &t.timer);
    t.timer.data = &t;
    t.pull = sock_new(h.ctx, ZMQ_PULL);
    t.push = sock_new(h.ctx, ZMQ_PUSH);
    must_bind(t.pull, ep);
    must_connect(t.push, ep);
    size_t size = sizeof t.zfd;
    if (zmq_getsockopt(t.pull, ZMQ_FD, &t.zfd, &size) != 0)
        bail("ZMQ_FD");
    t.w = gloss__zwatch_new(&h.loop, t.pull, ZMQ_POLLIN, touch_on_ready, &t);
    if (!t.w)
        bail("gloss__zwatch_new");
    if (zmq_send(t.push, "x", 1, 0) < 0)
        bail("zmq_send");
    int finished = harness_run(&h);

    ok(finished, "touch: the test finished");
    is_int(t.received, TOUCH_ROUNDS, "touch: every message arrived");
    ok(t.silent > 0,
       "touch: zmq_poll() outside the callback left ZMQ_FD silent with a "
       "message waiting in %d of %d rounds, and after gloss__zwatch_touch() "
       "the watcher delivered it anyway", t.silent, TOUCH_ROUNDS - 1);

    gloss__zwatch_destroy(&t.w);
    close_handle(&t.timer);
    sock_close(&t.push);
    sock_close(&t.pull);
    harness_finish(&h, "touch");
}

static void remove_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char path[sizeof tmpdir + 256];
            snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(tmpdir);
}

int main(void)
{
    /* sun_path holds about 100 bytes: a long TMPDIR falls back to /tmp. */
    const char *base = getenv("TMPDIR");
    if (!base || !*base || strlen(base) > 40)
        base = "/tmp";
    snprintf(tmpdir, sizeof tmpdir, "%s/gloss-zwatch-XXXXXX", base);
    if (!mkdtemp(tmpdir))
        bail("mkdtemp");

    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    diag("libzmq %d.%d.%d, libuv %s", major, minor, patch,
         uv_version_string());

    test_bulk("ipc", 0);
    test_bulk("inproc", 0);
    test_bulk("ipc", 1);
    test_bulk("inproc", 1);
    test_touch();
    test_prequeued();
    test_edge_trap("ipc");
    test_edge_trap("inproc");
    test_quiet("ipc");
    test_quiet("inproc");
    test_backpressure();
    test_pollout();
    test_destroy_self();
    test_destroy_other();
    test_api();
    test_pubsub();
    test_eterm();

    remove_tmpdir();
    return done_testing();
}
