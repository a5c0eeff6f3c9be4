/*
 * match_test.c - helpers shared by the matcher's tests (see
 * match_test.h).
 */
#include "match_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "match_internal.h"
#include "pipeline.h"

const char *match_test_dir = ".";

const char *match_test_mkdir(char *tmpl)
{
    if (!mkdtemp(tmpl))
        return NULL;
    return match_test_dir = tmpl;
}

int match_test_rmdir(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", match_test_dir);
    return system(cmd) == 0 ? 0 : -1;
}

char *match_test_write(const char *name, const char *text)
{
    static char path[4][512];
    static int k;
    char *p = path[k++ % 4];
    snprintf(p, 512, "%s/%s", match_test_dir, name);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return p;
}

const char *match_test_found(gloss__matcher *m, const char *text)
{
    static char out[4096];
    const gloss__match *ms;
    char err[512];
    long n = gloss__matcher_scan(m, text, strlen(text), &ms, err, sizeof err);
    if (n < 0) {
        snprintf(out, sizeof out, "error: %s", err);
        return out;
    }
    size_t used = 0;
    out[0] = '\0';
    for (long i = 0; i < n && used < sizeof out; i++)
        used += (size_t)snprintf(out + used, sizeof out - used, "%s%s[%.*s]",
                                 i ? " " : "", ms[i].entry->label,
                                 (int)(ms[i].end - ms[i].start),
                                 text + ms[i].start);
    return out;
}

gloss_doc *match_test_run(const char *src, const char *text, char *err, size_t len)
{
    gloss__config *cfg = gloss__config_load_string(src, strlen(src), "t.lua",
                                                   match_test_dir, err, len);
    if (!cfg)
        return NULL;
    gloss__pipeline *p = gloss__pipeline_new(cfg, err, len);
    gloss_doc *doc = NULL;
    if (p) {
        doc = gloss_doc_new("d", "test", text, strlen(text));
        gloss__doc_status st;
        gloss__pipeline_run(p, &doc, 1, &st);
        gloss__pipeline_destroy(&p);
    }
    gloss__config_destroy(&cfg);
    return doc;
}
