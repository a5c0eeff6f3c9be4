/*
 * cli_common.c - loading a pipeline for a command, and parsing KEY=VALUE
 * options, in the one way every subcommand shares.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int gloss__cli_pipeline(const char *cmd, const char *config_path,
                        const char *stage, json_t *options,
                        gloss__config **cfg, gloss__pipeline **pipeline)
{
    char err[2048];
    *pipeline = NULL;
    if (stage)
        *cfg = gloss__config_single(stage, options, err, sizeof err);
    else
        *cfg = gloss__config_load(config_path, err, sizeof err);
    if (!*cfg) {
        fprintf(stderr, "%s: %s\n", cmd, err);
        return -1;
    }
    *pipeline = gloss__pipeline_new(*cfg, err, sizeof err);
    if (!*pipeline) {
        fprintf(stderr, "%s: %s: %s\n", cmd, (*cfg)->path, err);
        gloss__config_destroy(cfg);
        return -1;
    }
    return 0;
}

int gloss__cli_add_option(json_t *options, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return -1;
    char key[256];
    size_t klen = (size_t)(eq - arg);
    if (klen >= sizeof key)
        return -1;
    memcpy(key, arg, klen);
    key[klen] = '\0';
    json_t *value = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
    if (!value)
        value = json_string(eq + 1);
    if (!value)
        return -1;
    return json_object_set_new(options, key, value) == 0 ? 0 : -1;
}

char *gloss__cli_endpoint(const char *cmd, const char *given,
                          const char *config_path, gloss__endpoint which)
{
    if (given)
        return strdup(given);
    char err[2048];
    /* Without -c, the embedded default's daemon table gives the defaults,
     * so client and daemon agree by construction. */
    gloss__config *cfg = gloss__config_load(config_path, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "%s: %s\n", cmd, err);
        return NULL;
    }
    const char *ep = which == GLOSS__EP_SUBMIT    ? cfg->daemon.submit
                     : which == GLOSS__EP_PUBLISH ? cfg->daemon.publish
                                                  : cfg->daemon.control;
    char *out = NULL;
    if (!*ep)
        fprintf(stderr, "%s: the configuration turns this endpoint off\n", cmd);
    else
        out = strdup(ep);
    gloss__config_destroy(&cfg);
    return out;
}
