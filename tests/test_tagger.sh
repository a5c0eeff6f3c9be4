# test_tagger.sh - the pos and ner stages, `gloss train` and `gloss eval`
# for them, through the gloss program.
#
# Models trained on the small fixture files tag those files as annotated,
# and the same seed gives the same bytes; damaged, truncated, foreign and
# wrong-kind models are refused with a message naming the file; a Lua
# stage reads the tags and edits the entities; and the default models find
# the names a reader sees in the committed sample documents and, when
# ../shared is there, in the sample resolutions, and keep their dev scores.
. "$top_srcdir/tests/tap.sh"

[ -x "$GLOSS" ] || skip_all "gloss is not built"
fx="$top_srcdir/tests/fixtures/tagger"
export GLOSS_MODEL_PATH="$top_srcdir/models"

# ---- training on the fixtures ----------------------------------------------

run "$GLOSS" train pos --ud "$fx/tiny.conllu" --dev "$fx/tiny.conllu" -o "$T/pos.bin" -q
is "$rc" 0 "gloss train pos on a small treebank"
run "$GLOSS" eval pos --ud "$fx/tiny.conllu" --model "$T/pos.bin"
like "$T/out" "UPOS accuracy 100.00  (69 of 69 words)" "the model tags its training words as annotated"
# (The model's name, stored in it, comes from the file's name.)
mkdir "$T/again"
run "$GLOSS" train pos --ud "$fx/tiny.conllu" --dev "$fx/tiny.conllu" -o "$T/again/pos.bin" -q
cmp -s "$T/pos.bin" "$T/again/pos.bin"
ok $? "the same data and seed give the same model, byte for byte"
run "$GLOSS" train pos --ud "$fx/tiny.conllu" --dev "$fx/tiny.conllu" -o "$T/pos3.bin" -q \
    --seed 7 --stacked --iterations 40 --patience 10
is "$rc" 0 "a stacked model with another seed"
run "$GLOSS" eval pos --ud "$fx/tiny.conllu" --model "$T/pos3.bin"
like "$T/out" "UPOS accuracy 100.00" "which tags its training words as annotated too"

run "$GLOSS" train ner --conll "$fx/tiny.conll" --dev "$fx/tiny.conll" -o "$T/ner.bin" -q
is "$rc" 0 "gloss train ner on a small CoNLL file"
run "$GLOSS" eval ner --conll "$fx/tiny.conll" --model "$T/ner.bin"
like "$T/out" "overall  precision 100.00  recall 100.00  F1 100.00  (gold 11, system 11, correct 11)" \
    "the model finds its training entities, exact span and type"
like "$T/out" "ORG      precision 100.00" "scores per type are given"
run "$GLOSS" train ner --conll "$fx/tiny.conll" --dev "$fx/tiny.conll" -o "$T/again/ner.bin" -q
cmp -s "$T/ner.bin" "$T/again/ner.bin"
ok $? "ner training is deterministic too"

run "$GLOSS" train pos --ud "$fx/tiny.conllu" -o "$T/x.bin" --iterations nine
is "$rc" 2 "a bad number is a usage error"
like "$T/err" "--iterations wants a whole number, got 'nine'" "and says so"
run "$GLOSS" train pos --ud "$T/missing.conllu" -o "$T/x.bin"
is "$rc" 1 "a missing training file fails"
like "$T/err" "cannot read $T/missing.conllu" "naming it"
run "$GLOSS" train nonsense
is "$rc" 2 "an unknown kind is a usage error"
like "$T/err" "unknown kind 'nonsense'" "and lists the kinds"

# A dictionary: in dict-train.conllu every sentence is "they W it ." with a
# made-up W, half nouns and half verbs, so only the dictionary can tell
# what the made-up words of dict-dev.conllu are.
run "$GLOSS" train pos --ud "$fx/dict-train.conllu" --dev "$fx/dict-train.conllu" \
    --dictionary "$fx/dict.tsv" -o "$T/dict.bin" -q
is "$rc" 0 "gloss train pos with a dictionary"
run "$GLOSS" eval pos --ud "$fx/dict-dev.conllu" --model "$T/dict.bin"
like "$T/out" "UPOS accuracy 100.00  (24 of 24 words)" \
    "words the training data never showed take the dictionary's tags"
