/*
 * segment_tok.c - tokens and sentences of one paragraph.
 *
 * Tokens follow the conventions of UD English EWT, so that a tagger
 * trained on it sees the words it learnt from. The paragraph is cut at
 * white space into chunks; a chunk of ASCII letters and digits (most of
 * them) is one token. Any other chunk goes through four steps, each a
 * single pass over it:
 *
 *  1. opening brackets, quotes and leading symbols ("$5") are split off;
 *  2. a URL or e-mail address is kept whole, less trailing punctuation;
 *  3. trailing punctuation is peeled off from the right: closing brackets
 *     (only those without a partner inside, so "2021/2544(RSP)" keeps its
 *     own), quotes, commas, runs of . ! ? (one token: "...", "?!"); a
 *     single full stop stays on an abbreviation ("Mr.", "e.g."), an
 *     initial ("M."), an acronym ("U.S.") and a list marker ("A.", "1.")
 *     at the start of a paragraph;
 *  4. the middle is split at punctuation, except where a character joins
 *     two parts of one word: a full stop ("21.1.2021", "3.5"), a comma or
 *     colon or slash between digits ("10,000", "5:30", "9/2/2021"), an
 *     apostrophe between letters, "&" between capitals ("AT&T"), and a
 *     hyphen between digits or after a prefix EWT keeps ("non-stop"; other
 *     hyphenated words are split as EWT splits them, unless the stage is
 *     told to keep them). A middle with digits and "/", "_" or "(" is an
 *     identifier ("B9-0149/2021", "P9_TA(2021)0056") and stays whole.
 *
 * Words with clitics are split into EWT's syntactic words ("do" "n't",
 * "it" "'s", "can" "not") and the surface word is recorded as a multiword
 * token. Groups of three digits after a space ("10 000") join the number
 * before them.
 *
 * Sentences are found on the tokens: a run of . ! ? ends one, with the
 * closing quotes and brackets after it, unless the next word starts in
 * lowercase; an ellipsis ends one only before a capital; an ordinary
 * abbreviation ("etc.") ends one before a capital; titles, initials,
 * references before numbers and list markers never do.
 *
 * Most chunks are plain words followed by a space, and most of the rest a
 * plain word with a comma: those are cut and emitted by a fast path that
 * reads 64-byte windows of bit masks (see window) and keeps the token
 * list's fields in registers; every other chunk takes the general path,
 * which makes exactly the same tokens of a plain word.
 *
 * Nothing here recurses or scans back further than the chunk it is in,
 * and every scan moves forward, so the cost is linear in the text even for
 * a line of ten million full stops or brackets.
 */
#include "segment_tok.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <stdlib.h>
#include <string.h>

#include "segment_chars.h"


/* Token flags, read by the sentence splitter. */
#define T_UPPER 0x1u      /* starts with an uppercase letter */
#define T_LOWER 0x2u      /* starts with a lowercase letter */
#define T_DIGIT 0x4u      /* starts with a digit */
#define T_STOP 0x8u       /* a run of . ! ? */
#define T_ELLIPSIS 0x10u  /* a run of full stops, or U+2026 */
#define T_ABBR 0x20u      /* an abbreviation that may end a sentence */
#define T_CLOSE 0x40u     /* a closing bracket or quote */
#define T_QUOTE 0x80u     /* a straight quote, opening or closing */
#define T_GLUED 0x100u    /* no space before it */
#define T_OPEN 0x200u     /* an opening bracket or quote */
#define T_PUNCT 0x400u    /* other punctuation */
#define T_RULE 0x800u     /* a separator line: "***", "=====" */
#define T_LINK 0x1000u    /* a URL or an e-mail address */
#define T_EMO 0x2000u     /* an emoticon: ":)", ";-)" */

/* ---- output lists ------------------------------------------------------- */

static inline void push(gloss__seg_out *out, gloss__seg_list *l, size_t s,
                        size_t e, uint32_t flags)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        gloss__seg_range *v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            out->oom = 1;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (gloss__seg_range){(uint32_t)s, (uint32_t)e, flags};
}

void gloss__seg_push(gloss__seg_out *out, gloss__seg_list *l, size_t start,
                     size_t end, uint32_t flags)
{
    push(out, l, start, end, flags);
}

void gloss__seg_out_clear(gloss__seg_out *out)
{
    out->tokens.n = out->multiwords.n = out->sentences.n = 0;
    out->nlook = 0;
    out->oom = 0;
}

void gloss__seg_out_free(gloss__seg_out *out)
{
    free(out->look);
    free(out->tokens.v);
    free(out->multiwords.v);
    free(out->sentences.v);
    memset(out, 0, sizeof *out);
}

void gloss__segmenter_init(gloss__segmenter *sg, const gloss__abbrevs *abbrevs,
                           int split_hyphens)
{
    gloss__seg_ascii_classes(sg->ascii);
    for (unsigned b = 0; b < 256; b++) {
        unsigned bits = GLOSS__SEG_CHUNK_MULTI;
        if (b < 0x80) {
            int c = sg->ascii[b];
            bits = c == GLOSS__SC_SPACE ? GLOSS__SEG_CHUNK_SPACE : 0;
            if (c == GLOSS__SC_UPPER || c == GLOSS__SC_LOWER || c == GLOSS__SC_DIGIT)
                bits |= GLOSS__SEG_CHUNK_PLAIN;
            if (c == GLOSS__SC_DIGIT)
                bits |= GLOSS__SEG_CHUNK_DIGIT;
            if ((b | 0x20) >= 'a' && (b | 0x20) <= 'z')
                bits |= GLOSS__SEG_SHAPE_ONE | GLOSS__SEG_SHAPE_TWO;
            if (b == '-' || b == '*')
                bits |= GLOSS__SEG_SHAPE_ONE;
        } else if (b >= 0xC2) {
            bits |= GLOSS__SEG_SHAPE_ONE | GLOSS__SEG_SHAPE_LEAD;
        }
        sg->chunk[b] = (unsigned char)bits;
    }
    for (unsigned b = 0; b < 128; b++) {
        int c = sg->ascii[b];
        sg->lead[b] = (unsigned char)(c == GLOSS__SC_UPPER   ? T_UPPER
                                      : c == GLOSS__SC_LOWER ? T_LOWER
                                      : c == GLOSS__SC_DIGIT ? T_DIGIT
                                                             : 0);
    }
    sg->abbrevs = abbrevs;
    sg->split_hyphens = split_hyphens;
}

/* ---- reading characters ------------------------------------------------- */

typedef struct scan {
    const gloss__segmenter *sg;
    const unsigned char *s;
    size_t n;             /* where the paragraph ends: nothing past it is read */
    gloss__seg_out *out;
    size_t para;          /* where the paragraph starts */
    size_t last_end;      /* where the last token ends (SIZE_MAX: none) */
} scan;

/* The class of the character at i, its length in *len. */
static inline int cls_at(const scan *sc, size_t i, size_t *len)
{
    if (sc->s[i] < 0x80) {
        *len = 1;
        return sc->sg->ascii[sc->s[i]];
    }
    int c;
    uint32_t cp;
    *len = gloss__seg_classify_utf8(sc->s, i, sc->n, &c, &cp);
    return c;
}

/* The start of the character that ends at i (i > 0). */
static inline size_t char_before(const scan *sc, size_t i)
{
    size_t j = i - 1;
    while (j > 0 && (sc->s[j] & 0xC0) == 0x80)
        j--;
    return j;
}

static inline int cls_before(const scan *sc, size_t i)
{
    size_t len;
    return cls_at(sc, char_before(sc, i), &len);
}

static inline uint32_t first_flags(const scan *sc, size_t s)
{
    size_t len;
    if (sc->s[s] < 0x80)
        return sc->sg->lead[sc->s[s]];
    int c = cls_at(sc, s, &len);
    switch (c) {
    case GLOSS__SC_UPPER: return T_UPPER;
    case GLOSS__SC_LOWER: return T_LOWER;
    case GLOSS__SC_DIGIT: return T_DIGIT;
    default: return 0;
    }
}

/* The tokens sentences() looks at whatever surrounds them: see there. */
#define T_LOOK (T_STOP | T_ABBR | T_RULE | T_LINK | T_EMO | T_DIGIT)

/* Doubles the room of the token list, and that of out->look with it:
 * look never holds more entries than there are tokens, so while it has
 * as much room as the list, emit() tests one capacity instead of two.
 * Kept out of line, so that emit() stays small enough to be inlined
 * everywhere. */
