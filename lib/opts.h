/*
 * opts.h - checking a stage's options against its declared table.
 *
 * The options of a pipeline entry arrive as a JSON object. Before a stage's
 * init() runs, gloss__opts_new() checks them against the stage's
 * gloss_option table: unknown names, wrong types and values outside the
 * choices are refused with the key path; absent options take their
 * defaults. The getters of gloss/stage.h then read the result and cannot
 * fail for a declared option.
 */
#ifndef GLOSS_OPTS_H
#define GLOSS_OPTS_H

#include <jansson.h>
#include <stdio.h>

#include "gloss/stage.h"

/*
 * Checks options (an object, or NULL for none) against table (NULL means
 * the stage takes no options). key_path prefixes messages
 * ("pipeline[2].options"); instance is the stage instance's name; dir is the
 * folder relative file options are resolved against (gloss_opts_path).
 * Returns NULL with a message in err on failure.
 */
gloss_opts *gloss__opts_new(const gloss_option *table, const json_t *options,
                            const char *key_path, const char *instance,
                            const char *dir, char *err, size_t errlen);
void gloss__opts_destroy(gloss_opts **opts);

/* Parses a size: a non-negative number of bytes, or a string such as
 * "512", "64K", "16M", "1G" (binary multiples). Returns 0, or -1. */
int gloss__parse_size(const json_t *value, size_t *out);

/* Writes a Markdown table describing the options of a stage. */
void gloss__opts_write_docs(FILE *out, const gloss_option *table);

/* The closest of the candidate names to name, for "did you mean" hints,
 * or NULL when none is close. */
const char *gloss__closest_name(const char *name, const char *const *candidates,
                                size_t n);

#endif
