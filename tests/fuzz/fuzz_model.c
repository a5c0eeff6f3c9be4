/*
 * fuzz_model.c - the libFuzzer target for the model loader.
 *
 * Arbitrary bytes are checked as a model file (lib/model.c); whatever is
 * accepted must be whole: every section the loader hands out lies inside
 * the input, and reading all of it must be safe. When the tagger's own
 * loader exists it is run on the same bytes, so that a file the container
 * accepts but whose sections are nonsense is refused there too. The input
 * is copied into a 64-byte-aligned buffer, as a mapped file would be.
 * The same function runs under `make check` over tests/fuzz/corpus-model
 * (tests/fuzz/replay.c), and under libFuzzer with `make fuzz-model`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void gloss__fuzz_teardown(void);

void gloss__fuzz_teardown(void) {}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *buf = aligned_alloc(64, size / 64 * 64 + 64);
    if (!buf)
        return 0;
    if (size)
        memcpy(buf, data, size);
    char err[1024];
    gloss__model *m = gloss__model_from_memory(buf, size, "fuzz", NULL, 1000, err,
                                               sizeof err);
    if (!m) {
        /* A refusal always says something. */
        if (!err[0])
            abort();
    } else {
        uint64_t h = 0;
        for (uint32_t i = 0; i < gloss__model_section_count(m); i++) {
            size_t n = 0;
            const unsigned char *s =
                gloss__model_section(m, gloss__model_section_name(m, i), &n);
            if (!s || s < buf || s + n > buf + size)
                abort();
            h = gloss__fnv1a64(h, s, n);
        }
        if (h == 1)
            fprintf(stderr, "%llu\n", (unsigned long long)h);
        gloss__model_close(m);
    }
    free(buf);
    return 0;
}
