/*
 * test_wire.c - tests of daemon/wire.c: multipart messages between two real
 * ZeroMQ sockets over ipc, in a private temporary folder.
 *
 * Every receive is blocking with a receive timeout of ten seconds, which
 * is only a safety stop: a message that does not arrive fails the test
 * instead of hanging it. Nothing here measures time.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "tap.h"
#include "wire.h"

#define SAFETY_MS 10000

static void *ctx, *a, *b;

static int frames_equal(const gloss__wire_msg *m, size_t n,
                        const void *const *data, const size_t *len)
{
    if (m->nframes != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!m->frame[i] || m->len[i] != len[i] ||
            memcmp(m->frame[i], data[i], len[i]) != 0)
            return 0;
    return 1;
}

static void test_round_trips(void)
{
    static const char binary[] = {'a', 0, 'b', 0, (char)0xff, 0};
    const void *data[GLOSS__WIRE_MAX_FRAMES];
    size_t len[GLOSS__WIRE_MAX_FRAMES];
    char text[GLOSS__WIRE_MAX_FRAMES][32];
    for (size_t n = 1; n <= GLOSS__WIRE_MAX_FRAMES; n++) {
        for (size_t i = 0; i < n; i++) {
            snprintf(text[i], sizeof text[i], "frame %zu of %zu", i, n);
            data[i] = text[i];
            len[i] = strlen(text[i]);
        }
        /* Frame 1 is empty and frame 2 binary, where the message has them. */
        if (n > 1)
            len[1] = 0;
        if (n > 2) {
            data[2] = binary;
            len[2] = sizeof binary;
        }
        int rc = gloss__wire_send(a, 0, n, data, len);
        gloss__wire_msg m;
        int rrc = gloss__wire_recv(b, &m, 0);
        ok(rc == 0 && rrc == 0 && frames_equal(&m, n, data, len),
           "a message of %zu frame%s arrives whole", n, n == 1 ? "" : "s");
        gloss__wire_msg_close(&m);
    }
}

static void test_empty_frames(void)
{
    const void *data[3] = {NULL, "", NULL};
    size_t len[3] = {0, 0, 0};
    ok(gloss__wire_send(a, 0, 3, data, len) == 0,
       "empty frames (even with NULL data) can be sent");
    gloss__wire_msg m;
    int rc = gloss__wire_recv(b, &m, 0);
    ok(rc == 0 && m.nframes == 3 && m.frame[0] && m.frame[1] && m.frame[2] &&
           m.len[0] == 0 && m.len[1] == 0 && m.len[2] == 0,
       "three empty frames arrive as three non-NULL empty frames");
    ok(gloss__wire_is(&m, 1, ""), "an empty frame is the empty word");
    char *s = gloss__wire_dup(&m, 2);
    is_str(s, "", "an empty frame copies as an empty string");
    free(s);
    gloss__wire_msg_close(&m);
}

static void test_large_frame(void)
{
    size_t big = (size_t)1 << 20;
    char *payload = malloc(big);
    if (!payload) {
        ok(0, "memory for a 1 MiB frame");
        return;
    }
    for (size_t i = 0; i < big; i++)
        payload[i] = (char)(i * 7);
    const void *data[2] = {"JOB", payload};
    size_t len[2] = {3, big};
    int rc = gloss__wire_send(a, 0, 2, data, len);
    gloss__wire_msg m;
    int rrc = gloss__wire_recv(b, &m, 0);
    ok(rc == 0 && rrc == 0 && frames_equal(&m, 2, data, len),
       "a 1 MiB binary frame arrives intact");
    gloss__wire_msg_close(&m);
    free(payload);
}

