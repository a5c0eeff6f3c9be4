/*
 * err.c - gloss_err_set(), the one way a stage reports why it failed.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

void gloss_err_set(gloss_err *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}
