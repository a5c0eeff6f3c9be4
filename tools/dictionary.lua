--[[
tools/dictionary.lua - builds the dictionary that `gloss train pos
--dictionary` folds into the part-of-speech model: the tags each English
word form can have, for the words the training data never shows.

Usage (run by `make models`):
  lua tools/dictionary.lua OUT.tsv WORDNET_DIR WORDLIST...

WORDNET_DIR is WordNet 3.0's database folder (Debian's wordnet-base:
/usr/share/wordnet), read for its index.{noun,verb,adj,adv} files (the
lemmas of each part of speech) and its *.exc files (irregular forms such
as "geese goose"). Each WORDLIST is a plain list of words, one per line
(Debian's wamerican-huge: /usr/share/dict/american-english-huge), which
brings inflected forms and proper names.

Every word form of the word lists and every single-word WordNet lemma and
irregular form gets a line "FORM<TAB>TAGS". TAGS are the Universal POS
tags the form can have by WordNet, found as WordNet's own morphy finds
them: the form is a lemma of that part of speech, an irregular form of
one, or becomes one when a regular ending is taken off ("churches" ->
"church", "running" -> "runn"/"run"...: the rules below). A form spelt
with a capital first letter in a word list is also PROPN. A form with no
tag is still written, with an empty TAGS: knowing that a word is an
English word whose tags WordNet lacks (mostly closed-class words and
rare inflections) is worth something to the tagger too. Lines come in
byte order of the form, so the output is the same on every run.
]]

local out_path, wn_dir = arg[1], arg[2]
if not out_path or not wn_dir or not arg[3] then
  io.stderr:write("usage: lua tools/dictionary.lua OUT.tsv WORDNET_DIR WORDLIST...\n")
  os.exit(2)
end

local function open_or_die(path)
  local f, why = io.open(path, "r")
  if not f then
    io.stderr:write("tools/dictionary.lua: cannot read " .. path .. ": " .. tostring(why) ..
                    " (WordNet is Debian's wordnet-base, the word list wamerican-huge)\n")
    os.exit(1)
  end
  return f
end

-- WordNet's parts of speech, their files and their Universal POS tags.
local PARTS = {
  {key = "n", file = "noun", tag = "NOUN"},
  {key = "v", file = "verb", tag = "VERB"},
  {key = "a", file = "adj", tag = "ADJ"},
  {key = "r", file = "adv", tag = "ADV"},
}

-- morphy's regular endings per part of speech: an ending and what
-- replaces it to give the lemma.
local ENDINGS = {
  n = {{"s", ""}, {"ses", "s"}, {"xes", "x"}, {"zes", "z"}, {"ches", "ch"},
       {"shes", "sh"}, {"men", "man"}, {"ies", "y"}},
  v = {{"s", ""}, {"ies", "y"}, {"es", "e"}, {"es", ""}, {"ed", "e"}, {"ed", ""},
       {"ing", "e"}, {"ing", ""}},
  a = {{"er", ""}, {"est", ""}, {"er", "e"}, {"est", "e"}},
  r = {},
}

local lemmas, irregular, forms = {}, {}, {}

-- Adds the first word of each line of path that matches pattern (one
-- word: multi-word entries, joined by "_", are not tokens) to set and to
-- forms.
local function read_first_words(path, pattern, set)
  local f = open_or_die(path)
  for line in f:lines() do
    local w = line:match(pattern)
    if w and not w:find("_", 1, true) then
      set[w] = true
      forms[w] = true
    end
  end
  f:close()
end

for _, p in ipairs(PARTS) do
  lemmas[p.key], irregular[p.key] = {}, {}
  -- In index files, lines that start with a space are the licence at the
  -- file's head; in exception files, a line is an irregular form and its
  -- lemmas.
  read_first_words(wn_dir .. "/index." .. p.file, "^(%S+) ", lemmas[p.key])
  read_first_words(wn_dir .. "/" .. p.file .. ".exc", "^(%S+) %S", irregular[p.key])
end

for i = 3, #arg do
  local f = open_or_die(arg[i])
  for line in f:lines() do
    local w = line:gsub("\r$", "")
    -- Possessives ("Aaron's") are tokens of their own in running text.
    if w ~= "" and not w:find("'", 1, true) then
      forms[w] = true
    end
  end
  f:close()
end

local function has_part(lower, key)
  if lemmas[key][lower] or irregular[key][lower] then
    return true
  end
  for _, e in ipairs(ENDINGS[key]) do
    local ending, repl = e[1], e[2]
    if #lower > #ending and lower:sub(-#ending) == ending and
        lemmas[key][lower:sub(1, -#ending - 1) .. repl] then
      return true
    end
  end
  return false
end

local sorted = {}
for w in pairs(forms) do
  sorted[#sorted + 1] = w
end
table.sort(sorted)

local out, why = io.open(out_path, "w")
if not out then
  io.stderr:write("tools/dictionary.lua: cannot write " .. out_path .. ": " .. tostring(why) .. "\n")
  os.exit(1)
end
local tagged = 0
for _, w in ipairs(sorted) do
  local lower = w:lower()
  local tags = {}
  for _, p in ipairs(PARTS) do
    if has_part(lower, p.key) then
      tags[#tags + 1] = p.tag
    end
  end
  if w:match("^%u") then
    tags[#tags + 1] = "PROPN"
  end
  tagged = tagged + (#tags > 0 and 1 or 0)
  out:write(w, "\t", table.concat(tags, ","), "\n")
end
out:close()
io.stderr:write(string.format("tools/dictionary.lua: wrote %d forms (%d with tags) to %s\n",
                              #sorted, tagged, out_path))
