/*
 * tagger_feat.c - features and greedy decoding, shared by tagging and
 * training (see tagger_internal.h).
 *
 * Each token is first reduced to hashes (its form, lower-cased form with
 * digits as 0, shape, prefixes and suffixes) and word-list bits; the
 * features of a position combine those of a window of two tokens either
 * side. Features are 64-bit hashes of (template, values), so no string is
 * built while tagging. The decoder then walks the sentence left to right:
 * the two labels already chosen are features of the next decision, and for
 * ner the labels must form valid BILOU sequences, and the document memory
 * (the label an earlier mention of the same capitalised word received)
 * is one more feature. The best label is found four lanes at a time.
 */
#include "tagger_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

uint64_t gloss__tg_hash(const char *s, size_t len)
{
    return gloss__fnv1a64(GLOSS__FNV_BASIS, s, len);
}

uint32_t gloss__tg_lex_get(const void *table, uint64_t key)
{
    const tg_lex_table *t = table;
    if (!t->rec)
        return 0;
    uint32_t fp = gloss__tg_fingerprint(key);
    for (size_t i = key & t->mask, k = 0; k <= t->mask; k++, i = (i + 1) & t->mask) {
        const unsigned char *r = t->rec + i * 8;
        uint32_t rk;
        memcpy(&rk, r, 4);
        if (rk == fp) {
            uint32_t v;
            memcpy(&v, r + 4, 4);
            return v;
        }
        if (rk == 0)
            return 0;
    }
    return 0;
}

static int allowed_slow(const tg_labels *l, int prev, int cur, int last)
{
    char pb = prev < 0 ? 'O' : l->bilou[prev], cb = l->bilou[cur];
    if (pb == 'B' || pb == 'I') {
        if (cb != 'I' && cb != 'L')
            return 0;
        return l->type[prev] == l->type[cur];
    }
    if (cb == 'I' || cb == 'L')
        return 0;
    if (last && cb == 'B')
        return 0;
    return 1;
}

int gloss__tg_labels_init(tg_labels *l, gloss__tagger_kind kind)
{
    l->ntypes = 0;
    for (size_t i = 0; i < l->n; i++) {
        l->bilou[i] = 0;
        l->type[i] = -1;
        if (kind != GLOSS__TAGGER_NER)
            continue;
        const char *s = l->name[i];
        if (strcmp(s, "O") == 0) {
            l->bilou[i] = 'O';
            continue;
        }
        if (!strchr("BILU", s[0]) || s[0] == '\0' || s[1] != '-' || !s[2] ||
            strlen(s + 2) >= sizeof l->types[0])
            return -1;
        l->bilou[i] = s[0];
        size_t t = 0;
        while (t < l->ntypes && strcmp(l->types[t], s + 2) != 0)
            t++;
        if (t == l->ntypes) {
            if (l->ntypes == TG_MAX_TYPES)
                return -1;
            strcpy(l->types[l->ntypes++], s + 2);
        }
        l->type[i] = (int8_t)t;
    }
    for (int p = -1; p < (int)l->n; p++) {
        l->allow_mask[p + 1][0] = l->allow_mask[p + 1][1] = 0;
        for (size_t c = 0; c < l->n; c++) {
            l->allow[p + 1][c] = (uint8_t)(kind != GLOSS__TAGGER_NER
                                               ? 3
                                               : allowed_slow(l, p, (int)c, 0) |
                                                     allowed_slow(l, p, (int)c, 1) << 1);
            for (int last = 0; last < 2; last++)
                l->allow_mask[p + 1][last] |= (uint64_t)((l->allow[p + 1][c] >> last) & 1) << c;
        }
    }
    return 0;
}

/* ---- tokens ------------------------------------------------------------ */

enum {
    F_INITCAP = 1, F_ALLCAPS = 2, F_DIGIT = 4, F_HYPHEN = 8, F_ALLDIGIT = 16,
    F_PERIOD = 32, F_FIRST = 64, F_CAPSENT = 128, F_LOWER = 256, F_TITLESENT = 512,
};

