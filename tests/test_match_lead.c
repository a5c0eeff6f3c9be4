/*
 * test_match_lead.c - a pattern's lead (the fifth field of a pattern file,
 * `lead` in gloss.matcher): the characters that may come between the start
 * of a match and its trigger, from which PCRE2 starts its search instead
 * of a whole window before the trigger. What a user would notice: a
 * pattern finds exactly the same matches with its lead as without it
 * (the shipped month-name DATE pattern on tricky dates, user patterns on
 * the seeds and the fixtures, in groups that keep or ignore case, and
 * from Lua), and a lead that is not valid is refused with a message that
 * names the file, the line, the pattern and what is wrong.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "gloss/doc.h"
#include "match.h"
#include "match_internal.h"
#include "match_test.h"
#include "pipeline.h"
#include "tap.h"

static char dir[] = "/tmp/gloss-match-lead-XXXXXX";

/* The shipped DATE pattern's lead, as lexicon/patterns.tsv gives it. */
static const char date_lead[] = "[0-9\\s,\xe2\x80\x93" "and-]";

static const char *const months[] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

/* Every match of m in text, one a line: span, label, source, named groups
 * (appended to out). Returns the number, or -1. */
static long list(gloss__matcher *m, const char *name, const char *text,
                 size_t len, gloss__buf *out)
{
    const gloss__match *ms;
    char err[512];
    long n = gloss__matcher_scan(m, text, len, &ms, err, sizeof err);
    if (n < 0) {
        gloss__buf_printf(out, "%s: error %s\n", name, err);
        return -1;
    }
    for (long i = 0; i < n; i++) {
        gloss__buf_printf(out, "%s\t%zu\t%zu\t%s\t%s", name, ms[i].start,
                          ms[i].end, ms[i].entry->label, ms[i].entry->source);
        for (size_t c = 0; c < ms[i].ncaps; c++)
            gloss__buf_printf(out, "\t%s=%zu-%zu", ms[i].caps[c].name,
                              ms[i].caps[c].start, ms[i].caps[c].end);
        gloss__buf_addc(out, '\n');
    }
    return n;
}

/* A matcher of one pattern file in a group that keeps or ignores case
 * (and a folding dictionary beside it when fold is set, so that texts
 * beyond ASCII are scanned folded). NULL with a diagnostic on error. */
static gloss__matcher *from_file(const char *path, int ci, int fold)
{
    gloss__matcher *m = gloss__matcher_new();
    gloss__match_group_opts po = {.name = "p", .boundaries = 1,
                                  .case_insensitive = ci};
    char err[1024];
    int g = gloss__matcher_group(m, &po);
    int rc = gloss__matcher_load_patterns(m, g, path, err, sizeof err);
    if (rc == 0 && fold) {
        gloss__match_group_opts d = {.name = "d", .label = "LOC",
                                     .boundaries = 1,
                                     .diacritics_insensitive = 1};
        g = gloss__matcher_group(m, &d);
        rc = gloss__matcher_add_phrase(m, g, "Zanaozen", NULL, NULL, NULL, 0,
                                       "test", err, sizeof err);
    }
    if (rc == 0)
        rc = gloss__matcher_compile(m, NULL, err, sizeof err);
    if (rc < 0) {
        diag("%s", err);
        gloss__matcher_destroy(&m);
    }
    return m;
}

/* A matcher of the shipped month-name DATE pattern (regex) alone, with
 * lead or without. */
static gloss__matcher *month_matcher(const char *regex, const char *lead,
                                     int ci)
{
    gloss__matcher *m = gloss__matcher_new();
    gloss__match_group_opts po = {.name = "patterns", .boundaries = 1,
                                  .case_insensitive = ci};
    int g = gloss__matcher_group(m, &po);
    char err[1024];
    if (gloss__matcher_add_pattern(m, g, regex, "DATE", NULL, NULL, 0, months,
                                   12, lead, "test", err, sizeof err) < 0 ||
        gloss__matcher_compile(m, NULL, err, sizeof err) < 0) {
        diag("%s", err);
        gloss__matcher_destroy(&m);
    }
    return m;
}