static int grow_tokens(gloss__seg_out *o)
{
    gloss__seg_list *t = &o->tokens;
    size_t cap = t->cap ? 2 * t->cap : 256;
    if (o->caplook < cap) {
        uint32_t *v = realloc(o->look, cap * sizeof *v);
        if (!v) {
            o->oom = 1;
            return -1;
        }
        o->look = v;
        o->caplook = cap;
    }
    gloss__seg_range *r = realloc(t->v, cap * sizeof *r);
    if (!r) {
        o->oom = 1;
        return -1;
    }
    t->v = r;
    t->cap = cap;
    return 0;
}

#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#define NOINLINE __attribute__((noinline))
#else
#define ALWAYS_INLINE inline
#define NOINLINE
#endif

/* Appends a token. Called for every token from a dozen places, which
 * made the compiler keep it out of line; a call per token cost more than
 * its body. */
static ALWAYS_INLINE void emit(scan *sc, size_t s, size_t e, uint32_t flags)
{
    gloss__seg_out *o = sc->out;
    gloss__seg_list *t = &o->tokens;
    if (sc->last_end == s && s != sc->para)
        flags |= T_GLUED;
    sc->last_end = e;
    if (t->n == t->cap && grow_tokens(o) < 0)
        return;
    /* Written always, counted only when wanted: no branch to mispredict
     * on a word's kind. Besides T_LOOK, the shapes that may mark a list
     * item ("a", "b.", a bullet; numbers are T_DIGIT) or close a time
     * ("AM", "PM") are looked at. */
    const unsigned char *w = sc->s + s;
    size_t len = e - s;
    unsigned first = sc->sg->chunk[w[0]];
    int shape = len <= 3 &&
                ((first & (len == 1 ? GLOSS__SEG_SHAPE_ONE : GLOSS__SEG_SHAPE_LEAD)) ||
                 (len == 2 && (first & GLOSS__SEG_SHAPE_TWO) &&
                  (w[1] == '.' || w[1] == 'M')));
    o->look[o->nlook] = (uint32_t)t->n;
    o->nlook += (flags & T_LOOK) != 0 || shape;
    t->v[t->n++] = (gloss__seg_range){(uint32_t)s, (uint32_t)e, flags};
}

static int lower_eq(const unsigned char *s, size_t len, const char *word)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        if (c != (unsigned char)word[i] || !word[i])
            return 0;
    }
    return word[len] == '\0';
}

/* ---- words and clitics -------------------------------------------------- */

/* Emits the word s[a..e) as EWT words: clitics split off, the surface word
 * recorded as a multiword token. extra is or'ed into the last token. */
static void emit_word(scan *sc, size_t a, size_t e, uint32_t extra)
{
    const unsigned char *s = sc->s;
    size_t cut = 0, len = e - a;
    /* Only a short tail can be a clitic; look for its apostrophe there,
     * once a glance at its bytes has shown one may be there (an ASCII
     * apostrophe, or the first byte of U+2019): most words have none. */
    size_t from = len > 6 ? e - 6 : a;
    int apostrophe = 0;
    for (size_t k = from + 1; k < e; k++)
        apostrophe |= s[k] == '\'' || s[k] == 0xE2;
    for (size_t k = e; apostrophe && k > from + 1;) {
        size_t j = char_before(sc, k);
        size_t al = k - j;
        int c = s[j] == '\'' || (al == 3 && s[j] == 0xE2 && s[j + 1] == 0x80 &&
                                 s[j + 2] == 0x99);
        if (c && j > a) {
            const unsigned char *t = s + k;
            size_t tl = e - k;
            if (lower_eq(t, tl, "s") || lower_eq(t, tl, "re") ||
                lower_eq(t, tl, "ll") || lower_eq(t, tl, "ve") ||
                lower_eq(t, tl, "m") || lower_eq(t, tl, "d"))
                cut = j;
            else if (lower_eq(t, tl, "t") && j - 1 > a &&
                     (s[j - 1] == 'n' || s[j - 1] == 'N'))
                cut = j - 1;
            break;
        }
        k = j;
    }
    if (!cut && (len == 5 || len == 6) &&
        (lower_eq(s + a, len, "cannot") || lower_eq(s + a, len, "gonna") ||
         lower_eq(s + a, len, "wanna") || lower_eq(s + a, len, "gotta")))
        cut = a + 3;
    if (!cut) {
        emit(sc, a, e, first_flags(sc, a) | extra);
        return;
    }
    push(sc->out, &sc->out->multiwords, a, e, 0);
    emit(sc, a, cut, first_flags(sc, a));
    emit(sc, cut, e, first_flags(sc, cut) | extra);
}

/* ---- punctuation -------------------------------------------------------- */

/* Emits the punctuation token at i (a run of . ! ?, of hyphens or of one
 * repeated symbol counts as one) and returns where it ends. */
static size_t emit_punct(scan *sc, size_t i, size_t end)
{
    size_t len;
    int c = cls_at(sc, i, &len);
    size_t j = i + len;
    uint32_t flags;
    if (c == GLOSS__SC_STOP) {
        int dots = 1;
        for (size_t k = i; k < j; k++)
            dots &= sc->s[k] == '.';
        size_t l2;
        while (j < end && cls_at(sc, j, &l2) == GLOSS__SC_STOP) {
            dots &= sc->s[j] == '.';
            j += l2;
        }
        flags = T_STOP;
        if ((dots && j - i > 1) || (j - i == 3 && sc->s[i] == 0xE2))
            flags |= T_ELLIPSIS;
    } else {
        /* Runs of one ASCII symbol ("--", "**", "==") are one token. */
        if (len == 1 && c == GLOSS__SC_PUNCT)
            while (j < end && sc->s[j] == sc->s[i])
                j++;
        /* A separator stands between spaces; a run glued to a word is a
         * dash ("comment---don't") and stays inside the sentence. */
        if (j - i >= 3 && strchr("*=-_~#", sc->s[i]) &&
            (i == sc->para || sc->s[i - 1] == ' ' || sc->s[i - 1] == '\n') &&
            (j == sc->n || sc->s[j] == ' ' || sc->s[j] == '\n'))
            flags = T_RULE;
        else
        flags = c == GLOSS__SC_OPEN || c == GLOSS__SC_OQUOTE ? T_OPEN
                : c == GLOSS__SC_CLOSE || c == GLOSS__SC_CQUOTE ? T_CLOSE
                : c == GLOSS__SC_QUOTE || c == GLOSS__SC_APOS ? T_QUOTE
                                                              : T_PUNCT;
    }
    emit(sc, i, j, flags);
    return j;
}

/* ---- decisions ---------------------------------------------------------- */

/* Prefixes EWT keeps attached with their hyphen ("non-stop", "e-mail"). */
static const char *const hyphen_prefixes[] = {
    "non", "pre", "post", "anti", "pro", "co", "ex", "multi", "mid", "re",
    "semi", "neo", "sub", "over", "e", "cross", "socio", "psycho", "counter",
    "inter", "intra", "micro", "macro", "mega", "mini", "ultra", "pseudo",
    "quasi", "bi", "tri", "un", "under", "out", NULL,
};

static int hyphen_prefix(const unsigned char *s, size_t len)
{
    if (len > 7)
        return 0;
    for (size_t i = 0; hyphen_prefixes[i]; i++)
        if (lower_eq(s, len, hyphen_prefixes[i]))
            return 1;
    return 0;
}

/* Whether the character at i (of class c) joins the word piece that
 * started at piece with what follows, inside [.., end). */
static int joins(const scan *sc, size_t piece, size_t i, int c, size_t end)
{
    if (i == piece || i + 1 >= end)
        return 0;
    size_t len;
    int before = cls_before(sc, i);
    if (!gloss__sc_word(before))
        return 0;
    size_t cl;
    cls_at(sc, i, &cl);
    if (i + cl >= end)
        return 0;
    int after = cls_at(sc, i + cl, &len);
    if (!gloss__sc_word(after))
        return 0;
    int digits = before == GLOSS__SC_DIGIT && after == GLOSS__SC_DIGIT;
    switch (sc->s[i]) {
    case '.':
    case '@':
        return 1;
    case ',':
    case ':':
    case '/':
        return digits;
    case '&':
        return before == GLOSS__SC_UPPER && after == GLOSS__SC_UPPER;
    case '-':
        return !sc->sg->split_hyphens || digits ||
               hyphen_prefix(sc->s + piece, i - piece);
    default:
        break;
    }
    if (c == GLOSS__SC_APOS)
        return before != GLOSS__SC_DIGIT && after != GLOSS__SC_DIGIT;
    return 0;
}

