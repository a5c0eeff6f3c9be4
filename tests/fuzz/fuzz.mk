# tests/fuzz/fuzz.mk - the libFuzzer target for normalize + segment, its
# corpus replay under `make check`, and `make fuzz`.
#
# The project builds with whatever compiler configure found (gcc by
# default), while libFuzzer needs clang. So the fuzzer is built only by
# `make fuzz`, and not from libgloss.a: its rule hands every C source of
# the engine (the list libgloss_a_SOURCES already keeps) together with the
# target to one clang command with -fsanitize=fuzzer,address,undefined,
# whatever CC is. It works from any build folder, takes a minute, and
# needs nothing from configure beyond the libraries' flags. Variables:
#
#   FUZZ_CC      the clang to use (clang)
#   FUZZ_TIME    seconds to fuzz (60)
#   FUZZ_FLAGS   more libFuzzer flags, e.g. -jobs=2 or -max_len=100000
#
# `make fuzz` writes new inputs to fuzz-corpus/ and crashes to
# fuzz-artifacts/ in the build folder, reading tests/fuzz/corpus/ without
# changing it; `make fuzz-merge` then adds to tests/fuzz/corpus/ only the
# new inputs that reach code the corpus does not (libFuzzer's -merge=1).
# `make check` runs tests/fuzz/replay: the same target, built by the
# ordinary compiler, over every corpus file.

check_PROGRAMS += tests/fuzz/replay
tests_fuzz_replay_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_segment.c
tests_fuzz_replay_LDADD = $(TEST_LIBS)
tests_fuzz_replay_DEPENDENCIES = libgloss.a
TESTS += tests/fuzz/replay
EXTRA_DIST += tests/fuzz/corpus

FUZZ_CC = clang
FUZZ_TIME = 60
FUZZ_FLAGS =
FUZZ_COMPILE_FLAGS = -std=c11 -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_ENGINE_FILES = $(addprefix $(srcdir)/,$(filter %.c,$(libgloss_a_SOURCES))) \
	$(filter %.c,$(nodist_libgloss_a_SOURCES))
FUZZ_TARGET = tests/fuzz/fuzz_segment

# libgloss.a comes first only so that generated sources (the embedded
# default configuration) exist and the fuzzer is rebuilt when the engine
# changes; its objects are not used.
$(FUZZ_TARGET): $(srcdir)/tests/fuzz/fuzz_segment.c libgloss.a
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CCLD)$(FUZZ_CC) $(FUZZ_COMPILE_FLAGS) $(DEFS) $(AM_CPPFLAGS) \
	  -I$(srcdir)/plugins -o $@ $(srcdir)/tests/fuzz/fuzz_segment.c \
	  $(FUZZ_ENGINE_FILES) $(GLOSS_DEPS_LIBS)

fuzz: $(FUZZ_TARGET)
	@$(MKDIR_P) fuzz-corpus fuzz-artifacts
	@echo "== ./$(FUZZ_TARGET) -max_total_time=$(FUZZ_TIME) $(FUZZ_FLAGS) fuzz-corpus $(srcdir)/tests/fuzz/corpus"
	ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS='suppressions=$(abs_top_srcdir)/tests/lsan.supp' \
	  ./$(FUZZ_TARGET) -max_total_time=$(FUZZ_TIME) -timeout=10 \
	  -max_len=8192 -artifact_prefix=fuzz-artifacts/ -print_final_stats=1 \
	  $(FUZZ_FLAGS) fuzz-corpus $(srcdir)/tests/fuzz/corpus

fuzz-merge: $(FUZZ_TARGET)
	./$(FUZZ_TARGET) -merge=1 $(srcdir)/tests/fuzz/corpus fuzz-corpus

CLEANFILES += $(FUZZ_TARGET)
clean-local: clean-fuzz
clean-fuzz:
	-rm -rf fuzz-corpus fuzz-artifacts
.PHONY: fuzz fuzz-merge clean-fuzz

# The model loader (lib/model.c, and the tagger's reading of its sections):
# tests/fuzz/replay_model replays tests/fuzz/corpus-model under `make
# check`; `make fuzz-model` fuzzes it with libFuzzer (same variables).
check_PROGRAMS += tests/fuzz/replay_model
tests_fuzz_replay_model_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_model.c
tests_fuzz_replay_model_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/plugins \
	-DGLOSS_FUZZ_CORPUS='"tests/fuzz/corpus-model"'
tests_fuzz_replay_model_LDADD = $(TEST_LIBS)
tests_fuzz_replay_model_DEPENDENCIES = libgloss.a
TESTS += tests/fuzz/replay_model
EXTRA_DIST += tests/fuzz/corpus-model
FUZZ_MODEL_TARGET = tests/fuzz/fuzz_model

$(FUZZ_MODEL_TARGET): $(srcdir)/tests/fuzz/fuzz_model.c libgloss.a
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CCLD)$(FUZZ_CC) $(FUZZ_COMPILE_FLAGS) $(DEFS) $(AM_CPPFLAGS) \
	  -I$(srcdir)/plugins -o $@ $(srcdir)/tests/fuzz/fuzz_model.c \
	  $(FUZZ_ENGINE_FILES) $(GLOSS_DEPS_LIBS)

fuzz-model: $(FUZZ_MODEL_TARGET)
	@$(MKDIR_P) fuzz-model-corpus fuzz-artifacts
	ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS='suppressions=$(abs_top_srcdir)/tests/lsan.supp' \
	  ./$(FUZZ_MODEL_TARGET) -max_total_time=$(FUZZ_TIME) -timeout=10 \
	  -max_len=65536 -artifact_prefix=fuzz-artifacts/ -print_final_stats=1 \
	  $(FUZZ_FLAGS) fuzz-model-corpus $(srcdir)/tests/fuzz/corpus-model

fuzz-model-merge: $(FUZZ_MODEL_TARGET)
	./$(FUZZ_MODEL_TARGET) -merge=1 $(srcdir)/tests/fuzz/corpus-model fuzz-model-corpus

CLEANFILES += $(FUZZ_MODEL_TARGET)
clean-local: clean-fuzz-model
clean-fuzz-model:
	-rm -rf fuzz-model-corpus
.PHONY: fuzz-model fuzz-model-merge clean-fuzz-model
