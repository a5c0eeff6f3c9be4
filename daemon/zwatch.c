/*
 * zwatch.c - a libuv watcher for ZeroMQ sockets (see zwatch.h for what it
 * promises and its caveats).
 *
 * A watcher is four libuv handles and a mask of wanted events. While the
 * mask is not 0, the prepare, check and poll handles are active; the idle
 * handle is started and stopped by prepare only. The invariant that keeps
 * wake-ups from being missed: the last ZMQ_EVENTS read before the loop
 * blocks is prepare's, and if that read found nothing ready it also left
 * the mailbox empty, so the next command ZeroMQ posts to the socket makes
 * ZMQ_FD readable and wakes the poll handle. Every other path (data ready,
 * an error, EINTR) starts the idle handle, so the loop does not block and
 * check looks again right away.
 *
 * Closing: the four handles are closed together; each close callback
 * counts down and the last one frees the struct. The struct therefore
 * outlives any callback that is running when destroy is called, and libuv
 * stops the closing handles at once, so none of their callbacks runs
 * again.
 */
#include "zwatch.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>

/* The four handles a watcher closes on destroy. */
#define ZWATCH_HANDLES 4

struct gloss__zwatch {
    uv_prepare_t prepare; /* reads ZMQ_EVENTS before the loop blocks */
    uv_check_t check;     /* reads ZMQ_EVENTS after the poll, calls cb */
    uv_idle_t idle;       /* active while events are ready: no blocking */
    uv_poll_t poll;       /* on ZMQ_FD: wakes the loop on a mailbox command */
    void *zsock;          /* the watched socket, owned by the caller */
    gloss__zwatch_cb cb;
    void *arg;
    int events;   /* wanted: ZMQ_POLLIN | ZMQ_POLLOUT, or 0 when stopped */
    int err;      /* errno value reported with the last ZMQ_POLLERR */
    int open;     /* handles not yet closed; the last close frees */
    int closing;  /* destroy was called */
    int look;     /* check must call back (see zwatch_check_cb) */
    int ready;    /* what the last ZMQ_EVENTS read found, masked */
    int dirty;    /* the socket may have changed since that read */
};

static const int ZWATCH_VALID = ZMQ_POLLIN | ZMQ_POLLOUT;

/* Returns the wanted events that ZeroMQ reports ready (possibly 0), or -1
 * with errno set. Reading ZMQ_EVENTS also processes the socket's pending
 * commands, which is what empties the mailbox behind ZMQ_FD. */
static int zwatch_ready(gloss__zwatch *self)
{
    int zevents = 0;
    size_t size = sizeof zevents;
    if (zmq_getsockopt(self->zsock, ZMQ_EVENTS, &zevents, &size) != 0)
        return -1;
    return zevents & self->events;
}

/* Stops all four handles; the watcher keeps its memory and its socket.
 * Stopping a poll handle is a system call (epoll_ctl) even when it is not
 * running, hence the test. */
static void zwatch_stop(gloss__zwatch *self)
{
    uv_prepare_stop(&self->prepare);
    uv_check_stop(&self->check);
    uv_idle_stop(&self->idle);
    if (uv_is_active((uv_handle_t *)&self->poll))
        uv_poll_stop(&self->poll);
}

/* Reports a failure once: the watcher is stopped first, so that a callback
 * that ignores ZMQ_POLLERR does not get it again on every iteration. */
static void zwatch_fail(gloss__zwatch *self, int err)
{
    self->events = 0;
    zwatch_stop(self);
    self->err = err;
    self->cb(self, ZMQ_POLLERR, self->arg);
}

/* The idle handle exists only to make the loop poll with a zero timeout;
 * libuv requires a callback to start it. */
static void zwatch_idle_cb(uv_idle_t *h)
{
    (void)h;
}

static void zwatch_prepare_cb(uv_prepare_t *h)
{
    gloss__zwatch *self = h->data;
    /* When the last read found nothing ready and nothing has touched the
     * socket since (no callback, no ZMQ_FD wake-up, no change of events),
     * that read left the mailbox empty and nothing has taken a command
     * from it since: a new command makes ZMQ_FD readable and stays there
     * until ZeroMQ reads it, so the loop may block without asking again.
     * This is what makes an idle watcher cost no system call. */
    if (!self->dirty && self->ready == 0) {
        uv_idle_stop(&self->idle);
        return;
    }
    self->dirty = 0;
    self->ready = zwatch_ready(self);
    /* An error also keeps the loop from blocking: check reads ZMQ_EVENTS
     * again and either reports it or, after EINTR, finds the real state. */
    if (self->ready != 0) {
        if (self->ready < 0)
            self->dirty = 1;
        self->look = 1;
        uv_idle_start(&self->idle, zwatch_idle_cb);
    } else {
        uv_idle_stop(&self->idle);
    }
}

/* A readable ZMQ_FD only means "look at ZMQ_EVENTS", which check does right
 * after the poll phase; the wake-up itself is all this handle is for. */
static void zwatch_poll_cb(uv_poll_t *h, int status, int events)
{
    (void)events;
    gloss__zwatch *self = h->data;
    self->look = 1;
    self->dirty = 1;
    if (status < 0)
        zwatch_fail(self, -status);
}