/* Whether the letters-and-dots word s[a..e) is an acronym such as "U.S" or
 * "e.g": parts of one or two letters joined by single full stops. */
static int acronym(const unsigned char *s, size_t a, size_t e)
{
    size_t part = 0, parts = 1;
    for (size_t i = a; i < e; i++) {
        if (s[i] == '.') {
            if (part == 0)
                return 0;
            part = 0;
            parts++;
        } else if (++part > 2) {
            return 0;
        }
    }
    return parts >= 2 && part > 0;
}

/* Whether s[a..e) can mark a list item: 1 to 3 digits, one letter, or a
 * roman numeral of up to 5 letters. */
static int list_marker(const unsigned char *s, size_t a, size_t e)
{
    size_t len = e - a, digits = 0, roman = 0;
    for (size_t i = a; i < e; i++) {
        digits += s[i] >= '0' && s[i] <= '9';
        roman += strchr("ivxlcIVXLC", s[i]) != NULL && s[i];
    }
    if (len >= 1 && len <= 3 && digits == len)
        return 1;
    if (len == 1 && ((s[a] | 0x20) >= 'a' && (s[a] | 0x20) <= 'z'))
        return 1;
    return len <= 5 && roman == len;
}

/* The class of the first character after the white space at i. */
static int next_class(const scan *sc, size_t i, size_t end)
{
    size_t len;
    while (i < end) {
        int c = cls_at(sc, i, &len);
        if (c != GLOSS__SC_SPACE)
            return c;
        i += len;
    }
    return GLOSS__SC_SPACE;
}

/* Words that open a sentence far more often than they continue one after
 * an abbreviation: pronouns, determiners, conjunctions, question words,
 * auxiliaries, common sentence adverbs, and the titles of a name. After
 * "U.S." or "etc.", a capital begins a new sentence when it is one of
 * these ("I live in the U.S. How about you?") and continues the sentence
 * when it is not ("the U.S. Government"). */
static const char *const starters[] = {
    "I", "We", "You", "He", "She", "It", "They", "This", "That", "These",
    "Those", "The", "A", "An", "There", "Here", "What", "When", "Where",
    "Why", "How", "Who", "Which", "If", "But", "And", "Or", "So", "Then",
    "My", "Our", "Your", "His", "Her", "Its", "Their", "In", "On", "At",
    "For", "As", "After", "Before", "Please", "Thanks", "Thank", "Yes",
    "No", "Also", "However", "Is", "Are", "Was", "Were", "Do", "Does",
    "Did", "Can", "Could", "Will", "Would", "Should", "Have", "Has", "Had",
    "Let", "All", "Some", "Many", "Most", "Every", "Each", "Any", "To",
    "From", "With", "By", "Since", "While", "Although", "Because", "Now",
    "Today", "Yesterday", "Tomorrow", "Mr", "Mrs", "Ms", "Dr", "Prof",
    "Not", "Even", "Still", "Yet", "Thus", "Therefore", "Meanwhile",
    "Instead", "Moreover", "Furthermore", "Finally", "First", "Second",
    "Hi", "Hello", "Dear", "Ok", "OK", "Well", "Oh", "Just", "Maybe", NULL,
};

/* Whether w[0..len) (a word, maybe with its full stop) is a starter. */
static int is_starter(const unsigned char *w, size_t len)
{
    if (len && w[len - 1] == '.')
        len--;
    for (size_t k = 0; starters[k]; k++)
        if (strlen(starters[k]) == len && memcmp(starters[k], w, len) == 0)
            return 1;
    return 0;
}

/* Whether the word after the white space at i is capitalised and not a
 * starter: the surname after an initial ("Albert I. Jones"). */
static int name_follows(const scan *sc, size_t i, size_t end)
{
    const unsigned char *s = sc->s;
    while (i < end && (s[i] == ' ' || s[i] == '\t'))
        i++;
    size_t w = i;
    while (i < end && s[i] < 0x80 &&
           (sc->sg->ascii[s[i]] == GLOSS__SC_UPPER ||
            sc->sg->ascii[s[i]] == GLOSS__SC_LOWER))
        i++;
    return i - w >= 2 && sc->sg->ascii[s[w]] == GLOSS__SC_UPPER &&
           sc->sg->ascii[s[w + 1]] == GLOSS__SC_LOWER && !is_starter(s + w, i - w);
}


/*
 * Decides whether the full stop at dot stays on the word before it (which
 * starts after p): returns 0 when it does not, else the flags of the token
 * it ends (T_ABBR when that token may still end a sentence).
 */
static uint32_t keeps_stop(const scan *sc, size_t p, size_t dot, size_t chunk,
                           size_t end, int *keep)
{
    const unsigned char *s = sc->s;
    size_t w = dot;
    while (w > p && s[w - 1] < 0x80 &&
           (sc->sg->ascii[s[w - 1]] == GLOSS__SC_UPPER ||
            sc->sg->ascii[s[w - 1]] == GLOSS__SC_LOWER ||
            sc->sg->ascii[s[w - 1]] == GLOSS__SC_DIGIT || s[w - 1] == '.'))
        w--;
    *keep = 0;
    if (w == dot && dot >= p + 3 && s[dot - 2] == 0xC2 && s[dot - 1] == 0xB0 &&
        (s[dot - 3] | 0x20) == 'n' && (dot == p + 3 || s[dot - 4] == ' ')) {
        /* "N°. 1026": the numero sign, a reference before a number. */
        *keep = next_class(sc, chunk, end) == GLOSS__SC_DIGIT;
        return 0;
    }
    if (w == dot || s[w] == '.')
        return 0;
    if (w > p && gloss__sc_word(cls_before(sc, w)))
        return 0; /* a non-ASCII letter before: not a word we know */
    size_t len = dot - w;
    switch (gloss__abbrevs_find(sc->sg->abbrevs, (const char *)s + w, len)) {
    case GLOSS__AB_TITLE:
        *keep = 1;
        return 0;
    case GLOSS__AB_NUMBER:
        *keep = next_class(sc, chunk, end) == GLOSS__SC_DIGIT;
        return 0;
    case GLOSS__AB_FINAL:
        *keep = 1;
        return T_ABBR;
    case GLOSS__AB_NONE:
        break;
    }
    /* A list marker opening the paragraph: "A.", "1.", "iv.". */
    if (w == sc->para && list_marker(s, w, dot)) {
        *keep = 1;
        return 0;
    }
    /* An initial: one capital, other than the pronoun "I" - unless a
     * capitalised name stands on both sides ("Albert I. Jones"). */
    const gloss__seg_list *toks = &sc->out->tokens;
    if (len == 1 && s[w] >= 'A' && s[w] <= 'Z' &&
        (s[w] != 'I' ||
         (toks->n > 0 && toks->v[toks->n - 1].end + 1 == w &&
          (toks->v[toks->n - 1].flags & T_UPPER) &&
          toks->v[toks->n - 1].start >= sc->para &&
          name_follows(sc, chunk, end)))) {
        *keep = 1;
        return 0;
    }
    if (acronym(s, w, dot)) {
        int letters = 1;
        for (size_t i = w; i < dot; i++)
            letters &= s[i] == '.' || (s[i] | 0x20) >= 'a';
        /* Unlisted acronyms ("W.H.S.") are mostly followed by a name. */
        *keep = letters;
        return 0;
    }
    return 0;
}

/* ---- chunks ------------------------------------------------------------- */

static int starts_with(const unsigned char *s, size_t n, const char *prefix)
{
    size_t len = strlen(prefix);
    return n >= len && lower_eq(s, len, prefix);
}

/* Whether s[p..q) is a URL or an e-mail address; at tells whether it
 * holds an '@'. */
static int is_link(const scan *sc, size_t p, size_t q, int at_sign)
{
    const unsigned char *s = sc->s + p;
    size_t n = q - p;
    unsigned char f = s[0] | 0x20; /* most chunks start with none of these */
    if ((f == 'h' || f == 'f' || f == 'w') &&
        (starts_with(s, n, "http://") || starts_with(s, n, "https://") ||
         starts_with(s, n, "ftp://") || starts_with(s, n, "www.")))
        return 1;
    const unsigned char *at = at_sign ? memchr(s, '@', n) : NULL;
    if (!at || at == s)
        return 0;
    if (!gloss__sc_word(sc->sg->ascii[s[0] & 0x7F]))
        return 0;
    const unsigned char *dot = memchr(at, '.', n - (size_t)(at - s));
    return dot && dot > at + 1 && (size_t)(dot - s) + 1 < n &&
           gloss__sc_word(sc->sg->ascii[dot[1] & 0x7F]);
}

