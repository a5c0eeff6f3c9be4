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

# The second snippet maps spans back into the original text. normalize
# (with its defaults) removes the markup around a name and the hyphen of
# a word broken across a line, so that a span of the markup layer starts
# and ends next to deleted text and a name of the entities layer spans
# it, after non-ASCII letters and an emoji on both sides. Its Unicode pass
# changes lengths before and inside names too (CRLF line ends, a soft
# hyphen inside a name, an accent composed with its letter), so every
# span after them checks that the map leads past those changes exactly.
sed -n '/^<!-- snippet:map-back -->$/,/^<!-- \/snippet -->$/p' \
    "$top_srcdir/docs/schema.md" | grep -v '^<!--' | grep -v '^```' >"$T/back.py"
grep -q 'to_original' "$T/back.py"
ok $? "docs/schema.md holds the map-back snippet"

cat >"$T/conf.lua" <<CONF
return { pipeline = {
  { stage = "normalize" },
  { script = "$stage" },
} }
CONF
# \302\255 is a soft hyphen, \314\201 a combining acute accent (the E
# before it becomes one character under NFC).
printf '😀 Le 18 avril, <Depute>Łucja Wiś\302\255niewska</Depute> et Zoë.\r\n\r\nAli With-\r\ndrawal of Øster 😀\r\nand E\314\201mile.\n' \
    >"$T/mapped.txt"

{
    cat <<'PAIRS'
'Łucja Wiśniewska' <- 'Łucja Wiś\xadniewska'
'Le' <- 'Le'
'Łucja' <- 'Łucja'
'Wiśniewska' <- 'Wiś\xadniewska'
'Zoë' <- 'Zoë'
'Ali' <- 'Ali'
'Withdrawal' <- 'With-\r\ndrawal'
'Øster' <- 'Øster'
PAIRS
    printf "'Émile' <- 'E\314\201mile'\n"
} >"$T/want-back"

for unit in codepoints bytes; do
    run "$GLOSS" run -c "$T/conf.lua" --original --offsets "$unit" "$T/mapped.txt"
    is "$rc" 0 "gloss runs normalize and the entities fixture ($unit offsets)"
    like "$T/out" '"offset_map":[[0,0],' "and writes an offset map ($unit offsets)"
    { python3 "$T/back.py" markup <"$T/out" &&
      python3 "$T/back.py" <"$T/out"; } >"$T/got" 2>"$T/pyerr"
    is "$?" 0 "the map-back snippet runs on that output ($unit offsets)"
    if cmp -s "$T/want-back" "$T/got"; then
        ok 0 "every span maps back to its original text ($unit offsets)"
    else
        ok 1 "every span maps back to its original text ($unit offsets)"
        diff "$T/want-back" "$T/got" | sed 's/^/# /'
        sed 's/^/# /' "$T/pyerr"
    fi
done

done_testing
