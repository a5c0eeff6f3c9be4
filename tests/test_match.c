/*
 * test_match.c - the matcher behind the `match` stage and gloss.matcher(),
 * and the stage in a pipeline: folding, case, boundaries, overlaps and
 * priorities, patterns (captures, look-around, errors naming file, line
 * and pattern), dictionary files (TSV, JSON, empty), and the policies
 * that combine matches with entities already in the layer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "gloss/doc.h"
#include "match.h"
#include "match_fold.h"
#include "match_internal.h"
#include "match_test.h"
#include "pipeline.h"
#include "tap.h"

static char dir[] = "/tmp/gloss-match-XXXXXX";

static gloss__matcher *phrases(const gloss__match_group_opts *o,
                               const char *const *list)
{
    gloss__matcher *m = gloss__matcher_new();
    int g = gloss__matcher_group(m, o);
    char err[512];
    for (size_t i = 0; list[i]; i += 2)
        if (gloss__matcher_add_phrase(m, g, list[i], list[i + 1], NULL, NULL, 0,
                                      "test", err, sizeof err) < 0)
            diag("%s", err);
    if (gloss__matcher_compile(m, NULL, err, sizeof err) < 0)
        diag("%s", err);
    return m;
}

static void test_fold(void)
{
    gloss__buf b = GLOSS__BUF_INIT;
    gloss__fold_map map;
    memset(&map, 0, sizeof map);
    const char *s = "R\xC3\xB3\xC5\xBC""a \xC5\xBD""anaozen\nStra\xC3\x9F""e "
                    "\xC3\xB8 \xC5\x82 \xC4\x91 \xEF\xAC\x81";
    ok(gloss__fold(&b, s, strlen(s), &map) == 0, "fold: succeeds");
    is_str(b.data, "Roza Zanaozen Strasse o l d fi",
           "fold: accents go, special letters are spelled out, a line break "
           "becomes a space, ligatures are split");
    is_int(gloss__fold_orig_start(&map, 5, NULL), 7,
           "fold: the Z of Zanaozen points to the start of its original "
           "character");
    is_int(gloss__fold_orig_start(&map, 6, NULL), 9,
           "fold: the byte after it points past that character");
    is_int(gloss__fold_orig_start(&map, 19, NULL), 21,
           "fold: both bytes of ss point to the sharp s");
    is_int(gloss__fold_orig_end(&map, 19, NULL), 23,
           "fold: a span ending inside ss ends after the sharp s");
    is_int(gloss__fold_orig_end(&map, 18, NULL), 21,
           "fold: a span ending before ss ends before the sharp s");
    is_int(gloss__fold_orig_end(&map, 4, NULL), 6,
           "fold: a span ending after Roza ends after the z with its accent");
    gloss__buf_free(&b);
    gloss__fold_map_free(&map);
    ok(gloss__fold_is_ascii("plain text", 10) &&
           !gloss__fold_is_ascii("R\xC3\xB3\xC5\xBC""a", 6),
       "fold: ASCII is recognised");
}

static void test_case_and_diacritics(void)
{
    gloss__match_group_opts o = {.name = "t", .diacritics_insensitive = 1,
                                 .boundaries = 1};
    const char *const l1[] = {"\xC5\xBD""anaozen", "LOC", "Roza", "PER", NULL};
    gloss__matcher *m = phrases(&o, l1);
    is_str(match_test_found(m, "In Zanaozen and \xC5\xBD""anaozen, R\xC3\xB3\xC5\xBC""a "
                    "and Roza."),
           "LOC[Zanaozen] LOC[\xC5\xBD""anaozen] PER[R\xC3\xB3\xC5\xBC""a] "
           "PER[Roza]",
           "diacritics-insensitive: with and without accents, spans on the "
           "original bytes");
    is_str(match_test_found(m, "in zanaozen"), "", "case-sensitive by default");
    gloss__matcher_destroy(&m);

    o.case_insensitive = 1;
    const char *const l2[] = {"european parliament", "ORG",
                              "\xD0\x96\xD0\xB0\xD0\xBD\xD0\xB0\xD0\xBE"
                              "\xD0\xB7\xD0\xB5\xD0\xBD", "LOC", NULL};
    m = phrases(&o, l2);
    is_str(match_test_found(m, "THE EUROPEAN PARLIAMENT and the European\nParliament"),
           "ORG[EUROPEAN PARLIAMENT] ORG[European\nParliament]",
           "case-insensitive, and a space matches a line break");
    is_str(match_test_found(m, "\xD0\x96\xD0\x90\xD0\x9D\xD0\x90\xD0\x9E\xD0\x97\xD0\x95"
                    "\xD0\x9D"),
           "LOC[\xD0\x96\xD0\x90\xD0\x9D\xD0\x90\xD0\x9E\xD0\x97\xD0\x95\xD0\x9D]",
           "case-insensitive for Cyrillic too");
    gloss__matcher_destroy(&m);

    /* One group folds, another keeps diacritics: the folded scan must not
     * loosen the second. */
    m = gloss__matcher_new();
    gloss__match_group_opts fold = {.name = "f", .diacritics_insensitive = 1};
    gloss__match_group_opts keep = {.name = "k"};
    int gf = gloss__matcher_group(m, &fold), gk = gloss__matcher_group(m, &keep);
    char err[512];
    gloss__matcher_add_phrase(m, gf, "Almaty", "LOC", NULL, NULL, 0, "t", err,
                              sizeof err);
    gloss__matcher_add_phrase(m, gk, "R\xC3\xB3\xC5\xBC""a", "PER", NULL, NULL,
                              0, "t", err, sizeof err);
    ok(gloss__matcher_compile(m, NULL, err, sizeof err) == 0,
       "mixed groups compile");
    is_str(match_test_found(m, "R\xC3\xB3\xC5\xBC""a, Roza and \xC3\x81lmaty"),
           "PER[R\xC3\xB3\xC5\xBC""a] LOC[\xC3\x81lmaty]",
           "a group that keeps diacritics matches only the exact spelling");
    gloss__matcher_destroy(&m);
}

