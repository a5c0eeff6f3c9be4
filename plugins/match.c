/*
 * match.c - the built-in `match` stage: dictionary phrases and pattern
 * rules as entity spans, found in one pass (see docs/match.md).
 *
 * init() reads every dictionary and pattern file named in the options
 * (and, unless builtin = false, the lexicon and patterns shipped with
 * gloss), and compiles them into one matcher (lib/match.c): once per
 * configuration, and again on reload, never per document. process() scans
 * the text and writes the matches into the layer (default "entities"),
 * combining them with the spans already there as the policy says:
 *
 *   dictionary_first   spans already there that overlap a match are
 *                      removed (the lists are trusted over a tagger);
 *   statistical_first  a match that overlaps a span already there is
 *                      dropped;
 *   union              everything is kept; each match says where it came
 *                      from in its "source" attribute.
 *
 * Each span gets the attributes "id" (the canonical id), "source"
 * ("match:<dictionary name>"), the entry's own attributes, and for
 * patterns the text of each named group, all in one call
 * (gloss__span_set_strings); labels and keys are interned once per
 * document (doc_key()).
 */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "doc_internal.h"
#include "gloss/stage.h"
#include "match.h"

#ifndef GLOSS_LEXICON_DIR
#define GLOSS_LEXICON_DIR "/usr/local/share/gloss/lexicon"
#endif

enum { POLICY_DICTIONARY_FIRST, POLICY_STATISTICAL_FIRST, POLICY_UNION };

/* How many labels and attribute keys a document remembers interned (a
 * power of two; others are interned at each use), and how many attributes
 * a span gets in one call (a span with more gets them one by one). */
#define KEY_CACHE 64
#define SPAN_ATTRS 48

typedef struct match_ctx {
    gloss__matcher *m;
    char *layer;
    int policy;
    /* Reused from one document to the next. */
    unsigned char *hit;
    size_t caphit;
    gloss_span **drop;
    size_t capdrop;
    /* The labels and attribute keys of the matcher's entries (one pointer
     * per text, see match.h) and named groups, interned in the current
     * document, and the document's "id" and "source". */
    struct {
        const char *key, *interned;
        uint32_t doc; /* the document it was interned in (c->docs) */
    } keys[KEY_CACHE];
    uint32_t docs; /* documents processed, 0 before the first */
    const char *k_id, *k_source;
} match_ctx;

static const char *const policy_choices[] = {
    "dictionary_first", "statistical_first", "union", NULL};

static const gloss_option match_options[] = {
    {"dictionaries", GLOSS_OPT_JSON, "[]",
     "Dictionaries to match: each a file name (TSV or .json, see "
     "docs/match.md) or a table { file = ..., name = ..., label = ..., "
     "case_insensitive = false, diacritics_insensitive = true, "
     "boundaries = true, priority = 0 }. Relative names are taken from the "
     "configuration's folder, then from the installed lexicon folder.",
     NULL},
    {"patterns", GLOSS_OPT_JSON, "[]",
     "Pattern files (lines LABEL<TAB>regular expression, then optionally "
     "<TAB>attributes, <TAB>triggers and <TAB>lead, see docs/match.md): "
     "each a file name or a table { file = ..., name = ..., case_insensitive = false, "
     "boundaries = true, priority = 0 }. A pattern that does not compile is "
     "a configuration error naming the file, line and pattern.",
     NULL},
    {"builtin", GLOSS_OPT_BOOL, "true",
     "Also match the lexicon and patterns shipped with gloss (EU and "
     "international bodies, political groups, countries and demonyms, "
     "places of Central Asia; dates, legal references, procedure and "
     "document numbers, quantities, percentages, money, URLs, e-mail "
     "addresses).",
     NULL},
    {"layer", GLOSS_OPT_STRING, "\"entities\"",
     "The layer matches are written to.", NULL},
    {"policy", GLOSS_OPT_STRING, "\"dictionary_first\"",
     "How matches combine with spans already in the layer (from a "
     "statistical tagger): \"dictionary_first\" removes the spans a match "
     "overlaps, \"statistical_first\" drops matches that overlap a span, "
     "\"union\" keeps both (each match has a \"source\" attribute).",
     policy_choices},
    {"cache_dir", GLOSS_OPT_STRING, "\"\"",
     "A folder where compiled databases are kept, keyed by a hash of their "
     "entries, so that a large dictionary compiles once; \"\" compiles "
     "every time.",
     NULL},
    {NULL, 0, NULL, NULL, NULL},
};