/* The shipped pattern file: only the month-name DATE pattern declares a
 * lead, the one given above; and with it that pattern finds the same
 * dates as without, on texts where days, other months and other capitals
 * and digits come before the month, case kept or ignored. */
static void test_shipped_dates(void)
{
    const char *src = getenv("top_srcdir") ? getenv("top_srcdir") : ".";
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/lexicon/patterns.tsv", src);
    gloss__matcher *shipped = from_file(path, 0, 0);
    const match_entry *date = NULL;
    int with_lead = 0;
    for (size_t i = 0; shipped && i < shipped->n; i++)
        if (shipped->entries[i].lead) {
            with_lead++;
            date = &shipped->entries[i];
        }
    gloss__arena a;
    gloss__arena_init(&a, 4096);
    gloss__match_lead *want = gloss__match_lead_new(&a, date_lead, 0, 0, err,
                                                    sizeof err);
    ok(with_lead == 1 && date && strcmp(date->pub.label, "DATE") == 0 &&
           date->ntriggers == 12 && want &&
           memcmp(date->lead->bytes, want->bytes, 256) == 0,
       "the shipped month-name DATE pattern declares its lead, %s",
       date_lead);
    gloss__arena_free(&a);
    if (!date) {
        gloss__matcher_destroy(&shipped);
        return;
    }
    static const char *const texts[] = {
        "May 2020",
        "3 May 2021 and 4 June",
        "On 10 January 2021 the Court ruled.",
        "Meetings on 1, 2 and 3 December 2021 and 4 March 2022.",
        "from 1\xe2\x80\x93" "3 May 2020",
        "then 1 - 3 June 2020",
        "and 7 -8 July",
        "between 12 and 13 February 2021 and 14 March",
        "Articles 12 and 14, 15 of 10 January 2021; Member States on 5 June "
        "2020",
        "xMay 2020 and 4 June 2021",
        "2,May 2020 June 2021",
        "_May 2020 and 3 June 2021 , 4 July",
        "The Mayor met on 3 Mayday and 4 May 2019; September 3, 2020",
        "1, 2, 3, 4, 5, 6, 7, 8 and 9 October 2018 to 1 and 2 November 2018",
        "2 and and 3 April 2020",
        "22  and  23\tAugust 2021",
        "4\n\nMay 1999",
        "5\r\vMay 1998",
        "6\fMay 1997",
        "3\xc2\xa0May 2020 or 4 \xe2\x80\x93 5 May 2020 or "
        "6 \xe2\x80\x94 7 May",
        "JanuaryFebruary 2020 March 2021 April 31, 2021 May 32 2021",
        "Nine 9 Dec 1 December 12 December 20211 December 2021",
        "2021 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 "
        "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 "
        "July 2021",
        "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 "
        "26 27 28 29 30 June 2020 and 1, 2 and 3 July",
        "\xc3\x80" "3 May 2020, \xc3\x80 3 May, \xe2\x80\x93" "2 June 2020",
        "ends with 3 and 4 June",
        "1, 2 AND 3 DECEMBER 2021 and 4 march 2022, 5 AnD 6 mAY",
        "3 MAY 2021 and 4 JUNE; 7 Mayday; 8 JULY",
        "1 \xe2\x84\xaa" "and 2 May",
    };
    int same = 1;
    for (int ci = 0; ci < 2; ci++) {
        gloss__matcher *fast = month_matcher(date->text, date_lead, ci),
                       *plain = month_matcher(date->text, NULL, ci);
        if (!fast || !plain) {
            same = 0;
            gloss__matcher_destroy(&fast);
            gloss__matcher_destroy(&plain);
            continue;
        }
        for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
            char want_s[4096];
            snprintf(want_s, sizeof want_s, "%s", match_test_found(plain, texts[i]));
            const char *got = match_test_found(fast, texts[i]);
            if (strcmp(want_s, got) != 0) {
                diag("'%s' (ci %d): '%s', not '%s'", texts[i], ci, got, want_s);
                same = 0;
            }
        }
        /* Every month before another one: "3 May 2021 and 4 June" loses
         * its second date when the search around June starts after May. */
        for (size_t i = 0; i < 12; i++)
            for (size_t j = 0; j < 12; j++) {
                char text[128], want_s[512];
                snprintf(text, sizeof text, "3 %s 2021 and 4 %s", months[i],
                         months[j]);
                snprintf(want_s, sizeof want_s, "DATE[3 %s 2021] DATE[4 %s]",
                         months[i], months[j]);
                if (strcmp(match_test_found(fast, text), want_s) != 0 ||
                    strcmp(match_test_found(plain, text), want_s) != 0) {
                    diag("'%s' (ci %d): '%s'", text, ci, match_test_found(fast, text));
                    same = 0;
                }
            }
        if (ci == 0)
            ok(strcmp(match_test_found(fast, "Meetings on 1, 2 and 3 December 2021 and "
                                  "4 March 2022."),
                      "DATE[1, 2 and 3 December 2021] DATE[4 March 2022]") == 0,
               "a list of days before the month belongs to the date");
        gloss__matcher_destroy(&fast);
        gloss__matcher_destroy(&plain);
    }
    ok(same, "the month-name DATE pattern finds the same dates with its lead "
             "as without, case kept or ignored");
    gloss__matcher_destroy(&shipped);
}

