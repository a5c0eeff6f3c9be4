/*
 * cmd_eval.c - `gloss eval segment`: scores the tokens and sentences of a
 * pipeline against a CoNLL-U treebank.
 *
 * The treebank's `# text` lines are joined into one document: sentences of
 * a paragraph follow each other after a space, as in running prose, and
 * paragraphs and documents (`# newpar`, `# newdoc`) are separated by a
 * blank line, as they are in the files users send. So the splitter must
 * find every sentence boundary inside a paragraph from the text alone,
 * while a paragraph break, which a real document shows, is given. The
 * document goes through the pipeline (the default configuration, or -c),
 * and its "tokens" layer (with the "multiwords" layer merging the words of
 * one surface token back, as CoNLL-U's multiword lines do) and
 * "sentences" layer are scored the CoNLL 2018 way (eval_conllu.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "eval_conllu.h"
#include "eval_tagger.h"

static void usage(FILE *out)
{
    fprintf(out,
"usage: gloss eval segment --ud FILE.conllu [-c CONFIG] [--errors N]\n"
"       gloss eval pos --ud FILE.conllu [--model MODEL] [--raw]\n"
"       gloss eval ner --conll FILE [--model MODEL]\n"
"       (gloss eval pos --help, gloss eval ner --help)\n"
"       gloss eval classify --jsonl FILE -m MODEL   (see its --help)\n"
"\n"
"Runs the pipeline on the raw text of a CoNLL-U file (its '# text' lines:\n"
"sentences joined by a space, paragraphs and documents by a blank line) and\n"
"prints precision, recall and F1 of its tokens and sentences, aligned by\n"
"character offsets as in the CoNLL 2018 shared task: spans are compared with\n"
"white space ignored, and a multiword token counts once, by its surface.\n"
"\n"
"Options:\n"
"      --ud FILE          the CoNLL-U file (e.g. UD English EWT dev)\n"
"  -c, --config FILE      the configuration to run (default: the embedded one)\n"
"      --errors N         print the first N disagreements of each kind, with\n"
"                         context: 'missed' (gold only) and 'extra' (system\n"
"                         only), the span in [[ ]]\n"
"  -h, --help             show this help\n");
}

/* The surface tokens of the document: tokens, except that the tokens
 * inside a multiword span are replaced by that span. */
static int surface_tokens(gloss_doc *doc, gloss__eval_spans *out)
{
    gloss_layer *toks = gloss_doc_layer(doc, "tokens", 0);
    gloss_layer *mws = gloss_doc_layer(doc, "multiwords", 0);
    size_t nt = toks ? gloss_layer_size(toks) : 0;
    size_t nm = mws ? gloss_layer_size(mws) : 0;
    size_t m = 0;
    for (size_t i = 0; i < nt; i++) {
        const gloss_span *t = gloss_layer_span(toks, i);
        while (m < nm && gloss_layer_span(mws, m)->end <= t->start)
            m++;
        if (m < nm && gloss_layer_span(mws, m)->start <= t->start) {
            const gloss_span *w = gloss_layer_span(mws, m);
            if (gloss__eval_spans_add(out, w->start, w->end) < 0)
                return -1;
            while (i + 1 < nt && gloss_layer_span(toks, i + 1)->end <= w->end)
                i++;
            m++;
            continue;
        }
        if (gloss__eval_spans_add(out, t->start, t->end) < 0)
            return -1;
    }
    return 0;
}

static int layer_spans(gloss_doc *doc, const char *name, gloss__eval_spans *out)
{
    gloss_layer *layer = gloss_doc_layer(doc, name, 0);
    size_t n = layer ? gloss_layer_size(layer) : 0;
    for (size_t i = 0; i < n; i++) {
        const gloss_span *sp = gloss_layer_span(layer, i);
        if (gloss__eval_spans_add(out, sp->start, sp->end) < 0)
            return -1;
    }
    return 0;
}

static void print_score(const char *what, gloss__eval_score s)
{
    double p = s.system ? 100.0 * (double)s.correct / (double)s.system : 0;
    double r = s.gold ? 100.0 * (double)s.correct / (double)s.gold : 0;
    double f = p + r > 0 ? 2 * p * r / (p + r) : 0;
    printf("%-10s precision %6.2f  recall %6.2f  F1 %6.2f  (gold %zu, system "
           "%zu, correct %zu)\n",
           what, p, r, f, s.gold, s.system, s.correct);
}

