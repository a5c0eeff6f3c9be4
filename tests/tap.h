/*
 * tap.h - the project's Test Anything Protocol helpers, header only.
 *
 * Tests print "ok N - what" / "not ok N - what" lines and a plan, which
 * Automake's TAP driver reads. Failed comparisons print what was expected
 * and what was seen as TAP diagnostics ("# ..."), so a failure in a CI log
 * says what went wrong without rerunning the test. done_testing() prints
 * the plan at the end and returns the exit status.
 */
#ifndef GLOSS_TAP_H
#define GLOSS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n_ = 0;
static int tap_failed_ = 0;

__attribute__((format(printf, 2, 0))) static inline void tap_vreport_(int pass,
                                                         const char *fmt,
                                                         va_list ap)
{
    tap_n_++;
    if (!pass)
        tap_failed_++;
    printf("%s %d - ", pass ? "ok" : "not ok", tap_n_);
    vprintf(fmt, ap);
    putchar('\n');
    fflush(stdout);
}

__attribute__((format(printf, 2, 3))) static inline int ok(int pass,
                                                            const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tap_vreport_(pass, fmt, ap);
    va_end(ap);
    return pass;
}

__attribute__((format(printf, 1, 2))) static inline void diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("# ");
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
    fflush(stdout);
}

#define is_int(got, want, ...)                                               \
    do {                                                                     \
        long long g_ = (long long)(got), w_ = (long long)(want);             \
        if (!ok(g_ == w_, __VA_ARGS__))                                      \
            diag("got %lld, expected %lld", g_, w_);                         \
    } while (0)

#define is_str(got, want, ...)                                               \
    do {                                                                     \
        const char *g_ = (got), *w_ = (want);                                \
        int same_ = (g_ && w_) ? strcmp(g_, w_) == 0 : g_ == w_;             \
        if (!ok(same_, __VA_ARGS__))                                         \
            diag("got '%s', expected '%s'", g_ ? g_ : "(null)",              \
                 w_ ? w_ : "(null)");                                        \
    } while (0)

/* Passes when haystack contains needle. */
#define like(haystack, needle, ...)                                          \
    do {                                                                     \
        const char *h_ = (haystack), *n_ = (needle);                         \
        if (!ok(h_ && strstr(h_, n_) != NULL, __VA_ARGS__))                  \
            diag("'%s' does not contain '%s'", h_ ? h_ : "(null)", n_);      \
    } while (0)

/* Reports count tests as skipped, with the reason. */
static inline void skip(int count, const char *why)
{
    for (int i = 0; i < count; i++) {
        tap_n_++;
        printf("ok %d # SKIP %s\n", tap_n_, why);
    }
    fflush(stdout);
}

/* Skips the whole file (plan 1..0), for tests that cannot run here. */
static inline int skip_all(const char *why)
{
    printf("1..0 # SKIP %s\n", why);
    return 0;
}

static inline int done_testing(void)
{
    printf("1..%d\n", tap_n_);
    if (tap_failed_)
        diag("%d of %d tests failed", tap_failed_, tap_n_);
    return tap_failed_ ? 1 : 0;
}

#endif