/* The shipped files, in the lexicon folder. */
static const struct {
    const char *file, *name;
    int patterns;
} builtin_files[] = {
    {"patterns.tsv", "patterns", 1},
    {"eu.tsv", "eu", 0},
    {"groups.tsv", "groups", 0},
    {"international.tsv", "international", 0},
    {"countries.tsv", "countries", 0},
    {"central-asia.tsv", "central-asia", 0},
};

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The folder of the shipped lexicon: $GLOSS_LEXICON_DIR (for running
 * from a build tree) or the installed one. */
static const char *lexicon_dir(void)
{
    const char *env = getenv("GLOSS_LEXICON_DIR");
    return env && *env ? env : GLOSS_LEXICON_DIR;
}

/* Resolves a file named in an option. */
static char *resolve(const gloss_opts *opts, const char *file)
{
    char *p = gloss_opts_path(opts, file);
    if (!p || file[0] == '/' || exists(p))
        return p;
    gloss__buf b = GLOSS__BUF_INIT;
    gloss__buf_printf(&b, "%s/%s", lexicon_dir(), file);
    if (b.data && exists(b.data)) {
        free(p);
        return gloss__buf_steal(&b, NULL);
    }
    gloss__buf_free(&b);
    return p;
}

static int get_bool(json_t *o, const char *key, int def)
{
    json_t *v = json_object_get(o, key);
    return json_is_boolean(v) ? json_is_true(v) : def;
}

/* Reads one item of the dictionaries or patterns option. */
static int load_item(gloss__matcher *m, const gloss_opts *opts, json_t *item,
                     int patterns, size_t index, gloss_err *err)
{
    const char *opt = patterns ? "patterns" : "dictionaries";
    static const char *const dict_keys[] = {
        "file", "name", "label", "case_insensitive", "diacritics_insensitive",
        "boundaries", "priority", NULL};
    json_t *file = json_is_string(item) ? item : json_object_get(item, "file");
    if (!json_is_string(file)) {
        gloss_err_set(err, "option '%s', item %zu: expected a file name or a "
                      "table with a 'file'", opt, index + 1);
        return -1;
    }
    const char *key;
    json_t *v;
    if (json_is_object(item))
        json_object_foreach(item, key, v) {
            int known = 0;
            for (size_t k = 0; dict_keys[k]; k++)
                known |= strcmp(key, dict_keys[k]) == 0;
            if (!known || (patterns && (!strcmp(key, "label") ||
                                        !strcmp(key, "diacritics_insensitive")))) {
                gloss_err_set(err, "option '%s', item %zu: unknown key '%s'",
                              opt, index + 1, key);
                return -1;
            }
            if (strcmp(key, "priority") == 0 && !json_is_integer(v)) {
                gloss_err_set(err, "option '%s', item %zu: 'priority' must be "
                              "an integer", opt, index + 1);
                return -1;
            }
        }
    const char *fname = json_string_value(file);
    /* The name defaults to the file's base name without its extension. */
    char name[256];
    json_t *jn = json_object_get(item, "name");
    if (json_is_string(jn)) {
        snprintf(name, sizeof name, "%s", json_string_value(jn));
    } else {
        const char *base = strrchr(fname, '/');
        base = base ? base + 1 : fname;
        snprintf(name, sizeof name, "%s", base);
        char *dot = strrchr(name, '.');
        if (dot && dot != name)
            *dot = '\0';
    }
    json_t *label = json_object_get(item, "label");
    gloss__match_group_opts go = {
        .name = name,
        .label = json_is_string(label) ? json_string_value(label) : NULL,
        .case_insensitive = get_bool(item, "case_insensitive", 0),
        .diacritics_insensitive =
            patterns ? 0 : get_bool(item, "diacritics_insensitive", 1),
        .boundaries = get_bool(item, "boundaries", 1),
        .priority = (int)json_integer_value(json_object_get(item, "priority")),
    };
    int g = gloss__matcher_group(m, &go);
    char *path = resolve(opts, fname);
    if (g < 0 || !path) {
        free(path);
        gloss_err_set(err, "out of memory");
        return -1;
    }
    char msg[1024];
    int rc = patterns
                 ? gloss__matcher_load_patterns(m, g, path, msg, sizeof msg)
                 : gloss__matcher_load_dictionary(m, g, path, msg, sizeof msg);
    if (rc < 0)
        gloss_err_set(err, "%s", msg);
    free(path);
    return rc;
}

