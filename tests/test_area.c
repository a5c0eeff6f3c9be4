/*
 * test_area.c - tests of the supervisor's side of a worker's shared area
 * (daemon/area.c): what it maps, and when done-ring blocks are given back
 * to the worker while messages published from them are still held, as
 * ZeroMQ holds them until its I/O thread has sent them.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "area.h"
#include "tap.h"

static uint64_t done_tail(const gloss__area *a)
{
    return atomic_load(&a->progress->done_tail);
}

static void test_mapping(void)
{
    int fd = -1;
    gloss__area *a = gloss__area_new("/tmp", &fd);
    if (!ok(a != NULL && fd >= 0, "an area is made, with a descriptor"))
        return;
    close(fd);
    const gloss__wire_rings *r = &a->rings;
    ok(r->job_size == GLOSS__WIRE_JOB_RING && r->done_size == GLOSS__WIRE_DONE_RING &&
           a->progress->job_size == r->job_size &&
           a->progress->done_size == r->done_size,
       "it has rings, and its page says how large they are");
    ok(r->job == (char *)a->map + GLOSS__WIRE_RINGS_AT &&
           r->done == r->job + r->job_size &&
           a->size == GLOSS__WIRE_RINGS_AT + r->job_size + r->done_size,
       "the job ring, then the done ring, after the page");
    /* Every byte of both rings can be written. */
    memset(r->job, 1, r->job_size + r->done_size);
    gloss__area_release(a);
}

static void test_give_back(void)
{
    int fd = -1;
    gloss__area *a = gloss__area_new("/tmp", &fd);
    if (!ok(a != NULL, "an area for the blocks"))
        return;
    close(fd);

    /* Block 1 is read and one message is published from it; block 2 is
     * read with no message left held. */
    gloss__area_block *b1 = gloss__area_block_begin(a, 100);
    gloss__area_block_hold(b1);
    gloss__area_block_done(b1);
    gloss__area_block *b2 = gloss__area_block_begin(a, 250);
    gloss__area_block_done(b2);
    gloss__area_give_back(a);
    is_int((long long)done_tail(a), 0,
           "a block held by a message keeps itself and those after it");
    gloss__area_block_release(NULL, b1);
    gloss__area_give_back(a);
    is_int((long long)done_tail(a), 250,
           "once released, the tail moves past it and the free block after");

    /* More blocks than are tracked: the newest one stretches to cover
     * the rest, and all are given back together. */
    gloss__area_block *held = gloss__area_block_begin(a, 300);
    gloss__area_block_hold(held);
    gloss__area_block_done(held);
    for (unsigned i = 0; i < GLOSS__AREA_BLOCKS + 5; i++) {
        gloss__area_block *b = gloss__area_block_begin(a, 400 + 10 * i);
        gloss__area_block_done(b);
    }
    ok(a->n == GLOSS__AREA_BLOCKS, "no more blocks are tracked than there "
                                   "is room for");
    gloss__area_give_back(a);
    is_int((long long)done_tail(a), 250, "all wait for the held one");
    gloss__area_block_release(NULL, held);
    gloss__area_give_back(a);
    is_int((long long)done_tail(a), 400 + 10 * (GLOSS__AREA_BLOCKS + 4),
           "then the tail moves to the end of the last block");
    ok(a->n == 0, "and nothing is left tracked");

    /* A message outlives the worker: the area stays mapped until the
     * message is released (ASan and valgrind would see a use after free). */
    gloss__area_block *last = gloss__area_block_begin(a, 1000);
    gloss__area_block_hold(last);
    gloss__area_block_done(last);
    gloss__area_release(a); /* the worker's reference */
    ok(last->area == a && a->rings.done[0] == 0,
       "the area is still there while a message holds it");
    gloss__area_block_release(NULL, last); /* unmaps and frees */
}

int main(void)
{
    test_mapping();
    test_give_back();
    return done_testing();
}
