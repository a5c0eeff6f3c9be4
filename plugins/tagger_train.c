/*
 * tagger_train.c - reading training corpora and training a tagger: the
 * averaged perceptron, early stopping on dev, and writing the compact
 * model.
 *
 * Training makes passes over the sentences (pos) or documents (ner, whose
 * document memory needs them whole), in an order shuffled by a seeded
 * generator, decoding each with the current weights exactly as tagging
 * will (tagger_feat.c) and moving weight from the wrong label to the right
 * one at each mistake. Averaging uses the usual trick of keeping, beside
 * each weight, the sum of its updates times their time. After each pass
 * the averaged weights are quantised into the model that would be written,
 * which is scored on dev; the best pass is kept, and training stops when
 * `patience` passes in a row bring nothing better.
 *
 * Word lists come from the training data: for pos the tags each word was
 * seen with (its ambiguity class), completed by a dictionary's tags for
 * the words it lacks (--dictionary), for ner the entity phrases and the
 * types each word was part of. While learning from one sentence (pos) or
 * document (ner) its own entries are hidden from the lists, so that the
 * model learns how far to trust a list from entries it has not just seen,
 * as at test time.
 *
 * Everything is deterministic for a seed: the order comes from the seeded
 * generator, and tables are written in key order.
 */
#include "tagger_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"

/* ---- corpora ----------------------------------------------------------- */

static const char *intern(gloss__tagger_corpus *c, const char *s, size_t len)
{
    for (size_t i = 0; i < c->npool; i++)
        if (strlen(c->pool[i]) == len && memcmp(c->pool[i], s, len) == 0)
            return c->pool[i];
    if (c->npool == GLOSS__TAGGER_MAX_LABELS || len >= sizeof c->pool[0] || len == 0)
        return NULL;
    memcpy(c->pool[c->npool], s, len);
    c->pool[c->npool][len] = '\0';
    return c->pool[c->npool++];
}

static int add_tok(gloss__tagger_corpus *c, const char *s, size_t len, const char *gold)
{
    if (c->ntoks + 1 >= c->captoks) {
        size_t cap = c->captoks ? c->captoks * 2 : 4096;
        gloss__tagger_tok *t = realloc(c->toks, cap * sizeof *t);
        if (!t)
            return -1;
        c->toks = t;
        char **g = realloc(c->gold, cap * sizeof *g);
        if (!g)
            return -1;
        c->gold = g;
        size_t *sf = realloc(c->surface, cap * sizeof *sf);
        if (!sf)
            return -1;
        c->surface = sf;
        c->captoks = cap;
    }
    c->toks[c->ntoks].s = s;
    c->toks[c->ntoks].len = len;
    c->gold[c->ntoks] = (char *)gold;
    c->surface[c->ntoks] = c->ntoks;
    c->ntoks++;
    return 0;
}

/* Closes the sentence begun at the last sentinel, if it has tokens. */
static int end_sentence(gloss__tagger_corpus *c, int *new_doc)
{
    if (c->nsents + 2 >= c->capsents) {
        size_t cap = c->capsents ? c->capsents * 2 : 1024;
        size_t *s = realloc(c->sent_start, cap * sizeof *s);
        if (!s)
            return -1;
        c->sent_start = s;
        uint8_t *d = realloc(c->doc_start, cap);
        if (!d)
            return -1;
        c->doc_start = d;
        c->capsents = cap;
        if (c->nsents == 0)
            c->sent_start[0] = 0;
    }
    if (c->ntoks == c->sent_start[c->nsents])
        return 0;
    c->doc_start[c->nsents] = (uint8_t)(*new_doc || c->nsents == 0);
    *new_doc = 0;
    c->nsents++;
    c->sent_start[c->nsents] = c->ntoks;
    return 0;
}

static int read_all(const char *path, gloss__tagger_corpus *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    gloss__buf b = GLOSS__BUF_INIT;
    if (gloss__buf_read_file(&b, path) != 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        gloss__buf_free(&b);
        return -1;
    }
    size_t len = 0;
    c->owned = gloss__buf_steal(&b, &len);
    if (!c->owned)
        c->owned = calloc(1, 1);
    int nd = 1;
    if (!c->owned || end_sentence(c, &nd) != 0) {
        snprintf(err, errlen, "out of memory reading %s", path);
        return -1;
    }
    return 0;
}

int gloss__tagger_read_conllu(const char *path, gloss__tagger_corpus *c, char *err,
                              size_t errlen)
{
    if (read_all(path, c, err, errlen) != 0) {
        gloss__tagger_corpus_free(c);
        return -1;
    }
    int new_doc = 1;
    size_t lineno = 0;
    /* Surface tokens: a multiword line "4-5" makes words 4 and 5 one. */
    size_t nsurf = 0;
    long mw_last = 0;
    for (char *line = c->owned, *next; line && *line; line = next) {
        lineno++;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r')
            line[--n] = '\0';
        if (n == 0) {
            mw_last = 0;
            if (end_sentence(c, &new_doc) != 0)
                goto oom;
            continue;
        }
        if (line[0] == '#') {
            if (strncmp(line, "# newdoc", 8) == 0)
                new_doc = 1;
            continue;
        }
        char *col[4];
        char *p = line;
        int k = 0;
        for (; k < 4; k++) {
            col[k] = p;
            char *tab = strchr(p, '\t');
            if (!tab)
                break;
            *tab = '\0';
            p = tab + 1;
        }
        if (k < 3) {
            snprintf(err, errlen, "%s:%zu: not a CoNLL-U word line", path, lineno);
            gloss__tagger_corpus_free(c);
            return -1;
        }
        /* Multiword token lines (1-2) and empty nodes (1.1) carry no tag. */
        char *dash = strchr(col[0], '-');
        if (dash) {
            mw_last = strtol(dash + 1, NULL, 10);
            nsurf++;
            continue;
        }
        if (strchr(col[0], '.'))
            continue;
        long id = strtol(col[0], NULL, 10);
        const char *tag = intern(c, col[3], strlen(col[3]));
        if (!tag) {
            snprintf(err, errlen, "%s:%zu: too many or too long tags", path, lineno);
            gloss__tagger_corpus_free(c);
            return -1;
        }
        if (add_tok(c, col[1], strlen(col[1]), tag) != 0)
            goto oom;
        if (id > mw_last)
            nsurf++;
        c->surface[c->ntoks - 1] = nsurf - 1;
    }
    if (end_sentence(c, &new_doc) != 0)
        goto oom;
    return 0;
oom:
    snprintf(err, errlen, "out of memory reading %s", path);
    gloss__tagger_corpus_free(c);
    return -1;
}

