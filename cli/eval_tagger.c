/*
 * eval_tagger.c - `gloss eval pos` and `gloss eval ner`: scores a tagger
 * model against annotated data.
 *
 * With gold tokens (the default) the model tags the words of the file
 * directly, sentence by sentence, as `gloss train` scores dev: pos reports
 * token accuracy and the commonest confusions, ner the precision, recall
 * and F1 of entities per type and overall, counted as conlleval counts
 * them (an entity is right when its span and type both are).
 *
 * `gloss eval pos --raw` instead runs segment and pos over the raw text of
 * the treebank (its `# text` lines, as `gloss eval segment` builds it) and
 * aligns by characters: a gold word is right when the system has a token
 * with the same span and tag (for the words of a multiword token, the
 * same number of tokens exactly covering its span, with the same tags in
 * order). The text goes through no stage that changes it, so offsets
 * compare directly.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "eval_conllu.h"
#include "eval_tagger.h"
#include "tagger.h"

static void usage(FILE *out, const char *kind)
{
    int pos = strcmp(kind, "pos") == 0;
    fprintf(out,
"usage: gloss eval %s %s FILE [--model MODEL]%s\n"
"\n"
"Tags the %s of FILE with MODEL (default: the default %s model) and prints\n"
"%s.\n"
"\n"
"Options:\n"
"      %-18s the annotated data\n"
"  -m, --model MODEL      the model file (made by gloss train %s)\n"
"%s"
"  -h, --help             show this help\n",
            kind, pos ? "--ud" : "--conll", pos ? " [--raw]" : "",
            pos ? "words" : "sentences", kind,
            pos ? "the share of words whose UPOS tag is right, and the commonest "
                  "confusions"
                : "precision, recall and F1 of entities per type and overall "
                  "(exact span and type, as conlleval)",
            pos ? "--ud FILE.conllu" : "--conll FILE", kind,
            pos ? "      --raw              segment the raw text ('# text' lines) "
                  "with our own\n"
                  "                         segmenter first, and align by "
                  "characters\n"
                : "");
}

static void print_ner(const gloss__tagger_counts *k)
{
    size_t g = 0, s = 0, h = 0;
    for (size_t i = 0; i <= k->ntypes; i++) {
        size_t gi, si, hi;
        const char *name;
        if (i < k->ntypes) {
            gi = k->gold[i];
            si = k->sys[i];
            hi = k->hit[i];
            name = k->types[i];
            g += gi;
            s += si;
            h += hi;
        } else {
            gi = g;
            si = s;
            hi = h;
            name = "overall";
        }
        double p = si ? 100.0 * (double)hi / (double)si : 0;
        double r = gi ? 100.0 * (double)hi / (double)gi : 0;
        double f = p + r > 0 ? 2 * p * r / (p + r) : 0;
        printf("%-8s precision %6.2f  recall %6.2f  F1 %6.2f  (gold %zu, system %zu, "
               "correct %zu)\n",
               name, p, r, f, gi, si, hi);
    }
}

/* Tags c with t and prints accuracy and the commonest confusions. */
static int score_pos(const gloss__tagger *t, const gloss__tagger_corpus *c)
{
    size_t L = gloss__tagger_label_count(t);
    size_t *conf = calloc(L * L, sizeof *conf);
    uint8_t *out = malloc(c->ntoks + 1);
    if (!conf || !out) {
        free(conf);
        free(out);
        return -1;
    }
    size_t correct = 0;
    gloss__tagger_doc *doc = gloss__tagger_doc_new();
    int rc = doc ? gloss__tagger_tag_doc(t, doc, c->toks, c->sent_start, c->nsents, out,
                                         NULL)
                 : -1;
    gloss__tagger_doc_free(doc);
    if (rc != 0) {
        free(conf);
        free(out);
        return -1;
    }
    for (size_t i = 0; i < c->ntoks; i++) {
        size_t g = 0;
        while (g < L && strcmp(gloss__tagger_label(t, g), c->gold[i]) != 0)
            g++;
        correct += g == out[i];
        if (g < L && g != out[i])
            conf[g * L + out[i]]++;
    }
    printf("UPOS accuracy %.2f  (%zu of %zu words)\n",
           c->ntoks ? 100.0 * (double)correct / (double)c->ntoks : 0.0, correct, c->ntoks);
    printf("commonest confusions (gold -> system):\n");
    for (int k = 0; k < 10; k++) {
        size_t best = 0, bi = 0;
        for (size_t i = 0; i < L * L; i++)
            if (conf[i] > best) {
                best = conf[i];
                bi = i;
            }
        if (!best)
            break;
        printf("  %-6s -> %-6s %zu\n", gloss__tagger_label(t, bi / L),
               gloss__tagger_label(t, bi % L), best);
        conf[bi] = 0;
    }
    free(conf);
    free(out);
    return 0;
}