# tools/dictionary.lua on a WordNet-like fixture: lemmas, irregular forms,
# regular endings taken off, capitals as PROPN, multi-word lemmas and
# possessives left out.
run lua5.4 "$top_srcdir/tools/dictionary.lua" "$T/dictionary.tsv" "$fx/wordnet" "$fx/words.txt"
is "$rc" 0 "tools/dictionary.lua makes a dictionary from WordNet files and a word list"
cmp -s "$T/dictionary.tsv" "$fx/dictionary.expected"
ok $? "with each form's tags as WordNet's morphy finds them" || diff "$fx/dictionary.expected" "$T/dictionary.tsv" | sed 's/^/# /'
run lua5.4 "$top_srcdir/tools/dictionary.lua" "$T/x.tsv" "$T/no-wordnet" "$fx/words.txt"
is "$rc" 1 "without WordNet files it fails"
like "$T/err" "cannot read $T/no-wordnet/index.noun" "naming the file"
printf 'court\tNOUN\nsentenced\tVREB\n' >"$T/bad-dict.tsv"
run "$GLOSS" train pos --ud "$fx/tiny.conllu" --dictionary "$T/bad-dict.tsv" -o "$T/x.bin" -q
is "$rc" 1 "a dictionary with a tag the training data lacks is refused"
like "$T/err" "$T/bad-dict.tsv:2: not a line of a dictionary: VREB is not a tag of the training data" \
    "naming the file, line and tag"
printf 'court NOUN\n' >"$T/bad-dict.tsv"
run "$GLOSS" train pos --ud "$fx/tiny.conllu" --dictionary "$T/bad-dict.tsv" -o "$T/x.bin" -q
like "$T/err" "$T/bad-dict.tsv:1: not a line of a dictionary" "a line without a tab is refused"
run "$GLOSS" train ner --conll "$fx/tiny.conll" --dictionary "$fx/dict.tsv" -o "$T/x.bin" -q
is "$rc" 1 "a dictionary for a ner model is refused"
like "$T/err" "a dictionary is for pos models only" "and says why"
printf 'court\t1\t2\n' >"$T/bad-clusters.tsv"
run "$GLOSS" train pos --ud "$fx/tiny.conllu" --clusters "$T/bad-clusters.tsv" -o "$T/x.bin" -q
is "$rc" 1 "a word clusters file with a bad line is refused"
like "$T/err" "$T/bad-clusters.tsv:1: not a line of word clusters: three cluster numbers" \
    "naming the file and line"

# ---- the stages with the fixture models ------------------------------------

cat >"$T/conf.lua" <<CONF
return { pipeline = {
  { stage = "segment" },
  { stage = "pos", options = { model = "$T/pos.bin" } },
  { stage = "ner", options = { model = "$T/ner.bin" } },
  { script = "$fx/edit_entities.lua" } } }
CONF
printf 'Dulat Agadil died in Almaty. Bota Jardemalie spoke on Monday.\n' >"$T/doc.txt"
run "$GLOSS" run -c "$T/conf.lua" --offsets bytes "$T/doc.txt"
is "$rc" 0 "segment, pos, ner and a Lua stage run"
like "$T/out" '{"start":21,"end":27,"attrs":{"upos":"PROPN"}}' "tokens get their UPOS tag"
like "$T/out" '{"start":13,"end":17,"attrs":{"upos":"VERB"}}' "every token"
like "$T/out" '{"start":0,"end":12,"label":"PER","attrs":{"source":"ner","confidence":' \
    "entities get their type, source and confidence"
like "$T/out" '"proper_nouns":' "a Lua stage reads the tags"
like "$T/out" '{"start":54,"end":60,"label":"DATE","attrs":{"source":"edit_entities.lua"}}' \
    "a Lua stage adds an entity"
unlike "$T/out" '"label":"LOC"' "and removes one"

# Odd documents: bytes from a fixed generator, and one "sentence" of 3000
# words, longer than the tagger takes at once.
LC_ALL=C awk 'BEGIN { srand(11); for (i = 0; i < 100000; i++)
    printf "%c", int(rand() * 256) }' >"$T/garbage.bin"
cat >"$T/replace.lua" <<CONF
return { pipeline = { { stage = "normalize", options = { invalid = "replace" } },
  { stage = "segment" },
  { stage = "pos", options = { model = "$T/pos.bin" } },
  { stage = "ner", options = { model = "$T/ner.bin" } } } }
CONF
run "$GLOSS" run -c "$T/replace.lua" "$T/garbage.bin"
is "$rc" 0 "random bytes go through pos and ner"
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "Agadil met %d people ", i; print "" }' \
    >"$T/long.txt"
run "$GLOSS" run -c "$T/replace.lua" --offsets bytes "$T/long.txt"
is "$rc" 0 "a sentence of 12000 tokens goes through"
n_tokens=$(grep -o '"upos"' "$T/out" | wc -l)
is "$n_tokens" 12000 "and every token gets a tag"

# ---- bad models --------------------------------------------------------------

