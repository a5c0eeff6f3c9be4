-- topics.lua - labels the document and each of its sections with the
-- human-rights topics it deals with (torture, political prisoners,
-- elections, ...), from an editable taxonomy of weighted cue phrases.
--
-- The taxonomy (topics_taxonomy.lua by default; docs/topics.md) lists,
-- for each topic, phrases with a weight. All the phrases of all topics go
-- into one matcher (gloss.matcher, the Vectorscan matcher of the `match`
-- stage), which finds them in the whole text in a single pass, ignoring
-- case and diacritics and keeping the longest phrase where two overlap.
-- A topic's raw score in a piece of text is the sum of the weights of its
-- cues found there (a negative weight takes evidence away: boilerplate
-- that would otherwise count); the piece gets the label topic/<id> when
-- that sum reaches the threshold, with the score 1 - exp(-sum / scale),
-- which grows with the evidence and stays below 1. A document is longer
-- than a section and mentions more in passing, so it has a threshold and
-- a scale of its own.
--
-- The pieces are the whole document and each section of the layer
-- `sections` (structure.lua) whose kind is in `kinds`; each cue found is
-- counted in every wanted section that contains it. With `evidence`, each
-- cue found is also added to the layer `topic_cues`, labelled with its
-- topic, so a reader can see why a label was given.

local M = {}

local known_options = {
  taxonomy = "string", add = "table", topics = "table", layer = "string",
  kinds = "table", threshold = "number", document_threshold = "number",
  scale = "number", document_scale = "number", group = "string",
  evidence = "boolean",
}

local opts = {
  taxonomy = "topics_taxonomy",
  layer = "sections",
  kinds = { "title", "citation", "recital", "paragraph", "heading" },
  threshold = 3,
  document_threshold = 6,
  scale = 4,
  document_scale = 12,
  group = "topic",
  evidence = false,
}

local matcher            -- all cue phrases, built in init()
local cue_topics = {}    -- cue id -> list of { topic = id, weight = w }
local wanted_kind = {}   -- section label -> true

local function fail(fmt, ...)
  error("topics: " .. string.format(fmt, ...), 0)
end

