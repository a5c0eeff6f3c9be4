/*
 * test_model.c - the model container: what is written is read back, the
 * bytes are the same for the same sections, and every damaged, truncated
 * or foreign file is refused with a message naming the file and the fault.
 *
 * The damage cases are exhaustive over a small model: every prefix of the
 * file and every single-byte change must be refused (never accepted, never
 * a crash), which is what a user who copies a model badly would meet.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"
#include "tap.h"

static char err[1024];

static gloss__model_writer *sample(void)
{
    gloss__model_writer *w = gloss__model_writer_new("pos", 2);
    const char *config = "{\"features\": [\"word\", \"suffix3\"]}";
    gloss__model_writer_add(w, "config", config, strlen(config));
    gloss__model_writer_add(w, "labels", "NOUN\0VERB\0", 10);
    int16_t *weights = gloss__model_writer_reserve(w, "weights", 100 * sizeof(int16_t));
    for (int i = 0; i < 100; i++)
        weights[i] = (int16_t)(i * 7 - 300);
    gloss__model_writer_add(w, "empty", "", 0);
    return w;
}

static int write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t k = fwrite(data, 1, len, f);
    return fclose(f) == 0 && k == len ? 0 : -1;
}

static int contains(const char *s, const char *part) { return strstr(s, part) != NULL; }

static void test_round_trip(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/a.model", dir);
    gloss__model_writer *w = sample();
    ok(w != NULL, "writer made");
    is_int(gloss__model_writer_write(w, path, err, sizeof err), 0, "written");
    gloss__model_writer_free(w);

    gloss__model *m = gloss__model_open(path, "pos", 2, err, sizeof err);
    ok(m != NULL, "read back");
    if (!m) {
        diag("%s", err);
        return;
    }
    is_str(gloss__model_kind(m), "pos", "kind");
    is_int(gloss__model_kind_version(m), 2, "kind version");
    is_int(gloss__model_section_count(m), 4, "four sections");
    is_str(gloss__model_section_name(m, 2), "weights", "sections keep their order");
    size_t n = 0;
    const char *config = gloss__model_section(m, "config", &n);
    ok(config && n == strlen("{\"features\": [\"word\", \"suffix3\"]}") &&
           memcmp(config, "{\"features\"", 11) == 0,
       "config section read back");
    const int16_t *weights = gloss__model_section(m, "weights", &n);
    is_int(n, 200, "weights size");
    ok(weights && ((uintptr_t)weights % 64) == 0, "sections are 64-byte aligned");
    ok(weights && weights[0] == -300 && weights[99] == 99 * 7 - 300,
       "weights read back");
    ok(gloss__model_section(m, "empty", &n) != NULL && n == 0, "an empty section");
    ok(gloss__model_section(m, "nope", &n) == NULL && n == 0, "a missing section: NULL");
    gloss__model_close(m);

    /* Reading a newer kind version than the file's is fine. */
    m = gloss__model_open(path, "pos", 5, err, sizeof err);
    ok(m != NULL, "an older kind version is read by a newer reader");
    gloss__model_close(m);

    /* No temporary file is left behind the rename. */
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls %s | grep -c tmp >/dev/null", dir);
    ok(system(cmd) != 0, "no temporary file left");
}

static void test_deterministic(void)
{
    gloss__model_writer *a = sample(), *b = sample();
    size_t na = 0, nb = 0;
    unsigned char *ba = gloss__model_writer_bytes(a, &na);
    unsigned char *bb = gloss__model_writer_bytes(b, &nb);
    ok(ba && bb && na == nb && memcmp(ba, bb, na) == 0,
       "the same sections give the same bytes");
    free(ba);
    free(bb);
    gloss__model_writer_free(a);
    gloss__model_writer_free(b);
}

static void test_writer_refuses(void)
{
    ok(gloss__model_writer_new("", 1) == NULL, "empty kind refused");
    ok(gloss__model_writer_new("a kind", 1) == NULL, "kind with a space refused");
    ok(gloss__model_writer_new("averyveryverylongkind", 1) == NULL, "long kind refused");
    ok(gloss__model_writer_new("pos", 0) == NULL, "kind version 0 refused");
    gloss__model_writer *w = gloss__model_writer_new("ner", 1);
    is_int(gloss__model_writer_add(w, "labels", "x", 1), 0, "a section");
    is_int(gloss__model_writer_add(w, "labels", "y", 1), -1, "the same name again refused");
    is_int(gloss__model_writer_add(w, "", "y", 1), -1, "an empty name refused");
    is_int(gloss__model_writer_write(w, "/nonexistent-dir/x.model", err, sizeof err), -1,
           "writing into a missing folder fails");
    ok(contains(err, "/nonexistent-dir/x.model"), "and says which file: %s", err);
    gloss__model_writer_free(w);
}

