/*
 * zwatch.h - a libuv watcher that calls back when a ZeroMQ socket is
 * readable or writable, so that one loop can own libuv handles and ZeroMQ
 * sockets side by side.
 *
 * Why it is not a plain uv_poll_t on ZMQ_FD
 * -----------------------------------------
 * ZMQ_FD is not the socket's data: it is the descriptor of the socket's
 * command mailbox, and it becomes readable only when a command arrives
 * while the mailbox was empty. It is edge-triggered, and it says only that
 * ZMQ_EVENTS may have changed. The truth is ZMQ_EVENTS, and every
 * zmq_send(), zmq_recv() and ZMQ_EVENTS read on the socket may process the
 * pending commands and clear the descriptor. A loop that waits on the
 * descriptor alone hangs as soon as such a call has eaten the edge while
 * messages are waiting: the socket is readable, the descriptor is silent,
 * and nothing will ever wake the loop.
 *
 * How it works
 * ------------
 * Each watcher is four libuv handles working together:
 *   - a prepare handle, which runs just before the loop blocks, reads
 *     ZMQ_EVENTS and, when the wanted events are ready, starts the idle
 *     handle so that the loop polls without blocking;
 *   - an idle handle, whose only effect is that zero timeout;
 *   - a poll handle on ZMQ_FD, which wakes the loop when the mailbox
 *     receives a command (its callback does nothing but note it: the
 *     wake-up is the point);
 *   - a check handle, which runs just after the loop polled and calls the
 *     callback with what is ready.
 * The loop therefore never blocks while the socket has work, and never
 * spins while it has none: when ZMQ_EVENTS says "nothing", that read has
 * just emptied the mailbox, so the next command will make the descriptor
 * readable again, and it stays readable until ZeroMQ reads the mailbox.
 *
 * ZMQ_EVENTS is read only when its last answer may be out of date: after
 * the callback ran (it used the socket), after ZMQ_FD fired, after the
 * events changed, or after gloss__zwatch_touch(), unless the callback
 * ended on a receive that found nothing (gloss__zwatch_drained()). Otherwise an answer of
 * "nothing" still holds in prepare (nothing took a command from the
 * mailbox since), and an answer of "ready" still holds in check (only a
 * call on the socket takes readiness away). An idle watcher therefore
 * costs no system call per iteration, and a busy one a single read.
 *
 * Using it
 * --------
 * The callback is level-triggered, like poll(2): it runs once per loop
 * iteration for as long as ZMQ_EVENTS reports a wanted event. It should
 * move at most a bounded batch of messages (say 64) with ZMQ_DONTWAIT and
 * return; if messages remain, it is called again on the next iteration,
 * after every other ready handle had its turn, so that one busy socket
 * cannot starve the others. Reading until EAGAIN is also correct, but
 * unbounded.
 *
 *     static void on_feed(gloss__zwatch *w, int revents, void *arg)
 *     {
 *         if (revents & ZMQ_POLLERR) { ... gloss__zwatch_error(w) ... }
 *         for (int i = 0; i < 64; i++) {
 *             zmq_msg_t m;
 *             zmq_msg_init(&m);
 *             if (zmq_msg_recv(&m, gloss__zwatch_socket(w),
 *                              ZMQ_DONTWAIT) < 0) {
 *                 zmq_msg_close(&m);
 *                 break;      // EAGAIN: the watcher waits for more
 *             }
 *             ...
 *         }
 *     }
 *
 * gloss__zwatch_set_events() changes what is watched at any time, from any
 * callback on the loop's thread. Setting 0 is backpressure: the watcher
 * stops, messages stay queued in ZeroMQ, and once its high-water marks are
 * reached the peers' sends block or fail with EAGAIN (a PUB peer drops
 * instead, as ZeroMQ always does). Setting ZMQ_POLLIN
 * again resumes delivery of everything that was queued.
 *
 * Caveats
 * -------
 * - Level-triggered means ZMQ_POLLOUT is reported on every iteration while
 *   the socket can take a message. Watch ZMQ_POLLOUT only while there is
 *   something to send; PUB, XPUB and (without ZMQ_ROUTER_MANDATORY) ROUTER
 *   sockets are always writable, so watching them for ZMQ_POLLOUT spins.
 * - A callback that neither reads nor stops watching a readable socket
 *   spins the loop, exactly as a uv_poll_t callback that ignores a
 *   readable descriptor would.
 * - Any zmq_send(), zmq_recv() or getsockopt on the watched socket made
 *   outside the watcher's own callback (from a timer, another watcher's
 *   callback, ...) must be followed by gloss__zwatch_touch(): such a call
 *   may take the command that ZMQ_FD announced, and the watcher, which
 *   does not ask ZeroMQ again while nothing it knows of has changed,
 *   would then block with messages waiting. Calls on other sockets need
 *   nothing: each socket has its own mailbox.
 * - The callback runs in the loop's check phase. Sending or receiving on
 *   the socket is safe from any callback of the loop except a uv_prepare_t
 *   callback of the user: one that runs after the watcher's own prepare
 *   could eat the edge after ZMQ_EVENTS was read and before the loop
 *   blocks.
 * - One watcher per socket: libuv allows one active poll handle per
 *   descriptor in a loop, so a second watcher on the same socket fails
 *   with EEXIST, in gloss__zwatch_new() or, if it was created stopped,
 *   in the gloss__zwatch_set_events() that would start it.
 * - The watcher belongs to the loop's thread, like the socket it watches.
 * - A watcher whose events are 0 holds no active handle, so it does not
 *   keep uv_run() alive; an active one does.
 * - Errors: when ZMQ_EVENTS fails (ETERM once zmq_ctx_shutdown() or
 *   zmq_ctx_term() has been called) or the poll handle reports an error,
 *   the callback runs once with ZMQ_POLLERR, gloss__zwatch_error()
 *   returns the errno value, and the watcher has already set its events
 *   to 0. A daemon shutting down its context therefore hears about it
 *   from every watcher.
 * - Destroying: gloss__zwatch_destroy() may be called from any callback,
 *   including the watcher's own; the callback is not called again. The
 *   libuv handles close asynchronously and the memory is freed by the last
 *   close callback, so the loop must run once more (uv_run() in any mode)
 *   before uv_loop_close(). The ZeroMQ socket is not closed: it belongs to
 *   the caller, who may zmq_close() it right after the destroy call,
 *   because uv_close() unregisters the descriptor at once. Closing the
 *   socket before destroying its watcher is an error.
 * - inproc sockets work: in libzmq 4.x an inproc pipe wakes its reader
 *   through the same mailbox, so ZMQ_FD covers inproc as it covers ipc and
 *   tcp (tests/test_zwatch.c runs its bulk, edge-trap and idle tests
 *   over ipc and over inproc, and its exact batching test over inproc,
 *   against libzmq 4.3.4). The draft thread-safe socket types (SERVER,
 *   CLIENT, RADIO, DISH, ...) have no ZMQ_FD, and gloss__zwatch_new()
 *   fails with EINVAL.
 * - Cost: one getsockopt(ZMQ_EVENTS) call per loop iteration for a busy
 *   watcher (in prepare, after its callback ran), none for an idle one
 *   until ZMQ_FD fires; a read finds the mailbox empty with a getpid(2)
 *   (ZeroMQ's fork check) and a poll(2) with a zero timeout. Switching events
 *   between 0 and non-zero costs one epoll_ctl(2) each way; switching
 *   between non-zero masks costs no system call.
 */