-- Checks one topic of a taxonomy (where names it in messages) and adds its
-- cues to items (the matcher's entries), once per distinct phrase.
local function add_topic(topic, where, seen, items, keep)
  if type(topic) ~= "table" then fail("%s: a topic must be a table", where) end
  local id = topic.id
  if type(id) ~= "string" or not id:match("^[%w_.-]+$") then
    fail("%s: 'id' must be a name of letters, digits, '_', '.' or '-'", where)
  end
  if seen[id] then fail("%s: topic '%s' appears twice", where, id) end
  seen[id] = true
  if topic.name ~= nil and type(topic.name) ~= "string" then
    fail("%s (%s): 'name' must be a string", where, id)
  end
  if type(topic.cues) ~= "table" or #topic.cues == 0 then
    fail("%s (%s): 'cues' must be a list of {weight, phrase, ...} lists", where, id)
  end
  for k in pairs(topic) do
    if k ~= "id" and k ~= "name" and k ~= "cues" then
      fail("%s (%s): unknown key '%s'", where, id, tostring(k))
    end
  end
  if keep and not keep[id] then return end
  for i, list in ipairs(topic.cues) do
    local w = type(list) == "table" and list[1]
    if type(w) ~= "number" or w == 0 or #list < 2 then
      fail("%s (%s): cues[%d] must start with a weight (not 0) and list "
           .. "at least one phrase", where, id, i)
    end
    for j = 2, #list do
      local phrase = list[j]
      if type(phrase) ~= "string" or not phrase:find("%S") then
        fail("%s (%s): cues[%d][%d] must be a phrase", where, id, i, j)
      end
      local key = phrase:lower()
      local topics = cue_topics[key]
      if not topics then
        topics = {}
        cue_topics[key] = topics
        items[#items + 1] = { phrase = phrase, label = "cue", id = key }
      end
      local found = false
      for _, t in ipairs(topics) do
        if t.topic == id then
          if math.abs(w) > math.abs(t.weight) then t.weight = w end
          found = true
        end
      end
      if not found then topics[#topics + 1] = { topic = id, weight = w } end
    end
  end
end

function M.init(options)
  for k, v in pairs(options) do
    local want = known_options[k]
    if not want then fail("unknown option '%s'", tostring(k)) end
    if type(v) ~= want then fail("option '%s' must be a %s", k, want) end
    opts[k] = v
  end
  for _, k in ipairs({ "threshold", "document_threshold", "scale",
                      "document_scale" }) do
    if not (opts[k] > 0) then fail("option '%s' must be positive", k) end
  end
  if opts.group == "" then fail("option 'group' must not be empty") end
  for i, kind in ipairs(opts.kinds) do
    if type(kind) ~= "string" then fail("kinds[%d] must be a string", i) end
    wanted_kind[kind] = true
  end
  local keep
  if opts.topics then
    keep = {}
    for i, id in ipairs(opts.topics) do
      if type(id) ~= "string" then fail("topics[%d] must be a topic id", i) end
      keep[id] = true
    end
  end
  if type(gloss) ~= "table" or type(gloss.matcher) ~= "function" then
    fail("gloss.matcher is missing: this gloss was built without the match stage")
  end
  local taxonomy = require(opts.taxonomy)
  if type(taxonomy) ~= "table" then
    fail("taxonomy '%s' must return a list of topics", opts.taxonomy)
  end
  local seen, items = {}, { name = "topics", case_insensitive = true }
  for i, topic in ipairs(taxonomy) do
    add_topic(topic, opts.taxonomy .. "[" .. i .. "]", seen, items, keep)
  end
  for i, topic in ipairs(opts.add or {}) do
    add_topic(topic, "add[" .. i .. "]", seen, items, keep)
  end
  if keep then
    for id in pairs(keep) do
      if not seen[id] then fail("topics: no topic '%s' in the taxonomy", id) end
    end
  end
  if #items == 0 then fail("the taxonomy has no cue phrases") end
  matcher = gloss.matcher(items)
end

local function add_scores(raw, cue)
  for _, t in ipairs(cue_topics[cue] or {}) do
    raw[t.topic] = (raw[t.topic] or 0) + t.weight
  end
end

-- Sets the labels that reach threshold, on target (a document or a span).
local function set_labels(target, raw, threshold, scale, setter)
  local ids = {}
  for id, sum in pairs(raw) do
    if sum >= threshold then ids[#ids + 1] = id end
  end
  -- Most evidence first, so that labels read in order of strength.
  table.sort(ids, function(a, b)
    if raw[a] ~= raw[b] then return raw[a] > raw[b] end
    return a < b
  end)
  for _, id in ipairs(ids) do
    setter(target, opts.group, id, 1 - math.exp(-raw[id] / scale))
  end
end

local function label_doc(doc, group, id, score) doc:label(group, id, score) end
local function label_span(span, group, id, score) span:set_label(group, id, score) end

function M.process(doc)
  local hits = matcher:find(doc)
  local raw = {}
  for _, hit in ipairs(hits) do
    add_scores(raw, hit.id)
    if opts.evidence then
      for _, t in ipairs(cue_topics[hit.id] or {}) do
        doc:add("topic_cues", hit.first, hit.last, t.topic, { weight = t.weight })
      end
    end
  end
  set_labels(doc, raw, opts.document_threshold, opts.document_scale, label_doc)
  if #hits == 0 then return end
  -- Hits and sections are both in text order: a pointer into the hits
  -- moves forward as sections start later, so each section looks only at
  -- the hits from its start on.
  local from = 1
  for span in doc:spans(opts.layer) do
    if span.label and wanted_kind[span.label] then
      local first, last = span.first, span.last
      while from <= #hits and hits[from].first < first do from = from + 1 end
      local sraw, any = {}, false
      local j = from
      while j <= #hits and hits[j].first <= last do
        if hits[j].last <= last then
          add_scores(sraw, hits[j].id)
          any = true
        end
        j = j + 1
      end
      if any then set_labels(span, sraw, opts.threshold, opts.scale, label_span) end
    end
  end
end

return M
