/*
 * match.c - building a matcher: groups, entries, dictionary and pattern
 * files, and the one Vectorscan database (see match.h).
 *
 * Phrases become literals when the database is compiled, once it is known
 * whether the text will be folded: bytes other than letters and digits
 * are escaped, and a run of white space becomes one space (the scanned
 * text has its line breaks and tabs turned into spaces). Literals keep
 * compiling fast by the hundred thousand, where character classes or
 * Vectorscan's start-of-match tracking would take minutes; a phrase has
 * one length, so its start is its end minus that length. A phrase of a
 * case-sensitive group whose bytes start with another one's (Kazakhstan
 * after Kazak) stays out of the database, chained to the shortest
 * (link_prefixes()): Vectorscan's reports cost in proportion to their
 * number, and the scan compares the bytes that follow instead.
 *
 * Patterns are checked with PCRE2 when they are added, so that a bad one
 * is reported with its file, line and text. Vectorscan reports where a
 * pattern's match ends; an end-anchored PCRE2 (JIT) form of the pattern,
 * run over a window before that end, finds where it starts and what its
 * named groups hold (match_scan.c). A pattern Vectorscan cannot match
 * exactly (look-around, back-references) is compiled in its prefilter
 * mode: Vectorscan then only says that the pattern may match, and PCRE2
 * runs it over the whole text.
 *
 * A pattern with triggers has Vectorscan look only for its triggers (a
 * space in one stands for any white space, so that the scanned copy with
 * plain spaces is made when a trigger has one); its PCRE2 form gets an
 * offset limit (PCRE2_USE_OFFSET_LIMIT) and, when PCRE2 knows that its
 * matches start with a byte of one ASCII range, that range, both of which
 * cut the PCRE2 work around each trigger (match_scan.c). A pattern may
 * also declare its lead, the characters that can come between the start
 * of a match and its trigger (match_lead.c): it is parsed when the
 * pattern is added, and given the bytes of its triggers as they go into
 * the database.
 *
 * A database can be kept on disk: its file name is a hash of the
 * Vectorscan version, of every expression with its flags and of which of
 * them Vectorscan gets (not the chained phrases), so that a
 * changed dictionary never meets an old database.
 */
#include "match_internal.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utf8proc.h>

#include "match_fold.h"
#include "utf8.h"

gloss__matcher *gloss__matcher_new(void)
{
    gloss__matcher *m = calloc(1, sizeof(*m));
    if (m)
        gloss__arena_init(&m->arena, 64 * 1024);
    return m;
}

void gloss__matcher_destroy(gloss__matcher **mp)
{
    if (!mp || !*mp)
        return;
    gloss__matcher *m = *mp;
    for (size_t i = 0; i < m->n; i++) {
        pcre2_code_free(m->entries[i].re);
        pcre2_code_free(m->entries[i].re_end);
        pcre2_code_free(m->entries[i].re_start);
    }
    free(m->entries);
    free(m->groups);
    free(m->exprs);
    free(m->kids);
    free(m->hits);
    free(m->from_point);
    hs_free_scratch(m->scratch);
    hs_free_database(m->db);
    pcre2_match_data_free(m->md);
    pcre2_match_context_free(m->mctx);
    gloss__buf_free(&m->folded);
    gloss__fold_map_free(&m->map);
    free(m->cands);
    free(m->fired);
    free(m->fired_list);
    free(m->caps);
    free(m->out);
    gloss__arena_free(&m->arena);
    free(m);
    *mp = NULL;
}

static char *astrdup(gloss__matcher *m, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *p = gloss__arena_alloc(&m->arena, n + 1);
    if (p)
        memcpy(p, s, n + 1);
    return p;
}

int gloss__matcher_group(gloss__matcher *m, const gloss__match_group_opts *o)
{
    if (m->ngroups == m->capgroups) {
        size_t ncap = m->capgroups ? m->capgroups * 2 : 8;
        match_group *g = realloc(m->groups, ncap * sizeof(*g));
        if (!g)
            return -1;
        m->groups = g;
        m->capgroups = ncap;
    }
    match_group *g = &m->groups[m->ngroups];
    g->o = *o;
    const char *name = o->name && *o->name ? o->name : "match";
    g->o.name = astrdup(m, name);
    g->o.label = astrdup(m, o->label);
    size_t n = strlen(name);
    char *src = gloss__arena_alloc(&m->arena, n + 7);
    if (!g->o.name || (o->label && !g->o.label) || !src)
        return -1;
    memcpy(src, "match:", 6);
    memcpy(src + 6, name, n + 1);
    g->source = src;
    if (o->diacritics_insensitive)
        m->fold = 1;
    return (int)m->ngroups++;
}

size_t gloss__matcher_size(const gloss__matcher *m)
{
    return m->n;
}

int gloss__matcher_from_cache(const gloss__matcher *m)
{
    return m->from_cache;
}

/* ---- entries ---------------------------------------------------------------- */

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

/* A label or attribute key, copied once per text (up to MAX_KEYS of
 * them), so that the entries' labels and keys of the same text are one
 * pointer (match.h). */
