// Words a photo for a codebook size and k-gram setting, from the eval cache's grids.
import path from 'node:path';
import { IndexStore } from '../../src/core/index/store.js';
import { defaultEvalCache } from '../../src/core/eval/suite.js';
import { DEFAULT_SETTINGS } from '../../src/core/common/settings.js';
import { bagFromGrid } from '../../src/core/analysis/kgrams.js';
for (const codes of [128, 1024, 4096, 8192]) {
  const db = defaultEvalCache(path.resolve('../shared/datasets'), { ...DEFAULT_SETTINGS, codes });
  const store = IndexStore.open(db, { fingerprint: IndexStore.readFingerprint(db)!, settings: IndexStore.readSettings(db) as object });
  let n = 0,
    c = 0,
    f = 0;
  for (const g of store.iterGrids()) {
    n++;
    c += bagFromGrid(g.grid, { kernel: 3, padding: 0, channel: false, collapse: true }).terms.length;
    f += bagFromGrid(g.grid, { kernel: 3, padding: 0, channel: false }).terms.length;
  }
  store.close();
  console.log(`${codes} codes: ${n} photos, collapsed ${(c / n).toFixed(0)}, per offset ${(f / n).toFixed(0)} words a photo`);
}
