/*
 * test_segment.c - the `segment` stage: exact token, sentence and
 * paragraph boundaries on the cases the issue lists, EWT's conventions,
 * options, and adversarial input that must stay linear and valid.
 *
 * Each case runs the stage on a document through its descriptor (options
 * checked by the engine's own option code) and compares the layers, joined
 * as "tok|tok|..." and "sentence||sentence", with what is expected.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "gloss/stage.h"
#include "opts.h"
#include "segment_tok.h"
#include "tap.h"

extern const gloss_stage_desc gloss__stage_segment;

static void *ctx_default, *ctx_keep, *ctx_extra;

static void *make_ctx(const char *json)
{
    json_t *o = json ? json_loads(json, 0, NULL) : NULL;
    char err[256];
    gloss_opts *opts = gloss__opts_new(gloss__stage_segment.options, o,
                                       "test", "segment", ".", err, sizeof err);
    json_decref(o);
    if (!opts) {
        diag("options: %s", err);
        return NULL;
    }
    void *ctx = NULL;
    if (gloss__stage_segment.init(&ctx, opts, NULL) != GLOSS_OK)
        ctx = NULL;
    gloss__opts_destroy(&opts);
    return ctx;
}

/* Runs the stage and returns the layer joined with sep (malloc'd). */
static gloss_doc *run(void *ctx, const char *text, size_t len)
{
    gloss_doc *doc = gloss_doc_new("t", "test", text, len);
    if (gloss__stage_segment.process(ctx, doc, NULL) != GLOSS_OK)
        gloss_doc_destroy(&doc);
    return doc;
}

static char *join(gloss_doc *doc, const char *layer, const char *sep)
{
    gloss__buf b = GLOSS__BUF_INIT;
    gloss_layer *l = gloss_doc_layer(doc, layer, 0);
    size_t n = l ? gloss_layer_size(l) : 0;
    const char *text = gloss_doc_text(doc, NULL);
    for (size_t i = 0; i < n; i++) {
        const gloss_span *sp = gloss_layer_span(l, i);
        if (i)
            gloss__buf_adds(&b, sep);
        gloss__buf_add(&b, text + sp->start, sp->end - sp->start);
    }
    gloss__buf_addc(&b, '\0');
    return gloss__buf_steal(&b, NULL);
}

static void check(void *ctx, const char *text, const char *layer,
                  const char *want, const char *what)
{
    gloss_doc *doc = run(ctx, text, strlen(text));
    char *got = doc ? join(doc, layer, strcmp(layer, "tokens") ? "||" : "|")
                    : NULL;
    is_str(got, want, "%s", what);
    free(got);
    gloss_doc_destroy(&doc);
}

#define TOKS(text, want, what) check(ctx_default, text, "tokens", want, what)
#define SENTS(text, want, what) check(ctx_default, text, "sentences", want, what)

static void test_tokens(void)
{
    TOKS("Mr. Dulat Agadil died on 25 February 2020.",
         "Mr.|Dulat|Agadil|died|on|25|February|2020|.", "title keeps its stop");
    TOKS("See OJ C 23, 21.1.2021, p. 83.",
         "See|OJ|C|23|,|21.1.2021|,|p.|83|.", "citation: date whole, p. kept");
    TOKS("I don't know, it's theirs and we'll see; you're I'm they've he'd",
         "I|do|n't|know|,|it|'s|theirs|and|we|'ll|see|;|you|'re|I|'m|they|'ve|he|'d",
         "clitics split as in EWT");
    TOKS("We can't, won't and cannot. Gonna try.",
         "We|ca|n't|,|wo|n't|and|can|not|.|Gon|na|try|.", "EWT's can|not and gon|na");
    TOKS("Dulat Agadil\xE2\x80\x99s son",
         "Dulat|Agadil|\xE2\x80\x99s|son", "typographic apostrophe clitic");
    TOKS("It costs 10 000 euros, or 1,500.50 dollars (3.5%).",
         "It|costs|10 000|euros|,|or|1,500.50|dollars|(|3.5|%|)|.",
         "grouped and decimal numbers");
    TOKS("See 2021/2544(RSP), B9-0149/2021 and P9_TA(2021)0056.",
         "See|2021/2544(RSP)|,|B9-0149/2021|and|P9_TA(2021)0056|.",
         "procedure and document identifiers whole");
    TOKS("(2021/2544(RSP))", "(|2021/2544(RSP)|)", "identifier in brackets");
    TOKS("Write to jane.doe@example.org or see https://www.europarl.europa.eu/doceo/x.html.",
         "Write|to|jane.doe@example.org|or|see|https://www.europarl.europa.eu/doceo/x.html|.",
         "e-mail and URL whole, final stop split");
    TOKS("a long-term, non-stop e-mail plan for 2019-2024",
         "a|long|-|term|,|non-stop|e-mail|plan|for|2019-2024",
         "hyphens as EWT: split, but prefixes and numbers kept");
    TOKS("\"Quoted,\" he said -- then... $5 at 5:30 e.g. U.S. law",
         "\"|Quoted|,|\"|he|said|--|then|...|$|5|at|5:30|e.g.|U.S.|law",
         "quotes, dashes, ellipsis, currency, time, acronyms");
    TOKS("\xE2\x80\x9CYes\xE2\x80\x9D \xE2\x80\x93 no\xE2\x80\xA6",
         "\xE2\x80\x9C|Yes|\xE2\x80\x9D|\xE2\x80\x93|no|\xE2\x80\xA6",
         "typographic quotes, dash and ellipsis split");
    check(ctx_keep, "a long-term plan", "tokens", "a|long-term|plan",
          "hyphens = keep keeps hyphenated words");
    check(ctx_default, "I'm", "multiwords", "I'm", "clitic word recorded as multiword");
}