/* Rewrites the IOB1/IOB2 tags of the sentence [a, b) as BILOU. */
static int to_bilou(gloss__tagger_corpus *c, size_t a, size_t b, char **raw)
{
    for (size_t i = a; i < b;) {
        const char *t = raw[i - a];
        if (t[0] == 'O' || strlen(t) < 3) {
            c->gold[i] = (char *)intern(c, "O", 1);
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < b && raw[j - a][0] == 'I' && strcmp(raw[j - a] + 1, t + 1) == 0)
            j++;
        char name[16];
        for (size_t k = i; k < j; k++) {
            char x = j - i == 1 ? 'U' : k == i ? 'B' : k + 1 == j ? 'L' : 'I';
            snprintf(name, sizeof name, "%c-%.12s", x, t + 2);
            c->gold[k] = (char *)intern(c, name, strlen(name));
            if (!c->gold[k])
                return -1;
        }
        i = j;
    }
    return 0;
}

int gloss__tagger_read_conll(const char *path, gloss__tagger_corpus *c, char *err,
                             size_t errlen)
{
    if (read_all(path, c, err, errlen) != 0) {
        gloss__tagger_corpus_free(c);
        return -1;
    }
    int new_doc = 1;
    size_t lineno = 0;
    char **raw = NULL;
    size_t nraw = 0, capraw = 0;
    for (char *line = c->owned, *next;; line = next) {
        int at_end = !line || !*line;
        char *nl = at_end ? NULL : strchr(line, '\n');
        next = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        lineno++;
        size_t n = at_end ? 0 : strlen(line);
        if (n && line[n - 1] == '\r')
            line[--n] = '\0';
        int docstart = n && strncmp(line, "-DOCSTART-", 10) == 0;
        if (n == 0 || docstart) {
            size_t a = c->sent_start[c->nsents];
            if (to_bilou(c, a, c->ntoks, raw) != 0) {
                snprintf(err, errlen, "%s:%zu: too many entity types", path, lineno);
                free(raw);
                gloss__tagger_corpus_free(c);
                return -1;
            }
            nraw = 0;
            if (end_sentence(c, &new_doc) != 0)
                goto oom;
            if (docstart)
                new_doc = 1;
            if (at_end)
                break;
            continue;
        }
        char *sp = strchr(line, ' ');
        char *last = strrchr(line, ' ');
        if (!sp || sp == line) {
            snprintf(err, errlen, "%s:%zu: not a CoNLL line (word ... tag)", path, lineno);
            free(raw);
            gloss__tagger_corpus_free(c);
            return -1;
        }
        *sp = '\0';
        if (nraw == capraw) {
            capraw = capraw ? capraw * 2 : 256;
            char **r = realloc(raw, capraw * sizeof *r);
            if (!r)
                goto oom;
            raw = r;
        }
        raw[nraw++] = last + 1;
        if (add_tok(c, line, (size_t)(sp - line), NULL) != 0)
            goto oom;
    }
    free(raw);
    return 0;
oom:
    free(raw);
    snprintf(err, errlen, "out of memory reading %s", path);
    gloss__tagger_corpus_free(c);
    return -1;
}

void gloss__tagger_corpus_free(gloss__tagger_corpus *c)
{
    free(c->toks);
    free(c->gold);
    free(c->surface);
    free(c->sent_start);
    free(c->doc_start);
    free(c->owned);
    memset(c, 0, sizeof *c);
}

/* ---- a growing map from 64-bit keys to rows of numbers ------------------ */

typedef struct map {
    uint64_t *keys; /* 0 = empty */
    uint32_t *row;
    size_t cap, n;
} map;

static uint64_t nonzero(uint64_t k) { return k ? k : 1; }

/* The row of key, or -1 (adding it when add is set; -2 when out of
 * memory). */
static long map_find(map *m, uint64_t key, int add)
{
    key = nonzero(key);
    if (add && (m->n + 1) * 10 > m->cap * 7) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        uint64_t *keys = calloc(cap, sizeof *keys);
        uint32_t *row = malloc(cap * sizeof *row);
        if (!keys || !row) {
            free(keys);
            free(row);
            return -2;
        }
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->keys[i])
                continue;
            size_t j = m->keys[i] & (cap - 1);
            while (keys[j])
                j = (j + 1) & (cap - 1);
            keys[j] = m->keys[i];
            row[j] = m->row[i];
        }
        free(m->keys);
        free(m->row);
        m->keys = keys;
        m->row = row;
        m->cap = cap;
    }
    if (!m->cap)
        return -1;
    size_t j = key & (m->cap - 1);
    while (m->keys[j]) {
        if (m->keys[j] == key)
            return m->row[j];
        j = (j + 1) & (m->cap - 1);
    }
    if (!add)
        return -1;
    m->keys[j] = key;
    m->row[j] = (uint32_t)m->n;
    return (long)m->n++;
}

static void map_free(map *m)
{
    free(m->keys);
    free(m->row);
    memset(m, 0, sizeof *m);
}

/* Word-list counts: per key, a count per label or type and a prefix count. */
#define NCOUNT (GLOSS__TAGGER_MAX_LABELS + 1)
typedef struct counts {
    map m;
    uint32_t (*c)[NCOUNT];
    size_t cap;
} counts;

