/*
 * config_keys.h - the declarative table of configuration keys, and the one
 * checker that walks such tables.
 *
 * Every key a configuration may hold is one gloss__key entry: its name,
 * type, default, description and, for tables, the table of its sub-keys.
 * The same entries drive three things, so they cannot drift apart: the
 * checking of a loaded configuration, the filling in of defaults, and the
 * reference in docs/config.md. Stage options (gloss_option tables in
 * gloss/stage.h) are checked by the same code, translated to gloss__key
 * entries by opts.c.
 *
 * Checking produces a new JSON value in canonical form, so that code
 * reading the result need not know how the user spelled it: sizes become
 * integers of bytes, whole numbers given as 3.0 become integers, and an
 * empty Lua table (which arrives as an empty object) becomes an empty list
 * where a list is expected. Absent keys take their defaults; tables that
 * are absent are filled from their sub-keys' defaults.
 */
#ifndef GLOSS_CONFIG_KEYS_H
#define GLOSS_CONFIG_KEYS_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

typedef enum gloss__key_type {
    GLOSS__KEY_STRING = 1, /* a string; choices, when set, restrict it */
    GLOSS__KEY_BOOL,       /* true or false */
    GLOSS__KEY_INTEGER,    /* a whole number */
    GLOSS__KEY_NUMBER,     /* any finite number */
    GLOSS__KEY_SIZE,       /* bytes: a number or a string such as "64M" */
    GLOSS__KEY_ENUM,       /* one of the strings in choices */
    GLOSS__KEY_STRINGS,    /* a list of strings (each in choices, if set) */
    GLOSS__KEY_TABLE,      /* a table whose keys are described by sub */
    GLOSS__KEY_TABLES,     /* a list of tables, each described by sub */
    GLOSS__KEY_OBJECT,     /* a table of named values, passed through */
    GLOSS__KEY_ANY         /* any value, passed through */
} gloss__key_type;

/* Flags of a key. */
#define GLOSS__KEY_REQUIRED 0x1u /* absence is an error */
#define GLOSS__KEY_UNSIGNED 0x2u /* a number may not be negative */

typedef struct gloss__key {
    const char *name;          /* NULL ends a table */
    gloss__key_type type;
    const char *default_value; /* JSON text, or NULL for none */
    unsigned flags;
    const char *description;   /* Markdown, full sentences */
    const char *const *choices; /* NULL-terminated, or NULL */
    const struct gloss__key *sub; /* sub-keys of a table or of list items */
} gloss__key;

/* The keys of a configuration file; described in docs/config.md. */
extern const gloss__key gloss__config_keys[];

/*
 * Checks value against key and returns it in canonical form as a new
 * reference. path names the value in messages. Returns NULL with
 * "path: what is wrong" in err on failure.
 */
json_t *gloss__key_check(const gloss__key *key, const json_t *value,
                         const char *path, char *err, size_t errlen);

/*
 * Checks the table obj (an object; NULL counts as empty) against keys and
 * returns a new object holding every key in table order, with defaults
 * filled. noun names the entries in messages ("key", "option"). Returns
 * NULL with a message in err on failure: an unknown name (with a "did you
 * mean" hint, or the list of known names), a wrong value, or a missing
 * required entry.
 */
json_t *gloss__keys_check_table(const gloss__key *keys, const json_t *obj,
                                const char *path, const char *noun,
                                char *err, size_t errlen);

/* Writes a JSON value the way a user writes it in a Lua configuration
 * ({"a", "b"} for a list, { k = v } for an object). */
void gloss__json_write_lua(FILE *out, const json_t *value);

/* Writes what a key accepts, in words ("a size", "one of `"a"`, `"b"`"). */
void gloss__key_write_type(FILE *out, const gloss__key *key);

/* Writes the Markdown reference of keys, one section per key, naming
 * nested keys after their parents (prefix "" at the top). */
void gloss__keys_write_docs(FILE *out, const gloss__key *keys,
                            const char *prefix);

#endif
