/*
 * match_test.h - helpers shared by the matcher's tests (test_match.c,
 * test_match_lead.c): files written into a test's temporary folder, a
 * matcher's matches as one readable string, and a document run through a
 * pipeline built from a configuration text.
 *
 * The folder is the test's own: match_test_mkdir makes it before any
 * helper runs, match_test_rmdir removes it at the end.
 */
#ifndef GLOSS_MATCH_TEST_H
#define GLOSS_MATCH_TEST_H

#include <stddef.h>

#include "gloss/doc.h"
#include "match.h"

/* The test's temporary folder: files and configurations live there. */
extern const char *match_test_dir;

/* Makes the folder from tmpl (mkdtemp's XXXXXX template, changed in
 * place) and makes it match_test_dir; NULL when it cannot. */
const char *match_test_mkdir(char *tmpl);

/* Removes the folder and everything in it; 0, or -1 when it could not. */
int match_test_rmdir(void);

/* Writes text to NAME in the folder and returns its path (one of four
 * static buffers, so that a few paths can be held at once). */
char *match_test_write(const char *name, const char *text);

/* The matches of m in text, written "LABEL[text]" and joined by spaces,
 * or "error: ..." (a static buffer). */
const char *match_test_found(gloss__matcher *m, const char *text);

/* Runs text through a pipeline built from the configuration src; the
 * document, or NULL with the message in err. */
gloss_doc *match_test_run(const char *src, const char *text, char *err, size_t len);

#endif
