/*
 * model.c - writing and checking model containers (see model.h and
 * docs/models.md for the layout).
 *
 * The writer lays the whole file out in memory (models are at most a few
 * megabytes) and writes it in one go to a temporary file that is renamed
 * into place. The reader maps the file and runs every check on the bytes
 * before the first section is handed out, in the order that gives the most
 * useful message: what the file is (magic, container version), whether it
 * is whole (size, checksum), whether its table is sound (names, alignment,
 * bounds, order), and last whether it is the model the caller wants (kind,
 * kind version). Nothing past the header is read before its bounds are
 * known, so a truncated or hostile file cannot make the reader fault.
 */
#include "model.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Header layout (all numbers little-endian). */
enum {
    H_MAGIC = 0,     /* 8 bytes "GLOSSMDL" */
    H_VERSION = 8,   /* u32 container version */
    H_COUNT = 12,    /* u32 number of sections */
    H_KIND = 16,     /* 16 bytes, NUL-padded kind */
    H_KINDVER = 32,  /* u32 kind-specific format version */
    H_FLAGS = 36,    /* u32, 0 */
    H_SIZE = 40,     /* u64 size of the whole file */
    H_CHECKSUM = 48, /* u64 FNV-1a of the file, this field as zeros */
    H_RESERVED = 56, /* u64, 0 */
};

/* Section table entry layout. */
enum {
    E_NAME = 0,    /* 32 bytes, NUL-padded name */
    E_OFFSET = 32, /* u64 offset from the start of the file */
    E_SIZE = 40,   /* u64 size in bytes */
};

uint64_t gloss__fnv1a64(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

/* Whether s is 1 to max printable ASCII characters. */
static int good_name(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] <= ' ' || s[i] > '~')
            return 0;
    return 1;
}

/* Whether the field of width bytes holds a good name followed only by NUL
 * padding; copies it to out (width bytes). */
static int good_field(const unsigned char *p, size_t width, char *out)
{
    memcpy(out, p, width);
    size_t n = 0;
    while (n < width && out[n])
        n++;
    if (n == width)
        return 0;
    for (size_t i = n; i < width; i++)
        if (out[i])
            return 0;
    return good_name(out, width - 1);
}

/* The checksum of a whole file of len (at least the header's) bytes: FNV-1a
 * over every byte, the checksum field itself read as zeros, so that no byte
 * of header, table or sections can change unnoticed. */
static uint64_t checksum(const unsigned char *p, size_t len)
{
    static const unsigned char zeros[8];
    uint64_t h = gloss__fnv1a64(GLOSS__FNV_BASIS, p, H_CHECKSUM);
    h = gloss__fnv1a64(h, zeros, sizeof zeros);
    return gloss__fnv1a64(h, p + H_CHECKSUM + 8, len - H_CHECKSUM - 8);
}

static size_t align_up(size_t n)
{
    return (n + GLOSS__MODEL_ALIGN - 1) & ~(size_t)(GLOSS__MODEL_ALIGN - 1);
}

/* ---- writing ---------------------------------------------------------- */

typedef struct {
    char name[GLOSS__MODEL_NAME_MAX + 1];
    unsigned char *data;
    size_t size;
} section;

struct gloss__model_writer {
    char kind[GLOSS__MODEL_KIND_MAX + 1];
    uint32_t kind_version;
    section *sections;
    uint32_t n, cap;
};

gloss__model_writer *gloss__model_writer_new(const char *kind,
                                             uint32_t kind_version)
{
    if (!good_name(kind, GLOSS__MODEL_KIND_MAX) || kind_version == 0)
        return NULL;
    gloss__model_writer *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    memcpy(w->kind, kind, strlen(kind) + 1);
    w->kind_version = kind_version;
    return w;
}

