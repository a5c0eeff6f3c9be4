/*
 * clean.c - the driver of the cleaner (see clean.h): one pass to cut the
 * text into lines and classify them (blank, furniture, footnote list), one
 * pass to write the new text.
 *
 * The writer copies the input lazily: it remembers how far the input was
 * consumed and copies a stretch only when an edit (a join, a removed tag
 * or marker, a deleted line) comes after it. Each edit records the points
 * of the offset map on both of its sides; points that only continue a
 * stretch of equal sides are merged away, so a text whose wraps become
 * spaces needs no point at all. Spans are recorded at their positions in
 * the new text as it is written.
 *
 * Between two kept lines the gap decides: a single line break is a wrap
 * unless the next line is a list item, either line a heading, or the first
 * a short line ending a sentence; a gap that held furniture is a wrap when
 * the first line stops mid-sentence and the next goes on in lower case,
 * and a paragraph break ("\n\n") otherwise. Every decision looks at two
 * lines, so the whole pass is linear.
 */
#include "clean.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clean_internal.h"

#define MAX_OPEN 64
#define SHORT_NUM 2 /* a line shorter than 2/3 of the widest is short */
#define SHORT_DEN 3
#define MAX_WIDTH 400
#define LIST_LINE 30 /* a line of a list has at most this many bytes */
#define LIST_LINES 3 /* and comes with at least two more */

struct gloss__cleaner {
    gloss__clean_settings set;
    gloss__words words;
};

gloss__cleaner *gloss__cleaner_new(const gloss__clean_settings *set, char *err,
                                   size_t errlen)
{
    gloss__cleaner *cl = calloc(1, sizeof(*cl));
    if (!cl) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    cl->set = *set;
    cl->set.wordlist = NULL; /* the path is not kept past loading */
    if (gloss__words_load(&cl->words, set->wordlist, err, errlen) < 0) {
        free(cl);
        return NULL;
    }
    return cl;
}

void gloss__cleaner_destroy(gloss__cleaner **cl)
{
    if (!cl || !*cl)
        return;
    gloss__words_free(&(*cl)->words);
    free(*cl);
    *cl = NULL;
}

void gloss__clean_result_free(gloss__clean_result *res)
{
    gloss__buf_free(&res->text);
    free(res->map);
    free(res->refs);
    free(res->marks);
    memset(res, 0, sizeof(*res));
}

/* ---- the writer ---------------------------------------------------------- */

typedef struct open_tag {
    const char *name;
    size_t name_len;
    const char *code;
    size_t code_len;
    size_t start;
} open_tag;

typedef struct writer {
    const char *in;
    size_t consumed;        /* input before this is written or dropped */
    gloss__clean_result *r;
    int edited;
    open_tag open[MAX_OPEN];
    size_t nopen;
} writer;

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * size);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

static void point(writer *w)
{
    gloss__clean_result *r = w->r;
    size_t nw = r->text.len, old = w->consumed, k = r->nmap;
    gloss_offset_map_entry *m = r->map;
    if (k && m[k - 1].new_start == nw && m[k - 1].old_start == old)
        return;
    if (k >= 2 && m[k - 1].new_start - m[k - 2].new_start ==
                      m[k - 1].old_start - m[k - 2].old_start &&
        nw - m[k - 1].new_start == old - m[k - 1].old_start &&
        m[k - 1].new_start > m[k - 2].new_start && nw > m[k - 1].new_start) {
        m[k - 1].new_start = nw;
        m[k - 1].old_start = old;
        return;
    }
    if (grow((void **)&r->map, &r->capmap, k + 1, sizeof(*r->map)) < 0) {
        r->oom = 1;
        return;
    }
    r->map[k].new_start = nw;
    r->map[k].old_start = old;
    r->nmap = k + 1;
}

static void copy_to(writer *w, size_t pos)
{
    if (pos > w->consumed) {
        gloss__buf_add(&w->r->text, w->in + w->consumed, pos - w->consumed);
        w->consumed = pos;
    }
}

/* Replaces the input [consumed, old_end) by s[0..n). */
static void replace(writer *w, size_t old_end, const char *s, size_t n)
{
    point(w);
    gloss__buf_add(&w->r->text, s, n);
    w->consumed = old_end;
    point(w);
    w->edited = 1;
}

static void add_ref(writer *w, unsigned note)
{
    gloss__clean_result *r = w->r;
    if (grow((void **)&r->refs, &r->caprefs, r->nrefs + 1, sizeof(*r->refs)) < 0) {
        r->oom = 1;
        return;
    }
    r->refs[r->nrefs].pos = r->text.len;
    r->refs[r->nrefs].note = note;
    r->nrefs++;
}

