/*
 * test_clean.c - the cleaning half of normalize: unwrapping, word-list
 * de-hyphenation, furniture found by repetition, footnote markers, markup
 * to spans, and the offset map that leads back to the original text. Each
 * feature runs on a small text written for the test with the exact text
 * expected; when ../shared/seeds exists ($GLOSS_SHARED), the real
 * documents go through the stage and the invariants are checked on them.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clean.h"
#include "gloss/doc.h"
#include "tap.h"

static const gloss__clean_settings ALL = {1, 1, 1, 2, 1, 1, NULL};

/* Cleans in and returns the new text (malloc'd), filling *r. */
static char *clean(const char *in, gloss__clean_result *r)
{
    char err[128];
    gloss__cleaner *cl = gloss__cleaner_new(&ALL, err, sizeof err);
    if (!cl)
        return NULL;
    int rc = gloss__clean_text(cl, in, strlen(in), r);
    gloss__cleaner_destroy(&cl);
    if (rc < 0)
        return NULL;
    if (rc == 0)
        return strdup(in);
    return strndup(r->text.data, r->text.len);
}

static void expect(const char *in, const char *want, const char *what)
{
    gloss__clean_result r;
    char *got = clean(in, &r);
    if (!ok(got && strcmp(got, want) == 0, "%s", what))
        diag("got [%s]\nwant [%s]", got ? got : "(null)", want);
    free(got);
    gloss__clean_result_free(&r);
}

static void test_lines(void)
{
    expect("the first line of a\nsentence goes on.\n\nNext.\n",
           "the first line of a sentence goes on.\n\nNext.\n", "a wrap is joined");
    expect("Items:\n- one\n- two\n", "Items:\n- one\n- two\n", "list items stay");
    expect("A. whereas x is\nlong;\nB. whereas y;\n",
           "A. whereas x is long;\nB. whereas y;\n", "lettered items stay apart");
    expect("MOTION FOR A RESOLUTION\nwith request\n",
           "MOTION FOR A RESOLUTION\nwith request\n", "a heading keeps its break");
    expect("the long-\nstanding rule\n", "the long-standing rule\n",
           "a compound keeps its hyphen");
    expect("the with-\ndrawal of\n", "the withdrawal of\n",
           "a broken word is joined");
    expect("to refrain-\ning from\n", "to refraining from\n",
           "fragments unknown to the corpora are joined");
    expect("no change here\n\nat all\n", "no change here\n\nat all\n",
           "clean text is untouched");
}

static void test_furniture(void)
{
    expect("Head X1 of page\n\nText one.\n\nHead X2 of page\n\nText two.\n",
           "Text one.\n\nText two.\n", "a repeated header goes, digits masked");
    expect("Only once here\n\ntext\n", "Only once here\n\ntext\n",
           "a line found once stays");
    expect("body of the text that\n\nDOC 1/3 file.docx\n\ngoes on here.\n\n"
           "file.docx DOC 2/3\n\nEnd.\n",
           "body of the text that goes on here.\n\nEnd.\n",
           "furniture between two halves of a sentence: joined");
    expect("Thanks,\n\nPhillip\n\nSee you.\n\nThanks,\n\nPhillip\n\n"
           "Thanks,\n\nPhillip\n",
           "Thanks,\n\nPhillip\n\nSee you.\n\nThanks,\n\nPhillip\n\n"
           "Thanks,\n\nPhillip\n",
           "repeated lines without page numbers stay (an e-mail thread)");
    expect("There is no delivery.\n\nThere is no delivery.\n",
           "There is no delivery.\n\nThere is no delivery.\n",
           "a sentence said twice stays");
}

static void test_footnotes(void)
{
    gloss__clean_result r;
    char *got = clean("Of 18 April 20134 and Kazakhstan2, see.\n\n"
                      "2 OJ C 1, p. 1.\n4 OJ C 2, p. 2.\n", &r);
    ok(got && strncmp(got, "Of 18 April 2013 and Kazakhstan, see.", 37) == 0,
       "glued markers with listed notes are removed");
    ok(r.nrefs == 2 && r.refs[0].note == 4 && r.refs[0].pos == 16 &&
           r.refs[1].note == 2 && r.refs[1].pos == 31,
       "and recorded with their notes and positions");
    free(got);
    gloss__clean_result_free(&r);
    expect("Of 18 April 20134 and Kazakhstan2.\n",
           "Of 18 April 20134 and Kazakhstan2.\n",
           "without a footnote list the digits stay");
    got = clean("Adopted[1] here.\n\n[1] Texts adopted.\n", &r);
    ok(got && strcmp(got, "Adopted here.\n\n[1] Texts adopted.\n") == 0 &&
           r.nrefs == 1 && r.refs[0].note == 1 && r.refs[0].pos == 7,
       "bracketed markers are removed; the list stays");
    free(got);
    gloss__clean_result_free(&r);
}

