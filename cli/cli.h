/*
 * cli.h - what the subcommands of `gloss` share.
 *
 * Each subcommand lives in its own file as `int gloss__cmd_NAME(int argc,
 * char **argv)`, returning the process exit status: 0 for success, 1 when
 * some input failed, 2 for a usage or configuration error.
 */
#ifndef GLOSS_CLI_H
#define GLOSS_CLI_H

#include <jansson.h>

#include "config.h"
#include "pipeline.h"

#define GLOSS_EXIT_OK 0
#define GLOSS_EXIT_FAILED 1
#define GLOSS_EXIT_USAGE 2

int gloss__cmd_run(int argc, char **argv);
int gloss__cmd_stages(int argc, char **argv);
int gloss__cmd_check(int argc, char **argv);
int gloss__cmd_send(int argc, char **argv);
int gloss__cmd_sub(int argc, char **argv);
int gloss__cmd_eval(int argc, char **argv);
int gloss__cmd_train(int argc, char **argv);
/* The classifier's tasks of `gloss train` and `gloss eval`
 * (cli/train_classify.c, cli/eval_classify.c). */
int gloss__train_classify(int argc, char **argv);
/* The taggers' tasks of `gloss train` (cli/train_tagger.c). */
int gloss__train_pos(int argc, char **argv);
int gloss__train_ner(int argc, char **argv);
int gloss__eval_classify(int argc, char **argv);
/* ping, stats, reload and drain: argv[0] names the command. */
int gloss__cmd_control(int argc, char **argv);

/* Which endpoint of a daemon a client command talks to. */
typedef enum gloss__endpoint {
    GLOSS__EP_SUBMIT,
    GLOSS__EP_PUBLISH,
    GLOSS__EP_CONTROL
} gloss__endpoint;

/*
 * Resolves the endpoint a client command uses: the one given with -e, else
 * the one in the daemon table of the configuration given with -c, else the
 * default. Returns a malloc'd string, or NULL after printing why.
 */
char *gloss__cli_endpoint(const char *cmd, const char *given,
                          const char *config_path, gloss__endpoint which);

/*
 * Loads the configuration (config_path, or the embedded default when NULL)
 * or, when stage is given, a one-stage configuration with options, and
 * builds its pipeline. Prints the reason on stderr, prefixed with cmd, and
 * returns -1 on failure.
 */
int gloss__cli_pipeline(const char *cmd, const char *config_path,
                        const char *stage, json_t *options,
                        gloss__config **cfg, gloss__pipeline **pipeline);

/*
 * Lists the regular, non-hidden files of folder dir, as paths joined to
 * dir, in name order: the documents `gloss run DIR` and `gloss send DIR`
 * take. Returns 0 with *names (n malloc'd strings in a malloc'd array; the
 * caller frees both), or -1 with errno set and nothing to free.
 */
int gloss__cli_list_folder(const char *dir, char ***names, size_t *n);

/* Parses "key=value" into options: the value is read as JSON when it is
 * valid JSON (numbers, true, lists), else taken as a string. */
int gloss__cli_add_option(json_t *options, const char *arg);

#endif
