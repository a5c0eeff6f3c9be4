# test_match_run.sh - the `match` stage as users meet it: the default
# pipeline on the sample resolutions (every date, legal reference,
# procedure and document number with its label and exact span), a
# dictionary of 100,000 entries with its compiled database cached on disk,
# a glossd reload after a dictionary changed, and gloss.matcher() in a Lua
# stage.
. "$top_srcdir/tests/tap.sh"

[ -x "$GLOSS" ] && [ -x "$GLOSSD" ] || skip_all "gloss or glossd is not built"
command -v python3 >/dev/null || skip_all "python3 is missing (used to read JSON)"
fx="$top_srcdir/tests/fixtures"
dpid=""
spid=""
trap '[ -n "$dpid" ] && kill -9 "$dpid" 2>/dev/null; stop_all $spid; rm -rf "$T"' EXIT

# ---- the sample resolutions --------------------------------------------------
# expected-spans.tsv lists, for each fixture, the spans the default pipeline
# must find; the check fails on a missing span, a wrong label or offset, and
# on any other DATE, LAW, PROCEDURE or DOCREF span.
for f in $(grep -v '^#' "$fx/match/expected-spans.tsv" | cut -f1 | sort -u); do
    "$GLOSS" run "$fx/$f" >"$T/out.json" 2>"$T/err"
    rc=$?
    python3 - "$T/out.json" "$fx/match/expected-spans.tsv" "$f" >"$T/diff" <<'PY'
import json, sys
doc = json.loads(open(sys.argv[1], encoding="utf-8").readline())
want = set()
for line in open(sys.argv[2], encoding="utf-8"):
    if line.startswith("#"):
        continue
    f, label, s, e, text = line.rstrip("\n").split("\t")
    if f == sys.argv[3]:
        want.add((label, int(s), int(e), text))
t = doc["text"]
got = {(s["label"], s["start"], s["end"], t[s["start"]:s["end"]])
       for s in doc["layers"].get("entities", [])
       if s.get("label") in ("DATE", "LAW", "PROCEDURE", "DOCREF")}
for x in sorted(want - got):
    print("missing", x)
for x in sorted(got - want):
    print("unexpected", x)
PY
    is "$rc:$(cat "$T/diff")" "0:" "default pipeline on $f: every date, law, procedure and document number, exactly"
done

# ---- 100,000 phrases, and the database cache ----------------------------------
# Names of three made-up words, like a gazetteer's. (Phrases that all share
# a prefix and a suffix, "Person Number<i> Example", take Vectorscan over a
# minute to compile at this size: see docs/match.md.)
awk 'function w(  s, n, k) { n = 3 + int(rand() * 7); s = sprintf("%c", 65 + int(rand() * 26));
         for (k = 1; k < n; k++) s = s sprintf("%c", 97 + int(rand() * 26)); return s }
     BEGIN { srand(1); for (i = 0; i < 100000; i++) {
         p = (i == 7 || i == 99999) ? "Person Number" i " Example" : w() " " w() " " w();
         printf "%s\tPER\tp:%d\n", p, i } }' >"$T/big.tsv"
cat >"$T/big.lua" <<CONF
return { pipeline = { { stage = "match", options = {
  builtin = false, cache_dir = "$T/cache",
  dictionaries = { { file = "$T/big.tsv", diacritics_insensitive = false } } } } },
  output = { offsets = "bytes" } }
CONF
printf 'We met Person Number99999 Example and Person Number7 Example, not Person Number7 Examples.' >"$T/big.txt"
"$GLOSS" run -c "$T/big.lua" "$T/big.txt" >"$T/out.json" 2>"$T/err"
is "$?" 0 "a dictionary of 100,000 phrases compiles and runs"
ids() { python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).readline()); print(" ".join(s["attrs"]["id"] for s in d["layers"]["entities"]))' "$1"; }
is "$(ids "$T/out.json")" "p:99999 p:7" "its phrases are found, at word boundaries only"
is "$(ls "$T/cache" 2>/dev/null | wc -l | tr -d ' ')" 1 "the compiled database is written to cache_dir"
"$GLOSS" run -c "$T/big.lua" "$T/big.txt" >"$T/out2.json" 2>"$T/err"
is "$?:$(ids "$T/out2.json")" "0:p:99999 p:7" "a second run reads it from the cache and finds the same"
# A changed dictionary and a damaged cache file, on a small dictionary
# (compiling 100,000 phrases once is enough).
printf 'Dulat Agadil\tPER\tperson:agadil\n' >"$T/small.tsv"
sed "s|$T/big.tsv|$T/small.tsv|; s|$T/cache|$T/cache2|" "$T/big.lua" >"$T/small.lua"
printf 'Dulat Agadil met R\303\263\305\274a Thun.' >"$T/small.txt"
"$GLOSS" run -c "$T/small.lua" "$T/small.txt" >"$T/out.json" 2>"$T/err"
printf 'R\303\263\305\274a Thun\tPER\tperson:thun\n' >>"$T/small.tsv"
"$GLOSS" run -c "$T/small.lua" "$T/small.txt" >"$T/out2.json" 2>"$T/err"
is "$(ls "$T/cache2" | wc -l | tr -d ' '):$(ids "$T/out2.json")" "2:person:agadil person:thun" \
    "a changed dictionary gets a database of its own, and is used"
