/*
 * acronyms.c - an example of an external gloss stage, built out of tree:
 *
 *     cc $(pkg-config --cflags gloss) -shared -fPIC -o acronyms.so acronyms.c
 *
 * It marks acronyms - whole words of at least min_length capital letters,
 * such as OSCE, EEAS or ODIHR - as spans of the "acronyms" layer, with the
 * acronym itself as the label, and counts them in a document label. Texts
 * about institutions are full of them, and a downstream service can build
 * an index of who is mentioned from this layer alone.
 *
 * It shows the parts of the stage API a plugin needs: an option table that
 * the engine checks, an init() that reads the options into a context, a
 * process() that adds spans and labels, and fini().
 */
#include <gloss/stage.h>
#include <stdlib.h>
#include <string.h>

typedef struct acronyms {
    long long min_length;
    const char *layer;
} acronyms;

static const gloss_option options[] = {
    {"min_length", GLOSS_OPT_INTEGER, "2",
     "The fewest capital letters a word needs to count as an acronym.", NULL},
    {"layer", GLOSS_OPT_STRING, "\"acronyms\"",
     "The layer the acronyms are added to.", NULL},
    {NULL, 0, NULL, NULL, NULL},
};

static int init(void **ctx, const gloss_opts *opts, gloss_err *err)
{
    acronyms *a = malloc(sizeof(*a));
    if (!a) {
        gloss_err_set(err, "out of memory");
        return GLOSS_ERROR;
    }
    a->min_length = gloss_opts_integer(opts, "min_length");
    if (a->min_length < 1) {
        gloss_err_set(err, "min_length must be at least 1, not %lld",
                      a->min_length);
        free(a);
        return GLOSS_ERROR;
    }
    /* Option strings live as long as the stage instance. */
    a->layer = gloss_opts_string(opts, "layer");
    *ctx = a;
    return GLOSS_OK;
}

static int is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }

/* Letters, digits and any byte of a non-ASCII character count as word
 * characters, so that "OSCEs" or "ÉCOLE" are not cut into acronyms. */
static int is_word(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || is_upper(c) || (c >= '0' && c <= '9') ||
           c >= 0x80;
}

static int process(void *ctx, gloss_doc *doc, gloss_err *err)
{
    const acronyms *a = ctx;
    size_t len;
    const unsigned char *text = (const unsigned char *)gloss_doc_text(doc, &len);
    gloss_layer *layer = NULL;
    double count = 0;
    size_t i = 0;
    while (i < len) {
        if (!is_word(text[i])) {
            i++;
            continue;
        }
        size_t start = i, upper = 0;
        while (i < len && is_word(text[i]))
            upper += is_upper(text[i++]);
        if (upper != i - start || (long long)upper < a->min_length)
            continue;
        if (!layer && !(layer = gloss_doc_layer(doc, a->layer, 1))) {
            gloss_err_set(err, "out of memory");
            return GLOSS_ERROR;
        }
        char label[64];
        size_t n = i - start < sizeof label - 1 ? i - start : sizeof label - 1;
        memcpy(label, text + start, n);
        label[n] = '\0';
        if (!gloss_layer_add(layer, start, i, label)) {
            gloss_err_set(err, "cannot add span [%zu, %zu)", start, i);
            return GLOSS_ERROR;
        }
        count++;
    }
    if (count > 0)
        gloss_doc_set_label(doc, "acronyms", "count", count);
    return GLOSS_OK;
}

static void fini(void *ctx) { free(ctx); }

GLOSS_STAGE_EXPORT = {
    .abi = GLOSS_STAGE_ABI,
    .name = "acronyms",
    .description = "Marks words written in capitals (OSCE, EEAS) as acronyms.",
    .options = options,
    .init = init,
    .process = process,
    .fini = fini,
};
