# test_daemon.sh - glossd as its users meet it: real daemons on ipc
# endpoints in a private folder, fed with gloss send and raw frames,
# watched with gloss sub and gloss stats.
#
# Every wait is bounded (a test that hangs fails instead), and every daemon
# is stopped at the end, by drain or, failing that, by SIGKILL.
. "$top_srcdir/tests/tap.sh"

[ -x "$GLOSSD" ] && [ -x "$GLOSS" ] && [ -x "$ZPROBE" ] ||
    skip_all "glossd, gloss or zprobe is not built"
command -v python3 >/dev/null || skip_all "python3 is missing (used to read JSON)"

fx="$top_srcdir/tests/fixtures"
daemons=""
subs=""
# Only daemons still running as this shell's jobs are killed: a pid that
# ended long ago may belong to another process by now.
cleanup() {
    live=" $(jobs -p | tr '\n' ' ') "
    for p in $daemons; do
        case $live in *" $p "*) kill -9 "$p" 2>/dev/null ;; esac
    done
    stop_all $subs
    rm -rf "$T"
}
trap cleanup EXIT

# config NAME PIPELINE DAEMON: writes $T/NAME.lua with ipc endpoints in $T.
config() {
    cat >"$T/$1.lua" <<CONF
return {
  script_paths = { "$fx/daemon" },
  pipeline = { $2 },
  daemon = {
    submit = "ipc://$T/$1.submit", feed = "ipc://$T/$1.feed",
    publish = "ipc://$T/$1.pub", control = "ipc://$T/$1.control",
    run_dir = "$T",
    $3
  },
}
CONF
}

# start NAME: starts glossd on $T/NAME.lua and waits until it answers ping.
start() {
    "$GLOSSD" -c "$T/$1.lua" 2>>"$T/$1.err" &
    pid=$!
    daemons="$daemons $pid"
    for _ in $(seq 100); do
        "$GLOSS" ping -c "$T/$1.lua" -t 0.2 >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "# glossd did not answer:"; sed 's/^/#   /' "$T/$1.err"
    return 1
}

# finish PID: waits up to 30 s for a daemon to exit and leaves its exit
# status in $fin ("timeout" if it had to be killed). Not in a subshell:
# only the shell that started the daemon can wait for it.
finish() {
    for _ in $(seq 300); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$1" 2>/dev/null; then
        kill -9 "$1"
        fin=timeout
        return
    fi
    wait "$1"
    fin=$?
}

# subscribe NAME TOPIC...: a subscriber writing "topic<TAB>json" lines to
# $T/NAME.sub, connected before this returns (a warm-up document proves it).
subscribe() {
    name=$1
    shift
    # Appending, so that a test can empty the file while the subscriber runs.
    : >"$T/$name.sub"
    "$GLOSS" sub -c "$T/$name.lua" --topic doc.warmup "$@" >>"$T/$name.sub" 2>/dev/null &
    subs="$subs $!"
    for i in $(seq 50); do
        printf 'warm up %s' "$i" >"$T/warm"
        "$GLOSS" send -q -c "$T/$name.lua" -s warmup --id "warm-$i" - <"$T/warm" >/dev/null 2>&1
        for _ in 1 2 3 4 5; do
            grep -q '^doc\.warmup' "$T/$name.sub" && return 0
            sleep 0.1
        done
    done
    return 1
}

# count FILE PATTERN: lines of FILE starting with PATTERN.
count() { grep -c "^$2" "$1" 2>/dev/null || true; }

# await FILE PATTERN N: waits up to 30 s for N such lines, and says how many
# came when they did not.
await() {
    for _ in $(seq 300); do
        [ "$(count "$1" "$2")" -ge "$3" ] && return 0
        sleep 0.1
    done
    echo "# $(count "$1" "$2") lines of $1 start with '$2'; $3 were awaited"
    return 1
}

# stat NAME KEY: one counter from gloss stats.
stat() {
    "$GLOSS" stats -c "$T/$1.lua" 2>/dev/null |
        python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["counters"].get(sys.argv[1], d.get(sys.argv[1])))' "$2"
}

# ---- all documents in, all out, ids matching -----------------------------
config main '{ stage = "normalize" }, { script = "slow.lua" }' \
    'workers = 2, routes = { { labels = "test", prefix = "label" } },'
