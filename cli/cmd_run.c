/*
 * cmd_run.c - `gloss run`: the pipeline, offline, over files.
 *
 * Each file (or standard input) is one document. Documents are read and
 * processed in batches, so that a Lua stage with process_batch() sees many
 * at once while memory stays bounded by the batch, and each result is
 * printed as one JSON line as soon as its batch is done. A document that
 * fails is reported on stderr with the stage and the reason, and (with
 * --errors) written with its errors to a file, so that nothing vanishes;
 * the exit status is then 1.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "cli.h"
#include "json_out.h"

#define DEFAULT_BATCH 16
#define BATCH_BYTES ((size_t)64 << 20)

static void usage(FILE *out)
{
    fprintf(out,
"usage: gloss run [OPTIONS] FILE...|DIR|-\n"
"\n"
"Runs the pipeline on each FILE (every regular file of a DIR, in name order;\n"
"'-' reads standard input) as one document, and prints one JSON document per\n"
"line (see docs/schema.md). Without -c, the embedded default configuration\n"
"runs.\n"
"\n"
"Options:\n"
"  -c, --config FILE      the configuration to run (docs/config.md)\n"
"  -s, --stage NAME       run only this stage: a built-in name, a plugin\n"
"                         (x.so) or a Lua script (x.lua)\n"
"  -O, --option KEY=VAL   an option of --stage (VAL is read as JSON when it\n"
"                         parses, else as a string); repeatable\n"
"  -p, --pretty           indent the JSON for humans\n"
"      --offsets KIND     'codepoints' (default) or 'bytes'\n"
"      --no-text          leave the text out of the output\n"
"      --original         include the original text when a stage changed it\n"
"      --timings          include per-stage timings (nanoseconds)\n"
"      --id ID            the id of the document read from standard input\n"
"      --source NAME      the source recorded on every document (default 'file')\n"
"      --errors FILE      also write each failed document, with its errors,\n"
"                         as a JSON line to FILE\n"
"      --batch N          documents per batch (default %d)\n"
"  -h, --help             show this help\n"
"\n"
"Exit status: 0 when every document went through, 1 when any failed or could\n"
"not be read, 2 for a usage or configuration error.\n",
            DEFAULT_BATCH);
}

typedef struct run_state {
    gloss__pipeline *pipeline;
    gloss__json_opts json;
    const char *source;
    const char *stdin_id;
    FILE *errors;         /* --errors, or NULL */
    gloss__buf out;       /* reused output buffer */
    gloss_doc **batch;
    size_t batch_n, batch_cap, batch_bytes;
    gloss__doc_status *status;
    unsigned long docs, failed, dropped, unreadable;
} run_state;

static void report_failure(run_state *rs, gloss_doc *doc)
{
    const char *stage = "pipeline", *msg = "failed";
    size_t n = gloss_doc_error_count(doc);
    if (n)
        gloss_doc_error_at(doc, n - 1, &stage, &msg);
    fprintf(stderr, "gloss run: %s: stage '%s' failed: %s\n", gloss_doc_id(doc),
            stage, msg);
    if (rs->errors) {
        gloss__buf_clear(&rs->out);
        gloss__json_opts opts = rs->json;
        opts.pretty = 0;
        if (gloss__doc_to_json(doc, &opts, &rs->out) == 0) {
            gloss__buf_addc(&rs->out, '\n');
            fwrite(rs->out.data, 1, rs->out.len, rs->errors);
        }
    }
}

static int flush_batch(run_state *rs)
{
    if (rs->batch_n == 0)
        return 0;
    gloss__pipeline_run(rs->pipeline, rs->batch, rs->batch_n, rs->status);
    int rc = 0;
    for (size_t i = 0; i < rs->batch_n; i++) {
        gloss_doc *doc = rs->batch[i];
        rs->docs++;
        switch (rs->status[i]) {
        case GLOSS__DOC_OK:
            gloss__buf_clear(&rs->out);
            if (gloss__doc_to_json(doc, &rs->json, &rs->out) < 0) {
                fprintf(stderr, "gloss run: %s: out of memory writing JSON\n",
                        gloss_doc_id(doc));
                rs->failed++;
                break;
            }
            gloss__buf_addc(&rs->out, '\n');
            if (fwrite(rs->out.data, 1, rs->out.len, stdout) != rs->out.len)
                rc = -1;
            break;
        case GLOSS__DOC_DROPPED:
            rs->dropped++;
            break;
        case GLOSS__DOC_FAILED:
            rs->failed++;
            report_failure(rs, doc);
            break;
        }
        gloss_doc_destroy(&rs->batch[i]);
    }
    rs->batch_n = 0;
    rs->batch_bytes = 0;
    if (fflush(stdout) != 0)
        rc = -1;
    return rc;
}

