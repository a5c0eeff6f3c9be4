/*
 * idset.h - the ids of the documents in flight, for duplicate submits.
 *
 * An open-addressing hash table from id strings to the job holding them.
 * The strings are not copied: each entry points at its job's own id, which
 * lives exactly as long as the entry (a job is removed before it is freed).
 * Lookups cost the same whatever the number of documents in flight, which
 * matters because every submit with its own id is looked up.
 */
#ifndef GLOSS_IDSET_H
#define GLOSS_IDSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct gloss__idset_slot {
    const char *id;  /* NULL: empty; (const char *)&gloss__idset_gone: removed */
    void *value;
    uint64_t hash;
} gloss__idset_slot;

typedef struct gloss__idset {
    gloss__idset_slot *slots;
    size_t cap;      /* a power of two, or 0 */
    size_t used;     /* live entries */
    size_t gone;     /* removed entries still occupying slots */
} gloss__idset;

/* Returns the value stored under id, or NULL. */
void *gloss__idset_get(const gloss__idset *set, const char *id);

/* Stores value under id (which must stay valid until removed). Returns 0,
 * or -1 on ENOMEM. An id already present is replaced. */
int gloss__idset_put(gloss__idset *set, const char *id, void *value);

/* Removes id; returns 0, or -1 when it was absent. */
int gloss__idset_del(gloss__idset *set, const char *id);

void gloss__idset_free(gloss__idset *set);

#endif
