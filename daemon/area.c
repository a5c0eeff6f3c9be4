/*
 * area.c - the supervisor's side of the area shared with a worker (see
 * area.h): making it, counting it, and giving done-ring blocks back.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include "area.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

gloss__area *gloss__area_new(const char *run_dir, int *fd_out)
{
    int rings = 0;
    int fd = -1;
#ifdef MFD_CLOEXEC
    fd = memfd_create("glossd-worker", MFD_CLOEXEC);
    rings = fd >= 0;
#endif
    if (fd < 0) {
        char path[700];
        snprintf(path, sizeof path, "%s/progress.XXXXXX", run_dir);
        fd = mkstemp(path);
        if (fd < 0)
            return NULL;
        unlink(path);
    }
    size_t size = rings ? GLOSS__WIRE_RINGS_AT + GLOSS__WIRE_JOB_RING +
                              GLOSS__WIRE_DONE_RING
                        : sizeof(gloss__wire_progress);
    gloss__area *a = calloc(1, sizeof(*a));
    void *p = MAP_FAILED;
    if (a && ftruncate(fd, (off_t)size) == 0)
        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        free(a);
        close(fd);
        return NULL;
    }
    atomic_init(&a->refs, 1);
    a->map = p;
    a->size = size;
    a->progress = p;
    if (rings) {
        a->progress->job_size = GLOSS__WIRE_JOB_RING;
        a->progress->done_size = GLOSS__WIRE_DONE_RING;
    }
    gloss__wire_area_rings(p, size, &a->rings);
    for (unsigned i = 0; i < GLOSS__AREA_BLOCKS; i++)
        a->blocks[i].area = a;
    *fd_out = fd;
    return a;
}

/* The last reference may be dropped on ZeroMQ's I/O thread; acquire-
 * release, so that the thread that unmaps sees every use of it done. */
void gloss__area_release(gloss__area *a)
{
    if (!a || atomic_fetch_sub_explicit(&a->refs, 1, memory_order_acq_rel) != 1)
        return;
    munmap(a->map, a->size);
    free(a);
}

gloss__area_block *gloss__area_block_begin(gloss__area *a, uint64_t end)
{
    gloss__area_block *b;
    if (a->n == GLOSS__AREA_BLOCKS) {
        /* The newest block stretches to cover this one: both are given back
         * once the newest one's messages are released. */
        b = &a->blocks[(a->first + a->n - 1) % GLOSS__AREA_BLOCKS];
        atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
    } else {
        b = &a->blocks[(a->first + a->n) % GLOSS__AREA_BLOCKS];
        a->n++;
        atomic_store_explicit(&b->refs, 1, memory_order_relaxed);
    }
    b->end = end;
    return b;
}

void gloss__area_block_done(gloss__area_block *b)
{
    atomic_fetch_sub_explicit(&b->refs, 1, memory_order_release);
}

void gloss__area_block_hold(void *block)
{
    gloss__area_block *b = block;
    atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&b->area->refs, 1, memory_order_relaxed);
}

void gloss__area_block_release(void *data, void *block)
{
    gloss__area_block *b = block;
    gloss__area *a = b->area;
    (void)data;
    atomic_fetch_sub_explicit(&b->refs, 1, memory_order_release);
    gloss__area_release(a);
}

void gloss__area_give_back(gloss__area *a)
{
    if (!a->rings.done_size)
        return;
    uint64_t tail = 0;
    int moved = 0;
    while (a->n > 0) {
        gloss__area_block *b = &a->blocks[a->first];
        if (atomic_load_explicit(&b->refs, memory_order_acquire) != 0)
            break;
        tail = b->end;
        moved = 1;
        a->first = (a->first + 1) % GLOSS__AREA_BLOCKS;
        a->n--;
    }
    if (moved)
        atomic_store_explicit(&a->progress->done_tail, tail,
                              memory_order_release);
}
