/*
 * test_routes.c - the topics a worker gives a finished document, and its
 * per-stage report: what a subscriber filtering on label.* or entity.*
 * receives depends on exactly these strings.
 */
#include <string.h>

#include "buf.h"
#include "config.h"
#include "routes.h"
#include "tap.h"

static const char CONFIG[] =
    "return { pipeline = {}, daemon = { routes = {\n"
    "  { labels = 'topic', prefix = 'label', min_score = 0.5 },\n"
    "  { layer = 'entities', prefix = 'entity' },\n"
    "} } }";

int main(void)
{
    char err[1024];
    gloss__config *cfg = gloss__config_load_string(CONFIG, strlen(CONFIG),
                                                   "routes.lua", ".", err,
                                                   sizeof err);
    ok(cfg != NULL, "a configuration with routes loads");
    if (!cfg) {
        diag("%s", err);
        return done_testing();
    }
    const char *text = "Dulat Agadil and Bota Jardemalie met the OSCE in Almaty.";
    gloss_doc *doc = gloss_doc_new("d1", "europarl", text, strlen(text));
    gloss_layer *ents = gloss_doc_layer(doc, "entities", 1);
    gloss_layer_add(ents, 0, 12, "PER");
    gloss_layer_add(ents, 17, 32, "PER");
    gloss_layer_add(ents, 41, 45, "ORG");
    gloss_layer_add(ents, 49, 55, "LOC");
    gloss_doc_set_label(doc, "topic", "torture", 0.92);
    gloss_doc_set_label(doc, "topic", "elections", 0.2);
    gloss_doc_set_label(doc, "topic", "political prisoners", 0.7);
    gloss_doc_set_label(doc, "lang", "en", 1);

    gloss__buf out = GLOSS__BUF_INIT;
    gloss__routes_topics(cfg, doc, GLOSS__DOC_OK, &out);
    is_str(out.data,
           "doc.europarl\nlabel.torture\nlabel.political_prisoners\n"
           "entity.PER\nentity.ORG\nentity.LOC",
           "a processed document goes to doc.<source>, its labels over "
           "min_score and each distinct entity label once");

    gloss_doc_add_error(doc, "watch", "boom");
    gloss__routes_topics(cfg, doc, GLOSS__DOC_FAILED, &out);
    is_str(out.data, "error.watch", "a failed document goes to error.<stage>");
    gloss__routes_topics(cfg, doc, GLOSS__DOC_DROPPED, &out);
    is_int(out.len, 0, "a dropped document goes nowhere");

    gloss_doc_add_timing(doc, "normalize", 1500);
    gloss_doc_add_timing(doc, "watch", 2500);
    gloss__routes_stage_report(doc, &out);
    is_str(out.data, "normalize\t1500\t0\nwatch\t2500\t1\n",
           "the stage report gives each stage's time and whether it failed");

    gloss_doc *bare = gloss_doc_new("d2", "a source\nwith a newline", "x", 1);
    gloss__routes_topics(cfg, bare, GLOSS__DOC_OK, &out);
    is_str(out.data, "doc.a_source_with_a_newline",
           "spaces and newlines in a topic become underscores");

    gloss__buf_free(&out);
    gloss_doc_destroy(&bare);
    gloss_doc_destroy(&doc);
    gloss__config_destroy(&cfg);
    return done_testing();
}
