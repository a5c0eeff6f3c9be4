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

# The messages between the supervisor and its workers (daemon/wire.h).
GLOSSD_SOURCES_WIRE = daemon/wire.c daemon/wire.h

check_PROGRAMS += tests/test_wire
tests_test_wire_SOURCES = tests/test_wire.c tests/tap.h \
	$(GLOSSD_SOURCES_WIRE)
tests_test_wire_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/daemon
tests_test_wire_LDADD = $(ZMQ_LIBS)
TESTS += tests/test_wire

# The supervisor's side of the area it shares with each worker.
check_PROGRAMS += tests/test_area
tests_test_area_SOURCES = tests/test_area.c tests/tap.h daemon/area.c \
	daemon/area.h $(GLOSSD_SOURCES_WIRE)
tests_test_area_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/daemon
tests_test_area_LDADD = $(ZMQ_LIBS)
TESTS += tests/test_area

# The worker process's loop: one pipeline fed by the supervisor.
GLOSSD_SOURCES_WORKER = daemon/worker.c daemon/worker.h daemon/routes.c \
	daemon/routes.h

check_PROGRAMS += tests/test_worker
tests_test_worker_SOURCES = tests/test_worker.c tests/tap.h \
	$(GLOSSD_SOURCES_WORKER) $(GLOSSD_SOURCES_WIRE)
tests_test_worker_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/daemon
tests_test_worker_LDADD = $(TEST_LIBS) $(ZMQ_LIBS)
tests_test_worker_DEPENDENCIES = libgloss.a
TESTS += tests/test_worker
EXTRA_DIST += tests/fixtures/worker/tag.lua

# Admission: a message on submit or feed becomes a document or a rejection
# with a stable code (see the comment at the top of daemon/envelope.c). It
# uses the engine's UTF-8 functions, so its test links the engine.
GLOSSD_SOURCES_ENVELOPE = daemon/envelope.c daemon/envelope.h \
	daemon/envelope_scan.c daemon/envelope_scan.h

check_PROGRAMS += tests/test_envelope
tests_test_envelope_SOURCES = tests/test_envelope.c tests/tap.h \
	$(GLOSSD_SOURCES_ENVELOPE)
tests_test_envelope_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/daemon
tests_test_envelope_LDADD = $(TEST_LIBS)
tests_test_envelope_DEPENDENCIES = libgloss.a
TESTS += tests/test_envelope

check_PROGRAMS += tests/test_routes
tests_test_routes_SOURCES = tests/test_routes.c tests/tap.h daemon/routes.c \
	daemon/routes.h
tests_test_routes_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/daemon
tests_test_routes_LDADD = $(TEST_LIBS)
tests_test_routes_DEPENDENCIES = libgloss.a
TESTS += tests/test_routes

# The ids of documents in flight (duplicate submits).
GLOSSD_SOURCES_IDSET = daemon/idset.c daemon/idset.h

check_PROGRAMS += tests/test_idset
tests_test_idset_SOURCES = tests/test_idset.c tests/tap.h $(GLOSSD_SOURCES_IDSET)
tests_test_idset_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/daemon
TESTS += tests/test_idset