/* User patterns, each with a lead, and the same without: the first is the
 * shipped DATE pattern, the others have letters, spaces or punctuation
 * before their triggers. */
static const char *const user_patterns[][4] = {
    {"DATE", NULL, "January|February|March|April|May|June|July|August|"
                   "September|October|November|December",
     "[0-9\\s,\xe2\x80\x93" "and-]"},
    {"QUANTITY",
     "(?<n>[0-9]{1,3}(?:[ ,.][0-9]{3}){0,3}|[0-9]{1,6})\\s{1,3}(?:people|"
     "persons|prisoners|journalists|members|women|men)",
     " people| persons| prisoners| journalists| members| women| men",
     "[0-9 ,.]"},
    {"LAW",
     "[Aa]rticles?\\s{1,3}[0-9]{1,4}(?:(?:,\\s{0,3}|\\s{1,3}and\\s{1,3})"
     "[0-9]{1,4}){0,6}\\s{1,3}of\\s{1,3}the\\s{1,3}(?<code>[A-Z][A-Za-z]{1,20}"
     "(?:\\s[A-Z][a-z]{1,20}){0,3})",
     " of the", "[A-Za-z0-9\\s,]"},
    {"ORG", "(?:the\\s{1,3})?(?:European|Kazakh|Human Rights)\\s{1,3}"
            "(?:Parliament|Commission|Council|Government|Watch)",
     "European|Kazakh|Human", "[\\w\\s]"},
};

/* Writes the user patterns to name, with their leads or without. */
static const char *user_file(const char *name, const char *date_re, int lead)
{
    gloss__buf b = GLOSS__BUF_INIT;
    for (size_t i = 0; i < sizeof user_patterns / sizeof *user_patterns; i++)
        gloss__buf_printf(&b, "%s\t%s\t\t%s\t%s\n", user_patterns[i][0],
                          user_patterns[i][1] ? user_patterns[i][1] : date_re,
                          user_patterns[i][2],
                          lead ? user_patterns[i][3] : "");
    const char *p = match_test_write(name, b.data ? b.data : "");
    gloss__buf_free(&b);
    return p;
}

/* Appends to texts every *.txt of folder (the invalid-UTF-8 fixture
 * aside); returns how many. */
static size_t add_texts(const char *folder, gloss__buf *texts, size_t *n,
                        char names[][128], size_t max)
{
    DIR *d = opendir(folder);
    size_t k = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL && *n < max) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".txt") != 0 ||
            strstr(e->d_name, "invalid"))
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", folder, e->d_name);
        gloss__buf_clear(&texts[*n]);
        if (gloss__buf_read_file(&texts[*n], path) < 0)
            continue;
        snprintf(names[*n], 128, "%.120s", e->d_name);
        (*n)++;
        k++;
    }
    if (d)
        closedir(d);
    return k;
}

