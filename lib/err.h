/*
 * err.h - the message buffer that stage callbacks fill on failure.
 *
 * gloss_err is opaque to stages (gloss/stage.h); the engine allocates it on
 * the stack, clears it before each call, and reads the message after a
 * failure. A fixed buffer keeps the failure path free of allocation, which
 * matters when the failure is running out of memory.
 */
#ifndef GLOSS_ERR_H
#define GLOSS_ERR_H

#include "gloss/stage.h"

#define GLOSS__ERR_MAX 1024

struct gloss_err {
    char msg[GLOSS__ERR_MAX];
};

static inline void gloss__err_clear(gloss_err *err) { err->msg[0] = '\0'; }

#endif
