/*
 * model.h - the versioned, memory-mapped container every statistical model
 * of gloss is stored in (the tagger's `pos` and `ner` models, the text
 * classifier's `classify` models).
 *
 * A model file is a fixed header (magic "GLOSSMDL", container version, the
 * model kind and its own format version, a section count, the file size and
 * a 64-bit FNV-1a checksum of the whole file, read with the checksum field
 * as zeros), a table of named
 * sections, then the sections themselves, each starting on a 64-byte
 * boundary. The layout is written out in docs/models.md.
 *
 * Writing: build the sections in memory with gloss__model_writer_add() (or
 * fill a buffer from gloss__model_writer_reserve()), then
 * gloss__model_writer_write() writes a temporary file beside the target and
 * renames it, so a reader never sees half a model.
 *
 * Reading: gloss__model_open() maps the file read-only (every worker process
 * that opens the same model shares its pages) and checks everything before
 * handing out a section: magic, versions, kind, the bounds, alignment and
 * uniqueness of every section, and the checksum. A file that fails any check
 * is refused with a message that names the file and what is wrong. Section
 * contents are little-endian; they are handed out as pointers into the map,
 * aligned to 64 bytes, so a reader may view them as arrays of fixed-width
 * numbers directly.
 */
#ifndef GLOSS_MODEL_H
#define GLOSS_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define GLOSS__MODEL_MAGIC "GLOSSMDL"
/* The container's own version: the layout of header and section table. */
#define GLOSS__MODEL_VERSION 1u
#define GLOSS__MODEL_HEADER_SIZE 64u
#define GLOSS__MODEL_ENTRY_SIZE 48u
/* Longest kind ("pos") and section name ("weights"), without the NUL. */
#define GLOSS__MODEL_KIND_MAX 15u
#define GLOSS__MODEL_NAME_MAX 31u
#define GLOSS__MODEL_ALIGN 64u
#define GLOSS__MODEL_MAX_SECTIONS 1024u

/* ---- writing ---------------------------------------------------------- */

typedef struct gloss__model_writer gloss__model_writer;

/* A writer for a model of the given kind (1 to 15 printable ASCII
 * characters) and kind-specific format version. NULL on a bad kind or
 * ENOMEM. */
gloss__model_writer *gloss__model_writer_new(const char *kind,
                                             uint32_t kind_version);

/* Adds a section holding a copy of size bytes at data. Names are 1 to 31
 * printable ASCII characters, unique within a file. Returns 0, or -1 on a
 * bad or repeated name, too many sections, or ENOMEM. */
int gloss__model_writer_add(gloss__model_writer *w, const char *name,
                            const void *data, size_t size);

/* Adds a section of size zero bytes and returns it for the caller to fill
 * before writing (the writer owns it). NULL as gloss__model_writer_add()
 * fails. */
void *gloss__model_writer_reserve(gloss__model_writer *w, const char *name,
                                  size_t size);

/* Writes the model to path: a temporary file in the same folder, flushed
 * to disk, then renamed over path. Returns 0, or -1 with a message in err
 * naming the file. The writer stays valid (and must still be freed). */
int gloss__model_writer_write(gloss__model_writer *w, const char *path,
                              char *err, size_t errlen);

/* The whole file as gloss__model_writer_write() would write it, in a new
 * buffer (free() it), for tests and fuzzers; NULL on ENOMEM. */
unsigned char *gloss__model_writer_bytes(gloss__model_writer *w, size_t *len);

void gloss__model_writer_free(gloss__model_writer *w);

/* ---- reading ---------------------------------------------------------- */

typedef struct gloss__model gloss__model;

/* Maps the model at path and checks it. kind, when not NULL, is the kind
 * the caller reads (a file of another kind is refused, naming both);
 * max_kind_version is the newest kind-specific version the caller
 * understands (newer files are refused, as are version 0). Returns NULL
 * with a message in err on any failure. */
gloss__model *gloss__model_open(const char *path, const char *kind,
                                uint32_t max_kind_version, char *err,
                                size_t errlen);

/* The same checks over bytes already in memory (which must outlive the
 * model, and be 64-byte aligned for the sections to be; the fuzzer uses
 * this). label names the bytes in messages. */
gloss__model *gloss__model_from_memory(const void *data, size_t len,
                                       const char *label, const char *kind,
                                       uint32_t max_kind_version, char *err,
                                       size_t errlen);

/* The section called name and its size, or NULL when the file has none. */
const void *gloss__model_section(const gloss__model *m, const char *name,
                                 size_t *size);

/* The number of sections and the name of section i (in file order). */
uint32_t gloss__model_section_count(const gloss__model *m);
const char *gloss__model_section_name(const gloss__model *m, uint32_t i);

const char *gloss__model_kind(const gloss__model *m);
uint32_t gloss__model_kind_version(const gloss__model *m);
/* The path (or label) the model was opened from. */
const char *gloss__model_path(const gloss__model *m);
/* The file's size in bytes. */
size_t gloss__model_size(const gloss__model *m);

/* Unmaps and frees; NULL is allowed. */
void gloss__model_close(gloss__model *m);

/* 64-bit FNV-1a of len bytes, continuing from h (start with
 * GLOSS__FNV_BASIS): the container's checksum, also handy for hashing
 * features. */
#define GLOSS__FNV_BASIS 0xcbf29ce484222325ull
uint64_t gloss__fnv1a64(uint64_t h, const void *data, size_t len);

#endif
