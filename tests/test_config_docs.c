/*
 * test_config_docs.c - docs/config.md must be what the code generates.
 *
 * The configuration reference is generated from the key table and the
 * built-in stages' option tables (lib/config_docs.c). This test writes it
 * again and compares it with the file in the source tree, so that a new
 * key or option cannot ship undocumented: when they differ it shows the
 * first differing line and says to run `make docs`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "tap.h"

/* Prints the first line where a and b differ, as TAP diagnostics. */
static void show_difference(const char *a, const char *b)
{
    size_t line = 1;
    const char *la = a, *lb = b;
    while (*a && *a == *b) {
        if (*a == '\n') {
            line++;
            la = a + 1;
            lb = b + 1;
        }
        a++;
        b++;
    }
    diag("first difference on line %zu:", line);
    diag("docs/config.md: %.*s", (int)strcspn(la, "\n"), la);
    diag("generated:      %.*s", (int)strcspn(lb, "\n"), lb);
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    if (!top)
        return skip_all("top_srcdir is not set (make check sets it)");

    char *generated = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&generated, &len);
    if (!out)
        return skip_all("open_memstream failed");
    gloss__config_write_docs(out);
    fclose(out);

    char path[4096];
    snprintf(path, sizeof path, "%s/docs/config.md", top);
    gloss__buf file = GLOSS__BUF_INIT;
    int read = gloss__buf_read_file(&file, path) == 0;
    ok(read, "docs/config.md exists");
    if (read) {
        const char *have = file.data ? file.data : "";
        int same = strcmp(have, generated) == 0;
        ok(same, "docs/config.md is what the key and option tables generate");
        if (!same) {
            show_difference(have, generated);
            diag("run `make docs` to regenerate docs/config.md");
        }
    } else {
        diag("run `make docs` to generate docs/config.md");
    }
    ok(strstr(generated, "### `pipeline[].on_error`") != NULL,
       "nested keys are documented under their parent's name");
    ok(strstr(generated, "### `normalize`") != NULL,
       "the built-in stages have a section each");
    gloss__buf_free(&file);
    free(generated);
    return done_testing();
}