start main
ok $? "glossd starts on ipc endpoints and answers ping"
subscribe main doc.file label. error.
ok $? "a subscriber receives what glossd publishes"

docs="$T/docs"
mkdir -p "$docs"
cp "$fx/docs/resolution.txt" "$fx/docs/article.txt" "$docs/"
if [ -d "$GLOSS_SHARED/seeds" ]; then cp "$GLOSS_SHARED/seeds/"* "$docs/"; fi
n=$(ls "$docs" | wc -l)
run "$GLOSS" send -c "$T/main.lua" "$docs"
is "$rc" 0 "gloss send submits $n documents and all are accepted"
like "$T/err" "$n documents: $n accepted, 0 rejected" "its summary says so"
await "$T/main.sub" doc.file "$n"
ok $? "every document is published on doc.file"
python3 - "$T/main.sub" "$docs" <<'PY'
import json, os, sys
sent = {os.path.join(sys.argv[2], f) for f in os.listdir(sys.argv[2])}
got, seqs = [], []
for line in open(sys.argv[1], encoding="utf-8"):
    topic, body = line.rstrip("\n").split("\t", 1)
    d = json.loads(body)
    seqs.append(d["seq"])
    if topic == "doc.file":
        got.append(d["id"])
        assert d["labels"]["test"]["seen"] == 1, d["id"]
assert sorted(got) == sorted(sent), (sorted(got), sorted(sent))
assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs
PY
ok $? "the published ids are the sent ones, each once, processed by every stage, seq increasing"
is "$(grep '^label\.seen' "$T/main.sub" | grep -c '"source":"file"')" "$n" \
    "a label route publishes each document on label.seen too"
# On Linux the documents and results travel through rings in memory shared
# with each worker (anonymous memory files), not through the sockets.
batches() { stat "$1" batches | python3 -c 'import ast,sys; print(ast.literal_eval(sys.stdin.read())[sys.argv[1]])' "$2"; }
if [ "$(uname -s)" = Linux ]; then
    ok "$([ "$(batches main jobs_shared)" -gt 0 ] && [ "$(batches main results_shared)" -gt 0 ]; echo $?)" \
        "batches go to the workers and come back through the shared rings"
    is "$(batches main jobs_socket)/$(batches main results_socket)" 0/0 \
        "and none of these small ones through the sockets"
else
    skip "the shared rings need anonymous memory files (Linux)"
    skip "the shared rings need anonymous memory files (Linux)"
fi

# ---- bad input -------------------------------------------------------------
S="ipc://$T/main.submit"
probe() { "$ZPROBE" dealer "$S" "$@" >"$T/out" 2>"$T/err"; }
probe "" "hex:56616c69642073746172742028"; like "$T/out" '"ok":true' "a raw text document is accepted"
probe "" "hex:4142c328ff"; like "$T/out" '"error":"invalid_utf8"' "invalid UTF-8 is rejected"
like "$T/out" "byte 2" "naming the byte offset"
probe "" ""; like "$T/out" '"error":"empty"' "an empty document is rejected as empty"
probe "" "   "; like "$T/out" '"error":"empty"' "whitespace alone is empty too"
probe "" '{"text": "a",'; like "$T/out" '"error":"bad_json"' "a malformed envelope is rejected"
probe "" '{"text":"a","txt":"b"}'; like "$T/out" '"error":"unknown_field"' "an unknown field is rejected"
like "$T/out" "txt" "naming the field"
probe "" '{"text":42}'; like "$T/out" '"error":"bad_field"' "a field of the wrong type is rejected"
probe "" "one" "two"; like "$T/out" '"error":"bad_frames"' "an extra frame is rejected"
probe "no delimiter"; like "$T/out" '"error":"bad_frames"' "a missing delimiter frame is rejected"
probe "" "hex:00ff10fe0102e2"; like "$T/out" '"ok":false' "binary garbage is rejected"
probe "" "rep:17000000:x"; like "$T/out" '"error":"too_large"' "a document over 16 MiB is rejected"
"$ZPROBE" push "ipc://$T/main.feed" "hex:41c328" 2>/dev/null
await "$T/main.sub" error.admission 1
ok $? "invalid input on feed is published on error.admission"
like "$T/main.sub" "invalid_utf8" "with its reason"
"$GLOSS" ping -c "$T/main.lua" >/dev/null
ok $? "after all of it, the daemon still answers"
is "$(stat main rejected | python3 -c 'import ast,sys; print(sum(ast.literal_eval(sys.stdin.read()).values()))')" 11 \
    "gloss stats counts the 11 rejections"
