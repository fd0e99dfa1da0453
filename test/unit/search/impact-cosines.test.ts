import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImpactIndex } from '../../../src/core/search/impact-index.js';
import { mulberry32 } from '../../../src/core/common/random.js';
import { skewedCorpus } from '../../fixtures/bags.js';

test("cosinesFrom equals cosineBetween for each of a photo's candidates, itself and empty bags included", () => {
  const docs = skewedCorpus(3, 800, 3000, 60);
  docs.push({ id: 10_000, bag: { terms: new Uint32Array(0), tfs: new Float32Array(0) } });
  const impact = ImpactIndex.build(docs);
  const rand = mulberry32(4);
  const out = new Float32Array(16);
  for (let a = 0; a < docs.length; a += 37) {
    const bs = Int32Array.from({ length: 16 }, (_, k) => (k === 0 ? a : k === 1 ? docs.length - 1 : Math.floor(rand() * docs.length)));
    impact.cosinesFrom(a, bs, 12, out.fill(-1));
    for (let k = 0; k < 12; k++) assert.equal(out[k], Math.fround(impact.cosineBetween(a, bs[k])), `photo ${a}, candidate ${bs[k]}`);
    assert.equal(out[12], -1, 'only `count` are written');
  }
  // The scratch vector is left clear: a search after gives what it gave before.
  const before = impact.search(docs[5].bag, { k: 5, budget: 1 });
  impact.cosinesFrom(7, [1, 2, 3], 3, out);
  assert.deepEqual(impact.search(docs[5].bag, { k: 5, budget: 1 }), before);
});
