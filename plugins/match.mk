# plugins/match.mk - the built-in `match` stage (dictionaries and patterns
# in one Vectorscan pass), the matcher it shares with Lua's gloss.matcher(),
# the shipped lexicon and patterns, and their tests.

libgloss_a_SOURCES += \
	lib/match.c lib/match.h lib/match_internal.h \
	lib/match_scan.c \
	lib/match_fold.c lib/match_fold.h \
	lib/match_lead.c lib/match_lead.h \
	lib/lua_match.c lib/lua_match.h \
	plugins/match.c

# The lexicon and patterns, written for gloss from public facts; the stage
# finds them in $(pkgdatadir)/lexicon (or $GLOSS_LEXICON_DIR).
lexicondir = $(pkgdatadir)/lexicon
dist_lexicon_DATA = \
	lexicon/patterns.tsv \
	lexicon/eu.tsv \
	lexicon/groups.tsv \
	lexicon/international.tsv \
	lexicon/countries.tsv \
	lexicon/central-asia.tsv

dist_doc_DATA += docs/match.md

check_PROGRAMS += tests/test_match
tests_test_match_SOURCES = tests/test_match.c tests/match_test.c tests/match_test.h tests/tap.h
tests_test_match_LDADD = $(TEST_LIBS)
tests_test_match_DEPENDENCIES = libgloss.a
TESTS += tests/test_match

TESTS += tests/test_match_run.sh
EXTRA_DIST += tests/test_match_run.sh tests/fixtures/match/expected-spans.tsv \
	tests/fixtures/match/topics.lua tests/fixtures/match/lua.conf.lua \
	tests/fixtures/match/expected-matches.tsv tests/fixtures/match/tricky.txt

check_PROGRAMS += tests/test_match_lead
tests_test_match_lead_SOURCES = tests/test_match_lead.c tests/match_test.c tests/match_test.h \
	tests/tap.h
tests_test_match_lead_LDADD = $(TEST_LIBS)
tests_test_match_lead_DEPENDENCIES = libgloss.a
TESTS += tests/test_match_lead
