/*
 * buf.c - growable byte buffer (see buf.h).
 */
#include "buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int gloss__buf_reserve(gloss__buf *b, size_t extra)
{
    if (b->oom)
        return -1;
    if (extra >= SIZE_MAX - b->len) {
        b->oom = 1;
        return -1;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void gloss__buf_add(gloss__buf *b, const void *data, size_t len)
{
    if (gloss__buf_reserve(b, len) < 0)
        return;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void gloss__buf_addc(gloss__buf *b, char c)
{
    if (b->len + 1 < b->cap) {
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
        return;
    }
    gloss__buf_add(b, &c, 1);
}

void gloss__buf_adds(gloss__buf *b, const char *s)
{
    gloss__buf_add(b, s, strlen(s));
}

void gloss__buf_vprintf(gloss__buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, copy);
    va_end(copy);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        gloss__buf_add(b, small, (size_t)n);
        return;
    }
    if (gloss__buf_reserve(b, (size_t)n) < 0)
        return;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void gloss__buf_printf(gloss__buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gloss__buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void gloss__buf_clear(gloss__buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *gloss__buf_steal(gloss__buf *b, size_t *len)
{
    char *p = b->data;
    if (!p && !b->oom)
        p = calloc(1, 1);
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void gloss__buf_free(gloss__buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}

int gloss__buf_read_file(gloss__buf *b, const char *path)
{
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = 0;
    for (;;) {
        if (gloss__buf_reserve(b, 65536) < 0) {
            errno = ENOMEM;
            rc = -1;
            break;
        }
        ssize_t n = read(fd, b->data + b->len, b->cap - b->len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = -1;
            break;
        }
        if (n == 0)
            break;
        b->len += (size_t)n;
    }
    if (b->data)
        b->data[b->len] = '\0';
    if (fd != STDIN_FILENO) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
    return rc;
}