static void test_too_many_frames(void)
{
    const void *data[20];
    size_t len[20];
    for (size_t i = 0; i < 20; i++) {
        data[i] = "x";
        len[i] = 1;
    }
    ok(gloss__wire_send(a, 0, GLOSS__WIRE_MAX_FRAMES + 1, data, len) == 0 &&
           gloss__wire_send(a, 0, 20, data, len) == 0 &&
           gloss__wire_sendv(a, 0, 3, "DONE", "42", "ok") == 0,
       "a 9-frame, a 20-frame and a 3-frame message are sent");

    gloss__wire_msg m;
    errno = 0;
    int rc = gloss__wire_recv(b, &m, 0);
    ok(rc == -1 && errno == EPROTO, "a message of 9 frames fails with EPROTO");
    ok(m.nframes == 0 && m.zmsgs_ == NULL,
       "the refused message holds no frames");
    gloss__wire_msg_close(&m);
    errno = 0;
    rc = gloss__wire_recv(b, &m, 0);
    ok(rc == -1 && errno == EPROTO, "a message of 20 frames fails with EPROTO");
    gloss__wire_msg_close(&m);

    rc = gloss__wire_recv(b, &m, 0);
    ok(rc == 0 && m.nframes == 3 && gloss__wire_is(&m, 0, "DONE") &&
           gloss__wire_is(&m, 1, "42") && gloss__wire_is(&m, 2, "ok"),
       "the message after them is received intact");
    gloss__wire_msg_close(&m);
    gloss__wire_msg_close(&m);
    ok(m.nframes == 0, "closing a message twice is harmless");
}

static void test_nothing_waiting(void)
{
    gloss__wire_msg m;
    errno = 0;
    int rc = gloss__wire_recv(b, &m, ZMQ_DONTWAIT);
    ok(rc == -1 && errno == EAGAIN, "ZMQ_DONTWAIT with nothing waiting: EAGAIN");
    gloss__wire_msg_close(&m);
}

static void test_sendv_and_helpers(void)
{
    ok(gloss__wire_sendv(a, 0, 4, "CONFIG", "glossd.conf.lua", "/etc/gloss",
                         "return {}") == 0,
       "sendv sends four strings");
    gloss__wire_msg m;
    int rc = gloss__wire_recv(b, &m, 0);
    ok(rc == 0 && m.nframes == 4, "they arrive as four frames");
    ok(gloss__wire_is(&m, 0, "CONFIG"), "is: the verb matches");
    ok(!gloss__wire_is(&m, 0, "CONF"), "is: a prefix does not match");
    ok(!gloss__wire_is(&m, 0, "CONFIGS"), "is: a longer word does not match");
    ok(!gloss__wire_is(&m, 4, "CONFIG"), "is: a missing frame matches nothing");
    char *dir = gloss__wire_dup(&m, 2);
    is_str(dir, "/etc/gloss", "dup copies the frame as a string");
    free(dir);
    ok(gloss__wire_dup(&m, 4) == NULL, "dup of a missing frame is NULL");
    gloss__wire_msg_close(&m);

    errno = 0;
    ok(gloss__wire_sendv(a, 0, 0) == -1 && errno == EINVAL,
       "sendv refuses zero frames");
    errno = 0;
    ok(gloss__wire_sendv(a, 0, 9, "1", "2", "3", "4", "5", "6", "7", "8",
                         "9") == -1 && errno == EINVAL,
       "sendv refuses more than the maximum of frames");
    errno = 0;
    ok(gloss__wire_send(a, 0, 0, NULL, NULL) == -1 && errno == EINVAL,
       "send refuses zero frames");

    /* A frame with a NUL inside: dup keeps every byte, is compares all. */
    const void *data[1] = {"ab\0cd"};
    size_t len[1] = {5};
    gloss__wire_send(a, 0, 1, data, len);
    rc = gloss__wire_recv(b, &m, 0);
    char *s = rc == 0 ? gloss__wire_dup(&m, 0) : NULL;
    ok(s && memcmp(s, "ab\0cd", 6) == 0, "dup keeps a NUL inside the frame");
    ok(rc == 0 && !gloss__wire_is(&m, 0, "ab"),
       "is does not stop at a NUL inside the frame");
    free(s);
    gloss__wire_msg_close(&m);
}

