-- default.conf.lua - the pipeline gloss runs when it is given no
-- configuration, and an example to start your own from.
--
-- A configuration is a Lua file that returns a table. Copy this file, change
-- it, and pass it with --config; docs/config.md describes every key. Names of
-- scripts and plugins are taken relative to the folder of the configuration
-- file, so a configuration and its scripts can be moved together.

return {
  -- The stages each document goes through, in order.
  pipeline = {
    {
      -- Cleans the text before anything else reads it. The options below
      -- are the defaults, written out so that they are easy to change.
      stage = "normalize",
      options = {
        -- Bytes that are not UTF-8 fail the document, naming the offset:
        -- they usually mean the file is in another encoding. "replace"
        -- puts U+FFFD in their place instead.
        invalid = "reject",
        -- Unicode normalization form: "NFC" composes characters without
        -- changing anything visible; "NFKC" also turns ligatures, no-break
        -- spaces and the like into plain characters; "none" keeps them.
        form = "NFC",
        -- CRLF, CR, vertical tab and NEL become LF.
        newlines = true,
        -- Controls, a leading byte order mark and soft hyphens are removed.
        strip_controls = true,
        -- Text extracted from PDF and HTML: lines wrapped mid-paragraph are
        -- joined, a hyphen that only broke a word is dropped (the built-in
        -- word list decides: "with-drawal" but "long-standing"), running
        -- headers, footers and page numbers are removed because they
        -- repeat, footnote markers glued to words become spans of the
        -- layer "footnote_refs", and tags such as <Depute> become spans of
        -- the layer "markup". Set any of these to false to keep the text
        -- as it came.
        unwrap = true,
        dehyphenate = true,
        furniture = true,
        footnotes = true,
        markup = true,
      },
    },
    {
      -- Splits the text into the layers "paragraphs", "sentences" and
      -- "tokens" (UD English EWT words; "multiwords" holds the surface
      -- words split into several, such as "don't"). Extra abbreviations
      -- go in its options, e.g. options = { abbreviations = { "Rapp." } }.
      stage = "segment",
    },
    {
      -- Finds the parts of European Parliament resolutions (title,
      -- procedure, authors by group, citations, recitals, paragraphs,
      -- footnotes) and the headings, paragraphs and list items of other
      -- documents, in the layer "sections"; labels each document
      -- doctype/resolution, motion or article. See docs/structure.md.
      script = "structure.lua",
    },
    {
      -- Tags every token with its Universal part of speech, as the token
      -- attribute "upos" (model: en-pos.bin, trained on UD English EWT).
      stage = "pos",
    },
    {
      -- Finds names of people, organisations, places and other names (PER,
      -- ORG, LOC, MISC) as spans of the layer "entities", each with the
      -- attributes "source" (the model) and "confidence" (model:
      -- en-ner.bin, trained on CoNLL-2003).
      stage = "ner",
    },
    {
      -- Finds dates, legal references (Article 174 of the Criminal Code,
      -- Rule 144), procedure and document numbers (2021/2544(RSP),
      -- B9-0149/2021), quantities, money, URLs and e-mail addresses, and
      -- the names of the shipped lexicon (EU and international bodies,
      -- political groups, countries and their people, places of Central
      -- Asia) in the layer "entities", each with a canonical "id".
      -- Add your own lists with options = { dictionaries = { "ngos.tsv" } };
      -- see docs/match.md.
      stage = "match",
    },
    {
      -- Labels the document and each section with the human-rights topics
      -- it deals with (topic/torture, topic/elections, ... 15 of them),
      -- scored from 0 to 1, from the weighted cue phrases of
      -- topics_taxonomy.lua. Add a topic with options = { add = { ... } },
      -- keep a few with topics = { "torture" }; see docs/topics.md. A
      -- model trained on your own labelled texts joins or replaces it:
      -- { stage = "classify", options = { model = "m.bin", group = "topic" } }
      -- (docs/classify.md).
      script = "topics.lua",
    },
  },

  -- How documents are written as JSON.
  output = {
    -- Span offsets count Unicode code points, as Python indexes strings;
    -- "bytes" counts bytes of the UTF-8 text instead.
    offsets = "codepoints",
    -- Each document's text is included, so that spans can be read back.
    text = true,
    -- The text as it arrived, before normalize changed it, is left out.
    original = false,
  },
}