static const char *attr_key(gloss__matcher *m, const char *key)
{
    for (size_t i = 0; i < m->nkeys; i++)
        if (strcmp(m->keys[i], key) == 0)
            return m->keys[i];
    const char *k = astrdup(m, key);
    if (k && m->nkeys < MAX_KEYS)
        m->keys[m->nkeys++] = k;
    return k;
}

static match_entry *new_entry(gloss__matcher *m, int group, const char *text,
                              size_t tlen, const char *label, const char *id,
                              const gloss__match_attr *attrs, size_t nattrs,
                              const char *where, char *err, size_t errlen)
{
    if (group < 0 || (size_t)group >= m->ngroups) {
        snprintf(err, errlen, "%s: no such group", where);
        return NULL;
    }
    const match_group *g = &m->groups[group];
    if (!label || !*label)
        label = g->o.label;
    if (!label || !*label) {
        snprintf(err, errlen, "%s: '%.*s' has no label", where,
                 (int)(tlen > 200 ? 200 : tlen), text);
        return NULL;
    }
    if (m->n == m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 64;
        match_entry *e = realloc(m->entries, ncap * sizeof(*e));
        if (!e)
            goto oom;
        m->entries = e;
        m->cap = ncap;
    }
    match_entry *e = &m->entries[m->n];
    memset(e, 0, sizeof(*e));
    char *t = gloss__arena_alloc(&m->arena, tlen + 1);
    if (!t)
        goto oom;
    memcpy(t, text, tlen);
    t[tlen] = '\0';
    e->text = t;
    e->group = group;
    e->pub.label = attr_key(m, label);
    e->pub.id = id && *id ? astrdup(m, id) : NULL;
    e->pub.source = g->source;
    e->pub.priority = g->o.priority;
    e->where = astrdup(m, where);
    if (!e->pub.label || (id && *id && !e->pub.id) || !e->where)
        goto oom;
    if (nattrs) {
        gloss__match_attr *a =
            gloss__arena_alloc(&m->arena, nattrs * sizeof(*a));
        if (!a)
            goto oom;
        for (size_t i = 0; i < nattrs; i++) {
            a[i].key = attr_key(m, attrs[i].key);
            a[i].value = astrdup(m, attrs[i].value ? attrs[i].value : "");
            if (!a[i].key || !a[i].value)
                goto oom;
        }
        e->pub.attrs = a;
        e->pub.nattrs = nattrs;
    }
    m->n++;
    return e;
oom:
    snprintf(err, errlen, "%s: out of memory", where);
    return NULL;
}

int gloss__matcher_add_phrase(gloss__matcher *m, int group, const char *phrase,
                              const char *label, const char *id,
                              const gloss__match_attr *attrs, size_t nattrs,
                              const char *where, char *err, size_t errlen)
{
    size_t len = strlen(phrase);
    while (len && is_space((unsigned char)phrase[len - 1]))
        len--;
    while (len && is_space((unsigned char)*phrase)) {
        phrase++;
        len--;
    }
    if (len == 0) {
        snprintf(err, errlen, "%s: empty phrase", where);
        return -1;
    }
    if (gloss__utf8_valid_prefix(phrase, len) != len) {
        snprintf(err, errlen, "%s: phrase is not UTF-8", where);
        return -1;
    }
    match_entry *e = new_entry(m, group, phrase, len, label, id, attrs, nattrs,
                               where, err, errlen);
    if (!e)
        return -1;
    e->kind = KIND_PHRASE;
    m->phrases = 1;
    if (!e->pub.id)
        e->pub.id = e->text;
    return 0;
}

