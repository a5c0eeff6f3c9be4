/*
 * bad_abi.c - a plugin claiming a stage ABI this engine does not speak, as
 * a plugin built against a future gloss would. The loader must refuse it
 * with both version numbers in the message, without calling anything.
 */
#include <gloss/stage.h>

static int process(void *ctx, gloss_doc *doc, gloss_err *err)
{
    (void)ctx;
    (void)doc;
    gloss_err_set(err, "this must never run");
    return GLOSS_ERROR;
}

GLOSS_STAGE_EXPORT = {
    .abi = 999,
    .name = "bad_abi",
    .process = process,
};
