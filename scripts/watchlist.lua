--[[
watchlist.lua - a gloss stage that marks every mention of watched names
and phrases, for alerting.

    { script = "watchlist.lua", name = "watch",
      options = { terms = {"Dulat Agadil", "Róża Thun", "Article 174"},
                  layer = "watchlist",        -- the default
                  case_sensitive = false } }  -- the default

Each mention becomes a span in the layer, labelled with the term as it is
written in the options and carrying the attribute term = <that term>. The
document gets one label per term it mentions, in the group "watchlist",
whose score is the number of mentions; a subscriber alerts on documents
that carry any "watchlist" label.

How terms are matched:
  - As whole words: a term that starts or ends with a letter or a digit
    must not touch another one there, so "Agadil" does not match inside
    "Agadilov". Any character outside ASCII counts as a letter, except
    Latin-1 punctuation, the general punctuation and symbol blocks
    (U+2000-U+2BFF) and CJK punctuation, so quotes and dashes of any kind
    end a word.
  - Whitespace inside a term matches any run of spaces, tabs, line breaks
    and no-break spaces, since extracted text breaks lines anywhere. Other
    Unicode spaces (thin spaces, ...) do not.
  - Without case_sensitive, case is ignored for the letters of ASCII,
    Latin-1, Latin Extended-A, Greek and Cyrillic (Kazakh letters
    included), by mapping capitals to small letters of the same byte
    length. Letters of other scripts, and pairs whose two forms differ in
    length (such as Turkish dotted İ), must match exactly.
]]

local M = {}

-- ---- case folding -----------------------------------------------------------

-- Capital letter (UTF-8) -> small letter. Only pairs of equal byte length
-- are kept, so folded text has the same byte positions as the original.
local FOLD = {}

local function pair(capital, small)
    local c, s = utf8.char(capital), utf8.char(small)
    if #c == #s then FOLD[c] = s end
end

local function pairs_in(first, last, step, offset)
    for cp = first, last, step do pair(cp, cp + offset) end
end

pairs_in(0x41, 0x5A, 1, 32)                 -- ASCII A-Z
pairs_in(0xC0, 0xD6, 1, 32)                 -- Latin-1, before the sign ×
pairs_in(0xD8, 0xDE, 1, 32)                 -- Latin-1, after it
pairs_in(0x100, 0x12F, 2, 1)                -- Latin Extended-A: even/odd
pairs_in(0x132, 0x137, 2, 1)
pairs_in(0x139, 0x148, 2, 1)                -- odd/even from here
pairs_in(0x14A, 0x177, 2, 1)
pair(0x178, 0xFF)                           -- Ÿ -> ÿ
pairs_in(0x179, 0x17E, 2, 1)
pair(0x386, 0x3AC)                          -- Greek with tonos
pairs_in(0x388, 0x38A, 1, 37)
pair(0x38C, 0x3CC)
pairs_in(0x38E, 0x38F, 1, 63)
pairs_in(0x391, 0x3A1, 1, 32)               -- Greek Α-Ρ
pairs_in(0x3A3, 0x3AB, 1, 32)               -- Greek Σ-Ϋ
pairs_in(0x400, 0x40F, 1, 80)               -- Cyrillic Ѐ-Џ
pairs_in(0x410, 0x42F, 1, 32)               -- Cyrillic А-Я
pairs_in(0x460, 0x481, 2, 1)                -- Cyrillic extensions, even/odd
pairs_in(0x48A, 0x4BF, 2, 1)                -- (Kazakh Ғ Қ Ң Ү Ұ Һ among them)
pair(0x4C0, 0x4CF)                          -- palochka
pairs_in(0x4C1, 0x4CE, 2, 1)
pairs_in(0x4D0, 0x52F, 2, 1)                -- (Kazakh Ә Ө among them)

-- An ASCII capital, or a two-byte letter whose lead byte is in the blocks
-- above (U+00C0-U+052F).
local FOLD_PATTERN = "[A-Z\xC3-\xD4][\x80-\xBF]?"

local function fold(s)
    return (s:gsub(FOLD_PATTERN, FOLD))
end

-- ---- word boundaries ----------------------------------------------------------