/* Whether s[0..n) is one of the emoticons ":)", ":(", ":D", ":P", ":p",
 * ":/", ";)", "=)", "<3", ":-)", ":-(", ";-)". Every short chunk is asked,
 * so the test is a few byte comparisons, not a walk through a list. */
static int emoticon(const unsigned char *s, size_t n)
{
    if (n == 2) {
        switch (s[0]) {
        case ':':
            return s[1] == ')' || s[1] == '(' || s[1] == 'D' || s[1] == 'P' ||
                   s[1] == 'p' || s[1] == '/';
        case ';':
        case '=':
            return s[1] == ')';
        case '<':
            return s[1] == '3';
        default:
            return 0;
        }
    }
    return n == 3 && s[1] == '-' &&
           ((s[0] == ':' && (s[2] == ')' || s[2] == '(')) ||
            (s[0] == ';' && s[2] == ')'));
}

/* What chunk() counts and looks for in a chunk, one table load a byte:
 * brackets that open and close, digits, and the characters of
 * identifiers such as "2021/2544(RSP)" or "P9_TA(2021)0056". */
#define M_OPEN 1u
#define M_CLOSE 2u
#define M_DIGIT 4u
#define M_IDENT 8u
#define M_AT 16u
static const unsigned char marks[256] = {
    ['('] = M_OPEN | M_IDENT, ['['] = M_OPEN, [')'] = M_CLOSE, [']'] = M_CLOSE,
    ['0'] = M_DIGIT, ['1'] = M_DIGIT, ['2'] = M_DIGIT, ['3'] = M_DIGIT,
    ['4'] = M_DIGIT, ['5'] = M_DIGIT, ['6'] = M_DIGIT, ['7'] = M_DIGIT,
    ['8'] = M_DIGIT, ['9'] = M_DIGIT,
    ['/'] = M_IDENT, ['_'] = M_IDENT, ['\\'] = M_IDENT, ['@'] = M_AT,
};

static void chunk(scan *sc, size_t a, size_t b, size_t end)
{
    const unsigned char *s = sc->s;
    size_t p = a, q = b, len;
    if (b - a <= 3 && emoticon(s + a, b - a)) {
        emit(sc, a, b, T_PUNCT | T_EMO);
        return;
    }
    /* 1. Leading punctuation, except a sign or point before a digit. */
    while (p < q) {
        int c = cls_at(sc, p, &len);
        if (gloss__sc_word(c))
            break;
        if ((s[p] == '-' || s[p] == '+' || s[p] == '.') && p + 1 < q &&
            sc->sg->ascii[s[p + 1] & 0x7F] == GLOSS__SC_DIGIT && s[p + 1] < 0x80)
            break;
        p = emit_punct(sc, p, q);
    }
    if (p == q)
        return;
    /* The brackets step 3 counts, and what the chunk holds (the scan is
     * done before step 2, which needs only to know of an '@'). */
    size_t opens = 0, closes = 0;
    unsigned seen = 0;
    for (size_t i = p; i < q; i++) {
        unsigned m = marks[s[i]];
        opens += m & M_OPEN;
        closes += (m & M_CLOSE) >> 1;
        seen |= m;
    }
    /* 2. Links, less what closes the sentence or a bracket. */
    if (is_link(sc, p, q, (seen & M_AT) != 0)) {
        size_t r = q;
        while (r > p && strchr(".,;:!?\"'>]", s[r - 1]) && s[r - 1])
            r--;
        if (r > p && s[r - 1] == ')' && !memchr(s + p, '(', r - p))
            r--;
        emit(sc, p, r, T_LINK);
        while (r < q)
            r = emit_punct(sc, r, q);
        return;
    }
    /* 3. Trailing punctuation, from the right. */
    int digit = (seen & M_DIGIT) != 0, ident = (seen & M_IDENT) != 0;
    size_t r = q;
    uint32_t stop_flags = 0;
    int keep = 0;
    while (r > p) {
        size_t j = char_before(sc, r);
        int c = cls_at(sc, j, &len);
        if (gloss__sc_word(c))
            break;
        if (c == GLOSS__SC_CLOSE) {
            if ((s[j] == ')' || s[j] == ']') && closes <= opens)
                break;
            closes -= s[j] == ')' || s[j] == ']';
            r = j;
            continue;
        }
        if (c == GLOSS__SC_STOP) {
            size_t k = j;
            while (k > p && cls_before(sc, k) == GLOSS__SC_STOP)
                k = char_before(sc, k);
            if (k == j && s[j] == '.') {
                stop_flags = keeps_stop(sc, p, j, b, end, &keep);
                if (keep)
                    break;
                stop_flags = 0;
            }
            r = k;
            continue;
        }
        r = j;
    }
    /* 4. The middle. */
    size_t mq = keep ? r - 1 : r;
    if (mq > p && digit && ident && gloss__sc_word(cls_at(sc, p, &len))) {
        emit(sc, p, r, first_flags(sc, p) | stop_flags);
    } else {
        size_t piece = p, i = p;
        while (i < mq) {
            int c = cls_at(sc, i, &len);
            if (gloss__sc_word(c) || joins(sc, piece, i, c, mq)) {
                i += len;
                continue;
            }
            if (i > piece)
                emit_word(sc, piece, i, 0);
            i = emit_punct(sc, i, mq);
            piece = i;
        }
        if (piece < r)
            emit_word(sc, piece, r, stop_flags);
    }
    while (r < q)
        r = emit_punct(sc, r, q);
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* ---- sentences ---------------------------------------------------------- */

/* The bytes of token i and their length. */
static inline const unsigned char *tok_text(const scan *sc, size_t i,
                                            size_t *len)
{
    const gloss__seg_range *r = &sc->out->tokens.v[i];
    *len = r->end - r->start;
    return sc->s + r->start;
}

/* Whether s[0..len) is digits, then sep and digits, groups times in all,
 * each group 1 to max digits long: "08/16/2000" or "12:05:14". */
static int digit_groups(const unsigned char *s, size_t len, unsigned char sep,
                        int min_groups, int max_groups)
{
    int groups = 0;
    size_t run = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && is_digit(s[i])) {
            if (++run > 4)
                return 0;
        } else if (i == len || s[i] == sep) {
            if (run == 0 || ++groups > max_groups)
                return 0;
            run = 0;
        } else {
            return 0;
        }
    }
    return groups >= min_groups;
}

/* Whether token i is a date written with slashes ("08/16/2000"). */
static int tok_date(const scan *sc, size_t i)
{
    size_t len;
    const unsigned char *w = tok_text(sc, i, &len);
    return len >= 6 && len <= 10 && digit_groups(w, len, '/', 3, 3);
}

/* Whether token i is a clock time ("12:05", "03:14:14"). */
static int tok_clock(const scan *sc, size_t i)
{
    size_t len;
    const unsigned char *w = tok_text(sc, i, &len);
    return len >= 4 && len <= 8 && digit_groups(w, len, ':', 2, 3);
}

/* Whether token i is "AM" or "PM" (any case, with or without points). */
static int tok_meridiem(const scan *sc, size_t i)
{
    size_t len;
    const unsigned char *w = tok_text(sc, i, &len);
    return (len == 2 && lower_eq(w, 2, w[0] == 'a' || w[0] == 'A' ? "am"
                                                                  : "pm")) ||
           (len == 4 && (lower_eq(w, 4, "a.m.") || lower_eq(w, 4, "p.m.")));
}

/* Whether token i names a time zone: "EST", "GMT", "PDT", "UTC", as clock
 * times are followed by; they belong to the time, not to what follows. */
static int tok_zone(const scan *sc, size_t i)
{
    size_t len;
    const unsigned char *w = tok_text(sc, i, &len);
    if (len < 3 || len > 4)
        return 0;
    for (size_t k = 0; k < len; k++)
        if (w[k] < 'A' || w[k] > 'Z')
            return 0;
    return w[len - 1] == 'T' || memcmp(w, "UTC", 3) == 0;
}

/*
 * Where the header line of a forwarded or quoted e-mail ends when a date
 * stamp starts at token i: "Robert Smith@ORG 08/16/2000 12:05 PM I just
 * wanted": the date, the clock time and its AM or PM (and a time zone) are
 * a sentence of their own, between the sender and the message. Returns
 * the index one past the stamp, or 0 when token i does not start one.
 */