static uint32_t *counts_at(counts *k, uint64_t key, int add)
{
    long r = map_find(&k->m, key, 0);
    int fresh = 0;
    if (r < 0 && add) {
        r = map_find(&k->m, key, 1);
        fresh = 1;
    }
    if (r < 0)
        return NULL;
    if ((size_t)r >= k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 1024;
        uint32_t(*c)[NCOUNT] = realloc(k->c, cap * sizeof *c);
        if (!c)
            return NULL;
        k->c = c;
        k->cap = cap;
    }
    if (fresh)
        memset(k->c[r], 0, sizeof k->c[r]);
    return k->c[r];
}

static void counts_clear(counts *k)
{
    if (k->m.keys)
        memset(k->m.keys, 0, k->m.cap * sizeof *k->m.keys);
    k->m.n = 0;
}

static void counts_free(counts *k)
{
    map_free(&k->m);
    free(k->c);
    memset(k, 0, sizeof *k);
}

/* ---- values of word forms read from files ------------------------------ */

/* A value per word form (its hash), read from a file of lines
 * "FORM<TAB>VALUE" by read_word_values. */
typedef struct word_values {
    map m;
    uint32_t *v;
} word_values;

static uint32_t word_value(const word_values *w, uint64_t key)
{
    long r = w->m.n ? map_find((map *)&w->m, key, 0) : -1;
    return r < 0 ? 0 : w->v[r];
}

static void word_values_free(word_values *w)
{
    map_free(&w->m);
    free(w->v);
    w->v = NULL;
}

/* Turns the text after the tab into a value; on error, says why in why. */
typedef int (*value_parser)(const void *ctx, const char *s, uint32_t *value, char *why,
                            size_t whylen);

/* Reads path (a file of what) into w; a later line for the same form
 * replaces the earlier. Errors name the file and line. */
static int read_word_values(word_values *w, const char *path, const char *what,
                            value_parser parse, const void *ctx, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read %s %s: %s", what, path, strerror(errno));
        return -1;
    }
    char *line = NULL, why[128];
    size_t cap = 0, lineno = 0;
    ssize_t len;
    int rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        char *tab = strchr(line, '\t');
        uint32_t value = 0;
        why[0] = 0;
        if (!tab || tab == line || parse(ctx, tab + 1, &value, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s:%zu: not a line of %s%s%s", path, lineno, what,
                     why[0] ? ": " : "", why);
            rc = -1;
            break;
        }
        uint64_t h = gloss__tg_hash(line, (size_t)(tab - line));
        long r = map_find(&w->m, h, 0);
        if (r < 0)
            r = map_find(&w->m, h, 1);
        uint32_t *v = r >= 0 ? realloc(w->v, w->m.cap * sizeof *v) : NULL;
        if (!v) {
            snprintf(err, errlen, "out of memory reading %s", path);
            rc = -1;
            break;
        }
        w->v = v;
        w->v[r] = value;
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "cannot read %s %s: %s", what, path, strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(f);
    return rc;
}

/* ---- training state ---------------------------------------------------- */

typedef struct trainer {
    gloss__tagger_kind kind;
    tg_labels labels;
    size_t L;
    map feats;
    float *w;
    double *u;
    size_t capw;
    double c; /* time: tokens seen */
    int oom;
    /* word lists, with the current document's own entries hidden (ner) */
    counts lex, phrases, doc_lex, doc_phrases;
    size_t ntypes;
    size_t correct, seen;
    word_values clu;   /* word clusters (--clusters) */
    word_values dict;  /* pos: the tags a dictionary gives (--dictionary) */
} trainer;

static void score_float(const void *ctx, const uint64_t *f, size_t n, float *scores)
{
    const trainer *t = ctx;
    memset(scores, 0, t->L * sizeof *scores);
    for (size_t i = 0; i < n; i++) {
        long r = map_find((map *)&t->feats, f[i], 0);
        if (r < 0)
            continue;
        const float *w = t->w + (size_t)r * t->L;
        for (size_t y = 0; y < t->L; y++)
            scores[y] += w[y];
    }
}

static void learn(void *ctx, const uint64_t *f, size_t n, int gold, int chosen)
{
    trainer *t = ctx;
    t->c += 1;
    t->seen++;
    if (gold == chosen) {
        t->correct++;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        long r = map_find(&t->feats, f[i], 1);
        if (r < 0) {
            t->oom = 1;
            return;
        }
        if ((size_t)r >= t->capw) {
            size_t cap = t->capw ? t->capw * 2 : 65536;
            float *w = realloc(t->w, cap * t->L * sizeof *w);
            if (w)
                t->w = w;
            double *u = realloc(t->u, cap * t->L * sizeof *u);
            if (u)
                t->u = u;
            if (!w || !u) {
                t->oom = 1;
                return;
            }
            memset(t->w + t->capw * t->L, 0, (cap - t->capw) * t->L * sizeof *w);
            memset(t->u + t->capw * t->L, 0, (cap - t->capw) * t->L * sizeof *u);
            t->capw = cap;
        }
        size_t base = (size_t)r * t->L;
        t->w[base + (size_t)gold] += 1;
        t->u[base + (size_t)gold] += t->c;
        t->w[base + (size_t)chosen] -= 1;
        t->u[base + (size_t)chosen] -= t->c;
    }
}