int gloss__matcher_add_pattern(gloss__matcher *m, int group, const char *regex,
                               const char *label, const char *id,
                               const gloss__match_attr *attrs, size_t nattrs,
                               const char *const *triggers, size_t ntriggers,
                               const char *lead, const char *where, char *err,
                               size_t errlen)
{
    size_t len = strlen(regex);
    if (len == 0) {
        snprintf(err, errlen, "%s: empty pattern", where);
        return -1;
    }
    if (group < 0 || (size_t)group >= m->ngroups) {
        snprintf(err, errlen, "%s: no such group", where);
        return -1;
    }
    /* The lead is checked before the entry is made, so that a bad one
     * leaves nothing behind. */
    gloss__match_lead *ld = NULL;
    if (lead && *lead) {
        size_t unanchored = 0;
        for (size_t i = 0; i < ntriggers; i++)
            unanchored += triggers[i] && triggers[i][0] != '^';
        char why[256];
        if (unanchored == 0) {
            snprintf(err, errlen, "%s: pattern '%.300s': a lead ('%.100s') "
                     "needs triggers that may come after it (not only "
                     "^triggers)", where, regex, lead);
            return -1;
        }
        ld = gloss__match_lead_new(&m->arena, lead,
                                   m->groups[group].o.case_insensitive,
                                   ntriggers, why, sizeof why);
        if (!ld) {
            if (why[0])
                snprintf(err, errlen, "%s: pattern '%.300s': lead '%.100s' "
                         "is not valid: %s", where, regex, lead, why);
            else
                snprintf(err, errlen, "%s: out of memory", where);
            return -1;
        }
    }
    uint32_t options = PCRE2_UTF | PCRE2_MULTILINE;
    if (m->groups[group].o.case_insensitive)
        options |= PCRE2_CASELESS;
    /* Around a trigger, PCRE2 wants only matches that start before the
     * trigger's end: an offset limit stops its search there. */
    if (ntriggers)
        options |= PCRE2_USE_OFFSET_LIMIT;
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)regex, len, options, &code,
                                   &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        snprintf(err, errlen,
                 "%s: pattern '%.300s' does not compile: %s at offset %zu",
                 where, regex, (const char *)msg, (size_t)off);
        return -1;
    }
    match_entry *e = new_entry(m, group, regex, len, label, id, attrs, nattrs,
                               where, err, errlen);
    if (!e) {
        pcre2_code_free(re);
        return -1;
    }
    e->kind = KIND_PATTERN;
    e->re = re;
    e->lead = ld;
    if (ntriggers) {
        const char **t = gloss__arena_alloc(&m->arena, ntriggers * sizeof(*t));
        if (!t) {
            snprintf(err, errlen, "%s: out of memory", where);
            return -1;
        }
        for (size_t i = 0; i < ntriggers; i++) {
            if (!triggers[i] || !*triggers[i] ||
                (triggers[i][0] == '^' && !triggers[i][1])) {
                snprintf(err, errlen, "%s: an empty trigger", where);
                return -1;
            }
            if (!(t[i] = astrdup(m, triggers[i]))) {
                snprintf(err, errlen, "%s: out of memory", where);
                return -1;
            }
            /* A space in a trigger stands for any white space, which
             * only the copy with plain spaces shows as a space. */
            for (const char *c = t[i]; *c; c++)
                if (is_space((unsigned char)*c))
                    m->phrases = 1;
        }
        e->triggers = t;
        e->ntriggers = ntriggers;
    }
    return 0;
}

/* ---- files -------------------------------------------------------------------- */

/* Splits "key=value;key=value" into attrs (at most max); the string is
 * cut in place. Returns the number found, or -1 when one has no '='. */
static long split_attrs(char *s, gloss__match_attr *attrs, size_t max)
{
    size_t n = 0;
    while (*s) {
        char *end = strchr(s, ';');
        if (end)
            *end = '\0';
        if (*s) {
            char *eq = strchr(s, '=');
            if (!eq || eq == s || n == max)
                return -1;
            *eq = '\0';
            attrs[n].key = s;
            attrs[n].value = eq + 1;
            n++;
        }
        if (!end)
            break;
        s = end + 1;
    }
    return (long)n;
}

#define MAX_ATTRS 32
#define MAX_TRIGGERS 64

/* Reads path line by line; each line that is not blank or a '#' comment
 * is cut at tabs into at most max (up to MAX_FIELDS) fields and given to
 * fn. */
typedef int (*line_fn)(gloss__matcher *m, int group, char **fields, size_t n,
                       const char *where, char *err, size_t errlen);

#define MAX_FIELDS 5

