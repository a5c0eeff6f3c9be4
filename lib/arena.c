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
 * Its slots are many, since a batch of documents holds a few chunks each
 * at once and all come back together when the batch ends. When it is full
 * the chunks that came back longest ago make room for the newcomer, so
 * that the cache follows the documents of the moment (small ones, then
 * large ones) instead of keeping the first that filled it.
 *
 * Chunks of a large document were too big to cache, so their memory was
 * always fresh from the kernel, and faulting it in page by page cost a
 * quarter of segmenting a 10 MiB document. Such chunks are now mapped
 * directly, aligned to 2 MiB and marked for transparent huge pages where
 * the system has them, so that one fault brings in 2 MiB instead of 4 KiB;
 * and they are cached on a budget of their own with their pages handed
 * back lazily (MADV_FREE), which costs no memory the system needs.
 */
#include "arena.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define ALIGN alignof(max_align_t)
#define CHUNK_CAP ((size_t)1 << 22) /* ordinary chunks stop doubling at 4 MiB */

#define CACHE_SLOTS 512
#define CACHE_BYTES ((size_t)32 << 20)
#define CACHE_LARGEST ((size_t)8 << 20)
/* Mapped chunks (below) are cached on a budget of their own, their pages
 * given back lazily (MADV_FREE): the kernel takes them when memory runs
 * short, and otherwise the next large document finds them in place,
 * without faulting and zeroing them again, which was half the cost of
 * segmenting a 10 MiB document of brackets. */
#define CACHE_MAPPED_BYTES ((size_t)256 << 20)

/* Chunks of at least MAPPED_MIN bytes are mapped, at MAPPED_ALIGN. */
#define MAPPED_MIN ((size_t)4 << 20)
#define MAPPED_ALIGN ((size_t)2 << 20)

struct gloss__arena_chunk {
    gloss__arena_chunk *next;
    size_t used;
    size_t size;
    size_t mapped; /* bytes of the mapping holding the chunk; 0: malloc */
    alignas(max_align_t) unsigned char data[];
};

/* A chunk of at least size bytes from the kernel, 2 MiB aligned; NULL
 * when the mapping fails. */
