/*
 * area.h - the supervisor's side of the area it shares with one worker
 * (daemon/wire.h): the progress page, the two rings, and when the done
 * ring's blocks may be written over again.
 *
 * Results are published from where the worker wrote them in the done
 * ring, as they are from the buffers read from a socket: ZeroMQ's I/O
 * thread sends each message from there and releases it when it is done,
 * possibly after the worker has died. So the area is counted: the worker
 * (gloss__worker) holds one reference and every message published from it
 * one more, and the mapping goes when the last is dropped. Each result
 * block is counted too, from when the supervisor starts reading it until
 * its last message is released; done_tail moves past a block, and the
 * blocks before it, only then, on the loop's thread
 * (gloss__area_give_back).
 */
#ifndef GLOSS_AREA_H
#define GLOSS_AREA_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* Result blocks tracked at once; more are merged into the newest one. */
#define GLOSS__AREA_BLOCKS 64

typedef struct gloss__area gloss__area;

typedef struct gloss__area_block {
    gloss__area *area;
    uint64_t end;             /* done ring position just past the block */
    _Atomic uint32_t refs;    /* its reader, and its published messages */
} gloss__area_block;

struct gloss__area {
    _Atomic size_t refs;
    void *map;
    size_t size;
    gloss__wire_progress *progress; /* at the start of map */
    gloss__wire_rings rings;        /* empty without rings */
    /* The result blocks not yet given back, oldest first (the loop's
     * thread only, but for each block's refs). */
    gloss__area_block blocks[GLOSS__AREA_BLOCKS];
    unsigned first, n;
};

/*
 * Makes an area: on Linux an anonymous memory file with the page and both
 * rings; elsewhere, or when that fails, a file in run_dir, unlinked at
 * once, with the page alone (a file on disk would have the rings' pages
 * written back to it). Returns the area with *fd, its descriptor for the
 * worker (the caller closes it), or NULL.
 */
gloss__area *gloss__area_new(const char *run_dir, int *fd);

/* Drops a reference; the last one unmaps and frees the area. */
void gloss__area_release(gloss__area *a);

/* The result block the supervisor is about to read, ending at end,
 * with one reference for the reader: drop it with gloss__area_block_done
 * once the block's records are taken. */
gloss__area_block *gloss__area_block_begin(gloss__area *a, uint64_t end);
void gloss__area_block_done(gloss__area_block *b);

/* For gloss__sup_publish_inplace: a message made on a block holds it and
 * its area; ZeroMQ's release drops both (from its I/O thread). */
void gloss__area_block_hold(void *block);
void gloss__area_block_release(void *data, void *block);

/* Moves done_tail past every block whose references are all dropped, up to
 * the first that is still held. */
void gloss__area_give_back(gloss__area *a);

#endif