static int read_lines(gloss__matcher *m, int group, const char *path,
                      size_t max, line_fn fn, char *err, size_t errlen)
{
    gloss__buf b = GLOSS__BUF_INIT;
    if (gloss__buf_read_file(&b, path) < 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        gloss__buf_free(&b);
        return -1;
    }
    int rc = 0;
    char *p = b.data ? b.data : (char *)"";
    size_t lineno = 0;
    char where[4200];
    while (*p && rc == 0) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        lineno++;
        size_t len = strlen(p);
        if (len && p[len - 1] == '\r')
            p[--len] = '\0';
        snprintf(where, sizeof where, "%s:%zu", path, lineno);
        if (gloss__utf8_valid_prefix(p, len) != len) {
            snprintf(err, errlen, "%s: the line is not UTF-8", where);
            rc = -1;
            break;
        }
        char *s = p;
        while (is_space((unsigned char)*s))
            s++;
        if (*s && *s != '#') {
            char *fields[MAX_FIELDS] = {p, NULL, NULL, NULL, NULL};
            size_t nf = 1;
            for (char *t = p; *t; t++)
                if (*t == '\t') {
                    *t = '\0';
                    if (nf == max) {
                        snprintf(err, errlen, "%s: more than %zu tab-separated "
                                 "fields", where, max);
                        rc = -1;
                        break;
                    }
                    fields[nf++] = t + 1;
                }
            if (rc == 0)
                rc = fn(m, group, fields, nf, where, err, errlen);
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    gloss__buf_free(&b);
    return rc;
}

static int dict_line(gloss__matcher *m, int group, char **f, size_t n,
                     const char *where, char *err, size_t errlen)
{
    gloss__match_attr attrs[MAX_ATTRS];
    long na = 0;
    if (n > 3 && (na = split_attrs(f[3], attrs, MAX_ATTRS)) < 0) {
        snprintf(err, errlen, "%s: attributes must be key=value pairs "
                 "separated by ';' (at most %d)", where, MAX_ATTRS);
        return -1;
    }
    return gloss__matcher_add_phrase(m, group, f[0], n > 1 ? f[1] : NULL,
                                     n > 2 ? f[2] : NULL, attrs, (size_t)na,
                                     where, err, errlen);
}

static int pattern_line(gloss__matcher *m, int group, char **f, size_t n,
                        const char *where, char *err, size_t errlen)
{
    if (n < 2 || !*f[1]) {
        snprintf(err, errlen, "%s: expected LABEL, a tab and a regular "
                 "expression", where);
        return -1;
    }
    gloss__match_attr attrs[MAX_ATTRS];
    long na = 0;
    if (n > 2 && (na = split_attrs(f[2], attrs, MAX_ATTRS)) < 0) {
        snprintf(err, errlen, "%s: attributes must be key=value pairs "
                 "separated by ';' (at most %d)", where, MAX_ATTRS);
        return -1;
    }
    const char *triggers[MAX_TRIGGERS];
    size_t nt = 0;
    for (char *t = n > 3 ? f[3] : NULL; t && *t;) {
        char *bar = strchr(t, '|');
        if (bar)
            *bar = '\0';
        if (nt == MAX_TRIGGERS) {
            snprintf(err, errlen, "%s: more than %d triggers", where,
                     MAX_TRIGGERS);
            return -1;
        }
        triggers[nt++] = t;
        t = bar ? bar + 1 : NULL;
    }
    return gloss__matcher_add_pattern(m, group, f[1], f[0], NULL, attrs,
                                      (size_t)na, triggers, nt,
                                      n > 4 ? f[4] : NULL, where, err, errlen);
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* One object of a JSON dictionary. */
static int json_entry(gloss__matcher *m, int group, json_t *o,
                      const char *where, char *err, size_t errlen)
{
    if (!json_is_object(o)) {
        snprintf(err, errlen, "%s: expected an object", where);
        return -1;
    }
    json_t *label = json_object_get(o, "label");
    json_t *id = json_object_get(o, "id");
    json_t *attrs = json_object_get(o, "attributes");
    if ((label && !json_is_string(label)) || (id && !json_is_string(id)) ||
        (attrs && !json_is_object(attrs))) {
        snprintf(err, errlen, "%s: 'label' and 'id' must be strings and "
                 "'attributes' an object", where);
        return -1;
    }
    gloss__match_attr a[MAX_ATTRS];
    char *owned[MAX_ATTRS];
    size_t na = 0;
    const char *key;
    json_t *v;
    int rc = 0;
    json_object_foreach(attrs, key, v) {
        if (na == MAX_ATTRS) {
            snprintf(err, errlen, "%s: more than %d attributes", where,
                     MAX_ATTRS);
            rc = -1;
            break;
        }
        a[na].key = key;
        owned[na] = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY);
        a[na].value = json_is_string(v) ? json_string_value(v) : owned[na];
        na++;
    }
    json_t *phrase = json_object_get(o, "phrase");
    json_t *phrases = json_object_get(o, "phrases");
    if (rc == 0 && phrase && json_is_string(phrase))
        rc = gloss__matcher_add_phrase(m, group, json_string_value(phrase),
                                       json_string_value(label),
                                       json_string_value(id), a, na, where,
                                       err, errlen);
    else if (rc == 0 && phrases && json_is_array(phrases)) {
        size_t i;
        json_t *p;
        json_array_foreach(phrases, i, p) {
            if (!json_is_string(p)) {
                snprintf(err, errlen, "%s: 'phrases' must hold strings",
                         where);
                rc = -1;
                break;
            }
            rc = gloss__matcher_add_phrase(m, group, json_string_value(p),
                                           json_string_value(label),
                                           json_string_value(id), a, na,
                                           where, err, errlen);
            if (rc)
                break;
        }
    } else if (rc == 0) {
        snprintf(err, errlen, "%s: expected 'phrase' (a string) or 'phrases' "
                 "(a list of strings)", where);
        rc = -1;
    }
    for (size_t i = 0; i < na; i++)
        if (owned[i])
            free(owned[i]);
    return rc;
}

static int load_json_dictionary(gloss__matcher *m, int group, const char *path,
                                char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
        return -1;
    }
    int rc = 0;
    if (!json_is_array(root)) {
        snprintf(err, errlen, "%s: a dictionary is a list of objects", path);
        rc = -1;
    }
    char where[4200];
    size_t i;
    json_t *o;
    json_array_foreach(root, i, o) {
        if (rc)
            break;
        snprintf(where, sizeof where, "%s: entry %zu", path, i + 1);
        rc = json_entry(m, group, o, where, err, errlen);
    }
    json_decref(root);
    return rc;
}

int gloss__matcher_load_dictionary(gloss__matcher *m, int group,
                                   const char *path, char *err, size_t errlen)
{
    if (has_suffix(path, ".json"))
        return load_json_dictionary(m, group, path, err, errlen);
    return read_lines(m, group, path, 4, dict_line, err, errlen);
}

int gloss__matcher_load_patterns(gloss__matcher *m, int group,
                                 const char *path, char *err, size_t errlen)
{
    return read_lines(m, group, path, MAX_FIELDS, pattern_line, err,
                      errlen);
}

/* ---- compiling ------------------------------------------------------------------ */

static void add_hex(gloss__buf *b, unsigned char c)
{
    gloss__buf_printf(b, "\\x%02x", c);
}