static int load_option(gloss__matcher *m, const gloss_opts *opts, int patterns,
                       gloss_err *err)
{
    const char *opt = patterns ? "patterns" : "dictionaries";
    char *text = gloss_opts_json(opts, opt);
    json_t *list = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    free(text);
    int rc = 0;
    if (!json_is_array(list)) {
        /* A Lua table with no items arrives as an empty object. */
        if (!(json_is_object(list) && json_object_size(list) == 0)) {
            gloss_err_set(err, "option '%s' must be a list", opt);
            rc = -1;
        }
    } else {
        size_t i;
        json_t *item;
        json_array_foreach(list, i, item) {
            if ((rc = load_item(m, opts, item, patterns, i, err)) < 0)
                break;
        }
    }
    json_decref(list);
    return rc;
}

static int load_builtin(gloss__matcher *m, gloss_err *err)
{
    const char *dir = lexicon_dir();
    char msg[1024];
    for (size_t i = 0; i < sizeof builtin_files / sizeof *builtin_files; i++) {
        gloss__match_group_opts go = {
            .name = builtin_files[i].name,
            .diacritics_insensitive = !builtin_files[i].patterns,
            .boundaries = 1,
        };
        int g = gloss__matcher_group(m, &go);
        gloss__buf b = GLOSS__BUF_INIT;
        gloss__buf_printf(&b, "%s/%s", dir, builtin_files[i].file);
        if (g < 0 || !b.data) {
            gloss__buf_free(&b);
            gloss_err_set(err, "out of memory");
            return -1;
        }
        int rc = builtin_files[i].patterns
                     ? gloss__matcher_load_patterns(m, g, b.data, msg, sizeof msg)
                     : gloss__matcher_load_dictionary(m, g, b.data, msg,
                                                      sizeof msg);
        gloss__buf_free(&b);
        if (rc < 0) {
            gloss_err_set(err, "the shipped lexicon (builtin = true; set "
                          "GLOSS_LEXICON_DIR if it moved): %s", msg);
            return -1;
        }
    }
    return 0;
}

static void match_fini(void *p)
{
    match_ctx *c = p;
    if (!c)
        return;
    gloss__matcher_destroy(&c->m);
    free(c->layer);
    free(c->hit);
    free(c->drop);
    free(c);
}

static int match_init(void **ctx, const gloss_opts *opts, gloss_err *err)
{
    match_ctx *c = calloc(1, sizeof(*c));
    if (!c || !(c->m = gloss__matcher_new()) ||
        !(c->layer = strdup(gloss_opts_string(opts, "layer")))) {
        match_fini(c);
        gloss_err_set(err, "out of memory");
        return GLOSS_ERROR;
    }
    const char *policy = gloss_opts_string(opts, "policy");
    c->policy = strcmp(policy, "union") == 0 ? POLICY_UNION
                : strcmp(policy, "statistical_first") == 0
                    ? POLICY_STATISTICAL_FIRST
                    : POLICY_DICTIONARY_FIRST;
    if ((gloss_opts_bool(opts, "builtin") && load_builtin(c->m, err) < 0) ||
        load_option(c->m, opts, 1, err) < 0 ||
        load_option(c->m, opts, 0, err) < 0) {
        match_fini(c);
        return GLOSS_ERROR;
    }
    char msg[1024];
    const char *cache = gloss_opts_string(opts, "cache_dir");
    char *cache_path = *cache ? gloss_opts_path(opts, cache) : NULL;
    int rc = gloss__matcher_compile(c->m, cache_path, msg, sizeof msg);
    free(cache_path);
    if (rc < 0) {
        gloss_err_set(err, "%s", msg);
        match_fini(c);
        return GLOSS_ERROR;
    }
    *ctx = c;
    return GLOSS_OK;
}

