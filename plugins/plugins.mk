# plugins/plugins.mk - the built-in stages and the JSON output of a
# document, with their tests.
#
# Built-in stages are compiled into libgloss.a and listed in
# lib/registry.c; the JSON writer lives here with them because normalize
# and the writer share the same rules for ill-formed UTF-8 (one U+FFFD per
# maximal ill-formed subpart), which their tests check side by side.

libgloss_a_SOURCES += \
	lib/json_out.c lib/json_out.h \
	plugins/normalize.c plugins/normalize.h \
	plugins/clean.c plugins/clean.h plugins/clean_internal.h \
	plugins/clean_lines.c plugins/clean_furniture.c \
	plugins/clean_footnotes.c plugins/clean_markup.c \
	plugins/clean_words.c plugins/clean_words.h plugins/wordlist_data.c

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

check_PROGRAMS += tests/test_clean
tests_test_clean_SOURCES = tests/test_clean.c tests/tap.h
tests_test_clean_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/plugins
tests_test_clean_LDADD = $(TEST_LIBS)
tests_test_clean_DEPENDENCIES = libgloss.a
TESTS += tests/test_clean
EXTRA_DIST += tools/wordlist.lua models/README.md models/en-words.bin \
	tests/fixtures/clean/pdf.txt tests/fixtures/clean/html.txt

# Rebuilds the word list from the training corpora in ../shared (which
# are not distributed): `make wordlist`, then commit both outputs.
GLOSS_CORPORA = $(abs_top_srcdir)/../shared/data
wordlist:
	$(LUA_INTERP) $(top_srcdir)/tools/wordlist.lua $(top_srcdir)/models/en-words.bin \
		$(top_srcdir)/plugins/wordlist_data.c \
		$(GLOSS_CORPORA)/ud_ewt/en_ewt-ud-train.conllu \
		$(GLOSS_CORPORA)/ud_ewt/en_ewt-ud-dev.conllu \
		$(GLOSS_CORPORA)/conll2003/eng.train
.PHONY: wordlist
LUA_INTERP = lua
