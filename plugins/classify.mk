# plugins/classify.mk - the text classifier: the built-in `classify` stage,
# its features, model, trainer and scorer, the `gloss train classify` and
# `gloss eval classify` commands, and their tests.

libgloss_a_SOURCES += \
	plugins/classify.c \
	plugins/classify_feat.c plugins/classify_feat.h \
	plugins/classify_model.c plugins/classify_model.h \
	plugins/classify_data.c plugins/classify_data.h \
	plugins/classify_train.c plugins/classify_train.h \
	plugins/classify_eval.c plugins/classify_eval.h

gloss_SOURCES += cli/cmd_train.c cli/train_classify.c cli/eval_classify.c
gloss_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/plugins

check_PROGRAMS += tests/test_classify
tests_test_classify_SOURCES = tests/test_classify.c tests/tap.h
tests_test_classify_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/plugins
tests_test_classify_LDADD = $(TEST_LIBS)
tests_test_classify_DEPENDENCIES = libgloss.a
TESTS += tests/test_classify

TESTS += tests/test_train_classify.sh
EXTRA_DIST += tests/test_train_classify.sh tests/fixtures/classify/topics.jsonl \
	tests/fixtures/classify/multi.jsonl tests/fixtures/classify/resolution.txt
dist_doc_DATA += docs/classify.md
