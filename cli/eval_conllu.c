/*
 * eval_conllu.c - CoNLL-U as running text, and span scoring.
 *
 * Each sentence's `# text` line becomes part of the text; its tokens are
 * found in that line in order, by their surface form (the form of a
 * multiword line "3-4 don't", else the form of each word outside such a
 * range), which is how a token's character span is known. Comparison maps
 * every offset to the number of non-space bytes before it, so spans from
 * texts that differ only in white space line up.
 */
#include "eval_conllu.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gloss__eval_spans_add(gloss__eval_spans *s, size_t start, size_t end)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        gloss__eval_span *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = (gloss__eval_span){(uint32_t)start, (uint32_t)end};
    return 0;
}

void gloss__eval_spans_free(gloss__eval_spans *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

void gloss__conllu_free(gloss__conllu *c)
{
    gloss__buf_free(&c->text);
    gloss__eval_spans_free(&c->tokens);
    gloss__eval_spans_free(&c->sentences);
}

/* State while reading one sentence. */
typedef struct sentence {
    size_t base;      /* where its text starts in the joined text */
    size_t len;       /* the length of its text */
    size_t pos;       /* where the next form is looked for, from base */
    size_t first;     /* its first token's index */
    long mwt_end;     /* the last word id of the open multiword token */
    int has_text;
} sentence;

static int add_form(gloss__conllu *c, sentence *st, const char *form,
                    size_t flen)
{
    const char *text = c->text.data + st->base;
    /* Forms follow one another with at most white space between. */
    size_t p = st->pos;
    while (p < st->len && (text[p] == ' ' || text[p] == '\t'))
        p++;
    if (flen == 0 || p + flen > st->len || memcmp(text + p, form, flen) != 0) {
        c->unaligned++;
        return 0;
    }
    st->pos = p + flen;
    return gloss__eval_spans_add(&c->tokens, st->base + p, st->base + p + flen);
}

static int end_sentence(gloss__conllu *c, sentence *st)
{
    int rc = 0;
    if (st->has_text && c->tokens.n > st->first)
        rc = gloss__eval_spans_add(&c->sentences, c->tokens.v[st->first].start,
                                   c->tokens.v[c->tokens.n - 1].end);
    st->has_text = 0;
    return rc;
}

int gloss__conllu_read(const char *path, gloss__conllu *c, char *err,
                       size_t errlen)
{
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    sentence st = {0};
    int newpar = 0, rc = 0;
    long lineno = 0;
    while (rc == 0 && (got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        size_t len = (size_t)got;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0) {
            rc = end_sentence(c, &st);
            continue;
        }
        if (line[0] == '#') {
            if (strncmp(line, "# newdoc", 8) == 0 ||
                strncmp(line, "# newpar", 8) == 0) {
                newpar = 1;
            } else if (strncmp(line, "# text = ", 9) == 0) {
                rc = end_sentence(c, &st);
                if (c->text.len)
                    gloss__buf_adds(&c->text, newpar ? "\n\n" : " ");
                newpar = 0;
                st = (sentence){c->text.len, len - 9, 0, c->tokens.n, 0, 1};
                gloss__buf_add(&c->text, line + 9, len - 9);
            }
            continue;
        }
        if (!st.has_text) {
            snprintf(err, errlen, "%s:%ld: a token line before any '# text'",
                     path, lineno);
            rc = -1;
            break;
        }
        char *tab = strchr(line, '\t');
        char *tab2 = tab ? strchr(tab + 1, '\t') : NULL;
        if (!tab || !tab2) {
            snprintf(err, errlen, "%s:%ld: not a CoNLL-U token line", path,
                     lineno);
            rc = -1;
            break;
        }
        char *dash = memchr(line, '-', (size_t)(tab - line));
        if (memchr(line, '.', (size_t)(tab - line)))
            continue; /* an empty node has no surface */
        long id = strtol(line, NULL, 10);
        if (dash) {
            st.mwt_end = strtol(dash + 1, NULL, 10);
        } else if (id <= st.mwt_end) {
            continue; /* a word inside a multiword token */
        }
        rc = add_form(c, &st, tab + 1, (size_t)(tab2 - tab - 1));
        if (rc < 0)
            snprintf(err, errlen, "out of memory reading %s", path);
    }
    if (rc == 0 && end_sentence(c, &st) < 0)
        rc = -1;
    if (rc == 0 && c->text.oom) {
        snprintf(err, errlen, "out of memory reading %s", path);
        rc = -1;
    }
    free(line);
    fclose(f);
    if (rc < 0)
        gloss__conllu_free(c);
    return rc;
}

/* ---- scoring ------------------------------------------------------------ */

static int is_space(unsigned char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f';
}

/* squeeze[i] is the number of non-space bytes in text[0..i). */
static uint32_t *squeeze(const char *text, size_t len)
{
    uint32_t *m = malloc((len + 1) * sizeof *m);
    if (!m)
        return NULL;
    uint32_t k = 0;
    for (size_t i = 0; i < len; i++) {
        m[i] = k;
        k += !is_space((unsigned char)text[i]);
    }
    m[len] = k;
    return m;
}

static void show(FILE *out, const char *what, const char *kind,
                 const char *text, size_t len, gloss__eval_span sp)
{
    size_t a = sp.start > 40 ? sp.start - 40 : 0;
    size_t b = sp.end + 40 < len ? sp.end + 40 : len;
    while (a > 0 && ((unsigned char)text[a] & 0xC0) == 0x80)
        a--;
    while (b < len && ((unsigned char)text[b] & 0xC0) == 0x80)
        b++;
    fprintf(out, "%s %s: ", what, kind);
    for (size_t i = a; i < b; i++) {
        if (i == sp.start)
            fputs("[[", out);
        fputc(is_space((unsigned char)text[i]) ? ' ' : text[i], out);
        if (i + 1 == sp.end)
            fputs("]]", out);
    }
    fputc('\n', out);
}

/*
 * Aligns the non-space bytes of the gold text with those of the system
 * text, which differ when a normalizing stage removed or changed text
 * (repeated lines, markup). Returns, for each non-space byte of the gold
 * text, the index of the same byte among the system's, or UINT32_MAX when
 * it has no counterpart. The alignment is greedy: at a mismatch it looks
 * ahead for the nearest place where RESYNC bytes agree again, on either
 * side, which is linear when the texts are mostly equal.
 */
#define RESYNC 12
#define LOOKAHEAD 4096

static char *nonspace(const char *text, size_t len, size_t *n)
{
    char *out = malloc(len + 1);
    size_t k = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++)
        if (!is_space((unsigned char)text[i]))
            out[k++] = text[i];
    *n = k;
    return out;
}