static char shape_class(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return 'X';
    if (c >= 'a' && c <= 'z')
        return 'x';
    if (c >= '0' && c <= '9')
        return 'd';
    if (c >= 0x80)
        return 'u';
    return (char)c;
}

static void describe(const gloss__tagger_tok *t, tg_tok *o)
{
    char low[64], shape[16];
    size_t n = t->len < sizeof low ? t->len : sizeof low;
    size_t ns = 0, letters = 0, upper = 0, digits = 0;
    uint32_t f = 0;
    for (size_t i = 0; i < t->len; i++) {
        unsigned char c = (unsigned char)t->s[i];
        char k = shape_class(c);
        if (ns == 0 || (shape[ns - 1] != k && ns < sizeof shape))
            shape[ns++] = k;
        letters += k == 'X' || k == 'x';
        upper += k == 'X';
        digits += k == 'd';
        if (c == '-')
            f |= F_HYPHEN;
        if (c == '.')
            f |= F_PERIOD;
        if (i < n)
            low[i] = k == 'X' ? (char)(c | 0x20) : k == 'd' ? '0' : (char)c;
    }
    if (t->len && shape_class((unsigned char)t->s[0]) == 'X')
        f |= F_INITCAP;
    if (letters && upper == letters)
        f |= F_ALLCAPS;
    if (letters && upper == 0)
        f |= F_LOWER;
    if (digits)
        f |= F_DIGIT;
    if (digits && digits == t->len)
        f |= F_ALLDIGIT;
    o->flags = f;
    o->w = gloss__tg_hash(t->s, t->len);
    o->l = gloss__tg_hash(low, n);
    o->shape = gloss__tg_hash(shape, ns);
    /* Prefixes are the states of hashing the word forwards, suffixes of
     * hashing it backwards: one pass over at most four bytes each. */
    uint64_t hp = GLOSS__FNV_BASIS, hs = GLOSS__FNV_BASIS;
    for (size_t k = 0; k < TG_AFFIXES; k++) {
        if (k < n) {
            hp = (hp ^ (unsigned char)low[k]) * 0x100000001b3ull;
            hs = (hs ^ (unsigned char)low[n - 1 - k]) * 0x100000001b3ull;
        }
        o->pre[k] = hp ^ 0x1111;
        o->suf[k] = hs ^ 0x2222;
    }
    o->amb = o->gaz = o->lex = 0;
}

/* The hash of the title-cased form ("india" as "India", "ASIA" as
 * "Asia"): a proper noun written in lower or upper case is still found in
 * the word lists under its usual spelling. */
static uint64_t title_hash(const gloss__tagger_tok *t)
{
    char title[64];
    size_t n = t->len < sizeof title ? t->len : sizeof title;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t->s[i];
        title[i] = (char)(i == 0 ? (c >= 'a' && c <= 'z' ? c - 32 : c)
                                 : (c >= 'A' && c <= 'Z' ? c | 0x20 : c));
    }
    return gloss__tg_hash(title, n);
}

void gloss__tg_describe(const tg_decoder *d, const gloss__tagger_tok *t, tg_tok *o)
{
    describe(t, o);
    o->amb = o->lex = d->lex.get ? d->lex.get(d->lex.ctx, o->w) : 0;
    o->lamb = d->kind == GLOSS__TAGGER_POS && d->lex.get && o->l != o->w
                  ? d->lex.get(d->lex.ctx, o->l)
                  : o->amb;
    o->tamb = o->amb;
    if (d->kind == GLOSS__TAGGER_POS && d->lex.get) {
        uint64_t title = title_hash(t);
        if (title != o->w)
            o->tamb = d->lex.get(d->lex.ctx, title);
    }
    o->clu = d->clusters.get ? d->clusters.get(d->clusters.ctx, o->w) : 0;
    o->phrase1 = d->phrase.get ? d->phrase.get(d->phrase.ctx,
                                               gloss__tg_phrase_step(TG_PHRASE_SEED, o->w))
                               : 0;
}

