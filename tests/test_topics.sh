# test_topics.sh - the topic stage (scripts/topics.lua and its taxonomy,
# scripts/topics_taxonomy.lua) through `gloss run`: every sample document
# goes through without error (the fixtures, and ../shared/seeds when it is
# there); the recitals of a sample resolution get the topics they are
# about; options and taxonomies are checked; a topic added in the
# configuration is found; the evidence layer shows the cues.
. "$top_srcdir/tests/tap.sh"

[ -x "$GLOSS" ] || skip_all "gloss is not built"
scripts="$top_srcdir/scripts"
fx="$top_srcdir/tests/fixtures"

cat >"$T/topics.lua" <<CONF
return { pipeline = {
  { stage = "normalize", options = { invalid = "replace" } },
  { script = "$scripts/structure.lua" },
  { script = "$scripts/topics.lua" } } }
CONF

# ---- every sample goes through ----------------------------------------------
for f in "$fx"/structure/*.txt "$fx"/docs/*.txt "$fx"/classify/*.txt \
         "${GLOSS_SHARED:-/nonexistent}"/seeds/*.txt; do
    [ -f "$f" ] || continue
    run "$GLOSS" run -c "$T/topics.lua" "$f"
    is "$rc" 0 "topics on $(basename "$f")"
done
[ -d "${GLOSS_SHARED:-/nonexistent}/seeds" ] || skip "../shared/seeds is absent"

# Alone, on bytes that are not UTF-8 (refused, as segment and match refuse
# them: normalize comes first), and on an empty text.
run "$GLOSS" run --stage "$scripts/topics.lua" "$fx/docs/invalid-utf8.txt"
is "$rc" 1 "topics alone on invalid UTF-8 fails the document"
like "$T/err" "run normalize before" "saying what to do"
: >"$T/empty.txt"
run "$GLOSS" run --stage "$scripts/topics.lua" "$T/empty.txt"
is "$rc" 0 "topics on an empty document"
like "$T/out" '"labels":{}' "which gets no label"

# ---- what it finds -----------------------------------------------------------
run "$GLOSS" run -c "$T/topics.lua" "$fx/classify/resolution.txt"
if command -v python3 >/dev/null; then
    cat >"$T/summary.py" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
text = d["text"]
def names(labels):
    t = (labels or {}).get("topic", {})
    return ",".join(sorted(t, key=lambda k: -t[k]))
print("document=" + names(d["labels"]))
for s in d["layers"]["sections"]:
    print(f'{s["label"]} {text[s["start"]:s["end"]].split(" ")[0]} {names(s.get("labels"))}')
PY
    python3 "$T/summary.py" "$T/out" >"$T/summary"
    like "$T/summary" "recital A. torture" "the recital on torture in prisons is labelled torture (alone)"
    like "$T/summary" "recital B. elections" "the recital on a stolen election is labelled elections"
    like "$T/summary" "recital C. expression" "the recital on blocked media is labelled expression"
    like "$T/summary" "recital D. labour" "the recital on a dissolved union is labelled labour"
    like "$T/summary" "paragraph 1. torture" "the paragraph on torture is labelled torture"
    like "$T/summary" "paragraph 2. " "the closing paragraph is there"
    unlike "$T/summary" "paragraph 2. sanctions_eu" "and its boilerplate names no topic"
    like "$T/summary" "document=torture" "the document's strongest topic is torture"
else
    skip "python3 is not installed: labels not checked"
fi

# ---- options and taxonomies --------------------------------------------------
run "$GLOSS" run --stage "$scripts/topics.lua" -O treshold=2 "$T/empty.txt"
is "$rc" 2 "an unknown option is refused"
like "$T/err" "unknown option 'treshold'" "naming it"
run "$GLOSS" run --stage "$scripts/topics.lua" -O 'topics=["nosuch"]' "$T/empty.txt"
is "$rc" 2 "an unknown topic id is refused"
like "$T/err" "nosuch" "naming it"
run "$GLOSS" run --stage "$scripts/topics.lua" \
    -O 'add=[{"id":"x","cues":[["three","words"]]}]' "$T/empty.txt"
is "$rc" 2 "a cue list without a weight is refused"
like "$T/err" "add[1] (x): cues[1] must start with a weight" "naming the place"
run "$GLOSS" run --stage "$scripts/topics.lua" \
    -O 'add=[{"id":"torture","cues":[[3,"x"]]}]' "$T/empty.txt"
is "$rc" 2 "a topic defined twice is refused"

# A topic added in the configuration, and only the topics asked for.
printf 'The dam on the river flooded three villages; the hydropower plant was built without consultation.\n' \
    >"$T/dam.txt"
run "$GLOSS" run --stage "$scripts/topics.lua" \
    -O 'add=[{"id":"environment","name":"Environment","cues":[[3,"hydropower plant","dam"],[1,"river"]]}]' \
    -O 'topics=["environment"]' -O document_threshold=3 "$T/dam.txt"
is "$rc" 0 "a topic added through the options"
like "$T/out" '"topic":{"environment":' "is found"

# Evidence: the cues behind the labels.
run "$GLOSS" run -c "$T/topics.lua" "$fx/classify/resolution.txt"
printf 'return { pipeline = { { script = "%s/topics.lua", options = { evidence = true } } } }\n' \
    "$scripts" >"$T/evidence.lua"
run "$GLOSS" run -c "$T/evidence.lua" "$fx/classify/resolution.txt"
is "$rc" 0 "topics with evidence"
like "$T/out" '"topic_cues":[' "adds the layer topic_cues"
like "$T/out" '"label":"torture","attrs":{"weight":3}' "whose spans name the topic and the weight"

# ---- a real sample resolution -------------------------------------------------
# Recital F of the Kazakhstan motion in ../shared/seeds is about torture in
# prisons: in section mode it carries torture as its strongest topic.
seed="${GLOSS_SHARED:-/nonexistent}/seeds/000_9f5864ff0b1a8f3f.txt"
if [ -f "$seed" ] && command -v python3 >/dev/null; then
    run "$GLOSS" run -c "$T/topics.lua" "$seed"
    python3 "$T/summary.py" "$T/out" >"$T/seed-summary"
    like "$T/seed-summary" "recital F. torture" \
        "the sample motion's recital on torture in prisons is labelled torture first"
else
    skip "../shared/seeds is absent"
fi

done_testing