static void check_u64(const char *text, int want_rc, uint64_t want)
{
    const void *data[1] = {text};
    size_t len[1] = {strlen(text)};
    gloss__wire_msg m;
    uint64_t got = 12345;
    int rc = -2;
    if (gloss__wire_send(a, 0, 1, data, len) == 0 &&
        gloss__wire_recv(b, &m, 0) == 0) {
        rc = gloss__wire_u64(&m, 0, &got);
        gloss__wire_msg_close(&m);
    }
    if (want_rc == 0)
        ok(rc == 0 && got == want, "u64 '%s' is %llu", text,
           (unsigned long long)want);
    else
        ok(rc == -1 && got == 12345, "u64 refuses '%s' and leaves the output",
           text);
}

static void test_u64(void)
{
    check_u64("0", 0, 0);
    check_u64("7", 0, 7);
    check_u64("000123", 0, 123);
    check_u64("4294967296", 0, (uint64_t)1 << 32);
    check_u64("18446744073709551615", 0, UINT64_MAX);
    check_u64("18446744073709551616", -1, 0);
    check_u64("18446744073709551620", -1, 0);
    check_u64("99999999999999999999", -1, 0);
    check_u64("123456789012345678901234567890", -1, 0);
    check_u64("", -1, 0);
    check_u64("-1", -1, 0);
    check_u64("+1", -1, 0);
    check_u64(" 1", -1, 0);
    check_u64("1 ", -1, 0);
    check_u64("12a", -1, 0);
    check_u64("0x10", -1, 0);

    gloss__wire_sendv(a, 0, 1, "5");
    gloss__wire_msg m;
    uint64_t got = 9;
    if (gloss__wire_recv(b, &m, 0) == 0) {
        ok(gloss__wire_u64(&m, 1, &got) == -1 && got == 9,
           "u64 of a missing frame fails");
        gloss__wire_msg_close(&m);
    } else {
        ok(0, "u64 of a missing frame fails");
    }
}

/* Records: what is put is read back, and anything cut short or of the
 * wrong shape is refused rather than read past its end. */
static void test_records(void)
{
    static const char text[] = "a text\0with a NUL";
    gloss__wire_rec in[2] = {
        {.job = 7, .status = 0, .nfields = 4,
         .field = {"doc-1", "feed", "{}", text},
         .len = {5, 4, 2, sizeof text - 1}},
        {.job = UINT64_MAX, .status = 2, .nfields = 4,
         .field = {"doc-2", "feed", "", ""}, .len = {5, 4, 0, 0}},
    };
    size_t size = gloss__wire_rec_size(&in[0]) + gloss__wire_rec_size(&in[1]);
    char *frame = malloc(size);
    if (!frame) {
        ok(0, "memory for the records");
        return;
    }
    size_t n = gloss__wire_rec_put(frame, &in[0]);
    n += gloss__wire_rec_put(frame + n, &in[1]);
    is_int(n, size, "put writes the size it announced");

    const char *p = frame, *end = frame + size;
    gloss__wire_rec r;
    ok(gloss__wire_rec_next(&p, end, 4, &r) == 1 && r.job == 7 &&
           r.status == 0 && r.len[3] == sizeof text - 1 &&
           memcmp(r.field[3], text, sizeof text - 1) == 0,
       "the first record reads back, NUL inside its text included");
    ok(strcmp(r.field[0], "doc-1") == 0 && strcmp(r.field[2], "{}") == 0,
       "its fields are NUL-terminated where they lie");
    ok(gloss__wire_rec_next(&p, end, 4, &r) == 1 && r.job == UINT64_MAX &&
           r.status == 2 && r.len[2] == 0 && r.field[2][0] == '\0',
       "the second record reads back, empty fields included");
    is_int(gloss__wire_rec_next(&p, end, 4, &r), 0, "then the frame ends");

    p = frame;
    is_int(gloss__wire_rec_next(&p, end, 3, &r), -1,
           "a record with another number of fields is refused");
    int cut_ok = 1;
    for (size_t cut = 1; cut < gloss__wire_rec_size(&in[0]); cut++) {
        p = frame;
        if (gloss__wire_rec_next(&p, frame + cut, 4, &r) != -1)
            cut_ok = 0;
    }
    ok(cut_ok, "a record cut short anywhere is refused");
    /* A length that points past the end of the frame. */
    uint64_t huge = UINT64_MAX - 3;
    memcpy(frame + 16, &huge, 8);
    p = frame;
    is_int(gloss__wire_rec_next(&p, end, 4, &r), -1,
           "a field longer than the frame is refused");
    /* A field whose NUL is missing. */
    uint64_t len = 5;
    memcpy(frame + 16, &len, 8);
    frame[16 + 8 + 5] = 'x';
    p = frame;
    is_int(gloss__wire_rec_next(&p, end, 4, &r), -1,
           "a field without its NUL is refused");
    free(frame);
}

