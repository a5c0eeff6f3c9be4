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
      },
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
