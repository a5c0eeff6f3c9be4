/*
 * opts.c - checking a stage's options and reading them (see opts.h and the
 * gloss_opts_* getters of gloss/stage.h).
 *
 * A stage's gloss_option table is translated into configuration keys
 * (config_keys.h) so that options and configuration keys are checked by
 * one implementation and report mistakes in the same words. The checked
 * options are kept as one JSON object holding every declared option, with
 * defaults filled and values in canonical form (sizes as integers of
 * bytes), which is what makes the getters infallible for declared options.
 *
 * A getter called with a name the stage did not declare, or with the wrong
 * type, is a bug in the stage rather than in the user's configuration, so
 * it warns on standard error and returns a zero value instead of stopping
 * the program.
 */
#include "opts.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config_keys.h"
#include "config_path.h"

struct gloss_opts {
    const gloss_option *table; /* the stage's declaration; static */
    json_t *values;            /* every declared option, checked */
    char *instance;            /* the instance's name, for messages */
    char *dir;                 /* folder for gloss_opts_path, or NULL */
};

/* ---- sizes ---------------------------------------------------------------- */

/* The largest size: what both size_t and a JSON integer can hold, so that a
 * checked size can be stored in the canonical JSON of a configuration. */
#define SIZE_LIMIT \
    ((unsigned long long)SIZE_MAX < (unsigned long long)LLONG_MAX \
         ? (unsigned long long)SIZE_MAX                           \
         : (unsigned long long)LLONG_MAX)

/* Parses "<digits>[K|M|G|T][B|iB]" or "<digits>B", case-insensitively. */
static int parse_size_string(const char *s, unsigned long long *out)
{
    unsigned long long n = 0;
    const char *p = s;
    if (!isdigit((unsigned char)*p))
        return -1;
    for (; isdigit((unsigned char)*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (n > (SIZE_LIMIT - d) / 10)
            return -1;
        n = n * 10 + d;
    }
    int shift = 0;
    switch (toupper((unsigned char)*p)) {
    case 'K': shift = 10; break;
    case 'M': shift = 20; break;
    case 'G': shift = 30; break;
    case 'T': shift = 40; break;
    default: break;
    }
    if (shift) {
        p++;
        if (toupper((unsigned char)p[0]) == 'I' &&
            toupper((unsigned char)p[1]) == 'B')
            p += 2;
        else if (toupper((unsigned char)*p) == 'B')
            p++;
    } else if (toupper((unsigned char)*p) == 'B') {
        p++;
    }
    if (*p)
        return -1;
    if (n > (SIZE_LIMIT >> shift))
        return -1;
    *out = n << shift;
    return 0;
}

int gloss__parse_size(const json_t *value, size_t *out)
{
    unsigned long long n;
    if (json_is_integer(value)) {
        json_int_t i = json_integer_value(value);
        if (i < 0 || (unsigned long long)i > SIZE_LIMIT)
            return -1;
        n = (unsigned long long)i;
    } else if (json_is_real(value)) {
        /* Lua writes 2^20 as a float: accept whole values. */
        double d = json_real_value(value);
        if (!(d >= 0) || d != floor(d) || d >= (double)SIZE_LIMIT)
            return -1;
        n = (unsigned long long)d;
    } else if (json_is_string(value)) {
        if (parse_size_string(json_string_value(value), &n) < 0)
            return -1;
    } else {
        return -1;
    }
    *out = (size_t)n;
    return 0;
}

/* ---- "did you mean" ------------------------------------------------------- */

#define MAX_NAME 64

/* The optimal string alignment distance between a and b, ignoring case: the
 * number of insertions, deletions, substitutions and swaps of neighbours
 * that turn one into the other. Swaps count once because "modle" for
 * "model" is the commonest typo of all. */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t rows[3][MAX_NAME + 1];
    size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]);
            int cb = tolower((unsigned char)b[j - 1]);
            size_t cost = ca != cb;
            size_t d = prev[j] + 1;
            if (cur[j - 1] + 1 < d)
                d = cur[j - 1] + 1;
            if (prev[j - 1] + cost < d)
                d = prev[j - 1] + cost;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && prev2[j - 2] + 1 < d)
                d = prev2[j - 2] + 1;
            cur[j] = d;
        }
        size_t *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

