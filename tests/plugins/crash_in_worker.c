/*
 * crash_in_worker.c - a plugin whose init() aborts inside glossd's worker
 * processes (whose command line holds --worker) and succeeds elsewhere, so
 * that the supervisor accepts the configuration and then sees every worker
 * die before it is ready. The daemon must keep answering, restart workers
 * with a delay rather than in a tight loop, and still drain cleanly.
 */
#include <gloss/stage.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int in_worker(void)
{
    char buf[4096];
    FILE *f = fopen("/proc/self/cmdline", "rb");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    for (size_t i = 0; i + 8 <= n; i++)
        if (memcmp(buf + i, "--worker", 8) == 0)
            return 1;
    return 0;
}

static int init(void **ctx, const gloss_opts *opts, gloss_err *err)
{
    (void)opts;
    (void)err;
    if (in_worker())
        abort();
    *ctx = NULL;
    return GLOSS_OK;
}

static int process(void *ctx, gloss_doc *doc, gloss_err *err)
{
    (void)ctx;
    (void)doc;
    (void)err;
    return GLOSS_OK;
}

GLOSS_STAGE_EXPORT = {
    .abi = GLOSS_STAGE_ABI,
    .name = "crash_in_worker",
    .init = init,
    .process = process,
};