/* Stream framing: a packed message reads back whole, a partial one asks
 * for more, and one whose frames do not fill it exactly is refused but can
 * be skipped. */
static void test_stream_framing(void)
{
    const void *data[3] = {"DONE", "", "payload"};
    size_t len[3] = {4, 0, 7};
    size_t size = gloss__wire_packed_size(3, len);
    char *buf = malloc(2 * size);
    if (!buf) {
        ok(0, "memory for the frames");
        return;
    }
    is_int(gloss__wire_pack(buf, 3, data, len), size, "pack writes its size");
    memcpy(buf + size, buf, size);
    gloss__wire_msg m;
    size_t used;
    ok(gloss__wire_unpack(buf, 2 * size, &m, &used) == 1 && used == size &&
           m.nframes == 3 && gloss__wire_is(&m, 0, "DONE") &&
           m.len[1] == 0 && m.frame[1] != NULL &&
           gloss__wire_is(&m, 2, "payload"),
       "a packed message reads back frame by frame");
    int partial_ok = 1;
    for (size_t cut = 0; cut < size; cut++)
        if (gloss__wire_unpack(buf, cut, &m, &used) != 0)
            partial_ok = 0;
    ok(partial_ok, "a message not all there asks for more");
    /* One byte less in the body than its frames say. */
    uint64_t body = size - GLOSS__WIRE_HEAD - 1;
    memcpy(buf, &body, 8);
    int rc = gloss__wire_unpack(buf, 2 * size, &m, &used);
    ok(rc == -1 && errno == EBADMSG && used == size - 1,
       "frames that overrun their message are refused, and it can be skipped");
    body = (uint64_t)1 << 40;
    memcpy(buf, &body, 8);
    rc = gloss__wire_unpack(buf, 2 * size, &m, &used);
    ok(rc == -1 && errno == EPROTO && used == 0,
       "a body over the maximum is refused and cannot be skipped");
    /* Nine frames: more than any message of the protocol. */
    const void *many[9] = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};
    size_t ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    size_t msize = gloss__wire_packed_size(9, ones);
    char *mbuf = malloc(msize);
    if (mbuf) {
        gloss__wire_pack(mbuf, 9, many, ones);
        rc = gloss__wire_unpack(mbuf, msize, &m, &used);
        ok(rc == -1 && errno == EPROTO && used == msize,
           "nine frames are refused, and the message can be skipped");
        free(mbuf);
    }
    free(buf);
}