static size_t date_stamp(const scan *sc, size_t i)
{
    const gloss__seg_list *t = &sc->out->tokens;
    if (!(t->v[i].flags & T_DIGIT) || i + 1 >= t->n ||
        !(t->v[i + 1].flags & T_DIGIT) || !tok_date(sc, i) ||
        !tok_clock(sc, i + 1))
        return 0;
    size_t k = i + 2;
    if (k < t->n && tok_meridiem(sc, k))
        k++;
    if (k < t->n && tok_zone(sc, k))
        k++;
    return k;
}

/* Whether token i is the "AM" or "PM" of a clock time ("07:17 AM") that
 * a capitalised word other than a time zone follows. */
static int ends_header(const scan *sc, size_t i, size_t first)
{
    const gloss__seg_list *t = &sc->out->tokens;
    const gloss__seg_range *r = &t->v[i];
    if (i == first || i + 1 >= t->n || r->end - r->start != 2 ||
        !(t->v[i + 1].flags & T_UPPER))
        return 0;
    const unsigned char *w = sc->s + r->start;
    if ((w[0] != 'A' && w[0] != 'P') || w[1] != 'M' || tok_zone(sc, i + 1))
        return 0;
    const gloss__seg_range *p = &t->v[i - 1];
    return (p->flags & T_DIGIT) &&
           memchr(sc->s + p->start, ':', p->end - p->start) != NULL;
}

/* The closing formulas of a letter, which stand as a sentence of their
 * own before the signature ("Regards, Kim"). Lowercase, words separated
 * by one space. */
static const char *const sign_offs[] = {
    "thanks", "thank you", "many thanks", "thanks again", "regards",
    "best regards", "kind regards", "warm regards", "best wishes", "best",
    "cheers", "sincerely", "sincerely yours", "yours sincerely",
    "yours truly", "cordially", "respectfully", "take care", NULL,
};

/*
 * Whether the sentence that starts at token from opens with a closing
 * formula that a capitalised name follows ("Thanks, Anne", "Best regards
 * Kim Lee"): returns the index of the formula's last token (its comma,
 * when it has one), or 0 when it does not. The pronoun "I" does not count
 * as a name ("Thanks, I will").
 */
static size_t sign_off(const scan *sc, size_t from)
{
    const gloss__seg_list *t = &sc->out->tokens;
    /* Every formula starts with one of these letters; most sentences are
     * thus turned away without a comparison. */
    if (!(t->v[from].flags & T_UPPER) ||
        !memchr("BCKMRSTWY", sc->s[t->v[from].start], 9))
        return 0;
    /* The formula's words, at most three, joined by single spaces. */
    size_t k = from, words = 0;
    while (k < t->n && words < 3 && (t->v[k].flags & (T_UPPER | T_LOWER)) &&
           (k == from || t->v[k].start == t->v[k - 1].end + 1))
        k++, words++;
    for (; words > 0; words--, k--) {
        size_t a = t->v[from].start, e = t->v[k - 1].end;
        int match = 0;
        for (size_t f = 0; sign_offs[f] && !match; f++)
            match = lower_eq(sc->s + a, e - a, sign_offs[f]);
        if (!match)
            continue;
        size_t last = k - 1;
        if (k < t->n && sc->s[t->v[k].start] == ',' &&
            t->v[k].end - t->v[k].start == 1)
            last = k++;
        if (k >= t->n || !(t->v[k].flags & T_UPPER))
            return 0;
        size_t len;
        const unsigned char *w = tok_text(sc, k, &len);
        if (w[0] == 'I' &&
            (len == 1 || !gloss__sc_word(sc->sg->ascii[w[1] & 0x7F])))
            return 0;
        return last;
    }
    return 0;
}

/* Whether token j, which follows a full stop, is a symbol that starts a
 * sentence: a currency sign before an amount ("$80 for a dish"), or a
 * double dash that opens a signature or an aside line ("-- Simone"). */
static int starts_after_stop(const scan *sc, size_t j)
{
    size_t len;
    const unsigned char *w = tok_text(sc, j, &len);
    if (w[0] == '$' || w[0] == '#')
        return 1;
    if (len == 2 && w[0] == 0xC2 && w[1] == 0xA3)
        return 1; /* pound sign */
    if (len == 3 && w[0] == 0xE2 && w[1] == 0x82 && w[2] == 0xAC)
        return 1; /* euro sign */
    return len >= 2 && w[0] == '-' && w[1] == '-';
}

/*
 * Whether the full stop at token i closes the number of a list item that
 * follows a finished sentence ("... U.S.A. 4. Alan Greenspan ..."): the
 * number (one or two digits, glued to the point) starts the next sentence,
 * which the caller then cuts before it instead of after the point.
 */
static int item_number(const scan *sc, size_t i, size_t from)
{
    const gloss__seg_list *t = &sc->out->tokens;
    if (i < from + 2 || t->v[i].end - t->v[i].start != 1 ||
        sc->s[t->v[i].start] != '.' || !(t->v[i].flags & T_GLUED))
        return 0;
    const gloss__seg_range *num = &t->v[i - 1];
    if (!(num->flags & T_DIGIT) || num->end - num->start > 2 ||
        !is_digit(sc->s[num->end - 1]))
        return 0;
    /* What precedes the number ends a sentence, and is not a reference
     * that the number completes ("p. 83."). */
    size_t len;
    const unsigned char *w = tok_text(sc, i - 2, &len);
    unsigned char last = w[len - 1];
    if ((num->flags & T_GLUED) || (last != '.' && last != '?' && last != '!'))
        return 0;
    gloss__abbrev_kind k = len > 1 ? gloss__abbrevs_find(sc->sg->abbrevs,
                                                        (const char *)w,
                                                        len - 1)
                                   : GLOSS__AB_NONE;
    return k != GLOSS__AB_NUMBER && k != GLOSS__AB_TITLE;
}

/* Whether token j (a capitalised word, maybe with its full stop) is one
 * of the starters. */
static int tok_starter(const scan *sc, size_t j)
{
    size_t len;
    const unsigned char *w = tok_text(sc, j, &len);
    return is_starter(w, len);
}

/* Whether token j is exactly the ASCII text word. */
static int tok_is(const scan *sc, size_t j, const char *word)
{
    size_t len;
    const unsigned char *w = tok_text(sc, j, &len);
    return strlen(word) == len && memcmp(w, word, len) == 0;
}

/* Whether the sentence from..i is a fronted time adverbial: a preposition
 * and a time ("At 5 a.m. Mr. Smith went"), which cannot end a sentence. */
static int time_adverbial(const scan *sc, size_t from, size_t i)
{
    static const char *const preps[] = {"At", "By", "Before", "After", "Until",
                                        "Around", "From", "Since", "About", NULL};
    if (i - from > 3 || !tok_meridiem(sc, i))
        return 0;
    for (size_t k = 0; preps[k]; k++)
        if (tok_is(sc, from, preps[k]))
            return 1;
    return 0;
}

/* The number of full stops in tokens i..j (each a run of . ! ?), or 0 when
 * one is not made only of full stops; U+2026 counts three. */
static size_t stop_dots(const scan *sc, size_t i, size_t j)
{
    size_t dots = 0;
    for (size_t k = i; k < j; k++) {
        size_t len;
        const unsigned char *w = tok_text(sc, k, &len);
        if (!(sc->out->tokens.v[k].flags & T_STOP))
            continue;
        if (len == 3 && w[0] == 0xE2 && w[1] == 0x80 && w[2] == 0xA6) {
            dots += 3;
            continue;
        }
        for (size_t b = 0; b < len; b++)
            if (w[b] != '.')
                return 0;
        dots += len;
    }
    return dots;
}

/* Whether token k is a list bullet: "•", "·", "-", "*", "⁃", "▪", "◦", "●",
 * "–" or "—" on its own. */
static int tok_bullet(const scan *sc, size_t k)
{
    size_t len;
    const unsigned char *w = tok_text(sc, k, &len);
    if (len == 1)
        return w[0] == '-' || w[0] == '*';
    if (len > 3 || (w[0] != 0xE2 && w[0] != 0xC2))
        return 0; /* most tokens are turned away here */
    static const char *const bullets[] = {
        "\xE2\x80\xA2", "\xC2\xB7", "-", "*", "\xE2\x81\x83", "\xE2\x96\xAA",
        "\xE2\x97\xA6", "\xE2\x97\x8F", "\xE2\x80\x93", "\xE2\x80\x94", NULL};
    for (size_t b = 0; bullets[b]; b++)
        if (tok_is(sc, k, bullets[b]))
            return 1;
    return 0;
}

