# tests/tests.mk - the test suite, run by `make check` through Automake's
# TAP driver. Each test is a C program or a shell script printing TAP.
#
# Tests find the source tree, the build tree and the programs through the
# environment below; tests that need ../shared (the training corpora and
# the sample documents) skip when it is absent, as on a user's clone.

LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
TEST_EXTENSIONS = .sh

# Every test runs under a watchdog: a test still running after
# GLOSS_TEST_TIMEOUT seconds is killed with everything it started (timeout
# signals its whole process group), and the TAP driver reports it as an
# error ("exited with status 124") naming the test, instead of the suite
# waiting forever. The slowest test takes about two minutes under valgrind.
GLOSS_TEST_TIMEOUT = 600
GLOSS_WATCHDOG = timeout -k 10 $(GLOSS_TEST_TIMEOUT)
LOG_COMPILER = $(GLOSS_WATCHDOG)
SH_LOG_DRIVER = $(LOG_DRIVER)
SH_LOG_COMPILER = $(GLOSS_WATCHDOG) $(SHELL)

AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)'; export top_srcdir; \
	top_builddir='$(abs_top_builddir)'; export top_builddir; \
	GLOSS='$(abs_top_builddir)/gloss'; export GLOSS; \
	GLOSSD='$(abs_top_builddir)/glossd'; export GLOSSD; \
	ZPROBE='$(abs_top_builddir)/tests/zprobe'; export ZPROBE; \
	GLOSS_SCRIPT_PATH='$(abs_top_srcdir)/scripts'; export GLOSS_SCRIPT_PATH; \
	GLOSS_LEXICON_DIR='$(abs_top_srcdir)/lexicon'; export GLOSS_LEXICON_DIR; \
	GLOSS_MODEL_PATH='$(abs_top_srcdir)/models'; export GLOSS_MODEL_PATH; \
	GLOSS_SHARED='$(abs_top_srcdir)/../shared'; export GLOSS_SHARED; \
	PKG_CONFIG_PATH='$(abs_top_builddir)'; export PKG_CONFIG_PATH; \
	CC='$(CC)'; export CC; \
	LSAN_OPTIONS='suppressions=$(abs_top_srcdir)/tests/lsan.supp'; export LSAN_OPTIONS;

# Unit tests link only the engine objects they use. Tests that load
# plugins link the whole engine the way gloss does (GLOSS_ENGINE_LIBS and
# GLOSS_ENGINE_LINK), so that plugins resolve the API against them.
TEST_LIBS = libgloss.a $(GLOSS_DEPS_LIBS)

EXTRA_DIST += tests/tap.h tests/lsan.supp

check_PROGRAMS += tests/test_doc
tests_test_doc_SOURCES = tests/test_doc.c tests/tap.h
tests_test_doc_LDADD = $(TEST_LIBS)
tests_test_doc_DEPENDENCIES = libgloss.a
TESTS += tests/test_doc

EXTRA_DIST += tests/tap.sh tests/plugins/bad_abi.c tests/plugins/no_symbol.c \
	tests/plugins/needs_missing.c tests/plugins/crash_in_worker.c \
	examples/plugins/acronyms.c \
	tests/fixtures/docs/resolution.txt tests/fixtures/docs/article.txt \
	tests/fixtures/docs/invalid-utf8.txt
TESTS += tests/test_plugin.sh tests/test_run.sh tests/test_daemon.sh
EXTRA_DIST += tests/test_plugin.sh tests/test_run.sh tests/test_daemon.sh \
	tests/fixtures/daemon/slow.lua

# make check-valgrind: the C unit tests again under valgrind, where any
# invalid access or leak fails the test. (The shell tests run the gloss
# binary; the sanitizer build in .ci/run covers those.)
VALGRIND_CMD = valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99
check-valgrind:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS="$(filter-out %.sh,$(TESTS))" \
		LOG_COMPILER="$(GLOSS_WATCHDOG) $(VALGRIND_CMD)"
.PHONY: check-valgrind

# The raw-frame client of the daemon tests (bad input no real client sends).
check_PROGRAMS += tests/zprobe
tests_zprobe_SOURCES = tests/zprobe.c
tests_zprobe_LDADD = $(TEST_LIBS)
tests_zprobe_DEPENDENCIES = libgloss.a

check_PROGRAMS += tests/test_bytescan
tests_test_bytescan_SOURCES = tests/test_bytescan.c tests/tap.h
TESTS += tests/test_bytescan
if GLOSS_NO_SSE2_FLAG
# The same test with SSE2 turned off: the scanners' portable path.
check_PROGRAMS += tests/test_bytescan_portable
tests_test_bytescan_portable_SOURCES = tests/test_bytescan.c tests/tap.h
tests_test_bytescan_portable_CFLAGS = $(AM_CFLAGS) -mno-sse2
TESTS += tests/test_bytescan_portable
endif