uint32_t gloss__tg_context(const tg_tok *t)
{
    return (t->flags & (F_FIRST | F_CAPSENT | F_TITLESENT)) | t->gaz << 16;
}

int gloss__tg_is_first(const tg_tok *t)
{
    return (t->flags & F_FIRST) != 0;
}

/* ner: marks tokens covered by gazetteer phrases (longest match first):
 * gaz bits 0-7 "begins a phrase of type t", bits 8-15 "inside one". */
static void match_phrases(const tg_decoder *d, tg_tok *tk, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint64_t h = TG_PHRASE_SEED;
        size_t best = 0;
        uint32_t best_types = 0;
        for (size_t j = i; j < n && j - i < TG_MAX_PHRASE; j++) {
            h = gloss__tg_phrase_step(h, tk[j].w);
            uint32_t v = j == i ? tk[i].phrase1 : d->phrase.get(d->phrase.ctx, h);
            if (v & 0xffu) {
                best = j - i + 1;
                best_types = v & 0xffu;
            }
            if (!(v & TG_PREFIX_BIT))
                break;
        }
        if (!best) {
            i++;
            continue;
        }
        tk[i].gaz |= best_types;
        for (size_t j = i + 1; j < i + best; j++)
            tk[j].gaz |= best_types << 8;
        i += best;
    }
}

/* ---- features ---------------------------------------------------------- */

#define T(id) (0x9e3779b97f4a7c15ull * (uint64_t)(id))
#define F1(id, a) gloss__tg_mix(T(id), (a))
#define F2(id, a, b) gloss__tg_mix(gloss__tg_mix(T(id), (a)), (b))

const tg_tok gloss__tg_pad_before = {.w = 11, .l = 11, .shape = 11};
const tg_tok gloss__tg_pad_after = {.w = 13, .l = 13, .shape = 13};

/* The letters of a neighbour: capitalised, all capitals, digits, hyphen,
 * lower case; first of the sentence. */
static inline uint32_t neighbour_flags(const tg_tok *t)
{
    return t->flags & (F_INITCAP | F_ALLCAPS | F_DIGIT | F_HYPHEN | F_LOWER | F_FIRST);
}

/* The features of a neighbour (near_features: one away, far_features:
 * two) on side b (0 before, 1 after; each side has its own template
 * numbers, those of the first feature set kept). Written once for both
 * sides and inlined into each case with b a constant, so that the
 * templates' hashes are folded when compiling, not made per feature. */
static inline __attribute__((always_inline)) size_t
near_features(const tg_tok *t, int pos, int clu, uint64_t b, uint64_t *f)
{
    size_t k = 0;
    uint32_t fine = t->clu & 0x7ffu, mid = t->clu & (0x7ffu << 11), coarse = t->clu >> 22;
    uint32_t nflags = neighbour_flags(t);
    f[k++] = F1(13 + 2 * b, t->l);
    f[k++] = F1(17 + b, t->suf[2]);
    f[k++] = F1(19 + b, t->shape);
    f[k++] = F1(120 + b, nflags);
    f[k++] = F1(122 + b, t->suf[0]);
    f[k++] = F1(124 + b, t->suf[3]);
    if (clu) {
        f[k++] = F1(73 + b, fine);
        f[k++] = F1(75 + b, mid);
        f[k++] = F1(126 + b, coarse);
    }
    if (pos) {
        f[k++] = F1(26 - b, t->amb);
        f[k++] = F1(128 + b, t->lamb);
        f[k++] = F1(84 - b, t->w);
    } else {
        f[k++] = F2(202 + b, coarse, nflags);
        f[k++] = F1(34 + b, t->w);
        f[k++] = F1(42 + b, t->gaz);
        f[k++] = F1(47 - b, t->lex);
    }
    return k;
}

