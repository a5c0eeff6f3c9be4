# lib/model.mk - the model container (lib/model.c, docs/models.md): the
# versioned, memory-mapped file every statistical model is stored in, and
# its tests.

libgloss_a_SOURCES += lib/model.c lib/model.h

check_PROGRAMS += tests/test_model
tests_test_model_SOURCES = tests/test_model.c tests/tap.h
tests_test_model_LDADD = $(TEST_LIBS)
tests_test_model_DEPENDENCIES = libgloss.a
TESTS += tests/test_model

dist_doc_DATA += docs/models.md
