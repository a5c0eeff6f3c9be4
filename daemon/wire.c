/*
 * wire.c - receiving and sending the multipart messages of daemon/wire.h.
 *
 * A received message keeps its frames in zmq_msg_t objects, so a frame of
 * 16 MiB is never copied: the struct's pointers look into ZeroMQ's own
 * buffers until gloss__wire_msg_close() releases them. A message with more
 * frames than the struct holds is still read to its end, frame by frame,
 * into one scratch message that is thrown away, so the socket stays at a
 * message boundary and the next receive sees the next message whole.
 *
 * ZeroMQ delivers a multipart message atomically: once its first frame has
 * been received the others are already queued. An interrupted call (EINTR)
 * on the first frame is therefore returned to the caller, who may check its
 * signals and retry, while an interruption in the middle of a message is
 * retried here, because giving up there would leave half a message behind.
 *
 * Records (JOB and DONE batches) are written and read with memcpy, so that
 * a frame's bytes need no alignment.
 */
#include "wire.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* Empty frames point here, so that frame[i] is never NULL. */
static const char empty_frame[1] = "";

static void close_frames(zmq_msg_t *z, size_t n)
{
    for (size_t i = 0; i < n; i++)
        zmq_msg_close(&z[i]);
}

/* Receives one frame into z, retrying an interruption unless it is the
 * first frame of a message. */
static int recv_frame(void *sock, zmq_msg_t *z, int flags, int first)
{
    for (;;) {
        if (zmq_msg_recv(z, sock, first ? flags : 0) >= 0)
            return 0;
        if (errno != EINTR || first)
            return -1;
    }
}

static int has_more(void *sock, int *more)
{
    size_t sz = sizeof(*more);
    return zmq_getsockopt(sock, ZMQ_RCVMORE, more, &sz);
}

/* Reads and discards the rest of a message that was too long. Returns 0
 * once the last frame is gone, or -1 with errno. */
static int discard_rest(void *sock)
{
    int more = 1;
    while (more) {
        zmq_msg_t scratch;
        zmq_msg_init(&scratch);
        int rc = recv_frame(sock, &scratch, 0, 0);
        zmq_msg_close(&scratch);
        if (rc < 0 || has_more(sock, &more) < 0)
            return -1;
    }
    return 0;
}

int gloss__wire_recv(void *sock, gloss__wire_msg *m, int flags)
{
    memset(m, 0, sizeof(*m));
    zmq_msg_t *z = malloc(GLOSS__WIRE_MAX_FRAMES * sizeof(*z));
    if (!z) {
        errno = ENOMEM;
        return -1;
    }
    size_t n = 0;
    int more = 1;
    while (more) {
        if (n == GLOSS__WIRE_MAX_FRAMES) {
            /* The message is longer than any message of the protocol: it is
             * consumed whole and refused. */
            int rc = discard_rest(sock);
            int saved = errno;
            close_frames(z, n);
            free(z);
            m->more_ = 1;
            errno = rc < 0 ? saved : EPROTO;
            return -1;
        }
        zmq_msg_init(&z[n]);
        if (recv_frame(sock, &z[n], flags, n == 0) < 0 ||
            has_more(sock, &more) < 0) {
            int saved = errno;
            close_frames(z, n + 1);
            free(z);
            errno = saved;
            return -1;
        }
        size_t len = zmq_msg_size(&z[n]);
        m->frame[n] = len ? (const char *)zmq_msg_data(&z[n]) : empty_frame;
        m->len[n] = len;
        n++;
    }
    m->nframes = n;
    m->zmsgs_ = z;
    return 0;
}

void gloss__wire_msg_close(gloss__wire_msg *m)
{
    if (!m)
        return;
    if (m->zmsgs_) {
        close_frames(m->zmsgs_, m->nframes);
        free(m->zmsgs_);
    }
    free(m->mem_);
    memset(m, 0, sizeof(*m));
}

int gloss__wire_take(gloss__wire_msg *m, size_t i, void *zmsg)
{
    zmq_msg_init(zmsg);
    if (i >= m->nframes || !m->zmsgs_) {
        errno = EINVAL;
        return -1;
    }
    zmq_msg_t *z = m->zmsgs_;
    if (zmq_msg_move(zmsg, &z[i]) != 0)
        return -1;
    m->frame[i] = empty_frame;
    m->len[i] = 0;
    return 0;
}