const char *gloss__closest_name(const char *name, const char *const *candidates,
                                size_t n)
{
    size_t len = strlen(name);
    if (len == 0 || len > MAX_NAME)
        return NULL;
    /* Allow about one mistake per three letters, so that short names are
     * not "corrected" into unrelated ones. */
    size_t best_d = len <= 3 ? 1 : len <= 6 ? 2 : 3;
    const char *best = NULL;
    for (size_t i = 0; i < n; i++) {
        size_t clen = strlen(candidates[i]);
        if (clen > MAX_NAME)
            continue;
        size_t d = edit_distance(name, len, candidates[i], clen);
        if (d < clen && (d < best_d || (!best && d == best_d))) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best;
}

/* ---- checking --------------------------------------------------------------- */

static int to_key_type(gloss_opt_type type, gloss__key_type *out)
{
    switch (type) {
    case GLOSS_OPT_STRING: *out = GLOSS__KEY_STRING; return 0;
    case GLOSS_OPT_NUMBER: *out = GLOSS__KEY_NUMBER; return 0;
    case GLOSS_OPT_INTEGER: *out = GLOSS__KEY_INTEGER; return 0;
    case GLOSS_OPT_BOOL: *out = GLOSS__KEY_BOOL; return 0;
    case GLOSS_OPT_SIZE: *out = GLOSS__KEY_SIZE; return 0;
    case GLOSS_OPT_STRINGS: *out = GLOSS__KEY_STRINGS; return 0;
    case GLOSS_OPT_JSON: *out = GLOSS__KEY_ANY; return 0;
    default: return -1;
    }
}

static size_t count_options(const gloss_option *table)
{
    size_t n = 0;
    while (table && table[n].name)
        n++;
    return n;
}

/* Translates an option table into a key table (ending with a NULL name) in
 * *out, which the caller frees. Returns -1 with a message when the stage
 * declares a type this engine does not know. */
static int to_keys(const gloss_option *table, const char *path,
                   gloss__key **out, char *err, size_t errlen)
{
    size_t n = count_options(table);
    gloss__key *keys = calloc(n + 1, sizeof *keys);
    if (!keys) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const gloss_option *o = &table[i];
        if (to_key_type(o->type, &keys[i].type) < 0) {
            snprintf(err, errlen, "%s.%s: the stage declares an unknown option "
                     "type (%d)", path, o->name, (int)o->type);
            free(keys);
            return -1;
        }
        keys[i].name = o->name;
        keys[i].default_value = o->default_value;
        keys[i].flags = o->default_value ? 0 : GLOSS__KEY_REQUIRED;
        keys[i].description = o->description;
        keys[i].choices = o->choices;
    }
    *out = keys;
    return 0;
}

