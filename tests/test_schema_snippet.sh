# test_schema_snippet.sh - the Python snippet of docs/schema.md, run on
# what `gloss run` really prints, so that the documentation cannot drift
# from the output.
#
# The fixture text puts an astral character (an emoji) before names with
# non-ASCII letters, so that offsets counted in anything but code points
# (UTF-16 units, bytes) would cut the names in the wrong places.
. "$top_srcdir/tests/tap.sh"

[ -x "$GLOSS" ] || skip_all "gloss is not built"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is missing"

stage="$top_srcdir/tests/fixtures/entities.lua"
input="$top_srcdir/tests/fixtures/nonascii.txt"

# The snippet is the fenced block between the marker comments.
sed -n '/^<!-- snippet:slice-entities -->$/,/^<!-- \/snippet -->$/p' \
    "$top_srcdir/docs/schema.md" | grep -v '^<!--' | grep -v '^```' >"$T/slice.py"
grep -q 'json.loads' "$T/slice.py"
ok $? "docs/schema.md holds the slice-entities snippet"

cat >"$T/want" <<'NAMES'
Field
Łucja
Wiśniewska
Øster
May
On
Tuesday
Ülkü
Şahin
Ægir
Þórsson
Назарбаев
Zoë
Brontë
Almaty
Émile
Dvořák
José
Martí
NAMES

for unit in codepoints bytes; do
    run "$GLOSS" run --offsets "$unit" --stage "$stage" "$input"
    is "$rc" 0 "gloss runs the entities fixture ($unit offsets)"
    like "$T/out" "\"offsets\":\"$unit\"" "and announces $unit offsets"
    python3 "$T/slice.py" <"$T/out" >"$T/got" 2>"$T/pyerr"
    is "$?" 0 "the snippet runs on that output ($unit offsets)"
    if cmp -s "$T/want" "$T/got"; then
        ok 0 "it prints every name, whole, after the astral character ($unit offsets)"
    else
        ok 1 "it prints every name, whole, after the astral character ($unit offsets)"
        diff "$T/want" "$T/got" | sed 's/^/# /'
        sed 's/^/# /' "$T/pyerr"
    fi
done

done_testing