void *gloss__model_writer_reserve(gloss__model_writer *w, const char *name,
                                  size_t size)
{
    if (!w || !good_name(name, GLOSS__MODEL_NAME_MAX) ||
        w->n >= GLOSS__MODEL_MAX_SECTIONS)
        return NULL;
    for (uint32_t i = 0; i < w->n; i++)
        if (strcmp(w->sections[i].name, name) == 0)
            return NULL;
    if (w->n == w->cap) {
        uint32_t cap = w->cap ? w->cap * 2 : 8;
        section *s = realloc(w->sections, cap * sizeof(*s));
        if (!s)
            return NULL;
        w->sections = s;
        w->cap = cap;
    }
    unsigned char *data = calloc(1, size ? size : 1);
    if (!data)
        return NULL;
    section *s = &w->sections[w->n++];
    memset(s->name, 0, sizeof s->name);
    memcpy(s->name, name, strlen(name));
    s->data = data;
    s->size = size;
    return data;
}

int gloss__model_writer_add(gloss__model_writer *w, const char *name,
                            const void *data, size_t size)
{
    void *p = gloss__model_writer_reserve(w, name, size);
    if (!p)
        return -1;
    if (size)
        memcpy(p, data, size);
    return 0;
}

unsigned char *gloss__model_writer_bytes(gloss__model_writer *w, size_t *len)
{
    size_t table = GLOSS__MODEL_HEADER_SIZE + (size_t)w->n * GLOSS__MODEL_ENTRY_SIZE;
    /* Each section starts on the next aligned offset; the file ends where
     * the last section does. */
    size_t total = table, off = align_up(table);
    for (uint32_t i = 0; i < w->n; i++) {
        total = off + w->sections[i].size;
        off = align_up(total);
    }
    unsigned char *out = calloc(1, total ? total : 1);
    if (!out)
        return NULL;
    memcpy(out + H_MAGIC, GLOSS__MODEL_MAGIC, 8);
    put32(out + H_VERSION, GLOSS__MODEL_VERSION);
    put32(out + H_COUNT, w->n);
    memcpy(out + H_KIND, w->kind, strlen(w->kind));
    put32(out + H_KINDVER, w->kind_version);
    put64(out + H_SIZE, total);
    off = align_up(table);
    for (uint32_t i = 0; i < w->n; i++) {
        unsigned char *e = out + GLOSS__MODEL_HEADER_SIZE + (size_t)i * GLOSS__MODEL_ENTRY_SIZE;
        memcpy(e + E_NAME, w->sections[i].name, sizeof w->sections[i].name);
        put64(e + E_OFFSET, off);
        put64(e + E_SIZE, w->sections[i].size);
        if (w->sections[i].size)
            memcpy(out + off, w->sections[i].data, w->sections[i].size);
        off = align_up(off + w->sections[i].size);
    }
    put64(out + H_CHECKSUM, checksum(out, total));
    *len = total;
    return out;
}

int gloss__model_writer_write(gloss__model_writer *w, const char *path,
                              char *err, size_t errlen)
{
    size_t len = 0;
    unsigned char *bytes = gloss__model_writer_bytes(w, &len);
    if (!bytes) {
        snprintf(err, errlen, "out of memory writing model %s", path);
        return -1;
    }
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp) {
        free(bytes);
        snprintf(err, errlen, "out of memory writing model %s", path);
        return -1;
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp-XXXXXX", 12);
    int rc = -1;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write model %s: %s", path, strerror(errno));
        goto done;
    }
    /* mkstemp makes the file private to its owner; a model is data that
     * other users (a daemon's account) read, as any file the umask allows. */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0)
        goto fail;
    size_t done = 0;
    while (done < len) {
        ssize_t k = write(fd, bytes + done, len - done);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        done += (size_t)k;
    }
    if (fsync(fd) != 0)
        goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        goto fail;
    rc = 0;
    goto done;
fail:
    snprintf(err, errlen, "cannot write model %s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    unlink(tmp);
done:
    free(tmp);
    free(bytes);
    return rc;
}

void gloss__model_writer_free(gloss__model_writer *w)
{
    if (!w)
        return;
    for (uint32_t i = 0; i < w->n; i++)
        free(w->sections[i].data);
    free(w->sections);
    free(w);
}

/* ---- reading ---------------------------------------------------------- */

typedef struct {
    char name[GLOSS__MODEL_NAME_MAX + 1];
    const unsigned char *data;
    size_t size;
} view;