static void test_boundaries_overlaps(void)
{
    gloss__match_group_opts o = {.name = "t", .boundaries = 1};
    const char *const l[] = {"Osh", "LOC", "European Parliament", "ORG",
                             "Parliament", "ORG2", "Parliament of Georgia",
                             "ORG3", NULL};
    gloss__matcher *m = phrases(&o, l);
    is_str(match_test_found(m, "Oshkosh, Joshua, Osh, (Osh) Osh2"), "LOC[Osh] LOC[Osh]",
           "boundaries: no match inside a word or glued to a digit");
    is_str(match_test_found(m, "the European Parliament."), "ORG[European Parliament]",
           "overlaps: the longest match wins, an overlapping one is dropped");
    is_str(match_test_found(m, "the European Parliament of Georgia"),
           "ORG3[Parliament of Georgia]",
           "overlaps: the longest wins even when it starts later");
    is_str(match_test_found(m, "Parliament Parliament of Georgia"),
           "ORG2[Parliament] ORG3[Parliament of Georgia]",
           "overlaps: adjacent matches are all kept");
    gloss__matcher_destroy(&m);

    /* Beside bytes beyond ASCII, boundaries are looked for in the text
     * (letters with accents are word characters, a dash and a no-break
     * space are not), in a folded scan as in a plain one. */
    for (int fold = 0; fold < 2; fold++) {
        gloss__match_group_opts b = {.name = "b", .boundaries = 1,
                                     .diacritics_insensitive = fold};
        const char *const lb[] = {"Osh", "LOC", NULL};
        gloss__matcher *mb = phrases(&b, lb);
        is_str(match_test_found(mb, "Osh\xC3\xA9 \xC3\xA9Osh Osh\xE2\x80\x94x "
                         "Osh\xC2\xA0Osh (Osh) Osh"),
               "LOC[Osh] LOC[Osh] LOC[Osh] LOC[Osh] LOC[Osh]",
               fold ? "boundaries beside accented letters, dashes and no-break "
                      "spaces, folded"
                    : "boundaries beside accented letters, dashes and no-break "
                      "spaces");
        gloss__matcher_destroy(&mb);
    }

    /* Phrases that start with another one (a prefix chain) are found
     * through the shortest: each at its own place, the longer ones where
     * they follow, none cut out of a longer word, none past the end, and
     * whatever the order of the list; in a folded scan too, and beside a
     * case-insensitive group (not chained). */
    for (int fold = 0; fold < 2; fold++) {
        gloss__match_group_opts b = {.name = "chain", .boundaries = 1,
                                     .diacritics_insensitive = fold};
        const char *const lc[] = {"Kazakhstan  Airlines", "E", "Kazakhs", "C",
                                  "Kazak", "A", "Kazakhstan", "D", "Kazakh",
                                  "B", "Kaz", "K", NULL};
        gloss__matcher *mc = phrases(&b, lc);
        is_str(match_test_found(mc, "Kazak, Kazakh Kazakhs. Kazakhstan Kazakhstan\n"
                         "Airlines Kazakhstani Kazakhst \xC3\x81 Kaz"),
               "A[Kazak] B[Kazakh] C[Kazakhs] D[Kazakhstan] "
               "E[Kazakhstan\nAirlines] K[Kaz]",
               fold ? "prefix chains: every phrase of the chain, folded"
                    : "prefix chains: every phrase of the chain");
        is_str(match_test_found(mc, "Kazakhs"), "C[Kazakhs]",
               fold ? "prefix chains: a longer phrase at the end of the text, "
                      "folded"
                    : "prefix chains: a longer phrase at the end of the text");
        is_str(match_test_found(mc, "Kazakhsta"), "",
               fold ? "prefix chains: a longer phrase is not looked for past "
                      "the end, folded"
                    : "prefix chains: a longer phrase is not looked for past "
                      "the end");
        gloss__matcher_destroy(&mc);
    }
    {
        gloss__matcher *mc = gloss__matcher_new();
        gloss__match_group_opts cs = {.name = "cs", .boundaries = 1};
        gloss__match_group_opts ci = {.name = "ci", .boundaries = 1,
                                      .case_insensitive = 1};
        int gs = gloss__matcher_group(mc, &cs), gi = gloss__matcher_group(mc, &ci);
        char cerr[512];
        gloss__matcher_add_phrase(mc, gs, "Astana", "A", NULL, NULL, 0, "t",
                                  cerr, sizeof cerr);
        gloss__matcher_add_phrase(mc, gi, "astana city", "C", NULL, NULL, 0,
                                  "t", cerr, sizeof cerr);
        gloss__matcher_add_phrase(mc, gs, "Astana Opera", "O", NULL, NULL, 0,
                                  "t", cerr, sizeof cerr);
        ok(gloss__matcher_compile(mc, NULL, cerr, sizeof cerr) == 0,
           "prefix chains: a matcher with a case-insensitive group compiles");
        is_str(match_test_found(mc, "Astana, ASTANA CITY, Astana Opera, astana opera"),
               "A[Astana] C[ASTANA CITY] O[Astana Opera]",
               "prefix chains: case-sensitive phrases chain, a "
               "case-insensitive one is matched on its own");
        gloss__matcher_destroy(&mc);
    }

    o.boundaries = 0;
    const char *const l2[] = {"Osh", "LOC", NULL};
    m = phrases(&o, l2);
    is_str(match_test_found(m, "Oshkosh"), "LOC[Osh]", "boundaries = false matches inside words");
    gloss__matcher_destroy(&m);

    /* Two groups with the same phrase: the higher priority wins, and with
     * equal priorities the group added first. */
    m = gloss__matcher_new();
    gloss__match_group_opts lo = {.name = "low", .priority = 0, .boundaries = 1};
    gloss__match_group_opts hi = {.name = "high", .priority = 5, .boundaries = 1};
    int glo = gloss__matcher_group(m, &lo), ghi = gloss__matcher_group(m, &hi);
    char err[512];
    gloss__matcher_add_phrase(m, glo, "Astana", "LOW", NULL, NULL, 0, "t", err,
                              sizeof err);
    gloss__matcher_add_phrase(m, ghi, "Astana", "HIGH", NULL, NULL, 0, "t", err,
                              sizeof err);
    gloss__matcher_add_phrase(m, glo, "Nur-Sultan", "FIRST", NULL, NULL, 0, "t",
                              err, sizeof err);
    gloss__matcher_add_phrase(m, glo, "Nur-Sultan", "SECOND", NULL, NULL, 0, "t",
                              err, sizeof err);
    gloss__matcher_compile(m, NULL, err, sizeof err);
    is_str(match_test_found(m, "Astana (Nur-Sultan)"), "HIGH[Astana] FIRST[Nur-Sultan]",
           "priorities: the higher wins; at equal priority, the first added");
    const gloss__match *ms;
    long n = gloss__matcher_scan(m, "Astana", 6, &ms, err, sizeof err);
    is_str(n == 1 ? ms[0].entry->source : NULL, "match:high",
           "a match names its source");
    is_str(n == 1 ? ms[0].entry->id : NULL, "Astana",
           "a phrase without an id has itself as id");
    gloss__matcher_destroy(&m);
}