static void test_user_patterns(void)
{
    const char *src = getenv("top_srcdir") ? getenv("top_srcdir") : ".";
    const char *shared = getenv("GLOSS_SHARED");
    char path[4096];
    snprintf(path, sizeof path, "%s/lexicon/patterns.tsv", src);
    gloss__matcher *shipped = from_file(path, 0, 0);
    const char *date_re = NULL;
    for (size_t i = 0; shipped && i < shipped->n; i++)
        if (shipped->entries[i].lead)
            date_re = shipped->entries[i].text;
    if (!date_re) {
        ok(0, "the shipped DATE pattern is found");
        gloss__matcher_destroy(&shipped);
        return;
    }

    enum { MAX_TEXTS = 64 };
    static gloss__buf texts[MAX_TEXTS];
    static char names[MAX_TEXTS][128];
    size_t n = 0, seeds = 0;
    if (shared) {
        snprintf(path, sizeof path, "%s/seeds", shared);
        seeds = add_texts(path, texts, &n, names, MAX_TEXTS);
    }
    static const char *const fixtures[] = {"docs", "structure", "match"};
    for (size_t f = 0; f < 3; f++) {
        snprintf(path, sizeof path, "%s/tests/fixtures/%s", src, fixtures[f]);
        add_texts(path, texts, &n, names, MAX_TEXTS);
    }
    /* Dates, numbers, laws and names in odd company, so that every
     * pattern is met with other triggers and lead characters before it. */
    static const char extra[] =
        "Articles 2, 3 and 4 of the Criminal Code and article 5 of the Law "
        "on Mass Media; 1,200 people and 30 women, 2 000 000 men, 12.500 "
        "prisoners; the European Parliament and Kazakh Government, Human "
        "Rights Watch, the European Commission of the European Council. On "
        "1, 2 and 3 May 2021 and 4 June; 7\xe2\x80\x93" "9 July 2020; "
        "\xc5\xbd" "anaozen, 16 December 2011; 5 persons of the Union.";
    gloss__buf_clear(&texts[n]);
    gloss__buf_add(&texts[n], extra, sizeof extra - 1);
    snprintf(names[n++], 128, "extra");

    const char *with = user_file("with-lead.tsv", date_re, 1),
               *without = user_file("without-lead.tsv", date_re, 0);
    int same = 1, declared = 1;
    long total[4] = {0, 0, 0, 0};
    for (int conf = 0; conf < 4; conf++) {
        int ci = conf & 1, fold = conf >> 1;
        gloss__matcher *a = from_file(with, ci, fold),
                       *b = from_file(without, ci, fold);
        for (size_t i = 0; a && i < 4; i++)
            declared &= a->entries[i].lead != NULL &&
                        (!b || b->entries[i].lead == NULL);
        gloss__buf la = GLOSS__BUF_INIT, lb = GLOSS__BUF_INIT;
        for (size_t t = 0; a && b && t < n; t++) {
            const char *s = texts[t].data ? texts[t].data : "";
            long k = list(a, names[t], s, texts[t].len, &la);
            list(b, names[t], s, texts[t].len, &lb);
            if (k > 0)
                total[conf] += k;
        }
        if (!a || !b || la.len != lb.len ||
            (la.len && memcmp(la.data, lb.data, la.len) != 0)) {
            size_t i = 0;
            while (i < la.len && i < lb.len && la.data[i] == lb.data[i])
                i++;
            while (i > 0 && la.data[i - 1] != '\n')
                i--;
            diag("case %s, %s: first difference: with '%.100s', without "
                 "'%.100s'", ci ? "ignored" : "kept",
                 fold ? "folded" : "not folded",
                 la.data ? la.data + i : "", lb.data ? lb.data + i : "");
            same = 0;
        }
        gloss__buf_free(&la);
        gloss__buf_free(&lb);
        gloss__matcher_destroy(&a);
        gloss__matcher_destroy(&b);
    }
    ok(declared, "a lead in the fifth field of a pattern file is declared");
    ok(same && total[0] > 20 && total[1] > 20,
       "user patterns find the same matches with their leads as without on "
       "%zu seeds and %zu fixtures, case kept or ignored, text folded or not "
       "(%ld matches, case kept)", seeds, n - seeds - 1, total[0]);
    if (!shared || seeds == 0)
        skip(1, "../shared/seeds is absent");
    else
        ok(seeds > 0, "the seeds were among the texts (%zu)", seeds);
    for (size_t t = 0; t < MAX_TEXTS; t++)
        gloss__buf_free(&texts[t]);
    gloss__matcher_destroy(&shipped);
}