static inline __attribute__((always_inline)) size_t
far_features(const tg_tok *t, int pos, int clu, uint64_t b, uint64_t *f)
{
    size_t k = 0;
    uint32_t fine = t->clu & 0x7ffu, mid = t->clu & (0x7ffu << 11);
    uint32_t nflags = neighbour_flags(t);
    f[k++] = F1(14 + 2 * b, t->l);
    if (clu) {
        f[k++] = F1(77 + b, mid);
        f[k++] = F1(130 + b, fine);
    }
    if (pos)
        f[k++] = F1(132 + b, t->amb);
    else {
        f[k++] = F1(49 + b, t->w);
        f[k++] = F1(208 + b, t->gaz);
        f[k++] = F1(210 + b, t->lex);
        f[k++] = F1(212 + b, nflags);
    }
    return k;
}

/* The features of one token t seen from the token being tagged at offset
 * off (-2 to 2): they depend on that token alone (its hashes, flags and
 * word-list bits), so tagging can sum their weights once per word type
 * and offset and keep the sums (tagger_cache.c). That makes them nearly free
 * while tagging, hence many of them. */
size_t gloss__tg_token_features(const tg_decoder *d, const tg_tok *t, int off, uint64_t *f)
{
    size_t k = 0;
    int pos = d->kind == GLOSS__TAGGER_POS, clu = d->clusters.get != NULL;
    uint32_t fine = t->clu & 0x7ffu, mid = t->clu & (0x7ffu << 11), coarse = t->clu >> 22;
    switch (off) {
    case 0: {
        uint32_t fl = t->flags & ~(uint32_t)(F_CAPSENT | F_TITLESENT);
        f[k++] = F1(1, 0);
        f[k++] = F1(2, t->w);
        f[k++] = F1(3, t->l);
        f[k++] = F1(4, t->shape);
        for (int j = 0; j < 4; j++)
            f[k++] = F1(5 + j, t->pre[j]);
        for (int j = 0; j < TG_AFFIXES; j++)
            f[k++] = F1(100 + j, t->suf[j]);
        f[k++] = F1(23, fl);
        f[k++] = F2(28, t->shape, (t->flags & F_FIRST) != 0);
        if (clu) {
            f[k++] = F1(70, fine);
            f[k++] = F1(71, mid);
            f[k++] = F1(72, coarse);
        }
        if (pos) {
            f[k++] = F1(24, t->amb);
            /* The tags of the lower-cased form, alone and with the
             * capitals: "Apple" and "apple". */
            f[k++] = F1(110, t->lamb);
            f[k++] = F2(111, t->lamb, t->flags & (F_INITCAP | F_FIRST | F_ALLCAPS));
            /* The tags of the title-cased form, new in pos-3: +0.08 UPOS
             * on EWT dev (the same features of the neighbours measured
             * 0.1 lower). */
            f[k++] = F1(112, t->tamb);
            f[k++] = F2(113, t->tamb, t->flags & (F_INITCAP | F_FIRST | F_ALLCAPS | F_LOWER));
            f[k++] = F2(81, t->shape, t->flags & (F_CAPSENT | F_TITLESENT));
            f[k++] = F2(82, t->l, t->flags & (F_CAPSENT | F_TITLESENT | F_FIRST));
            f[k++] = F2(85, t->suf[3], t->flags & (F_INITCAP | F_FIRST));
        } else {
            /* Clusters with the shape and the capitals (+0.4 F1 with the
             * features of tokens two away below). */
            f[k++] = F2(200, fine, t->shape);
            f[k++] = F2(201, coarse, t->flags & (F_INITCAP | F_ALLCAPS | F_FIRST));
            f[k++] = F1(38, t->gaz);
            f[k++] = F2(39, t->gaz, t->shape);
            f[k++] = F1(40, t->lex);
            f[k++] = F2(41, t->lex, t->flags & (F_INITCAP | F_ALLCAPS | F_FIRST));
            f[k++] = F2(44, t->shape, (t->flags & F_CAPSENT) != 0);
            f[k++] = F2(45, t->w, (t->flags & F_CAPSENT) != 0);
        }
        break;
    }
    case -1:
        k = near_features(t, pos, clu, 0, f);
        break;
    case 1:
        k = near_features(t, pos, clu, 1, f);
        break;
    case -2:
        k = far_features(t, pos, clu, 0, f);
        break;
    case 2:
        k = far_features(t, pos, clu, 1, f);
        break;
    default:
        break;
    }
    return k;
}

