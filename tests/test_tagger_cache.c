/*
 * test_tagger_cache.c - the cache of per-token sums (plugins/tagger_cache.c)
 * never changes what the taggers say.
 *
 * The default pos and ner models tag a corpus made of the committed sample
 * documents (split into tokens here, simply) and of made-up words in
 * sentences of every length up to longer than the tagger takes at once,
 * and of names after words of every kind (whose cached sums of decisions
 * are replaced most often):
 * first without the cache, scoring every feature of every token in the
 * model, then with the cache cold and warm, with a cache so small that it
 * is full again and again, and with one document state used by both
 * taggers in turn. Labels and confidences (a softmax over every label's
 * score, so any change of a score shows) must be the same to the bit.
 *
 * The features changed with the cache (more of them depend on one token):
 * a model of the older feature set is refused, with a message saying so.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "model.h"
#include "tagger.h"
#include "tap.h"

typedef struct corpus {
    gloss__tagger_tok *toks;
    size_t n, cap;
    size_t *sents;
    size_t nsents, capsents;
    char *text; /* what the made-up words point into */
} corpus;

static void add_tok(corpus *c, const char *s, size_t len)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->toks = realloc(c->toks, c->cap * sizeof *c->toks);
        if (!c->toks)
            abort();
    }
    c->toks[c->n].s = s;
    c->toks[c->n].len = len;
    c->n++;
}

static void end_sent(corpus *c)
{
    if (c->nsents + 2 > c->capsents) {
        c->capsents = c->capsents ? c->capsents * 2 : 256;
        c->sents = realloc(c->sents, c->capsents * sizeof *c->sents);
        if (!c->sents)
            abort();
    }
    if (c->nsents == 0)
        c->sents[0] = 0;
    if (c->sents[c->nsents] == c->n)
        return;
    c->sents[++c->nsents] = c->n;
}

static int is_punct(char ch) { return strchr(".,;:!?()\"'[]", ch) != NULL; }

/* Words split at spaces, with punctuation at either end split off;
 * sentences end at . ! ? */
static void add_text(corpus *c, const char *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && (p[i] == ' ' || p[i] == '\n' || p[i] == '\t' || p[i] == '\r'))
            i++;
        size_t a = i;
        while (i < len && !(p[i] == ' ' || p[i] == '\n' || p[i] == '\t' || p[i] == '\r'))
            i++;
        size_t b = i;
        while (a < b && is_punct(p[a])) {
            add_tok(c, p + a, 1);
            a++;
        }
        size_t e = b;
        while (e > a && is_punct(p[e - 1]))
            e--;
        if (e > a)
            add_tok(c, p + a, e - a);
        for (size_t k = e; k < b; k++) {
            add_tok(c, p + k, 1);
            if (p[k] == '.' || p[k] == '!' || p[k] == '?')
                end_sent(c);
        }
    }
    end_sent(c);
}

/* Made-up words of every shape from a fixed generator, in sentences of
 * 1 to 600 tokens: more word types than a small cache holds. */
static void add_made_up(corpus *c, size_t nwords)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.";
    c->text = malloc(nwords * 12);
    if (!c->text)
        abort();
    uint64_t s = 12345;
    size_t used = 0, in_sent = 0, sent_len = 1;
    for (size_t w = 0; w < nwords; w++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        size_t len = 1 + (size_t)(s >> 60) % 10;
        char *p = c->text + used;
        for (size_t k = 0; k < len; k++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            p[k] = alphabet[(s >> 33) % (sizeof alphabet - 1)];
        }
        /* Some words come back, as words do. */
        if ((s >> 20) % 3 == 0 && w > 10) {
            const gloss__tagger_tok *old = &c->toks[c->n - 1 - (size_t)(s >> 40) % 10];
            add_tok(c, old->s, old->len);
        } else {
            add_tok(c, p, len);
            used += len;
        }
        if (++in_sent == sent_len) {
            end_sent(c);
            in_sent = 0;
            sent_len = sent_len >= 600 ? 1 : sent_len * 3 + 1;
        }
    }
    end_sent(c);
}

/* Capitalised names after words of every kind, again and again: each
 * name's sums joined to the previous label and to what the document
 * memory says of it (ner) are asked for one after the other with ever
 * other values, so the slots that keep them are replaced while in use. */