static void test_patterns(void)
{
    char err[1024];
    gloss__matcher *m = gloss__matcher_new();
    gloss__match_group_opts o = {.name = "rules", .boundaries = 1};
    int g = gloss__matcher_group(m, &o);
    const char *path = match_test_write(
        "rules.tsv",
        "# comment\n"
        "\n"
        "LAW\tArticle (?<article>[0-9]+)(?: of the (?<code>[A-Z][a-z]+ Code))?\n"
        "AMOUNT\t(?<=EUR )[0-9]+\n"
        "DATE\t[0-9]{1,2} (?:January|March) [0-9]{4}\tprecision=day\n");
    ok(gloss__matcher_load_patterns(m, g, path, err, sizeof err) == 0,
       "a pattern file loads");
    ok(gloss__matcher_compile(m, NULL, err, sizeof err) == 0,
       "patterns compile (look-behind through PCRE2)");
    const char *text = "Under Article 174 of the Criminal Code, on 10 January "
                       "2021, a fine of EUR 500 (not GBP 600).";
    is_str(match_test_found(m, text),
           "LAW[Article 174 of the Criminal Code] DATE[10 January 2021] "
           "AMOUNT[500]",
           "patterns find their exact spans, look-behind included");
    const gloss__match *ms;
    long n = gloss__matcher_scan(m, text, strlen(text), &ms, err, sizeof err);
    int caps_ok = n == 3 && ms[0].ncaps == 2 &&
                  strcmp(ms[0].caps[0].name, "article") == 0 &&
                  ms[0].caps[0].end - ms[0].caps[0].start == 3 &&
                  memcmp(text + ms[0].caps[0].start, "174", 3) == 0 &&
                  strcmp(ms[0].caps[1].name, "code") == 0;
    ok(caps_ok, "named groups are captured");
    ok(n == 3 && ms[1].entry->nattrs == 1 &&
           strcmp(ms[1].entry->attrs[0].key, "precision") == 0,
       "a pattern line's attributes are kept");
    gloss__matcher_destroy(&m);

    /* Errors name the file, the line and the pattern. */
    m = gloss__matcher_new();
    g = gloss__matcher_group(m, &o);
    path = match_test_write("bad.tsv", "DATE\t[0-9]+\n# ok so far\nLAW\tArticle ([0-9]+\n");
    ok(gloss__matcher_load_patterns(m, g, path, err, sizeof err) < 0,
       "a pattern that does not parse is refused");
    like(err, "bad.tsv:3", "its error names the file and line");
    like(err, "Article ([0-9]+", "and the pattern");
    gloss__matcher_destroy(&m);

    m = gloss__matcher_new();
    g = gloss__matcher_group(m, &o);
    path = match_test_write("empty-match.tsv", "DATE\t[0-9]+\nX\tx*\n");
    ok(gloss__matcher_load_patterns(m, g, path, err, sizeof err) == 0 &&
           gloss__matcher_compile(m, NULL, err, sizeof err) < 0,
       "a pattern Vectorscan refuses fails the compilation");
    like(err, "empty-match.tsv:2", "that error names the file and line too");
    like(err, "'x*'", "and the pattern");
    gloss__matcher_destroy(&m);

    /* A space in a trigger stands for any white space, even in a
     * matcher without phrases; a number and "men" glued into a word is
     * not a match. */
    m = gloss__matcher_new();
    g = gloss__matcher_group(m, &o);
    path = match_test_write("spaced.tsv", "QUANTITY\t[0-9]{1,3}\\s{1,3}(?:men|women)"
                                    "\t\t men| women\n");
    ok(gloss__matcher_load_patterns(m, g, path, err, sizeof err) == 0 &&
           gloss__matcher_compile(m, NULL, err, sizeof err) == 0,
       "triggers with a space compile");
    is_str(match_test_found(m, "3\nmen, 4\twomen, 5 women, 6amen, 7 mention"),
           "QUANTITY[3\nmen] QUANTITY[4\twomen] QUANTITY[5 women]",
           "a space in a trigger matches a line break or a tab");
    gloss__matcher_destroy(&m);

    m = gloss__matcher_new();
    g = gloss__matcher_group(m, &o);
    path = match_test_write("nolabel.tsv", "[0-9]+\n");
    ok(gloss__matcher_load_patterns(m, g, path, err, sizeof err) < 0,
       "a pattern line without a label is refused");
    like(err, "nolabel.tsv:1", "naming the line");
    gloss__matcher_destroy(&m);
}