/* The value of a word-list key: global counts minus the document's. */
static uint32_t list_value(const counts *global, const counts *local, uint64_t key,
                           size_t nbits, int pos)
{
    uint32_t *g = counts_at((counts *)global, key, 0);
    if (!g)
        return 0;
    uint32_t *l = local ? counts_at((counts *)local, key, 0) : NULL;
    uint32_t v = 0;
    if (pos) {
        /* The ambiguity class: the tags that make at least 5% of the
         * word's uses. While training, the current sentence's own uses are
         * left out (local), so that a word seen in no other sentence has
         * no class, like a word the model never saw: counting them (or
         * keeping only words seen 5 times or more) measured 0.2 to 0.35
         * lower on dev. */
        uint32_t total = 0, c[GLOSS__TAGGER_MAX_LABELS];
        for (size_t i = 0; i < nbits; i++) {
            c[i] = g[i] - (l ? l[i] : 0);
            total += c[i];
        }
        if (total == 0)
            return 0;
        for (size_t i = 0; i < nbits && i < 31; i++)
            if (c[i] * 20 >= total)
                v |= 1u << i;
        return v | 0x80000000u;
    }
    for (size_t i = 0; i < nbits; i++)
        if (g[i] > (l ? l[i] : 0))
            v |= 1u << i;
    if (g[NCOUNT - 1] > (l ? l[NCOUNT - 1] : 0))
        v |= TG_PREFIX_BIT;
    return v;
}

typedef struct lookup_ctx {
    const trainer *t;
    int phrases;
    int hide; /* hide the current document's entries */
} lookup_ctx;

static uint32_t train_lookup(const void *ctx, uint64_t key)
{
    const lookup_ctx *k = ctx;
    const trainer *t = k->t;
    if (t->kind == GLOSS__TAGGER_POS) {
        uint32_t v = list_value(&t->lex, k->hide ? &t->doc_lex : NULL, key, t->L, 1);
        return v ? v : word_value(&t->dict, key);
    }
    if (k->phrases)
        return list_value(&t->phrases, k->hide ? &t->doc_phrases : NULL, key, t->ntypes, 0);
    return list_value(&t->lex, k->hide ? &t->doc_lex : NULL, key, t->ntypes, 0);
}

/* Adds the word-list entries of sentences [s0, s1) of c to lex/phrases. */
static int count_lists(trainer *t, const gloss__tagger_corpus *c, const uint8_t *gold,
                       size_t s0, size_t s1, counts *lex, counts *phrases)
{
    for (size_t s = s0; s < s1; s++) {
        size_t a = c->sent_start[s], b = c->sent_start[s + 1];
        for (size_t i = a; i < b; i++) {
            uint64_t w = gloss__tg_hash(c->toks[i].s, c->toks[i].len);
            if (t->kind == GLOSS__TAGGER_POS) {
                uint32_t *k = counts_at(lex, w, 1);
                if (!k)
                    return -1;
                k[gold[i]]++;
                continue;
            }
            int ty = t->labels.type[gold[i]];
            char x = t->labels.bilou[gold[i]];
            if (ty < 0)
                continue;
            uint32_t *k = counts_at(lex, w, 1);
            if (!k)
                return -1;
            k[ty]++;
            if (x != 'B' && x != 'U')
                continue;
            /* The entity's phrase and each of its proper prefixes. */
            size_t j = i;
            while (j < b && t->labels.bilou[gold[j]] != 'L' && t->labels.bilou[gold[j]] != 'U')
                j++;
            if (j - i + 1 > TG_MAX_PHRASE)
                continue;
            uint64_t h = TG_PHRASE_SEED;
            for (size_t m = i; m <= j && m < b; m++) {
                h = gloss__tg_phrase_step(h, gloss__tg_hash(c->toks[m].s, c->toks[m].len));
                uint32_t *p = counts_at(phrases, h, 1);
                if (!p)
                    return -1;
                if (m == j)
                    p[ty]++;
                else
                    p[NCOUNT - 1]++;
            }
        }
    }
    return 0;
}

/* ---- writing the compact model ------------------------------------------ */

typedef struct kept {
    uint64_t key;
    float norm;
    uint32_t row;
} kept;

static int by_norm(const void *a, const void *b)
{
    const kept *x = a, *y = b;
    if (x->norm != y->norm)
        return x->norm > y->norm ? -1 : 1;
    return x->key < y->key ? -1 : x->key > y->key;
}

static int by_key(const void *a, const void *b)
{
    const kept *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key;
}

static size_t pow2_at_least(size_t n)
{
    size_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

/* Writes (key, value in .row) pairs as a lex table section; frees v. */
static int write_pairs(gloss__model_writer *w, const char *name, kept *v, size_t n)
{
    qsort(v, n, sizeof *v, by_key);
    size_t cap = pow2_at_least(n * 4 / 3 + 2);
    unsigned char *rec = gloss__model_writer_reserve(w, name, cap * 8);
    if (!rec) {
        free(v);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        size_t j = v[i].key & (cap - 1);
        uint32_t fp = gloss__tg_fingerprint(v[i].key);
        for (;;) {
            uint32_t rk;
            memcpy(&rk, rec + j * 8, 4);
            if (!rk)
                break;
            j = (j + 1) & (cap - 1);
        }
        memcpy(rec + j * 8, &fp, 4);
        memcpy(rec + j * 8 + 4, &v[i].row, 4);
    }
    free(v);
    return 0;
}

/* Writes a word list as a lex table section. */
static int write_lex(gloss__model_writer *w, const char *name, const trainer *t,
                     const counts *k, int phrases)
{
    size_t n = 0;
    kept *v = malloc((k->m.n + 1) * sizeof *v);
    if (!v)
        return -1;
    for (size_t i = 0; i < k->m.cap; i++) {
        if (!k->m.keys[i])
            continue;
        lookup_ctx lc = {t, phrases, 0};
        uint32_t val = train_lookup(&lc, k->m.keys[i]);
        if (!val)
            continue;
        v[n].key = k->m.keys[i];
        v[n].row = val;
        n++;
    }
    /* pos: the dictionary's forms the training data lacks, so that
     * tagging finds them as training did. */
    const map *dm = &t->dict.m;
    if (!phrases && dm->n) {
        kept *g = realloc(v, (n + dm->n + 1) * sizeof *v);
        if (!g) {
            free(v);
            return -1;
        }
        v = g;
        for (size_t i = 0; i < dm->cap; i++) {
            if (!dm->keys[i] || list_value(&t->lex, NULL, dm->keys[i], t->L, 1))
                continue;
            v[n].key = dm->keys[i];
            v[n].row = t->dict.v[dm->row[i]];
            n++;
        }
    }
    return write_pairs(w, name, v, n);
}

static int write_clusters(gloss__model_writer *w, const trainer *t)
{
    size_t n = 0;
    const map *m = &t->clu.m;
    kept *v = malloc((m->n + 1) * sizeof *v);
    if (!v)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        v[n].key = m->keys[i];
        v[n].row = t->clu.v[m->row[i]];
        n++;
    }
    return write_pairs(w, "clusters", v, n);
}

