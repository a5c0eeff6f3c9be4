/*
 * test_idset.c - the in-flight id table: what goes in comes out, removed
 * ids are gone, and churn far beyond the table's size keeps it small.
 */
#include <stdio.h>
#include <string.h>

#include "idset.h"
#include "tap.h"

enum { N = 20000 };
static char ids[N][16];

int main(void)
{
    gloss__idset set = {0};
    ok(gloss__idset_get(&set, "x") == NULL, "an empty table finds nothing");
    int put = 1;
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "doc-%d", i);
        put &= gloss__idset_put(&set, ids[i], ids[i]) == 0;
    }
    ok(put && set.used == N, "20000 ids go in");
    int found = 1;
    for (int i = 0; i < N; i++)
        found &= gloss__idset_get(&set, ids[i]) == ids[i];
    ok(found, "each is found with its value");
    char probe[16] = "doc-123";
    ok(gloss__idset_get(&set, probe) == ids[123],
       "lookups compare contents, not pointers");
    ok(gloss__idset_get(&set, "doc-20000") == NULL, "an absent id is not found");
    int removed = 1;
    for (int i = 0; i < N; i += 2)
        removed &= gloss__idset_del(&set, ids[i]) == 0;
    ok(removed && set.used == N / 2, "half are removed");
    ok(gloss__idset_del(&set, ids[0]) == -1, "removing twice fails");
    int right = 1;
    for (int i = 0; i < N; i++)
        right &= (gloss__idset_get(&set, ids[i]) != NULL) == (i % 2 == 1);
    ok(right, "removed ids are gone, the others stay");
    for (int i = 1; i < N; i += 2)
        gloss__idset_del(&set, ids[i]);

    /* A long run: a million ids through a table holding at most 100. */
    size_t biggest = 0;
    static char ring[100][16];
    for (int i = 0; i < 1000000; i++) {
        char *slot = ring[i % 100];
        if (i >= 100)
            gloss__idset_del(&set, slot);
        snprintf(slot, 16, "r-%d", i);
        gloss__idset_put(&set, slot, slot);
        if (set.cap > biggest)
            biggest = set.cap;
    }
    ok(set.used == 100, "a million ids pass through, 100 at a time");
    ok(set.cap <= 1024, "the table shrank from the 20000-id burst and stays "
       "small (%zu slots; %zu at most during the run)", set.cap, biggest);
    gloss__idset_free(&set);
    return done_testing();
}
