-- touch.lua - a Lua stage that does the least real work: reads the id and
-- adds one span, to measure the document API's cost (bench_overhead.c).
return {
  process = function(doc)
    local id = doc.id
    doc:add("bench", 1, 7, id)
  end,
}
