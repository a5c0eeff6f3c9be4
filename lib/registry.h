/*
 * registry.h - the stages built into the engine, and external plugins.
 *
 * Built-in stages are listed at build time in registry.c. External stages
 * are shared objects opened with dlopen(); gloss__plugin_open() checks that
 * the file exports GLOSS_STAGE_SYMBOL and that its ABI version is the one
 * this engine was built with, and says which of the two failed.
 */
#ifndef GLOSS_REGISTRY_H
#define GLOSS_REGISTRY_H

#include <stddef.h>

#include "gloss/stage.h"

/* The built-in stage called name, or NULL. */
const gloss_stage_desc *gloss__builtin_stage(const char *name);

/* All built-in stages, NULL-terminated. */
extern const gloss_stage_desc *const gloss__builtin_stages[];

typedef struct gloss__plugin gloss__plugin;

/* Opens the plugin at path and checks its descriptor. Returns NULL with a
 * message naming the file and what was expected. */
gloss__plugin *gloss__plugin_open(const char *path, char *err, size_t errlen);
const gloss_stage_desc *gloss__plugin_desc(const gloss__plugin *plugin);
void gloss__plugin_close(gloss__plugin **plugin);

#endif
