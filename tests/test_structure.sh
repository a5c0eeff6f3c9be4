# test_structure.sh - the structure stage (scripts/structure.lua) through
# `gloss run`: the sections it finds in resolutions laid out as PDF and HTML
# extraction leaves them, in text whose lines were joined, and in an
# ordinary article; that it never fails a document, however odd, and stays
# fast on a large one; and, when ../shared is there, that it finds every
# citation, recital, paragraph and footnote of the four sample resolutions.
#
# Each run's JSON is summarised by a small python3 program into lines such
# as "recital=A,B,C" that the checks compare with what the documents hold.
. "$top_srcdir/tests/tap.sh"

[ -x "$GLOSS" ] || skip_all "gloss is not built"
script="$top_srcdir/scripts/structure.lua"
fx="$top_srcdir/tests/fixtures/structure"

# ---- robustness: no document fails, whatever it holds ---------------------
# (Exit statuses only, so these run without python3.)

: >"$T/empty.txt"
run "$GLOSS" run --stage "$script" "$T/empty.txt"
is "$rc" 0 "an empty document goes through"
like "$T/out" '"doctype":{"article":1}' "and is labelled an article"

printf '<RepeatBlock-By><Depute></Depute>\n<Commission>{PPE}</Commission>\n</RepeatBlock-By>\n' \
    >"$T/markup.txt"
run "$GLOSS" run --stage "$script" "$T/markup.txt"
is "$rc" 0 "a document of markup only goes through"

# Bytes from a fixed generator, so that a failure can be reproduced.
LC_ALL=C awk 'BEGIN { srand(7); for (i = 0; i < 200000; i++)
    printf "%c", int(rand() * 256) }' >"$T/garbage.bin"
run "$GLOSS" run --stage "$script" "$T/garbage.bin"
is "$rc" 0 "random bytes go through"
cat >"$T/replace.lua" <<CONF
return { pipeline = { { stage = "normalize", options = { invalid = "replace" } },
                      { script = "$script" } } }
CONF
run "$GLOSS" run -c "$T/replace.lua" "$T/garbage.bin"
is "$rc" 0 "random bytes go through after normalize"

# Item markers with nothing after them, out of order, or unbalanced.
printf 'The European Parliament,\n\n-\n\nA.\n\n1.\nZZ. whereas\n[9]\n- having regard\n<Depute>x' \
    >"$T/odd.txt"
run "$GLOSS" run --stage "$script" "$T/odd.txt"
is "$rc" 0 "bare and unbalanced markers go through"

have_python=0
command -v python3 >/dev/null && have_python=1
if [ $have_python = 0 ]; then
    done_testing
    exit
fi

cat >"$T/summary.py" <<'PY'
import json, sys
from collections import defaultdict
d = json.load(open(sys.argv[1]))
text = d["text"]
by = defaultdict(list)
for s in d["layers"].get("sections", []):
    by[s["label"]].append(s)
def key(s):
    a = s.get("attrs", {})
    return str(a.get("number", a.get("letter", a.get("marker", a.get("group", "")))))
print("doctype=" + ",".join(sorted(d["labels"].get("doctype", {}))))
for label in ("citation", "recital", "paragraph", "footnote", "heading", "list_item"):
    print(label + "=" + ",".join(key(s) for s in by[label]))
print("authors=" + "|".join("%s:%s" % (s["attrs"].get("group", "-"), s["attrs"]["count"])
                            for s in by["authors"]))
print("procedure=" + ",".join(s["attrs"]["number"] for s in by["procedure"]))
print("docref=" + ",".join(s["attrs"]["ref"] for s in by["docref"]))
# The text of every section, by label and attribute, for exact checks.
for label, spans in by.items():
    for s in spans:
        print("text:%s:%s=%s" % (label, key(s),
              text[s["start"]:s["end"]].replace("\n", "\\n")))
# Sections of one kind never overlap; each is trimmed of whitespace.
bad = []
for label, spans in by.items():
    spans = sorted(spans, key=lambda s: s["start"])
    for a, b in zip(spans, spans[1:]):
        if b["start"] < a["end"]:
            bad.append("%s sections overlap at %d" % (label, b["start"]))
    for s in spans:
        t = text[s["start"]:s["end"]]
        if not t or t != t.strip():
            bad.append("%s at %d is not trimmed" % (label, s["start"]))
print("invariants=" + ("ok" if not bad else "; ".join(bad[:5])))
PY