/* Marks in c->hit the matches that overlap a span already in the layer,
 * and collects in c->drop the spans that overlap a match. Matches are
 * sorted and do not overlap, so both ends grow with the index. */
static int find_overlaps(match_ctx *c, gloss_layer *layer,
                         const gloss__match *ms, size_t n, size_t *ndrop)
{
    size_t nspans = gloss_layer_size(layer);
    if (n > c->caphit) {
        unsigned char *h = realloc(c->hit, n);
        if (!h)
            return -1;
        c->hit = h;
        c->caphit = n;
    }
    memset(c->hit, 0, n);
    if (nspans > c->capdrop) {
        gloss_span **d = realloc(c->drop, nspans * sizeof(*d));
        if (!d)
            return -1;
        c->drop = d;
        c->capdrop = nspans;
    }
    *ndrop = 0;
    for (size_t i = 0; i < nspans; i++) {
        gloss_span *s = gloss_layer_span(layer, i);
        /* The first match starting at or after the span's end. */
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (ms[mid].start < s->end)
                lo = mid + 1;
            else
                hi = mid;
        }
        int any = 0;
        for (size_t j = lo; j > 0 && ms[j - 1].end > s->start; j--) {
            c->hit[j - 1] = 1;
            any = 1;
        }
        if (any)
            c->drop[(*ndrop)++] = s;
    }
    return 0;
}

/* key (a label or an attribute key) interned in doc: from the cache of
 * the document's keys when the same pointer was interned in it before
 * (one slot per pointer's hash; a key that finds its slot taken is
 * interned again, which only costs time), else interned and remembered.
 * NULL on ENOMEM. */
static inline const char *doc_key(match_ctx *c, gloss_doc *doc,
                                  const char *key)
{
    uintptr_t h = (uintptr_t)key;
    size_t slot = (size_t)((h >> 3) ^ (h >> 9)) & (KEY_CACHE - 1);
    if (c->keys[slot].doc == c->docs && c->keys[slot].key == key)
        return c->keys[slot].interned;
    const char *k = gloss_doc_intern(doc, key, strlen(key));
    if (k) {
        c->keys[slot].key = key;
        c->keys[slot].interned = k;
        c->keys[slot].doc = c->docs;
    }
    return k;
}

/* Adds the span of a match with its attributes: "id", "source", the
 * entry's attributes and the named groups, in that order (a later one
 * replaces an earlier one of the same key), set in one call. */
