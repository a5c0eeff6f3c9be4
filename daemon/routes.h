/*
 * routes.h - the topics a finished document is published on.
 *
 * The worker computes them, since it holds the document: the supervisor
 * then publishes the JSON it received on each topic without parsing it.
 *   processed: doc.<source>, then one topic per route match:
 *              <prefix>.<label name> for a label of the route's group with
 *              at least min_score, <prefix>.<span label> for each distinct
 *              label in the route's layer;
 *   failed:    error.<stage of the last error>;
 *   dropped:   none.
 * Topics are written one per line. Bytes that cannot be part of a topic
 * (spaces, controls, the newline that separates topics) become '_'.
 */
#ifndef GLOSS_ROUTES_H
#define GLOSS_ROUTES_H

#include "buf.h"
#include "config.h"
#include "gloss/doc.h"
#include "pipeline.h"

void gloss__routes_topics(const gloss__config *cfg, gloss_doc *doc,
                          gloss__doc_status status, gloss__buf *out);

/*
 * Writes what each stage cost the document, for the supervisor's per-stage
 * metrics: one line per stage that ran, "name<TAB>nanoseconds<TAB>failed"
 * where failed is 1 when the stage recorded an error on the document.
 */
void gloss__routes_stage_report(const gloss_doc *doc, gloss__buf *out);

#endif