static void test_markup(void)
{
    gloss__clean_result r;
    char *got = clean("<Block><Depute>Ann, Bo</Depute>\n\n"
                      "<Commission>{PPE}on behalf of the PPE Group</Commission>\n"
                      "</Block>\n", &r);
    ok(got && strcmp(got, "Ann, Bo\n\non behalf of the PPE Group\n\n") == 0,
       "tags and the code are removed");
    int found = 0;
    for (size_t i = 0; i < r.nmarks; i++) {
        const gloss__clean_mark *m = &r.marks[i];
        if (m->name_len == 6 && memcmp(m->name, "Depute", 6) == 0)
            found += m->start == 0 && m->end == 7 && !m->code;
        if (m->name_len == 10 && memcmp(m->name, "Commission", 10) == 0)
            found += m->start == 9 && m->end == 35 && m->code_len == 3 &&
                     memcmp(m->code, "PPE", 3) == 0;
        if (m->name_len == 5 && memcmp(m->name, "Block", 5) == 0)
            found += m->start == 0 && m->end == 36;
    }
    if (!ok(found == 3 && r.nmarks == 3, "elements become spans with the code"))
        diag("%zu marks, %d right; text [%s]", r.nmarks, found, got ? got : "");
    free(got);
    gloss__clean_result_free(&r);
    expect("a < b and c > d\n", "a < b and c > d\n", "a lone < stays");
}

/* Runs the normalize stage's cleaning through the document API and checks
 * that every span maps back to the expected original text. */
static void test_offset_map(void)
{
    const char *in = "Head 1\n\nthe with-\ndrawal of <D>{X}Ann</D> and\n"
                     "2013[1] was\n\nHead 2\n\n[1] Note.\n";
    gloss__clean_result r;
    char *got = clean(in, &r);
    gloss_doc *doc = gloss_doc_new("t", "", in, strlen(in));
    int rc = gloss_doc_set_text_mapped(doc, r.text.data, r.text.len, r.map, r.nmap);
    ok(rc == 0, "the cleaner's map is accepted");
    size_t olen;
    const char *orig = gloss_doc_original(doc, &olen);
    /* "withdrawal" -> "with-\ndrawal"; "Ann" -> "Ann"; ref after 2013. */
    const char *text = gloss_doc_text(doc, NULL);
    const char *w = strstr(text, "withdrawal"), *a = strstr(text, "Ann");
    size_t ws = (size_t)(w - text), as = (size_t)(a - text);
    size_t o1 = gloss_doc_original_offset(doc, ws), o2 = gloss_doc_original_end(doc, ws + 10);
    ok(o2 - o1 == 12 && memcmp(orig + o1, "with-\ndrawal", 12) == 0,
       "a joined word maps back to both halves");
    o1 = gloss_doc_original_offset(doc, as);
    o2 = gloss_doc_original_end(doc, as + 3);
    ok(o2 - o1 == 3 && memcmp(orig + o1, "Ann", 3) == 0,
       "an element's content maps back without its tags");
    o1 = gloss_doc_original_offset(doc, 0);
    ok(memcmp(orig + o1, "the", 3) == 0, "the start maps past removed furniture");
    /* A second replacement composes: upper-case the text, same length. */
    char *up = strndup(text, r.text.len);
    up[0] = 'T';
    rc = gloss_doc_set_text_mapped(doc, up, r.text.len, NULL, 0);
    o1 = gloss_doc_original_offset(doc, as);
    o2 = gloss_doc_original_end(doc, as + 3);
    ok(rc == 0 && memcmp(orig + o1, "Ann", 3) == 0 && o2 - o1 == 3,
       "maps compose with a later replacement");
    char err[200];
    ok(gloss_doc_check(doc, err, sizeof err) == 0, "document invariants hold");
    free(up);
    free(got);
    gloss__clean_result_free(&r);
    gloss_doc_destroy(&doc);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

static int has_line(const char *t, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = t; (p = strstr(p, line)); p++)
        if ((p == t || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return 1;
    return 0;
}

static void test_seeds(void)
{
    const char *shared = getenv("GLOSS_SHARED");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/seeds", shared ? shared : "");
    DIR *d = shared ? opendir(dir) : NULL;
    if (!d) {
        skip(2, "../shared/seeds is absent");
        return;
    }
    static const char *const furniture[] = {
        "PE689.011v01-00 2/5 RE\\P9_B(2021)0149_EN.docx",
        "RE\\P9_B(2021)0149_EN.docx PE689.011v01-00",
        "EN United in diversity EN", "EN", NULL};
    struct dirent *e;
    int seen_long = 0, seen_refrain = 0, docs = 0, bad = 0;
    while ((e = readdir(d))) {
        if (!strstr(e->d_name, ".txt"))
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t len;
        char *in = slurp(path, &len);
        gloss__clean_result r;
        char *out = in ? clean(in, &r) : NULL;
        if (!out) {
            bad++;
            free(in);
            continue;
        }
        docs++;
        for (int k = 0; furniture[k]; k++)
            bad += has_line(out, furniture[k]);
        bad += strstr(out, "<Depute>") != NULL;
        if (strstr(in, "long-\nstanding"))
            seen_long = 1, bad += !strstr(out, "long-standing");
        if (strstr(in, "refrainining"))
            seen_refrain = 1, bad += !strstr(out, "refrainining from");
        gloss_doc *doc = gloss_doc_new(e->d_name, "", in, len);
        if (r.nmap || r.text.len) {
            bad += gloss_doc_set_text_mapped(doc, r.text.data, r.text.len,
                                             r.map, r.nmap) < 0;
        }
        char err[200];
        bad += gloss_doc_check(doc, err, sizeof err) != 0;
        gloss_doc_destroy(&doc);
        gloss__clean_result_free(&r);
        free(out);
        free(in);
    }
    closedir(d);
    ok(docs > 0 && bad == 0, "%d seeds clean: no furniture, no tags, invariants hold", docs);
    ok(seen_long && seen_refrain, "the seeds hold long-standing and refrainining");
}

int main(void)
{
    test_lines();
    test_furniture();
    test_footnotes();
    test_markup();
    test_offset_map();
    test_seeds();
    return done_testing();
}
