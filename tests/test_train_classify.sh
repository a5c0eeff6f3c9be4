# test_train_classify.sh - the text classifier end to end: `gloss train
# classify` on small fixtures written for these tests (four human-rights
# topics), predicting them back with `gloss eval classify`; training
# deterministic for a seed; multi-label mode; the `classify` stage on the
# document and on the recitals and paragraphs of a sample resolution; bad
# data and damaged models refused with a clear message.
. "$top_srcdir/tests/tap.sh"

[ -x "$GLOSS" ] || skip_all "gloss is not built"
fx="$top_srcdir/tests/fixtures/classify"
structure="$top_srcdir/scripts/structure.lua"

# ---- single label: train, predict back, determinism -----------------------
run "$GLOSS" train classify --jsonl "$fx/topics.jsonl" -o "$T/topics.bin" --bits 12
is "$rc" 0 "train a single-label model on the topic fixture"
run "$GLOSS" eval classify --jsonl "$fx/topics.jsonl" -m "$T/topics.bin"
is "$rc" 0 "evaluate it"
like "$T/out" "accuracy     100.00%" "it predicts its own training texts back"
like "$T/out" "macro-F1     100.00%" "with macro-F1 100"
like "$T/out" "confusion matrix" "eval prints the confusion matrix"
like "$T/out" "torture" "and the per-label table names the labels"

run "$GLOSS" train classify --jsonl "$fx/topics.jsonl" -o "$T/again.bin" --bits 12 --threads 1
cmp -s "$T/topics.bin" "$T/again.bin"
ok $? "the same data and seed give the same bytes, whatever the threads"
run "$GLOSS" train classify --jsonl "$fx/topics.jsonl" -o "$T/seed2.bin" --bits 12 --seed 2
cmp -s "$T/topics.bin" "$T/seed2.bin"
is "$?" 1 "another seed gives another model"

run "$GLOSS" train classify --jsonl "$fx/topics.jsonl" -o "$T/log.bin" --bits 12 \
    --loss logistic
run "$GLOSS" eval classify --jsonl "$fx/topics.jsonl" -m "$T/log.bin"
like "$T/out" "accuracy     100.00%" "a softmax cross-entropy model predicts them back too"
run "$GLOSS" train classify --jsonl "$fx/topics.jsonl" -o "$T/x.bin" --loss square
is "$rc" 2 "an unknown loss is a usage error"

# A dev set picks the epoch and is reported.
run "$GLOSS" train classify --jsonl "$fx/topics.jsonl" --dev "$fx/topics.jsonl" \
    -o "$T/dev.bin" --bits 12
is "$rc" 0 "train with a dev set"
like "$T/err" "dev accuracy 100.00%" "and report its accuracy"

# ---- multi-label ------------------------------------------------------------
run "$GLOSS" train classify --jsonl "$fx/multi.jsonl" --multi-label -o "$T/multi.bin" \
    --bits 12 --epochs 60 --patience 0
is "$rc" 0 "train a multi-label model (texts with several labels and none)"
run "$GLOSS" eval classify --jsonl "$fx/multi.jsonl" -m "$T/multi.bin"
is "$rc" 0 "evaluate it"
like "$T/out" "accuracy     100.00% (exact label sets)" "every label set is predicted back"
unlike "$T/out" "confusion matrix" "no confusion matrix for several labels"

run "$GLOSS" train classify --jsonl "$fx/multi.jsonl" --dev "$fx/multi.jsonl" --multi-label \
    --tune-thresholds -o "$T/tuned.bin" --bits 12
is "$rc" 0 "train with thresholds tuned on dev"
like "$T/err" "dev accuracy 100.00%" "which still predicts every label set"
run "$GLOSS" train classify --jsonl "$fx/topics.jsonl" --tune-thresholds -o "$T/x.bin"
is "$rc" 2 "tuning thresholds without --multi-label and --dev is a usage error"

printf 'Observers of the presidential election were held in prison and subjected to torture.\n' \
    >"$T/two.txt"
run "$GLOSS" run --stage classify -O "model=$T/multi.bin" -O threshold=0.3 "$T/two.txt"
is "$rc" 0 "the classify stage runs a multi-label model"
like "$T/out" '"torture":' "a text on two topics gets the first"
like "$T/out" '"elections":' "and the second"
unlike "$T/out" '"labour":' "but not a third it does not mention"
printf 'The weather was mild and the football team won the cup.\n' >"$T/none.txt"
run "$GLOSS" run --stage classify -O "model=$T/multi.bin" "$T/none.txt"
unlike "$T/out" '"class":' "a text on no topic gets no label"