static void close_tag(writer *w, const open_tag *t)
{
    gloss__clean_result *r = w->r;
    if (grow((void **)&r->marks, &r->capmarks, r->nmarks + 1, sizeof(*r->marks)) < 0) {
        r->oom = 1;
        return;
    }
    gloss__clean_mark *m = &r->marks[r->nmarks++];
    m->start = t->start;
    m->end = r->text.len;
    m->name = t->name;
    m->name_len = t->name_len;
    m->code = t->code;
    m->code_len = t->code_len;
}

static void tag(writer *w, size_t pos, size_t len, const char *name,
                size_t name_len, int closing, int empty, size_t end)
{
    copy_to(w, pos);
    replace(w, pos + len, "", 0);
    if (closing) {
        /* Closes the innermost element of that name and any left open
         * inside it; an end tag that matches nothing is just removed. */
        for (size_t k = w->nopen; k-- > 0;) {
            if (w->open[k].name_len == name_len &&
                memcmp(w->open[k].name, name, name_len) == 0) {
                while (w->nopen > k)
                    close_tag(w, &w->open[--w->nopen]);
                break;
            }
        }
        return;
    }
    open_tag t = {name, name_len, NULL, 0, 0};
    size_t code = gloss__clean_code(w->in, pos + len, end);
    if (code) {
        t.code = w->in + pos + len + 1;
        t.code_len = code - 2;
        replace(w, pos + len + code, "", 0);
    }
    t.start = w->r->text.len;
    if (empty)
        close_tag(w, &t);
    else if (w->nopen < MAX_OPEN)
        w->open[w->nopen++] = t;
}

/* The first position in s[i..to) that may start a tag ('<', when lt), a
 * bracketed footnote marker ('[', when bracket) or a glued one (a digit,
 * when digits); to if none. Most bytes are none of these, and SSE2 rules
 * them out sixteen at a time. */
static size_t next_special(const char *s, size_t i, size_t to, int lt,
                           int bracket, int digits)
{
#if defined(__SSE2__)
    const unsigned want_lt = lt ? 0xFFFFu : 0, want_br = bracket ? 0xFFFFu : 0,
                   want_d = digits ? 0xFFFFu : 0;
    const __m128i vlt = _mm_set1_epi8('<'), vbr = _mm_set1_epi8('[');
    const __m128i d_1 = _mm_set1_epi8('0' - 1), d1 = _mm_set1_epi8('9' + 1);
    for (;;) {
        /* The last step of a line loads the sixteen bytes that end it,
         * which the text always holds once the line reaches that far,
         * and ignores those already looked at: no byte-by-byte tail. */
        size_t at = i + 16 <= to ? i : to >= 16 && i < to ? to - 16 : SIZE_MAX;
        if (at == SIZE_MAX)
            break;
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + at));
        unsigned m =
            ((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vlt)) & want_lt) |
            ((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vbr)) & want_br) |
            ((unsigned)_mm_movemask_epi8(_mm_and_si128(
                 _mm_cmpgt_epi8(v, d_1), _mm_cmplt_epi8(v, d1))) & want_d);
        m &= ~((1u << (i - at)) - 1u);
        if (m)
            return at + (size_t)__builtin_ctz(m);
        if (at + 16 >= to)
            return to;
        i += 16;
    }
#endif
    for (; i < to; i++) {
        char c = s[i];
        if ((lt && c == '<') || (bracket && c == '[') ||
            (digits && c >= '0' && c <= '9'))
            return i;
    }
    return to;
}

/* Writes the input [from, to) of one line (that starts at line_start),
 * taking out tags and footnote markers. */
static void inline_copy(writer *w, const gloss__cleaner *cl, size_t from,
                        size_t to, size_t line_start, const uint8_t *notes)
{
    const char *s = w->in;
    const int markup = cl->set.markup, foot = cl->set.footnotes;
    size_t i = from;
    while (i < to) {
        i = next_special(s, i, to, markup, foot, foot && notes);
        if (i >= to)
            break;
        char c = s[i];
        if (c == '<' && markup) {
            const char *name;
            size_t nlen;
            int closing, empty;
            size_t len = gloss__clean_tag(s, i, to, &name, &nlen, &closing, &empty);
            if (len) {
                tag(w, i, len, name, nlen, closing, empty, to);
                i += len;
                if (w->consumed > i)
                    i = w->consumed;
                continue;
            }
        } else if (foot && (c == '[' || (notes && c >= '0' && c <= '9'))) {
            size_t skip, next;
            unsigned note;
            size_t len = gloss__clean_marker(s, i, line_start, to, notes, &skip,
                                             &note, &next);
            if (len) {
                copy_to(w, i + skip);
                add_ref(w, note);
                replace(w, i + skip + len, "", 0);
                i = i + skip + len;
                continue;
            }
            i = next;
            continue;
        }
        i++;
    }
}

