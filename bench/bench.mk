# bench/bench.mk - benchmarks, run by `make bench` (never by `make check`:
# timings on a shared machine belong in reports, not in pass/fail tests).
# Each prints its figures as ratios to a reference measured in the same run.

noinst_PROGRAMS += bench/bench_overhead
bench_bench_overhead_SOURCES = bench/bench_overhead.c
bench_bench_overhead_LDADD = $(GLOSS_ENGINE_LIBS)
bench_bench_overhead_LDFLAGS = $(GLOSS_ENGINE_LINK)
bench_bench_overhead_DEPENDENCIES = libgloss.a
EXTRA_DIST += bench/noop.lua bench/touch.lua

# The daemon end to end against a bare ZeroMQ relay; it starts the glossd
# built here, so it links no engine (it uses only the clock header).
noinst_PROGRAMS += bench/bench_daemon
bench_bench_daemon_SOURCES = bench/bench_daemon.c
bench_bench_daemon_LDADD = $(ZMQ_LIBS) $(JANSSON_LIBS) -lpthread

# normalize and segment: throughput against memcpy, cost per MB from 1 KiB
# to 10 MiB, and adversarial documents, on the samples in ../shared/seeds
# (it says so and does nothing when they are absent).
noinst_PROGRAMS += bench/bench_segment
bench_bench_segment_SOURCES = bench/bench_segment.c
bench_bench_segment_LDADD = $(GLOSS_ENGINE_LIBS)
bench_bench_segment_LDFLAGS = $(GLOSS_ENGINE_LINK)
bench_bench_segment_DEPENDENCIES = libgloss.a

# pos + ner: tokens per second of the taggers, through a pipeline, and
# beside wink-nlp on the same samples when `make bench-wink-setup` has
# installed it (with npm, into the build folder; never committed).
noinst_PROGRAMS += bench/bench_tagger
bench_bench_tagger_SOURCES = bench/bench_tagger.c
bench_bench_tagger_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/plugins
bench_bench_tagger_LDADD = $(GLOSS_ENGINE_LIBS)
bench_bench_tagger_LDFLAGS = $(GLOSS_ENGINE_LINK)
bench_bench_tagger_DEPENDENCIES = libgloss.a
EXTRA_DIST += bench/wink_bench.js
WINK_DIR = $(abs_builddir)/wink
bench-wink-setup:
	$(MKDIR_P) $(WINK_DIR) && cd $(WINK_DIR) && \
	  npm install --no-save --no-package-lock wink-nlp wink-eng-lite-web-model
.PHONY: bench-wink-setup

# The text classifier against fastText on 20 Newsgroups (both skip, with
# a message, when the data or the fasttext program is absent).
noinst_PROGRAMS += bench/bench_classify
bench_bench_classify_SOURCES = bench/bench_classify.c
bench_bench_classify_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/plugins
bench_bench_classify_LDADD = $(GLOSS_ENGINE_LIBS)
bench_bench_classify_LDFLAGS = $(GLOSS_ENGINE_LINK)
bench_bench_classify_DEPENDENCIES = libgloss.a
CLEANFILES += bench/classify-train.jsonl bench/classify-dev.jsonl \
	bench/classify-ft.train bench/classify-ft.dev bench/classify-ft.bin \
	bench/classify-ft.vec

# The match stage's matcher: MB/s with the shipped lexicon and with 10,000
# phrases and 50 patterns, against memchr and a one-literal hs_scan, and
# compile times up to 100,000 phrases.
noinst_PROGRAMS += bench/bench_match
bench_bench_match_SOURCES = bench/bench_match.c
bench_bench_match_LDADD = $(GLOSS_ENGINE_LIBS)
bench_bench_match_LDFLAGS = $(GLOSS_ENGINE_LINK)
bench_bench_match_DEPENDENCIES = libgloss.a

bench: bench/bench_overhead bench/bench_daemon bench/bench_segment glossd$(EXEEXT) \
	bench/bench_classify bench/bench_match bench/bench_tagger
	@echo "== per-document overhead: ./bench/bench_overhead $(srcdir)/bench"
	@./bench/bench_overhead $(srcdir)/bench
	@echo "== daemon pass-through: ./bench/bench_daemon ./glossd$(EXEEXT)"
	@./bench/bench_daemon ./glossd$(EXEEXT)
	@echo "== normalize + segment: ./bench/bench_segment $(srcdir)/../shared/seeds"
	@./bench/bench_segment $(srcdir)/../shared/seeds
	@echo "== classify vs fastText: ./bench/bench_classify $(srcdir)/../shared/data/textcls/20ng-train.jsonl bench/classify-"
	@./bench/bench_classify $(srcdir)/../shared/data/textcls/20ng-train.jsonl bench/classify-
	@echo "== match: top_srcdir=$(srcdir) ./bench/bench_match"
	@top_srcdir=$(srcdir) ./bench/bench_match
	@echo "== pos + ner: ./bench/bench_tagger $(srcdir)/../shared/seeds $(WINK_DIR) $(srcdir)/bench/wink_bench.js"
	@GLOSS_MODEL_PATH=$(abs_top_srcdir)/models ./bench/bench_tagger $(srcdir)/../shared/seeds \
	  $(WINK_DIR) $(srcdir)/bench/wink_bench.js
.PHONY: bench
