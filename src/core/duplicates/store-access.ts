// The finder's access to the index: opening one without the model, the exact copies its content
// hashes give, and the perceptual hashes an older index lacks.
import fs from 'node:fs';
import { decodeForModel, readImageFile } from '../analysis/decode/decode.js';
import { photoSource } from '../analysis/decode/source.js';
import { lowFrequencyDct } from '../analysis/phash.js';
import { IndexStore } from '../index/store.js';

/** Groups of indexed photos with the same content hash (ids ascending in each). */
export function exactDuplicateGroups(store: IndexStore): number[][] {
  return store.hashGroups();
}

/** The long side the index decodes photos at (its settings), 299 when it does not say. */
export function storeResolution(store: IndexStore): number {
  const r = (store.settings as { resolution?: unknown } | null)?.resolution;
  return typeof r === 'number' && r > 0 ? r : 299;
}

/**
 * Perceptual hashes for indexed photos that lack one (indexed before schema 3), computed from the
 * same pixels indexing would decode. A file that cannot be read now is left without one (its
 * visual words still take part) and tried again next time.
 */
export async function fillMissingPhashes(store: IndexStore, resolution: number, onProgress?: (p: { phase: 'phash'; done: number; total: number }) => void): Promise<number> {
  const missing = store.missingPhash();
  let done = 0;
  let filled = 0;
  for (const { id, path: file } of missing) {
    try {
      const f = await readImageFile(file);
      const img = await decodeForModel(await photoSource(file, f, resolution), resolution);
      store.putPhash(id, lowFrequencyDct(img.pixels, img.width, img.height));
      filled++;
    } catch {
      // unreadable now: see above
    }
    done++;
    if (onProgress && (done % 50 === 0 || done === missing.length)) onProgress({ phase: 'phash', done, total: missing.length });
  }
  return filled;
}

/** Opens an existing index for reading duplicates without loading the model. */
export function openStoreForDuplicates(dbPath: string): IndexStore {
  if (!fs.existsSync(dbPath)) throw new Error(`no index at ${dbPath}; create one with: photowords index DIR --db ${dbPath}`);
  const fingerprint = IndexStore.readFingerprint(dbPath);
  if (!fingerprint) throw new Error(`${dbPath} is not a photowords index (no fingerprint)`);
  return IndexStore.open(dbPath, { fingerprint, settings: (IndexStore.readSettings(dbPath) as object) ?? {} });
}
