# plugins/segment.mk - the built-in `segment` stage (paragraphs, sentences,
# tokens) and its tests.
#
# The stage is split by concern: character classes, the abbreviation set,
# the tokenizer and sentence splitter of one paragraph, and the stage
# itself (options, paragraphs, layers). test_segment drives the tokenizer
# through a real pipeline-free document; test_eval.sh runs `gloss eval
# segment` on a CoNLL-U fixture and, when ../shared is there, on EWT dev.

libgloss_a_SOURCES += \
	plugins/segment.c \
	plugins/segment_abbrev.c plugins/segment_abbrev.h \
	plugins/segment_chars.c plugins/segment_chars.h \
	plugins/segment_tok.c plugins/segment_tok.h

dist_doc_DATA += docs/segment.md

check_PROGRAMS += tests/test_segment
tests_test_segment_SOURCES = tests/test_segment.c tests/tap.h
tests_test_segment_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/plugins
tests_test_segment_LDADD = $(TEST_LIBS)
tests_test_segment_DEPENDENCIES = libgloss.a
TESTS += tests/test_segment

TESTS += tests/test_eval.sh tests/test_sentences.sh
EXTRA_DIST += tests/test_sentences.sh tests/fixtures/segment/boundaries.tsv
EXTRA_DIST += tests/test_eval.sh tests/fixtures/segment/small.conllu \
	tests/fixtures/segment/segment-only.conf.lua

# The spans of normalize + segment on the fixtures, generated documents
# and the samples, against those recorded before the tokenizer was
# restructured for speed (offsets and digests only).
TESTS += tests/test_segment_same.sh
EXTRA_DIST += tests/test_segment_same.sh tests/fixtures/segment/spans.expected \
	tests/fixtures/segment/normalize-segment.conf.lua