/* --raw: segment + pos over the treebank's text, aligned by characters. */
static int score_pos_raw(const char *ud, const char *model, const gloss__tagger_corpus *c)
{
    char err[1024];
    gloss__conllu gold;
    if (gloss__conllu_read(ud, &gold, err, sizeof err) < 0) {
        fprintf(stderr, "gloss eval pos: %s\n", err);
        return -1;
    }
    size_t nsurf = c->ntoks ? c->surface[c->ntoks - 1] + 1 : 0;
    if (gold.unaligned || nsurf != gold.tokens.n) {
        fprintf(stderr, "gloss eval pos: the words of %s do not match its '# text' lines "
                        "(%zu unaligned); cannot score --raw\n",
                ud, gold.unaligned);
        gloss__conllu_free(&gold);
        return -1;
    }
    char *src = NULL;
    gloss__config *cfg = NULL;
    gloss__pipeline *p = NULL;
    gloss_doc *doc = NULL;
    int rc = -1;
    /* The model's path goes into the Lua source inside a long bracket,
     * which no path is likely to close. */
    if (strstr(model, "]==]")) {
        fprintf(stderr, "gloss eval pos: cannot use the model path %s\n", model);
        goto out;
    }
    size_t n = strlen(model) + 200;
    src = malloc(n);
    if (!src)
        goto out;
    snprintf(src, n,
             "return { pipeline = { { stage = 'segment' },"
             " { stage = 'pos', options = { model = [==[%s]==] } } } }",
             model);
    cfg = gloss__config_load_string(src, strlen(src), "eval", ".", err, sizeof err);
    p = cfg ? gloss__pipeline_new(cfg, err, sizeof err) : NULL;
    if (!p) {
        fprintf(stderr, "gloss eval pos: %s\n", err);
        goto out;
    }
    doc = gloss_doc_new(ud, "eval", gold.text.data ? gold.text.data : "", gold.text.len);
    if (!doc)
        goto out;
    gloss__doc_status st;
    gloss__pipeline_run(p, &doc, 1, &st);
    if (st != GLOSS__DOC_OK) {
        fprintf(stderr, "gloss eval pos: the pipeline failed on %s\n", ud);
        goto out;
    }
    gloss_layer *toks = gloss_doc_layer(doc, "tokens", 0);
    size_t nt = toks ? gloss_layer_size(toks) : 0, j = 0, correct = 0;
    for (size_t w = 0; w < c->ntoks;) {
        size_t sf = c->surface[w], w2 = w;
        while (w2 < c->ntoks && c->surface[w2] == sf)
            w2++;
        uint32_t a = gold.tokens.v[sf].start, b = gold.tokens.v[sf].end;
        while (j < nt && gloss_layer_span(toks, j)->start < a)
            j++;
        size_t k = j;
        uint32_t at = a;
        while (k < nt && gloss_layer_span(toks, k)->start == at &&
               gloss_layer_span(toks, k)->end <= b) {
            at = gloss_layer_span(toks, k)->end;
            k++;
        }
        if (at == b && k - j == w2 - w) {
            for (size_t m = 0; m < w2 - w; m++) {
                const gloss_value *v = gloss_span_get(gloss_layer_span(toks, j + m), "upos");
                correct += v && v->type == GLOSS_VALUE_STRING &&
                           strcmp(v->as.string.ptr, c->gold[w + m]) == 0;
            }
        }
        w = w2;
    }
    printf("UPOS accuracy from raw text %.2f  (%zu of %zu words; %zu system tokens)\n",
           c->ntoks ? 100.0 * (double)correct / (double)c->ntoks : 0.0, correct, c->ntoks,
           nt);
    rc = 0;
out:
    free(src);
    gloss_doc_destroy(&doc);
    gloss__pipeline_destroy(&p);
    gloss__config_destroy(&cfg);
    gloss__conllu_free(&gold);
    return rc;
}