# summarise JSON: writes the summary to $T/sum.
summarise() {
    python3 "$T/summary.py" "$1" >"$T/sum" 2>&1 || echo "summary failed" >>"$T/sum"
}
# got KEY: the value of KEY= in the summary.
got() {
    awk -v k="$1=" 'index($0, k) == 1 { print substr($0, length(k) + 1); exit }' "$T/sum"
}

# ---- fixtures ----------------------------------------------------------------

run "$GLOSS" run --stage "$script" "$fx/motion-pdf.txt"
is "$rc" 0 "a motion laid out as PDF text goes through"
summarise "$T/out"
is "$(got doctype)" "motion" "it is labelled a motion"
is "$(got citation)" "1,2,3" "its citations are numbered in order, one after a line break"
is "$(got recital)" "A,B,C,D" "its recitals keep their letters, one after a line break"
is "$(got paragraph)" "1,2,3,5" "its paragraphs keep their numbers, with a gap and '5 .'"
is "$(got footnote)" "1,2" "its footnotes at the end are found"
is "$(got authors)" "PPE:5|S&D:2" "authors are grouped by 'on behalf of'"
is "$(got procedure)" "2023/2555(RSP)" "the procedure number is found"
is "$(got docref)" "B9-0171/2023" "the document reference is found once"
is "$(got text:title:)" \
    'European Parliament resolution on the imprisonment of trade unionists in \nRuritania' \
    "the title runs over its wrapped line and stops before the procedure"
is "$(got text:recital:D)" \
    "D. whereas the country's long-\\nstanding commitments to the International Labour Organisation require it to \\n\\n\\n\\nPE745.201v01-00 3/4 RE\\P9_B(2023)0171_EN.docx\\n\\nEN\\n\\nprotect the freedom of association;" \
    "a recital goes on over a page break, furniture and all"
is "$(got text:paragraph:5)" \
    '5 . Instructs its President to forward this resolution to the Council, the \nCommission and the authorities of Ruritania.' \
    "a paragraph runs from its number to its last character"
is "$(got text:footnote:2)" \
    '2 Law No 12/2022 on public associations, Official Gazette of \nRuritania 7/2022.' \
    "a footnote goes on over its wrapped line"
is "$(got "text:authors:S&D")" "Łukasz Wróbel, Ingrid Sørensen" "an author span covers the names"
is "$(got invariants)" "ok" "sections do not overlap and are trimmed"

run "$GLOSS" run --stage "$script" "$fx/resolution-html.txt"
is "$rc" 0 "a resolution from an HTML page goes through"
summarise "$T/out"
is "$(got doctype)" "resolution" "an adopted text is labelled a resolution"
is "$(got citation)" "1,2,3" "citations after dashes and no-break spaces are found"
is "$(got recital)" "A,B,C,D,E,F,G,H,I,J,K,L,M,N,O,P,Q,R,S,T,U,V,W,X,Y,Z,AA,AB" \
    "recitals go on with double letters after Z"
is "$(got paragraph)" "1,2,3" "paragraphs are found"
is "$(got footnote)" "1,2" "bracketed footnotes are found"
is "$(got authors)" "PPE:3|S&D:1|Verts/ALE:2|-:1" \
    "authors come from <Depute> and <Commission>{GROUP} tags"
is "$(got text:authors:Verts/ALE)" "Dace Bērziņa, Tomás Ó Briain" "an author span covers the names"
is "$(got docref)" "P9_TA(2023)0123" "the adopted text's reference is found"
is "$(got procedure)" "2023/2555(RSP)" "the procedure is found on the title's line"
is "$(got text:title:)" \
    "European Parliament resolution of 16 March 2023 on the trade unions of Ruritania" \
    "the title is the Parliament's, not the page's"
is "$(got text:paragraph:2)" \
    "$(printf '2.\302\240\302\240\302\240\302\240\302\240 Calls on the authorities to release the detained unionists and to let the union regis\\n\\nter again under the law on associations;')" \
    "a paragraph cut by a blank line inside a word is joined"
is "$(got text:footnote:2)" "[2] OJ L 123, 4.5.1950, p. 1." \
    "the page's last line is not part of the last footnote"
is "$(got invariants)" "ok" "sections do not overlap and are trimmed"

run "$GLOSS" run --stage "$script" "$fx/joined.txt"
summarise "$T/out"
is "$(got citation)" "1,2" "citations are split inside a joined line"
is "$(got recital)" "A,B,C" "recitals are split inside a joined line"
is "$(got paragraph)" "1,2,3" "paragraphs are split inside a joined line"
is "$(got text:recital:B)" \
    "B. whereas their newspaper was closed on 1.2.2023 by decision No 5. The decision gave no reasons;" \
    "a number inside a recital does not start a paragraph"