"$GLOSS" stats -c "$T/main.lua" | python3 -c '
import json, sys
n = int(sys.argv[1])
d = json.load(sys.stdin)["stages"]
assert d["normalize"]["documents"] >= n and d["slow"]["documents"] >= n, d
assert d["normalize"]["errors"] == 0 and d["slow"]["mean_us"] > 0, d
assert d["slow"]["max_us"] >= d["slow"]["mean_us"], d' "$n"
ok $? "gloss stats reports each stage's documents, errors and latency"

# ---- a worker killed in the middle of a document ---------------------------
printf 'SLOW document for the kill test' >"$T/slow.txt"
# Counted before the document goes in: whether the kill comes before it
# finishes or (on a loaded machine) just after, it is published once more.
before=$(count "$T/main.sub" doc.file)
run "$GLOSS" send -c "$T/main.lua" --id slow-doc - <"$T/slow.txt"
busy=""
for _ in $(seq 100); do
    busy=$("$GLOSS" stats -c "$T/main.lua" | python3 -c '
import json, sys
for w in json.load(sys.stdin)["workers"]:
    if w["jobs"] > 0: print(w["pid"])')
    [ -n "$busy" ] && break
    sleep 0.05
done
ok "$([ -n "$busy" ]; echo $?)" "a worker is busy with the slow document"
kill -9 $busy 2>/dev/null
await "$T/main.sub" doc.file $((before + 1))
ok $? "after kill -9 of its worker, the document is retried and published"
is "$(stat main worker_deaths)" 1 "the death is counted"
is "$(stat main retried)" 1 "and so is the retry"
"$GLOSS" ping -c "$T/main.lua" >/dev/null
ok $? "the daemon carries on with a replacement worker"

# ---- reload under load ------------------------------------------------------
mkdir -p "$T/load"
for i in $(seq 60); do printf 'Document %s of the reload test.' "$i" >"$T/load/r$i.txt"; done
: >"$T/main.sub"
"$GLOSS" send -q -c "$T/main.lua" "$T/load" 2>"$T/send.err" &
sender=$!
"$GLOSS" reload -c "$T/main.lua" >"$T/reload1" 2>&1
r1=$?
"$GLOSS" reload -c "$T/main.lua" >"$T/reload2" 2>&1
r2=$?
wait $sender
is "$?" 0 "60 documents are accepted while the daemon reloads twice"
is "$r1$r2" 00 "both reloads succeed"
await "$T/main.sub" doc.file 60
ok $? "all 60 are published"
python3 - "$T/main.sub" <<'PY'
import json, sys
ids = [json.loads(l.split("\t", 1)[1])["id"] for l in open(sys.argv[1]) if l.startswith("doc.file")]
assert len(ids) == 60 and len(set(ids)) == 60, (len(ids), len(set(ids)))
PY
ok $? "none twice"
like "$T/reload2" '"generation":' "gloss reload reports the new generation"
cp "$T/main.lua" "$T/main.good"
printf 'return { pipeline = { { stage = "normalize", optoins = {} } } }' >"$T/main.lua"
run "$GLOSS" reload -e "ipc://$T/main.control"
is "$rc" 1 "a reload with an invalid configuration is refused"
like "$T/err" "pipeline[1].optoins" "naming the problem"
cp "$T/main.good" "$T/main.lua"
"$GLOSS" ping -c "$T/main.lua" >/dev/null
ok $? "and the daemon keeps running the old configuration"


# ---- gloss sub ends at SIGTERM, whenever it comes ---------------------------
# The signal may come while the subscriber connects, waits or prints, and
# ZeroMQ's own threads must not swallow it: each of 20 subscribers, signalled
# at a different moment, ends within 5 s (with status 0, or 143 when the
# signal came before it set up its handler).
ended=0
for i in $(seq 20); do
    "$GLOSS" sub -c "$T/main.lua" >/dev/null 2>&1 &
    sp=$!
    # Not before the forked shell has become gloss: a signal that came
    # earlier would run this script's EXIT trap (its cleanup) in that shell.
    for _ in $(seq 100); do
        case $(tr '\0' ' ' <"/proc/$sp/cmdline" 2>/dev/null) in
        "$GLOSS sub"*) break ;;
        esac
        sleep 0.01
    done
    sleep "0.0$((i % 10))"
    kill -TERM "$sp"
    for _ in $(seq 50); do kill -0 "$sp" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$sp" 2>/dev/null; then
        kill -9 "$sp"
        wait "$sp" 2>/dev/null
    else
        wait "$sp"
        case $? in 0 | 143) ended=$((ended + 1)) ;; esac
    fi