static uint32_t clusters_lookup(const void *ctx, uint64_t key)
{
    const trainer *t = ctx;
    return word_value(&t->clu, key);
}

/* A line of the word clusters written by tools/gloss-clusters: the
 * numbers of the word's fine, middle and coarse clusters. */
static int parse_clusters(const void *ctx, const char *s, uint32_t *value, char *why,
                          size_t whylen)
{
    (void)ctx;
    unsigned a, b, c;
    int end = 0;
    if (sscanf(s, "%u\t%u\t%u%n", &a, &b, &c, &end) != 3 || s[end] || a > 2000 ||
        b > 2000 || c > 1000) {
        snprintf(why, whylen, "three cluster numbers (at most 2000, 2000, 1000)");
        return -1;
    }
    *value = (a + 1) | (b + 1) << 11 | (c + 1) << 22;
    return 0;
}

/* A line of a dictionary (tools/dictionary.lua): the tags the word form
 * can have, labels of the training data separated by commas, or none for a
 * word whose tags the dictionary does not know. The value has a bit of
 * its own, so that a dictionary's tags are features apart from the
 * training data's. */
#define TG_DICT_BIT 0x40000000u
static int parse_dictionary(const void *ctx, const char *s, uint32_t *value, char *why,
                            size_t whylen)
{
    const trainer *t = ctx;
    uint32_t bits = TG_DICT_BIT;
    while (*s) {
        size_t len = strcspn(s, ",");
        size_t y = 0;
        while (y < t->L && (strlen(t->labels.name[y]) != len ||
                            memcmp(t->labels.name[y], s, len) != 0))
            y++;
        if (y == t->L || y >= 30) {
            snprintf(why, whylen, "%.*s is not %s", (int)(len < 32 ? len : 32), s,
                     y == t->L ? "a tag of the training data" : "among its first 30 tags");
            return -1;
        }
        bits |= 1u << y;
        s += len + (s[len] == ',');
    }
    *value = bits;
    return 0;
}

/* A first pass's table, kept for a second pass's model. */
typedef struct first_pass {
    void *weights;
    size_t size;
    double scale;
} first_pass;

/* Builds the model from the averaged weights (the second pass's, after
 * fp's, when fp is not NULL); NULL when memory runs out. */
static unsigned char *build_model(trainer *t, const gloss__tagger_train_opts *o,
                                  const first_pass *fp, size_t *len)
{
    size_t L = t->L, n = t->feats.n;
    float *avg = malloc((n ? n : 1) * L * sizeof *avg);
    kept *v = malloc((n ? n : 1) * sizeof *v);
    gloss__model_writer *w = gloss__model_writer_new(
        o->kind == GLOSS__TAGGER_POS ? "pos" : "ner", GLOSS__TAGGER_VERSION);
    unsigned char *bytes = NULL;
    if (!avg || !v || !w)
        goto done;
    float maxabs = 0;
    size_t nv = 0;
    for (size_t i = 0; i < t->feats.cap; i++) {
        if (!t->feats.keys[i])
            continue;
        size_t r = t->feats.row[i];
        float norm = 0;
        for (size_t y = 0; y < L; y++) {
            float a = (float)(t->w[r * L + y] - t->u[r * L + y] / t->c);
            avg[r * L + y] = a;
            norm = fmaxf(norm, fabsf(a));
        }
        maxabs = fmaxf(maxabs, norm);
        v[nv].key = t->feats.keys[i];
        v[nv].norm = norm;
        v[nv].row = (uint32_t)r;
        nv++;
    }
    if (maxabs <= 0)
        maxabs = 1;
    double scale = maxabs / (127.0 * (1 << TG_MAX_SHIFT));
    /* Features whose weights all round to nothing are dropped; then as
     * many of the strongest as fit the size budget (a table at most half
     * full: most lookups while tagging are of features the model does not
     * have, and at 3/4 such a lookup read 8 records on average, at 1/2
     * 2.5) are kept. */
    qsort(v, nv, sizeof *v, by_norm);
    while (nv && v[nv - 1].norm < scale * 0.5)
        nv--;
    size_t stride = gloss__tg_stride(L);
    size_t rec_bytes = stride;
    size_t lex_bytes = 0;
    if (t->lex.m.n)
        lex_bytes += pow2_at_least((t->lex.m.n + t->dict.m.n) * 4 / 3 + 2) * 8;
    if (t->phrases.m.n)
        lex_bytes += pow2_at_least(t->phrases.m.n * 4 / 3 + 2) * 8;
    if (t->clu.m.n)
        lex_bytes += pow2_at_least(t->clu.m.n * 4 / 3 + 2) * 8;
    size_t cap = pow2_at_least(nv * 2 + 2);
    size_t budget = o->max_bytes - (fp ? fp->size : 0);
    if (o->stacked && !fp)
        budget = (o->max_bytes - lex_bytes) / 2 + lex_bytes;
    while (cap > 1024 && cap * rec_bytes + lex_bytes + 4096 > budget)
        cap >>= 1;
    if (nv > cap / 2)
        nv = cap / 2;
    qsort(v, nv, sizeof *v, by_key);
    char cfg[512];
    if (fp)
        snprintf(cfg, sizeof cfg,
                 "{\"name\": \"%s\", \"features\": \"%s\", \"passes\": 2, "
                 "\"scale\": %.9g, \"scale2\": %.9g, \"features_kept2\": %zu}\n",
                 o->name, o->kind == GLOSS__TAGGER_POS ? TG_FEATURES_POS : TG_FEATURES_NER,
                 fp->scale, scale, nv);
    else
        snprintf(cfg, sizeof cfg,
                 "{\"name\": \"%s\", \"features\": \"%s\", \"passes\": 1, "
                 "\"scale\": %.9g, \"features_kept\": %zu}\n",
                 o->name, o->kind == GLOSS__TAGGER_POS ? TG_FEATURES_POS : TG_FEATURES_NER,
                 scale, nv);
    gloss__buf lb = GLOSS__BUF_INIT;
    for (size_t y = 0; y < L; y++)
        gloss__buf_printf(&lb, "%s\n", t->labels.name[y]);
    int bad = lb.oom || gloss__model_writer_add(w, "config", cfg, strlen(cfg)) != 0 ||
              gloss__model_writer_add(w, "labels", lb.data, lb.len) != 0;
    gloss__buf_free(&lb);
    if (!bad && fp)
        bad = gloss__model_writer_add(w, "weights", fp->weights, fp->size) != 0;
    unsigned char *rec = bad ? NULL
                             : gloss__model_writer_reserve(w, fp ? "weights2" : "weights",
                                                           cap * rec_bytes);
    if (!rec)
        goto done;
    for (size_t i = 0; i < nv; i++) {
        uint32_t key = gloss__tg_fingerprint(v[i].key);
        size_t j = v[i].key & (cap - 1);
        for (;;) {
            uint32_t rk;
            memcpy(&rk, rec + j * stride, 4);
            if (!rk)
                break;
            j = (j + 1) & (cap - 1);
        }
        memcpy(rec + j * stride, &key, 4);
        /* The smallest shift that brings the feature's largest weight
         * within int8. */
        const float *a = avg + (size_t)v[i].row * L;
        double units = v[i].norm / scale;
        int shift = 0;
        while (shift < TG_MAX_SHIFT && units / (double)(1 << shift) > 127.0)
            shift++;
        rec[j * stride + 4] = (unsigned char)shift;
        for (size_t y = 0; y < L; y++) {
            double q = round(a[y] / scale / (double)(1 << shift));
            rec[j * stride + 5 + y] = (unsigned char)(int8_t)(q > 127 ? 127 : q < -127 ? -127 : q);
        }
    }
    if (t->lex.m.n && write_lex(w, "lexicon", t, &t->lex, 0) != 0)
        goto done;
    if (t->phrases.m.n && write_lex(w, "phrases", t, &t->phrases, 1) != 0)
        goto done;
    if (t->clu.m.n && write_clusters(w, t) != 0)
        goto done;
    bytes = gloss__model_writer_bytes(w, len);
done:
    free(avg);
    free(v);
    gloss__model_writer_free(w);
    return bytes;
}