static void zwatch_check_cb(uv_check_t *h)
{
    gloss__zwatch *self = h->data;
    /* When prepare found nothing ready it emptied the mailbox, so until
     * ZMQ_FD fires there is nothing new to read here: skipping the query
     * saves a system call per idle watcher per iteration. A call on the
     * socket made in between (another callback sending on it) may have
     * taken a command without the descriptor firing; whoever made it
     * says so with gloss__zwatch_touch(), and the next prepare looks. */
    if (!self->look)
        return;
    self->look = 0;
    /* When prepare found events ready and nothing touched the socket
     * since, its answer still holds (only a call on the socket takes
     * readiness away), so it is not asked again; a ZMQ_FD wake-up or an
     * error in prepare makes it ask. */
    int ready = self->ready;
    if (self->dirty) {
        ready = zwatch_ready(self);
        if (ready < 0) {
            /* EINTR left prepare's idle handle running, so the next
             * iteration retries without blocking. */
            if (errno != EINTR)
                zwatch_fail(self, errno);
            return;
        }
        self->dirty = 0;
        self->ready = ready;
    }
    if (ready != 0) {
        /* The callback uses the socket: what was read no longer holds. */
        self->dirty = 1;
        self->cb(self, ready, self->arg);
    }
    /* self may be closing now; its memory stays valid until the close
     * callbacks, which run after the check phase, but nothing may be
     * started on it, so nothing follows the callback. */
}

static void zwatch_close_cb(uv_handle_t *h)
{
    gloss__zwatch *self = h->data;
    if (--self->open == 0)
        free(self);
}

gloss__zwatch *gloss__zwatch_new(uv_loop_t *loop, void *zsock, int events,
                                 gloss__zwatch_cb cb, void *arg)
{
    assert(loop);
    assert(zsock);
    assert(cb);
    if (events & ~ZWATCH_VALID) {
        errno = EINVAL;
        return NULL;
    }
    int fd;
    size_t size = sizeof fd;
    if (zmq_getsockopt(zsock, ZMQ_FD, &fd, &size) != 0)
        return NULL;

    gloss__zwatch *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->zsock = zsock;
    self->cb = cb;
    self->arg = arg;

    /* The poll handle is the only one whose init can fail; doing it first
     * means a failure has nothing to close. */
    int rc = uv_poll_init(loop, &self->poll, fd);
    if (rc < 0) {
        free(self);
        errno = -rc;
        return NULL;
    }
    uv_prepare_init(loop, &self->prepare);
    uv_check_init(loop, &self->check);
    uv_idle_init(loop, &self->idle);
    self->prepare.data = self;
    self->check.data = self;
    self->idle.data = self;
    self->poll.data = self;
    self->open = ZWATCH_HANDLES;

    if (gloss__zwatch_set_events(self, events) != 0) {
        /* The handles are in the loop now, so they can only be released
         * through uv_close(), like any destroy. */
        int err = errno;
        gloss__zwatch_destroy(&self);
        errno = err;
        return NULL;
    }
    return self;
}

int gloss__zwatch_set_events(gloss__zwatch *self, int events)
{
    assert(self);
    if ((events & ~ZWATCH_VALID) || self->closing) {
        errno = EINVAL;
        return -1;
    }
    self->events = events;
    self->err = 0;
    /* What was read was masked with the old events. */
    self->dirty = 1;
    if (events == 0) {
        zwatch_stop(self);
        return 0;
    }
    /* uv_poll_start() on an active handle re-registers the descriptor
     * (two epoll_ctl calls), so it is started only when it is not running;
     * the prepare and check starts are no-ops when already active. */
    if (!uv_is_active((uv_handle_t *)&self->poll)) {
        int rc = uv_poll_start(&self->poll, UV_READABLE, zwatch_poll_cb);
        if (rc < 0) {
            self->events = 0;
            zwatch_stop(self);
            errno = -rc;
            return -1;
        }
    }
    uv_prepare_start(&self->prepare, zwatch_prepare_cb);
    uv_check_start(&self->check, zwatch_check_cb);
    return 0;
}

void gloss__zwatch_touch(gloss__zwatch *self)
{
    assert(self);
    self->dirty = 1;
}

void gloss__zwatch_drained(gloss__zwatch *self)
{
    assert(self);
    /* A receive that failed with EAGAIN processed every pending command
     * first (libzmq does that before it gives up), exactly as a ZMQ_EVENTS
     * read does, and found nothing to read: for a watcher of ZMQ_POLLIN
     * alone that is the answer "nothing" such a read would give. */
    if (self->events == ZMQ_POLLIN && !self->closing) {
        self->ready = 0;
        self->dirty = 0;
    }
}

int gloss__zwatch_events(const gloss__zwatch *self)
{
    assert(self);
    return self->events;
}

int gloss__zwatch_error(const gloss__zwatch *self)
{
    assert(self);
    return self->err;
}

void *gloss__zwatch_socket(const gloss__zwatch *self)
{
    assert(self);
    return self->zsock;
}

void gloss__zwatch_destroy(gloss__zwatch **self_p)
{
    if (!self_p || !*self_p)
        return;
    gloss__zwatch *self = *self_p;
    *self_p = NULL;
    if (self->closing)
        return;
    self->closing = 1;
    self->events = 0;
    /* uv_close() stops each handle first; for the poll handle that removes
     * ZMQ_FD from the backend at once, which is why the caller may close
     * the socket as soon as this returns. */
    uv_close((uv_handle_t *)&self->prepare, zwatch_close_cb);
    uv_close((uv_handle_t *)&self->check, zwatch_close_cb);
    uv_close((uv_handle_t *)&self->idle, zwatch_close_cb);
    uv_close((uv_handle_t *)&self->poll, zwatch_close_cb);
}
