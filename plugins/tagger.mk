# plugins/tagger.mk - the statistical tagger (part of speech and named
# entities): its core, the `pos` and `ner` stages, `gloss train`, the
# default models and their tests.

libgloss_a_SOURCES += \
	plugins/tagger.c plugins/tagger.h plugins/tagger_internal.h \
	plugins/tagger_table.h plugins/tagger_cache.c \
	plugins/tagger_feat.c plugins/tagger_train.c plugins/tagger_stage.c

# Default models: installed with gloss, and found in the source tree by an
# uninstalled build (tests point $GLOSS_MODEL_PATH at it).
modelsdir = $(pkgdatadir)/models
dist_models_DATA = models/en-pos.bin models/en-ner.bin
AM_CPPFLAGS += -DGLOSS_MODEL_DIR='"$(modelsdir)"' \
	-DGLOSS_SOURCE_MODEL_DIR='"$(abs_top_srcdir)/models"'

# (gloss train and gloss eval pos/ner include the tagger's header from
# plugins/: plugins/classify.mk gives gloss that include path.)

# Word clusters from unlabelled text, for the models' cluster features
# (`make models` runs it; see models/README.md).
noinst_PROGRAMS += tools/gloss-clusters
tools_gloss_clusters_SOURCES = tools/gloss-clusters.c
tools_gloss_clusters_LDADD = $(GLOSS_ENGINE_LIBS) -lm
tools_gloss_clusters_LDFLAGS = $(GLOSS_ENGINE_LINK)
tools_gloss_clusters_DEPENDENCIES = libgloss.a

# `make models` retrains the default models from the corpora in ../shared
# (not distributed) and rewrites them in the source tree; commit them with
# models/README.md. Word clusters come first, from the unlabelled text of
# the same folder (tools/gloss-clusters); they go into both models. The pos
# model also takes a dictionary made from WordNet and a word list (Debian's
# wordnet-base and wamerican-huge; tools/dictionary.lua).
WORDNET_DIR = /usr/share/wordnet
DICT_WORDLIST = /usr/share/dict/american-english-huge
models: gloss$(EXEEXT) tools/gloss-clusters$(EXEEXT)
	./tools/gloss-clusters$(EXEEXT) -o clusters.tsv \
		$(GLOSS_CORPORA)/textcls/20ng-train.jsonl \
		$(GLOSS_CORPORA)/ud_ewt/en_ewt-ud-train.conllu \
		$(GLOSS_CORPORA)/conll2003/eng.train
	$(LUA_INTERP) $(top_srcdir)/tools/dictionary.lua dictionary.tsv $(WORDNET_DIR) \
		$(DICT_WORDLIST)
	./gloss$(EXEEXT) train pos --ud $(GLOSS_CORPORA)/ud_ewt/en_ewt-ud-train.conllu \
		--dev $(GLOSS_CORPORA)/ud_ewt/en_ewt-ud-dev.conllu --clusters clusters.tsv \
		--dictionary dictionary.tsv --iterations 15 --seed 1 --max-size 10000000 \
		-o $(top_srcdir)/models/en-pos.bin
	./gloss$(EXEEXT) train ner --conll $(GLOSS_CORPORA)/conll2003/eng.train \
		--dev $(GLOSS_CORPORA)/conll2003/eng.testa --clusters clusters.tsv \
		--iterations 15 --seed 1 --max-size 10000000 -o $(top_srcdir)/models/en-ner.bin
.PHONY: models
CLEANFILES += clusters.tsv dictionary.tsv

check_PROGRAMS += tests/test_tagger_cache
tests_test_tagger_cache_SOURCES = tests/test_tagger_cache.c tests/tap.h
tests_test_tagger_cache_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/plugins
tests_test_tagger_cache_LDADD = $(TEST_LIBS)
tests_test_tagger_cache_DEPENDENCIES = libgloss.a
TESTS += tests/test_tagger_cache

TESTS += tests/test_tagger.sh
EXTRA_DIST += tools/dictionary.lua tests/test_tagger.sh tests/fixtures/tagger/tiny.conllu \
	tests/fixtures/tagger/tiny.conll tests/fixtures/tagger/edit_entities.lua \
	tests/fixtures/tagger/dict-train.conllu tests/fixtures/tagger/dict-dev.conllu \
	tests/fixtures/tagger/dict.tsv tests/fixtures/tagger/words.txt \
	tests/fixtures/tagger/dictionary.expected tests/fixtures/tagger/wordnet