/* ---- the training loop --------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static double dev_score(const gloss__tagger_counts *k, gloss__tagger_kind kind)
{
    if (kind == GLOSS__TAGGER_POS)
        return k->tokens ? 100.0 * (double)k->correct / (double)k->tokens : 0;
    size_t g = 0, s = 0, h = 0;
    for (size_t i = 0; i < k->ntypes; i++) {
        g += k->gold[i];
        s += k->sys[i];
        h += k->hit[i];
    }
    return g + s ? 200.0 * (double)h / (double)(g + s) : 0;
}

static void reset_weights(trainer *t)
{
    map_free(&t->feats);
    free(t->w);
    free(t->u);
    t->w = NULL;
    t->u = NULL;
    t->capw = 0;
    t->c = 0;
}

/* Turns the weights into their averages, for tagging with them. */
static void average_in_place(trainer *t)
{
    for (size_t i = 0; i < t->feats.n * t->L; i++) {
        t->w[i] = (float)(t->w[i] - t->u[i] / (t->c > 0 ? t->c : 1));
        t->u[i] = 0;
    }
}

/* What one training run needs besides the trainer. */
typedef struct run {
    const gloss__tagger_corpus *train;
    const uint8_t *gold;
    const size_t *units; /* first sentence of each unit */
    size_t nunits;
    tg_decoder *d;
    gloss__tagger_doc *doc;
    const uint8_t *first; /* a second pass: the first's labels of train */
    uint8_t *out;         /* where tagging (learn off) writes, per token */
} run;

/* The sentences [*s0, *s1) of unit u. */
static void unit_range(const run *r, trainer *t, size_t u, size_t *s0, size_t *s1)
{
    *s0 = r->units[u];
    *s1 = *s0 + 1;
    if (t->kind == GLOSS__TAGGER_NER)
        while (*s1 < r->train->nsents && !r->train->doc_start[*s1])
            (*s1)++;
}

/* Decodes unit u: learning from it when r->d->learn is set, writing its
 * labels to r->out otherwise. Returns -1 when memory runs out. */
static int do_unit(const run *r, trainer *t, size_t u)
{
    const gloss__tagger_corpus *c = r->train;
    size_t s0, s1;
    unit_range(r, t, u, &s0, &s1);
    uint8_t buf[TG_MAX_SENT];
    gloss__tagger_doc *doc = t->kind == GLOSS__TAGGER_NER ? r->doc : NULL;
    if (!doc) {
        /* pos: the sentence's own words are hidden from the ambiguity
         * classes while learning from it. */
        counts_clear(&t->doc_lex);
        counts_clear(&t->doc_phrases);
        if (count_lists(t, c, r->gold, s0, s1, &t->doc_lex, &t->doc_phrases) != 0)
            return -1;
    }
    if (doc) {
        gloss__tagger_doc_reset(doc);
        counts_clear(&t->doc_lex);
        counts_clear(&t->doc_phrases);
        if (count_lists(t, c, r->gold, s0, s1, &t->doc_lex, &t->doc_phrases) != 0)
            return -1;
        size_t a = c->sent_start[s0], b = c->sent_start[s1];
        if (r->first &&
            gloss__tg_memo_fill(&doc->agg, &t->labels, c->toks + a, b - a, r->first + a) != 0)
            return -1;
    }
    for (size_t s = s0; s < s1; s++) {
        size_t a = c->sent_start[s], n = c->sent_start[s + 1] - a;
        for (size_t p = 0; p < n; p += TG_MAX_SENT) {
            size_t k = n - p < TG_MAX_SENT ? n - p : TG_MAX_SENT;
            gloss__tg_decode(r->d, doc, c->toks + a + p, k, r->gold + a + p,
                             r->first ? r->first + a + p : NULL,
                             r->d->learn ? buf : r->out + a + p, NULL);
        }
        if (t->oom)
            return -1;
    }
    return 0;
}

