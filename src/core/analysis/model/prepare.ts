// What follows an install, for every shell alike: the probe (the grid claim met with the real file)
// and the backbone graph the engine runs (uint8 pixels in, a feature map out), both recorded in the
// install record so `model list` and a settings view can show them without running anything.
import path from 'node:path';
import { importOnnxBackbone, type BackboneInfo } from './backbone.js';
import type { CatalogEntry } from './catalog.js';
import { modelsCacheDir, saveRecord, type InstallRecord } from './install.js';
import { probeModel } from './probe.js';
import { wrapTokenBackbone } from './token-backbone.js';

export interface Prepared {
  record: InstallRecord;
  /** The graph `--backbone` takes; null for an entry that needs no wrapping. */
  backbone: BackboneInfo | null;
}

/**
 * The one input side the file takes, where it takes no other: the catalogue says so, or the probe
 * ran the training size and saw a larger input fail (DINOv2 exports fixed at 224). null: any size.
 */
export function fixedSide(entry: CatalogEntry, rec: InstallRecord): number | null {
  if (entry.fixedInput === true) return entry.preprocessing.size;
  const larger = rec.probe?.largerInput;
  return larger && 'error' in larger ? entry.preprocessing.size : null;
}

export async function prepareInstalled(entry: CatalogEntry, rec: InstallRecord, o: { probe?: boolean; cache?: string } = {}): Promise<Prepared> {
  let record = rec;
  if (o.probe !== false) record = { ...record, probe: await probeModel(entry, rec.path) };
  let backbone: BackboneInfo | null = null;
  if (entry.feature.layout === 'tokens') backbone = wrapTokenBackbone(rec.path, entry, undefined, fixedSide(entry, record));
  else if (entry.feature.addOutput) {
    const pre = entry.preprocessing;
    backbone = importOnnxBackbone(rec.path, { output: entry.feature.tensor, channels: entry.feature.channels, mean: pre.mean, std: pre.std, outDir: path.dirname(rec.path) });
  }
  if (backbone) record = { ...record, backbone: backbone.path };
  saveRecord(o.cache ?? modelsCacheDir(), record);
  return { record, backbone };
}