static char *add_names(corpus *c)
{
    static const char *const before[] = {"The", "in", "Mr.", "of", ",", "and", "1990",
                                         "Paris", "said", "-", "UN", "\"", "by"};
    static const char *const names[] = {"Smith", "Jones", "Reuters", "Boston", "Clinton"};
    gloss__buf b = GLOSS__BUF_INIT;
    for (size_t i = 0; i < 600; i++) {
        const char *w = before[i % (sizeof before / sizeof *before)];
        const char *n = names[(i / 3) % (sizeof names / sizeof *names)];
        const char *after = names[(i / 7) % (sizeof names / sizeof *names)];
        gloss__buf_printf(&b, "%s %s met %s %s .\n", w, n, i % 2 ? "the" : after, n);
    }
    add_text(c, b.data, b.len);
    return b.data;
}

typedef struct result {
    uint8_t *labels;
    float *conf;
} result;

static void tag(const gloss__tagger *t, gloss__tagger_doc *doc, const corpus *c, result *r)
{
    /* The corpus as documents of up to 40 sentences. */
    for (size_t s = 0; s < c->nsents; s += 40) {
        size_t k = c->nsents - s < 40 ? c->nsents - s : 40;
        if (gloss__tagger_tag_doc(t, doc, c->toks, c->sents + s, k, r->labels + c->sents[s],
                                  r->conf + c->sents[s]) != 0)
            abort();
    }
}

static int same(const result *a, const result *b, size_t n)
{
    return memcmp(a->labels, b->labels, n) == 0 &&
           memcmp(a->conf, b->conf, n * sizeof *a->conf) == 0;
}

static void result_init(result *r, size_t n)
{
    r->labels = calloc(n + 1, 1);
    r->conf = calloc(n + 1, sizeof *r->conf);
    if (!r->labels || !r->conf)
        abort();
}

static void result_free(result *r)
{
    free(r->labels);
    free(r->conf);
}

/* A pos model in every way valid but for its feature set. */
static void older_feature_set(void)
{
    gloss__model_writer *w = gloss__model_writer_new("pos", GLOSS__TAGGER_VERSION);
    const char *cfg = "{\"name\": \"old\", \"features\": \"pos-2\", \"passes\": 1, "
                      "\"scale\": 0.001}\n";
    static const char labels[] = "NOUN\nVERB\n";
    static unsigned char weights[1024 * 8];
    size_t len = 0;
    unsigned char *bytes = NULL;
    if (w && gloss__model_writer_add(w, "config", cfg, strlen(cfg)) == 0 &&
        gloss__model_writer_add(w, "labels", labels, sizeof labels - 1) == 0 &&
        gloss__model_writer_add(w, "weights", weights, sizeof weights) == 0)
        bytes = gloss__model_writer_bytes(w, &len);
    gloss__model_writer_free(w);
    /* The container wants its sections aligned: a copy at a 64-byte
     * boundary. */
    void *aligned = NULL;
    if (bytes && posix_memalign(&aligned, 64, len) == 0)
        memcpy(aligned, bytes, len);
    free(bytes);
    char err[1024] = "";
    gloss__model *m = aligned ? gloss__model_from_memory(aligned, len, "old.bin", "pos",
                                                         GLOSS__TAGGER_VERSION, err,
                                                         sizeof err)
                              : NULL;
    ok(m != NULL, "a model container of the older pos feature set is read");
    gloss__tagger *t = m ? gloss__tagger_from_model(m, GLOSS__TAGGER_POS, err, sizeof err)
                         : NULL;
    if (!ok(t == NULL &&
                strstr(err, "uses the feature set \"pos-2\"; this gloss knows \"pos-3\""),
            "but refused as a tagger, naming both feature sets"))
        diag("%s", err);
    gloss__tagger_close(t);
    free(aligned);
}

