#!/bin/sh
# test_segment_same.sh - normalize + segment give the same text and the
# same paragraphs, sentences, tokens and multiword tokens as when
# tests/fixtures/segment/spans.expected was recorded, so that work on the
# speed of the tokenizer cannot change what it finds.
#
# The documents: the text fixtures of the repository, generated ones
# (brackets and quotes nested deep, a line of full stops, mixed scripts),
# the sample documents in ../shared/seeds and the raw text of UD English
# EWT dev and train when ../shared is there (their lines are skipped
# otherwise). For each document and layer, the expected
# file holds the number of spans and a SHA-256 of their byte offsets, and
# the SHA-256 of the normalized text: offsets only, no text of the samples.
#
# After a deliberate change of behaviour, record the file again with
#   GLOSS_SPANS_RECORD=1 make check TESTS=tests/test_segment_same.sh
# and say why in the commit.
. "$top_srcdir/tests/tap.sh"

python3 - "$GLOSS" "$top_srcdir" "${GLOSS_SHARED:-}" "$T" \
    "${GLOSS_SPANS_RECORD:-}" <<'PY'
import glob, hashlib, json, os, subprocess, sys

gloss, top, shared, tmp, record = sys.argv[1:6]
fx = os.path.join(top, "tests", "fixtures")
conf = os.path.join(fx, "segment", "normalize-segment.conf.lua")
expected_path = os.path.join(fx, "segment", "spans.expected")
LAYERS = ("paragraphs", "sentences", "tokens", "multiwords")


def nested(depth):
    opens = ["(", "[", "{", '"', "'", "\u201c", "\u2018", "\u00ab"]
    closes = [")", "]", "}", '"', "'", "\u201d", "\u2019", "\u00bb"]
    s = "".join(opens[d % 8] + "w " for d in range(depth))
    return s + "".join(closes[d % 8] for d in reversed(range(depth)))


docs = []  # (name, path or None, text bytes or None)
for pattern in ("clean/*.txt", "structure/*.txt", "nonascii.txt"):
    for p in sorted(glob.glob(os.path.join(fx, pattern))):
        docs.append(("fixtures/" + os.path.relpath(p, fx), p))
cases = []
for line in open(os.path.join(fx, "segment", "boundaries.tsv"), encoding="utf-8"):
    if line.strip() and not line.startswith("#"):
        cases.append(line.split("\t")[0].replace("\\n", "\n"))
generated = {
    "boundaries": "\n\n".join(cases),
    "boundaries-one-line": " ".join(c.replace("\n", " ") for c in cases),
    "nested": nested(3000),
    "dots": "." * 20000,
    "dots-words": "a. " * 3000 + "...." * 2000 + " Mr. X. " * 500,
    "mixed": ("Caf\u00e9 na\u00efve \u00e9t\u00e9 \u2014 \u00ab quoted \u00bb, "
              "\u4e2d\u6587\u3002 \u0928\u092e\u0938\u094d\u0924\u0947 "
              "e\u0301 \ufb01ne \u2026 don\u2019t 10\u00a0000 "
              "\U0001F600! ") * 200,
}
for name in sorted(generated):
    p = os.path.join(tmp, name + ".txt")
    with open(p, "w", encoding="utf-8") as f:
        f.write(generated[name])
    docs.append(("generated/" + name, p))
# The raw text of UD English EWT dev and train, when ../shared has them:
# sentences joined by a space, paragraphs and documents by a blank line.
ewt_files = []
for part in ("dev", "train"):
    conllu = os.path.join(shared, "data", "ud_ewt", "en_ewt-ud-%s.conllu" % part) \
        if shared else ""
    if not conllu or not os.path.exists(conllu):
        continue
    paras, cur = [], []
    for line in open(conllu, encoding="utf-8"):
        if line.startswith("# newdoc") or line.startswith("# newpar"):
            if cur:
                paras.append(" ".join(cur))
            cur = []
        elif line.startswith("# text = "):
            cur.append(line[len("# text = "):].rstrip("\n"))
    if cur:
        paras.append(" ".join(cur))
    p = os.path.join(tmp, "ewt-%s.txt" % part)
    with open(p, "w", encoding="utf-8") as f:
        f.write("\n\n".join(paras) + "\n")
    docs.append(("ewt/" + part, p))
    ewt_files.append(p)
seeds = os.path.join(shared, "seeds") if shared else ""
seed_files = sorted(glob.glob(os.path.join(seeds, "*.txt"))) if seeds else []
for p in seed_files:
    docs.append(("seeds/" + os.path.basename(p), p))


def digest(doc):
    rows = [("text", 1, hashlib.sha256(doc["text"].encode("utf-8")).hexdigest())]
    for layer in LAYERS:
        spans = doc.get("layers", {}).get(layer, [])
        flat = ";".join("%d,%d" % (s["start"], s["end"]) for s in spans)
        rows.append((layer, len(spans),
                     hashlib.sha256(flat.encode()).hexdigest()))
    return rows


got = {}
for name, path in docs:
    out = subprocess.run([gloss, "run", "-c", conf, "--offsets", "bytes",
                          path], capture_output=True)
    if out.returncode != 0:
        got[name] = None
        sys.stderr.write(out.stderr.decode("utf-8", "replace"))
        continue
    got[name] = digest(json.loads(out.stdout.decode("utf-8").splitlines()[0]))

if record:
    with open(expected_path, "w") as f:
        f.write("# document layer spans sha256 (test_segment_same.sh)\n")
        for name, _ in docs:
            for layer, n, h in got[name] or []:
                f.write("%s %s %d %s\n" % (name, layer, n, h))

want = {}
for line in open(expected_path):
    if line.startswith("#") or not line.strip():
        continue
    name, layer, n, h = line.split()
    want.setdefault(name, []).append((layer, int(n), h))

t = 0
for name in want:
    t += 1
    if (name.startswith("seeds/") or name.startswith("ewt/")) and name not in got:
        print("ok %d - %s # SKIP not in ../shared" % (t, name))
        continue
    if name not in got:
        print("not ok %d - %s: no such document here" % (t, name))
        continue
    ok = got[name] == want[name]
    print("%sok %d - %s: same text and spans" % ("" if ok else "not ", t, name))
    if not ok:
        for w, g in zip(want[name], got[name] or [("?", 0, "")] * 5):
            if w != g:
                print("#   %s: expected %d spans %s, got %s %d %s"
                      % (w[0], w[1], w[2][:12], g[0], g[1], g[2][:12]))
for name in got:
    if name not in want:
        t += 1
        print("not ok %d - %s: not in spans.expected (record it)" % (t, name))
print("1..%d" % t)
PY
