# tap.sh - TAP helpers for the shell tests, sourced by each of them.
#
# The same vocabulary as tap.h: ok, is, like, skip_all, done_testing. Each
# test runs commands into files under a private temporary folder ($T),
# removed on exit, then asserts on exit statuses and output.

tap_n=0
tap_failed=0
T=$(mktemp -d "${TMPDIR:-/tmp}/gloss-test.XXXXXX")
trap 'rm -rf "$T"' EXIT

# ok STATUS DESCRIPTION: passes when STATUS is 0.
ok() {
    tap_n=$((tap_n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $tap_n - $2"
    else
        tap_failed=$((tap_failed + 1))
        echo "not ok $tap_n - $2"
    fi
}

# is GOT WANT DESCRIPTION
is() {
    if [ "$1" = "$2" ]; then ok 0 "$3"; else
        ok 1 "$3"; echo "# got '$1', expected '$2'"; fi
}

# like FILE PATTERN DESCRIPTION: passes when FILE contains the fixed string.
like() {
    if grep -qF -- "$2" "$1"; then ok 0 "$3"; else
        ok 1 "$3"; echo "# '$1' does not contain '$2':"; sed 's/^/#   /' "$1" | head -n 20; fi
}

# unlike FILE PATTERN DESCRIPTION
unlike() {
    if grep -qF -- "$2" "$1"; then
        ok 1 "$3"; echo "# '$1' contains '$2'"; else ok 0 "$3"; fi
}

skip() {
    tap_n=$((tap_n + 1))
    echo "ok $tap_n # SKIP $1"
}

skip_all() {
    echo "1..0 # SKIP $1"
    exit 0
}

done_testing() {
    echo "1..$tap_n"
    [ "$tap_failed" -eq 0 ]
}

# run CMD...: runs a command with stdout in $T/out and stderr in $T/err,
# and leaves its exit status in $rc.
run() {
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
}

# stop_all PID...: ends background helpers (subscribers, probes) a test
# started: SIGTERM, up to 5 s to end, then SIGKILL. Never waits unbounded,
# so a helper that ignores the signal cannot hang the test. Only pids that
# are still this shell's jobs are signalled: one that ended long ago may
# belong to another process by now.
stop_all() {
    tap_live=" $(jobs -p | tr '\n' ' ') "
    set -- $(for p in "$@"; do case $tap_live in *" $p "*) echo "$p" ;; esac; done)
    for p in "$@"; do kill "$p" 2>/dev/null; done
    for p in "$@"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null
    done
}