#ifndef GLOSS_DAEMON_ZWATCH_H
#define GLOSS_DAEMON_ZWATCH_H

#include <uv.h>
#include <zmq.h>

typedef struct gloss__zwatch gloss__zwatch;

/* revents is a mask of ZMQ_POLLIN and ZMQ_POLLOUT (only those among the
 * wanted events), or ZMQ_POLLERR alone. arg is the pointer given to
 * gloss__zwatch_new(). */
typedef void (*gloss__zwatch_cb)(gloss__zwatch *w, int revents, void *arg);

/* Watches zsock, a ZeroMQ socket owned by the caller, for events (a mask
 * of ZMQ_POLLIN and ZMQ_POLLOUT; 0 creates a stopped watcher). Returns the
 * watcher, or NULL with errno set: EINVAL for bad events or a socket
 * without ZMQ_FD, EEXIST when the socket is already watched in this loop,
 * ENOMEM, or the error of zmq_getsockopt(ZMQ_FD). */
gloss__zwatch *gloss__zwatch_new(uv_loop_t *loop, void *zsock, int events,
                                 gloss__zwatch_cb cb, void *arg);

/* Changes the events watched (see gloss__zwatch_new()); 0 stops the
 * watcher without destroying it. Clears a previous error. Returns 0, or -1
 * with errno set: EINVAL for bad events or a watcher being destroyed, EEXIST
 * when another watcher in the loop is active on the same socket (this one
 * is then stopped). */
int gloss__zwatch_set_events(gloss__zwatch *self, int events);

/* Says that the socket was used outside the watcher's callback, so that
 * the watcher reads ZMQ_EVENTS again before the loop blocks (see the
 * caveats above). Cheap: no system call. */
void gloss__zwatch_touch(gloss__zwatch *self);

/* Says, from the watcher's callback, that its last call on the socket was
 * a zmq_recv() or zmq_msg_recv() with ZMQ_DONTWAIT that failed with EAGAIN:
 * ZeroMQ then took every pending command from the mailbox and found
 * nothing to read, which is what a ZMQ_EVENTS read would say, so the
 * watcher does not ask again before the loop blocks. It has an effect only
 * on a watcher of ZMQ_POLLIN alone (a watcher of ZMQ_POLLOUT must still
 * learn whether the socket is writable), and no call on the socket may
 * follow it in the callback. It saves a getpid(2) and a poll(2) per busy
 * iteration. */
void gloss__zwatch_drained(gloss__zwatch *self);

/* The events currently watched. */
int gloss__zwatch_events(const gloss__zwatch *self);

/* The errno value reported with the last ZMQ_POLLERR, or 0. */
int gloss__zwatch_error(const gloss__zwatch *self);

/* The watched socket, for callbacks that were not given it in arg. */
void *gloss__zwatch_socket(const gloss__zwatch *self);

/* Stops the watcher, sets *self_p to NULL, and frees it once libuv has
 * closed its handles (see the caveats above). NULL and *self_p == NULL
 * are ignored. The socket is left open. */
void gloss__zwatch_destroy(gloss__zwatch **self_p);

#endif