/* A lead that is not valid is refused, naming the file, the line, the
 * pattern and what is wrong. */
static void test_bad_leads(void)
{
    static const struct {
        const char *line, *why;
    } bad[] = {
        {"X\t[0-9]+ May\t\tMay\t0-9 ", "character class in brackets"},
        {"X\t[0-9]+ May\t\tMay\t[^a-z]", "negated"},
        {"X\t[0-9]+ May\t\tMay\t[]", "empty"},
        {"X\t[0-9]+ May\t\tMay\t[0-9", "closing"},
        {"X\t[0-9]+ May\t\tMay\t[0-9]x", "follows"},
        {"X\t[0-9]+ May\t\tMay\t[\\q]", "'\\q'"},
        {"X\t[0-9]+ May\t\tMay\t[9-0]", "range"},
        {"X\t[0-9]+ May\t\tMay\t[\xc3\xa0-\xc3\xbc]", "range"},
        {"X\t[0-9]+ May\t\tMay\t[a\\]", "closing"},
        {"X\t[0-9]+ May\t\t\t[0-9 ]", "needs triggers"},
        {"X\tMay [0-9]+\t\t^May\t[0-9 ]", "needs triggers"},
    };
    int all = 1;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char text[256], err[1024];
        snprintf(text, sizeof text, "# a comment\n%s\n", bad[i].line);
        const char *path = match_test_write("bad-lead.tsv", text);
        gloss__matcher *m = gloss__matcher_new();
        gloss__match_group_opts o = {.name = "p", .boundaries = 1};
        int g = gloss__matcher_group(m, &o);
        err[0] = '\0';
        int rc = gloss__matcher_load_patterns(m, g, path, err, sizeof err);
        if (rc == 0 || !strstr(err, "bad-lead.tsv:2") || !strstr(err, "lead") ||
            (!strstr(err, "'[0-9]+ May'") && !strstr(err, "'May [0-9]+'")) ||
            !strstr(err, bad[i].why)) {
            diag("'%s': %s (rc %d)", bad[i].line, err, rc);
            all = 0;
        }
        gloss__matcher_destroy(&m);
    }
    ok(all, "each lead that is not valid is refused with the file, line, "
            "pattern and reason");

    /* One message in full, as a user reads it. */
    char err[1024];
    gloss__matcher *m = gloss__matcher_new();
    gloss__match_group_opts o = {.name = "p", .boundaries = 1};
    int g = gloss__matcher_group(m, &o);
    const char *path = match_test_write("bad-lead.tsv", "X\t[0-9]+ May\t\tMay\t[9-0]\n");
    gloss__matcher_load_patterns(m, g, path, err, sizeof err);
    const char *colon = strstr(err, "bad-lead.tsv:1");
    is_str(colon, "bad-lead.tsv:1: pattern '[0-9]+ May': lead '[9-0]' is not "
                  "valid: a range must go from one ASCII character up to "
                  "another",
           "the message names the file, line, pattern and lead");
    gloss__matcher_destroy(&m);

    /* A good lead and a good line after it: nothing is left behind by a
     * refused one (the matcher still compiles and matches). */
    m = gloss__matcher_new();
    g = gloss__matcher_group(m, &o);
    static const char *const trig[] = {"May"};
    int refused = gloss__matcher_add_pattern(m, g, "[0-9]+ May", "X", NULL,
                                             NULL, 0, trig, 1, "[", "api",
                                             err, sizeof err) < 0;
    int fine = gloss__matcher_add_pattern(m, g, "[0-9]+ May", "X", NULL, NULL,
                                          0, trig, 1, "[0-9 ]", "api", err,
                                          sizeof err) == 0 &&
               gloss__matcher_compile(m, NULL, err, sizeof err) == 0;
    ok(refused && fine && gloss__matcher_size(m) == 1 &&
           strcmp(match_test_found(m, "on 12 May and 3 May"), "X[12 May] X[3 May]") == 0,
       "a refused lead leaves no entry behind; a good one matches");
    gloss__matcher_destroy(&m);
}

