# lib/lua.mk - Lua stages: the sandboxed host, the document bindings, the
# stage itself, the scripts installed with gloss, and their tests.

libgloss_a_SOURCES += \
	lib/lua_host.c lib/lua_host.h \
	lib/lua_doc.c lib/lua_doc.h \
	lib/lua_stage.c lib/lua_stage.h

# Example stages users can run as they are or copy; require() and the
# configuration find them in $(pkgdatadir)/scripts.
scriptsdir = $(pkgdatadir)/scripts
dist_scripts_DATA = scripts/watchlist.lua

# (docs/lua-api.md is installed with the other documents by Makefile.am.)
EXTRA_DIST += \
	tests/fixtures/lua/probe.lua \
	tests/fixtures/lua/probe_helper.lua \
	tests/fixtures/lua/limits.lua \
	tests/fixtures/lua/error_line.lua \
	tests/fixtures/lua/syntax_error.lua \
	tests/fixtures/lua/init_error.lua \
	tests/fixtures/lua/options.lua \
	tests/fixtures/lua/batch.lua \
	tests/fixtures/lua/doc_api.lua \
	tests/fixtures/lua/stash.lua \
	tests/fixtures/lua/watchlist.txt

check_PROGRAMS += tests/test_lua_host tests/test_lua_doc tests/test_watchlist
TESTS += tests/test_lua_host tests/test_lua_doc tests/test_watchlist

tests_test_lua_host_SOURCES = tests/test_lua_host.c tests/tap.h
tests_test_lua_host_LDADD = $(TEST_LIBS)
tests_test_lua_host_DEPENDENCIES = libgloss.a

tests_test_lua_doc_SOURCES = tests/test_lua_doc.c tests/tap.h
tests_test_lua_doc_LDADD = $(TEST_LIBS)
tests_test_lua_doc_DEPENDENCIES = libgloss.a

tests_test_watchlist_SOURCES = tests/test_watchlist.c tests/tap.h
tests_test_watchlist_LDADD = $(TEST_LIBS)
tests_test_watchlist_DEPENDENCIES = libgloss.a
