# test_plugin.sh - external C stages: a plugin built out of tree with only
# `pkg-config --cflags gloss` runs in a pipeline, and the loader refuses a
# wrong ABI version, a missing descriptor and an unresolved symbol with a
# message naming the file and what it expected.
. "$top_srcdir/tests/tap.sh"

[ -x "$GLOSS" ] || skip_all "gloss is not built"
command -v pkg-config >/dev/null || skip_all "pkg-config is missing"
CC=${CC:-cc}
doc="$top_srcdir/tests/fixtures/docs/resolution.txt"

cflags=$(pkg-config --cflags gloss)
ok $? "pkg-config knows gloss"

build() { # build SOURCE OUTPUT
    $CC $cflags -Wall -Wextra -Werror -shared -fPIC -o "$2" "$1" 2>"$T/cc.err"
}

build "$top_srcdir/examples/plugins/acronyms.c" "$T/acronyms.so"
ok $? "the example plugin builds out of tree with pkg-config --cflags gloss"

run "$GLOSS" run --stage "$T/acronyms.so" "$doc"
is "$rc" 0 "gloss run --stage PLUGIN.so runs it"
like "$T/out" '"acronyms":[' "its spans are in the output"
like "$T/out" '"label":"OSCE"' "OSCE is found as an acronym"
like "$T/out" '"acronyms":{"count":' "its document label is set"

run "$GLOSS" run --stage "$T/acronyms.so" -O min_length=5 "$doc"
is "$rc" 0 "the plugin takes its options from --option"
unlike "$T/out" '"label":"OSCE"' "min_length=5 leaves out four-letter acronyms"

run "$GLOSS" run --stage "$T/acronyms.so" -O min_lenght=5 "$doc"
is "$rc" 2 "a misspelt plugin option is a configuration error"
like "$T/err" "options.min_lenght: unknown" "the message names the option"
like "$T/err" "min_length" "and suggests the right one"

run "$GLOSS" run --stage "$T/acronyms.so" -O min_length=0 "$doc"
is "$rc" 2 "the plugin's init() can refuse its options"
like "$T/err" "min_length must be at least 1" "with its own message"

mkdir "$T/plugins"
cp "$T/acronyms.so" "$T/plugins/"
cat >"$T/conf.lua" <<CONF
return {
  plugin_paths = { "plugins" },
  pipeline = {
    { stage = "normalize" },
    { stage = "acronyms", options = { layer = "abbrev" } },
  },
}
CONF
run "$GLOSS" run -c "$T/conf.lua" "$doc"
is "$rc" 0 "a plugin is found by name in plugin_paths, relative to the config"
like "$T/out" '"abbrev":[' "and runs with its configured options"

build "$top_srcdir/tests/plugins/bad_abi.c" "$T/bad_abi.so"
run "$GLOSS" run --stage "$T/bad_abi.so" "$doc"
is "$rc" 2 "a plugin with another ABI version is refused"
like "$T/err" "$T/bad_abi.so" "the message names the file"
like "$T/err" "stage ABI version 999, expected 1" "and both versions"
unlike "$T/err" "must never run" "nothing of the plugin ran"

build "$top_srcdir/tests/plugins/no_symbol.c" "$T/no_symbol.so"
run "$GLOSS" run --stage "$T/no_symbol.so" "$doc"
is "$rc" 2 "a shared object without a descriptor is refused"
like "$T/err" "missing symbol 'gloss_stage'" "the message names the missing symbol"

build "$top_srcdir/tests/plugins/needs_missing.c" "$T/needs_missing.so"
run "$GLOSS" run --stage "$T/needs_missing.so" "$doc"
is "$rc" 2 "a plugin calling a function gloss lacks is refused at load time"
like "$T/err" "gloss_function_that_does_not_exist" "the message names the function"

printf 'not an ELF file' >"$T/fake.so"
run "$GLOSS" run --stage "$T/fake.so" "$doc"
is "$rc" 2 "a file that is not a shared object is refused"
like "$T/err" "cannot load plugin" "with the loader's reason"

done_testing