/* Every prefix and every single-byte change of a small model is refused
 * with a message naming it; collects how many were refused. */
static void test_damage(void)
{
    gloss__model_writer *w = sample();
    size_t len = 0;
    unsigned char *good = gloss__model_writer_bytes(w, &len);
    gloss__model_writer_free(w);
    /* An aligned copy, as a map would be. */
    unsigned char *buf = aligned_alloc(64, (len + 63) / 64 * 64);
    int refused = 0, named = 0;
    for (size_t k = 0; k < len; k++) {
        memcpy(buf, good, k);
        gloss__model *m = gloss__model_from_memory(buf, k, "cut.model", "pos", 2, err,
                                                   sizeof err);
        refused += m == NULL;
        named += m == NULL && contains(err, "cut.model");
        gloss__model_close(m);
    }
    is_int(refused, len, "every truncation refused");
    is_int(named, len, "every refusal names the file");
    memcpy(buf, good, len);
    gloss__model *m = gloss__model_from_memory(buf, len - 1, "cut.model", "pos", 2, err,
                                               sizeof err);
    ok(m == NULL && contains(err, "truncated"), "truncation said: %s", err);
    gloss__model_close(m);

    refused = 0;
    for (size_t k = 0; k < len; k++) {
        memcpy(buf, good, len);
        buf[k] ^= 0x5a;
        m = gloss__model_from_memory(buf, len, "bad.model", "pos", 2, err, sizeof err);
        refused += m == NULL;
        gloss__model_close(m);
    }
    is_int(refused, len, "every single-byte change refused");
    memcpy(buf, good, len);
    buf[len - 1] ^= 1;
    m = gloss__model_from_memory(buf, len, "bad.model", "pos", 2, err, sizeof err);
    ok(m == NULL && contains(err, "checksum"), "corruption said: %s", err);
    gloss__model_close(m);

    memcpy(buf, good, len);
    m = gloss__model_from_memory(buf, len, "a.model", "ner", 1, err, sizeof err);
    ok(m == NULL && contains(err, "is a \"pos\" model, not a \"ner\" model"),
       "another kind refused: %s", err);
    gloss__model_close(m);
    m = gloss__model_from_memory(buf, len, "a.model", "pos", 1, err, sizeof err);
    ok(m == NULL && contains(err, "format version 2; this gloss reads versions 1 to 1"),
       "a newer kind version refused: %s", err);
    gloss__model_close(m);
    m = gloss__model_from_memory(buf, len, "a.model", NULL, 2, err, sizeof err);
    ok(m != NULL, "any kind accepted when none is asked for");
    gloss__model_close(m);
    free(buf);
    free(good);
}

static void test_foreign(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/words.bin", dir);
    write_file(path, "GLSWORDS\1\0\0\0\0\0\0\0", 16);
    gloss__model *m = gloss__model_open(path, "pos", 1, err, sizeof err);
    ok(m == NULL && contains(err, "is not a gloss model") && contains(err, path),
       "a foreign file refused: %s", err);
    gloss__model_close(m);

    snprintf(path, sizeof path, "%s/empty.model", dir);
    write_file(path, "", 0);
    m = gloss__model_open(path, "pos", 1, err, sizeof err);
    ok(m == NULL && contains(err, "is empty"), "an empty file refused: %s", err);
    gloss__model_close(m);

    m = gloss__model_open(dir, "pos", 1, err, sizeof err);
    ok(m == NULL && contains(err, "not a regular file"), "a folder refused: %s", err);
    gloss__model_close(m);

    snprintf(path, sizeof path, "%s/missing.model", dir);
    m = gloss__model_open(path, "pos", 1, err, sizeof err);
    ok(m == NULL && contains(err, "cannot open model") && contains(err, "missing.model"),
       "a missing file refused: %s", err);
    gloss__model_close(m);
}

int main(void)
{
    char dir[] = "/tmp/gloss-test-model-XXXXXX";
    if (!mkdtemp(dir)) {
        printf("Bail out! cannot make a temporary folder\n");
        return 1;
    }
    test_round_trip(dir);
    test_deterministic();
    test_writer_refuses();
    test_damage();
    test_foreign(dir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
    return done_testing();
}
