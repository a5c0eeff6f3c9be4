/*
 * cmd_train.c - `gloss train KIND`: trains one of the statistical models.
 *
 * Each kind of model has its own trainer in its own file; this table maps
 * the kind named on the command line to it.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct train_kind {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} kinds[] = {
    {"pos", gloss__train_pos, "part of speech (UPOS) from a CoNLL-U treebank"},
    {"ner", gloss__train_ner, "named entities from CoNLL-2003 data"},
    {"classify", gloss__train_classify,
     "a text classifier from labelled JSON Lines"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: gloss train KIND [OPTIONS]\n\nKinds:\n");
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        fprintf(out, "  %-10s %s\n", kinds[i].name, kinds[i].summary);
    fprintf(out, "\nRun 'gloss train KIND --help' for the options of a kind.\n");
}

int gloss__cmd_train(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? GLOSS_EXIT_USAGE : GLOSS_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (strcmp(argv[1], kinds[i].name) == 0)
            return kinds[i].run(argc - 1, argv + 1);
    fprintf(stderr, "gloss train: unknown kind '%s'\n", argv[1]);
    usage(stderr);
    return GLOSS_EXIT_USAGE;
}
