# plugins/plugins.mk - the built-in stages and the JSON output of a
# document, with their tests.
#
# Built-in stages are compiled into libgloss.a and listed in
# lib/registry.c; the JSON writer lives here with them because normalize
# and the writer share the same rules for ill-formed UTF-8 (one U+FFFD per
# maximal ill-formed subpart), which their tests check side by side.

libgloss_a_SOURCES += \
	lib/json_out.c lib/json_out.h \
	plugins/normalize.c plugins/normalize.h

check_PROGRAMS += tests/test_json
tests_test_json_SOURCES = tests/test_json.c tests/tap.h
tests_test_json_LDADD = $(TEST_LIBS)
tests_test_json_DEPENDENCIES = libgloss.a
TESTS += tests/test_json

check_PROGRAMS += tests/test_normalize
tests_test_normalize_SOURCES = tests/test_normalize.c tests/tap.h
tests_test_normalize_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/plugins
tests_test_normalize_LDADD = $(TEST_LIBS)
tests_test_normalize_DEPENDENCIES = libgloss.a
TESTS += tests/test_normalize

# Runs the Python snippet of docs/schema.md on the output of `gloss run`.
TESTS += tests/test_schema_snippet.sh
# (docs/schema.md itself is installed, and so distributed, by Makefile.am.)
EXTRA_DIST += tests/test_schema_snippet.sh \
	tests/fixtures/entities.lua tests/fixtures/nonascii.txt