done
is "$ended" 20 "20 subscribers signalled at different moments each end at SIGTERM"

# ---- SIGTERM drains: nothing in flight is lost ------------------------------
: >"$T/main.sub"
mkdir -p "$T/drain"
for i in $(seq 12); do printf 'Document %s to drain.' "$i" >"$T/drain/d$i.txt"; done
printf 'SLOW document, still in flight at SIGTERM' >"$T/drain/slow.txt"
run "$GLOSS" send -q -c "$T/main.lua" "$T/drain"
is "$rc" 0 "13 documents are accepted"
kill -TERM "$pid"
finish "$pid"
is "$fin" 0 "SIGTERM: glossd finishes and exits 0"
await "$T/main.sub" doc.file 13
ok $? "every accepted document was published before it exited"
like "$T/main.err" "drained" "it says it drained"

# ---- a stage that never ends: the deadline ------------------------------------
config hang '{ script = "slow.lua", max_instructions = 0 }' 'workers = 1, deadline = 1,'
start hang
subscribe hang doc.file error.
printf 'HANG forever' >"$T/hang.txt"
printf 'a normal document after it' >"$T/after.txt"
"$GLOSS" send -q -c "$T/hang.lua" --id hang-doc - <"$T/hang.txt"
"$GLOSS" send -q -c "$T/hang.lua" "$T/after.txt"
await "$T/hang.sub" error.deadline 1
ok $? "a document that never finishes is reported on error.deadline"
like "$T/hang.sub" "deadline of 1 s" "with the deadline in the message"
await "$T/hang.sub" doc.file 1
ok $? "the next document goes through on a new worker"
is "$(stat hang deadline_kills)" 1 "the kill is counted"
run "$GLOSS" drain -c "$T/hang.lua"
is "$rc" 0 "gloss drain is acknowledged"
finish "$pid"
is "$fin" 0 "and the daemon exits 0"

