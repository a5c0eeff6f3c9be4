/*
 * train_tagger.c - `gloss train pos` and `gloss train ner`: trains the
 * part-of-speech and named-entity taggers (plugins/tagger_train.c).
 *
 * The two kinds share their options: the training file, a dev file whose
 * score after each pass decides when to stop and which pass is kept, the
 * output, a seed (the same data and seed give the same model, byte for
 * byte), the most passes and how many passes without progress to allow.
 * cmd_train.c dispatches to them by kind.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "tagger.h"

static void tagger_usage(FILE *out, const char *kind)
{
    int pos = strcmp(kind, "pos") == 0;
    fprintf(out,
"usage: gloss train %s %s TRAIN --dev DEV -o FILE [options]\n"
"\n"
"Trains the %s tagger (an averaged\n"
"perceptron, decoded greedily left to right) on %s,\n"
"scores it on DEV after each pass (%s), and writes\n"
"the best pass to FILE (see docs/models.md).\n"
"\n"
"Options:\n"
"      %-18s the training data\n"
"      --dev FILE         the development data (the same format)\n"
"  -o, --output FILE      the model to write\n"
"      --name NAME        the model's name, given as the source of what it\n"
"                         finds (default: FILE's name without .bin)\n"
"      --clusters FILE    word clusters from unlabelled text, made by\n"
"                         tools/gloss-clusters (stored in the model)\n"
"      --dictionary FILE  pos: the tags word forms can have, lines of a form,\n"
"                         a tab and tags separated by commas (made by\n"
"                         tools/dictionary.lua from WordNet and a word list);\n"
"                         forms the training data lacks are stored in the\n"
"                         model\n"
"      --stacked          train a second pass that also sees the first pass's\n"
"                         labels on both sides (and for ner, of the same word\n"
"                         elsewhere in the document)\n"
"      --seed N           the seed of the shuffling (default 1)\n"
"      --iterations N     the most passes over the data (default 20)\n"
"      --patience N       stop after N passes without a better dev score\n"
"                         (default 3)\n"
"      --max-size BYTES   the largest model to write (default 10000000)\n"
"  -q, --quiet            no line per pass\n"
"  -h, --help             show this help\n",
            kind, pos ? "--ud" : "--conll",
            pos ? "part-of-speech (UPOS)" : "named-entity (PER, ORG, LOC, MISC)",
            pos ? "the words and UPOS of a CoNLL-U file"
                : "a CoNLL-2003 file (word first, IOB tag last)",
            pos ? "token accuracy" : "entity F1, exact span and type",
            pos ? "--ud FILE" : "--conll FILE");
}

static int parse_num(const char *cmd, const char *what, const char *s,
                     unsigned long long *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || s[0] == '-') {
        fprintf(stderr, "%s: %s wants a whole number, got '%s'\n", cmd, what, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int train_tagger(int argc, char **argv, gloss__tagger_kind kind)
{
    const char *kname = kind == GLOSS__TAGGER_POS ? "pos" : "ner";
    char cmd[32];
    snprintf(cmd, sizeof cmd, "gloss train %s", kname);
    enum { OPT_DATA = 256, OPT_DEV, OPT_NAME, OPT_SEED, OPT_ITER, OPT_PATIENCE, OPT_MAX,
           OPT_CLUSTERS, OPT_DICT, OPT_STACKED };
    const struct option longopts[] = {
        {kind == GLOSS__TAGGER_POS ? "ud" : "conll", required_argument, NULL, OPT_DATA},
        {"dev", required_argument, NULL, OPT_DEV},
        {"output", required_argument, NULL, 'o'},
        {"name", required_argument, NULL, OPT_NAME},
        {"seed", required_argument, NULL, OPT_SEED},
        {"iterations", required_argument, NULL, OPT_ITER},
        {"patience", required_argument, NULL, OPT_PATIENCE},
        {"max-size", required_argument, NULL, OPT_MAX},
        {"clusters", required_argument, NULL, OPT_CLUSTERS},
        {"dictionary", required_argument, NULL, OPT_DICT},
        {"stacked", no_argument, NULL, OPT_STACKED},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *data = NULL, *devpath = NULL, *output = NULL, *name = NULL, *clusters = NULL;
    const char *dictionary = NULL;
    unsigned long long seed = 1, iterations = 20, patience = 3, max_size = 10000000;
    int quiet = 0, stacked = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case OPT_DATA: data = optarg; break;
        case OPT_DEV: devpath = optarg; break;
        case 'o': output = optarg; break;
        case OPT_NAME: name = optarg; break;
        case OPT_CLUSTERS: clusters = optarg; break;
        case OPT_DICT: dictionary = optarg; break;
        case OPT_STACKED: stacked = 1; break;
        case OPT_SEED: bad = parse_num(cmd, "--seed", optarg, &seed); break;
        case OPT_ITER: bad = parse_num(cmd, "--iterations", optarg, &iterations); break;
        case OPT_PATIENCE: bad = parse_num(cmd, "--patience", optarg, &patience); break;
        case OPT_MAX: bad = parse_num(cmd, "--max-size", optarg, &max_size); break;
        case 'q': quiet = 1; break;
        case 'h':
            tagger_usage(stdout, kname);
            return GLOSS_EXIT_OK;
        default:
            fprintf(stderr, "Run '%s --help' for the options.\n", cmd);
            return GLOSS_EXIT_USAGE;
        }
        if (bad)
            return GLOSS_EXIT_USAGE;
    }
    if (!data || !output || optind < argc) {
        fprintf(stderr, "%s: give the training data with %s and the model with -o "
                        "(and nothing else)\n",
                cmd, kind == GLOSS__TAGGER_POS ? "--ud" : "--conll");
        return GLOSS_EXIT_USAGE;
    }
    if (iterations < 1 || iterations > 1000 || max_size < 65536) {
        fprintf(stderr, "%s: --iterations goes from 1 to 1000 and --max-size from 65536\n",
                cmd);
        return GLOSS_EXIT_USAGE;
    }
    char err[1024];
    char stem[256];
    if (!name) {
        const char *base = strrchr(output, '/');
        base = base ? base + 1 : output;
        snprintf(stem, sizeof stem, "%s", base);
        size_t n = strlen(stem);
        if (n > 4 && strcmp(stem + n - 4, ".bin") == 0)
            stem[n - 4] = '\0';
        name = stem;
    }
    if (strlen(name) > 100 || strpbrk(name, "\"\\")) {
        fprintf(stderr, "%s: the name must be short and without quotes\n", cmd);
        return GLOSS_EXIT_USAGE;
    }
    gloss__tagger_corpus train, dev;
    memset(&dev, 0, sizeof dev);
    int (*reader)(const char *, gloss__tagger_corpus *, char *, size_t) =
        kind == GLOSS__TAGGER_POS ? gloss__tagger_read_conllu : gloss__tagger_read_conll;
    if (reader(data, &train, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", cmd, err);
        return GLOSS_EXIT_FAILED;
    }
    if (devpath && reader(devpath, &dev, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", cmd, err);
        gloss__tagger_corpus_free(&train);
        return GLOSS_EXIT_FAILED;
    }
    if (!quiet)
        fprintf(stderr, "%s: %zu sentences, %zu tokens from %s; dev %zu sentences\n",
                cmd, train.nsents, train.ntoks, data, dev.nsents);
    gloss__tagger_train_opts o = {
        .kind = kind,
        .name = name,
        .iterations = (unsigned)iterations,
        .patience = patience > 1000 ? 1000 : (unsigned)patience,
        .seed = seed,
        .max_bytes = (size_t)max_size,
        .progress = !quiet,
        .clusters = clusters,
        .dictionary = dictionary,
        .stacked = stacked,
    };
    double score = 0;
    int rc = gloss__tagger_train(&train, devpath ? &dev : NULL, &o, output, &score, err,
                                 sizeof err);
    gloss__tagger_corpus_free(&train);
    gloss__tagger_corpus_free(&dev);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", cmd, err);
        return GLOSS_EXIT_FAILED;
    }
    if (!quiet && devpath)
        fprintf(stderr, "%s: wrote %s (dev %s %.2f)\n", cmd, output,
                kind == GLOSS__TAGGER_POS ? "accuracy" : "F1", score);
    return GLOSS_EXIT_OK;
}

int gloss__train_pos(int argc, char **argv)
{
    return train_tagger(argc, argv, GLOSS__TAGGER_POS);
}

int gloss__train_ner(int argc, char **argv)
{
    return train_tagger(argc, argv, GLOSS__TAGGER_NER);
}
