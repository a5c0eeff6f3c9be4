/*
 * gloss-docs.c - writes docs/config.md to standard output.
 *
 * `make docs` runs this program to regenerate the configuration reference
 * from the key table and the built-in stages' option tables (see
 * lib/config_docs.c). It is a program of its own, not a gloss subcommand,
 * because users never need it: the reference ships with the sources.
 */
#include <stdio.h>

#include "config.h"

int main(void)
{
    gloss__config_write_docs(stdout);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("gloss-docs: cannot write the reference");
        return 1;
    }
    return 0;
}