static gloss__arena_chunk *map_chunk(size_t size)
{
    size_t need = sizeof(gloss__arena_chunk) + size;
    if (need > SIZE_MAX - 2 * MAPPED_ALIGN)
        return NULL;
    size_t len = (need + MAPPED_ALIGN - 1) & ~(MAPPED_ALIGN - 1);
    unsigned char *p = mmap(NULL, len + MAPPED_ALIGN, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    /* Over-map by the alignment, then give back what lies outside. */
    size_t head = (MAPPED_ALIGN - (uintptr_t)p % MAPPED_ALIGN) % MAPPED_ALIGN;
    if (head)
        munmap(p, head);
    if (MAPPED_ALIGN - head)
        munmap(p + head + len, MAPPED_ALIGN - head);
    p += head;
#ifdef MADV_HUGEPAGE
    madvise(p, len, MADV_HUGEPAGE); /* advice only: failure changes nothing */
#endif
    gloss__arena_chunk *c = (gloss__arena_chunk *)(void *)p;
    c->size = len - sizeof(*c);
    c->mapped = len;
    return c;
}

/* Gives a chunk back to malloc or to the kernel. */
static void release_chunk(gloss__arena_chunk *c)
{
    if (c->mapped)
        munmap(c, c->mapped);
    else
        free(c);
}

static struct {
    pthread_mutex_t lock;
    gloss__arena_chunk *slots[CACHE_SLOTS];
    size_t n, bytes, mapped_bytes;
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Takes slot i out of the cache and its chunk out of the byte counts.
 * The slots stay in the order the chunks came back, oldest first, which
 * is the order cache_put() evicts them in. Called with the lock held. */
static void cache_remove(size_t i)
{
    gloss__arena_chunk *c = cache.slots[i];
    memmove(&cache.slots[i], &cache.slots[i + 1],
            (cache.n - i - 1) * sizeof(cache.slots[0]));
    cache.n--;
    if (c->mapped)
        cache.mapped_bytes -= c->mapped;
    else
        cache.bytes -= c->size;
}

/* The smallest cached chunk that holds size bytes, or NULL; of several of
 * that size, the one that came back last. Its memory is the likeliest
 * still to be in the processor's caches: the chunks of a batch of
 * documents come back together, and the first documents of the next
 * batch wrote their spans into memory the last ones of the batch before
 * had just written, instead of into the coldest. */
static gloss__arena_chunk *cache_take(size_t size)
{
    gloss__arena_chunk *best = NULL;
    pthread_mutex_lock(&cache.lock);
    size_t at = cache.n;
    for (size_t i = 0; i < cache.n; i++) {
        gloss__arena_chunk *c = cache.slots[i];
        /* A mapped chunk serves only requests of at least half its size,
         * so that small documents leave it to the next large one. */
        if (c->size >= size && (!c->mapped || size >= c->size / 2) &&
            (!best || c->size <= best->size)) {
            best = c;
            at = i;
        }
    }
    if (best)
        cache_remove(at);
    pthread_mutex_unlock(&cache.lock);
    return best;
}

void gloss__pages_lazy_free(void *p, size_t n)
{
#ifdef MADV_FREE
    long page = sysconf(_SC_PAGESIZE);
    if (!p || page <= 0)
        return;
    uintptr_t a = ((uintptr_t)p + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
    uintptr_t b = ((uintptr_t)p + n) & ~((uintptr_t)page - 1);
    if (b > a)
        madvise((void *)a, b - a, MADV_FREE); /* advice: failure changes nothing */
#else
    (void)p;
    (void)n;
#endif
}

/* Removes the cache's oldest chunk that is mapped (or not), or any when
 * any is set, chaining it on *out; returns 0 when there is none. Called
 * with the lock held. */
static int evict_oldest(int mapped, int any, gloss__arena_chunk **out)
{
    for (size_t i = 0; i < cache.n; i++) {
        gloss__arena_chunk *c = cache.slots[i];
        if (!any && !c->mapped != !mapped)
            continue;
        cache_remove(i);
        c->next = *out;
        *out = c;
        return 1;
    }
    return 0;
}

/* Keeps c for a later arena, making room by evicting the chunks that came
 * back longest ago; frees c when it alone is over its budget. Keeping the
 * newest rather than refusing newcomers to a full cache matters when
 * documents change size: a run of small documents used to fill the slots
 * with small chunks for good, after which every chunk of the large
 * documents that followed went back to the kernel and came again as fresh
 * pages (five sixths of the page faults of the bench's linearity part). */
static void cache_put(gloss__arena_chunk *c)
{
    size_t cost = c->mapped ? c->mapped : c->size;
    size_t budget = c->mapped ? CACHE_MAPPED_BYTES : CACHE_BYTES;
    if (c->mapped) {
        /* The pages after the header's may be taken back by the kernel
         * (and read as zeros then); the header stays. */
        gloss__pages_lazy_free(c->data, c->mapped - sizeof(*c));
    } else if (c->size > CACHE_LARGEST) {
        release_chunk(c);
        return;
    }
    if (cost > budget) {
        release_chunk(c);
        return;
    }
    gloss__arena_chunk *evicted = NULL;
    pthread_mutex_lock(&cache.lock);
    while ((c->mapped ? cache.mapped_bytes : cache.bytes) + cost > budget &&
           evict_oldest(c->mapped != 0, 0, &evicted))
        ;
    if (cache.n == CACHE_SLOTS)
        evict_oldest(0, 1, &evicted);
    cache.slots[cache.n++] = c;
    if (c->mapped)
        cache.mapped_bytes += c->mapped;
    else
        cache.bytes += c->size;
    pthread_mutex_unlock(&cache.lock);
    while (evicted) {
        gloss__arena_chunk *next = evicted->next;
        release_chunk(evicted);
        evicted = next;
    }
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
    if (!c && size >= MAPPED_MIN) {
        c = map_chunk(size);
    } else if (!c) {
        if (size > SIZE_MAX - sizeof(*c) || !(c = malloc(sizeof(*c) + size)))
            return NULL;
        c->size = size;
        c->mapped = 0;
    }
    if (!c)
        return NULL;
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
