/*
 * config_eval.h - running a configuration file in a restricted Lua state.
 *
 * A configuration is a Lua program whose result is a table. It runs with
 * only the libraries a configuration needs (no files, no modules, no
 * binary chunks), a cap on its memory and a budget of instructions, so that
 * a mistake in it (an endless loop, a runaway string) ends in a message
 * rather than a hung or swollen program. The result comes back as JSON and
 * the Lua state is closed before the caller sees it.
 */
#ifndef GLOSS_CONFIG_EVAL_H
#define GLOSS_CONFIG_EVAL_H

#include <jansson.h>
#include <stddef.h>

/* The limits a configuration runs under; docs/config.md states them. */
#define GLOSS__CONFIG_MAX_MEMORY ((size_t)32 << 20)
#define GLOSS__CONFIG_MAX_INSTRUCTIONS 10000000ull

/*
 * Runs the Lua source src (len bytes) and converts the table it returns to
 * a JSON object. name is the file name used in messages, which all start
 * with it ("glossd.conf.lua:3: ..."). Returns NULL with a message in err on
 * failure.
 */
json_t *gloss__config_eval(const char *src, size_t len, const char *name,
                           char *err, size_t errlen);

#endif