const tg_tok *gloss__tg_window(const tg_tok *tk, size_t n, size_t i, int off)
{
    if (off < 0 && i < (size_t)-off)
        return &gloss__tg_pad_before;
    if (off > 0 && i + (size_t)off >= n)
        return &gloss__tg_pad_after;
    return &tk[(ptrdiff_t)i + off];
}

size_t gloss__tg_word_label_features(const tg_decoder *d, const tg_tok *t, uint64_t t1,
                                     uint64_t *f)
{
    size_t k = 0;
    f[k++] = F2(62, t1, t->l);
    f[k++] = F2(63, t1, t->suf[2]);
    if (d->kind == GLOSS__TAGGER_NER)
        f[k++] = F2(64, t1, t->shape);
    return k;
}

size_t gloss__tg_memo_features(const tg_tok *t, uint64_t memo, uint64_t *f)
{
    f[0] = F1(65, memo);
    f[1] = F2(66, memo, t->shape);
    return 2;
}

size_t gloss__tg_label_features(uint64_t t1, uint64_t t2, uint64_t *f)
{
    f[0] = F1(60, t1);
    f[1] = F2(61, t1, t2);
    return 2;
}

/* The features that join two tokens, in three parts by the tokens they
 * join (TG_PAIR_PREV: token b with the one before it, a; TG_PAIR_NEXT:
 * token a with the one after it, b; TG_PAIR_SKIP: the tokens either side
 * of the one tagged), so that tagging can keep the sums of the first two
 * per pair of adjacent word types (tagger_cache.c). */
size_t gloss__tg_pair_part(const tg_decoder *d, const tg_tok *a, const tg_tok *b,
                           int part, uint64_t *f)
{
    size_t k = 0;
    /* Each costs a lookup per token while tagging (or per new pair of
     * adjacent words with the cache). Pairs of clusters were measured to
     * add nothing once each token's clusters had features of their own,
     * and were left out; ner's pairs of words still give +0.2 F1. */
    int pos = d->kind == GLOSS__TAGGER_POS;
    switch (part) {
    case TG_PAIR_PREV:
        f[k++] = F2(21, a->l, b->l);
        if (!pos) {
            f[k++] = F2(36, a->shape, b->shape);
            f[k++] = F2(51, a->l, b->shape);
            f[k++] = F2(48, a->w, b->w);
        }
        break;
    case TG_PAIR_NEXT:
        f[k++] = F2(22, a->l, b->l);
        if (pos) {
            f[k++] = F2(29, a->amb, b->amb);
            f[k++] = F2(30, a->suf[2], b->amb);
            f[k++] = F2(31, a->l, b->suf[1]);
        } else {
            f[k++] = F2(37, a->shape, b->shape);
            f[k++] = F2(52, a->shape, b->l);
            f[k++] = F2(55, a->w, b->w);
        }
        break;
    default:
        if (pos)
            f[k++] = F2(32, a->l, b->l);
        break;
    }
    return k;
}

/* The features of token i that join two tokens of the window: tagging
 * looks each up, as it does the features of decisions. The two parts of
 * neighbours are taken in turn (the order of the first feature sets,
 * which training's float sums follow), then the skip part. */
size_t gloss__tg_pair_features(const tg_decoder *d, const tg_tok *tk, size_t n, size_t i,
                               uint64_t *f)
{
    const tg_tok *c = &tk[i];
    const tg_tok *p1 = gloss__tg_window(tk, n, i, -1);
    const tg_tok *n1 = gloss__tg_window(tk, n, i, 1);
    uint64_t fp[TG_MAX_PAIR_PART], fn[TG_MAX_PAIR_PART];
    size_t np = gloss__tg_pair_part(d, p1, c, TG_PAIR_PREV, fp);
    size_t nn = gloss__tg_pair_part(d, c, n1, TG_PAIR_NEXT, fn);
    size_t k = 0;
    for (size_t j = 0; j < np || j < nn; j++) {
        if (j < np)
            f[k++] = fp[j];
        if (j < nn)
            f[k++] = fn[j];
    }
    return k + gloss__tg_pair_part(d, p1, n1, TG_PAIR_SKIP, f + k);
}