int gloss__wire_is(const gloss__wire_msg *m, size_t i, const char *word)
{
    if (i >= m->nframes)
        return 0;
    size_t len = strlen(word);
    return m->len[i] == len && memcmp(m->frame[i], word, len) == 0;
}

char *gloss__wire_dup(const gloss__wire_msg *m, size_t i)
{
    if (i >= m->nframes)
        return NULL;
    char *s = malloc(m->len[i] + 1);
    if (!s)
        return NULL;
    memcpy(s, m->frame[i], m->len[i]);
    s[m->len[i]] = '\0';
    return s;
}

int gloss__wire_u64(const gloss__wire_msg *m, size_t i, uint64_t *out)
{
    if (i >= m->nframes || m->len[i] == 0)
        return -1;
    uint64_t v = 0;
    for (size_t k = 0; k < m->len[i]; k++) {
        unsigned char c = (unsigned char)m->frame[i][k];
        if (c < '0' || c > '9')
            return -1;
        unsigned d = c - '0';
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int gloss__wire_send(void *sock, int flags, size_t n, const void *const *data,
                     const size_t *len)
{
    if (n == 0) {
        errno = EINVAL;
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        int f = i + 1 < n ? ZMQ_SNDMORE : 0;
        /* Only the first frame may wait or be refused: once it is queued,
         * the rest of the message must follow it. */
        if (i == 0)
            f |= flags;
        const void *d = len[i] ? data[i] : empty_frame;
        for (;;) {
            if (zmq_send(sock, d, len[i], f) >= 0)
                break;
            if (errno != EINTR || i == 0)
                return -1;
        }
    }
    return 0;
}

int gloss__wire_send_msg(void *sock, int flags, size_t n,
                         const void *const *data, const size_t *len,
                         void *last)
{
    zmq_msg_t *z = last;
    for (size_t i = 0; i < n; i++) {
        int f = ZMQ_SNDMORE | (i == 0 ? flags : 0);
        const void *d = len[i] ? data[i] : empty_frame;
        for (;;) {
            if (zmq_send(sock, d, len[i], f) >= 0)
                break;
            if (errno != EINTR || i == 0) {
                int saved = errno;
                zmq_msg_close(z);
                errno = saved;
                return -1;
            }
        }
    }
    for (;;) {
        if (zmq_msg_send(z, sock, n == 0 ? flags : 0) >= 0)
            return 0;
        if (errno != EINTR || n == 0) {
            int saved = errno;
            zmq_msg_close(z);
            errno = saved;
            return -1;
        }
    }
}

/* ---- stream framing ----------------------------------------------------- */

size_t gloss__wire_packed_size(size_t n, const size_t *len)
{
    size_t size = GLOSS__WIRE_HEAD;
    for (size_t i = 0; i < n; i++)
        size += 8 + len[i];
    return size;
}

void gloss__wire_put_head(char *dst, uint64_t body, uint32_t nframes)
{
    uint32_t zero = 0;
    memcpy(dst, &body, 8);
    memcpy(dst + 8, &nframes, 4);
    memcpy(dst + 12, &zero, 4);
}

size_t gloss__wire_pack(char *dst, size_t n, const void *const *data,
                        const size_t *len)
{
    gloss__wire_put_head(dst, gloss__wire_packed_size(n, len) - GLOSS__WIRE_HEAD,
                         (uint32_t)n);
    char *p = dst + GLOSS__WIRE_HEAD;
    for (size_t i = 0; i < n; i++) {
        uint64_t l = len[i];
        memcpy(p, &l, 8);
        p += 8;
        if (l && data[i])
            memcpy(p, data[i], l);
        p += l;
    }
    return (size_t)(p - dst);
}

int gloss__wire_body(const char *buf, uint64_t *body)
{
    memcpy(body, buf, 8);
    if (*body > GLOSS__WIRE_MAX_BODY) {
        errno = EPROTO;
        return -1;
    }
    return 0;
}

int gloss__wire_unpack(const char *buf, size_t avail, gloss__wire_msg *m,
                       size_t *used)
{
    memset(m, 0, sizeof(*m));
    *used = 0;
    if (avail < GLOSS__WIRE_HEAD)
        return 0;
    uint64_t body;
    if (gloss__wire_body(buf, &body) < 0)
        return -1;
    if (avail - GLOSS__WIRE_HEAD < body)
        return 0;
    *used = GLOSS__WIRE_HEAD + (size_t)body;
    uint32_t nframes;
    memcpy(&nframes, buf + 8, 4);
    if (nframes > GLOSS__WIRE_MAX_FRAMES) {
        m->more_ = 1;
        errno = EPROTO;
        return -1;
    }
    const char *p = buf + GLOSS__WIRE_HEAD, *end = p + body;
    for (uint32_t i = 0; i < nframes; i++) {
        uint64_t len;
        if ((size_t)(end - p) < 8)
            goto bad;
        memcpy(&len, p, 8);
        p += 8;
        if (len > (uint64_t)(end - p))
            goto bad;
        m->frame[i] = len ? p : empty_frame;
        m->len[i] = (size_t)len;
        p += len;
    }
    if (p != end || nframes == 0)
        goto bad;
    m->nframes = nframes;
    return 1;
bad:
    memset(m, 0, sizeof(*m));
    errno = EBADMSG;
    return -1;
}

/* ---- records ------------------------------------------------------------ */

size_t gloss__wire_rec_size(const gloss__wire_rec *r)
{
    size_t n = 8 + 4 + 4;
    for (size_t i = 0; i < r->nfields; i++)
        n += 8 + r->len[i] + 1;
    return n;
}

void gloss__wire_rec_put_head(char *dst, uint64_t job, uint32_t status,
                              size_t nfields)
{
    uint32_t n = (uint32_t)nfields;
    memcpy(dst, &job, 8);
    memcpy(dst + 8, &status, 4);
    memcpy(dst + 12, &n, 4);
}

void gloss__wire_field_put_len(char *dst, size_t len)
{
    uint64_t n = len;
    memcpy(dst, &n, GLOSS__WIRE_FIELD_HEAD);
}

size_t gloss__wire_field_put(char *dst, const void *data, size_t len)
{
    gloss__wire_field_put_len(dst, len);
    if (len)
        memcpy(dst + GLOSS__WIRE_FIELD_HEAD, data, len);
    dst[GLOSS__WIRE_FIELD_HEAD + len] = '\0';
    return GLOSS__WIRE_FIELD_HEAD + len + 1;
}

size_t gloss__wire_rec_put(char *dst, const gloss__wire_rec *r)
{
    char *p = dst;
    gloss__wire_rec_put_head(p, r->job, r->status, r->nfields);
    p += GLOSS__WIRE_REC_HEAD;
    for (size_t i = 0; i < r->nfields; i++)
        p += gloss__wire_field_put(p, r->field[i], r->len[i]);
    return (size_t)(p - dst);
}

int gloss__wire_rec_next(const char **p, const char *end, size_t nfields,
                         gloss__wire_rec *r)
{
    const char *q = *p;
    if (q == end)
        return 0;
    uint32_t n;
    if ((size_t)(end - q) < 16)
        return -1;
    memcpy(&r->job, q, 8);
    memcpy(&r->status, q + 8, 4);
    memcpy(&n, q + 12, 4);
    if (n != nfields || n > GLOSS__WIRE_MAX_FIELDS)
        return -1;
    q += 16;
    r->nfields = n;
    for (size_t i = 0; i < n; i++) {
        uint64_t len;
        if ((size_t)(end - q) < 8)
            return -1;
        memcpy(&len, q, 8);
        q += 8;
        /* The field and its NUL must fit in what is left. */
        if (len >= (uint64_t)(end - q) || q[len] != '\0')
            return -1;
        r->field[i] = q;
        r->len[i] = (size_t)len;
        q += len + 1;
    }
    *p = q;
    return 1;
}

int gloss__wire_sendv(void *sock, int flags, size_t n, ...)
{
    if (n == 0 || n > GLOSS__WIRE_MAX_FRAMES) {
        errno = EINVAL;
        return -1;
    }
    const void *data[GLOSS__WIRE_MAX_FRAMES];
    size_t len[GLOSS__WIRE_MAX_FRAMES];
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) {
        const char *s = va_arg(ap, const char *);
        data[i] = s;
        len[i] = strlen(s);
    }
    va_end(ap);
    return gloss__wire_send(sock, flags, n, data, len);
}

uint64_t gloss__wire_ring_place(uint64_t head, uint64_t tail, uint64_t size,
                                uint64_t len)
{
    if (size == 0 || len == 0 || len > size || tail > head)
        return UINT64_MAX;
    uint64_t off = head % size;
    uint64_t pos = off + len > size ? head + (size - off) : head;
    return pos + len - tail <= size ? pos : UINT64_MAX;
}

char *gloss__wire_ring_at(char *base, uint64_t size, uint64_t pos,
                          uint64_t len)
{
    if (!base || size == 0 || len == 0 || len > size)
        return NULL;
    uint64_t off = pos % size;
    return off + len <= size ? base + off : NULL;
}

int gloss__wire_area_rings(void *map, size_t size, gloss__wire_rings *r)
{
    const gloss__wire_progress *page = map;
    memset(r, 0, sizeof(*r));
    if (size < sizeof(*page) || size <= GLOSS__WIRE_RINGS_AT)
        return 0;
    uint64_t job = page->job_size, done = page->done_size;
    uint64_t room = size - GLOSS__WIRE_RINGS_AT;
    if (!job || !done || job > room || done > room - job)
        return 0;
    r->job = (char *)map + GLOSS__WIRE_RINGS_AT;
    r->done = r->job + job;
    r->job_size = job;
    r->done_size = done;
    return 1;
}

_Static_assert(sizeof(gloss__wire_progress) <= GLOSS__WIRE_RINGS_AT,
               "the progress page and its queues fit before the rings");

int gloss__wire_queue_push(gloss__wire_queue *q, const gloss__wire_ref *ref)
{
    uint64_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
    uint64_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
    if (head - tail >= GLOSS__WIRE_QUEUE)
        return -1;
    unsigned slot = (unsigned)(head % GLOSS__WIRE_QUEUE);
    atomic_store_explicit(&q->ref[slot].pos, ref->pos, memory_order_relaxed);
    atomic_store_explicit(&q->ref[slot].len, ref->len, memory_order_relaxed);
    /* Sequentially consistent, with the exchange after it: see wire.h. */
    atomic_store(&q->head, head + 1);
    return atomic_exchange(&q->asleep, 0) ? 1 : 0;
}

int gloss__wire_queue_take(gloss__wire_queue *q, gloss__wire_ref *ref)
{
    uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
    uint64_t head = atomic_load_explicit(&q->head, memory_order_acquire);
    if (head == tail)
        return 0;
    if (head - tail > GLOSS__WIRE_QUEUE)
        return -1;
    unsigned slot = (unsigned)(tail % GLOSS__WIRE_QUEUE);
    ref->pos = atomic_load_explicit(&q->ref[slot].pos, memory_order_relaxed);
    ref->len = atomic_load_explicit(&q->ref[slot].len, memory_order_relaxed);
    atomic_store_explicit(&q->tail, tail + 1, memory_order_release);
    return 1;
}

int gloss__wire_queue_sleep(gloss__wire_queue *q)
{
    atomic_store(&q->asleep, 1);
    if (atomic_load(&q->head) != atomic_load_explicit(&q->tail,
                                                      memory_order_relaxed)) {
        atomic_store_explicit(&q->asleep, 0, memory_order_relaxed);
        return 0;
    }
    return 1;
}

void gloss__wire_queue_awake(gloss__wire_queue *q)
{
    atomic_store_explicit(&q->asleep, 0, memory_order_relaxed);
}

int gloss__wire_is_ref(const gloss__wire_msg *m, const char *verb)
{
    return gloss__wire_is(m, 0, verb) && m->nframes == 2 &&
           m->len[1] == sizeof(gloss__wire_ref);
}

const char *gloss__wire_ref_block(const gloss__wire_msg *m, char *base,
                                  uint64_t size, gloss__wire_ref *ref)
{
    if (m->nframes != 2 || m->len[1] != sizeof(*ref))
        return NULL;
    memcpy(ref, m->frame[1], sizeof(*ref));
    return gloss__wire_ring_at(base, size, ref->pos, ref->len);
}
