/*
 * worker.h - the worker process of glossd: one pipeline, fed one job at a
 * time by the supervisor over the protocol of daemon/wire.h.
 *
 * The supervisor starts each worker as `glossd --worker`, which calls
 * gloss__worker_main(). The worker says HELLO, builds its pipeline from the
 * CONFIG it receives (or answers FATAL), offers its credit with READY, and
 * then answers every JOB with a DONE until STOP. It ends by itself when the
 * supervisor goes away, so an orphaned worker never lingers.
 */
#ifndef GLOSS_WORKER_H
#define GLOSS_WORKER_H

/*
 * Runs a worker on fd, its end of a stream socket (a socketpair) whose
 * other end the supervisor holds; identity names it in messages. It
 * announces generation and serves jobs with up to credit of them in flight
 * (0 counts as 1). progress_fd is the descriptor of the progress page
 * shared with the supervisor (wire.h), which the worker maps and closes,
 * or -1 for none: then every job is answered with its own DONE. Both
 * descriptors are closed on return. Returns 0 after STOP; non-zero when
 * the configuration failed (after FATAL), when the supervisor went away
 * (the parent process changed, or the connection closed), or when the
 * socket or memory failed. Messages for people go to stderr.
 */
int gloss__worker_main(int fd, const char *identity, unsigned generation,
                       unsigned credit, int progress_fd);

#endif