/* ---- the pass ------------------------------------------------------------ */

static int ends_sentence(char c)
{
    return c == '.' || c == ';' || c == ':' || c == '!' || c == '?';
}

static int is_lower(unsigned char c) { return c >= 'a' && c <= 'z'; }

/* Whether the line [a, e) ends with a word that something must follow:
 * an article, a preposition or a conjunction ("... Ann and"). */
static int continues(const char *in, size_t a, size_t e)
{
    static const char *const words[] = {"the", "a", "an", "of", "and", "or",
                                        "to", "in", "on", "for", "with", "by",
                                        "at", "from", "that", NULL};
    size_t w = e;
    while (w > a && in[w - 1] != ' ' && in[w - 1] != '\t')
        w--;
    for (size_t k = 0; words[k]; k++)
        if (strlen(words[k]) == e - w && memcmp(in + w, words[k], e - w) == 0)
            return 1;
    return 0;
}

/* Marks the lines of lists: runs of at least LIST_LINES lines, each short
 * and none ending a sentence ("features\ncontact manager\nevents"). A
 * paragraph that a PDF wrapped has lines as wide as its column and ends
 * with its sentence's punctuation; a column of short lines without any is
 * a menu, a list of tags or of names, whose lines stay apart. */
static void mark_lists(const char *in, const gloss__line *lines, size_t n,
                       uint8_t *flags)
{
    size_t i = 0;
    while (i < n) {
        if (flags[i] & (GLOSS__LINE_BLANK | GLOSS__LINE_FURNITURE)) {
            i++;
            continue;
        }
        size_t k = i;
        int list = 1;
        while (k < n && !(flags[k] & (GLOSS__LINE_BLANK | GLOSS__LINE_FURNITURE))) {
            size_t a = gloss__line_lead(in, lines[k].start, lines[k].end);
            size_t e = gloss__line_trail(in, lines[k].start, lines[k].end);
            if (e - a > LIST_LINE || ends_sentence(in[e - 1]) ||
                in[e - 1] == '-' || in[e - 1] == ',' || continues(in, a, e))
                list = 0;
            k++;
        }
        if (list && k - i >= LIST_LINES)
            for (size_t j = i; j < k; j++)
                flags[j] |= GLOSS__LINE_LIST;
        i = k;
    }
}