int main(void)
{
    older_feature_set();
    const char *src = getenv("top_srcdir");
    corpus c = {0};
    /* The default models of this source tree, not an installed gloss's. */
    char models[4096];
    snprintf(models, sizeof models, "%s/models", src ? src : ".");
    setenv("GLOSS_MODEL_PATH", models, 1);
    gloss__buf files[2] = {GLOSS__BUF_INIT, GLOSS__BUF_INIT};
    const char *names[2] = {"tests/fixtures/docs/resolution.txt",
                            "tests/fixtures/docs/article.txt"};
    for (int i = 0; i < 2; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", src ? src : ".", names[i]);
        if (gloss__buf_read_file(&files[i], path) != 0)
            return skip_all("the sample documents are not there");
        add_text(&c, files[i].data, files[i].len);
    }
    add_made_up(&c, 6000);
    char *name_text = add_names(&c);
    diag("%zu tokens in %zu sentences", c.n, c.nsents);

    gloss__tagger *tg[2] = {NULL, NULL};
    for (int k = 0; k < 2; k++) {
        gloss__tagger_kind kind = k ? GLOSS__TAGGER_NER : GLOSS__TAGGER_POS;
        char *path = gloss__tagger_default_model(kind);
        char err[1024] = "not found";
        tg[k] = path ? gloss__tagger_open(path, kind, err, sizeof err) : NULL;
        free(path);
        if (!ok(tg[k] != NULL, "the default %s model loads", k ? "ner" : "pos"))
            diag("%s", err);
    }
    if (!tg[0] || !tg[1])
        return done_testing();

    result ref[2], got;
    result_init(&got, c.n);
    for (int k = 0; k < 2; k++) {
        const char *name = k ? "ner" : "pos";
        gloss__tagger_cache_stats st;
        result_init(&ref[k], c.n);
        gloss__tagger_doc *doc = gloss__tagger_doc_new();
        gloss__tagger_doc_set_cache(doc, 0);
        tag(tg[k], doc, &c, &ref[k]);
        gloss__tagger_doc_cache_stats(doc, &st);
        is_int(st.hits + st.misses, 0, "%s: without the cache, every feature is looked up", name);

        gloss__tagger_doc_set_cache(doc, GLOSS__TAGGER_CACHE_TYPES);
        tag(tg[k], doc, &c, &got);
        ok(same(&ref[k], &got, c.n),
           "%s: with the cache cold, the same labels and confidences to the bit", name);
        gloss__tagger_doc_cache_stats(doc, &st);
        ok(st.misses > 0 && st.hits > 0 && st.clears == 0,
           "%s: the cache made sums and used them (%zu made, %zu used)", name, st.misses,
           st.hits);
        ok(st.pair_misses > 0 && st.pair_hits > 0,
           "%s: the sums of pairs of adjacent words were made and used (%zu made, %zu used)",
           name, st.pair_misses, st.pair_hits);
        size_t made = st.misses;
        tag(tg[k], doc, &c, &got);
        ok(same(&ref[k], &got, c.n), "%s: with the cache warm, the same again", name);
        gloss__tagger_doc_cache_stats(doc, &st);
        is_int(st.misses, made, "%s: a second time, every word's sums come from the cache",
               name);

        gloss__tagger_doc_set_cache(doc, 1);
        tag(tg[k], doc, &c, &got);
        ok(same(&ref[k], &got, c.n),
           "%s: with the smallest cache, full again and again, the same", name);
        gloss__tagger_doc_cache_stats(doc, &st);
        ok(st.clears > 0 && st.entries <= 512,
           "%s: the smallest cache holds 512 word types and was full %zu times", name,
           st.clears);
        gloss__tagger_doc_free(doc);
    }

    /* One document state for both taggers in turn: each finds the other's
     * sums and starts afresh. */
    gloss__tagger_doc *doc = gloss__tagger_doc_new();
    int all = 1;
    for (int round = 0; round < 4; round++) {
        tag(tg[round & 1], doc, &c, &got);
        all &= same(&ref[round & 1], &got, c.n);
    }
    ok(all, "one state used by pos and ner in turn tags as each does alone");
    gloss__tagger_doc_free(doc);

    /* A tagger closed and another opened (perhaps at the same address)
     * does not inherit its sums. */
    doc = gloss__tagger_doc_new();
    tag(tg[0], doc, &c, &got);
    gloss__tagger_close(tg[0]);
    char *path = gloss__tagger_default_model(GLOSS__TAGGER_NER);
    char err[1024];
    tg[0] = path ? gloss__tagger_open(path, GLOSS__TAGGER_NER, err, sizeof err) : NULL;
    free(path);
    if (tg[0]) {
        tag(tg[0], doc, &c, &got);
        ok(same(&ref[1], &got, c.n), "a tagger opened after another closed does not see its sums");
    } else {
        ok(0, "the ner model loads again");
    }
    gloss__tagger_doc_free(doc);

    for (int k = 0; k < 2; k++) {
        gloss__tagger_close(tg[k]);
        result_free(&ref[k]);
    }
    result_free(&got);
    gloss__buf_free(&files[0]);
    gloss__buf_free(&files[1]);
    free(c.toks);
    free(c.sents);
    free(c.text);
    free(name_text);
    return done_testing();
}
