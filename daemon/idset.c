/*
 * idset.c - hash table of in-flight ids (see idset.h).
 *
 * Linear probing over a power-of-two table with FNV-1a hashes kept in the
 * slots, so most mismatches are rejected without touching the string.
 * Removal leaves a tombstone; the table is rebuilt when live entries and
 * tombstones together fill 70% of it, sized for the live entries alone
 * (so it grows, and after a burst shrinks), and a daemon that runs for
 * months keeps a table sized to what is in flight, not to its history.
 */
#include "idset.h"

#include <stdlib.h>
#include <string.h>

static const char gone_marker;
#define GONE (&gone_marker)

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

static gloss__idset_slot *find(const gloss__idset *set, const char *id,
                               uint64_t h)
{
    if (!set->cap)
        return NULL;
    size_t mask = set->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        gloss__idset_slot *s = &set->slots[i];
        if (!s->id)
            return NULL;
        if (s->id != GONE && s->hash == h && strcmp(s->id, id) == 0)
            return s;
    }
}

void *gloss__idset_get(const gloss__idset *set, const char *id)
{
    gloss__idset_slot *s = find(set, id, hash(id));
    return s ? s->value : NULL;
}

static int rebuild(gloss__idset *set, size_t cap)
{
    gloss__idset_slot *slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return -1;
    for (size_t i = 0; i < set->cap; i++) {
        gloss__idset_slot *old = &set->slots[i];
        if (!old->id || old->id == GONE)
            continue;
        size_t j = old->hash & (cap - 1);
        while (slots[j].id)
            j = (j + 1) & (cap - 1);
        slots[j] = *old;
    }
    free(set->slots);
    set->slots = slots;
    set->cap = cap;
    set->gone = 0;
    return 0;
}

int gloss__idset_put(gloss__idset *set, const char *id, void *value)
{
    uint64_t h = hash(id);
    gloss__idset_slot *s = find(set, id, h);
    if (s) {
        s->value = value;
        return 0;
    }
    if ((set->used + set->gone + 1) * 10 > set->cap * 7) {
        /* Sized for the live entries alone: a table grown by a burst
         * shrinks again at its next rebuild. */
        size_t cap = 64;
        while ((set->used + 1) * 10 > cap * 5)
            cap *= 2;
        if (rebuild(set, cap) < 0)
            return -1;
    }
    size_t mask = set->cap - 1;
    size_t i = h & mask;
    while (set->slots[i].id && set->slots[i].id != GONE)
        i = (i + 1) & mask;
    if (set->slots[i].id == GONE)
        set->gone--;
    set->slots[i].id = id;
    set->slots[i].value = value;
    set->slots[i].hash = h;
    set->used++;
    return 0;
}

int gloss__idset_del(gloss__idset *set, const char *id)
{
    gloss__idset_slot *s = find(set, id, hash(id));
    if (!s)
        return -1;
    s->id = GONE;
    s->value = NULL;
    set->used--;
    set->gone++;
    return 0;
}

void gloss__idset_free(gloss__idset *set)
{
    free(set->slots);
    memset(set, 0, sizeof(*set));
}