/* Every feature of token i that does not depend on decisions: those of
 * each token of the window, then the pairs. */
static size_t static_features(const tg_decoder *d, const tg_tok *tk, size_t n,
                              size_t i, uint64_t *f)
{
    size_t k = 0;
    for (int off = -2; off <= 2; off++)
        k += gloss__tg_token_features(d, gloss__tg_window(tk, n, i, off), off, f + k);
    return k + gloss__tg_pair_features(d, tk, n, i, f + k);
}

/* ---- the document memory of ner ----------------------------------------- */

gloss__tagger_doc *gloss__tagger_doc_new(void)
{
    gloss__tagger_doc *d = calloc(1, sizeof(gloss__tagger_doc));
    if (d)
        d->cache_max = GLOSS__TAGGER_CACHE_TYPES;
    return d;
}

void gloss__tg_memo_reset(tg_memo *m)
{
    if (m->n) {
        memset(m->keys, 0, m->cap * sizeof *m->keys);
        m->n = 0;
    }
}

void gloss__tg_memo_free(tg_memo *m)
{
    free(m->keys);
    free(m->counts);
    memset(m, 0, sizeof *m);
}

void gloss__tagger_doc_reset(gloss__tagger_doc *d)
{
    if (!d)
        return;
    gloss__tg_memo_reset(&d->mem);
    gloss__tg_memo_reset(&d->agg);
}

void gloss__tagger_doc_free(gloss__tagger_doc *d)
{
    if (!d)
        return;
    gloss__tg_memo_free(&d->mem);
    gloss__tg_memo_free(&d->agg);
    gloss__tg_cache_free(d->cache);
    free(d->first);
    free(d);
}

/* The slot of key in the memo, made when add is set (NULL when absent or
 * out of memory: the memory is a hint, tagging goes on without it). */
static uint16_t *memo_slot(tg_memo *d, uint64_t key, int add)
{
    key |= 1;
    if (add && (d->n + 1) * 2 > d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 256;
        uint64_t *keys = calloc(cap, sizeof *keys);
        uint16_t(*counts)[TG_MAX_TYPES + 1] = calloc(cap, sizeof *counts);
        if (!keys || !counts) {
            free(keys);
            free(counts);
            return NULL;
        }
        for (size_t i = 0; i < d->cap; i++) {
            if (!d->keys[i])
                continue;
            size_t j = d->keys[i] & (cap - 1);
            while (keys[j])
                j = (j + 1) & (cap - 1);
            keys[j] = d->keys[i];
            memcpy(counts[j], d->counts[i], sizeof counts[j]);
        }
        free(d->keys);
        free(d->counts);
        d->keys = keys;
        d->counts = counts;
        d->cap = cap;
    }
    if (!d->cap)
        return NULL;
    size_t j = key & (d->cap - 1);
    while (d->keys[j]) {
        if (d->keys[j] == key)
            return d->counts[j];
        j = (j + 1) & (d->cap - 1);
    }
    if (!add)
        return NULL;
    d->keys[j] = key;
    memset(d->counts[j], 0, sizeof d->counts[j]);
    d->n++;
    return d->counts[j];
}

int gloss__tg_memo_majority(tg_memo *m, uint64_t key)
{
    uint16_t *c = memo_slot(m, key, 0);
    int best = -2;
    unsigned bc = 0;
    for (int t = 0; c && t <= TG_MAX_TYPES; t++)
        if (c[t] > bc) {
            bc = c[t];
            best = t - 1;
        }
    return best;
}

int gloss__tg_memo_add(tg_memo *m, uint64_t key, int type)
{
    uint16_t *c = memo_slot(m, key, 1);
    if (!c)
        return -1;
    if (c[type + 1] < UINT16_MAX)
        c[type + 1]++;
    return 0;
}

