/*
 * cmd_check.c - `gloss check`: loads a configuration and starts every stage
 * in it (options checked, scripts loaded, init() run), then stops. It is
 * what to run before deploying a configuration or reloading a daemon.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int gloss__cmd_check(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'h':
            printf("usage: gloss check [-c CONFIG]\n\n"
                   "Checks the configuration (the embedded default without -c)\n"
                   "and starts each of its stages once. Prints the stages and\n"
                   "exits 0 when all is well, or the first problem and exits 2.\n");
            return GLOSS_EXIT_OK;
        default:
            return GLOSS_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "gloss check: unexpected argument '%s' (use -c CONFIG)\n",
                argv[optind]);
        return GLOSS_EXIT_USAGE;
    }
    gloss__config *cfg;
    gloss__pipeline *p;
    if (gloss__cli_pipeline("gloss check", config, NULL, NULL, &cfg, &p) < 0)
        return GLOSS_EXIT_USAGE;
    printf("%s: ok, %zu stage%s:", cfg->path, cfg->n_stages,
           cfg->n_stages == 1 ? "" : "s");
    for (size_t i = 0; i < cfg->n_stages; i++)
        printf("%s %s", i ? "," : "", cfg->stages[i].name);
    printf("\n");
    gloss__pipeline_destroy(&p);
    gloss__config_destroy(&cfg);
    return GLOSS_EXIT_OK;
}