int gloss__clean_text(const gloss__cleaner *cl, const char *in, size_t len,
                      gloss__clean_result *res)
{
    const gloss__clean_settings *set = &cl->set;
    memset(res, 0, sizeof(*res));
    if (len > UINT32_MAX - 1)
        return 0; /* documents are smaller: gloss_doc_new refuses this */
    /* Nothing to clean; the text may even be a NULL pointer here (a text
     * made only of controls is empty after the Unicode pass), and the
     * scans below must not pass NULL to memchr, even for zero bytes. */
    if (len == 0)
        return 0;

    /* Lines, found in one pass (the array grows as needed), and their
     * flags. */
    size_t nlines = 0, caplines = len / 64 + 16;
    gloss__line *lines = malloc(caplines * sizeof(*lines));
    if (!lines)
        return -1;
    for (size_t at = 0;;) {
        const char *nl = memchr(in + at, '\n', len - at);
        size_t e = nl ? (size_t)(nl - in) : len;
        if (nlines == caplines) {
            gloss__line *more = realloc(lines, 2 * caplines * sizeof(*lines));
            if (!more) {
                free(lines);
                return -1;
            }
            lines = more;
            caplines *= 2;
        }
        lines[nlines].start = (uint32_t)at;
        lines[nlines].end = (uint32_t)e;
        nlines++;
        if (!nl)
            break;
        at = e + 1;
    }
    uint8_t *flags = calloc(nlines, 1);
    if (!flags) {
        free(lines);
        return -1;
    }
    size_t width = 0;
    for (size_t i = 0; i < nlines; i++) {
        size_t a = gloss__line_lead(in, lines[i].start, lines[i].end);
        if (a == lines[i].end)
            flags[i] |= GLOSS__LINE_BLANK;
        else if (lines[i].end - a > width)
            width = lines[i].end - a;
    }
    if (width > MAX_WIDTH)
        width = MAX_WIDTH;
    int rc = 0;
    if (set->furniture && gloss__clean_furniture(in, lines, nlines, flags,
                                                 set->min_repeats) < 0)
        rc = -1;
    if (set->unwrap)
        mark_lists(in, lines, nlines, flags);
    uint8_t notes[GLOSS__MAX_NOTE / 8];
    int have_notes = rc == 0 && set->footnotes &&
                     gloss__clean_notes(in, lines, nlines, flags, notes);

    writer w;
    memset(&w, 0, sizeof w);
    w.in = in;
    w.r = res;
    gloss__buf_reserve(&res->text, len);
    point(&w);

    size_t prev = nlines; /* the last kept line */
    size_t pend = 0;      /* where its written content stops */
    int furniture_gap = 0;
    for (size_t i = 0; i < nlines && rc == 0; i++) {
        if (flags[i] & GLOSS__LINE_FURNITURE) {
            furniture_gap = 1;
            continue;
        }
        if (flags[i] & GLOSS__LINE_BLANK)
            continue;
        size_t a = lines[i].start, e = lines[i].end;
        size_t lead = gloss__line_lead(in, a, e), trail = gloss__line_trail(in, a, e);
        size_t from = a; /* where this line's content starts being written */
        if (prev == nlines) {
            if (furniture_gap) {
                copy_to(&w, 0);
                replace(&w, a, "", 0);
            }
        } else {
            size_t pa = lines[prev].start, pe = lines[prev].end;
            size_t ptrail = gloss__line_trail(in, pa, pe);
            int single = i == prev + 1;
            int join = 0;
            if (set->unwrap && (single || furniture_gap) &&
                !(flags[i] & GLOSS__LINE_LIST) &&
                !gloss__line_is_item(in, a, e) &&
                !(set->markup && in[lead] == '<')) {
                char last = in[ptrail - 1];
                if (single) {
                    int shortline = (ptrail - gloss__line_lead(in, pa, pe)) * SHORT_DEN <
                                    width * SHORT_NUM;
                    join = !gloss__line_is_heading(in, pa, pe) &&
                           !gloss__line_is_heading(in, a, e) &&
                           !(shortline && ends_sentence(last));
                } else {
                    join = !ends_sentence(last) &&
                           (is_lower((unsigned char)in[lead]) || last == '-');
                }
            }
            copy_to(&w, pend);
            if (join) {
                size_t hy = ptrail - 1;
                int hyphen = set->dehyphenate && in[hy] == '-' && hy > pa &&
                             gloss__wordbyte((unsigned char)in[hy - 1]);
                if (hyphen) {
                    size_t w1 = hy;
                    while (w1 > pa && hy - w1 < 65 && gloss__wordbyte((unsigned char)in[w1 - 1]))
                        w1--;
                    size_t w2 = lead;
                    while (w2 < trail && w2 - lead < 65 && gloss__wordbyte((unsigned char)in[w2]))
                        w2++;
                    int keep = !is_lower((unsigned char)in[lead]) ||
                               gloss__words_keep_hyphen(&cl->words, in + w1, hy - w1,
                                                        in + lead, w2 - lead);
                    copy_to(&w, keep ? hy + 1 : hy);
                    replace(&w, lead, "", 0);
                } else if (in[hy] == '-' && hy > pa && gloss__wordbyte((unsigned char)in[hy - 1])) {
                    copy_to(&w, hy + 1);
                    replace(&w, lead, "", 0);
                } else {
                    copy_to(&w, ptrail);
                    replace(&w, lead, " ", 1);
                }
                from = lead;
            } else if (furniture_gap ||
                       (single && (flags[i] & GLOSS__LINE_LIST))) {
                /* Each line of a list is a paragraph of its own, so that
                 * segment does not run the lines into one sentence. */
                copy_to(&w, pe);
                replace(&w, a, "\n\n", 2);
            }
        }
        /* The content up to where a join with the next line may cut:
         * trailing blanks and a final hyphen wait for that decision. */
        size_t stop = trail;
        if (stop > from && in[stop - 1] == '-')
            stop--;
        if (from < w.consumed)
            from = w.consumed;
        inline_copy(&w, cl, from, stop, lead, have_notes ? notes : NULL);
        pend = stop > w.consumed ? stop : w.consumed;
        prev = i;
        furniture_gap = 0;
    }
    if (rc == 0) {
        if (prev != nlines) {
            copy_to(&w, pend);
            if (furniture_gap) {
                copy_to(&w, lines[prev].end);
                replace(&w, len, lines[prev].end < len ? "\n" : "", lines[prev].end < len);
            }
        } else if (furniture_gap) {
            replace(&w, len, "", 0);
        }
        copy_to(&w, len);
        while (w.nopen)
            close_tag(&w, &w.open[--w.nopen]);
    }
    free(lines);
    free(flags);
    if (rc < 0 || res->oom || res->text.oom) {
        gloss__clean_result_free(res);
        return -1;
    }
    if (!w.edited) {
        gloss__clean_result_free(res);
        return 0;
    }
    return 1;
}