static int add_match(match_ctx *c, gloss_doc *doc, gloss_layer *layer,
                     const char *text, const gloss__match *mt)
{
    const gloss__match_entry *e = mt->entry;
    const char *label = doc_key(c, doc, e->label);
    gloss_span *s = label ? gloss__layer_add_interned(layer, mt->start,
                                                      mt->end, label)
                          : NULL;
    if (!s)
        return -1;
    const char *keys[SPAN_ATTRS], *values[SPAN_ATTRS];
    size_t lens[SPAN_ATTRS], n = 0;
    if (2 + e->nattrs + mt->ncaps > SPAN_ATTRS) {
        /* Rare: one attribute at a time. */
        int rc = 0;
        if (e->id)
            rc |= gloss_span_set_string(doc, s, "id", e->id);
        rc |= gloss_span_set_string(doc, s, "source", e->source);
        for (size_t i = 0; i < e->nattrs; i++)
            rc |= gloss_span_set_string(doc, s, e->attrs[i].key,
                                        e->attrs[i].value);
        for (size_t i = 0; i < mt->ncaps; i++) {
            const gloss__match_cap *cp = &mt->caps[i];
            char *copy = gloss_doc_strndup(doc, text + cp->start,
                                           cp->end - cp->start);
            rc |= !copy || gloss_span_set_string(doc, s, cp->name, copy);
        }
        return rc ? -1 : 0;
    }
    if (e->id) {
        keys[n] = c->k_id;
        values[n] = e->id;
        lens[n++] = strlen(e->id);
    }
    keys[n] = c->k_source;
    values[n] = e->source;
    lens[n++] = strlen(e->source);
    for (size_t i = 0; i < e->nattrs; i++) {
        if (!(keys[n] = doc_key(c, doc, e->attrs[i].key)))
            return -1;
        values[n] = e->attrs[i].value;
        lens[n++] = strlen(e->attrs[i].value);
    }
    for (size_t i = 0; i < mt->ncaps; i++) {
        const gloss__match_cap *cp = &mt->caps[i];
        if (!(keys[n] = doc_key(c, doc, cp->name)))
            return -1;
        values[n] = text + cp->start;
        lens[n++] = cp->end - cp->start;
    }
    return gloss__span_set_strings(doc, s, n, keys, values, lens);
}

static int match_process(void *p, gloss_doc *doc, gloss_err *err)
{
    match_ctx *c = p;
    size_t len;
    const char *text = gloss_doc_text(doc, &len);
    const gloss__match *ms;
    char msg[512];
    long n = gloss__matcher_scan(c->m, text, len, &ms, msg, sizeof msg);
    if (n < 0) {
        gloss_err_set(err, "%s", msg);
        return GLOSS_ERROR;
    }
    gloss_layer *layer = gloss_doc_layer(doc, c->layer, 1);
    if (!layer) {
        gloss_err_set(err, "out of memory");
        return GLOSS_ERROR;
    }
    /* A new document: the keys interned in the last one are not its own.
     * The count wraps after 2^32 documents, when the slots are cleared. */
    if (++c->docs == 0) {
        memset(c->keys, 0, sizeof c->keys);
        c->docs = 1;
    }
    c->k_id = gloss_doc_intern(doc, "id", 2);
    c->k_source = gloss_doc_intern(doc, "source", 6);
    if (!c->k_id || !c->k_source) {
        gloss_err_set(err, "out of memory");
        return GLOSS_ERROR;
    }
    size_t ndrop = 0;
    int check = c->policy != POLICY_UNION && n > 0 &&
                gloss_layer_size(layer) > 0;
    if (check && find_overlaps(c, layer, ms, (size_t)n, &ndrop) < 0) {
        gloss_err_set(err, "out of memory");
        return GLOSS_ERROR;
    }
    if (c->policy == POLICY_DICTIONARY_FIRST)
        for (size_t i = 0; i < ndrop; i++)
            gloss_layer_remove(layer, c->drop[i]);
    for (long i = 0; i < n; i++) {
        if (check && c->policy == POLICY_STATISTICAL_FIRST && c->hit[i])
            continue;
        if (add_match(c, doc, layer, text, &ms[i]) < 0) {
            gloss_err_set(err, "cannot add the span [%zu, %zu): %s",
                          ms[i].start, ms[i].end, strerror(errno));
            return GLOSS_ERROR;
        }
    }
    return GLOSS_OK;
}

const gloss_stage_desc gloss__stage_match = {
    .abi = GLOSS_STAGE_ABI,
    .name = "match",
    .description = "Finds dictionary phrases (with canonical ids) and "
                   "pattern entities (dates, legal references, document "
                   "numbers, ...) in one pass, in the layer \"entities\".",
    .options = match_options,
    .init = match_init,
    .process = match_process,
    .fini = match_fini,
};