static int eval_segment(int argc, char **argv)
{
    enum { OPT_UD = 256, OPT_ERRORS };
    static const struct option longopts[] = {
        {"ud", required_argument, NULL, OPT_UD},
        {"config", required_argument, NULL, 'c'},
        {"errors", required_argument, NULL, OPT_ERRORS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *ud = NULL, *config = NULL;
    long errors = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_UD: ud = optarg; break;
        case 'c': config = optarg; break;
        case OPT_ERRORS: {
            char *end;
            errors = strtol(optarg, &end, 10);
            if (*end || errors < 0) {
                fprintf(stderr, "gloss eval segment: --errors wants a number, "
                                "got '%s'\n", optarg);
                return GLOSS_EXIT_USAGE;
            }
            break;
        }
        case 'h':
            usage(stdout);
            return GLOSS_EXIT_OK;
        default:
            fprintf(stderr, "Run 'gloss eval segment --help' for the options.\n");
            return GLOSS_EXIT_USAGE;
        }
    }
    if (!ud || optind < argc) {
        fprintf(stderr, "gloss eval segment: give the treebank with --ud "
                        "FILE.conllu (and nothing else)\n");
        return GLOSS_EXIT_USAGE;
    }

    char err[512];
    gloss__conllu gold;
    if (gloss__conllu_read(ud, &gold, err, sizeof err) < 0) {
        fprintf(stderr, "gloss eval segment: %s\n", err);
        return GLOSS_EXIT_FAILED;
    }
    if (gold.unaligned)
        fprintf(stderr, "gloss eval segment: %zu forms do not match their "
                        "'# text' line and are left out of the gold tokens\n",
                gold.unaligned);

    gloss__config *cfg = NULL;
    gloss__pipeline *pipeline = NULL;
    int status = GLOSS_EXIT_FAILED;
    gloss_doc *doc = NULL;
    gloss__eval_spans toks = {0}, sents = {0};
    if (gloss__cli_pipeline("gloss eval segment", config, NULL, NULL, &cfg,
                            &pipeline) < 0) {
        status = GLOSS_EXIT_USAGE;
        goto out;
    }
    doc = gloss_doc_new(ud, "eval", gold.text.data ? gold.text.data : "",
                        gold.text.len);
    if (!doc) {
        fprintf(stderr, "gloss eval segment: out of memory\n");
        goto out;
    }
    gloss__doc_status st;
    gloss__pipeline_run(pipeline, &doc, 1, &st);
    if (st != GLOSS__DOC_OK) {
        const char *stage = "pipeline", *msg = "dropped";
        size_t ne = gloss_doc_error_count(doc);
        if (ne)
            gloss_doc_error_at(doc, ne - 1, &stage, &msg);
        fprintf(stderr, "gloss eval segment: stage '%s' failed: %s\n", stage,
                msg);
        goto out;
    }
    if (!gloss_doc_layer(doc, "tokens", 0) ||
        !gloss_doc_layer(doc, "sentences", 0)) {
        fprintf(stderr, "gloss eval segment: the pipeline made no 'tokens' "
                        "and 'sentences' layers: is the segment stage in it?\n");
        goto out;
    }
    if (surface_tokens(doc, &toks) < 0 || layer_spans(doc, "sentences", &sents) < 0) {
        fprintf(stderr, "gloss eval segment: out of memory\n");
        goto out;
    }
    size_t len;
    const char *text = gloss_doc_text(doc, &len);
    long left = errors;
    gloss__eval_score ts = gloss__eval_compare(&gold.tokens, gold.text.data,
                                               gold.text.len, &toks, text, len,
                                               "tokens", stdout, &left);
    left = errors;
    gloss__eval_score ss = gloss__eval_compare(&gold.sentences, gold.text.data,
                                               gold.text.len, &sents, text, len,
                                               "sentences", stdout, &left);
    print_score("tokens", ts);
    print_score("sentences", ss);
    status = GLOSS_EXIT_OK;
out:
    gloss__eval_spans_free(&toks);
    gloss__eval_spans_free(&sents);
    gloss_doc_destroy(&doc);
    gloss__pipeline_destroy(&pipeline);
    gloss__config_destroy(&cfg);
    gloss__conllu_free(&gold);
    return status;
}

int gloss__cmd_eval(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? GLOSS_EXIT_USAGE : GLOSS_EXIT_OK;
    }
    /* The tasks `gloss eval` knows; add a row for a new one. */
    static const struct {
        const char *task;
        int (*run)(int argc, char **argv);
    } tasks[] = {
        {"segment", eval_segment},
        {"pos", gloss__eval_pos},
        {"ner", gloss__eval_ner},
        {"classify", gloss__eval_classify},
    };
    for (size_t i = 0; i < sizeof tasks / sizeof tasks[0]; i++)
        if (strcmp(argv[1], tasks[i].task) == 0)
            return tasks[i].run(argc - 1, argv + 1);
    fprintf(stderr, "gloss eval: unknown task '%s' (known: segment, pos, ner, classify)\n",
            argv[1]);
    return GLOSS_EXIT_USAGE;
}