struct gloss__model {
    char *path;
    const unsigned char *base;
    size_t len;
    int mapped; /* whether base is ours to munmap */
    char kind[GLOSS__MODEL_KIND_MAX + 1];
    uint32_t kind_version;
    uint32_t n;
    view *sections;
};

void gloss__model_close(gloss__model *m)
{
    if (!m)
        return;
    if (m->mapped && m->len)
        munmap((void *)m->base, m->len);
    free(m->sections);
    free(m->path);
    free(m);
}

/* Runs every check of the file comment on m->base / m->len and fills in
 * the rest of m. */
static int check(gloss__model *m, const char *want_kind, uint32_t max_kv,
                 char *err, size_t errlen)
{
    const unsigned char *p = m->base;
    const char *path = m->path;
    size_t len = m->len;
    if (len < 8 || memcmp(p + H_MAGIC, GLOSS__MODEL_MAGIC, 8) != 0) {
        snprintf(err, errlen,
                 "%s is not a gloss model (it does not start with \"%s\")",
                 path, GLOSS__MODEL_MAGIC);
        return -1;
    }
    if (len < GLOSS__MODEL_HEADER_SIZE) {
        snprintf(err, errlen,
                 "model %s is truncated: %zu bytes, shorter than its %u-byte header",
                 path, len, GLOSS__MODEL_HEADER_SIZE);
        return -1;
    }
    uint32_t version = get32(p + H_VERSION);
    if (version != GLOSS__MODEL_VERSION) {
        snprintf(err, errlen,
                 "model %s has container version %u; this gloss reads version %u",
                 path, version, GLOSS__MODEL_VERSION);
        return -1;
    }
    uint64_t size = get64(p + H_SIZE);
    if (size > len) {
        snprintf(err, errlen,
                 "model %s is truncated: %zu bytes of the %llu its header announces",
                 path, len, (unsigned long long)size);
        return -1;
    }
    if (size < len) {
        snprintf(err, errlen,
                 "model %s has %llu bytes after its end (%zu bytes, %llu announced)",
                 path, (unsigned long long)(len - size), len,
                 (unsigned long long)size);
        return -1;
    }
    if (checksum(p, len) != get64(p + H_CHECKSUM)) {
        snprintf(err, errlen,
                 "model %s is corrupt: its checksum does not match its contents",
                 path);
        return -1;
    }
    if (!good_field(p + H_KIND, 16, m->kind)) {
        snprintf(err, errlen, "model %s is corrupt: its kind is not a name", path);
        return -1;
    }
    if (get32(p + H_FLAGS) != 0 || get64(p + H_RESERVED) != 0) {
        snprintf(err, errlen,
                 "model %s uses header fields this gloss does not know", path);
        return -1;
    }
    uint32_t n = get32(p + H_COUNT);
    if (n > GLOSS__MODEL_MAX_SECTIONS ||
        (uint64_t)n * GLOSS__MODEL_ENTRY_SIZE > len - GLOSS__MODEL_HEADER_SIZE) {
        snprintf(err, errlen,
                 "model %s is corrupt: its section table (%u sections) does not fit in the file",
                 path, n);
        return -1;
    }
    m->sections = calloc(n ? n : 1, sizeof(view));
    if (!m->sections) {
        snprintf(err, errlen, "out of memory reading model %s", path);
        return -1;
    }
    uint64_t prev_end = GLOSS__MODEL_HEADER_SIZE + (uint64_t)n * GLOSS__MODEL_ENTRY_SIZE;
    for (uint32_t i = 0; i < n; i++) {
        const unsigned char *e = p + GLOSS__MODEL_HEADER_SIZE + (size_t)i * GLOSS__MODEL_ENTRY_SIZE;
        view *v = &m->sections[i];
        if (!good_field(e + E_NAME, 32, v->name)) {
            snprintf(err, errlen, "model %s is corrupt: section %u has no valid name",
                     path, i + 1);
            return -1;
        }
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(m->sections[j].name, v->name) == 0) {
                snprintf(err, errlen, "model %s is corrupt: section \"%s\" appears twice",
                         path, v->name);
                return -1;
            }
        uint64_t off = get64(e + E_OFFSET), sz = get64(e + E_SIZE);
        if (off % GLOSS__MODEL_ALIGN != 0) {
            snprintf(err, errlen,
                     "model %s is corrupt: section \"%s\" is not aligned to %u bytes",
                     path, v->name, GLOSS__MODEL_ALIGN);
            return -1;
        }
        if (off < prev_end || off > len || sz > len - off) {
            snprintf(err, errlen,
                     "model %s is corrupt: section \"%s\" (%llu bytes at %llu) lies outside the file or over another",
                     path, v->name, (unsigned long long)sz, (unsigned long long)off);
            return -1;
        }
        prev_end = off + sz;
        v->data = p + off;
        v->size = (size_t)sz;
    }
    m->n = n;
    m->kind_version = get32(p + H_KINDVER);
    if (want_kind && strcmp(want_kind, m->kind) != 0) {
        snprintf(err, errlen, "model %s is a \"%s\" model, not a \"%s\" model", path,
                 m->kind, want_kind);
        return -1;
    }
    if (m->kind_version == 0 || m->kind_version > max_kv) {
        snprintf(err, errlen,
                 "model %s is a \"%s\" model of format version %u; this gloss reads versions 1 to %u",
                 path, m->kind, m->kind_version, max_kv);
        return -1;
    }
    return 0;
}