static void shuffle(size_t *v, size_t n, uint64_t *rng)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rng_next(rng) % i);
        size_t x = v[i - 1];
        v[i - 1] = v[j];
        v[j] = x;
    }
}

/* Trains passes over the units with early stopping on dev; *best gets the
 * best model's bytes and *best_it its pass. Returns 0 or -1 (message in
 * err). */
static int train_passes(trainer *t, run *r, const gloss__tagger_corpus *dev,
                        const gloss__tagger_train_opts *o, const first_pass *fp,
                        const char *path, uint64_t *rng, unsigned char **best,
                        size_t *best_len, unsigned *best_it, double *best_score,
                        char *err, size_t errlen)
{
    size_t *order = malloc((r->nunits + 1) * sizeof *order);
    if (!order)
        goto oom;
    memcpy(order, r->units, r->nunits * sizeof *order);
    const size_t *units = r->units;
    r->units = order;
    unsigned since_best = 0;
    *best_score = -1;
    for (unsigned it = 1; it <= o->iterations; it++) {
        clock_t start = clock();
        shuffle(order, r->nunits, rng);
        t->correct = t->seen = 0;
        for (size_t u = 0; u < r->nunits; u++)
            if (do_unit(r, t, u) != 0) {
                r->units = units;
                free(order);
                goto oom;
            }
        size_t len = 0;
        unsigned char *bytes = build_model(t, o, fp, &len);
        if (!bytes) {
            r->units = units;
            free(order);
            goto oom;
        }
        gloss__tagger_counts k;
        memset(&k, 0, sizeof k);
        double score = 0;
        if (dev && dev->nsents) {
            gloss__model *m = gloss__model_from_memory(bytes, len, path, NULL, 1, err, errlen);
            gloss__tagger *tg = m ? gloss__tagger_from_model(m, o->kind, err, errlen) : NULL;
            if (!tg) {
                free(bytes);
                r->units = units;
                free(order);
                return -1;
            }
            gloss__tagger_score(tg, dev, &k);
            gloss__tagger_close(tg);
            score = dev_score(&k, o->kind);
        }
        int better = score > *best_score;
        if (better) {
            free(*best);
            *best = bytes;
            *best_len = len;
            *best_score = score;
            *best_it = it;
            since_best = 0;
        } else {
            free(bytes);
            since_best++;
        }
        if (o->progress)
            fprintf(stderr,
                    "%s pass, iteration %2u: train %.2f%%, dev %s %.2f%s, %zu features, "
                    "%.1f MB, %.1f s\n",
                    fp ? "second" : "first", it,
                    t->seen ? 100.0 * (double)t->correct / (double)t->seen : 0.0,
                    o->kind == GLOSS__TAGGER_POS ? "accuracy" : "F1", score,
                    better ? " (best)" : "", t->feats.n, (double)len / 1e6,
                    (double)(clock() - start) / CLOCKS_PER_SEC);
        if (since_best >= o->patience)
            break;
    }
    r->units = units;
    free(order);
    return 0;
oom:
    snprintf(err, errlen, "out of memory training %s", path);
    return -1;
}

/* The first pass's labels of every training token, each unit tagged by a
 * model trained on the other folds (so they are as wrong as on new text). */
#define FOLDS 5
static int jackknife(trainer *t, run *r, unsigned iterations, uint64_t *rng,
                     uint8_t *first)
{
    size_t *in = malloc((r->nunits + 1) * sizeof *in);
    size_t *out = malloc((r->nunits + 1) * sizeof *out);
    int rc = -1;
    if (!in || !out)
        goto done;
    const size_t *units = r->units;
    size_t nunits = r->nunits;
    for (size_t f = 0; f < FOLDS; f++) {
        size_t ni = 0, no = 0;
        for (size_t u = 0; u < nunits; u++) {
            if (u % FOLDS == f)
                out[no++] = units[u];
            else
                in[ni++] = units[u];
        }
        reset_weights(t);
        r->units = in;
        r->nunits = ni;
        for (unsigned it = 0; it < iterations; it++) {
            shuffle(in, ni, rng);
            for (size_t u = 0; u < ni; u++)
                if (do_unit(r, t, u) != 0)
                    goto restore;
        }
        average_in_place(t);
        tg_learn_fn learn = r->d->learn;
        r->d->learn = NULL;
        r->units = out;
        r->nunits = no;
        r->out = first;
        int bad = 0;
        for (size_t u = 0; u < no && !bad; u++)
            bad = do_unit(r, t, u) != 0;
        r->d->learn = learn;
        if (bad)
            goto restore;
    }
    rc = 0;
restore:
    r->units = units;
    r->nunits = nunits;
done:
    free(in);
    free(out);
    return rc;
}

/* Copies the first-pass weights and scale out of a model's bytes. */
static int keep_first_pass(const unsigned char *bytes, size_t len, first_pass *fp)
{
    char err[256];
    gloss__model *m = gloss__model_from_memory(bytes, len, "first pass", NULL, 1, err,
                                               sizeof err);
    if (!m)
        return -1;
    size_t size = 0;
    const void *w = gloss__model_section(m, "weights", &size);
    const char *cfg = gloss__model_section(m, "config", NULL);
    const char *sc = cfg ? strstr(cfg, "\"scale\": ") : NULL;
    fp->weights = w ? malloc(size ? size : 1) : NULL;
    if (fp->weights) {
        memcpy(fp->weights, w, size);
        fp->size = size;
        fp->scale = sc ? strtod(sc + 9, NULL) : 0;
    }
    gloss__model_close(m);
    return fp->weights && fp->scale > 0 ? 0 : -1;
}