/*
 * The list marker that starts at token k: an optional bullet, then a
 * number of one to three digits or a single letter, closed by a full
 * stop, a parenthesis or both, glued ("1.", "2.)", "3)", "b.", "• 10.").
 * Returns how many tokens it takes (0: none), with its kind ('1' for
 * numbers, 'a' or 'A' for letters) and value (the number, or the letter's
 * place in the alphabet).
 */
static size_t list_item(const scan *sc, size_t k, int *kind, long *value)
{
    const gloss__seg_list *t = &sc->out->tokens;
    size_t at = k;
    size_t len;
    const unsigned char *w = tok_text(sc, at, &len);
    /* A marker is short and starts with a digit, a letter or a bullet:
     * this is asked of every word of a list's items. */
    if (len > 4 || !(is_digit(w[0]) || len <= 2 || w[0] >= 0xC2))
        return 0;
    if (tok_bullet(sc, at))
        at++;
    if (at >= t->n)
        return 0;
    w = tok_text(sc, at, &len);
    int stop = len > 1 && w[len - 1] == '.';
    size_t core = len - (size_t)stop;
    if (core >= 1 && core <= 3 && (t->v[at].flags & T_DIGIT)) {
        long v = 0;
        for (size_t b = 0; b < core; b++) {
            if (!is_digit(w[b]))
                return 0;
            v = v * 10 + (w[b] - '0');
        }
        *kind = '1';
        *value = v;
    } else if (core == 1 && ((w[0] | 0x20) >= 'a' && (w[0] | 0x20) <= 'z')) {
        *kind = w[0] >= 'a' ? 'a' : 'A';
        *value = (w[0] | 0x20) - 'a' + 1;
    } else {
        return 0;
    }
    at++;
    int closed = stop;
    if (!stop && at < t->n && (t->v[at].flags & T_GLUED) && tok_is(sc, at, ".")) {
        closed = 1;
        at++;
    }
    if (at < t->n && (t->v[at].flags & T_GLUED) && tok_is(sc, at, ")")) {
        closed = 1;
        at++;
    }
    return closed ? at - k : 0;
}

static void cut(scan *sc, size_t *from, size_t to_excl)
{
    gloss__seg_list *t = &sc->out->tokens;
    if (to_excl > *from)
        push(sc->out, &sc->out->sentences, t->v[*from].start,
             t->v[to_excl - 1].end, 0);
    *from = to_excl;
}

static void sentences(scan *sc, size_t first, size_t look)
{
    gloss__seg_list *t = &sc->out->tokens;
    const uint32_t *looks = sc->out->look;
    const size_t nlook = sc->out->nlook;
    size_t n = t->n, from = first;
    int list_kind = 0; /* the kind and value of the next list marker */
    long list_next = 0;
    uint32_t list_case = 0; /* T_UPPER or T_LOWER: how its items begin */
    for (size_t i = first; i < n; i++) {
        /* Most tokens are words in the middle of a sentence, which none
         * of the rules below is about: the loop goes straight to the next
         * token that emit() marked (T_LOOK, a list marker's shape, "AM"
         * and "PM"), or to the start of the next sentence if sooner. */
        if (i != from) {
            while (look < nlook && looks[look] < i)
                look++;
            size_t next = look < nlook ? looks[look] : n;
            if (from > i && from < next)
                next = from;
            if (next != i) {
                i = next - 1;
                continue;
            }
        }
        uint32_t f = t->v[i].flags;
        int kind;
        long value;
        size_t m;
        if (i != from && !(f & T_LOOK) &&
            !((f & T_UPPER) && t->v[i].end - t->v[i].start == 2) &&
            !(list_kind && (t->v[i].end - t->v[i].start <= 2 ||
                            sc->s[t->v[i].start] >= 0xC2)))
            continue;
        if (i == from) {
            /* A sentence that opens with a list marker: the marker's
             * point ends nothing, and the next marker of the same list
             * ("1. The first item 2. The second item") starts the next
             * sentence even without a full stop before it. */
            list_kind = 0;
            m = list_item(sc, i, &kind, &value);
            if (m && i + m < n && (t->v[i + m].flags & (T_UPPER | T_LOWER))) {
                list_kind = kind;
                list_next = value + 1;
                list_case = t->v[i + m].flags & (T_UPPER | T_LOWER);
                i += m - 1;
                continue;
            }
        } else if (list_kind && !(f & T_GLUED) &&
                   t->v[i].end - t->v[i].start <= 4 &&
                   ((f & T_DIGIT) || t->v[i].end - t->v[i].start <= 2 ||
                    sc->s[t->v[i].start] >= 0xC2) &&
                   (m = list_item(sc, i, &kind, &value)) != 0 &&
                   kind == list_kind && value == list_next && i + m < n &&
                   (t->v[i + m].flags & list_case)) {
            cut(sc, &from, i);
            i--;
            continue;
        }
        if (i == from && (f & T_UPPER)) {
            /* sign_off() answers 0 for "none"; when the tokens were
             * counted from each paragraph's start, a formula of one word
             * opening a paragraph (its index 0) was thus never split off
             * ("Best Pizzas in Town" as a title), which EWT agrees with:
             * kept so, now that the tokens of a document share one list. */
            size_t last = sign_off(sc, i);
            if (last > first) {
                cut(sc, &from, last + 1);
                i = last;
                continue;
            }
        }
        if (f & T_RULE) {
            /* A separator stands alone, as EWT has it. */
            cut(sc, &from, i);
            cut(sc, &from, i + 1);
            continue;
        }
        if (f & T_DIGIT) {
            size_t k = date_stamp(sc, i);
            if (k) {
                cut(sc, &from, i);
                if (k < n && (t->v[k].flags & (T_UPPER | T_LOWER | T_DIGIT |
                                               T_OPEN | T_QUOTE)))
                    cut(sc, &from, k);
                i = k - 1;
                continue;
            }
        }
        if (ends_header(sc, i, first)) {
            /* "Kay Mann 04/26/2001 07:17 AM Will you ...": the time that
             * closes the header line of a forwarded message ends it. */
            cut(sc, &from, i + 1);
            continue;
        }
        if (f & (T_LINK | T_EMO)) {
            /* A link or an emoticon followed by a capital, or a link by
             * another link, ends the line it was on: lists of links,
             * "... community :-) Posted by darin". A link closed by ">"
             * is the sender of a quoted message. */
            size_t j = i + 1;
            if ((f & T_LINK) && j < n && (t->v[j].flags & T_GLUED) &&
                sc->s[t->v[j].start] == '>')
                j++;
            if (j < n && !(t->v[j].flags & T_GLUED) &&
                ((t->v[j].flags & T_UPPER) ||
                 ((f & T_LINK) && (t->v[j].flags & T_LINK))))
                cut(sc, &from, j);
            continue;
        }
        if (!(f & (T_STOP | T_ABBR)))
            continue;
        if ((f & T_ELLIPSIS) && i > first && i + 1 < n &&
            tok_is(sc, i - 1, "[") && tok_is(sc, i + 1, "]") &&
            (f & T_GLUED) && (t->v[i + 1].flags & T_GLUED))
            continue; /* "[...]": words left out of a quotation */
        size_t j = i + 1;
        while (j < n && ((t->v[j].flags & (T_CLOSE | T_STOP)) ||
                         ((t->v[j].flags & T_QUOTE) &&
                          (t->v[j].flags & T_GLUED))))
            j++;
        if (j >= n)
            break;
        uint32_t next = t->v[j].flags;
        int split;
        if ((f & T_STOP) && stop_dots(sc, i, j) == 3 && tok_is(sc, j, "I"))
            /* "the thing is . . . I didn't mean it": three points are a
             * pause before the pronoun; four end the sentence. */
            split = 0;
        else if (f & T_ELLIPSIS)
            split = (next & (T_UPPER | T_OPEN | T_QUOTE)) != 0;
        else if (f & T_STOP)
            /* After a quoted exclamation, lowercase goes on the sentence:
             * 'a big "Welcome!" to Darin', and so it does after a name
             * with its exclamation mark: "Yahoo! in the accounting". */
            split = (!(next & (T_PUNCT | T_CLOSE)) ||
                     ((next & T_PUNCT) && starts_after_stop(sc, j))) &&
                    !(j > i + 1 && (next & T_LOWER)) &&
                    !(j == i + 1 && (next & T_LOWER) && tok_is(sc, i, "!") &&
                      (f & T_GLUED) && i >= from + 2 &&
                      (t->v[i - 1].flags & T_UPPER));
        else
            /* "etc. The" ends a sentence, "3:30 p.m. EST" does not, nor
             * "the U.S. Government" or "At 5 a.m. Mr. Smith". */
            split = (next & T_UPPER) && tok_starter(sc, j) &&
                    !(tok_meridiem(sc, i) && tok_zone(sc, j)) &&
                    !time_adverbial(sc, from, i);
        if (split && j == i + 1 && item_number(sc, i, from)) {
            /* "... U.S.A. 4. Alan Greenspan": the number goes with what
             * follows it. */
            cut(sc, &from, i - 1);
            continue;
        }
        if (split)
            cut(sc, &from, j);
        i = j - 1;
    }
    if (from < n)
        cut(sc, &from, n);
}

