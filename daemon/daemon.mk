# daemon/daemon.mk - the pieces of glossd, the daemon, and their tests.
#
# Included from Makefile.am after check_PROGRAMS and TESTS are first set.
# Each piece lists its files in a GLOSSD_SOURCES_* variable, which the
# glossd program and the piece's own test take into their SOURCES; the
# test compiles the piece itself, so it needs no library of the daemon.

# The libuv watcher for ZeroMQ sockets: how the supervisor's one loop owns
# every socket (see the comment at the top of daemon/zwatch.h).
GLOSSD_SOURCES_ZWATCH = daemon/zwatch.c daemon/zwatch.h

check_PROGRAMS += tests/test_zwatch
tests_test_zwatch_SOURCES = tests/test_zwatch.c tests/tap.h \
	$(GLOSSD_SOURCES_ZWATCH)
tests_test_zwatch_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/daemon
tests_test_zwatch_LDADD = $(LIBUV_LIBS) $(ZMQ_LIBS)
TESTS += tests/test_zwatch
