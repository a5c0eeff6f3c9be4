/*
 * eval_classify.c - `gloss eval classify`: scores a classifier model on
 * labelled JSON Lines (accuracy, macro-F1, per-label precision, recall and
 * F1, and the confusion matrix; plugins/classify_eval.c does the work).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "classify_eval.h"
#include "cli.h"

static void usage(FILE *out)
{
    fprintf(out,
"usage: gloss eval classify --jsonl FILE -m MODEL [--threads N]\n"
"\n"
"Predicts the labels of every line of FILE ({\"text\": ..., \"label\": ...} or\n"
"\"labels\": [...]) with the classifier MODEL (written by 'gloss train\n"
"classify') and prints accuracy, macro-F1, precision, recall and F1 per\n"
"label and, for a single-label model, the confusion matrix. A multi-label\n"
"model predicts each label whose probability reaches its threshold.\n"
"\n"
"Options:\n"
"      --jsonl FILE       the labelled texts\n"
"  -m, --model FILE       the classifier model\n"
"      --threads N        threads computing the features (default 1)\n"
"  -h, --help             show this help\n");
}

int gloss__eval_classify(int argc, char **argv)
{
    enum { O_JSONL = 256, O_THREADS };
    static const struct option longopts[] = {
        {"jsonl", required_argument, NULL, O_JSONL},
        {"model", required_argument, NULL, 'm'},
        {"threads", required_argument, NULL, O_THREADS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *data_path = NULL, *model_path = NULL;
    unsigned threads = 1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:h", longopts, NULL)) != -1) {
        switch (c) {
        case O_JSONL: data_path = optarg; break;
        case 'm': model_path = optarg; break;
        case O_THREADS: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (end == optarg || *end || v < 1 || v > 64) {
                fprintf(stderr, "gloss eval classify: --threads wants a "
                                "number from 1 to 64, not '%s'\n", optarg);
                return GLOSS_EXIT_USAGE;
            }
            threads = (unsigned)v;
            break;
        }
        case 'h': usage(stdout); return GLOSS_EXIT_OK;
        default:
            fprintf(stderr, "Run 'gloss eval classify --help' for the options.\n");
            return GLOSS_EXIT_USAGE;
        }
    }
    if (!data_path || !model_path || optind < argc) {
        fprintf(stderr, "gloss eval classify: %s\n",
                optind < argc ? "unexpected arguments"
                              : "give the data with --jsonl and the model "
                                "with -m");
        return GLOSS_EXIT_USAGE;
    }
    char err[1024];
    gloss__cls_model *m = gloss__cls_model_open(model_path, err, sizeof err);
    if (!m) {
        fprintf(stderr, "gloss eval classify: %s\n", err);
        return GLOSS_EXIT_FAILED;
    }
    gloss__cls_data d;
    if (gloss__cls_data_read(data_path, &d, err, sizeof err) < 0) {
        fprintf(stderr, "gloss eval classify: %s\n", err);
        gloss__cls_model_free(&m);
        return GLOSS_EXIT_FAILED;
    }
    gloss__cls_eval e;
    int rc = GLOSS_EXIT_OK;
    if (gloss__cls_evaluate(m, &d, threads, &e) < 0) {
        fprintf(stderr, "gloss eval classify: out of memory\n");
        rc = GLOSS_EXIT_FAILED;
    } else {
        gloss__cls_eval_print(stdout, m, &e);
        gloss__cls_eval_free(&e);
    }
    gloss__cls_data_free(&d);
    gloss__cls_model_free(&m);
    return rc;
}