static int add_document(run_state *rs, const char *path)
{
    gloss__buf text = GLOSS__BUF_INIT;
    if (gloss__buf_read_file(&text, path) < 0) {
        fprintf(stderr, "gloss run: cannot read %s: %s\n",
                strcmp(path, "-") == 0 ? "standard input" : path,
                strerror(errno));
        gloss__buf_free(&text);
        rs->unreadable++;
        return 0;
    }
    const char *id = path;
    if (strcmp(path, "-") == 0)
        id = rs->stdin_id ? rs->stdin_id : "stdin";
    gloss_doc *doc = gloss_doc_new(id, rs->source, text.data, text.len);
    if (!doc) {
        fprintf(stderr, "gloss run: %s: %s\n", path,
                errno == EFBIG ? "document larger than 4 GiB" : strerror(errno));
        gloss__buf_free(&text);
        rs->unreadable++;
        return 0;
    }
    if (strcmp(path, "-") != 0)
        gloss_doc_meta_set_string(doc, "path", path);
    rs->batch[rs->batch_n++] = doc;
    rs->batch_bytes += text.len;
    gloss__buf_free(&text);
    if (rs->batch_n == rs->batch_cap || rs->batch_bytes >= BATCH_BYTES)
        return flush_batch(rs);
    return 0;
}

/* Adds every regular, non-hidden file of dir, in name order. */
static int add_directory(run_state *rs, const char *dir)
{
    char **names;
    size_t n;
    if (gloss__cli_list_folder(dir, &names, &n) < 0) {
        fprintf(stderr, "gloss run: cannot open folder %s: %s\n", dir,
                strerror(errno));
        rs->unreadable++;
        return 0;
    }
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            rc = add_document(rs, names[i]);
        free(names[i]);
    }
    free(names);
    return rc;
}