/* ---- the paragraph ------------------------------------------------------ */

/*
 * Bit masks of 64 bytes of a paragraph, from base: bit k is about byte
 * base + k. The chunk scan asks them where the next space or non-ASCII
 * byte is and whether the bytes before it are all letters and digits;
 * one window serves the dozen words it holds, instead of each word
 * classifying the bytes after it again. The fast path for plain words,
 * plain_words(), goes from word to word on these masks alone: where the
 * white space after a word ends (space), and the letters it asks about
 * (nt, em) instead of loading the bytes. Bytes past the paragraph's end
 * count as stops and spaces. With SSE2, which every x86-64 has, a window
 * is four loads and a few comparisons; elsewhere the chunk table and the
 * bytes fill it.
 */
typedef struct window {
    size_t base;
    uint64_t stop;     /* ASCII space or control, a byte from 0x80, the end */
    uint64_t space;    /* ASCII space or control (GLOSS__SC_SPACE), the end */
    uint64_t nonplain; /* not an ASCII letter or digit */
    uint64_t nt;       /* 'n', 't', 'N' or 'T': the third letter of "cannot",
                        * "gonna", "wanna" or "gotta" */
    uint64_t em;       /* 'M', which may end "AM" or "PM" */
} window;

static void window_load(const gloss__segmenter *sg, window *w,
                        const unsigned char *s, size_t base, size_t end)
{
    unsigned char pad[64];
    const unsigned char *p = s + base;
    unsigned shift = 0;
    if (base >= end) {
        /* At the end: nothing but stops. */
        w->base = base;
        w->stop = w->space = w->nonplain = ~(uint64_t)0;
        w->nt = w->em = 0;
        return;
    }
    if (end - base < 64 && end >= 64) {
        /* The paragraph's tail: the 64 bytes that end it, shifted, so
         * that nothing past it is read. */
        shift = (unsigned)(base - (end - 64));
        p = s + end - 64;
    } else if (end - base < 64) {
        /* A text shorter than a window. */
        memset(pad, ' ', sizeof pad);
        memcpy(pad, p, end - base);
        p = pad;
    }
    w->base = base;
    uint64_t stop = 0, high = 0, plain = 0, nt = 0, em = 0;
#if defined(__SSE2__)
    (void)sg;
    const __m128i stop_below = _mm_set1_epi8(0x21); /* signed: spaces and 0x80+ */
    const __m128i case_bit = _mm_set1_epi8(0x20);
    /* A range test is one addition and one signed comparison: the
     * addition moves the range to the bottom of the signed bytes. */
    const __m128i to_a = _mm_set1_epi8((char)(0x80 - 'a')), letters = _mm_set1_epi8(-128 + 26);
    const __m128i to_0 = _mm_set1_epi8((char)(0x80 - '0')), digits = _mm_set1_epi8(-128 + 10);
    const __m128i n = _mm_set1_epi8('n'), t = _mm_set1_epi8('t'), m = _mm_set1_epi8('M');
    for (unsigned k = 0; k < 64; k += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + k));
        __m128i folded = _mm_or_si128(v, case_bit);
        __m128i alpha = _mm_cmplt_epi8(_mm_add_epi8(folded, to_a), letters);
        __m128i dg = _mm_cmplt_epi8(_mm_add_epi8(v, to_0), digits);
        stop |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(v, stop_below)) << k;
        high |= (uint64_t)(unsigned)_mm_movemask_epi8(v) << k;
        nt |= (uint64_t)(unsigned)_mm_movemask_epi8(
                  _mm_or_si128(_mm_cmpeq_epi8(folded, n), _mm_cmpeq_epi8(folded, t))) << k;
        em |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, m)) << k;
        plain |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(alpha, dg)) << k;
    }
#else
    for (unsigned k = 0; k < 64; k++) {
        unsigned bits = sg->chunk[p[k]];
        stop |= (uint64_t)((bits & (GLOSS__SEG_CHUNK_SPACE | GLOSS__SEG_CHUNK_MULTI)) != 0) << k;
        high |= (uint64_t)((bits & GLOSS__SEG_CHUNK_MULTI) != 0) << k;
        nt |= (uint64_t)((p[k] | 0x20) == 'n' || (p[k] | 0x20) == 't') << k;
        em |= (uint64_t)(p[k] == 'M') << k;
        plain |= (uint64_t)((bits & GLOSS__SEG_CHUNK_PLAIN) != 0) << k;
    }
#endif
    /* A stop below 0x80 is an ASCII space or control. */
    uint64_t space = stop & ~high;
    if (shift) {
        /* Bytes past the end are stops, and spaces. */
        stop = (stop >> shift) | ~(~(uint64_t)0 >> shift);
        space = (space >> shift) | ~(~(uint64_t)0 >> shift);
        plain >>= shift;
        nt >>= shift;
        em >>= shift;
    }
    w->nt = nt;
    w->em = em;
    w->stop = stop;
    w->space = space;
    w->nonplain = ~plain;
}

/* The first stop (see window) at or after j; ors into *np the nonplain
 * bits of the bytes passed over. */
static inline size_t next_stop(const gloss__segmenter *sg, window *w,
                               const unsigned char *s, size_t j, size_t end,
                               uint64_t *np)
{
    for (;;) {
        if (j - w->base >= 64) /* unsigned: also when j is before base */
            window_load(sg, w, s, j, end);
        unsigned off = (unsigned)(j - w->base);
        uint64_t st = w->stop >> off;
        uint64_t take = st ? ((uint64_t)1 << __builtin_ctzll(st)) - 1
                           : ~(uint64_t)0 >> off;
        *np |= (w->nonplain >> off) & take;
        if (st)
            return j + (size_t)__builtin_ctzll(st);
        j = w->base + 64;
    }
}

/* Whether s[a..e) holds only ASCII letters and digits. */
static inline int plain_bytes(const gloss__segmenter *sg, const unsigned char *s,
                              size_t a, size_t e)
{
    unsigned all = GLOSS__SEG_CHUNK_PLAIN;
    for (size_t k = a; k < e; k++)
        all &= sg->chunk[s[k]];
    return all != 0;
}

/* Whether s[a..e) holds only ASCII digits: asked only of short words
 * that start with one. */
static inline int digit_bytes(const unsigned char *s, size_t a, size_t e)
{
    for (size_t k = a; k < e; k++)
        if (!is_digit(s[k]))
            return 0;
    return 1;
}

/* Whether s[i..i+len) is a space that may separate groups of digits. */
static size_t group_space(const unsigned char *s, size_t i, size_t end)
{
    if (i < end && s[i] == ' ')
        return 1;
    if (i + 1 < end && s[i] == 0xC2 && s[i + 1] == 0xA0)
        return 2; /* no-break space */
    if (i + 2 < end && s[i] == 0xE2 && s[i + 1] == 0x80 &&
        (s[i + 2] == 0xAF || s[i + 2] == 0x89))
        return 3; /* narrow no-break space, thin space */
    return 0;
}

/* Whether the plain word s[i..j) may be one EWT splits: five or six
 * letters with the third of "cannot", "gonna", "wanna" or "gotta". Word
 * lengths follow no pattern, so this is arithmetic, not a branch on the
 * length; the byte read is inside the word whatever its length. */
static inline int split_candidate(const unsigned char *s, size_t i, size_t j)
{
    size_t len = j - i;
    unsigned char third = s[i + (len >= 3) * 2] | 0x20;
    return ((len == 5) | (len == 6)) & ((third == 'n') | (third == 't'));
}

/* The flags of a plain word (ASCII letters and digits) from its first
 * byte. */
static inline uint32_t plain_flags(const gloss__segmenter *sg, unsigned char c)
{
    return sg->lead[c & 0x7F];
}

