/*
 * classify_data.h - labelled texts for training and evaluating a
 * classifier, read from JSON Lines.
 *
 * Each non-blank line is an object with "text" (a string) and either
 * "label" (a string) or "labels" (a list of strings, possibly empty); other
 * members (an "id", say) are ignored. Label names are numbered in sorted
 * order, so that the same data always gives the same numbering whatever
 * the order of its lines.
 */
#ifndef GLOSS_CLASSIFY_DATA_H
#define GLOSS_CLASSIFY_DATA_H

#include <stddef.h>
#include <stdint.h>

typedef struct gloss__cls_data {
    size_t n;           /* examples */
    char **text;        /* n texts, NUL-terminated */
    size_t *len;        /* their lengths in bytes */
    size_t *lab_start;  /* n + 1 offsets into lab */
    uint32_t *lab;      /* label numbers of example i: lab[lab_start[i]..
                           lab_start[i+1]) */
    char **names;       /* nnames label names, sorted */
    size_t nnames;
    size_t bytes;       /* total length of the texts */
    int multi;          /* some line had "labels" */
} gloss__cls_data;

/*
 * Reads path ("-" for standard input). Returns 0, or -1 with a message in
 * err naming the file and line of the first bad one.
 */
int gloss__cls_data_read(const char *path, gloss__cls_data *d, char *err,
                         size_t errlen);

void gloss__cls_data_free(gloss__cls_data *d);

#endif
