/*
 * segment_abbrev.c - the set of abbreviations, and the English list.
 *
 * The set is an open-addressing hash table of short strings with linear
 * probing, kept at most half full so that a lookup (done for every word
 * that ends in a full stop) touches one or two slots. Words are at most 63
 * bytes, which every abbreviation is; the table grows by doubling.
 *
 * The English list was drawn up from the abbreviations that keep their
 * full stop in UD English EWT and from the references European Parliament
 * texts use ("Art.", "No.", "OJ ... p."); only the words are listed here,
 * no corpus text.
 */
#include "segment_abbrev.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORD 63

typedef struct slot {
    unsigned char len;   /* 0 for an empty slot */
    unsigned char kind;  /* gloss__abbrev_kind */
    char word[MAX_WORD];
} slot;

struct gloss__abbrevs {
    slot *slots;
    size_t cap;   /* a power of two */
    size_t count;
};

static uint32_t hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a: short keys, no need for more */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

gloss__abbrevs *gloss__abbrevs_new(void)
{
    gloss__abbrevs *set = calloc(1, sizeof *set);
    if (!set)
        return NULL;
    set->cap = 256;
    set->slots = calloc(set->cap, sizeof *set->slots);
    if (!set->slots) {
        free(set);
        return NULL;
    }
    return set;
}

void gloss__abbrevs_destroy(gloss__abbrevs **set)
{
    if (!set || !*set)
        return;
    free((*set)->slots);
    free(*set);
    *set = NULL;
}

static slot *find_slot(slot *slots, size_t cap, const char *word, size_t len)
{
    size_t i = hash(word, len) & (cap - 1);
    while (slots[i].len &&
           (slots[i].len != len || memcmp(slots[i].word, word, len) != 0))
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static int grow(gloss__abbrevs *set)
{
    size_t cap = set->cap * 2;
    slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < set->cap; i++)
        if (set->slots[i].len)
            *find_slot(slots, cap, set->slots[i].word, set->slots[i].len) =
                set->slots[i];
    free(set->slots);
    set->slots = slots;
    set->cap = cap;
    return 0;
}

int gloss__abbrevs_add(gloss__abbrevs *set, const char *word, size_t len,
                       gloss__abbrev_kind kind)
{
    if (len && word[len - 1] == '.')
        len--;
    if (len == 0 || len > MAX_WORD)
        return -1;
    if ((set->count + 1) * 2 > set->cap && grow(set) < 0)
        return -1;
    slot *s = find_slot(set->slots, set->cap, word, len);
    if (!s->len) {
        s->len = (unsigned char)len;
        memcpy(s->word, word, len);
        set->count++;
    }
    s->kind = (unsigned char)kind;
    return 0;
}

gloss__abbrev_kind gloss__abbrevs_find(const gloss__abbrevs *set,
                                       const char *word, size_t len)
{
    if (len == 0 || len > MAX_WORD)
        return GLOSS__AB_NONE;
    const slot *s = find_slot(set->slots, set->cap, word, len);
    return s->len ? (gloss__abbrev_kind)s->kind : GLOSS__AB_NONE;
}

/* Titles and other words always followed by what they qualify. */
static const char *const en_title[] = {
    "Mr", "Mrs", "Ms", "Messrs", "Mmes", "Dr", "Drs", "Prof", "Profs", "Rev",
    "Hon", "Gen", "Lt", "Col", "Maj", "Capt", "Cpt", "Sgt", "Cpl", "Adm",
    "Cmdr", "Gov", "Sen", "Rep", "Pres", "Supt", "Insp", "Fr", "Sr", "Sra",
    "Mme", "Mlle", "St", "Ste", "Mt", "Ft", "Pt", "e.g", "i.e", "E.g", "I.e",
    "eg", "Eg", "Attn", "attn", "cf", "Cf", "viz", "vs", "v", "approx",
    "ca", "resp", "incl", "excl",
    "esp", "Eng", "Ald", "Atty", "Amb", "Hr", "Hrn", "Dott", "Ing", "Mag",
    "Univ", "Dept", "Assn", "Ave", "Blvd", "Rd", "Ln", "Hwy", "Sq",
    NULL,
};

/* References that are abbreviations when a number follows. */
static const char *const en_number[] = {
    "No", "Nos", "no", "nos", "Nr", "nr", "Art", "Arts", "art", "arts", "p",
    "pp", "para", "paras", "Para", "Paras", "par", "vol", "Vol", "vols",
    "ch", "Ch", "chap", "Chap", "fig", "Fig", "figs", "sec", "Sec", "sect",
    "tel", "Tel", "ext", "Ext", "fax", "Fax", "op", "Op",
    "ed", "eds", "Ed", "ref", "Ref", "Rec", "rec", "rev", "Ann",
    "Tab", "tab", "tit", "Tit", "cl", "Cl",     NULL,
};

/* Ordinary abbreviations, which may also end a sentence. */
static const char *const en_final[] = {
    "etc", "Etc", "al", "Inc", "Ltd", "Co", "Corp", "Bros", "Jr", "Esq",
    "Plc", "plc", "LLC", "Ltda", "a.m", "p.m", "A.M", "P.M", "U.S", "U.K",
    "U.N", "E.U", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep",
    "Sept", "Oct", "Nov", "Dec", "Mon", "Tue", "Tues", "Wed", "Thu", "Thur",
    "Thurs", "Fri", "Sat", "Sun", "hrs", "yrs", "mins", "sq",
    "ft", "lb", "lbs", "oz", "Ph.D", "B.A", "M.A", "M.D", "B.Sc", "M.Sc",
    "Calif", "Fla", "Tex", "Va",     "Mich", "Minn", "Ariz", "Colo", "Okla", "Tenn", "Wis", "Md",     "Ky", "Neb", "Nev", "Wyo", "Ala", "Ark", "Ga",
    "Kan", "Dist", "Govt", "Intl", "Natl", "Assoc", "dept", "misc",
    "abt", "ibid", "Ibid", "seq", "ff", "co", "st",
    NULL,
};

static int add_list(gloss__abbrevs *set, const char *const *list,
                    gloss__abbrev_kind kind)
{
    for (size_t i = 0; list[i]; i++)
        if (gloss__abbrevs_add(set, list[i], strlen(list[i]), kind) < 0)
            return -1;
    return 0;
}

int gloss__abbrevs_add_language(gloss__abbrevs *set, const char *language)
{
    if (strcmp(language, "en") != 0)
        return -1;
    if (add_list(set, en_title, GLOSS__AB_TITLE) < 0 ||
        add_list(set, en_number, GLOSS__AB_NUMBER) < 0 ||
        add_list(set, en_final, GLOSS__AB_FINAL) < 0)
        return -1;
    return 0;
}
