# test_run.sh - `gloss run` as a user meets it: the embedded default over
# documents like the sample resolutions, JSON lines out, clear errors for
# bad input and bad configurations, and the exit statuses the help promises.
. "$top_srcdir/tests/tap.sh"

[ -x "$GLOSS" ] || skip_all "gloss is not built"
fx="$top_srcdir/tests/fixtures/docs"
have_python=0
command -v python3 >/dev/null && have_python=1

# json_check FILE: every line parses as JSON with schema 1 (python3).
json_check() {
    python3 - "$1" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(line)
    assert d["schema"] == 1, d
    assert isinstance(d["text"], str)
    n += 1
print(n)
PY
}

run "$GLOSS" --help
is "$rc" 0 "gloss --help succeeds"
like "$T/out" "run" "and lists the run command"
run "$GLOSS" run --help
is "$rc" 0 "gloss run --help succeeds"
like "$T/out" "--config" "and documents its options"
run "$GLOSS" frobnicate
is "$rc" 2 "an unknown command is a usage error"
like "$T/err" "unknown command 'frobnicate'" "naming the command"

run "$GLOSS" run "$fx/resolution.txt" "$fx/article.txt"
is "$rc" 0 "the embedded default runs over two documents"
is "$(wc -l <"$T/out" | tr -d ' ')" 2 "one JSON line per document"
like "$T/out" "\"id\":\"$fx/resolution.txt\"" "a document's id is its path"
like "$T/out" '"schema":1' "each line carries the schema version"
if [ $have_python = 1 ]; then
    is "$(json_check "$T/out")" 2 "every line is valid JSON"
else
    skip "python3 is missing"
fi

run "$GLOSS" run "$fx"
is "$rc" 1 "a folder runs every file in it; the invalid one fails"
is "$(wc -l <"$T/out" | tr -d ' ')" 2 "the valid documents are still printed"
like "$T/err" "invalid-utf8.txt" "the failure names the document"

cat >"$T/replace.lua" <<'CONF'
return { pipeline = { { stage = "normalize", options = { invalid = "replace" } } } }
CONF
run "$GLOSS" run -c "$T/replace.lua" "$fx/invalid-utf8.txt"
is "$rc" 0 "with invalid = \"replace\" the invalid document goes through"
like "$T/out" "Valid start" "its text is kept"

cat >"$T/reject.lua" <<'CONF'
return { pipeline = { { stage = "normalize", options = { invalid = "reject" } } } }
CONF
run "$GLOSS" run -c "$T/reject.lua" --errors "$T/failed.jsonl" \
    "$fx/invalid-utf8.txt" "$fx/article.txt"
is "$rc" 1 "with invalid = \"reject\" a document with invalid UTF-8 fails"
like "$T/err" "stage 'normalize' failed" "stderr names the stage"
like "$T/err" "invalid UTF-8 at byte 12" "and where the bad byte is"
like "$T/err" "1 of 2 documents failed" "a summary counts the failures"
is "$(wc -l <"$T/out" | tr -d ' ')" 1 "the good document is still printed"
like "$T/failed.jsonl" '"errors":[{"stage":"normalize"' \
    "the failed document is kept, with its error, in the --errors file"

run "$GLOSS" run "$T/does-not-exist.txt"
is "$rc" 1 "a missing file fails the run"
like "$T/err" "cannot read $T/does-not-exist.txt: No such file or directory" \
    "with the file and the reason"

printf 'Text from a pipe.' | "$GLOSS" run --id piped - >"$T/out" 2>"$T/err"
is "$?" 0 "standard input is read with -"
like "$T/out" '"id":"piped"' "and takes its id from --id"

: >"$T/empty.txt"
run "$GLOSS" run "$T/empty.txt"
is "$rc" 0 "an empty file is an empty document"
like "$T/out" '"text":""' "with empty text"

cat >"$T/typo.lua" <<'CONF'
return { pipeline = { { stage = "normalize", optoins = {} } } }
CONF
run "$GLOSS" run -c "$T/typo.lua" "$fx/article.txt"
is "$rc" 2 "a misspelt configuration key is a configuration error"
like "$T/err" "pipeline[1].optoins" "naming the key path"
is "$(wc -c <"$T/out" | tr -d ' ')" 0 "and nothing is processed"

run "$GLOSS" run -c "$T/nope.lua" "$fx/article.txt"
is "$rc" 2 "a missing configuration file is a configuration error"
like "$T/err" "nope.lua" "naming the file"

cat >"$T/unknown.lua" <<'CONF'
return { pipeline = { { stage = "sgement" } } }
CONF
run "$GLOSS" run -c "$T/unknown.lua" "$fx/article.txt"
is "$rc" 2 "an unknown stage is a configuration error"
like "$T/err" "unknown stage 'sgement'" "naming the stage"

run "$GLOSS" run --offsets chars "$fx/article.txt"
is "$rc" 2 "a bad --offsets value is a usage error"

run "$GLOSS" run --pretty "$fx/article.txt"
is "$rc" 0 "--pretty works"
if [ $have_python = 1 ]; then
    python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out"
    ok $? "pretty output is one valid JSON document"
else
    skip "python3 is missing"
fi

run "$GLOSS" run --no-text --timings "$fx/article.txt"
unlike "$T/out" '"text":' "--no-text leaves the text out"
like "$T/out" '"timings":{"normalize":' "--timings reports each stage's time"

run "$GLOSS" check
is "$rc" 0 "gloss check accepts the embedded default"
like "$T/out" "normalize" "and lists its stages"
run "$GLOSS" check -c "$T/typo.lua"
is "$rc" 2 "gloss check refuses a bad configuration"

run "$GLOSS" stages
like "$T/out" "normalize" "gloss stages lists the built-in stages"
run "$GLOSS" stages normalize
like "$T/out" "invalid" "and shows a stage's options"

# The sample resolutions users feed (../shared, absent on a user's clone).
seeds="$GLOSS_SHARED/seeds"
if [ -d "$seeds" ]; then
    n=$(ls "$seeds" | wc -l)
    run "$GLOSS" run "$seeds"
    is "$rc" 0 "the embedded default runs over all $n sample documents"
    is "$(wc -l <"$T/out" | tr -d ' ')" "$n" "and prints one line for each"
    if [ $have_python = 1 ]; then
        is "$(json_check "$T/out")" "$n" "all of them valid JSON"
    else
        skip "python3 is missing"
    fi
else
    skip "no ../shared/seeds here"
    skip "no ../shared/seeds here"
    skip "no ../shared/seeds here"
fi

done_testing