/* Where blocks go in a ring, and which references are inside it. */
static void test_ring_place(void)
{
    is_int((long long)gloss__wire_ring_place(0, 0, 100, 40), 0,
           "an empty ring: a block goes at its start");
    is_int((long long)gloss__wire_ring_place(40, 0, 100, 40), 40,
           "the next block follows");
    ok(gloss__wire_ring_place(80, 0, 100, 40) == UINT64_MAX,
       "a block that would run past the end, with the start still held, "
       "does not fit");
    is_int((long long)gloss__wire_ring_place(80, 50, 100, 40), 100,
           "with the start free, it goes at the start of the next turn");
    is_int((long long)gloss__wire_ring_place(180, 140, 100, 20), 180,
           "positions count on past the first turn");
    ok(gloss__wire_ring_place(0, 0, 100, 101) == UINT64_MAX,
       "a block larger than the ring never fits");
    ok(gloss__wire_ring_place(0, 0, 0, 1) == UINT64_MAX &&
           gloss__wire_ring_place(0, 0, 100, 0) == UINT64_MAX &&
           gloss__wire_ring_place(10, 20, 100, 5) == UINT64_MAX,
       "no ring, an empty block, or a tail past the head: no place");
    /* An area's rings are found only when it is as large as its page says. */
    static union {
        gloss__wire_progress page;
        char bytes[GLOSS__WIRE_RINGS_AT + 256 + 512];
    } area;
    gloss__wire_rings r;
    area.page.job_size = 256;
    area.page.done_size = 512;
    ok(gloss__wire_area_rings(&area, sizeof area, &r) == 1 &&
           r.job == area.bytes + GLOSS__WIRE_RINGS_AT && r.job_size == 256 &&
           r.done == r.job + 256 && r.done_size == 512,
       "an area's job ring follows its page, its done ring the job ring");
    ok(gloss__wire_area_rings(&area, sizeof area - 1, &r) == 0 && !r.job &&
           !r.done && !r.job_size && !r.done_size,
       "an area too small for the rings its page claims has none");
    area.page.done_size = 0;
    ok(gloss__wire_area_rings(&area, sizeof area, &r) == 0,
       "a page that says 0 for a ring has no rings");
    area.page.done_size = UINT64_MAX - 100;
    ok(gloss__wire_area_rings(&area, sizeof area, &r) == 0,
       "nor has one whose sizes overflow");
    area.page.done_size = 512;
    ok(gloss__wire_area_rings(&area, sizeof area.page, &r) == 0,
       "nor has a page alone, whatever it says");
    char ring[100];
    gloss__wire_ref ref = {130, 70}, got;
    gloss__wire_msg m = {.nframes = 2, .frame = {"JOB@", (const char *)&ref},
                         .len = {4, sizeof ref}};
    ok(gloss__wire_is_ref(&m, "JOB@") && !gloss__wire_is_ref(&m, "DONE@") &&
           gloss__wire_ref_block(&m, ring, 100, &got) == ring + 30 &&
           got.pos == 130 && got.len == 70,
       "a JOB@ is a reference, and its block is found in the ring");
    m.len[1] = 15;
    ok(!gloss__wire_is_ref(&m, "JOB@") &&
           gloss__wire_ref_block(&m, ring, 100, &got) == NULL,
       "a reference frame of the wrong size is none");
    ok(gloss__wire_ring_at(ring, 100, 130, 70) == ring + 30,
       "a reference in a later turn is found at its offset");
    ok(gloss__wire_ring_at(ring, 100, 130, 71) == NULL &&
           gloss__wire_ring_at(ring, 100, 0, 0) == NULL &&
           gloss__wire_ring_at(ring, 100, 0, 101) == NULL &&
           gloss__wire_ring_at(NULL, 100, 0, 1) == NULL,
       "references past the end, empty or without a ring are refused");
}

int main(void)
{
    char dir[] = "/tmp/gloss-wire-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char path[64], endpoint[80];
    snprintf(path, sizeof path, "%s/wire", dir);
    snprintf(endpoint, sizeof endpoint, "ipc://%s", path);

    int timeo = SAFETY_MS, linger = 0;
    ctx = zmq_ctx_new();
    a = zmq_socket(ctx, ZMQ_DEALER);
    b = zmq_socket(ctx, ZMQ_DEALER);
    zmq_setsockopt(a, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(b, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(b, ZMQ_RCVTIMEO, &timeo, sizeof timeo);
    if (!ok(zmq_bind(b, endpoint) == 0 && zmq_connect(a, endpoint) == 0,
            "two DEALERs connect over ipc"))
        diag("%s", zmq_strerror(errno));

    test_round_trips();
    test_empty_frames();
    test_large_frame();
    test_too_many_frames();
    test_nothing_waiting();
    test_sendv_and_helpers();
    test_u64();
    test_records();
    test_ring_place();
    test_stream_framing();

    zmq_close(a);
    zmq_close(b);
    zmq_ctx_term(ctx);
    unlink(path);
    rmdir(dir);
    return done_testing();
}