static void test_dictionaries(void)
{
    char err[1024];
    gloss__matcher *m = gloss__matcher_new();
    gloss__match_group_opts o = {.name = "d", .label = "ORG", .boundaries = 1,
                                 .diacritics_insensitive = 1};
    int g = gloss__matcher_group(m, &o);
    const char *tsv = match_test_write(
        "ngos.tsv",
        "# name\tlabel\tid\tattrs\n"
        "Front Line Defenders\t\tngo:fld\tcountry=IE;kind=ngo\n"
        "Amnesty International\n"
        "Dulat Agadil\tPER\tperson:agadil\n");
    ok(gloss__matcher_load_dictionary(m, g, tsv, err, sizeof err) == 0,
       "a TSV dictionary loads");
    const char *json = match_test_write(
        "people.json",
        "[{\"phrases\": [\"R\xC3\xB3\xC5\xBC""a Thun\", \"Roza Thun\"], "
        "\"label\": \"PER\", \"id\": \"person:thun\", "
        "\"attributes\": {\"role\": \"MEP\", \"term\": 9}}]");
    ok(gloss__matcher_load_dictionary(m, g, json, err, sizeof err) == 0,
       "a JSON dictionary loads");
    ok(gloss__matcher_compile(m, NULL, err, sizeof err) == 0, "they compile");
    is_str(match_test_found(m, "Amnesty International, Front Line Defenders and "
                    "R\xC3\xB3\xC5\xBC""a Thun on Dulat Agadil"),
           "ORG[Amnesty International] ORG[Front Line Defenders] "
           "PER[R\xC3\xB3\xC5\xBC""a Thun] PER[Dulat Agadil]",
           "entries take the dictionary's label unless they give one");
    const gloss__match *ms;
    const char *t = "Front Line Defenders and Roza Thun";
    long n = gloss__matcher_scan(m, t, strlen(t), &ms, err, sizeof err);
    ok(n == 2 && strcmp(ms[0].entry->id, "ngo:fld") == 0 &&
           ms[0].entry->nattrs == 2 &&
           strcmp(ms[0].entry->attrs[1].value, "ngo") == 0,
       "TSV ids and attributes are kept");
    ok(n == 2 && strcmp(ms[1].entry->id, "person:thun") == 0 &&
           ms[1].entry->nattrs == 2 &&
           strcmp(ms[1].entry->attrs[1].value, "9") == 0,
       "JSON ids and attributes are kept (numbers as their JSON text)");
    gloss__matcher_destroy(&m);

    m = gloss__matcher_new();
    g = gloss__matcher_group(m, &o);
    const char *empty = match_test_write("empty.tsv", "# nothing yet\n");
    ok(gloss__matcher_load_dictionary(m, g, empty, err, sizeof err) == 0 &&
           gloss__matcher_compile(m, NULL, err, sizeof err) == 0,
       "an empty dictionary loads and compiles");
    is_str(match_test_found(m, "anything at all"), "", "and finds nothing");
    gloss__matcher_destroy(&m);

    m = gloss__matcher_new();
    g = gloss__matcher_group(m, &o);
    const char *bad = match_test_write("bad.json", "[{\"phrase\": \"x\"}, {\"label\": \"X\"}]");
    ok(gloss__matcher_load_dictionary(m, g, bad, err, sizeof err) < 0,
       "a JSON entry without a phrase is refused");
    like(err, "bad.json: entry 2", "naming the entry");
    gloss__matcher_destroy(&m);

    m = gloss__matcher_new();
    gloss__match_group_opts nolabel = {.name = "n"};
    g = gloss__matcher_group(m, &nolabel);
    const char *nl = match_test_write("nolabel-dict.tsv", "Some Name\n");
    ok(gloss__matcher_load_dictionary(m, g, nl, err, sizeof err) < 0,
       "a phrase without a label (none in the file or the options) is refused");
    like(err, "nolabel-dict.tsv:1", "naming the line");
    gloss__matcher_destroy(&m);
}