static gloss__model *new_model(const char *label, char *err, size_t errlen)
{
    gloss__model *m = calloc(1, sizeof(*m));
    if (m)
        m->path = strdup(label ? label : "(memory)");
    if (!m || !m->path) {
        free(m);
        snprintf(err, errlen, "out of memory reading model %s", label ? label : "");
        return NULL;
    }
    return m;
}

gloss__model *gloss__model_from_memory(const void *data, size_t len,
                                       const char *label, const char *kind,
                                       uint32_t max_kind_version, char *err,
                                       size_t errlen)
{
    gloss__model *m = new_model(label, err, errlen);
    if (!m)
        return NULL;
    m->base = data;
    m->len = len;
    if (check(m, kind, max_kind_version, err, errlen) != 0) {
        gloss__model_close(m);
        return NULL;
    }
    return m;
}

gloss__model *gloss__model_open(const char *path, const char *kind,
                                uint32_t max_kind_version, char *err,
                                size_t errlen)
{
    gloss__model *m = new_model(path, err, errlen);
    if (!m)
        return NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open model %s: %s", path, strerror(errno));
        gloss__model_close(m);
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "cannot read model %s: not a regular file", path);
        goto fail;
    }
    m->len = (size_t)st.st_size;
    if (m->len == 0) {
        snprintf(err, errlen, "model %s is empty", path);
        goto fail;
    }
    /* A shared read-only mapping: every process that opens the model uses
     * the same pages of the page cache. */
    void *base = mmap(NULL, m->len, PROT_READ, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        snprintf(err, errlen, "cannot map model %s: %s", path, strerror(errno));
        m->len = 0;
        goto fail;
    }
    close(fd);
    fd = -1;
    m->base = base;
    m->mapped = 1;
    if (check(m, kind, max_kind_version, err, errlen) != 0)
        goto fail;
    return m;
fail:
    if (fd >= 0)
        close(fd);
    gloss__model_close(m);
    return NULL;
}

const void *gloss__model_section(const gloss__model *m, const char *name,
                                 size_t *size)
{
    for (uint32_t i = 0; i < m->n; i++)
        if (strcmp(m->sections[i].name, name) == 0) {
            if (size)
                *size = m->sections[i].size;
            return m->sections[i].data;
        }
    if (size)
        *size = 0;
    return NULL;
}

uint32_t gloss__model_section_count(const gloss__model *m) { return m->n; }

const char *gloss__model_section_name(const gloss__model *m, uint32_t i)
{
    return i < m->n ? m->sections[i].name : NULL;
}

const char *gloss__model_kind(const gloss__model *m) { return m->kind; }
uint32_t gloss__model_kind_version(const gloss__model *m) { return m->kind_version; }
const char *gloss__model_path(const gloss__model *m) { return m->path; }
size_t gloss__model_size(const gloss__model *m) { return m->len; }
