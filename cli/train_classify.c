/*
 * train_classify.c - `gloss train classify`: fits a text classifier on
 * labelled JSON Lines and writes its model.
 *
 * The work is done by plugins/classify_train.c; this file reads the
 * options and the data, reports progress (one line per epoch on a
 * terminal, or with --progress), and writes the model file.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify_eval.h"
#include "classify_train.h"
#include "cli.h"

static void usage(FILE *out)
{
    fprintf(out,
"usage: gloss train classify --jsonl TRAIN.jsonl [--dev DEV.jsonl] -o MODEL\n"
"                            [--multi-label] [--seed N] [--threads N] ...\n"
"\n"
"Trains a linear text classifier over hashed words and word pairs (sublinear\n"
"TF-IDF, SGD with L2) and writes its model. Each line\n"
"of the data is {\"text\": ..., \"label\": ...} or {\"text\": ..., \"labels\": [...]}.\n"
"With --dev, every epoch is scored on the dev set and the best one is kept.\n"
"The same data, options and seed give the same model, byte for byte.\n"
"\n"
"Options:\n"
"      --jsonl FILE       the training data\n"
"      --dev FILE         the dev data, to choose the epoch (and stop early)\n"
"  -o, --output FILE      the model to write\n"
"      --multi-label      one sigmoid per label: a text may have several\n"
"                         labels, or none (default: a softmax, one label)\n"
"      --tune-thresholds  with --multi-label and --dev: set each label's\n"
"                         threshold to the one that maximises its F1 on dev\n"
"                         (default: 0.5 for every label)\n"
"      --seed N           the order in which texts are visited (default 1)\n"
"      --threads N        threads computing the features (default 2); the\n"
"                         model does not depend on it\n"
"      --epochs N         at most N passes over the data (default 30)\n"
"      --patience N       with --dev, stop after N epochs without a better\n"
"                         dev score (default 4; 0 runs every epoch)\n"
"      --loss hinge|logistic  a single-label model's loss: the multiclass\n"
"                         squared hinge, its margins made probabilities by a\n"
"                         softmax at a temperature fitted on the dev (or\n"
"                         training) set, or softmax cross-entropy (default\n"
"                         hinge, the more accurate)\n"
"      --lr X             initial learning rate (default 0.2 for the hinge,\n"
"                         2 for the logistic losses)\n"
"      --l2 X             L2 regularisation (default 1e-6)\n"
"      --bits N           2^N feature buckets, 10 to 26 (default 18)\n"
"      --no-bigrams       words only, no word pairs\n"
"      --progress         report every epoch even when not on a terminal\n"
"  -q, --quiet            no progress\n"
"  -h, --help             show this help\n");
}

typedef struct progress_state {
    int show;
} progress_state;

static void on_progress(void *arg, const gloss__cls_progress *p)
{
    const progress_state *st = arg;
    if (!st->show)
        return;
    if (strcmp(p->phase, "features") == 0) {
        fprintf(stderr, "gloss train classify: computing features\n");
        return;
    }
    if (p->dev_score >= 0)
        fprintf(stderr, "epoch %2u/%u  loss %.4f  dev %.2f%%%s  %.1fs\n",
                p->epoch, p->epochs, p->loss, 100 * p->dev_score,
                p->best ? " *" : "  ", p->seconds);
    else
        fprintf(stderr, "epoch %2u/%u  loss %.4f  %.1fs\n", p->epoch,
                p->epochs, p->loss, p->seconds);
}

static int parse_number(const char *opt, const char *s, double lo, double hi,
                        double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= lo && v <= hi)) {
        fprintf(stderr, "gloss train classify: %s wants a number from %g to "
                        "%g, not '%s'\n", opt, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

int gloss__train_classify(int argc, char **argv)
{
    enum { O_JSONL = 256, O_DEV, O_MULTI, O_SEED, O_THREADS, O_EPOCHS,
           O_PATIENCE, O_LR, O_L2, O_BITS, O_NOBI, O_PROGRESS, O_LOSS, O_TUNE };
    static const struct option longopts[] = {
        {"jsonl", required_argument, NULL, O_JSONL},
        {"dev", required_argument, NULL, O_DEV},
        {"output", required_argument, NULL, 'o'},
        {"multi-label", no_argument, NULL, O_MULTI},
        {"seed", required_argument, NULL, O_SEED},
        {"threads", required_argument, NULL, O_THREADS},
        {"epochs", required_argument, NULL, O_EPOCHS},
        {"patience", required_argument, NULL, O_PATIENCE},
        {"lr", required_argument, NULL, O_LR},
        {"loss", required_argument, NULL, O_LOSS},
        {"tune-thresholds", no_argument, NULL, O_TUNE},
        {"l2", required_argument, NULL, O_L2},
        {"bits", required_argument, NULL, O_BITS},
        {"no-bigrams", no_argument, NULL, O_NOBI},
        {"progress", no_argument, NULL, O_PROGRESS},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    gloss__cls_train_opts o;
    gloss__cls_train_defaults(&o);
    o.threads = 2;
    const char *train_path = NULL, *dev_path = NULL, *out_path = NULL;
    progress_state st = {isatty(STDERR_FILENO)};
    double v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case O_JSONL: train_path = optarg; break;
        case O_DEV: dev_path = optarg; break;
        case 'o': out_path = optarg; break;
        case O_MULTI: o.multi = 1; break;
        case O_TUNE: o.tune_thresholds = 1; break;
        case O_NOBI: o.feat.flags &= ~GLOSS__CLS_BIGRAMS; break;
        case O_PROGRESS: st.show = 1; break;
        case 'q': st.show = 0; break;
        case 'h': usage(stdout); return GLOSS_EXIT_OK;
        case O_SEED:
            if (parse_number("--seed", optarg, 0, 9007199254740992.0, &v) < 0)
                return GLOSS_EXIT_USAGE;
            o.seed = (uint64_t)v;
            break;
        case O_THREADS:
            if (parse_number("--threads", optarg, 1, 64, &v) < 0)
                return GLOSS_EXIT_USAGE;
            o.threads = (unsigned)v;
            break;
        case O_EPOCHS:
            if (parse_number("--epochs", optarg, 1, 1000, &v) < 0)
                return GLOSS_EXIT_USAGE;
            o.epochs = (unsigned)v;
            break;
        case O_PATIENCE:
            if (parse_number("--patience", optarg, 0, 1000, &v) < 0)
                return GLOSS_EXIT_USAGE;
            o.patience = (unsigned)v;
            break;
        case O_LOSS:
            if (strcmp(optarg, "hinge") == 0)
                o.loss = GLOSS__CLS_HINGE;
            else if (strcmp(optarg, "logistic") == 0)
                o.loss = GLOSS__CLS_LOGISTIC;
            else {
                fprintf(stderr, "gloss train classify: --loss is 'hinge' or "
                                "'logistic', not '%s'\n", optarg);
                return GLOSS_EXIT_USAGE;
            }
            break;
        case O_LR:
            if (parse_number("--lr", optarg, 1e-9, 1e3, &o.lr) < 0)
                return GLOSS_EXIT_USAGE;
            break;
        case O_L2:
            if (parse_number("--l2", optarg, 0, 1, &o.l2) < 0)
                return GLOSS_EXIT_USAGE;
            break;
        case O_BITS:
            if (parse_number("--bits", optarg, 10, 26, &v) < 0)
                return GLOSS_EXIT_USAGE;
            o.feat.bits = (uint32_t)v;
            break;
        default:
            fprintf(stderr, "Run 'gloss train classify --help' for the options.\n");
            return GLOSS_EXIT_USAGE;
        }
    }
    if (o.tune_thresholds && (!o.multi || !dev_path)) {
        fprintf(stderr, "gloss train classify: --tune-thresholds needs "
                        "--multi-label and --dev\n");
        return GLOSS_EXIT_USAGE;
    }
    if (!train_path || !out_path || optind < argc) {
        fprintf(stderr, "gloss train classify: %s\n",
                optind < argc ? "unexpected arguments"
                              : "give the data with --jsonl and the model "
                                "with -o");
        fprintf(stderr, "Run 'gloss train classify --help' for the options.\n");
        return GLOSS_EXIT_USAGE;
    }
    o.progress = on_progress;
    o.progress_arg = &st;
    char err[1024];
    gloss__cls_data train, dev;
    if (gloss__cls_data_read(train_path, &train, err, sizeof err) < 0) {
        fprintf(stderr, "gloss train classify: %s\n", err);
        return GLOSS_EXIT_FAILED;
    }
    if (dev_path && gloss__cls_data_read(dev_path, &dev, err, sizeof err) < 0) {
        fprintf(stderr, "gloss train classify: %s\n", err);
        gloss__cls_data_free(&train);
        return GLOSS_EXIT_FAILED;
    }
    if (train.multi && !o.multi)
        fprintf(stderr, "gloss train classify: note: %s has \"labels\" lists; "
                        "give --multi-label if a text may have several\n",
                train_path);
    if (st.show)
        fprintf(stderr, "gloss train classify: %zu texts (%.1f MB), %zu labels%s\n",
                train.n, (double)train.bytes / 1e6, train.nnames,
                dev_path ? ", with dev" : "");
    int rc = GLOSS_EXIT_FAILED;
    gloss__cls_model *m = gloss__cls_train(&train, dev_path ? &dev : NULL, &o,
                                           err, sizeof err);
    if (!m) {
        fprintf(stderr, "gloss train classify: %s\n", err);
        goto done;
    }
    if (gloss__cls_model_save(m, out_path, err, sizeof err) < 0) {
        fprintf(stderr, "gloss train classify: %s\n", err);
        goto done;
    }
    if (dev_path) {
        gloss__cls_eval e;
        if (gloss__cls_evaluate(m, &dev, o.threads, &e) == 0) {
            fprintf(stderr, "gloss train classify: wrote %s; dev accuracy "
                            "%.2f%%, macro-F1 %.2f%%\n", out_path,
                    100 * gloss__cls_eval_accuracy(&e),
                    100 * gloss__cls_eval_macro_f1(&e));
            gloss__cls_eval_free(&e);
        }
    } else if (st.show) {
        fprintf(stderr, "gloss train classify: wrote %s\n", out_path);
    }
    rc = GLOSS_EXIT_OK;
done:
    gloss__cls_model_free(&m);
    gloss__cls_data_free(&train);
    if (dev_path)
        gloss__cls_data_free(&dev);
    return rc;
}
