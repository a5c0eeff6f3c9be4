-- noop.lua - the cheapest Lua stage there is: it measures the cost of
-- calling into Lua once per document (bench_overhead.c).
return {
  process = function(doc) end,
}
