/*
 * config.h - the loaded, checked configuration of a pipeline.
 *
 * A configuration is a Lua file that returns a table (see docs/config.md).
 * It is evaluated in a restricted Lua state, then checked against the
 * declarative key table in config_keys.c: every key known, every value of
 * the right type, defaults filled in. What comes out is plain C data with
 * stage options as JSON objects, so the Lua state that read the file is
 * closed before anything runs, and a worker can rebuild its pipeline from
 * the same data.
 *
 * Errors name the file and the key path ("pipeline[3].modle: unknown key;
 * did you mean 'model'?") so a user can find the mistake without reading the
 * engine's source.
 */
#ifndef GLOSS_CONFIG_H
#define GLOSS_CONFIG_H

#include <jansson.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

/* What a stage failure does to the document. */
typedef enum gloss__on_error {
    GLOSS__ON_ERROR_FAIL = 0, /* the document fails: error output, exit 1 */
    GLOSS__ON_ERROR_CONTINUE, /* the error is recorded; later stages run */
    GLOSS__ON_ERROR_DROP      /* the document is dropped, silently counted */
} gloss__on_error;

typedef enum gloss__offsets {
    GLOSS__OFFSETS_CODEPOINTS = 0,
    GLOSS__OFFSETS_BYTES
} gloss__offsets;

/* One entry of the pipeline list. Exactly one of stage, plugin and script
 * is set. */
typedef struct gloss__stage_conf {
    char *key_path;  /* "pipeline[2]", for messages */
    char *name;      /* instance name: given, or the stage/script's name */
    char *stage;     /* built-in stage, or a plugin found in plugin_paths */
    char *plugin;    /* an explicit .so path, resolved against the config */
    char *script;    /* a Lua script path, resolved (see config.c) */
    json_t *options; /* object, owned; checked later against the stage */
    gloss__on_error on_error;
    uint64_t max_instructions; /* Lua: VM instructions per call; 0 = none */
    size_t max_memory;         /* Lua: bytes per state; 0 = none */
} gloss__stage_conf;

/* A route: extra topics a processed document is published on, derived from
 * its annotations (docs/protocol.md). Exactly one of labels and layer is
 * set. */
typedef struct gloss__route {
    char *labels;     /* label group whose names become topics ("topic") */
    char *layer;      /* layer whose span labels become topics ("entities") */
    char *prefix;     /* topic prefix: "label" gives "label.torture" */
    double min_score; /* labels: the least score that routes */
} gloss__route;

/* The `daemon` table: what glossd needs beyond the pipeline. */
typedef struct gloss__daemon_conf {
    char *submit;             /* ROUTER endpoint; "" disables it */
    char *feed;               /* PULL endpoint; "" disables it */
    char *publish;            /* PUB endpoint */
    char *control;            /* ROUTER endpoint */
    char *run_dir;            /* where the private ipc folder is made */
    unsigned workers;         /* worker processes; 0 = number of cores */
    unsigned credit;          /* jobs a worker holds at most */
    uint64_t hold_ns;         /* work a worker holds, by its mean; 0: any */
    uint64_t spread_ns;       /* busy workers' work before idle ones get any */
    double deadline;          /* seconds a document may take */
    size_t max_document_size; /* bytes of text */
    size_t max_inflight_documents;
    size_t max_inflight_bytes;
    int publish_hwm;          /* ZMQ_SNDHWM of the publish socket */
    gloss__route *routes;
    size_t n_routes;
} gloss__daemon_conf;

typedef struct gloss__config {
    char *path;           /* the file, or "(embedded default)" */
    char *dir;            /* folder relative paths are resolved against */
    char **script_paths;  /* folders searched for scripts and require() */
    size_t n_script_paths;
    char **plugin_paths;  /* folders searched for <stage>.so */
    size_t n_plugin_paths;
    gloss__stage_conf *stages;
    size_t n_stages;
    gloss__offsets offsets; /* output.offsets */
    int output_text;        /* output.text: include the text in JSON */
    int output_original;    /* output.original: include the original text */
    json_t *raw;            /* the whole checked table, defaults filled */
    gloss__daemon_conf daemon; /* the daemon table, defaults filled */
    char *source;           /* the Lua source the configuration came from */
    size_t source_len;      /* (glossd sends it to its workers) */
} gloss__config;

/*
 * Loads and checks the configuration in the file at path; path NULL loads
 * the embedded default. Returns NULL on failure with a message in err
 * that names the file and the key path.
 */
gloss__config *gloss__config_load(const char *path, char *err, size_t errlen);

/* Same, from a string: name is used in messages, dir for relative paths. */
gloss__config *gloss__config_load_string(const char *src, size_t len,
                                         const char *name, const char *dir,
                                         char *err, size_t errlen);

/* Builds a one-stage configuration for `gloss run --stage`: target is a
 * stage name, a .so path or a .lua path; options a JSON object or NULL. */
gloss__config *gloss__config_single(const char *target, json_t *options,
                                    char *err, size_t errlen);

void gloss__config_destroy(gloss__config **cfg);

/* Writes the Markdown reference of every configuration key (docs/config.md)
 * and of every built-in stage's options. */
void gloss__config_write_docs(FILE *out);

/* The embedded default configuration, as Lua source. */
extern const char gloss__default_config[];

#endif