/*
 * The common case, from the window's bit masks alone: white space, and
 * words of ASCII letters and digits that an ASCII space or the end
 * follows, emitted as the general path of gloss__seg_paragraph() would
 * cut and emit them (not numbers of up to three digits, which may join a
 * group after them, nor words that may be "cannot" or "gonna", which go
 * there). Nothing here waits on a byte of the text but a word's first
 * and third, and the token list's fields stay in registers, so the words
 * of a window go through one after another without the general path's
 * stalls. Returns where it stopped: at the end, or at a chunk for the
 * general path (or when the token list is full, which it grows).
 */
static NOINLINE size_t plain_words(scan *sc, window *w, size_t i)
{
    /* Only what each word needs is held in locals; the rest is read
     * through sc when needed. */
    const unsigned char *s = sc->s, *lead = sc->sg->lead;
    gloss__seg_range *tv = sc->out->tokens.v;
    const size_t cap = sc->out->tokens.cap;
    size_t tn = sc->out->tokens.n, nlook = sc->out->nlook;
    uint32_t *looks = sc->out->look;
    for (;;) {
        size_t off = i - w->base;
        if (off >= 64) { /* unsigned: also when i is before base */
            if (i >= sc->n) /* the paragraph's end */
                break;
            window_load(sc->sg, w, s, i, sc->n);
            off = 0;
        }
        /* Every stop is a nonplain byte too: the first nonplain byte ends
         * the word, and it must be a space, or a comma, semicolon or colon
         * before one. Bit tests, not shifted masks, where the position is
         * known. */
        uint64_t np = w->nonplain >> off;
        if (!np)
            break; /* the chunk goes on past the window */
        unsigned len = (unsigned)__builtin_ctzll(np);
        unsigned at = (unsigned)off + len; /* the bit of the byte after */
        if (len == 0) {
            uint64_t word = ~(w->space >> off);
            if (word & 1)
                break; /* not white space */
            i += word ? (size_t)__builtin_ctzll(word) : 64 - off;
            continue;
        }
        unsigned char c = s[i]; /* a letter or digit */
        unsigned wl = len; /* the word, without its comma */
        if (!((w->space >> at) & 1)) {
            unsigned char next = s[i + len];
            if ((next != ',' && next != ';' && next != ':') || at == 63 ||
                !((w->space >> (at + 1)) & 1) || len == 5 || len == 6)
                break; /* the general path's "word," calls emit_word() then */
            len++;
            at++;
        }
        /* Bit wl of a constant answers for the word's length: 5 or 6
         * (0x60) for split_candidate(), 1 or 2 (0x2, 0x4) below. */
        uint64_t nt = (w->nt >> off >> 2) & 1;
        if (cap - tn < 2 || (((0x60 & -nt) >> wl) & 1) ||
            (len <= 3 && is_digit(c) && digit_bytes(s, i + 1, i + len)))
            break; /* the second test is split_candidate(), from the masks */
        /* emit(), for such a word. It is never glued to the token before:
         * white space or a non-ASCII space separates them, or i is where
         * the paragraph starts. The sentence splitter looks at numbers,
         * single letters and a letter before 'M' ("PM"). */
        uint32_t flags = lead[c];
        looks[nlook] = (uint32_t)tn;
        uint64_t em = (w->em >> (off + 1)) & 1; /* off < 63 */
        nlook += ((flags & T_DIGIT) != 0) | (((0x2 | em << 2) >> wl) & 1);
        tv[tn++] = (gloss__seg_range){(uint32_t)i, (uint32_t)(i + wl), flags};
        if (wl != len) {
            /* emit_punct() for the comma, glued to the word; the splitter
             * need not look at it. */
            looks[nlook] = (uint32_t)tn;
            tv[tn++] = (gloss__seg_range){(uint32_t)(i + wl), (uint32_t)(i + len),
                                          T_PUNCT | T_GLUED};
        }
        /* And the white space after it, whose first byte is known. */
        uint64_t word = ~(w->space >> at);
        i += len + (word ? (size_t)__builtin_ctzll(word) : 64 - at);
    }
    /* The last token's end, which emit() keeps for the next token. */
    if (tn)
        sc->last_end = tv[tn - 1].end;
    sc->out->tokens.n = tn;
    sc->out->nlook = nlook;
    return i;
}

void gloss__seg_paragraph(const gloss__segmenter *sg, const char *text,
                          size_t start, size_t end, gloss__seg_out *out)
{
    scan sc = {sg, (const unsigned char *)text, end, out, start,
               out->tokens.n ? out->tokens.v[out->tokens.n - 1].end : SIZE_MAX};
    const unsigned char *s = sc.s;
    const unsigned char *cls = sg->ascii;
    size_t first = out->tokens.n, look = out->nlook, i = start;
    window win;
    if (i < end)
        window_load(sg, &win, s, i, end);
    while (i < end) {
        i = plain_words(&sc, &win, i);
        if (i >= end)
            break;
        unsigned char ch = s[i];
        if (ch < 0x80 && cls[ch] == GLOSS__SC_SPACE) {
            i++;
            continue;
        }
        size_t j = i, len = 1;
        uint64_t np = 0;
        int multi = 0;
        for (;;) {
            j = next_stop(sg, &win, s, j, end, &np);
            if (j >= end || (sg->chunk[s[j]] & GLOSS__SEG_CHUNK_SPACE))
                break;
            if (cls_at(&sc, j, &len) == GLOSS__SC_SPACE)
                break; /* a non-ASCII space */
            multi = 1;
            j += len;
        }
        int plain = !multi && !np;
        int digits = plain && j - i <= 3 && is_digit(s[i]) &&
                     digit_bytes(s, i + 1, j);
        if (i == j) {
            i += len; /* a non-ASCII space */
            continue;
        }
        /* "10 000": groups of three digits after a space join. */
        if (digits && j - i <= 3) {
            size_t g;
            while ((g = group_space(s, j, end)) && j + g + 3 <= end &&
                   is_digit(s[j + g]) && is_digit(s[j + g + 1]) &&
                   is_digit(s[j + g + 2]) &&
                   (j + g + 3 == end ||
                    !gloss__sc_word(cls_at(&sc, j + g + 3, &len)))) {
                size_t k = j + g + 3;
                if (k < end && (s[k] == '.' || s[k] == ',') && k + 1 < end &&
                    is_digit(s[k + 1]))
                    break; /* "5 000.5" or "1 000,000": not grouping */
                j = k;
            }
            size_t e = j;
            while (j < end && !(s[j] < 0x80 && cls[s[j]] == GLOSS__SC_SPACE))
                j++; /* what is glued to the last group: "000." */
            emit(&sc, i, e, T_DIGIT);
            if (e < j)
                chunk(&sc, e, j, end);
        } else if (plain && !split_candidate(s, i, j)) {
            /* Letters and digits only: no clitic, and no multiword
             * unless it could be "cannot", "gonna", "wanna" or "gotta". */
            emit(&sc, i, j, plain_flags(sg, s[i]));
        } else if (plain) {
            emit_word(&sc, i, j, 0);
        } else if (j - i >= 2 && (s[j - 1] == ',' || s[j - 1] == ';' ||
                                  s[j - 1] == ':') &&
                   plain_bytes(sg, s, i, j - 1)) {
            /* "word,": a plain word and the comma after it, the commonest
             * chunk after a plain word, as chunk() would cut it. */
            if (j - 1 - i != 5 && j - 1 - i != 6)
                emit(&sc, i, j - 1, first_flags(&sc, i));
            else
                emit_word(&sc, i, j - 1, 0);
            emit_punct(&sc, j - 1, j);
        } else if (j - i >= 2 && s[j - 1] == '.' && plain_bytes(sg, s, i, j - 1) &&
                   !(j - i == 4 && lower_eq(s + i, 3, "www"))) {
            /* "word.": a plain word and a full stop, which ends most
             * sentences, cut as chunk() would cut it (only "www." is a
             * link there): the stop stays on an abbreviation, an initial
             * or a list marker, and is a token of its own otherwise. */
            int keep;
            uint32_t stop_flags = keeps_stop(&sc, i, j - 1, j, end, &keep);
            if (keep) {
                emit_word(&sc, i, j, stop_flags);
            } else {
                emit_word(&sc, i, j - 1, 0);
                emit_punct(&sc, j - 1, j);
            }
        } else {
            chunk(&sc, i, j, end);
        }
        /* The single space after a word, the common case, is stepped
         * over here rather than by another turn of the loop. */
        i = j + (j < end && s[j] == ' ');
    }
    if (out->tokens.n > first && !out->oom)
        sentences(&sc, first, look);
}
