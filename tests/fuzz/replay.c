/*
 * replay.c - runs the fuzz target over its corpus without libFuzzer, as a
 * TAP test of `make check`.
 *
 * Every file of the corpus (tests/fuzz/corpus, or the folders and files
 * given as arguments) is read whole and passed to LLVMFuzzerTestOneInput()
 * of fuzz_segment.c, which aborts when a crash-free run breaks an
 * invariant; reaching the "ok" line of a file means it went through all
 * the target's pipelines with every check holding. The files are taken in
 * name order so that a failure names the same file on every machine. The
 * ordinary compiler builds this, so it runs everywhere `make check` does;
 * the sanitizers come from the CI's sanitizer build or from `make fuzz`.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void gloss__fuzz_teardown(void);

/* The corpus replayed when no argument is given, under $top_srcdir: each
 * target's replay program is built with its own. */
#ifndef GLOSS_FUZZ_CORPUS
#define GLOSS_FUZZ_CORPUS "tests/fuzz/corpus"
#endif

typedef struct names {
    char **v;
    size_t n, cap;
} names;

static void push(names *l, const char *dir, const char *name)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (!l->v) {
            perror("replay");
            exit(99);
        }
    }
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path = malloc(len);
    if (!path) {
        perror("replay");
        exit(99);
    }
    snprintf(path, len, "%s%s%s", dir, *dir ? "/" : "", name);
    l->v[l->n++] = path;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds path, or every regular file directly inside it when it is a
 * folder (hidden files such as libFuzzer's lock files left out). */
static int collect(names *l, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        push(l, "", path);
        return 0;
    }
    DIR *d = opendir(path);
    if (!d)
        return -1;
    size_t first = l->n;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        push(l, path, e->d_name);
    }
    closedir(d);
    qsort(l->v + first, l->n - first, sizeof *l->v, by_name);
    return 0;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        unsigned char *more = realloc(buf, cap * 2);
        if (!more) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = more;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    names files = {0};
    char fallback[4096];
    if (argc < 2) {
        const char *top = getenv("top_srcdir");
        snprintf(fallback, sizeof fallback, "%s/%s", top && *top ? top : ".",
                 GLOSS_FUZZ_CORPUS);
        if (collect(&files, fallback) != 0) {
            printf("1..0 # SKIP no corpus at %s\n", fallback);
            return 0;
        }
    }
    for (int i = 1; i < argc; i++) {
        if (collect(&files, argv[i]) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            return 99;
        }
    }
    printf("1..%zu\n", files.n);
    int failed = 0;
    for (size_t i = 0; i < files.n; i++) {
        size_t len = 0;
        unsigned char *data = slurp(files.v[i], &len);
        if (!data) {
            printf("not ok %zu - %s: cannot read\n", i + 1, files.v[i]);
            failed = 1;
            free(files.v[i]);
            continue;
        }
        /* The line before the run names the file, so that an abort inside
         * the target leaves it in the log. */
        fprintf(stderr, "# %s (%zu bytes)\n", files.v[i], len);
        LLVMFuzzerTestOneInput(data, len);
        const char *base = strrchr(files.v[i], '/');
        printf("ok %zu - %s\n", i + 1, base ? base + 1 : files.v[i]);
        fflush(stdout);
        free(data);
        free(files.v[i]);
    }
    free(files.v);
    gloss__fuzz_teardown();
    return failed;
}
