/*
 * arena.h - the bump allocator behind every document.
 *
 * A document makes many small allocations (spans, attributes, interned
 * strings) that all die together, so they come from chunks that are freed
 * in one go. Allocation is a pointer bump; a request larger than a chunk
 * gets a chunk of its own. Freed chunks are kept in a small bounded cache
 * (arena.c), so that a worker processing document after document reuses
 * the same memory instead of returning it to malloc each time.
 */
#ifndef GLOSS_ARENA_H
#define GLOSS_ARENA_H

#include <stddef.h>

typedef struct gloss__arena_chunk gloss__arena_chunk;

typedef struct gloss__arena {
    gloss__arena_chunk *head; /* chunk being filled; older chunks follow */
    size_t chunk_size;        /* size of the next ordinary chunk */
    size_t allocated;         /* bytes obtained from malloc, for statistics */
} gloss__arena;

/* Prepares an empty arena whose first chunk will hold about first bytes. */
void gloss__arena_init(gloss__arena *arena, size_t first);

/* Returns size bytes aligned for any type, or NULL when malloc fails. */
void *gloss__arena_alloc(gloss__arena *arena, size_t size);

/* Grows an array allocated in the arena: returns a block of new_size bytes
 * holding the first old_size bytes of old. The old block is not reused. */
void *gloss__arena_grow(gloss__arena *arena, void *old, size_t old_size,
                        size_t new_size);

/* Frees every chunk (into the cache, or to malloc). The arena can be used again after gloss__arena_init. */
void gloss__arena_free(gloss__arena *arena);

/* Hands back lazily (MADV_FREE, where the system has it) the whole pages
 * inside the n bytes at p, whose contents are no longer needed: the kernel
 * takes them when memory runs short, and until then they stay in place,
 * without the cost of faulting in and zeroing fresh pages on reuse. They
 * may read as zeros afterwards. Used for memory kept for reuse after a
 * large document (arena chunks, the segmenter's span lists). */
void gloss__pages_lazy_free(void *p, size_t n);

#endif
