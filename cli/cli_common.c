/*
 * cli_common.c - what several subcommands do the same way: loading a
 * pipeline, parsing KEY=VALUE options, finding a daemon's endpoint, and
 * listing the documents of a folder.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "config_path.h"

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

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int gloss__cli_list_folder(const char *dir, char ***names_out, size_t *n_out)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *path = gloss__path_join(dir, e->d_name);
        struct stat st;
        if (path && (stat(path, &st) != 0 || !S_ISREG(st.st_mode))) {
            free(path);
            continue;
        }
        if (path && n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **grown = realloc(names, ncap * sizeof(*grown));
            if (grown) {
                names = grown;
                cap = ncap;
            } else {
                free(path);
                path = NULL;
            }
        }
        if (!path) {
            rc = -1;
            break;
        }
        names[n++] = path;
    }
    closedir(d);
    if (rc < 0) {
        free_names(names, n);
        errno = ENOMEM;
        return -1;
    }
    if (n)
        qsort(names, n, sizeof(*names), by_name);
    *names_out = names;
    *n_out = n;
    return 0;
}