for f in "$T"/cache2/*; do printf 'broken' >"$f"; done
"$GLOSS" run -c "$T/small.lua" "$T/small.txt" >"$T/out3.json" 2>"$T/err"
is "$?:$(ids "$T/out3.json")" "0:person:agadil person:thun" "a damaged cache file is compiled again, not trusted"
# Phrases that start with another one (a prefix chain: only the shortest is
# in the database), compiled and then read back from the cache.
printf 'Kazakhstan Airlines\tORG\tk3\nKazak\tMISC\tk1\nKazakhstan\tLOC\tk2\n' >"$T/chain.tsv"
sed "s|$T/big.tsv|$T/chain.tsv|; s|$T/cache|$T/cache3|" "$T/big.lua" >"$T/chain.lua"
printf 'Kazak, Kazakhstan Airlines and Kazakhstan, not Kazakhstani.' >"$T/chain.txt"
"$GLOSS" run -c "$T/chain.lua" "$T/chain.txt" >"$T/out.json" 2>"$T/err"
"$GLOSS" run -c "$T/chain.lua" "$T/chain.txt" >"$T/out2.json" 2>"$T/err"
is "$(ids "$T/out.json"):$(ls "$T/cache3" | wc -l | tr -d ' '):$(ids "$T/out2.json")" \
    "k1 k3 k2:1:k1 k3 k2" "a prefix chain finds each of its phrases, compiled and from the cache"

# ---- a Lua stage with gloss.matcher -------------------------------------------
"$GLOSS" run -c "$fx/match/lua.conf.lua" "$fx/docs/resolution.txt" >"$T/out.json" 2>"$T/err"
is "$?" 0 "a Lua stage builds a matcher and runs it"
python3 - "$T/out.json" >"$T/topics" <<'PY'
import json, sys
d = json.loads(open(sys.argv[1], encoding="utf-8").readline())
t = d["text"]
for s in d["layers"].get("topics", []):
    print(s["label"], t[s["start"]:s["end"]], s["attrs"].get("id"), s["attrs"].get("n", ""))
PY
like "$T/topics" "TOPIC detention detention" "phrases are found in the document"
like "$T/topics" "TOPIC journalists media-freedom" "case-insensitively, with their id"
like "$T/topics" "LAW Article 174 law 174" "patterns and their named groups come back"
like "$T/topics" "SECTION release detention" "a matcher runs on a section span, with document positions"
echo 'return { process = function(doc) end, init = function() gloss.matcher{ { pattern = "(", label = "X" } } end }' >"$T/badlua.lua"
run "$GLOSS" run --stage "$T/badlua.lua" "$fx/docs/resolution.txt"
ok "$([ "$rc" -ne 0 ] && echo 0 || echo 1)" "a bad pattern in gloss.matcher fails the stage's init"
like "$T/err" "gloss.matcher: item 1" "naming the item"

# ---- glossd reload with a changed dictionary ---------------------------------
cat >"$T/watch.tsv" <<'TSV'
Dulat Agadil	PER	person:agadil
TSV
cat >"$T/d.lua" <<CONF
return {
  pipeline = { { stage = "match", options = { builtin = false,
    dictionaries = { { file = "$T/watch.tsv", name = "watch" } } } } },
  daemon = {
    submit = "ipc://$T/d.submit", feed = "ipc://$T/d.feed",
    publish = "ipc://$T/d.pub", control = "ipc://$T/d.control",
    run_dir = "$T", workers = 1,
  },
}
CONF
"$GLOSSD" -c "$T/d.lua" 2>>"$T/d.err" &
dpid=$!
up=1
for _ in $(seq 100); do
    "$GLOSS" ping -c "$T/d.lua" -t 0.2 >/dev/null 2>&1 && { up=0; break; }
    sleep 0.1
done
ok "$up" "glossd starts with the dictionary"
# Appending, so that the file can be emptied while the subscriber runs.
: >"$T/d.sub"
"$GLOSS" sub -c "$T/d.lua" >>"$T/d.sub" 2>/dev/null &
spid=$!
# await N: waits up to 30 s for N documents on the subscription, sending a
# warm-up document now and then until the subscriber is connected.
sent=0
await() {
    for i in $(seq 300); do
        [ "$(grep -c '"id":"[ab]' "$T/d.sub")" -ge "$1" ] && return 0
        sleep 0.1
    done
    return 1
}
for i in $(seq 30); do
    printf 'warm up' | "$GLOSS" send -q -c "$T/d.lua" --id "warm-$i" - >/dev/null 2>&1
    sleep 0.2
    [ -s "$T/d.sub" ] && break
done
: >"$T/d.sub"
printf 'Dulat Agadil and Róża Thun.' | "$GLOSS" send -q -c "$T/d.lua" --id before - >/dev/null 2>&1
await 1
ok $? "a document goes through before the reload"
printf 'Dulat Agadil\tPER\tperson:agadil\nRóża Thun\tPER\tperson:thun\n' >"$T/watch.tsv"
run "$GLOSS" reload -c "$T/d.lua"
is "$rc" 0 "gloss reload succeeds after the dictionary changed"
printf 'Dulat Agadil and Róża Thun.' | "$GLOSS" send -q -c "$T/d.lua" --id after - >/dev/null 2>&1
await 2
ok $? "a document goes through after the reload"
python3 - "$T/d.sub" >"$T/d.ids" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.strip("\0\n")
    if not line.startswith("{"):
        continue
    d = json.loads(line)
    ids = [s["attrs"]["id"] for s in d["layers"].get("entities", [])]
    print(d["id"], " ".join(ids))
PY
like "$T/d.ids" "before person:agadil" "before the reload, the old dictionary"
unlike "$T/d.ids" "before person:agadil person:thun" "(which does not know the new name)"
like "$T/d.ids" "after person:agadil person:thun" "after the reload, the changed dictionary"
"$GLOSS" drain -c "$T/d.lua" >/dev/null 2>&1 || kill "$dpid" 2>/dev/null
for _ in $(seq 100); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
kill -9 "$dpid" 2>/dev/null
stop_all "$spid"

done_testing