/* The entities of doc as "LABEL[text]@source". */
static const char *entities(gloss_doc *doc)
{
    static char out[2048];
    size_t used = 0;
    out[0] = '\0';
    gloss_layer *l = doc ? gloss_doc_layer(doc, "entities", 0) : NULL;
    size_t n = l ? gloss_layer_size(l) : 0;
    const char *text = doc ? gloss_doc_text(doc, NULL) : "";
    for (size_t i = 0; i < n && used < sizeof out; i++) {
        gloss_span *s = gloss_layer_span(l, i);
        const gloss_value *src = gloss_span_get(s, "source");
        used += (size_t)snprintf(out + used, sizeof out - used, "%s%s[%.*s]@%s",
                                 i ? " " : "", s->label,
                                 (int)(s->end - s->start), text + s->start,
                                 src ? src->as.string.ptr : "-");
    }
    return out;
}

static void test_stage(void)
{
    match_test_write("ner.lua",
               "return { process = function(doc)\n"
               "  local s, e = doc.text:find('European Parliament', 1, true)\n"
               "  doc:add('entities', s, s + 7, 'MISC')\n"
               "  local s2, e2 = doc.text:find('Dulat', 1, true)\n"
               "  doc:add('entities', s2, e2, 'PER')\n"
               "end }\n");
    match_test_write("people.tsv", "European Parliament\tORG\teu:ep\n");
    static const struct {
        const char *policy, *want;
    } cases[] = {
        {"dictionary_first",
         "ORG[European Parliament]@match:people PER[Dulat]@-"},
        {"statistical_first", "MISC[European]@- PER[Dulat]@-"},
        {"union", "ORG[European Parliament]@match:people MISC[European]@- "
                  "PER[Dulat]@-"},
    };
    char src[1024], err[1024];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        snprintf(src, sizeof src,
                 "return { pipeline = { { script = 'ner.lua' }, { stage = "
                 "'match', options = { builtin = false, policy = '%s', "
                 "dictionaries = { 'people.tsv' } } } } }",
                 cases[i].policy);
        gloss_doc *doc = match_test_run(src, "The European Parliament and Dulat.", err,
                             sizeof err);
        if (!doc)
            diag("%s", err);
        is_str(entities(doc), cases[i].want, "policy %s", cases[i].policy);
        gloss_doc_destroy(&doc);
    }

    gloss_doc *doc = match_test_run("return { pipeline = { { stage = 'match', options = "
                         "{ builtin = false, dictionaries = { { file = "
                         "'people.tsv', name = 'eu' } } } } } }",
                         "no entities layer yet: European Parliament", err,
                         sizeof err);
    is_str(entities(doc), "ORG[European Parliament]@match:eu",
           "the stage creates the layer when there is none; name sets the "
           "source");
    gloss_layer *l = doc ? gloss_doc_layer(doc, "entities", 0) : NULL;
    const gloss_value *id = l && gloss_layer_size(l)
                                ? gloss_span_get(gloss_layer_span(l, 0), "id")
                                : NULL;
    is_str(id ? id->as.string.ptr : NULL, "eu:ep", "spans carry the id");
    gloss_doc_destroy(&doc);

    match_test_write("broken.tsv", "DATE\t[0-9]{2,1}\n");
    doc = match_test_run("return { pipeline = { { stage = 'match', options = { builtin = "
              "false, patterns = { 'broken.tsv' } } } } }",
              "x", err, sizeof err);
    ok(doc == NULL, "a pattern that does not compile fails the configuration");
    like(err, "broken.tsv:1", "the error names the file and line");
    like(err, "[0-9]{2,1}", "and the pattern");

    doc = match_test_run("return { pipeline = { { stage = 'match', options = { builtin = "
              "false, dictionaries = { { file = 'people.tsv', colour = 1 } } "
              "} } } }",
              "x", err, sizeof err);
    ok(doc == NULL && strstr(err, "unknown key 'colour'"),
       "an unknown key of a dictionary is refused");

    doc = match_test_run("return { pipeline = { { stage = 'match', options = { builtin = "
              "false, dictionaries = { 'missing.tsv' } } } } }",
              "x", err, sizeof err);
    ok(doc == NULL && strstr(err, "missing.tsv"),
       "a missing dictionary is an error naming it");
}