# ---- the stage on sections of a resolution --------------------------------
cat >"$T/sections.lua" <<CONF
return { pipeline = {
  { stage = "normalize" },
  { script = "$structure" },
  { stage = "classify", options = { model = "$T/topics.bin", apply = "both",
    group = "topic", kinds = { "recital", "paragraph" } } } } }
CONF
run "$GLOSS" run -c "$T/sections.lua" "$fx/resolution.txt"
is "$rc" 0 "normalize, structure and classify run on a resolution"
if command -v python3 >/dev/null; then
    cat >"$T/sections.py" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
text = d["text"]
top = lambda labels: max(labels["topic"], key=labels["topic"].get) if labels else "-"
print("document=" + top(d.get("labels", {})))
for s in d["layers"]["sections"]:
    if s.get("label") in ("recital", "paragraph"):
        head = text[s["start"]:s["end"]].split(" ")[0]
        print(f'{s["label"]} {head} {top(s.get("labels"))}')
PY
    python3 "$T/sections.py" "$T/out" >"$T/summary"
    like "$T/summary" "recital A. torture" "the recital on torture in prisons is labelled torture"
    like "$T/summary" "recital B. elections" "the recital on the election is labelled elections"
    like "$T/summary" "recital C. media" "the recital on a journalist is labelled media"
    like "$T/summary" "recital D. labour" "the recital on a trade union is labelled labour"
    like "$T/summary" "paragraph 1. torture" "the paragraph on torture is labelled torture"
    like "$T/summary" "document=" "the document gets a topic too"
    unlike "$T/summary" "citation" "sections of other kinds are left alone"
else
    skip "python3 is not installed: section labels not checked"
fi

# ---- bad data, bad options, damaged models ---------------------------------
printf '{"text": "fine", "label": "a"}\n{"label": "b"}\n' >"$T/bad.jsonl"
run "$GLOSS" train classify --jsonl "$T/bad.jsonl" -o "$T/bad.bin"
is "$rc" 1 "a line without text is refused"
like "$T/err" "bad.jsonl:2: no \"text\" string" "naming the file and line"
printf '{"text": "fine", "labels": ["a", "b"]}\n' >"$T/two.jsonl"
run "$GLOSS" train classify --jsonl "$T/two.jsonl" -o "$T/two.bin"
is "$rc" 1 "several labels without --multi-label are refused"
like "$T/err" "--multi-label" "with a hint"
run "$GLOSS" train classify --jsonl "$fx/topics.jsonl" -o "$T/x.bin" --bits 40
is "$rc" 2 "an out-of-range option is a usage error"

# Damage one byte in the middle of the weights: the checksum catches it.
cp "$T/topics.bin" "$T/corrupt.bin"
size=$(wc -c <"$T/corrupt.bin")
printf '\377' | dd of="$T/corrupt.bin" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
run "$GLOSS" run --stage classify -O "model=$T/corrupt.bin" "$fx/resolution.txt"
is "$rc" 2 "a corrupt model stops the pipeline from starting"
like "$T/err" "corrupt" "with a message saying so"
run "$GLOSS" eval classify --jsonl "$fx/topics.jsonl" -m "$T/corrupt.bin"
is "$rc" 1 "gloss eval refuses it too"
head -c 100 "$T/topics.bin" >"$T/short.bin"
run "$GLOSS" run --stage classify -O "model=$T/short.bin" "$fx/resolution.txt"
is "$rc" 2 "a truncated model is refused"
like "$T/err" "short.bin" "naming the file"
run "$GLOSS" run --stage classify -O "model=$fx/topics.jsonl" "$fx/resolution.txt"
is "$rc" 2 "a file that is no model is refused"
like "$T/err" "not a gloss model" "saying what it is not"
run "$GLOSS" run --stage classify -O "model=$T/topics.bin" \
    -O 'thresholds={"nosuch": 0.5}' "$fx/resolution.txt"
is "$rc" 2 "a threshold for a label the model lacks is refused"
like "$T/err" "nosuch" "naming the label"

done_testing