int gloss__cmd_run(int argc, char **argv)
{
    enum { OPT_OFFSETS = 256, OPT_NO_TEXT, OPT_ORIGINAL, OPT_TIMINGS, OPT_ID,
           OPT_SOURCE, OPT_ERRORS, OPT_BATCH };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"stage", required_argument, NULL, 's'},
        {"option", required_argument, NULL, 'O'},
        {"pretty", no_argument, NULL, 'p'},
        {"offsets", required_argument, NULL, OPT_OFFSETS},
        {"no-text", no_argument, NULL, OPT_NO_TEXT},
        {"original", no_argument, NULL, OPT_ORIGINAL},
        {"timings", no_argument, NULL, OPT_TIMINGS},
        {"id", required_argument, NULL, OPT_ID},
        {"source", required_argument, NULL, OPT_SOURCE},
        {"errors", required_argument, NULL, OPT_ERRORS},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *stage = NULL, *offsets = NULL;
    const char *errors_path = NULL;
    int pretty = 0, no_text = 0, original = 0, timings = 0;
    long batch = DEFAULT_BATCH;
    run_state rs = {.source = "file", .out = GLOSS__BUF_INIT};
    json_t *options = json_object();
    int status = GLOSS_EXIT_USAGE;
    gloss__config *cfg = NULL;

    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "c:s:O:ph", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 's': stage = optarg; break;
        case 'O':
            if (gloss__cli_add_option(options, optarg) < 0) {
                fprintf(stderr, "gloss run: --option wants KEY=VALUE, got '%s'\n",
                        optarg);
                goto out;
            }
            break;
        case 'p': pretty = 1; break;
        case OPT_OFFSETS: offsets = optarg; break;
        case OPT_NO_TEXT: no_text = 1; break;
        case OPT_ORIGINAL: original = 1; break;
        case OPT_TIMINGS: timings = 1; break;
        case OPT_ID: rs.stdin_id = optarg; break;
        case OPT_SOURCE: rs.source = optarg; break;
        case OPT_ERRORS: errors_path = optarg; break;
        case OPT_BATCH: {
            char *end;
            batch = strtol(optarg, &end, 10);
            if (*end || batch < 1 || batch > 100000) {
                fprintf(stderr, "gloss run: --batch wants a number from 1 to "
                                "100000, got '%s'\n", optarg);
                goto out;
            }
            break;
        }
        case 'h':
            usage(stdout);
            status = GLOSS_EXIT_OK;
            goto out;
        default:
            fprintf(stderr, "Run 'gloss run --help' for the options.\n");
            goto out;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "gloss run: no input: name files, a folder, or '-' for "
                        "standard input\n");
        goto out;
    }
    if (config && stage) {
        fprintf(stderr, "gloss run: --config and --stage exclude each other\n");
        goto out;
    }
    if (json_object_size(options) && !stage) {
        fprintf(stderr, "gloss run: --option applies to --stage only; put the "
                        "options of a configured stage in its configuration\n");
        goto out;
    }
    if (offsets && strcmp(offsets, "bytes") != 0 &&
        strcmp(offsets, "codepoints") != 0) {
        fprintf(stderr, "gloss run: --offsets wants 'codepoints' or 'bytes', "
                        "got '%s'\n", offsets);
        goto out;
    }

    if (gloss__cli_pipeline("gloss run", config, stage, options, &cfg,
                            &rs.pipeline) < 0)
        goto out;

    rs.json.offsets = cfg->offsets;
    if (offsets)
        rs.json.offsets = strcmp(offsets, "bytes") == 0 ? GLOSS__OFFSETS_BYTES
                                                        : GLOSS__OFFSETS_CODEPOINTS;
    rs.json.text = cfg->output_text && !no_text;
    rs.json.original = cfg->output_original || original;
    rs.json.timings = timings;
    rs.json.pretty = pretty;

    if (errors_path && !(rs.errors = fopen(errors_path, "w"))) {
        fprintf(stderr, "gloss run: cannot write %s: %s\n", errors_path,
                strerror(errno));
        goto out;
    }
    rs.batch_cap = (size_t)batch;
    rs.batch = calloc(rs.batch_cap, sizeof(*rs.batch));
    rs.status = calloc(rs.batch_cap, sizeof(*rs.status));
    if (!rs.batch || !rs.status) {
        fprintf(stderr, "gloss run: out of memory\n");
        goto out;
    }

    int rc = 0;
    for (int i = optind; i < argc && rc == 0; i++) {
        struct stat st;
        if (strcmp(argv[i], "-") != 0 && stat(argv[i], &st) == 0 &&
            S_ISDIR(st.st_mode))
            rc = add_directory(&rs, argv[i]);
        else
            rc = add_document(&rs, argv[i]);
    }
    if (rc == 0)
        rc = flush_batch(&rs);
    if (rc < 0) {
        fprintf(stderr, "gloss run: cannot write the output: %s\n",
                strerror(errno));
        status = GLOSS_EXIT_FAILED;
        goto out;
    }
    if (rs.failed || rs.unreadable)
        fprintf(stderr, "gloss run: %lu of %lu documents failed%s\n",
                rs.failed + rs.unreadable, rs.docs + rs.unreadable,
                errors_path ? "; failed documents are in the --errors file" : "");
    status = (rs.failed || rs.unreadable) ? GLOSS_EXIT_FAILED : GLOSS_EXIT_OK;

out:
    for (size_t i = 0; i < rs.batch_n; i++)
        gloss_doc_destroy(&rs.batch[i]);
    free(rs.batch);
    free(rs.status);
    if (rs.errors && fclose(rs.errors) != 0 && status == GLOSS_EXIT_OK) {
        fprintf(stderr, "gloss run: cannot write %s: %s\n", errors_path,
                strerror(errno));
        status = GLOSS_EXIT_FAILED;
    }
    gloss__buf_free(&rs.out);
    gloss__pipeline_destroy(&rs.pipeline);
    gloss__config_destroy(&cfg);
    json_decref(options);
    return status;
}