/* Text that is not UTF-8 is refused with a message, whether the matcher
 * folds it (folding checks it) or not. */
static void test_bad_utf8(void)
{
    static const char *const list[] = {"Kazakhstan", "LOC", NULL};
    for (int fold = 0; fold < 2; fold++) {
        gloss__match_group_opts o = {.name = "d", .boundaries = 1,
                                     .diacritics_insensitive = fold};
        gloss__matcher *m = phrases(&o, list);
        const gloss__match *ms;
        char err[256] = "";
        static const char bad[] = "Kazakhstan \xC3\xA9t\xE9 Kazakhstan";
        long n = gloss__matcher_scan(m, bad, sizeof bad - 1, &ms, err,
                                     sizeof err);
        ok(n < 0 && strstr(err, "not valid UTF-8"),
           "%s: ill-formed UTF-8 is refused with a message",
           fold ? "folding" : "not folding");
        static const char good[] = "Kazakhstan \xC3\xA9t\xC3\xA9";
        n = gloss__matcher_scan(m, good, sizeof good - 1, &ms, err, sizeof err);
        ok(n == 1 && ms[0].start == 0 && ms[0].end == 10,
           "%s: the same text made well-formed is matched",
           fold ? "folding" : "not folding");
        gloss__matcher_destroy(&m);
    }
}

