# lib/config.mk - configurations and stage options: running a Lua
# configuration in a sandbox, checking it against the key table
# (lib/config_keys.c), checking stage options, the embedded default
# configuration, and the generated reference docs/config.md.

libgloss_a_SOURCES += \
	lib/config.c lib/config.h \
	lib/config_eval.c lib/config_eval.h \
	lib/config_keys.c lib/config_keys.h \
	lib/config_path.c lib/config_path.h \
	lib/config_docs.c \
	lib/opts.c lib/opts.h
nodist_libgloss_a_SOURCES = lib/default_config.c

# The default configuration is embedded as the bytes of its source,
# written by od as a C array (od and sed are on every system that builds
# C, and no program of ours needs to be built first). It is also installed
# as an example to start a configuration from.
dist_pkgdata_DATA += conf/default.conf.lua
CLEANFILES += lib/default_config.c
lib/default_config.c: $(srcdir)/conf/default.conf.lua
	$(AM_V_GEN)$(MKDIR_P) lib && { \
	  echo '/* Generated from conf/default.conf.lua by lib/config.mk; do not edit. */'; \
	  echo '#include "config.h"'; \
	  echo 'const char gloss__default_config[] = {'; \
	  od -An -v -tx1 $(srcdir)/conf/default.conf.lua | \
	    sed -e 's/\([0-9a-f][0-9a-f]\)/0x\1,/g' -e 's/^ *//'; \
	  echo '0x00};'; \
	} > $@-t && mv $@-t $@

# `make docs` regenerates docs/config.md in the source tree from the code;
# tests/test_config_docs fails while the two differ. Other references can
# join the docs target with their own prerequisite.
noinst_PROGRAMS += tools/gloss-docs
tools_gloss_docs_SOURCES = tools/gloss-docs.c
tools_gloss_docs_LDADD = libgloss.a $(GLOSS_DEPS_LIBS)
tools_gloss_docs_DEPENDENCIES = libgloss.a
EXTRA_DIST += docs/config.md

docs: docs-config
docs-config: tools/gloss-docs$(EXEEXT)
	$(AM_V_GEN)./tools/gloss-docs$(EXEEXT) > $(srcdir)/docs/config.md-t && \
	  mv $(srcdir)/docs/config.md-t $(srcdir)/docs/config.md
.PHONY: docs docs-config

# ---- tests -------------------------------------------------------------------
check_PROGRAMS += tests/test_config
tests_test_config_SOURCES = tests/test_config.c tests/tap.h
tests_test_config_LDADD = $(TEST_LIBS)
tests_test_config_DEPENDENCIES = libgloss.a
TESTS += tests/test_config

check_PROGRAMS += tests/test_opts
tests_test_opts_SOURCES = tests/test_opts.c tests/tap.h
tests_test_opts_LDADD = $(TEST_LIBS)
tests_test_opts_DEPENDENCIES = libgloss.a
TESTS += tests/test_opts

check_PROGRAMS += tests/test_config_docs
tests_test_config_docs_SOURCES = tests/test_config_docs.c tests/tap.h
tests_test_config_docs_LDADD = $(TEST_LIBS)
tests_test_config_docs_DEPENDENCIES = libgloss.a
TESTS += tests/test_config_docs

EXTRA_DIST += \
	tests/fixtures/config/scripts.lua \
	tests/fixtures/config/local.lua \
	tests/fixtures/config/missing_script.lua \
	tests/fixtures/config/syntax.lua \
	tests/fixtures/config/runtime.lua \
	tests/fixtures/config/loop.lua \
	tests/fixtures/config/more/local.lua \
	tests/fixtures/config/more/found.lua \
	tests/fixtures/config/env/from_env.lua
