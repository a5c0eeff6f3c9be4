/*
 * cmd_stages.c - `gloss stages` lists the built-in stages, and
 * `gloss stages NAME` shows the options of one, from the same option tables
 * that check configurations, so what it prints is what is accepted.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "registry.h"

static const char *type_name(gloss_opt_type t)
{
    switch (t) {
    case GLOSS_OPT_STRING: return "string";
    case GLOSS_OPT_NUMBER: return "number";
    case GLOSS_OPT_INTEGER: return "integer";
    case GLOSS_OPT_BOOL: return "boolean";
    case GLOSS_OPT_SIZE: return "size";
    case GLOSS_OPT_STRINGS: return "list of strings";
    case GLOSS_OPT_JSON: return "any JSON value";
    }
    return "?";
}

static void show_stage(const gloss_stage_desc *d)
{
    printf("%s - %s\n", d->name, d->description ? d->description : "");
    if (!d->options || !d->options[0].name) {
        printf("\n  (no options)\n");
        return;
    }
    printf("\nOptions:\n");
    for (const gloss_option *o = d->options; o->name; o++) {
        printf("  %s (%s", o->name, type_name(o->type));
        if (o->default_value)
            printf(", default %s", o->default_value);
        else
            printf(", required");
        printf(")\n");
        if (o->choices) {
            printf("      one of:");
            for (const char *const *c = o->choices; *c; c++)
                printf(" \"%s\"", *c);
            printf("\n");
        }
        if (o->description)
            printf("      %s\n", o->description);
    }
}

int gloss__cmd_stages(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        printf("usage: gloss stages [NAME]\n\n"
               "Lists the built-in stages; with NAME, shows that stage's options.\n"
               "Lua stages shipped with gloss are in %s.\n", GLOSS_SCRIPT_DIR);
        return GLOSS_EXIT_OK;
    }
    if (argc > 1) {
        const gloss_stage_desc *d = gloss__builtin_stage(argv[1]);
        if (!d) {
            fprintf(stderr, "gloss stages: no built-in stage '%s'\n", argv[1]);
            return GLOSS_EXIT_USAGE;
        }
        show_stage(d);
        return GLOSS_EXIT_OK;
    }
    for (size_t i = 0; gloss__builtin_stages[i]; i++)
        printf("%-12s %s\n", gloss__builtin_stages[i]->name,
               gloss__builtin_stages[i]->description);
    return GLOSS_EXIT_OK;
}