/* A matcher of the shipped lexicon and patterns: "shipped" as the bench
 * and the stage load them, "mixed" with other options per group. */
static gloss__matcher *lexicon_matcher(const char *lex, int mixed)
{
    static const char *const dicts[] = {"eu.tsv", "groups.tsv",
                                        "international.tsv", "countries.tsv",
                                        "central-asia.tsv"};
    gloss__matcher *m = gloss__matcher_new();
    char path[4200], err[1024];
    gloss__match_group_opts po = {.name = "patterns", .boundaries = 1,
                                  .case_insensitive = mixed,
                                  .priority = mixed};
    int g = gloss__matcher_group(m, &po);
    snprintf(path, sizeof path, "%s/patterns.tsv", lex);
    int rc = gloss__matcher_load_patterns(m, g, path, err, sizeof err);
    for (size_t i = 0; i < 5 && rc == 0; i++) {
        gloss__match_group_opts o = {.name = dicts[i], .boundaries = 1,
                                     .diacritics_insensitive = 1};
        if (mixed) {
            o.boundaries = i != 1;
            o.case_insensitive = i != 0;
            o.diacritics_insensitive = i == 4;
            o.priority = (int)i;
        }
        g = gloss__matcher_group(m, &o);
        snprintf(path, sizeof path, "%s/%s", lex, dicts[i]);
        rc = gloss__matcher_load_dictionary(m, g, path, err, sizeof err);
    }
    if (rc == 0)
        rc = gloss__matcher_compile(m, NULL, err, sizeof err);
    if (rc < 0) {
        diag("%s", err);
        gloss__matcher_destroy(&m);
    }
    return m;
}

