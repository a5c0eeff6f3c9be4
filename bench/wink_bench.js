// wink_bench.js - the reference of bench/bench_tagger: wink-nlp with its
// English lite web model (tokens, sentences, part of speech and entities
// in one readDoc) over the same documents, the same number of times.
//
//     NODE_PATH=DIR/node_modules node wink_bench.js ROUNDS REPEAT FILE...
//
// Each round reads every FILE REPEAT times and asks for every token's part
// of speech and every entity, so that nothing is left lazily undone;
// prints "wink tokens N seconds S" for the best round (the one least
// disturbed by the rest of the machine), on one thread as node runs.
'use strict';
const fs = require('fs');
const winkNLP = require('wink-nlp');
const model = require('wink-eng-lite-web-model');

const nlp = winkNLP(model);
const its = nlp.its;
const rounds = parseInt(process.argv[2], 10);
const repeat = parseInt(process.argv[3], 10);
const texts = process.argv.slice(4).map((f) => fs.readFileSync(f, 'utf8'));

let best = Infinity;
let tokens = 0;
for (let r = 0; r < rounds; r++) {
  let n = 0;
  const start = process.hrtime.bigint();
  for (let k = 0; k < repeat; k++) {
    for (const t of texts) {
      const doc = nlp.readDoc(t);
      const pos = doc.tokens().out(its.pos);
      doc.entities().out(its.detail);
      n += pos.length;
    }
  }
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  if (s < best) best = s;
  tokens = n;
}
console.log(`wink tokens ${tokens} seconds ${best}`);