is "$(got text:citation:1)" \
    "– having regard to its resolution of 14 March 2022 on Ruritania," \
    "the item before a split ends at its punctuation"
is "$(got invariants)" "ok" "sections do not overlap and are trimmed"

run "$GLOSS" run --stage "$script" "$fx/article.txt"
summarise "$T/out"
is "$(got doctype)" "article" "a text without citations or recitals is an article"
is "$(got recital)" "" "and has no recitals"
is "$(got heading)" "," "its two headings are found"
is "$(got paragraph)" ",,," "and its four paragraphs"
is "$(got list_item)" "•,•,-,1.,2)" "list items keep their markers"
is "$(got text:list_item:-)" '- an end to the\n    harassment of its members.' \
    "a list item goes on over its wrapped line"
is "$(got invariants)" "ok" "sections do not overlap and are trimmed"

# ---- after normalize, found by name in the scripts folder ---------------------

cat >"$T/pipeline.lua" <<'CONF'
return { pipeline = { { stage = "normalize" }, { script = "structure.lua" } } }
CONF
run env GLOSS_SCRIPT_PATH="$top_srcdir/scripts" "$GLOSS" run -c "$T/pipeline.lua" \
    "$fx/motion-pdf.txt"
is "$rc" 0 "structure.lua runs after normalize, found in the script path"
summarise "$T/out"
is "$(got recital),$(got paragraph)" "A,B,C,D,1,2,3,5" "with the same recitals and paragraphs"

# ---- options --------------------------------------------------------------------

run "$GLOSS" run --stage "$script" -O layer=parts "$fx/joined.txt"
like "$T/out" '"parts":[' "the layer option names the layer"
run "$GLOSS" run --stage "$script" -O lyaer=parts "$fx/joined.txt"
is "$rc" 2 "an unknown option is refused"
like "$T/err" "unknown option 'lyaer'" "naming it"

# ---- a large document -----------------------------------------------------------

python3 - "$fx" "$T/big.txt" <<'PY'
import sys
parts = [open(sys.argv[1] + "/" + f, encoding="utf-8").read()
         for f in ("motion-pdf.txt", "resolution-html.txt", "article.txt")]
out, size = [], 0
while size < 1 << 20:
    for p in parts:
        out.append(p)
        size += len(p.encode())
open(sys.argv[2], "w", encoding="utf-8").write("\n".join(out))
PY
python3 -c 'import sys; open(sys.argv[1], "w").write("- a\n" * (1 << 18))' "$T/items.txt"
# Speed is measured by benchmarks, not asserted here (shared machines are
# noisy): these check that large documents complete, and completely.
for f in big items; do
    run "$GLOSS" run --no-text --timings --stage "$script" "$T/$f.txt"
    is "$rc" 0 "a 1 MiB document ($f) goes through"
    echo "# structure took $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["timings"]["structure"])' "$T/out") ns on $f"
done
n=$(python3 -c 'import json,sys; print(sum(1 for s in json.load(open(sys.argv[1]))["layers"]["sections"] if s["label"] == "list_item"))' "$T/out")
is "$n" 262144 "every one of the 262144 list items of the second is found"

# ---- the sample resolutions (../shared, absent on a user's clone) ----------------

seeds="$GLOSS_SHARED/seeds"
if [ ! -d "$seeds" ]; then
    skip "../shared/seeds is absent"
    done_testing
    exit
fi

# seed PREFIX CONFIG: runs one sample alone (CONFIG empty) or in a pipeline.
seed() {
    if [ -n "$2" ]; then
        run env GLOSS_SCRIPT_PATH="$top_srcdir/scripts" "$GLOSS" run -c "$2" "$seeds"/$1_*.txt
    else
        run "$GLOSS" run --stage "$script" "$seeds"/$1_*.txt
    fi
    summarise "$T/out"
}

letters() { # letters FIRST LAST: "A,B,...,LAST" for single letters.
    python3 -c 'import sys; print(",".join(chr(c) for c in range(ord(sys.argv[1]), ord(sys.argv[2]) + 1)))' "$1" "$2"
}
numbers() { seq -s, "$1" "$2"; }

