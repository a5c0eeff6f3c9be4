/*
 * registry.c - the table of stages compiled into the engine.
 *
 * A built-in stage is a descriptor like any plugin's; listing it here is all
 * it takes to make it available by name in a configuration and in
 * `gloss stages`. Later stages (segment, pos, ner, match, classify) join
 * this list as they are written.
 */
#include "registry.h"

#include <string.h>

extern const gloss_stage_desc gloss__stage_normalize;
extern const gloss_stage_desc gloss__stage_segment;
extern const gloss_stage_desc gloss__stage_pos;
extern const gloss_stage_desc gloss__stage_ner;
extern const gloss_stage_desc gloss__stage_classify;
extern const gloss_stage_desc gloss__stage_match;

const gloss_stage_desc *const gloss__builtin_stages[] = {
    &gloss__stage_normalize,
    &gloss__stage_segment,
    &gloss__stage_pos,
    &gloss__stage_ner,
    &gloss__stage_classify,
    &gloss__stage_match,
    NULL,
};

const gloss_stage_desc *gloss__builtin_stage(const char *name)
{
    for (size_t i = 0; gloss__builtin_stages[i]; i++)
        if (strcmp(gloss__builtin_stages[i]->name, name) == 0)
            return gloss__builtin_stages[i];
    return NULL;
}