static void test_sentences(void)
{
    SENTS("Mr. Dulat Agadil died on 25 February 2020. His son was arrested.",
          "Mr. Dulat Agadil died on 25 February 2020.||His son was arrested.",
          "title does not end a sentence");
    SENTS("See OJ C 23, 21.1.2021, p. 83. The Council agreed.",
          "See OJ C 23, 21.1.2021, p. 83.||The Council agreed.",
          "citation with date and page");
    SENTS("They met at 5 a.m. on Monday. Then at 6 p.m. The end.",
          "They met at 5 a.m. on Monday.||Then at 6 p.m.||The end.",
          "times: a.m. inside, p.m. at the end");
    SENTS("Bush nominated Jennifer M. Anderson. She accepted.",
          "Bush nominated Jennifer M. Anderson.||She accepted.", "initials");
    SENTS("Apples, pears, etc. are fruit. Buy apples, pears, etc. Then go.",
          "Apples, pears, etc. are fruit.||Buy apples, pears, etc.||Then go.",
          "etc. ends a sentence only before a capital");
    SENTS("It grew 3.5 percent. Art. 5 and No. 7 apply. I said No. Fine.",
          "It grew 3.5 percent.||Art. 5 and No. 7 apply.||I said No.||Fine.",
          "decimals; references before numbers only");
    SENTS("He said \"Stop.\" Then he left. (It rained.) Why? Because!",
          "He said \"Stop.\"||Then he left.||(It rained.)||Why?||Because!",
          "quotes and brackets close their sentence");
    SENTS("Wait... What? Well... maybe.",
          "Wait...||What?||Well... maybe.", "ellipsis before capital only");
    SENTS("Mail jane@example.org. Visit http://example.org/a.b. Done.",
          "Mail jane@example.org.||Visit http://example.org/a.b.||Done.",
          "URL and e-mail at a sentence end");
    SENTS("Title of the text\n\nFirst line\nwrapped here. Next one.",
          "Title of the text||First line\nwrapped here.||Next one.",
          "heading is a sentence, wrapped line is not a break");
    check(ctx_default, "Heading\n\nA. whereas one;\nB. whereas two;\n1. Calls on it;\n- having regard to it;",
          "paragraphs",
          "Heading||A. whereas one;||B. whereas two;||1. Calls on it;||- having regard to it;",
          "list items are paragraphs");
    check(ctx_default, "A. whereas X. died", "tokens", "A.|whereas|X.|died",
          "list marker and initial keep their stop");
    SENTS("A. whereas the elections took place;", "A. whereas the elections took place;",
          "a list marker does not end a sentence");
    check(ctx_extra, "Rapp. Smith agreed. Foo. Bar.", "sentences",
          "Rapp. Smith agreed.||Foo.||Bar.", "extra abbreviation option");
    check(ctx_extra, "Zq. The bar spoke.", "sentences", "Zq.||The bar spoke.",
          "extra final abbreviation ends before a word that starts sentences");
    check(ctx_extra, "Zq. Bar spoke.", "sentences", "Zq. Bar spoke.",
          "and goes on before a name");
    SENTS("Jo Bloggs@ACME 03/14/2019 09:15 AM Please see the note below.",
          "Jo Bloggs@ACME||03/14/2019 09:15 AM||Please see the note below.",
          "an e-mail date stamp stands between sender and message");
    SENTS("We met at 3:30 p.m. EST on Monday.",
          "We met at 3:30 p.m. EST on Monday.",
          "a time zone stays with its time");
    SENTS("Thanks, Ann Lee Room 12",
          "Thanks,||Ann Lee Room 12",
          "a closing formula before a name is a sentence");
    SENTS("Best regards Ann", "Best regards||Ann",
          "a closing formula of two words, without comma");
    SENTS("Thanks, I will check.", "Thanks, I will check.",
          "\"I\" after thanks is not a signature");
    SENTS("see http://a.example/x http://b.example/y More soon",
          "see http://a.example/x||http://b.example/y||More soon",
          "a link before another link or a capital ends its line");
    SENTS("we are in the team :-) Posted by Bo",
          "we are in the team :-)||Posted by Bo",
          "an emoticon before a capital ends the sentence");
    SENTS("It was cheap. $5 for a meal.", "It was cheap.||$5 for a meal.",
          "a currency sign after a full stop starts a sentence");
    SENTS("Leaders, Acme Ltd. 4. Ann Smith, Chair",
          "Leaders, Acme Ltd.||4. Ann Smith, Chair",
          "a list number after a finished sentence starts the next");
    SENTS("It was the best---really.", "It was the best---really.",
          "a dash glued to words is no separator line");
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void adversarial(const char *what, char *text, size_t len)
{
    double t0 = seconds();
    gloss_doc *doc = run(ctx_default, text, len);
    double dt = seconds() - t0;
    char err[256] = "";
    ok(doc != NULL && gloss_doc_check(doc, err, sizeof err) == 0,
       "%s: segmented, spans valid %s", what, err);
    /* Under valgrind everything is slower; linear input still finishes in
     * well under a minute, a quadratic scan of 10 MiB would not. */
    ok(dt < 60, "%s: %.2f s", what, dt);
    gloss_doc_destroy(&doc);
    free(text);
}

static void test_adversarial(void)
{
    size_t n = (size_t)10 << 20;
    char *t = malloc(n);
    for (size_t i = 0; i < n; i++)
        t[i] = "Mr. A. said no. 10 000 (x) e.g. don't "[i % 38];
    adversarial("10 MiB on one line", t, n);
    t = malloc(n);
    memset(t, '.', n);
    adversarial("10 MiB of full stops", t, n);
    size_t depth = 100000;
    t = malloc(2 * depth + 1);
    memset(t, '(', depth);
    t[depth] = 'x';
    memset(t + depth + 1, ')', depth);
    adversarial("100,000 nested parentheses", t, 2 * depth + 1);
    size_t nq = n - n % 6; /* whole characters only */
    t = malloc(nq);
    for (size_t i = 0; i < nq; i++)
        t[i] = "\"'(\xE2\x80\x9C"[i % 6];
    adversarial("10 MiB of quotes and brackets", t, nq);
    t = malloc(n);
    for (size_t i = 0; i < n; i++)
        t[i] = "a-b.c/1_("[i % 9];
    adversarial("10 MiB chunk of joiners", t, n);

    gloss_doc *doc = gloss_doc_new("t", "test", "a\xC3(b", 4);
    ok(gloss__stage_segment.process(ctx_default, doc, NULL) == GLOSS_ERROR,
       "invalid UTF-8 is refused");
    gloss_doc_destroy(&doc);
    doc = run(ctx_default, "", 0);
    char *got = doc ? join(doc, "tokens", "|") : NULL;
    is_str(got, "", "empty text: no tokens");
    free(got);
    gloss_doc_destroy(&doc);
}

int main(void)
{
    ctx_default = make_ctx(NULL);
    ctx_keep = make_ctx("{\"hyphens\": \"keep\"}");
    ctx_extra = make_ctx("{\"abbreviations\": [\"Rapp.\"], "
                         "\"final_abbreviations\": [\"Zq\"]}");
    if (!ok(ctx_default && ctx_keep && ctx_extra, "instances built"))
        return done_testing();
    test_tokens();
    test_sentences();
    test_adversarial();
    gloss__stage_segment.fini(ctx_default);
    gloss__stage_segment.fini(ctx_keep);
    gloss__stage_segment.fini(ctx_extra);
    return done_testing();
}