int gloss__tagger_train(const gloss__tagger_corpus *train,
                        const gloss__tagger_corpus *dev,
                        const gloss__tagger_train_opts *o, const char *path,
                        double *best_score, char *err, size_t errlen)
{
    trainer t = {.kind = o->kind};
    uint8_t *gold = NULL, *first = NULL;
    size_t *units = NULL, nunits = 0;
    unsigned char *best = NULL;
    size_t best_len = 0;
    unsigned best_it = 0;
    first_pass fp = {0};
    int rc = -1;
    gloss__tagger_doc *doc = gloss__tagger_doc_new();

    /* The label set: every label of the training data, sorted. */
    const char *names[GLOSS__TAGGER_MAX_LABELS];
    size_t nl = train->npool;
    for (size_t i = 0; i < nl; i++)
        names[i] = train->pool[i];
    qsort(names, nl, sizeof names[0], by_name);
    t.labels.n = nl;
    for (size_t i = 0; i < nl; i++)
        t.labels.name[i] = names[i];
    t.L = nl;
    if (nl < 2 || gloss__tg_labels_init(&t.labels, o->kind) != 0) {
        snprintf(err, errlen, "the training data has %s", nl < 2 ? "fewer than two labels"
                                                                 : "labels that are not entity types");
        goto done;
    }
    t.ntypes = t.labels.ntypes;
    gold = malloc(train->ntoks + 1);
    units = malloc((train->nsents + 1) * sizeof *units);
    if (!gold || !units || !doc)
        goto oom;
    for (size_t i = 0; i < train->ntoks; i++) {
        size_t y = 0;
        while (y < nl && strcmp(names[y], train->gold[i]) != 0)
            y++;
        gold[i] = (uint8_t)y;
    }
    /* Units of shuffling: sentences for pos, documents for ner. */
    for (size_t s = 0; s < train->nsents; s++)
        if (o->kind == GLOSS__TAGGER_POS || train->doc_start[s])
            units[nunits++] = s;
    if (count_lists(&t, train, gold, 0, train->nsents, &t.lex, &t.phrases) != 0)
        goto oom;
    if (o->clusters && read_word_values(&t.clu, o->clusters, "word clusters",
                                        parse_clusters, NULL, err, errlen) != 0)
        goto done;
    if (o->dictionary && o->kind != GLOSS__TAGGER_POS) {
        snprintf(err, errlen, "a dictionary is for pos models only");
        goto done;
    }
    if (o->dictionary && read_word_values(&t.dict, o->dictionary, "a dictionary",
                                          parse_dictionary, &t, err, errlen) != 0)
        goto done;

    lookup_ctx lex_ctx = {&t, 0, 1}, phrase_ctx = {&t, 1, 1};
    tg_decoder d = {
        .kind = o->kind,
        .labels = &t.labels,
        .lex = {train_lookup, &lex_ctx},
        .phrase = {o->kind == GLOSS__TAGGER_NER ? train_lookup : NULL, &phrase_ctx},
        .clusters = {t.clu.m.n ? clusters_lookup : NULL, &t},
        .score = score_float,
        .score_ctx = &t,
        .learn = learn,
        .learn_ctx = &t,
        .scale = 1.0f,
    };
    run r = {train, gold, units, nunits, &d, doc, NULL, NULL};
    uint64_t rng = o->seed;
    if (train_passes(&t, &r, dev, o, NULL, path, &rng, &best, &best_len, &best_it,
                     best_score, err, errlen) != 0)
        goto done;
    if (o->stacked) {
        if (keep_first_pass(best, best_len, &fp) != 0)
            goto oom;
        first = malloc(train->ntoks + 1);
        if (!first)
            goto oom;
        if (o->progress)
            fprintf(stderr, "first-pass labels of the training data, %d folds of %u "
                            "iterations...\n", FOLDS, best_it);
        if (jackknife(&t, &r, best_it, &rng, first) != 0)
            goto oom;
        reset_weights(&t);
        r.first = first;
        free(best);
        best = NULL;
        if (train_passes(&t, &r, dev, o, &fp, path, &rng, &best, &best_len, &best_it,
                         best_score, err, errlen) != 0)
            goto done;
    }
    if (!best)
        goto oom;
    {
        /* The best pass's sections go through the container's writer,
         * which writes them atomically. */
        gloss__model *m = gloss__model_from_memory(best, best_len, path, NULL, 1, err, errlen);
        if (!m)
            goto done;
        gloss__model_writer *w = gloss__model_writer_new(gloss__model_kind(m), GLOSS__TAGGER_VERSION);
        int bad = !w;
        for (uint32_t i = 0; !bad && i < gloss__model_section_count(m); i++) {
            const char *name = gloss__model_section_name(m, i);
            size_t n = 0;
            const void *p = gloss__model_section(m, name, &n);
            bad = gloss__model_writer_add(w, name, p, n) != 0;
        }
        gloss__model_close(m);
        if (bad) {
            gloss__model_writer_free(w);
            goto oom;
        }
        rc = gloss__model_writer_write(w, path, err, errlen);
        gloss__model_writer_free(w);
    }
    goto done;
oom:
    snprintf(err, errlen, "out of memory training %s", path);
done:
    free(best);
    free(gold);
    free(first);
    free(units);
    free(fp.weights);
    map_free(&t.feats);
    free(t.w);
    free(t.u);
    counts_free(&t.lex);
    counts_free(&t.phrases);
    counts_free(&t.doc_lex);
    counts_free(&t.doc_phrases);
    word_values_free(&t.clu);
    word_values_free(&t.dict);
    gloss__tagger_doc_free(doc);
    return rc;
}