/* The spans of a layer as "start-end LABEL", joined by spaces. */
static void spans(gloss_doc *doc, const char *layer, gloss__buf *out)
{
    gloss_layer *l = doc ? gloss_doc_layer(doc, layer, 0) : NULL;
    size_t n = l ? gloss_layer_size(l) : 0;
    for (size_t i = 0; i < n; i++) {
        gloss_span *s = gloss_layer_span(l, i);
        gloss__buf_printf(out, "%zu-%zu %s ", (size_t)s->start, (size_t)s->end,
                          s->label);
    }
}

/* gloss.matcher takes `lead` on a pattern: the same hits as without. */
static void test_lua(void)
{
    match_test_write("lead.lua",
               "local function make(lead)\n"
               "  return gloss.matcher{ case_insensitive = true,\n"
               "    { pattern = [[[0-9]{1,2}(?:(?:,\\s?|\\s(?:and|to)\\s)"
               "[0-9]{1,2}){0,4}\\s(?:May|June)]], label = 'DATE',\n"
               "      triggers = { 'May', 'June' }, lead = lead } }\n"
               "end\n"
               "local a, b = make('[0-9\\\\s,andto]'), make(nil)\n"
               "return { process = function(doc)\n"
               "  for _, h in ipairs(a:find(doc)) do doc:add('a', h.first, "
               "h.last, h.label) end\n"
               "  for _, h in ipairs(b:find(doc)) do doc:add('b', h.first, "
               "h.last, h.label) end\n"
               "end }\n");
    match_test_write("badlead.lua",
               "gloss.matcher{ { pattern = 'x May', label = 'X', triggers = "
               "{ 'May' }, lead = '[x' } }\n"
               "return { process = function(doc) end }\n");
    match_test_write("numlead.lua",
               "gloss.matcher{ { pattern = 'x May', label = 'X', triggers = "
               "{ 'May' }, lead = 5 } }\n"
               "return { process = function(doc) end }\n");
    char err[1024];
    const char *text = "On 1, 2 and 3 MAY, 4 to 5 June, 6 may and 7 Mayday; "
                       "x 8 June 9 May";
    gloss_doc *doc = match_test_run("return { pipeline = { { script = 'lead.lua' } } }",
                         text, err, sizeof err);
    if (!doc)
        diag("%s", err);
    gloss__buf a = GLOSS__BUF_INIT, b = GLOSS__BUF_INIT;
    spans(doc, "a", &a);
    spans(doc, "b", &b);
    if (!ok(doc && a.len > 0 && b.len == a.len &&
                memcmp(a.data, b.data, a.len) == 0,
            "gloss.matcher: a pattern with a lead finds what it finds without"))
        diag("with: %s; without: %s", a.data ? a.data : "",
             b.data ? b.data : "");
    gloss__buf_free(&a);
    gloss__buf_free(&b);
    gloss_doc_destroy(&doc);

    err[0] = '\0';
    doc = match_test_run("return { pipeline = { { script = 'badlead.lua' } } }", text, err,
              sizeof err);
    ok(!doc && strstr(err, "gloss.matcher: item 1") &&
           strstr(err, "lead '[x' is not valid"),
       "gloss.matcher: a lead that is not valid is refused, naming the item");
    if (doc || !strstr(err, "lead '[x'"))
        diag("%s", err);
    gloss_doc_destroy(&doc);
    err[0] = '\0';
    doc = match_test_run("return { pipeline = { { script = 'numlead.lua' } } }", text, err,
              sizeof err);
    ok(!doc && strstr(err, "'lead' must be a string"),
       "gloss.matcher: a lead that is not a string is refused");
    if (doc || !strstr(err, "'lead' must be a string"))
        diag("%s", err);
    gloss_doc_destroy(&doc);
}

int main(void)
{
    if (!match_test_mkdir(dir))
        return skip_all("cannot create a temporary folder");
    test_shipped_dates();
    test_user_patterns();
    test_bad_leads();
    test_lua();
    if (match_test_rmdir() != 0)
        diag("could not remove %s", dir);
    return done_testing();
}