static void add_char_bytes(gloss__buf *b, uint32_t cp)
{
    char enc[4];
    size_t k = gloss__utf8_encode(cp, enc);
    for (size_t i = 0; i < k; i++)
        add_hex(b, (unsigned char)enc[i]);
}

/* The Vectorscan expression of a phrase (already folded if need be): a
 * pure literal, which Vectorscan compiles fast even by the hundred
 * thousand. Runs of white space become one space (the scanned text has
 * plain spaces only). In case-insensitive groups a non-ASCII letter
 * matches its other case when both are as long in UTF-8, so that every
 * match of a phrase has the same length; *plen receives it. */
static void phrase_regex(gloss__buf *b, const char *p, size_t n, int ci,
                         uint32_t *plen)
{
    size_t i = 0, len = 0;
    while (i < n) {
        unsigned char c = (unsigned char)p[i];
        if (is_space(c)) {
            while (i < n && is_space((unsigned char)p[i]))
                i++;
            gloss__buf_adds(b, "\\x20");
            len++;
            continue;
        }
        if (c < 0x80) {
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                (c >= '0' && c <= '9'))
                gloss__buf_addc(b, (char)c);
            else
                add_hex(b, c);
            i++;
            len++;
            continue;
        }
        uint32_t cp;
        size_t k = gloss__utf8_decode((const unsigned char *)p + i, n - i, &cp,
                                      NULL);
        if (k == 0) {
            add_hex(b, c);
            i++;
            len++;
            continue;
        }
        char e1[4], e2[4];
        uint32_t lo = (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp);
        uint32_t up = (uint32_t)utf8proc_toupper((utf8proc_int32_t)cp);
        uint32_t other = lo != cp ? lo : up;
        if (ci && other != cp &&
            gloss__utf8_encode(other, e1) == gloss__utf8_encode(cp, e2)) {
            gloss__buf_adds(b, "(?:");
            add_char_bytes(b, cp);
            gloss__buf_addc(b, '|');
            add_char_bytes(b, other);
            gloss__buf_addc(b, ')');
        } else {
            add_char_bytes(b, cp);
        }
        i += k;
        len += k;
    }
    *plen = (uint32_t)len;
}

static unsigned pattern_flags(const gloss__matcher *m, const match_entry *e)
{
    unsigned f = HS_FLAG_UTF8 | HS_FLAG_MULTILINE;
    if (e->prefilter)
        f |= HS_FLAG_PREFILTER;
    if (m->groups[e->group].o.case_insensitive)
        f |= HS_FLAG_CASELESS;
    return f;
}

/* FNV-1a, 64 bits: enough to tell databases apart in a cache folder. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static char *cache_file(const char *dir, uint64_t key)
{
    gloss__buf b = GLOSS__BUF_INIT;
    gloss__buf_printf(&b, "%s/match-%016llx.hsdb", dir,
                      (unsigned long long)key);
    return gloss__buf_steal(&b, NULL);
}

static hs_database_t *cache_read(const char *path)
{
    gloss__buf b = GLOSS__BUF_INIT;
    hs_database_t *db = NULL;
    if (gloss__buf_read_file(&b, path) == 0 && b.len &&
        hs_deserialize_database(b.data, b.len, &db) != HS_SUCCESS)
        db = NULL;
    gloss__buf_free(&b);
    return db;
}

/* Writes db to path through a temporary file, so that a worker reading
 * the cache never sees half a database. Failing to write is not an error:
 * the cache only saves time. */
static void cache_write(const char *dir, const char *path, hs_database_t *db)
{
    char *bytes = NULL;
    size_t n = 0;
    if (hs_serialize_database(db, &bytes, &n) != HS_SUCCESS)
        return;
    mkdir(dir, 0777);
    gloss__buf tmp = GLOSS__BUF_INIT;
    gloss__buf_printf(&tmp, "%s.%ld.tmp", path, (long)getpid());
    FILE *f = tmp.data ? fopen(tmp.data, "wb") : NULL;
    if (f) {
        int ok = fwrite(bytes, 1, n, f) == n;
        ok = (fclose(f) == 0) && ok;
        if (!ok || rename(tmp.data, path) != 0)
            remove(tmp.data);
    }
    gloss__buf_free(&tmp);
    free(bytes);
}

/* How far before the end Vectorscan reports the start of a pattern's
 * match is looked for: the pattern's longest match, at most this. A
 * longer match is found from its last MAX_WINDOW bytes, when the pattern
 * can match there; bounding the window bounds the work per report. */
#define MAX_WINDOW 256u

/* When PCRE2 knows that every match of e starts with one of a range of
 * ASCII bytes (digits, for patterns led by a number), records the range:
 * around a trigger, a window without such a byte needs no search, and
 * looking for one takes sixteen bytes a step. Other sets of first bytes
 * (letters of several cases) are common enough that the check would not
 * pay. */
