/*
 * arena.c - chunked bump allocation for documents (see arena.h).
 *
 * Chunks grow geometrically from the first size up to a cap, so a small
 * document costs one malloc and a large one a logarithmic number of them.
 * Every block is aligned to max_align_t, which is what malloc promises and
 * what any span or attribute struct needs.
 *
 * Freed chunks wait in a small process-wide cache for the next arena. A
 * worker creates and destroys one document after another; handing their
 * chunks back to malloc made it return the top of the heap to the kernel
 * and fault the same pages in again for the next document, which cost
 * more than a sixth of normalize + segment. The cache is bounded (slots,
 * bytes, and a largest chunk), so one huge document does not pin its
 * memory; a mutex guards it, taken once per chunk, not per allocation.
 */
#include "arena.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN alignof(max_align_t)
#define CHUNK_CAP ((size_t)1 << 22) /* ordinary chunks stop doubling at 4 MiB */

#define CACHE_SLOTS 16
#define CACHE_BYTES ((size_t)32 << 20)
#define CACHE_LARGEST ((size_t)8 << 20)

struct gloss__arena_chunk {
    gloss__arena_chunk *next;
    size_t used;
    size_t size;
    alignas(max_align_t) unsigned char data[];
};

static struct {
    pthread_mutex_t lock;
    gloss__arena_chunk *slots[CACHE_SLOTS];
    size_t n, bytes;
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The smallest cached chunk that holds size bytes, or NULL. */
static gloss__arena_chunk *cache_take(size_t size)
{
    gloss__arena_chunk *best = NULL;
    pthread_mutex_lock(&cache.lock);
    size_t at = cache.n;
    for (size_t i = 0; i < cache.n; i++) {
        gloss__arena_chunk *c = cache.slots[i];
        if (c->size >= size && (!best || c->size < best->size)) {
            best = c;
            at = i;
        }
    }
    if (best) {
        cache.slots[at] = cache.slots[--cache.n];
        cache.bytes -= best->size;
    }
    pthread_mutex_unlock(&cache.lock);
    return best;
}

/* Keeps c for a later arena if the cache has room; frees it otherwise. */
static void cache_put(gloss__arena_chunk *c)
{
    if (c->size <= CACHE_LARGEST) {
        pthread_mutex_lock(&cache.lock);
        int kept = cache.n < CACHE_SLOTS && cache.bytes + c->size <= CACHE_BYTES;
        if (kept) {
            cache.slots[cache.n++] = c;
            cache.bytes += c->size;
        }
        pthread_mutex_unlock(&cache.lock);
        if (kept)
            return;
    }
    free(c);
}

void gloss__arena_init(gloss__arena *arena, size_t first)
{
    arena->head = NULL;
    arena->chunk_size = first < 256 ? 256 : first;
    arena->allocated = 0;
}

static gloss__arena_chunk *new_chunk(gloss__arena *arena, size_t size)
{
    gloss__arena_chunk *c = cache_take(size);
    if (!c) {
        c = malloc(sizeof(*c) + size);
        if (!c)
            return NULL;
        c->size = size;
    }
    c->used = 0;
    arena->allocated += sizeof(*c) + c->size;
    return c;
}

void *gloss__arena_alloc(gloss__arena *arena, size_t size)
{
    if (size == 0)
        size = 1;
    if (size > SIZE_MAX - ALIGN)
        return NULL;
    size = (size + ALIGN - 1) & ~(ALIGN - 1);

    gloss__arena_chunk *c = arena->head;
    if (c && c->size - c->used >= size) {
        void *p = c->data + c->used;
        c->used += size;
        return p;
    }
    if (size > arena->chunk_size / 2) {
        /* A big block gets a chunk of its own, placed behind the current
         * one so that the current chunk's free space is not wasted. */
        gloss__arena_chunk *big = new_chunk(arena, size);
        if (!big)
            return NULL;
        big->used = size;
        if (c) {
            big->next = c->next;
            c->next = big;
        } else {
            big->next = NULL;
            arena->head = big;
        }
        return big->data;
    }
    gloss__arena_chunk *fresh = new_chunk(arena, arena->chunk_size);
    if (!fresh)
        return NULL;
    if (arena->chunk_size < CHUNK_CAP)
        arena->chunk_size *= 2;
    fresh->next = c;
    arena->head = fresh;
    fresh->used = size;
    return fresh->data;
}

void *gloss__arena_grow(gloss__arena *arena, void *old, size_t old_size,
                        size_t new_size)
{
    void *p = gloss__arena_alloc(arena, new_size);
    if (p && old && old_size)
        memcpy(p, old, old_size < new_size ? old_size : new_size);
    return p;
}

void gloss__arena_free(gloss__arena *arena)
{
    gloss__arena_chunk *c = arena->head;
    while (c) {
        gloss__arena_chunk *next = c->next;
        cache_put(c);
        c = next;
    }
    arena->head = NULL;
    arena->allocated = 0;
}
