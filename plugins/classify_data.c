/*
 * classify_data.c - reading labelled JSON Lines (classify_data.h).
 *
 * The file is read whole and parsed line by line with jansson. Labels are
 * numbered as they first appear (a jansson object serves as the name
 * table), then renumbered in sorted order at the end.
 */
#include "classify_data.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* A growable array: pp is the address of the array's pointer (any
 * pointer-to-object type, copied in and out with memcpy so that no
 * pointer is read through an lvalue of another type). */
typedef struct grow {
    void *pp;
    size_t elem, cap;
} grow;

/* Makes room for n elements; returns -1 on ENOMEM. */
static int ensure(grow *g, size_t n)
{
    if (n <= g->cap)
        return 0;
    size_t cap = g->cap ? g->cap * 2 : 64;
    while (cap < n)
        cap *= 2;
    void *old;
    memcpy(&old, g->pp, sizeof old);
    void *p = realloc(old, cap * g->elem);
    if (!p)
        return -1;
    memcpy(g->pp, &p, sizeof p);
    g->cap = cap;
    return 0;
}

void gloss__cls_data_free(gloss__cls_data *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->text[i]);
    for (size_t i = 0; i < d->nnames; i++)
        free(d->names[i]);
    free(d->text);
    free(d->len);
    free(d->lab_start);
    free(d->lab);
    free(d->names);
    memset(d, 0, sizeof *d);
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds label name to the table and to the example's list. */
static int add_label(gloss__cls_data *d, json_t *table, grow *names,
                     grow *lab, size_t *nlab, const char *name)
{
    json_t *id = json_object_get(table, name);
    json_int_t k;
    if (id) {
        k = json_integer_value(id);
    } else {
        if (ensure(names, d->nnames + 1) < 0)
            return -1;
        char *copy = strdup(name);
        if (!copy || json_object_set_new(table, name,
                                         json_integer((json_int_t)d->nnames)) < 0) {
            free(copy);
            return -1;
        }
        k = (json_int_t)d->nnames;
        d->names[d->nnames++] = copy;
    }
    if (ensure(lab, *nlab + 1) < 0)
        return -1;
    d->lab[(*nlab)++] = (uint32_t)k;
    return 0;
}

int gloss__cls_data_read(const char *path, gloss__cls_data *d, char *err,
                         size_t errlen)
{
    memset(d, 0, sizeof *d);
    gloss__buf b = GLOSS__BUF_INIT;
    if (gloss__buf_read_file(&b, path) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        gloss__buf_free(&b);
        return -1;
    }
    json_t *table = json_object();
    grow gt = {&d->text, sizeof *d->text, 0};
    grow gl = {&d->len, sizeof *d->len, 0};
    grow gs = {&d->lab_start, sizeof *d->lab_start, 0};
    grow glab = {&d->lab, sizeof *d->lab, 0};
    grow gn = {&d->names, sizeof *d->names, 0};
    size_t nlab = 0, lineno = 0;
    int oom = !table || ensure(&gs, 1) < 0;
    if (!oom)
        d->lab_start[0] = 0;
    const char *p = b.data ? b.data : "", *end = p + b.len;
    while (!oom && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        lineno++;
        size_t span = strspn(p, " \t\r");
        if (p + span >= le) {
            p = le + 1;
            continue;
        }
        json_error_t jerr;
        json_t *o = json_loadb(p, (size_t)(le - p), 0, &jerr);
        p = le + 1;
        const char *what = NULL;
        json_t *text = o ? json_object_get(o, "text") : NULL;
        json_t *one = o ? json_object_get(o, "label") : NULL;
        json_t *many = o ? json_object_get(o, "labels") : NULL;
        if (!o)
            what = jerr.text;
        else if (!json_is_object(o))
            what = "not a JSON object";
        else if (!json_is_string(text))
            what = "no \"text\" string";
        else if (one && many)
            what = "both \"label\" and \"labels\"";
        else if (one ? !json_is_string(one) || !*json_string_value(one)
                     : !json_is_array(many))
            what = "no \"label\" (a non-empty string) or \"labels\" (a list "
                   "of them)";
        if (!what && many)
            for (size_t i = 0; i < json_array_size(many); i++) {
                json_t *s = json_array_get(many, i);
                if (!json_is_string(s) || !*json_string_value(s))
                    what = "a member of \"labels\" is not a non-empty string";
            }
        if (what) {
            snprintf(err, errlen, "%s:%zu: %s", path, lineno, what);
            json_decref(o);
            json_decref(table);
            gloss__buf_free(&b);
            gloss__cls_data_free(d);
            return -1;
        }
        if (ensure(&gt, d->n + 1) < 0 || ensure(&gl, d->n + 1) < 0 ||
            ensure(&gs, d->n + 2) < 0) {
            oom = 1;
        } else {
            size_t len = json_string_length(text);
            char *copy = malloc(len + 1);
            if (!copy) {
                oom = 1;
            } else {
                memcpy(copy, json_string_value(text), len + 1);
                d->text[d->n] = copy;
                d->len[d->n] = len;
                d->bytes += len;
                if (one) {
                    oom = add_label(d, table, &gn, &glab, &nlab,
                                    json_string_value(one)) < 0;
                } else {
                    d->multi = 1;
                    for (size_t i = 0; !oom && i < json_array_size(many); i++)
                        oom = add_label(d, table, &gn, &glab, &nlab,
                                        json_string_value(json_array_get(many, i))) < 0;
                }
                d->n++;
                d->lab_start[d->n] = nlab;
            }
        }
        json_decref(o);
    }
    json_decref(table);
    gloss__buf_free(&b);
    uint32_t *remap = oom ? NULL : malloc((d->nnames + 1) * sizeof *remap);
    if (!remap) {
        snprintf(err, errlen, "out of memory reading %s", path);
        gloss__cls_data_free(d);
        return -1;
    }
    /* Renumber in sorted order: old number -> sorted position. */
    char **old = malloc((d->nnames + 1) * sizeof *old);
    if (!old) {
        free(remap);
        snprintf(err, errlen, "out of memory reading %s", path);
        gloss__cls_data_free(d);
        return -1;
    }
    memcpy(old, d->names, d->nnames * sizeof *old);
    qsort(d->names, d->nnames, sizeof *d->names, by_string);
    for (size_t i = 0; i < d->nnames; i++) {
        char **hit = bsearch(&old[i], d->names, d->nnames, sizeof *d->names,
                             by_string);
        remap[i] = (uint32_t)(hit - d->names);
    }
    for (size_t i = 0; i < nlab; i++)
        d->lab[i] = remap[d->lab[i]];
    free(old);
    free(remap);
    return 0;
}
