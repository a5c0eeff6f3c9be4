/*
 * routes.c - what a worker reports with a finished document: the topics
 * from its annotations, and each stage's cost (see routes.h).
 */
#include "routes.h"

#include <string.h>

/* Appends "<prefix>.<name>" as one line unless that line is already there:
 * a layer of a thousand entities yields one topic per distinct label. */
static void add_topic(gloss__buf *out, const char *prefix, const char *name)
{
    size_t start = out->len;
    if (start)
        gloss__buf_addc(out, '\n');
    size_t line = out->len;
    gloss__buf_adds(out, prefix);
    if (name) {
        gloss__buf_addc(out, '.');
        gloss__buf_adds(out, name);
    }
    if (out->oom)
        return;
    for (size_t i = line; i < out->len; i++)
        if ((unsigned char)out->data[i] <= ' ')
            out->data[i] = '_';
    size_t len = out->len - line;
    const char *p = out->data;
    while (p < out->data + line) {
        const char *nl = memchr(p, '\n', (size_t)(out->data + line - p));
        size_t plen = nl ? (size_t)(nl - p) : (size_t)(out->data + line - p);
        if (plen == len && memcmp(p, out->data + line, len) == 0) {
            out->len = start;
            out->data[start] = '\0';
            return;
        }
        if (!nl)
            break;
        p = nl + 1;
    }
}

void gloss__routes_topics(const gloss__config *cfg, gloss_doc *doc,
                          gloss__doc_status status, gloss__buf *out)
{
    gloss__buf_clear(out);
    if (status == GLOSS__DOC_DROPPED)
        return;
    if (status == GLOSS__DOC_FAILED) {
        const char *stage = "pipeline";
        size_t n = gloss_doc_error_count(doc);
        if (n)
            gloss_doc_error_at(doc, n - 1, &stage, NULL);
        add_topic(out, "error", stage);
        return;
    }
    add_topic(out, "doc", gloss_doc_source(doc));
    for (size_t r = 0; r < cfg->daemon.n_routes; r++) {
        const gloss__route *route = &cfg->daemon.routes[r];
        if (route->labels) {
            const gloss_labels *labels = gloss_doc_labels(doc);
            const char *group, *name;
            double score;
            for (size_t i = 0;
                 gloss_labels_at(labels, i, &group, &name, &score) == 0; i++)
                if (strcmp(group, route->labels) == 0 && score >= route->min_score)
                    add_topic(out, route->prefix, name);
        } else if (route->layer) {
            gloss_layer *layer = gloss_doc_layer(doc, route->layer, 0);
            size_t n = layer ? gloss_layer_size(layer) : 0;
            for (size_t i = 0; i < n; i++) {
                const gloss_span *s = gloss_layer_span(layer, i);
                if (s->label)
                    add_topic(out, route->prefix, s->label);
            }
        }
    }
}

void gloss__routes_stage_report(const gloss_doc *doc, gloss__buf *out)
{
    gloss__buf_clear(out);
    const char *stage;
    uint64_t ns;
    for (size_t i = 0; gloss_doc_timing_at(doc, i, &stage, &ns) == 0; i++) {
        int failed = 0;
        const char *err_stage;
        for (size_t e = 0; gloss_doc_error_at(doc, e, &err_stage, NULL) == 0; e++)
            failed |= strcmp(err_stage, stage) == 0;
        gloss__buf_printf(out, "%s\t%llu\t%d\n", stage, (unsigned long long)ns,
                          failed);
    }
}