static int eval_tagger(int argc, char **argv, gloss__tagger_kind kind)
{
    const char *kname = kind == GLOSS__TAGGER_POS ? "pos" : "ner";
    enum { OPT_DATA = 256, OPT_RAW };
    const struct option longopts[] = {
        {kind == GLOSS__TAGGER_POS ? "ud" : "conll", required_argument, NULL, OPT_DATA},
        {"model", required_argument, NULL, 'm'},
        {"raw", no_argument, NULL, OPT_RAW},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *data = NULL, *model = NULL;
    int raw = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_DATA: data = optarg; break;
        case 'm': model = optarg; break;
        case OPT_RAW: raw = 1; break;
        case 'h':
            usage(stdout, kname);
            return GLOSS_EXIT_OK;
        default:
            fprintf(stderr, "Run 'gloss eval %s --help' for the options.\n", kname);
            return GLOSS_EXIT_USAGE;
        }
    }
    if (!data || optind < argc || (raw && kind != GLOSS__TAGGER_POS)) {
        fprintf(stderr, "gloss eval %s: give the data with %s FILE (and nothing else)\n",
                kname, kind == GLOSS__TAGGER_POS ? "--ud" : "--conll");
        return GLOSS_EXIT_USAGE;
    }
    char *path = model ? strdup(model) : gloss__tagger_default_model(kind);
    if (!path) {
        fprintf(stderr, "gloss eval %s: no default model found; give one with --model\n",
                kname);
        return GLOSS_EXIT_FAILED;
    }
    char err[1024];
    gloss__tagger *t = gloss__tagger_open(path, kind, err, sizeof err);
    if (!t) {
        fprintf(stderr, "gloss eval %s: %s\n", kname, err);
        free(path);
        return GLOSS_EXIT_FAILED;
    }
    gloss__tagger_corpus corpus;
    int rc = kind == GLOSS__TAGGER_POS ? gloss__tagger_read_conllu(data, &corpus, err, sizeof err)
                                       : gloss__tagger_read_conll(data, &corpus, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "gloss eval %s: %s\n", kname, err);
        gloss__tagger_close(t);
        free(path);
        return GLOSS_EXIT_FAILED;
    }
    printf("model %s (%s)\n", path, gloss__tagger_name(t));
    if (kind == GLOSS__TAGGER_POS) {
        rc = raw ? score_pos_raw(data, path, &corpus) : score_pos(t, &corpus);
    } else {
        gloss__tagger_counts k;
        memset(&k, 0, sizeof k);
        rc = gloss__tagger_score(t, &corpus, &k);
        if (rc == 0)
            print_ner(&k);
    }
    if (rc != 0)
        fprintf(stderr, "gloss eval %s: scoring failed\n", kname);
    gloss__tagger_corpus_free(&corpus);
    gloss__tagger_close(t);
    free(path);
    return rc == 0 ? GLOSS_EXIT_OK : GLOSS_EXIT_FAILED;
}

int gloss__eval_pos(int argc, char **argv) { return eval_tagger(argc, argv, GLOSS__TAGGER_POS); }
int gloss__eval_ner(int argc, char **argv) { return eval_tagger(argc, argv, GLOSS__TAGGER_NER); }
