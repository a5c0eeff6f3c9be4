/*
 * gloss.c - the entry point of the `gloss` command: dispatches to the
 * subcommand named by the first argument.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "gloss/stage.h"

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"run", gloss__cmd_run, "run the pipeline on files offline, print JSON lines"},
    {"send", gloss__cmd_send, "submit files to a running glossd"},
    {"sub", gloss__cmd_sub, "print the results a running glossd publishes"},
    {"ping", gloss__cmd_control, "check that glossd answers"},
    {"stats", gloss__cmd_control, "show a running glossd's counters"},
    {"reload", gloss__cmd_control, "make glossd load its configuration again"},
    {"drain", gloss__cmd_control, "make glossd finish what it holds and exit"},
    {"check", gloss__cmd_check, "check a configuration and start its stages"},
    {"train", gloss__cmd_train, "train a statistical model (train classify)"},
    {"eval", gloss__cmd_eval, "score a stage against annotated data (eval segment)"},
    {"train", gloss__cmd_train, "train a model from annotated data (train pos, ner)"},
    {"stages", gloss__cmd_stages, "list the built-in stages and their options"},
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gloss COMMAND [OPTIONS] [ARGS]\n"
            "\n"
            "gloss runs text-processing pipelines of C and Lua stages over\n"
            "documents and prints the annotated result as JSON.\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\n"
            "Run 'gloss COMMAND --help' for the options of a command.\n"
            "Documentation: %s (config.md, lua-api.md, stage-api.md, schema.md)\n",
            GLOSS_DOC_DIR);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return GLOSS_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
        strcmp(cmd, "help") == 0) {
        usage(stdout);
        return GLOSS_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("gloss %s (stage ABI %u)\n", PACKAGE_VERSION, GLOSS_STAGE_ABI);
        return GLOSS_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "gloss: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return GLOSS_EXIT_USAGE;
}