int gloss__tg_memo_fill(tg_memo *m, const tg_labels *l, const gloss__tagger_tok *toks,
                        size_t n, const uint8_t *labels)
{
    for (size_t i = 0; i < n; i++) {
        tg_tok t;
        describe(&toks[i], &t);
        if (t.flags & (F_INITCAP | F_ALLCAPS))
            if (gloss__tg_memo_add(m, t.l, l->type[labels[i]]) != 0)
                return -1;
    }
    return 0;
}

/* ---- decoding ---------------------------------------------------------- */


static inline int allowed(const tg_labels *l, int prev, int cur, int last)
{
    return (l->allow[prev + 1][cur] >> last) & 1;
}

/* Four float lanes and their comparisons (GCC's and clang's vector
 * extensions), as in tagger_table.h. */
typedef float tg_f4 __attribute__((vector_size(16)));
typedef int32_t tg_m4 __attribute__((vector_size(16)));

/* The first of the labels in mask (at most 64: scores holds them, and
 * whole blocks of four are read) with the highest score, or 0 when mask
 * is empty. Four lanes each keep their highest score and the first label
 * that had it, the labels left out counting as -infinity; the first of
 * the lanes' labels with the highest of their scores is the one. */
static int best_label(const float *scores, size_t n, uint64_t mask)
{
    static const tg_m4 lanes[16] = {
        {0, 0, 0, 0},    {-1, 0, 0, 0},    {0, -1, 0, 0},    {-1, -1, 0, 0},
        {0, 0, -1, 0},   {-1, 0, -1, 0},   {0, -1, -1, 0},   {-1, -1, -1, 0},
        {0, 0, 0, -1},   {-1, 0, 0, -1},   {0, -1, 0, -1},   {-1, -1, 0, -1},
        {0, 0, -1, -1},  {-1, 0, -1, -1},  {0, -1, -1, -1},  {-1, -1, -1, -1},
    };
    const tg_f4 none = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    tg_f4 best = none;
    tg_m4 at = {0, 1, 2, 3}, first = {0, 0, 0, 0};
    for (size_t y = 0; y < n; y += 4, at += 4) {
        tg_f4 v;
        memcpy(&v, scores + y, sizeof v);
        tg_m4 m = lanes[(mask >> y) & 15];
        v = (tg_f4)(((tg_m4)v & m) | ((tg_m4)none & ~m));
        tg_m4 gt = v > best;
        best = (tg_f4)(((tg_m4)v & gt) | ((tg_m4)best & ~gt));
        first = (at & gt) | (first & ~gt);
    }
    float b = best[0];
    int y = first[0];
    for (int j = 1; j < 4; j++)
        if (best[j] > b || (best[j] == b && first[j] < y)) {
            b = best[j];
            y = first[j];
        }
    /* Only when no label is allowed is the best -infinity (scores are
     * finite). */
    return b == -INFINITY ? 0 : y;
}

