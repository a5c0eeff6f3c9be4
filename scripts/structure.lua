--[[
structure.lua - a gloss stage that finds the structure of a document: the
parts of a European Parliament resolution or motion for a resolution, or
the headings, paragraphs and list items of any other text.

    { script = "structure.lua",
      options = { layer = "sections" } }      -- the default

Every part becomes a span in the layer "sections" (see docs/structure.md
for the full list of labels and attributes):

  resolution  title, procedure, docref, authors (one span per political
              group), citation ("having regard to ..."), recital ("A.
              whereas ..."), paragraph (the numbered operative paragraphs),
              footnote (the notes listed at the end)
  otherwise   heading, paragraph, list_item

and the document gets one label in the group "doctype": "resolution",
"motion" or "article".

How it works. The text is read once, line by line, by a small state
machine that moves through the zones of a resolution in order: the header
(title, procedure number, references, authors), then the citations, the
recitals, the operative paragraphs and the footnotes. An item starts where
a line (or, after a punctuation mark, the middle of a line, for text whose
line breaks were joined) begins with the marker of the current or a later
zone: a dash and "having regard", a letter, a full stop and "whereas", a
number and a full stop, a footnote number. Letters and numbers must follow
the ones before them, which keeps a wrapped line that happens to begin with
"4." from starting a paragraph. Every other line continues the open item,
unless a blank line separates them and the item had already ended with a
full stop or semicolon while the new line starts with a capital letter:
that is text after the resolution, not a page break inside an item.

The stage works on raw text as extracted from PDF or HTML, and on text
cleaned by the normalize stage. Lines that look like page furniture (page
numbers, file names, "EN United in diversity EN") are skipped. Authors are
taken from the "markup" layer that normalize records for HTML pages
(<Depute> names followed by <Commission>{GROUP}), from the same tags when
they are still in the text, or from the PDF layout ("Name, Name ... on
behalf of the PPE Group").

A document in which no citation or recital is found is not a resolution:
it gets headings, paragraphs and list items instead. The stage never
fails a document: the parsing runs under pcall, a failure falls back to
the simpler parse, and spans are only added once a parse has finished, so
a document never carries half of one.
]]

local M = {}

local layer = "sections"

local function fail(fmt, ...)
    error("structure: " .. string.format(fmt, ...), 0)
end

function M.init(options)
    for k in pairs(options) do
        if k ~= "layer" then
            fail("unknown option '%s' (the only option is layer)", tostring(k))
        end
    end
    if options.layer ~= nil then
        if type(options.layer) ~= "string" or options.layer == "" then
            fail("option 'layer' must be a non-empty string")
        end
        layer = options.layer
    end
end

-- ---- characters ------------------------------------------------------------

local byte, sub, find, match = string.byte, string.sub, string.find, string.match

-- The length of the whitespace character at position i of s, or 0. Besides
-- ASCII blanks this knows the no-break space and the Unicode spaces of the
-- U+2000 block, which PDF and HTML extraction leave in indentation.
local function space_len(s, i)
    local b = byte(s, i)
    if b == 32 or b == 9 or b == 13 or b == 12 or b == 11 then return 1 end
    if b == 0xC2 then
        if byte(s, i + 1) == 0xA0 then return 2 end
    elseif b == 0xE2 then
        local b2, b3 = byte(s, i + 1, i + 2)
        if b2 == 0x80 and b3 and ((b3 >= 0x80 and b3 <= 0x8A) or b3 == 0xAF) then
            return 3
        end
        if b2 == 0x81 and b3 == 0x9F then return 3 end
    elseif b == 0xE3 then
        local b2, b3 = byte(s, i + 1, i + 2)
        if b2 == 0x80 and b3 == 0x80 then return 3 end
    end
    return 0
end

-- The first position from i to j that is not whitespace (past j if
-- none). Runs of ASCII blanks and no-break spaces are skipped by one
-- search, so that a long run costs no Lua loop; a 0xC2 the search stopped
-- after is the first byte of another character, which starts there.
local function skip_space(s, i, j)
    while i <= j do
        local q = find(s, "[^ \t\r\f\v\194\160]", i) or #s + 1
        if q > i and byte(s, q - 1) == 0xC2 then q = q - 1 end
        i = q
        local n = space_len(s, i)
        if n == 0 then break end
        i = i + n
    end
    return i
end

-- The last position from j down to i that is not whitespace (i - 1 if
-- none). Multi-byte spaces are recognised by their last byte and then
-- checked whole, so the result never cuts a character.
local function trim_end(s, i, j)
    while j >= i do
        local b = byte(s, j)
        if b == 32 or b == 9 or b == 13 or b == 12 or b == 11 then
            j = j - 1
        elseif b == 0xA0 and j - 1 >= i and space_len(s, j - 1) == 2 then
            j = j - 2
        elseif b >= 0x80 and b < 0xC0 and j - 2 >= i and space_len(s, j - 2) == 3 then
            j = j - 3
        else
            break
        end
    end
    return j
end

-- The length of the list marker (a dash or a bullet) at position i, or 0.
local DASHES3 = {
    ["\226\128\146"] = true, ["\226\128\147"] = true, ["\226\128\148"] = true,
    ["\226\128\149"] = true, ["\226\128\162"] = true, ["\226\128\163"] = true,
    ["\226\136\146"] = true, ["\226\150\170"] = true, ["\226\150\171"] = true,
    ["\226\151\143"] = true, ["\226\151\166"] = true, ["\239\130\167"] = true,
    ["\239\130\183"] = true,
}
local function dash_len(s, i)
    local b = byte(s, i)
    if b == 45 or b == 42 then return 1 end                  -- - *
    if b == 0xC2 and byte(s, i + 1) == 0xB7 then return 2 end -- middle dot
    if (b == 0xE2 or b == 0xEF) and DASHES3[sub(s, i, i + 2)] then return 3 end
    return 0
end

local function is_lower(b) return b and b >= 97 and b <= 122 end
local function is_digit(b) return b and b >= 48 and b <= 57 end

-- A full stop, semicolon, colon, question or exclamation mark: an item
-- that ends with one of these is complete.
local TERMINAL = { [46] = true, [59] = true, [58] = true, [33] = true, [63] = true }

-- "A" -> 1 ... "Z" -> 26, "AA" -> 27 ... "AZ" -> 52, "BA" -> 53: the
-- order of recital letters, which go on with double letters after Z.
local function letter_index(l)
    local a, b = byte(l, 1, 2)
    if not b then return a - 64 end
    return a * 26 + b - 64 * 27
end

-- Page furniture: lines a PDF repeats on every page. Only short lines are
-- tested, so that a long line of text is never mistaken for one.
-- The last character decides which patterns can apply, which keeps the
-- test cheap on the many lines that are not furniture.
local function is_furniture(line)
    local len = #line
    if len > 120 then return false end
    if len == 2 then return find(line, "^%u%u$") ~= nil end
    local last = byte(line, len)
    if is_digit(last) then
        return (find(line, "^%d+/%d+$") or find(line, "^%d+$")
                or find(line, "^[Pp]age %d+") or find(line, "^PE%d+%.%d+")
                or find(line, "%.docx?%f[%W]")) ~= nil
    elseif last == 120 or last == 99 then                  -- x, c
        return find(line, "%.docx?$") ~= nil
    elseif last == 102 then                                -- f
        return find(line, "%.pdf$") ~= nil
    elseif last == 78 then                                 -- N
        return find(line, "United in diversity", 1, true) ~= nil
    end
    return false
end

-- Whitespace runs (the no-break space included) become one space.
-- Reads the line that starts at pos. Returns the position of the next line
-- and the first and last byte of this line's text; or, when the line counts
-- as blank (empty, page furniture, or nothing but markup tags), only the
-- position of the next line that is not empty, since consecutive blank
-- lines count as one. Both passes over a document read lines this way.
local function read_line(text, n, pos)
    local nl = find(text, "\n", pos, true)
    local le = (nl or n + 1) - 1
    local after = le + 2
    local c = skip_space(text, pos, le)
    if c <= le then
        local e = trim_end(text, c, le)
        if e - c >= 120 then return after, c, e end
        local line = sub(text, c, e)
        if not is_furniture(line)
            and not (byte(line, 1) == 60 and not find(line:gsub("<[^<>]*>", ""), "%S")) then
            return after, c, e
        end
    end
    return nl and (find(text, "[^\n]", after) or n + 1) or after
end

local function squeeze(s)
    s = s:gsub("\194\160", " "):gsub("%s+", " ")
    return (s:gsub("^ ", ""):gsub(" $", ""))
end

-- The names of an author list, in order, joined with "; ", and how many.
local function split_names(s)
    local names = {}
    for part in squeeze(s):gmatch("[^,]+") do
        local name = part:gsub("^ +", ""):gsub(" +$", "")
        if name ~= "" then names[#names + 1] = name end
    end
    return table.concat(names, "; "), #names
end

-- ---- found sections ------------------------------------------------------------

-- The sections a parse finds, in parallel arrays rather than a table per
-- section, so that a document of a million list items stays well inside
-- the stage's memory limit. Each section has a first and last position, a
-- label, and either one attribute (key, value) or a table of them (attrs).
-- Entries are false rather than nil to keep the arrays without holes.
local function new_sections()
    return { first = {}, last = {}, label = {}, key = {}, value = {}, attrs = {}, n = 0 }
end

local function push(o, first, last, label, key, value, attrs)
    local i = o.n + 1
    o.n = i
    o.first[i], o.last[i], o.label[i] = first, last, label
    o.key[i], o.value[i], o.attrs[i] = key or false, value or false, attrs or false
    return i
end

-- ---- authors from HTML markup ----------------------------------------------

-- Author groups from the "markup" layer that normalize records for HTML:
-- each <Depute> span holds names, and the <Commission> span after it the
-- group (its "code" attribute, or the text "on behalf of the X Group").
local function group_of(code, text)
    if code and code ~= "" then return code end
    local g = text and match(text, "on behalf of the (.-) [Gg]roup")
    return g
end

local function authors_from_layer(doc, o)
    local pending = {}
    local found = false
    for span in doc:spans("markup") do
        if span.label == "Depute" then
            local s = span.first
            local text = span:text()
            local f = skip_space(text, 1, #text)
            local l = trim_end(text, f, #text)
            if l >= f and byte(text, l) == 44 then l = trim_end(text, f, l - 1) end
            if l >= f then
                local names, count = split_names(sub(text, f, l))
                pending[#pending + 1] = push(o, s + f - 1, s + l - 1, "authors", nil, nil,
                                             { names = names, count = count })
                found = true
            end
        elseif span.label == "Commission" then
            local text = span.last - span.first < 500 and span:text() or nil
            local group = group_of(span:attr("code"), text)
            for _, i in ipairs(pending) do o.attrs[i].group = group end
            pending = {}
        end
    end
    return found
end

-- The same from tags still in the text: <Depute>names</Depute> and
-- <Commission>{GROUP}on behalf of ...</Commission>. Both tags are found
-- with plain searches that move forward only, so the scan is linear.
local function authors_from_tags(text, o)
    local n = #text
    local found = false
    local pending = {}
    local dpos = find(text, "<Depute>", 1, true)
    local cpos = find(text, "<Commission>", 1, true)
    while dpos or cpos do
        if dpos and (not cpos or dpos < cpos) then
            local f = dpos + 8
            local close = find(text, "</Depute>", f, true)
            local eol = find(text, "\n", f, true) or n + 1
            local stop = close and close < eol and close or eol
            local ff = skip_space(text, f, stop - 1)
            local l = trim_end(text, ff, stop - 1)
            if l >= ff and byte(text, l) == 44 then l = trim_end(text, ff, l - 1) end
            if l >= ff and not find(sub(text, ff, l), "<", 1, true) then
                local names, count = split_names(sub(text, ff, l))
                pending[#pending + 1] = push(o, ff, l, "authors", nil, nil,
                                             { names = names, count = count })
                found = true
            end
            dpos = find(text, "<Depute>", stop, true)
        else
            local f = cpos + 12
            local eol = find(text, "\n", f, true) or n + 1
            local line = sub(text, f, math.min(eol - 1, f + 300))
            local code = match(line, "^{([^}]*)}")
            local group = group_of(code, line)
            for _, i in ipairs(pending) do o.attrs[i].group = group end
            pending = {}
            cpos = find(text, "<Commission>", f, true)
        end
    end
    return found
end

-- ---- resolutions -------------------------------------------------------------

-- Zones of a resolution, in the order they come.
local HEADER, CITATIONS, RECITALS, PARAGRAPHS, FOOTNOTES = 0, 1, 2, 3, 4

-- Reference starts that mark a footnote written as "3 OJ C 23, ...".
local NOTE_STARTS = { "^OJ ", "^Texts adopted", "^P%d+_TA", "^TA%-", "^https?:",
                      "^ECLI", "^Ibid", "^See ", "^Case " }

local function looks_like_note(s)
    for _, p in ipairs(NOTE_STARTS) do
        if find(s, p) then return true end
    end
    return false
end

-- Document references: motions (B9-0149/2021), joint motions (RC-B9-...),
-- reports (A9-0001/2021) and adopted texts (P9_TA(2022)0019, TA-9-2022-0019).
local REF_PATTERNS = {
    "%f[%w]()RC%-B%d+%-%d%d%d%d/%d%d%d%d()",
    "%f[%w]()[ABC]%d+%-%d%d%d%d/%d%d%d%d()",
    "%f[%w]()P%d+_TA%(%d%d%d%d%)%d%d%d%d()",
    "%f[%w]()TA%-%d+%-%d%d%d%d%-%d%d%d%d()",
}

local NO_PATTERNS = {}

local function parse_resolution(text, no_pdf_authors, o)
    local L, Lab = o.last, o.label
    local n = #text
    local zone = HEADER
    local block_start = true      -- the line follows a blank line (or the start)
    local cur                      -- the index of the open item
    local ncit, rec_last, par_last, fn_last = 0, 0, 0, 0
    local counts = { citation = 0, recital = 0, paragraph = 0, footnote = 0 }
    local isolated = false        -- the open item is a footnote inside the text

    -- Header state.
    local title, title_open, procedure, fallback_title
    local refs, nrefs = {}, 0
    local motion = false
    local names_first, names_last  -- the lines since the last blank line

    local function close()
        if cur then
            counts[Lab[cur]] = counts[Lab[cur]] + 1
            cur = nil
        end
    end

    local function open(first, last, label, key, value)
        close()
        cur = push(o, first, last, label, key, value)
        isolated = false
    end

    -- Tries to start an item at position p of the line (which runs to e).
    -- mid is true for a position inside a line. Returns true when an
    -- item was started.
    local function try_start(p, e, mid)
        local bs = block_start and not mid
        local w = sub(text, p, math.min(e, p + 24))
        local b = byte(w, 1)
        -- A footnote: "[3] ..." or "3 OJ C ...".
        if zone >= CITATIONS and not mid then
            -- A bracketed number may skip notes after a blank line; a bare
            -- number only a few, since it is weaker evidence.
            local num = match(w, "^%[(%d+)%]")
            local gap = math.huge
            if not num and is_digit(b) then
                local d, r = match(w, "^(%d+)%s+()")
                if d and (zone == FOOTNOTES
                          or looks_like_note(sub(text, p + r - 1, math.min(e, p + r + 20)))) then
                    num, gap = d, 5
                end
            end
            if num then
                local k = tonumber(num)
                if k == fn_last + 1 or (bs and k > fn_last and k <= fn_last + gap) then
                    open(p, e, "footnote", "number", k)
                    fn_last = k
                    if zone == PARAGRAPHS then zone = FOOTNOTES end
                    isolated = zone ~= FOOTNOTES
                    return true
                end
            end
        end
        if zone == FOOTNOTES then return false end
        -- A citation: a dash and "having regard", or "having regard" after
        -- a blank line.
        if zone <= CITATIONS then
            local d = dash_len(text, p)
            local q = d > 0 and skip_space(text, p + d, e) or p
            if (d > 0 and q > p + d or bs and d == 0)
                and find(text, "^[Hh]aving regard", q) and q <= e then
                ncit = ncit + 1
                open(p, e, "citation", "number", ncit)
                zone = CITATIONS
                return true
            end
        end
        -- A recital: a letter, a full stop, and "whereas".
        if zone <= RECITALS then
            local letter, r = match(w, "^(%u%u?) ?%.()")
            if letter then
                local q = skip_space(text, p + r - 1, e)
                local k = letter_index(letter)
                if q > p + r - 1 and find(text, "^[Ww]hereas", q) and q <= e
                    and (k == rec_last + 1 or (bs and k > rec_last)) then
                    open(p, e, "recital", "letter", letter)
                    rec_last = k
                    zone = RECITALS
                    return true
                end
            end
        end
        -- An operative paragraph: a number, a full stop, and a word that
        -- does not start with a small letter or a digit. The first one is
        -- 1, and after a blank line a few numbers may be missing; a wider
        -- gap is more likely a year at the start of a wrapped line.
        if zone >= CITATIONS and zone <= PARAGRAPHS then
            local num, r = match(w, "^(%d+) ?%.()")
            if num then
                local q = skip_space(text, p + r - 1, e)
                local k = tonumber(num)
                local c = byte(text, q)
                if q > p + r - 1 and q <= e and not is_lower(c) and not is_digit(c)
                    and (k == par_last + 1
                         or (bs and par_last > 0 and k > par_last and k <= par_last + 5)) then
                    open(p, e, "paragraph", "number", k)
                    par_last = k
                    zone = PARAGRAPHS
                    return true
                end
            end
        end
        return false
    end

    -- Item starts inside a line, after a punctuation mark, for text whose
    -- line breaks were joined: "...; B. whereas", "..., – having regard".
    -- Each kind's next candidate is kept until the scan passes it, so
    -- that a long line is searched once per kind, not once per item.
    local function split_line(c, e)
        if e - c < 8 then return end
        local line = sub(text, c, e)
        local init = 2
        local nr, np, nc = 0, 0, 0      -- next candidates; false: none left
        while true do
            if nr and nr < init then
                nr = zone <= RECITALS
                    and find(line, "[;:.,][%s\194\160]+%u%u? ?%.[%s\194\160]+[Ww]hereas", init)
                    or false
            end
            if np and np < init then
                np = zone <= PARAGRAPHS
                    and find(line, "[;:.][%s\194\160]+%d+ ?%.[%s\194\160]+%u", init)
                    or false
            end
            if nc and nc < init then
                nc = zone <= CITATIONS
                    and find(line, "[;:,][%s\194\160]+[^%s\194\160]+[%s\194\160]+[Hh]aving regard", init)
                    or false
            end
            local best = nr
            if np and (not best or np < best) then best = np end
            if nc and (not best or nc < best) then best = nc end
            if not best then return end
            -- The item would start at the first character after the spaces.
            local p = skip_space(text, c + best, e)
            local before = cur
            if p <= e and try_start(p, e, true) and before then
                L[before] = trim_end(text, o.first[before], c + best - 1)
            end
            init = p - c + 2
            if init > #line then return end
        end
    end

    -- The header: title, procedure, references, authors, and the line
    -- "The European Parliament," that ends it. Returns true on that line.
    local function header_line(c, e)
        local line = sub(text, c, e)
        if find(line, "MOTION FOR A RESOLUTION", 1, true)
            or find(line, "^Motion for a resolution") then
            motion = true
        end
        for _, pat in ipairs(find(line, "%d[%-_]") and REF_PATTERNS or NO_PATTERNS) do
            for s, f in line:gmatch(pat) do
                local ref = sub(line, s, f - 1)
                if not refs[ref] and nrefs < 20 then
                    refs[ref] = true
                    nrefs = nrefs + 1
                    push(o, c + s - 1, c + f - 2, "docref", "ref", ref)
                end
            end
        end
        local ps, pe = find(line, "%d%d%d%d/%d%d%d%d%(%u%u%u%)")
        if not procedure and ps then
            procedure = { c + ps - 1, c + pe - 1, sub(line, ps, pe) }
        end
        -- The title ends before a procedure number on its line, and goes
        -- on over the next lines until one starts with "(" or is blank.
        local te = ps and trim_end(text, c, c + ps - 2) or e
        if te >= c and byte(text, te) == 40 then te = trim_end(text, c, te - 1) end
        if find(line, "^European Parliament [%a ]-[Rr]esolution") then
            if not title and te >= c then
                title = { c, te }
                title_open = not ps
            end
        elseif title_open then
            title_open = false
            if byte(line, 1) ~= 40 and te >= c then
                title[2] = te
                title_open = not ps
            end
        elseif not fallback_title and find(line, "^Resolution on ") then
            fallback_title = { c, e }
        end
        if not no_pdf_authors then
            -- "Name, Name, ... Name" over one or more lines, then "on
            -- behalf of the X Group" on its own line or after the last name.
            local bs, be, group
            if find(line, "on behalf of", 1, true) then
                bs, be, group = find(line, "on behalf of the (.-) [Gg]roup")
            end
            if bs then
                local first = names_first or c
                local last = names_last
                if bs > 1 then last = trim_end(text, first, c + bs - 2) end
                if last and last >= first and byte(text, last) == 44 then
                    last = trim_end(text, first, last - 1)
                end
                local names, count = "", 0
                if last and last >= first then
                    names, count = split_names(sub(text, first, last))
                else
                    first, last = c + bs - 1, c + be - 1
                end
                push(o, first, last, "authors", nil, nil,
                     { names = names, count = count, group = group })
                names_first, names_last = nil, nil
            else
                names_first = names_first or c
                names_last = e
            end
        end
        if find(line, "^[Tt]he European Parliament,?$") then
            zone = CITATIONS
            return true
        end
        return false
    end

    local pos = 1
    while pos <= n do
        -- A resolution's preamble comes within its first pages: a text
        -- that shows none by then is something else.
        if zone == HEADER and pos > 131072 then return nil end
        local c, e
        pos, c, e = read_line(text, n, pos)
        if not c then
            block_start = true
            title_open = false
            names_first, names_last = nil, nil
            if isolated then close() end
        else
            local preamble = false
            if try_start(c, e, false) then
                -- The line opens an item.
            elseif zone == HEADER then
                if e - c < 2000 then preamble = header_line(c, e) end
            elseif cur then
                -- A line continues the open item, except after a blank
                -- line when the item was complete and the line starts a
                -- new sentence; a footnote inside the text ends at a
                -- blank line whatever follows.
                if not block_start or not TERMINAL[byte(text, L[cur])]
                    or is_lower(byte(text, c)) then
                    L[cur] = e
                else
                    close()
                end
            end
            if zone >= CITATIONS and not preamble then split_line(c, e) end
            block_start = preamble
        end
    end
    close()

    if counts.citation + counts.recital == 0 then return nil end
    title = title or fallback_title
    if title then push(o, title[1], title[2], "title") end
    if procedure then push(o, procedure[1], procedure[2], "procedure", "number", procedure[3]) end
    local adopted = false
    for ref in pairs(refs) do
        if find(ref, "TA") then adopted = true end
    end
    if not adopted then
        for ref in pairs(refs) do
            if find(ref, "^B") or find(ref, "^RC") then motion = true end
        end
    end
    return (motion and not adopted) and "motion" or "resolution"
end

-- ---- other documents ---------------------------------------------------------

-- Blocks of lines separated by blank lines become paragraphs; a block of
-- one short line without final punctuation is a heading; lines that
-- start with a bullet, a dash or "1." / "1)" / "a)" are list items.
local function parse_article(text, o)
    local F, L, Lab = o.first, o.last, o.label
    local n = #text
    local cur, cur_lines = nil, 0
    local block_start = true

    local function close()
        if cur then
            if Lab[cur] == "paragraph" and cur_lines == 1 and L[cur] - F[cur] < 150 then
                local last = byte(text, L[cur])
                local first = byte(text, F[cur])
                local words = 0
                for _ in sub(text, F[cur], L[cur]):gmatch("%S+") do words = words + 1 end
                if not TERMINAL[last] and last ~= 44 and not is_lower(first) and words <= 15 then
                    Lab[cur] = "heading"
                end
            end
            cur = nil
        end
    end

    local pos = 1
    while pos <= n do
        local c, e
        pos, c, e = read_line(text, n, pos)
        if not c then
            close()
            block_start = true
        else
            local marker
            local d = dash_len(text, c)
            if d > 0 and c + d <= e and space_len(text, c + d) > 0 then
                marker = sub(text, c, c + d - 1)
            else
                local w = sub(text, c, math.min(e, c + 8))
                marker = match(w, "^(%d+[%.%)])[%s\194]") or match(w, "^(%l%))[%s\194]")
                    or match(w, "^(%(%w+%))[%s\194]")
            end
            if marker then
                close()
                cur, cur_lines = push(o, c, e, "list_item", "marker", marker), 1
            elseif cur and not block_start then
                L[cur] = e
                cur_lines = cur_lines + 1
            else
                close()
                cur, cur_lines = push(o, c, e, "paragraph"), 1
            end
            block_start = false
        end
    end
    close()
end

-- ---- the stage -----------------------------------------------------------------

function M.process(doc)
    local text = doc.text
    local o = new_sections()
    local ok, doctype = pcall(function()
        local tagged = false
        if doc:count("markup") > 0 then tagged = authors_from_layer(doc, o) end
        if not tagged then tagged = authors_from_tags(text, o) end
        return parse_resolution(text, tagged, o)
    end)
    if not ok or not doctype then
        o = new_sections()
        doctype = "article"
        if not pcall(parse_article, text, o) then o = new_sections() end
    end
    local F, L, Lab, K, V, A = o.first, o.last, o.label, o.key, o.value, o.attrs
    for i = 1, o.n do
        local attrs = A[i]
        if not attrs and K[i] then attrs = { [K[i]] = V[i] } end
        -- A span the engine refuses (a range cutting a character in text
        -- that is not valid UTF-8) is left out rather than failing the
        -- document.
        if L[i] >= F[i] then
            pcall(doc.add, doc, layer, F[i], L[i], Lab[i], attrs or nil)
        end
    end
    doc:label("doctype", doctype, 1)
end

return M
