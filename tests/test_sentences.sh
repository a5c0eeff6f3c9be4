#!/bin/sh
# test_sentences.sh - classic sentence-boundary cases through `gloss run`
# on the embedded default configuration (normalize, segment, structure):
# abbreviations, initials, numbers, times, quotations, parentheses,
# lists, ellipses, URLs and e-mail addresses, and lines of a PDF or of a
# list. Each case of tests/fixtures/segment/boundaries.tsv is a test.
. "$top_srcdir/tests/tap.sh"

cases="$top_srcdir/tests/fixtures/segment/boundaries.tsv"
python3 - "$GLOSS" "$cases" "$T" <<'PY'
import json, re, subprocess, sys
gloss, cases, tmp = sys.argv[1:4]
n = 0
for line in open(cases, encoding="utf-8"):
    line = line.rstrip("\n")
    if not line or line.startswith("#"):
        continue
    text, want = line.split("\t")
    text = text.replace("\\n", "\n")
    want = [w.strip() for w in want.split(" || ")]
    path = tmp + "/case.txt"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    n += 1
    out = subprocess.run([gloss, "run", path], capture_output=True, text=True)
    if out.returncode != 0:
        print("not ok %d - %s" % (n, want[0]))
        print("# gloss run failed: " + out.stderr.strip())
        continue
    doc = json.loads(out.stdout.splitlines()[0])
    t = doc["text"]
    got = [re.sub(r"\s+", " ", t[s["start"]:s["end"]]).strip()
           for s in doc["layers"]["sentences"]]
    ok = got == want
    print("%sok %d - %s" % ("" if ok else "not ", n, " || ".join(want)))
    if not ok:
        print("# got: " + " || ".join(got))
print("1..%d" % n)
PY
