/*
 * fuzz_model.c - the libFuzzer target for the model loader.
 *
 * Arbitrary bytes are checked as a model file (lib/model.c); whatever is
 * accepted must be whole: every section the loader hands out lies inside
 * the input, and reading all of it must be safe. A "pos" or "ner" model
 * the container accepts then goes to the tagger's loader, which checks its
 * sections, and, when accepted, tags a sentence of a whole document with
 * it, so that no table it trusts can send a lookup astray. The input
 * is copied into a 64-byte-aligned buffer, as a mapped file would be.
 * The same function runs under `make check` over tests/fuzz/corpus-model
 * (tests/fuzz/replay.c), and under libFuzzer with `make fuzz-model`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "tagger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void gloss__fuzz_teardown(void);

void gloss__fuzz_teardown(void) {}

static void check_bytes(unsigned char *buf, size_t size);

/* Each input is checked as it is, then again with its checksum made right
 * (a mutation almost always breaks it), so that the fuzzer reaches the
 * checks of the header, the section table and the tagger's sections. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *buf = aligned_alloc(64, size / 64 * 64 + 64);
    if (!buf)
        return 0;
    if (size)
        memcpy(buf, data, size);
    check_bytes(buf, size);
    if (size >= GLOSS__MODEL_HEADER_SIZE) {
        static const unsigned char zeros[8];
        uint64_t h = gloss__fnv1a64(GLOSS__FNV_BASIS, buf, 48);
        h = gloss__fnv1a64(h, zeros, 8);
        h = gloss__fnv1a64(h, buf + 56, size - 56);
        for (int i = 0; i < 8; i++)
            buf[48 + i] = (unsigned char)(h >> (8 * i));
        check_bytes(buf, size);
    }
    free(buf);
    return 0;
}

static void check_bytes(unsigned char *buf, size_t size)
{
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
        int pos = strcmp(gloss__model_kind(m), "pos") == 0;
        int ner = strcmp(gloss__model_kind(m), "ner") == 0;
        if (pos || ner) {
            gloss__tagger *t = gloss__tagger_from_model(
                m, pos ? GLOSS__TAGGER_POS : GLOSS__TAGGER_NER, err, sizeof err);
            if (t) {
                static const char *words[] = {"Dulat", "Agadil", "met", "the", "OSCE",
                                              "in", "Almaty", "on", "3", "May", "."};
                gloss__tagger_tok toks[11];
                uint8_t out[11];
                float conf[11];
                gloss__tagger_span spans[11];
                size_t sents[3] = {0, 5, 11};
                for (int i = 0; i < 11; i++) {
                    toks[i].s = words[i];
                    toks[i].len = strlen(words[i]);
                }
                gloss__tagger_doc *doc = gloss__tagger_doc_new();
                if (doc && gloss__tagger_tag_doc(t, doc, toks, sents, 2, out, conf) == 0) {
                    for (int i = 0; i < 11; i++)
                        if (out[i] >= gloss__tagger_label_count(t))
                            abort();
                    if (ner)
                        gloss__tagger_spans(t, out, conf, 11, spans);
                }
                gloss__tagger_doc_free(doc);
                gloss__tagger_close(t);
            } else if (!err[0]) {
                abort();
            }
        } else {
            gloss__model_close(m);
        }
    }
}