static void first_range(match_entry *e)
{
    const uint8_t *bits = NULL;
    if (pcre2_pattern_info(e->re, PCRE2_INFO_FIRSTBITMAP, &bits) != 0 || !bits)
        return;
    int lo = -1, hi = -1;
    for (int c = 0; c < 256; c++) {
        if (!(bits[c >> 3] & (1u << (c & 7))))
            continue;
        if (lo < 0)
            lo = c;
        else if (c != hi + 1)
            return; /* not one range */
        hi = c;
    }
    if (lo < 0 || hi >= 0x80)
        return;
    e->first_lo = (unsigned char)lo;
    e->first_hi = (unsigned char)hi;
    e->has_first = 1;
}

/* Checks one pattern alone, moving it to prefilter mode when Vectorscan
 * cannot match it exactly (look-around, back-references), and prepares
 * the end-anchored PCRE2 form that finds where a match starts. Returns 0,
 * or -1 with err. */
static int check_pattern(gloss__matcher *m, match_entry *e, char *err,
                         size_t errlen)
{
    /* The named groups, asked once here rather than at every match. */
    pcre2_pattern_info(e->re, PCRE2_INFO_NAMECOUNT, &e->namecount);
    pcre2_pattern_info(e->re, PCRE2_INFO_NAMEENTRYSIZE, &e->name_entry_size);
    pcre2_pattern_info(e->re, PCRE2_INFO_NAMETABLE, &e->name_table);
    if (e->ntriggers) {
        /* Vectorscan never sees the pattern: it only measures it, and a
         * pattern it cannot measure gets the widest window. */
        hs_expr_info_t *info = NULL;
        hs_compile_error_t *ce = NULL;
        e->window = MAX_WINDOW;
        if (hs_expression_info(e->text, pattern_flags(m, e) | HS_FLAG_PREFILTER,
                               &info, &ce) == HS_SUCCESS) {
            if (info->max_width < MAX_WINDOW)
                e->window = info->max_width;
            free(info);
        }
        hs_free_compile_error(ce);
        if (pcre2_jit_compile(e->re, PCRE2_JIT_COMPLETE) == 0)
            e->jit |= JIT_RE;
        first_range(e);
        int anchored = 0;
        for (size_t i = 0; i < e->ntriggers; i++)
            anchored |= e->triggers[i][0] == '^';
        if (anchored) {
            uint32_t options = PCRE2_UTF | PCRE2_MULTILINE | PCRE2_ANCHORED;
            if (m->groups[e->group].o.case_insensitive)
                options |= PCRE2_CASELESS;
            int code;
            PCRE2_SIZE off;
            e->re_start = pcre2_compile((PCRE2_SPTR)e->text,
                                        PCRE2_ZERO_TERMINATED, options, &code,
                                        &off, NULL);
            if (!e->re_start) {
                snprintf(err, errlen, "%s: pattern '%.300s' does not compile",
                         e->where, e->text);
                return -1;
            }
            if (pcre2_jit_compile(e->re_start, PCRE2_JIT_COMPLETE) == 0)
                e->jit |= JIT_START;
        }
        return 0;
    }
    for (;;) {
        hs_expr_info_t *info = NULL;
        hs_compile_error_t *ce = NULL;
        if (hs_expression_info(e->text, pattern_flags(m, e), &info, &ce) ==
            HS_SUCCESS) {
            e->window = info->max_width < MAX_WINDOW ? info->max_width
                                                     : MAX_WINDOW;
            free(info);
            break;
        }
        if (!e->prefilter) {
            hs_free_compile_error(ce);
            e->prefilter = 1;
            continue;
        }
        snprintf(err, errlen, "%s: pattern '%.300s' does not compile: %s",
                 e->where, e->text, ce ? ce->message : "unknown error");
        hs_free_compile_error(ce);
        return -1;
    }
    if (pcre2_jit_compile(e->re, PCRE2_JIT_COMPLETE) == 0)
        e->jit |= JIT_RE;
    if (e->prefilter)
        return 0;
    uint32_t options = PCRE2_UTF | PCRE2_MULTILINE | PCRE2_ENDANCHORED;
    if (m->groups[e->group].o.case_insensitive)
        options |= PCRE2_CASELESS;
    int code;
    PCRE2_SIZE off;
    e->re_end = pcre2_compile((PCRE2_SPTR)e->text, PCRE2_ZERO_TERMINATED,
                              options, &code, &off, NULL);
    if (!e->re_end) {
        snprintf(err, errlen, "%s: pattern '%.300s' does not compile",
                 e->where, e->text);
        return -1;
    }
    if (pcre2_jit_compile(e->re_end, PCRE2_JIT_COMPLETE) == 0)
        e->jit |= JIT_END;
    return 0;
}

/* The bytes matched by the expression that phrase_regex() makes of a
 * phrase of a case-sensitive group: the phrase with its runs of white
 * space made one space. */
static void phrase_bytes(gloss__buf *b, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (is_space((unsigned char)p[i])) {
            while (i < n && is_space((unsigned char)p[i]))
                i++;
            gloss__buf_addc(b, ' ');
            continue;
        }
        gloss__buf_addc(b, p[i++]);
    }
}

typedef struct chain_item {
    const char *lit;
    uint32_t len, x;
} chain_item;

static int by_bytes(const void *pa, const void *pb)
{
    const chain_item *a = pa, *b = pb;
    int c = memcmp(a->lit, b->lit, a->len < b->len ? a->len : b->len);
    if (c)
        return c;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    return a->x < b->x ? -1 : a->x > b->x;
}