gloss_opts *gloss__opts_new(const gloss_option *table, const json_t *options,
                            const char *key_path, const char *instance,
                            const char *dir, char *err, size_t errlen)
{
    const char *path = key_path ? key_path : "options";
    if (!instance)
        instance = "";
    if (options && json_is_object(options) && json_object_size(options) &&
        count_options(table) == 0) {
        const char *name;
        const char *first = NULL;
        json_t *v;
        json_object_foreach((json_t *)options, name, v) {
            if (!first || strcmp(name, first) < 0)
                first = name;
        }
        snprintf(err, errlen, "%s.%s: unknown option (%s takes no options)",
                 path, first, instance);
        return NULL;
    }

    gloss__key *keys;
    if (to_keys(table, path, &keys, err, errlen) < 0)
        return NULL;
    json_t *values = gloss__keys_check_table(keys, options, path, "option",
                                             err, errlen);
    free(keys);
    if (!values)
        return NULL;

    gloss_opts *opts = calloc(1, sizeof *opts);
    if (!opts) {
        json_decref(values);
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    opts->table = table;
    opts->values = values;
    opts->instance = strdup(instance);
    opts->dir = dir ? strdup(dir) : NULL;
    if (!opts->instance || (dir && !opts->dir)) {
        gloss__opts_destroy(&opts);
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    return opts;
}

void gloss__opts_destroy(gloss_opts **opts)
{
    if (!opts || !*opts)
        return;
    json_decref((*opts)->values);
    free((*opts)->instance);
    free((*opts)->dir);
    free(*opts);
    *opts = NULL;
}

/* ---- reading ---------------------------------------------------------------- */

#define AS(t) (1u << (t))

static const char *type_name(gloss_opt_type type)
{
    switch (type) {
    case GLOSS_OPT_STRING: return "a string";
    case GLOSS_OPT_NUMBER: return "a number";
    case GLOSS_OPT_INTEGER: return "an integer";
    case GLOSS_OPT_BOOL: return "a boolean";
    case GLOSS_OPT_SIZE: return "a size";
    case GLOSS_OPT_STRINGS: return "a list of strings";
    case GLOSS_OPT_JSON: return "JSON";
    default: return "an unknown type";
    }
}

/* Finds option name, readable as one of the types in the mask (AS(...)).
 * Warns and returns NULL when the stage reads an option it did not
 * declare, or reads it as a type it cannot be. */
static const json_t *lookup(const gloss_opts *opts, const char *name,
                            unsigned mask, const char *as)
{
    if (!opts || !name)
        return NULL;
    for (size_t i = 0; opts->table && opts->table[i].name; i++) {
        const gloss_option *o = &opts->table[i];
        if (strcmp(o->name, name) != 0)
            continue;
        if ((unsigned)o->type >= 32 || !(mask & AS(o->type))) {
            fprintf(stderr, "gloss: warning: stage '%s' reads its option '%s' "
                    "as %s, but declares it as %s (a bug in the stage)\n",
                    opts->instance, name, as, type_name(o->type));
            return NULL;
        }
        return json_object_get(opts->values, name);
    }
    fprintf(stderr, "gloss: warning: stage '%s' reads an option '%s' that it "
            "does not declare (a bug in the stage)\n", opts->instance, name);
    return NULL;
}

const char *gloss_opts_instance(const gloss_opts *opts)
{
    return opts ? opts->instance : "";
}

const char *gloss_opts_string(const gloss_opts *opts, const char *name)
{
    const json_t *v = lookup(opts, name, AS(GLOSS_OPT_STRING), "a string");
    /* An empty string rather than NULL, so that a buggy stage that does not
     * expect NULL keeps running long enough to show the warning. */
    return v && json_is_string(v) ? json_string_value(v) : "";
}

double gloss_opts_number(const gloss_opts *opts, const char *name)
{
    const json_t *v = lookup(opts, name,
                             AS(GLOSS_OPT_NUMBER) | AS(GLOSS_OPT_INTEGER) |
                                 AS(GLOSS_OPT_SIZE),
                             "a number");
    return v ? json_number_value(v) : 0.0;
}

long long gloss_opts_integer(const gloss_opts *opts, const char *name)
{
    const json_t *v = lookup(opts, name,
                             AS(GLOSS_OPT_INTEGER) | AS(GLOSS_OPT_SIZE),
                             "an integer");
    return v && json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

int gloss_opts_bool(const gloss_opts *opts, const char *name)
{
    const json_t *v = lookup(opts, name, AS(GLOSS_OPT_BOOL), "a boolean");
    return v ? json_is_true(v) : 0;
}

size_t gloss_opts_size(const gloss_opts *opts, const char *name)
{
    const json_t *v = lookup(opts, name,
                             AS(GLOSS_OPT_SIZE) | AS(GLOSS_OPT_INTEGER),
                             "a size");
    if (!v || !json_is_integer(v) || json_integer_value(v) < 0)
        return 0;
    return (size_t)json_integer_value(v);
}

size_t gloss_opts_strings_count(const gloss_opts *opts, const char *name)
{
    const json_t *v = lookup(opts, name, AS(GLOSS_OPT_STRINGS),
                             "a list of strings");
    return v ? json_array_size(v) : 0;
}

const char *gloss_opts_strings_at(const gloss_opts *opts, const char *name,
                                  size_t i)
{
    const json_t *v = lookup(opts, name, AS(GLOSS_OPT_STRINGS),
                             "a list of strings");
    return v ? json_string_value(json_array_get(v, i)) : NULL;
}

char *gloss_opts_json(const gloss_opts *opts, const char *name)
{
    const json_t *v = lookup(opts, name, ~0u, "JSON");
    return v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

char *gloss_opts_path(const gloss_opts *opts, const char *file)
{
    if (!file)
        return NULL;
    return gloss__path_join(opts ? opts->dir : NULL, file);
}

/* ---- documentation ------------------------------------------------------ */

/* Writes s as the text of one Markdown table cell: on one line, with the
 * column separator escaped. */
static void write_cell(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '\n')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
}

void gloss__opts_write_docs(FILE *out, const gloss_option *table)
{
    if (count_options(table) == 0) {
        fputs("This stage takes no options.\n\n", out);
        return;
    }
    fputs("| Option | Type | Default | Description |\n", out);
    fputs("|--------|------|---------|-------------|\n", out);
    for (size_t i = 0; table[i].name; i++) {
        const gloss_option *o = &table[i];
        gloss__key key = {o->name, 0, o->default_value, 0, o->description,
                          o->choices, NULL};
        fprintf(out, "| `%s` | ", o->name);
        if (to_key_type(o->type, &key.type) == 0)
            gloss__key_write_type(out, &key);
        else
            fputs("unknown", out);
        fputs(" | ", out);
        json_t *def = o->default_value
                          ? json_loads(o->default_value, JSON_DECODE_ANY, NULL)
                          : NULL;
        if (def) {
            fputs("`", out);
            gloss__json_write_lua(out, def);
            fputs("`", out);
            json_decref(def);
        } else {
            fputs(o->default_value ? "(invalid)" : "required", out);
        }
        fputs(" | ", out);
        write_cell(out, o->description);
        fputs(" |\n", out);
    }
    fputs("\n", out);
}
