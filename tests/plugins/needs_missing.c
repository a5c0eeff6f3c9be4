/*
 * needs_missing.c - a plugin that calls a function the engine does not
 * have. It must be refused when it is loaded, not crash when it runs.
 */
#include <gloss/stage.h>

void gloss_function_that_does_not_exist(gloss_doc *doc);

static int process(void *ctx, gloss_doc *doc, gloss_err *err)
{
    (void)ctx;
    (void)err;
    gloss_function_that_does_not_exist(doc);
    return GLOSS_OK;
}

GLOSS_STAGE_EXPORT = {
    .abi = GLOSS_STAGE_ABI,
    .name = "needs_missing",
    .process = process,
};