for how in alone normalize; do
    conf=
    [ $how = normalize ] && conf="$T/pipeline.lua"

    # 000: a motion for a resolution as PDF text, with page furniture.
    seed 000 "$conf"
    is "$rc" 0 "[$how] sample 000 goes through"
    is "$(got doctype)" "motion" "[$how] 000 is a motion"
    is "$(got citation)" "$(numbers 1 5)" "[$how] 000 has 5 citations"
    is "$(got recital)" "$(letters A L)" "[$how] 000 has recitals A to L"
    is "$(got paragraph)" "$(numbers 1 12)" "[$how] 000 has paragraphs 1 to 12 ('9 .' included)"
    is "$(got footnote)" "" "[$how] 000 lists no footnotes"
    # The procedure and the reference are on both pages of 000, so a
    # normalize that removes repeated lines as page furniture may remove
    # them; they are checked wherever they are still in the text.
    if grep -qF '2021/2544(RSP)' "$T/out"; then
        is "$(got procedure)" "2021/2544(RSP)" "[$how] 000's procedure"
    else
        skip "[$how] normalize removed 000's procedure number"
    fi
    if grep -qF 'B9-0149/2021' "$T/out"; then
        is "$(got docref)" "B9-0149/2021" "[$how] 000's reference"
    else
        skip "[$how] normalize removed 000's reference"
    fi
    is "$(got authors)" "PPE:29" "[$how] 000's 29 authors of the PPE Group"
    is "$(got text:title:)" "European Parliament resolution on Human rights situation in Kazakhstan" \
        "[$how] 000's title"
    is "$(got invariants)" "ok" "[$how] 000's sections do not overlap and are trimmed"

    # 001: an adopted resolution from the Parliament's HTML pages.
    seed 001 "$conf"
    is "$(got doctype)" "resolution" "[$how] 001 is a resolution"
    is "$(got citation)" "$(numbers 1 10)" "[$how] 001 has 10 citations"
    is "$(got recital)" "$(letters A R)" "[$how] 001 has recitals A to R"
    is "$(got paragraph)" "$(numbers 1 27)" "[$how] 001 has paragraphs 1 to 27"
    is "$(got footnote)" "$(numbers 1 5)" "[$how] 001 has footnotes 1 to 5"
    is "$(got procedure)" "2022/2505(RSP)" "[$how] 001's procedure"
    is "$(got authors)" "PPE:38|S&D:3|Renew:20|Verts/ALE:2|ECR:13|-:1" \
        "[$how] 001's authors, by group, from the markup"
    like "$T/sum" "peaceful crisis resolu\\n\\ntion and other tools" \
        "[$how] 001's paragraph 19 goes on after the blank line inside a word"
    is "$(got invariants)" "ok" "[$how] 001's sections do not overlap and are trimmed"

    # 002: an NGO's article about the resolution.
    seed 002 "$conf"
    is "$(got doctype)" "article" "[$how] 002 is an article"
    is "$(got citation)$(got recital)$(got paragraph | tr -d ,)" "" \
        "[$how] 002 has no resolution sections"
    is "$(got list_item)" "•,•,•,•,•,•" "[$how] 002 has its 6 bullet points"
    like "$T/sum" "text:heading:=A landmark statement of the European Parliament" \
        "[$how] 002's headings are found"

    # 003: a resolution as PDF text, from its preamble on, with page breaks.
    seed 003 "$conf"
    is "$(got doctype)" "resolution" "[$how] 003 is a resolution"
    is "$(got citation)" "$(numbers 1 8)" "[$how] 003 has 8 citations"
    is "$(got recital)" "$(letters A Q)" "[$how] 003 has recitals A to Q"
    is "$(got paragraph)" "$(numbers 1 17)" "[$how] 003 has paragraphs 1 to 17"
    is "$(got footnote)" "" "[$how] 003 lists no footnotes (their text is not in the file)"
    is "$(got procedure)$(got authors)" "" "[$how] 003 has no header"
    like "$T/sum" "pre-trial detention;" "[$how] 003's recital N goes on over the page break"
    is "$(got invariants)" "ok" "[$how] 003's sections do not overlap and are trimmed"

    # 004: another group's motion on the same subject.
    seed 004 "$conf"
    is "$(got doctype)" "motion" "[$how] 004 is a motion"
    is "$(got citation)" "$(numbers 1 5)" "[$how] 004 has 5 citations"
    is "$(got recital)" "$(letters A G)" "[$how] 004 has recitals A to G"
    is "$(got paragraph)" "$(numbers 1 6)" "[$how] 004 has paragraphs 1 to 6"
    is "$(got footnote)" "" "[$how] 004 lists no footnotes"
    is "$(got procedure)" "2021/2544(RSP)" "[$how] 004's procedure"
    is "$(got docref)" "B9-0148/2021" "[$how] 004's reference"
    is "$(got invariants)" "ok" "[$how] 004's sections do not overlap and are trimmed"
done

done_testing