/* Links every case-sensitive phrase whose bytes start with those of
 * another one (or equal them) to the longest such one, its parent; sets
 * chained[x] for each expression that has a parent. Sorted by bytes, the
 * phrases that start another one come before it, and a stack holds the
 * chain of those that start the current one. A parent's children go to
 * m->kids in that order, so that the scan finds the one that follows a
 * parent in the text by a binary search: none of them starts another (it
 * would be its child), so at most one is found at a place, and it is the
 * last that sorts before the text there. Returns -1 when out of memory. */
static int link_prefixes(gloss__matcher *m, unsigned char *chained)
{
    size_t n = 0;
    for (size_t x = 0; x < m->nexprs; x++)
        n += m->exprs[x].lit != NULL;
    if (n < 2)
        return 0;
    chain_item *v = malloc(n * sizeof(*v));
    uint32_t *stack = malloc(n * sizeof(*stack));
    uint32_t *parent = malloc(n * sizeof(*parent));
    if (!v || !stack || !parent) {
        free(v);
        free(stack);
        free(parent);
        return -1;
    }
    size_t k = 0;
    for (size_t x = 0; x < m->nexprs; x++)
        if (m->exprs[x].lit)
            v[k++] = (chain_item){m->exprs[x].lit, m->exprs[x].len,
                                  (uint32_t)x};
    qsort(v, n, sizeof(*v), by_bytes);
    size_t depth = 0, nkids = 0;
    for (size_t i = 0; i < n; i++) {
        while (depth > 0) {
            const chain_item *t = &v[stack[depth - 1]];
            if (t->len <= v[i].len && memcmp(t->lit, v[i].lit, t->len) == 0)
                break;
            depth--;
        }
        parent[i] = UINT32_MAX;
        if (depth > 0) {
            parent[i] = v[stack[depth - 1]].x;
            m->exprs[parent[i]].nkids++;
            chained[v[i].x] = 1;
            nkids++;
        }
        stack[depth++] = (uint32_t)i;
    }
    int rc = 0;
    if (nkids) {
        free(m->kids);
        m->kids = malloc(nkids * sizeof(*m->kids));
        if (!m->kids) {
            rc = -1;
        } else {
            uint32_t off = 0;
            for (size_t x = 0; x < m->nexprs; x++) {
                m->exprs[x].kids = off;
                off += m->exprs[x].nkids;
                m->exprs[x].nkids = 0;
            }
            for (size_t i = 0; i < n; i++)
                if (parent[i] != UINT32_MAX) {
                    match_expr *p = &m->exprs[parent[i]];
                    m->kids[p->kids + p->nkids++] = v[i].x;
                }
        }
    }
    free(v);
    free(stack);
    free(parent);
    return rc;
}