void gloss__tg_decode(const tg_decoder *d, gloss__tagger_doc *doc,
                      const gloss__tagger_tok *toks, size_t n, const uint8_t *gold,
                      const uint8_t *first, uint8_t *out, float *conf)
{
    tg_tok tk[TG_MAX_SENT];
    uint64_t f[TG_MAX_FEATS];
    /* Zero beyond the labels: best_label reads whole blocks of four. */
    float scores[GLOSS__TAGGER_MAX_LABELS] = {0};
    const tg_labels *lb = d->labels;
    int ner = d->kind == GLOSS__TAGGER_NER;
    size_t caps = 0, letters = 0, titled = 0, words = 0;
    const tg_fast *fast = d->fast;
    if (fast)
        fast->tokens(fast->ctx, toks, n, tk);
    for (size_t i = 0; i < n; i++) {
        if (!fast)
            gloss__tg_describe(d, &toks[i], &tk[i]);
        if (tk[i].flags & (F_ALLCAPS | F_LOWER))
            letters++;
        caps += (tk[i].flags & F_ALLCAPS) != 0;
        if (toks[i].len > 3 && (tk[i].flags & (F_ALLCAPS | F_LOWER | F_INITCAP))) {
            words++;
            titled += (tk[i].flags & F_INITCAP) != 0;
        }
    }
    /* A title or heading: most longer words start with a capital. */
    if (words >= 2 && titled * 10 >= words * 7)
        for (size_t i = 0; i < n; i++)
            tk[i].flags |= F_TITLESENT;
    if (n)
        tk[0].flags |= F_FIRST;
    if (ner) {
        /* A headline in capitals says little through its shapes. */
        if (letters >= 2 && caps * 10 >= letters * 8)
            for (size_t i = 0; i < n; i++)
                tk[i].flags |= F_CAPSENT;
        if (d->phrase.get)
            match_phrases(d, tk, n);
    }
    if (fast)
        fast->prepare(fast->ctx, tk, n);
    int p1 = -1, p2 = -1;
    for (size_t i = 0; i < n; i++) {
        uint64_t t1 = (uint64_t)(p1 + 2), t2 = (uint64_t)(p2 + 2);
        size_t k;
        if (fast) {
            /* Every feature that does not depend on decisions, and those
             * of the two labels alone, are summed by the shortcut. */
            k = 0;
        } else {
            k = static_features(d, tk, n, i, f);
            k += gloss__tg_label_features(t1, t2, f + k);
        }
        if (!fast)
            k += gloss__tg_word_label_features(d, &tk[i], t1, f + k);
        int capital = (tk[i].flags & (F_INITCAP | F_ALLCAPS)) != 0;
        uint64_t memo = 0;
        if (ner && doc && capital) {
            memo = (uint64_t)(gloss__tg_memo_majority(&doc->mem, tk[i].l) + 3);
            if (!fast)
                k += gloss__tg_memo_features(&tk[i], memo, f + k);
        }
        if (first) {
            /* A second pass sees the first pass's labels on both sides,
             * and for ner the first pass's majority label of the word in
             * the whole document. */
            uint64_t f0 = first[i] + 2u;
            uint64_t fn1 = i + 1 < n ? first[i + 1] + 2u : 1, fn2 = i + 2 < n ? first[i + 2] + 2u : 1;
            f[k++] = F1(90, f0);
            f[k++] = F1(91, fn1);
            f[k++] = F1(92, fn2);
            f[k++] = F2(93, fn1, fn2);
            f[k++] = F2(94, t1, fn1);
            f[k++] = F2(95, f0, tk[i].l);
            f[k++] = F2(96, fn1, tk[i].suf[2]);
            if (ner && doc && capital) {
                int agg = gloss__tg_memo_majority(&doc->agg, tk[i].l);
                f[k++] = F1(97, (uint64_t)(agg + 3));
                f[k++] = F2(98, (uint64_t)(agg + 3), tk[i].shape);
                f[k++] = F2(99, (uint64_t)(agg + 3), f0);
            }
        }
        _Static_assert(TG_MAX_FEATS >= 90, "room for every feature of a token");
        if (fast)
            fast->score(fast->ctx, i, (size_t)t1, (size_t)t2, memo, f, k, scores);
        else
            d->score(d->score_ctx, f, k, scores);
        int bestl = best_label(scores, lb->n, lb->allow_mask[p1 + 1][i + 1 == n]);
        if (d->learn && gold)
            d->learn(d->learn_ctx, f, k, gold[i], bestl);
        out[i] = (uint8_t)bestl;
        if (conf) {
            /* Only entities report a confidence, so outside labels skip
             * the exponentials. */
            float z = 0;
            if (!ner || lb->type[bestl] >= 0)
                for (size_t y = 0; y < lb->n; y++)
                    if (!ner || allowed(lb, p1, (int)y, i + 1 == n))
                        z += expf((scores[y] - scores[bestl]) * d->scale);
            conf[i] = z > 0 ? 1.0f / z : 1.0f;
        }
        if (ner && doc && capital)
            gloss__tg_memo_add(&doc->mem, tk[i].l, lb->type[bestl]);
        p2 = p1;
        p1 = bestl;
    }
}
