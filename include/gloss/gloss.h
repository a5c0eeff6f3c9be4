/*
 * gloss/gloss.h - everything a C plugin of gloss includes.
 *
 * The document model (gloss/doc.h) and the stage interface (gloss/stage.h).
 * Nothing here depends on the engine's own dependencies, so a plugin builds
 * with only `pkg-config --cflags gloss`.
 */
#ifndef GLOSS_GLOSS_H
#define GLOSS_GLOSS_H

#include <gloss/doc.h>
#include <gloss/stage.h>

#endif