# ---- kill -9 of glossd leaves no worker behind -----------------------------
# A worker busy in a stage that never ends does not look for its
# supervisor, and no deadline will come: the kernel must end it when the
# supervisor dies (PR_SET_PDEATHSIG), or it would spin on for ever.
if [ -d /proc/self/task ]; then
    config orphan '{ script = "slow.lua", max_instructions = 0 }' 'workers = 1, deadline = 600,'
    start orphan
    "$GLOSS" send -q -c "$T/orphan.lua" --id hang-doc - <"$T/hang.txt"
    sleep 1
    workers=$(cat /proc/"$pid"/task/*/children 2>/dev/null)
    kill -9 "$pid"
    finish "$pid"
    left=$workers
    for _ in $(seq 50); do
        left=""
        for w in $workers; do kill -0 "$w" 2>/dev/null && left="$left $w"; done
        [ -z "$left" ] && break
        sleep 0.1
    done
    ok "$([ -n "$workers" ] && [ -z "$left" ]; echo $?)" \
        "kill -9 of glossd ends its worker too, even one busy in an endless stage (workers: $workers)"
    # One that lived on would spin for ever: it was alive a moment ago.
    [ -n "$left" ] && kill -9 $left 2>/dev/null
else
    skip "no /proc to find the workers in"
fi

# ---- the deadline blames the right document of a batch -------------------------
# With credit 4 (and hold 0, so that the credit alone counts however long
# the documents take) a worker is sent up to 2 jobs in one message and answers
# them with one DONE. Four documents of 200 ms take the credit; the normal
# document and the hanging one then wait in the queue and go out together
# when credit comes back. The normal one finishes first, but its result
# waits to be sent with the hanging one's: the deadline must still blame
# the hanging document, not the one ahead of it. (The deadline is far
# above 200 ms, so that a loaded machine does not make a filler overrun.)
config batch '{ script = "slow.lua", max_instructions = 0, options = { ms = 200 } }' \
    'workers = 1, credit = 4, hold = 0, deadline = 5,'
start batch
subscribe batch doc.file error.
mkdir -p "$T/batch"
for i in 1 2 3 4; do printf 'Filler document %s.' "$i" >"$T/batch/a$i.txt"; done
printf 'a normal document in the batch' >"$T/batch/b-normal.txt"
printf 'HANG forever' >"$T/batch/c-hang.txt"
"$GLOSS" send -q -w 6 -c "$T/batch.lua" "$T/batch"
await "$T/batch.sub" 'error\.deadline.*c-hang' 1
ok $? "the hanging document of a batch is reported on error.deadline"
await "$T/batch.sub" doc.file 5
ok $? "the other five documents are published"
is "$(grep '^error\.' "$T/batch.sub" | grep -c 'batch/[ab]')" 0 \
    "no other document of the batch is reported as failed"
is "$(grep '^doc\.file' "$T/batch.sub" | grep -c 'b-normal')" 1 \
    "the normal document of its batch is published as processed"
is "$(stat batch deadline_kills)" 1 "one kill"
"$GLOSS" drain -c "$T/batch.lua" >/dev/null
finish "$pid"
is "$fin" 0 "drained"

# ---- a worker holds about daemon.hold of work, not its whole credit ------------
# Documents of 100 ms with the default credit (64) and hold (20 ms): until
# its first results a worker holds 4, and once they have timed its documents
# 2 (never fewer: one running, one waiting), while the rest wait in the
# supervisor's queue, where the first worker free would take them.
config hold '{ script = "slow.lua", max_instructions = 0, options = { ms = 100 } }' \
    'workers = 1,'
start hold
subscribe hold doc.file
mkdir -p "$T/hold"
for i in $(seq 10); do printf 'Document %s of the hold test.' "$i" >"$T/hold/d$i.txt"; done
"$GLOSS" send -q -w 10 -c "$T/hold.lua" "$T/hold"
ok $? "ten slow documents are accepted"
# workers' jobs, limit and mean time, and the queue, as the worker runs.
holding() {
    "$GLOSS" stats -c "$T/hold.lua" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
w = d["workers"][0]
print(w["jobs"], w["limit"], int(w["doc_us"]), d["inflight"]["queued"])'
}
most=0 timed=""
for _ in $(seq 100); do
    read -r jobs limit doc_us queued <<<"$(holding)"
    [ -n "$jobs" ] || break
    [ "$jobs" -gt "$most" ] && most=$jobs
    if [ "$doc_us" -gt 0 ] && [ -z "$timed" ]; then
        timed="$jobs $limit $doc_us $queued"
    fi
    [ "$queued" = 0 ] && break
    sleep 0.05
done
ok "$([ "$most" -le 4 ]; echo $?)" "the worker never holds more than 4 (most seen: $most)"
read -r jobs limit doc_us queued <<<"$timed"
ok "$([ -n "$timed" ] && [ "$limit" = 2 ] && [ "$doc_us" -ge 50000 ]; echo $?)" \
    "once timed at about 100 ms a document, it may hold 2 (jobs, limit, doc_us, queued: $timed)"
ok "$([ -n "$timed" ] && [ "$jobs" -le 2 ] && [ "$queued" -gt 0 ]; echo $?)" \
    "and the others wait in the supervisor's queue"
await "$T/hold.sub" doc.file 10
ok $? "all ten are published"
"$GLOSS" drain -c "$T/hold.lua" >/dev/null
finish "$pid"
is "$fin" 0 "drained"

# ---- a load one worker keeps up with stays on it (daemon.spread) ---------------
# Two workers and documents of about 2 ms. The warm-up documents time the
# first worker; with spread = 10 (seconds) its work never comes near that,
# so a burst of 40 documents all goes to it, and the other worker, which
# would only add wake-ups, gets none. With spread = 0 the same burst is
# shared between the two.
# workers_docs NAME: each worker's documents, sorted, on one line.
workers_docs() {
    "$GLOSS" stats -c "$T/$1.lua" 2>/dev/null | python3 -c '
import json, sys
print(*sorted(w["documents"] for w in json.load(sys.stdin)["workers"]))'
}
mkdir -p "$T/spread"
for i in $(seq 40); do printf 'Document %s of the spread test.' "$i" >"$T/spread/d$i.txt"; done
for s in 10 0; do
    config "spread$s" '{ script = "slow.lua", max_instructions = 0, options = { ms = 2 } }' \
        "workers = 2, spread = $s,"
    start "spread$s"
    subscribe "spread$s" doc.file
    "$GLOSS" send -q -w 40 -c "$T/spread$s.lua" "$T/spread"
    await "$T/spread$s.sub" doc.file 40
    ok $? "spread = $s: the 40 documents are published"
    read -r fewer more <<<"$(workers_docs "spread$s")"
    if [ "$s" = 10 ]; then
        ok "$([ "$fewer" = 0 ] && [ "$more" -ge 40 ]; echo $?)" \
            "spread = 10: one worker took them all, the other none (documents: $fewer $more)"
    else
        ok "$([ "${fewer:-0}" -gt 0 ]; echo $?)" \
            "spread = 0: both workers took some (documents: $fewer $more)"
    fi
    "$GLOSS" drain -c "$T/spread$s.lua" >/dev/null
    finish "$pid"
    is "$fin" 0 "spread = $s: drained"
done

# A busy worker that stops keeping up without a word (a document of 2 s)
# must not keep the queue waiting for it: with credit 2, the first worker
# takes the slow document and one more, the others wait in the queue, and
# once the slow one has run for spread (0.5 s) they go to the idle worker,
# so they are published before the slow one.
config stuck '{ script = "slow.lua", max_instructions = 0, options = { ms = 1 } }' \
    'workers = 2, credit = 2, hold = 0, spread = 0.5,'
start stuck
subscribe stuck doc.file
mkdir -p "$T/stuck"
printf 'a SLOW document' >"$T/stuck/slow.txt"
for i in $(seq 6); do printf 'Quick document %s.' "$i" >"$T/stuck/quick$i.txt"; done
"$GLOSS" send -q -c "$T/stuck.lua" "$T/stuck/slow.txt"
"$GLOSS" send -q -w 6 -c "$T/stuck.lua" "$T"/stuck/quick*.txt
await "$T/stuck.sub" doc.file 7
ok $? "the slow document and the six quick ones are published"
before=$(grep '^doc\.file' "$T/stuck.sub" | sed '/stuck\/slow/,$d' | grep -c 'stuck/quick')
ok "$([ "$before" -ge 5 ]; echo $?)" \
    "at least 5 quick documents are published before the slow one (seen: $before)"
"$GLOSS" drain -c "$T/stuck.lua" >/dev/null
finish "$pid"
is "$fin" 0 "drained"

# ---- workers that die before they are ready -----------------------------------
${CC:-cc} $(pkg-config --cflags gloss) -shared -fPIC -o "$T/crash.so" \
    "$top_srcdir/tests/plugins/crash_in_worker.c"
config crash "{ plugin = \"$T/crash.so\" }" 'workers = 1,'
start crash
ok $? "a configuration whose workers crash at start is accepted (it starts in the supervisor)"
for _ in $(seq 50); do
    [ "$(stat crash worker_deaths)" -ge 2 ] && break
    sleep 0.1
done
ok "$([ "$(stat crash worker_deaths)" -ge 2 ]; echo $?)" "the workers' deaths are counted"
# Replacements come a second apart; a tight loop would start dozens in
# the same time. The bound leaves room for the seconds each gloss stats
# can take on a loaded machine.
starts=$(stat crash worker_starts)
sleep 1
ok "$([ "$(stat crash worker_starts)" -le $((starts + 5)) ]; echo $?)" \
    "replacements start with a delay, not in a tight loop"
"$GLOSS" ping -c "$T/crash.lua" >/dev/null
ok $? "the supervisor keeps answering"
"$GLOSS" drain -c "$T/crash.lua" >/dev/null
finish "$pid"
is "$fin" 0 "and drains cleanly"

# ---- backpressure: a slow stage, a fast sender ---------------------------------
config bp '{ script = "slow.lua", options = { ms = 20 } }' \
    'workers = 1, credit = 1, max_inflight_documents = 2,'
start bp
subscribe bp doc.file
mkdir -p "$T/bp"
for i in $(seq 40); do printf 'Backpressure document %s.' "$i" >"$T/bp/b$i.txt"; done
run "$GLOSS" send -c "$T/bp.lua" -w 40 -t 30 "$T/bp"
is "$rc" 0 "a fast sender's 40 documents are all accepted by a slow pipeline"
await "$T/bp.sub" doc.file 40
ok $? "and all 40 are published"
ok "$([ "$(stat bp input_paused)" -gt 0 ]; echo $?)" "input was paused at the in-flight bound"
is "$(stat bp duplicates)" 0 "no document was accepted twice"
"$GLOSS" drain -c "$T/bp.lua" >/dev/null
finish "$pid"
is "$fin" 0 "drained"

# ---- a subscriber that stops reading ------------------------------------------
# One subscriber reads nothing; a queue of 200 messages for it fills (after
# its own buffers), and then it loses messages. With XPUB_NODROP the daemon
# sees each time its queue is found full and counts it; the message still
# goes to every subscriber with room, so the one that keeps up gets all of
# them, with no gap in seq.
# The 200 results queued for the one that reads nothing (32 KiB each) are
# more than the worker's done ring holds, so results also come back through
# the worker's socket while they are held.
# Each document costs the worker 5 ms of CPU (slow.lua counts CPU time),
# so that on a machine loaded enough to slow the subscriber down, the
# daemon publishes more slowly too, and the one that reads keeps up.
config slowsub '{ script = "slow.lua", options = { ms = 5 } }' 'workers = 1, publish_hwm = 200,'
start slowsub
"$ZPROBE" stall "ipc://$T/slowsub.pub" 60 &
stall_pid=$!
subs="$subs $stall_pid"
sleep 0.5
subscribe slowsub doc.file
mkdir -p "$T/slowsub"
python3 - "$T/slowsub" <<'PY'
import os, sys
for i in range(500):
    with open(os.path.join(sys.argv[1], "s%03d.txt" % i), "w") as f:
        f.write(("Document %d of a subscriber that keeps up. " % i) * 720)
PY
# A small window paces the sender to what the daemon publishes, so that the
# subscriber that reads keeps its own queue short even on a loaded machine
# (all subscribers share publish_hwm); the one that reads nothing still
# fills its queue, since it never takes anything out of it.
run "$GLOSS" send -c "$T/slowsub.lua" -w 4 -t 30 "$T/slowsub"
is "$rc" 0 "500 documents of 32 KiB are accepted while a subscriber reads nothing"
await "$T/slowsub.sub" doc.file 500
ok $? "the subscriber that keeps up receives all 500"
python3 - "$T/slowsub.sub" <<'PY'
import json, sys
seqs = [json.loads(l.split("\t", 1)[1])["seq"] for l in open(sys.argv[1]) if l.startswith("doc.file")]
assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
PY
ok $? "with no gap in seq"
overflows=$(stat slowsub publish_overflows)
echo "# publish_overflows: $overflows"
ok "$([ "$overflows" -gt 0 ]; echo $?)" \
    "the full queue of the one that reads nothing is counted (publish_overflows)"
is "$(stat slowsub publish_errors)" 0 "and no message was refused outright"
if [ "$(uname -s)" = Linux ]; then
    ok "$([ "$(batches slowsub results_socket)" -gt 0 ]; echo $?)" \
        "results held in the queue of the one that reads nothing fill the worker's ring, and the next come through its socket"
else
    skip "the shared rings need anonymous memory files (Linux)"
fi
is "$(stat slowsub processed)" "$(stat slowsub accepted)" "the daemon kept going: everything accepted was processed"
kill "$stall_pid" 2>/dev/null
"$GLOSS" drain -c "$T/slowsub.lua" >/dev/null
finish "$pid"
is "$fin" 0 "drained"

done_testing