int gloss__matcher_compile(gloss__matcher *m, const char *cache_dir, char *err,
                           size_t errlen)
{
    uint32_t max_caps = 0;
    for (size_t i = 0; i < m->n; i++) {
        match_entry *e = &m->entries[i];
        if (e->kind != KIND_PATTERN)
            continue;
        if (check_pattern(m, e, err, errlen) < 0)
            return -1;
        uint32_t caps = 0;
        pcre2_pattern_info(e->re, PCRE2_INFO_CAPTURECOUNT, &caps);
        if (caps > max_caps)
            max_caps = caps;
    }
    m->md = pcre2_match_data_create(max_caps + 1, NULL);
    m->mctx = pcre2_match_context_create(NULL);
    m->fired = calloc(m->n ? m->n : 1, 1);
    m->fired_list = malloc((m->n ? m->n : 1) * sizeof(*m->fired_list));
    if (!m->md || !m->mctx || !m->fired || !m->fired_list) {
        snprintf(err, errlen, "out of memory compiling the matcher");
        return -1;
    }
    if (m->n == 0)
        return 0;

    /* The expressions (one per phrase or pattern, one per trigger of a
     * pattern that has them), their flags and ids; their text lives in
     * one buffer, cut at NULs, whose offsets become pointers at the end. */
    size_t nexpr = 0;
    for (size_t i = 0; i < m->n; i++)
        nexpr += m->entries[i].ntriggers ? m->entries[i].ntriggers : 1;
    const char **exprs = malloc(nexpr * sizeof(*exprs));
    unsigned *flags = malloc(nexpr * sizeof(*flags));
    unsigned *ids = malloc(nexpr * sizeof(*ids));
    size_t *offs = malloc(nexpr * sizeof(*offs));
    m->exprs = calloc(nexpr, sizeof(*m->exprs));
    m->nexprs = nexpr;
    gloss__buf all = GLOSS__BUF_INIT, fold = GLOSS__BUF_INIT,
               raw = GLOSS__BUF_INIT;
    unsigned char *chained = calloc(nexpr, 1);
    int rc = -1;
    char *path = NULL;
    if (!exprs || !flags || !ids || !offs || !m->exprs || !chained) {
        snprintf(err, errlen, "out of memory compiling the matcher");
        goto done;
    }
    uint64_t key = 0xcbf29ce484222325ull;
    const char *version = hs_version();
    key = fnv(key, version, strlen(version) + 1);
    size_t x = 0;
    for (size_t i = 0; i < m->n; i++) {
        match_entry *e = &m->entries[i];
        const match_group *g = &m->groups[e->group];
        size_t k = e->ntriggers ? e->ntriggers : 1;
        if (e->lead)
            e->lead->ntrig = 0;
        for (size_t j = 0; j < k; j++, x++) {
            offs[x] = all.len;
            ids[x] = (unsigned)x;
            match_expr *xe = &m->exprs[x];
            xe->entry = (uint32_t)i;
            xe->priority = e->pub.priority;
            xe->boundaries = g->o.boundaries != 0;
            if (e->kind == KIND_PATTERN && !e->ntriggers) {
                gloss__buf_adds(&all, e->text);
                flags[x] = pattern_flags(m, e);
                xe->what = e->prefilter ? EXPR_PREFILTER : EXPR_PATTERN;
            } else {
                const char *p = e->ntriggers ? e->triggers[j] : e->text;
                xe->what = e->ntriggers ? EXPR_TRIGGER : EXPR_PHRASE;
                xe->spell = !e->ntriggers && !g->o.diacritics_insensitive;
                if (e->ntriggers && p[0] == '^') {
                    xe->starts = 1;
                    p++;
                }
                size_t n = strlen(p);
                if (m->fold) {
                    gloss__buf_clear(&fold);
                    gloss__fold(&fold, p, n, NULL);
                    p = fold.data ? fold.data : "";
                    n = fold.len;
                }
                int ci = g->o.case_insensitive;
                phrase_regex(&all, p, n, ci, &xe->len);
                if (e->lead) {
                    /* The lead's search compares the trigger's bytes as
                     * Vectorscan looks for them. */
                    gloss__buf_clear(&raw);
                    phrase_bytes(&raw, p, n);
                    if (raw.oom || gloss__match_lead_trigger(
                                       e->lead, &m->arena, raw.data ? raw.data
                                                                    : "",
                                       raw.len) < 0) {
                        snprintf(err, errlen, "out of memory compiling the "
                                 "matcher");
                        goto done;
                    }
                }
                if (!e->ntriggers)
                    e->plen = xe->len;
                flags[x] = ci ? HS_FLAG_CASELESS : 0;
                if (!e->ntriggers && !ci) {
                    gloss__buf_clear(&raw);
                    phrase_bytes(&raw, p, n);
                    char *lit = raw.len == xe->len && raw.data
                                    ? gloss__arena_alloc(&m->arena, raw.len)
                                    : NULL;
                    if (lit) {
                        memcpy(lit, raw.data, raw.len);
                        xe->lit = lit;
                    }
                }
            }
            gloss__buf_addc(&all, '\0');
            key = fnv(key, all.data + offs[x], all.len - offs[x]);
            key = fnv(key, &flags[x], sizeof flags[x]);
        }
        if (e->lead)
            gloss__match_lead_finish(e->lead);
    }
    if (all.oom || fold.oom || raw.oom || link_prefixes(m, chained) < 0) {
        snprintf(err, errlen, "out of memory compiling the matcher");
        goto done;
    }
    /* Only the expressions without a parent go to Vectorscan, with their
     * index as id; the key says which they are. */
    size_t nhs = 0;
    for (size_t i = 0; i < nexpr; i++) {
        if (chained[i])
            continue;
        exprs[nhs] = all.data + offs[i];
        flags[nhs] = flags[i];
        ids[nhs] = (unsigned)i;
        key = fnv(key, &ids[nhs], sizeof ids[nhs]);
        nhs++;
    }

    if (cache_dir && *cache_dir) {
        path = cache_file(cache_dir, key);
        if (path && (m->db = cache_read(path)) != NULL)
            m->from_cache = 1;
    }
    if (!m->db) {
        hs_compile_error_t *ce = NULL;
        if (hs_compile_multi(exprs, flags, ids, (unsigned)nhs, HS_MODE_BLOCK,
                             NULL, &m->db, &ce) != HS_SUCCESS) {
            if (ce && ce->expression >= 0 && (size_t)ce->expression < nhs) {
                const match_entry *e =
                    &m->entries[m->exprs[ids[ce->expression]].entry];
                snprintf(err, errlen, "%s: %s '%.300s' does not compile: %s",
                         e->where, e->kind == KIND_PATTERN ? "pattern"
                                                           : "phrase",
                         e->text, ce->message);
            } else {
                snprintf(err, errlen, "the matcher's database does not "
                         "compile: %s", ce ? ce->message : "unknown error");
            }
            hs_free_compile_error(ce);
            m->db = NULL;
            goto done;
        }
        if (path)
            cache_write(cache_dir, path, m->db);
    }
    if (hs_alloc_scratch(m->db, &m->scratch) != HS_SUCCESS) {
        snprintf(err, errlen, "out of memory allocating the matcher's "
                 "scratch space");
        goto done;
    }
    rc = 0;
done:
    free(path);
    free(exprs);
    free(flags);
    free(ids);
    free(offs);
    gloss__buf_free(&all);
    gloss__buf_free(&fold);
    gloss__buf_free(&raw);
    free(chained);
    return rc;
}
