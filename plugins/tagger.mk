# plugins/tagger.mk - the statistical tagger (part of speech and named
# entities): its core, the `pos` and `ner` stages, `gloss train`, the
# default models and their tests.

libgloss_a_SOURCES += \
	plugins/tagger.c plugins/tagger.h plugins/tagger_internal.h \
	plugins/tagger_feat.c plugins/tagger_train.c plugins/tagger_stage.c

# Default models: installed with gloss, and found in the source tree by an
# uninstalled build (tests point $GLOSS_MODEL_PATH at it).
modelsdir = $(pkgdatadir)/models
dist_models_DATA = models/en-pos.bin models/en-ner.bin
AM_CPPFLAGS += -DGLOSS_MODEL_DIR='"$(modelsdir)"' \
	-DGLOSS_SOURCE_MODEL_DIR='"$(abs_top_srcdir)/models"'

# gloss train and gloss eval pos/ner use the tagger's header.
gloss_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/plugins
