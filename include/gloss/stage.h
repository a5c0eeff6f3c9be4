/*
 * gloss/stage.h - the interface of a C pipeline stage.
 *
 * A stage is described by one static, constant gloss_stage_desc: its ABI
 * version, name, the options it accepts, and three callbacks. The descriptor
 * is shared by every instance; what an instance needs (a compiled model, a
 * table built from its options) lives in the context pointer that init()
 * returns and fini() frees. The same stage may appear twice in a pipeline
 * with different options, so a stage keeps no state of its own outside that
 * context.
 *
 * Built-in stages are registered at build time. An external stage is a
 * shared object that exports the descriptor under the name "gloss_stage":
 *
 *     #include <gloss/stage.h>
 *     static int shout(void *ctx, gloss_doc *doc, gloss_err *err) { ... }
 *     GLOSS_STAGE_EXPORT = {
 *         .abi = GLOSS_STAGE_ABI,
 *         .name = "shout",
 *         .description = "Marks every word in capitals.",
 *         .process = shout,
 *     };
 *
 * built with: cc $(pkg-config --cflags gloss) -shared -fPIC -o shout.so shout.c
 *
 * The loader refuses a file whose descriptor is missing or whose abi field
 * differs from the GLOSS_STAGE_ABI it was built with; abi is the first field
 * so that it can be read whatever the rest of the layout.
 *
 * Options: the engine checks a stage's options against its table before
 * init() runs. An unknown option, a wrong type or a value outside choices is a
 * configuration error naming the key path; absent options take their
 * defaults. init() then reads them with the gloss_opts_* getters, which never
 * fail for a declared option.
 */
#ifndef GLOSS_STAGE_H
#define GLOSS_STAGE_H

#include <gloss/doc.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever the descriptor or a public struct changes layout. */
#define GLOSS_STAGE_ABI 1u

/* The symbol an external stage exports. */
#define GLOSS_STAGE_SYMBOL "gloss_stage"

#if defined(__GNUC__)
#define GLOSS_STAGE_EXPORT \
    __attribute__((visibility("default"))) const gloss_stage_desc gloss_stage
#else
#define GLOSS_STAGE_EXPORT const gloss_stage_desc gloss_stage
#endif

/* Return values of the callbacks. */
#define GLOSS_OK 0
#define GLOSS_ERROR (-1)

/* The message of a failed callback; written with gloss_err_set(). */
typedef struct gloss_err gloss_err;
void gloss_err_set(gloss_err *err, const char *fmt, ...) GLOSS_PRINTF(2, 3);

/* The validated options of one stage instance. */
typedef struct gloss_opts gloss_opts;

typedef enum gloss_opt_type {
    GLOSS_OPT_STRING = 1, /* a string; choices may restrict it */
    GLOSS_OPT_NUMBER,     /* any number */
    GLOSS_OPT_INTEGER,    /* a whole number */
    GLOSS_OPT_BOOL,       /* true or false */
    GLOSS_OPT_SIZE,       /* bytes: a number or a string such as "64M" */
    GLOSS_OPT_STRINGS,    /* a list of strings */
    GLOSS_OPT_JSON        /* any value; read as JSON text */
} gloss_opt_type;

/* One option of a stage. A table of them ends with an entry whose name is
 * NULL. default_value is written as JSON ("true", "10", "\"NFC\"", "[]");
 * NULL means the option has no default and is required. */
typedef struct gloss_option {
    const char *name;
    gloss_opt_type type;
    const char *default_value;
    const char *description;
    const char *const *choices; /* NULL-terminated allowed strings, or NULL */
} gloss_option;

typedef struct gloss_stage_desc {
    uint32_t abi;            /* GLOSS_STAGE_ABI; always the first field */
    const char *name;        /* what a configuration calls the stage */
    const char *description; /* one sentence for `gloss stages` and docs */
    const gloss_option *options; /* accepted options, or NULL for none */

    /* Builds an instance from its options and stores it in *ctx. Optional.
     * Returns GLOSS_OK, or GLOSS_ERROR with a message in err. */
    int (*init)(void **ctx, const gloss_opts *opts, gloss_err *err);

    /* Processes one document. Required. Returns GLOSS_OK, or GLOSS_ERROR
     * with a message in err; the pipeline then applies the stage's on_error
     * policy. To filter a document out, call gloss_doc_drop() and return
     * GLOSS_OK. */
    int (*process)(void *ctx, gloss_doc *doc, gloss_err *err);

    /* Frees what init() built. Optional. */
    void (*fini)(void *ctx);
} gloss_stage_desc;

/* ---- reading options ------------------------------------------------------ */

/* The instance's name in the pipeline (the stage name unless renamed). */
const char *gloss_opts_instance(const gloss_opts *opts);

const char *gloss_opts_string(const gloss_opts *opts, const char *name);
double gloss_opts_number(const gloss_opts *opts, const char *name);
long long gloss_opts_integer(const gloss_opts *opts, const char *name);
int gloss_opts_bool(const gloss_opts *opts, const char *name);
size_t gloss_opts_size(const gloss_opts *opts, const char *name);
size_t gloss_opts_strings_count(const gloss_opts *opts, const char *name);
const char *gloss_opts_strings_at(const gloss_opts *opts, const char *name,
                                  size_t i);
/* The option as compact JSON, in a string the caller frees with free(). */
char *gloss_opts_json(const gloss_opts *opts, const char *name);

/*
 * Resolves a file name given in an option: absolute names are kept, others
 * are taken relative to the folder of the configuration file that named
 * them. Returns a string the caller frees with free(), or NULL on ENOMEM.
 */
char *gloss_opts_path(const gloss_opts *opts, const char *file);

#ifdef __cplusplus
}
#endif

#endif /* GLOSS_STAGE_H */