-- The code point at byte position p, 0xFFFD for a malformed sequence, or
-- nil past the end. Decoded by hand because utf8.codepoint raises an
-- error on malformed text, which a stage may well be given.
local function decode(s, p)
    local b = s:byte(p)
    if not b then return nil end
    if b < 0x80 then return b end
    local n, cp
    if b >= 0xF0 then n, cp = 3, b & 0x07
    elseif b >= 0xE0 then n, cp = 2, b & 0x0F
    elseif b >= 0xC0 then n, cp = 1, b & 0x1F
    else return 0xFFFD end
    for i = 1, n do
        local c = s:byte(p + i)
        if not c or c & 0xC0 ~= 0x80 then return 0xFFFD end
        cp = (cp << 6) | (c & 0x3F)
    end
    return cp
end

-- The code point of the character that ends just before position p.
local function decode_before(s, p)
    local q = p - 1
    while q > 1 and q > p - 4 do
        local b = s:byte(q)
        if b < 0x80 or b >= 0xC0 then break end
        q = q - 1
    end
    if q < 1 then return nil end
    return decode(s, q)
end

local function is_word(cp)
    if not cp then return false end
    if cp < 0x80 then
        return (cp >= 0x30 and cp <= 0x39) or (cp >= 0x41 and cp <= 0x5A)
            or (cp >= 0x61 and cp <= 0x7A) or cp == 0x5F
    end
    if cp <= 0xBF or cp == 0xD7 or cp == 0xF7 then return false end
    if cp >= 0x2000 and cp <= 0x2BFF then return false end
    if cp >= 0x3000 and cp <= 0x303F then return false end
    return cp ~= 0xFFFD
end

-- ---- terms ------------------------------------------------------------------------

local SPACE = "[%s\xC2\xA0]+"   -- a run of whitespace or no-break spaces

local function escape(word)
    return (word:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0"))
end

local terms    -- compiled terms, in the order of the options
local layer = "watchlist"
local case_sensitive = false

-- Prepares one term for searching: its first word is found with a plain
-- search (fast), and the whole term is then matched at that place.
local function compile(term)
    local key = case_sensitive and term or fold(term)
    local words = {}
    for word in key:gmatch("%S+") do words[#words + 1] = word end
    local escaped = {}
    for i, word in ipairs(words) do escaped[i] = escape(word) end
    local last = words[#words]
    return {
        term = term,
        key = table.concat(words, " "),
        first_word = words[1],
        anchored = #words > 1 and "^" .. table.concat(escaped, SPACE) or nil,
        check_before = is_word(decode(words[1], 1)),
        check_after = is_word(decode_before(last, #last + 1)),
    }
end

local function fail(fmt, ...)
    error("watchlist: " .. fmt:format(...), 0)
end

function M.init(config)
    for k in pairs(config) do
        if k ~= "terms" and k ~= "layer" and k ~= "case_sensitive" then
            fail("unknown option '%s' (the options are terms, layer and "
                 .. "case_sensitive)", tostring(k))
        end
    end
    if config.layer ~= nil then
        if type(config.layer) ~= "string" or config.layer == "" then
            fail("option 'layer' must be a non-empty string")
        end
        layer = config.layer
    end
    if config.case_sensitive ~= nil then
        if type(config.case_sensitive) ~= "boolean" then
            fail("option 'case_sensitive' must be true or false")
        end
        case_sensitive = config.case_sensitive
    end
    local list = config.terms
    if type(list) ~= "table" or #list == 0 then
        fail("option 'terms' must be a non-empty list of strings")
    end
    terms = {}
    local seen = {}
    for i, term in ipairs(list) do
        if type(term) ~= "string" or not term:find("%S") then
            fail("option 'terms' must be a non-empty list of strings "
                 .. "(terms[%d] is not)", i)
        end
        local t = compile(term)
        if seen[t.key] then
            fail("terms '%s' and '%s' are the same term", seen[t.key], term)
        end
        seen[t.key] = term
        terms[#terms + 1] = t
    end
end

-- Finds the mentions of t in the (folded) text and marks them; returns
-- how many there were.
local function mark(doc, text, t)
    local count, init = 0, 1
    while true do
        local s, e = text:find(t.first_word, init, true)
        if not s then return count end
        if t.anchored then
            local _
            _, e = text:find(t.anchored, s)
        end
        if e
            and not (t.check_before and is_word(decode_before(text, s)))
            and not (t.check_after and is_word(decode(text, e + 1))) then
            doc:add(layer, s, e, t.term, {term = t.term})
            count = count + 1
            init = e + 1
        else
            init = s + 1
        end
    end
end

function M.process(doc)
    local text = doc.text
    if not case_sensitive then text = fold(text) end
    for _, t in ipairs(terms) do
        local count = mark(doc, text, t)
        if count > 0 then doc:label("watchlist", t.term, count) end
    end
end

return M