static uint32_t *align(const char *gold, size_t glen, const char *sys,
                       size_t slen)
{
    size_t na, nb;
    char *a = nonspace(gold, glen, &na), *b = nonspace(sys, slen, &nb);
    uint32_t *map = malloc((na + 1) * sizeof *map);
    if (!a || !b || !map) {
        free(a);
        free(b);
        free(map);
        return NULL;
    }
    size_t i = 0, j = 0;
    while (i < na) {
        if (j < nb && a[i] == b[j]) {
            map[i++] = (uint32_t)j++;
            continue;
        }
        size_t d, skip_a = 0, skip_b = 0;
        for (d = 1; d <= LOOKAHEAD; d++) {
            if (i + d + RESYNC <= na && j + RESYNC <= nb &&
                memcmp(a + i + d, b + j, RESYNC) == 0) {
                skip_a = d;
                break;
            }
            if (j + d + RESYNC <= nb && i + RESYNC <= na &&
                memcmp(a + i, b + j + d, RESYNC) == 0) {
                skip_b = d;
                break;
            }
        }
        if (skip_b) {
            j += skip_b;
            continue;
        }
        if (!skip_a) {
            /* No resync in sight: take it for a changed byte. */
            map[i++] = UINT32_MAX;
            j += j < nb;
            continue;
        }
        for (size_t k = 0; k < skip_a; k++)
            map[i++] = UINT32_MAX;
    }
    map[na] = (uint32_t)nb;
    free(a);
    free(b);
    return map;
}

gloss__eval_score gloss__eval_compare(const gloss__eval_spans *gold,
                                      const char *gold_text, size_t gold_len,
                                      const gloss__eval_spans *system,
                                      const char *sys_text, size_t sys_len,
                                      const char *what, void *errors_file,
                                      long *errors)
{
    gloss__eval_score sc = {0, 0, 0};
    uint32_t *gm = squeeze(gold_text, gold_len);
    uint32_t *sm = squeeze(sys_text, sys_len);
    uint32_t *am = align(gold_text, gold_len, sys_text, sys_len);
    if (!gm || !sm || !am) {
        free(gm);
        free(sm);
        free(am);
        return sc;
    }
    FILE *out = errors_file;
    size_t g = 0, s = 0;
    for (;;) {
        /* Spans of white space only have no place in the squeezed text. */
        while (g < gold->n && gm[gold->v[g].start] == gm[gold->v[g].end])
            g++;
        while (s < system->n && sm[system->v[s].start] == sm[system->v[s].end])
            s++;
        if (g == gold->n && s == system->n)
            break;
        uint32_t gs = UINT32_MAX, ge = UINT32_MAX;
        if (g < gold->n) {
            /* A gold span whose ends have no counterpart is missed. */
            uint32_t a = am[gm[gold->v[g].start]];
            uint32_t z = am[gm[gold->v[g].end] - 1];
            if (a == UINT32_MAX || z == UINT32_MAX) {
                if (out && errors && *errors > 0) {
                    show(out, what, "lost  ", gold_text, gold_len, gold->v[g]);
                    --*errors;
                }
                sc.gold++;
                g++;
                continue;
            }
            gs = a;
            ge = z + 1;
        }
        uint32_t ss = s < system->n ? sm[system->v[s].start] : UINT32_MAX;
        uint32_t se = s < system->n ? sm[system->v[s].end] : UINT32_MAX;
        if (gs == ss && ge == se) {
            sc.correct++;
            sc.gold++;
            sc.system++;
            g++;
            s++;
        } else if (gs < ss || (gs == ss && ge < se)) {
            if (out && errors && *errors > 0) {
                show(out, what, "missed", gold_text, gold_len, gold->v[g]);
                --*errors;
            }
            sc.gold++;
            g++;
        } else {
            if (out && errors && *errors > 0) {
                show(out, what, "extra ", sys_text, sys_len, system->v[s]);
                --*errors;
            }
            sc.system++;
            s++;
        }
    }
    free(gm);
    free(sm);
    free(am);
    return sc;
}