/* The matches on the fixtures are those recorded in expected-matches.tsv
 * (made by the matcher before its scan was restructured): every span,
 * label, id, source and named group, in both configurations. */
static void test_same_matches(void)
{
    static const char *const files[] = {
        "docs/article.txt", "docs/resolution.txt", "structure/article.txt",
        "structure/joined.txt", "structure/motion-pdf.txt",
        "structure/resolution-html.txt", "match/tricky.txt"};
    const char *src = getenv("top_srcdir") ? getenv("top_srcdir") : ".";
    char path[4096], lex[4096];
    snprintf(lex, sizeof lex, "%s/lexicon", src);
    snprintf(path, sizeof path, "%s/tests/fixtures/match/expected-matches.tsv",
             src);
    gloss__buf want = GLOSS__BUF_INIT;
    if (gloss__buf_read_file(&want, path) < 0) {
        ok(0, "expected-matches.tsv is readable");
        gloss__buf_free(&want);
        return;
    }
    for (int mixed = 0; mixed < 2; mixed++) {
        const char *conf = mixed ? "mixed" : "shipped";
        gloss__buf got = GLOSS__BUF_INIT, exp = GLOSS__BUF_INIT;
        /* The expected lines of this configuration. */
        for (const char *l = want.data; l && *l;) {
            const char *nl = strchr(l, '\n');
            size_t n = nl ? (size_t)(nl - l) + 1 : strlen(l);
            size_t k = strlen(conf);
            if (l[0] != '#' && strncmp(l, conf, k) == 0 && l[k] == '\t')
                gloss__buf_add(&exp, l, n);
            l += n;
        }
        gloss__matcher *m = lexicon_matcher(lex, mixed);
        for (size_t f = 0; m && f < sizeof files / sizeof *files; f++) {
            gloss__buf text = GLOSS__BUF_INIT;
            snprintf(path, sizeof path, "%s/tests/fixtures/%s", src, files[f]);
            const gloss__match *ms;
            char err[512];
            long n = gloss__buf_read_file(&text, path) < 0
                         ? -1
                         : gloss__matcher_scan(m, text.data ? text.data : "",
                                               text.len, &ms, err, sizeof err);
            if (n < 0)
                gloss__buf_printf(&got, "cannot match %s\n", files[f]);
            for (long i = 0; i < n; i++) {
                gloss__buf_printf(&got, "%s\t%s\t%zu\t%zu\t%s\t%s\t%s", conf,
                                  files[f], ms[i].start, ms[i].end,
                                  ms[i].entry->label,
                                  ms[i].entry->id ? ms[i].entry->id : "-",
                                  ms[i].entry->source);
                for (size_t c = 0; c < ms[i].ncaps; c++)
                    gloss__buf_printf(&got, "\t%s=%zu-%zu", ms[i].caps[c].name,
                                      ms[i].caps[c].start, ms[i].caps[c].end);
                gloss__buf_addc(&got, '\n');
            }
            gloss__buf_free(&text);
        }
        int same = m && got.len == exp.len && exp.len > 0 &&
                   memcmp(got.data, exp.data, exp.len) == 0;
        if (!same && got.data && exp.data) {
            size_t i = 0;
            while (i < got.len && i < exp.len && got.data[i] == exp.data[i])
                i++;
            while (i > 0 && exp.data[i - 1] != '\n')
                i--;
            diag("first difference: got '%.120s', expected '%.120s'",
                 got.data + (i < got.len ? i : got.len),
                 exp.data + (i < exp.len ? i : exp.len));
        }
        ok(same, "%s lexicon: the same matches on the fixtures as before the "
           "scan was restructured", conf);
        gloss__matcher_destroy(&m);
        gloss__buf_free(&got);
        gloss__buf_free(&exp);
    }
    gloss__buf_free(&want);
}

int main(void)
{
    if (!match_test_mkdir(dir))
        return skip_all("cannot create a temporary folder");
    test_fold();
    test_case_and_diacritics();
    test_boundaries_overlaps();
    test_patterns();
    test_dictionaries();
    test_stage();
    test_bad_utf8();
    test_same_matches();
    if (match_test_rmdir() != 0)
        diag("could not remove %s", dir);
    return done_testing();
}