head -c 1000 "$T/pos.bin" >"$T/cut.bin"
run "$GLOSS" run --stage pos -O model="$T/cut.bin" "$T/doc.txt"
is "$rc" 2 "a truncated model stops the pipeline from starting"
like "$T/err" "model $T/cut.bin is truncated" "with a message naming the file"
cp "$T/pos.bin" "$T/flip.bin"
printf 'X' | dd of="$T/flip.bin" bs=1 seek=5000 conv=notrunc 2>/dev/null
run "$GLOSS" run --stage pos -O model="$T/flip.bin" "$T/doc.txt"
like "$T/err" "model $T/flip.bin is corrupt: its checksum does not match" "a changed byte is found"
run "$GLOSS" run --stage ner -O model="$fx/tiny.conll" "$T/doc.txt"
like "$T/err" "$fx/tiny.conll is not a gloss model" "a foreign file is refused"
run "$GLOSS" run --stage ner -O model="$T/pos.bin" "$T/doc.txt"
like "$T/err" "is a \"pos\" model, not a \"ner\" model" "a model of the other kind is refused"
run "$GLOSS" run --stage pos -O model="$T/none.bin" "$T/doc.txt"
like "$T/err" "cannot open model $T/none.bin" "a missing model is named"
run "$GLOSS" eval pos --ud "$fx/tiny.conllu" --model "$T/cut.bin"
is "$rc" 1 "gloss eval refuses a truncated model"
like "$T/err" "is truncated" "saying why"

# ---- the default models on committed documents ------------------------------

# Prints "LABEL<tab>text" for every entity of each document of a run.
have_python=0
command -v python3 >/dev/null && have_python=1
cat >"$T/ents.py" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    t = d["text"]
    for e in d["layers"].get("entities", []):
        print("%s\t%s" % (e["label"], t[e["start"]:e["end"]]))
PY
tab=$(printf '\t')
if [ $have_python = 1 ]; then
    cat >"$T/default.lua" <<CONF
return { pipeline = { { stage = "normalize" }, { stage = "segment" },
                      { stage = "pos" }, { stage = "ner" } } }
CONF
    run "$GLOSS" run -c "$T/default.lua" "$top_srcdir/tests/fixtures/docs/resolution.txt" \
        "$top_srcdir/tests/fixtures/docs/article.txt"
    is "$rc" 0 "the default models load and run"
    python3 "$T/ents.py" "$T/out" >"$T/ents"
    like "$T/ents" "PER${tab}Ilya Marchenko" "a journalist is a person"
    like "$T/ents" "PER${tab}Jiří Dvořák" "a member with diacritics is a person"
    like "$T/ents" "ORG${tab}OSCE" "the OSCE is an organisation"
    like "$T/ents" "LOC${tab}Ruritania" "a country is a place"
    like "$T/ents" "LOC${tab}Strelsau" "and so is its capital"
else
    skip "python3 is needed to read the entities"
fi

# ---- with ../shared: the sample resolutions and the dev scores ---------------

seeds="$GLOSS_SHARED/seeds"
data="$GLOSS_SHARED/data"
if [ $have_python = 1 ] && [ -f "$seeds/000_9f5864ff0b1a8f3f.txt" ]; then
    run "$GLOSS" run -c "$T/default.lua" "$seeds/000_9f5864ff0b1a8f3f.txt" \
        "$seeds/001_4805025cebb46170.txt" "$seeds/002_7fed3bdafdd98d63.txt"
    python3 "$T/ents.py" "$T/out" >"$T/ents"
    like "$T/ents" "PER${tab}Dulat Agadil" "Dulat Agadil is a person"
    like "$T/ents" "PER${tab}Bota Jardemalie" "Bota Jardemalie is a person"
    like "$T/ents" "ORG${tab}OSCE" "the OSCE is an organisation"
    like "$T/ents" "ORG${tab}Open Dialogue Foundation" "the Open Dialogue Foundation is one"
    like "$T/ents" "LOC${tab}Almaty" "Almaty is a place"
    like "$T/ents" "LOC${tab}Zhanaozen" "Zhanaozen is a place"
else
    skip "no sample resolutions in ../shared/seeds (or no python3)"
fi
if [ -f "$data/ud_ewt/en_ewt-ud-dev.conllu" ]; then
    run "$GLOSS" eval pos --ud "$data/ud_ewt/en_ewt-ud-dev.conllu"
    acc=$(sed -n 's/^UPOS accuracy \([0-9.]*\) .*/\1/p' "$T/out")
    awk -v a="$acc" 'BEGIN { exit !(a >= 95.5) }'
    ok $? "the default pos model keeps its EWT dev accuracy (got $acc, at least 95.5)"
    run "$GLOSS" eval ner --conll "$data/conll2003/eng.testa"
    f1=$(sed -n 's/^overall .*F1 *\([0-9.]*\) .*/\1/p' "$T/out")
    awk -v f="$f1" 'BEGIN { exit !(f >= 90.5) }'
    ok $? "the default ner model keeps its eng.testa F1 (got $f1, at least 90.5)"
else
    skip "no training data in ../shared/data"
fi

done_testing
