// The int8 file of a catalogue model, by one of two ways: downloaded and checked against its
// published sha256, or, where the catalogue has no hash for it (the DINOv2 exports), made on this
// machine from the checked fp32 file by quantize-dynamic.ts (what onnxruntime's quantize_dynamic
// does to make those exports), so nothing unchecked is ever run. The record says which.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileFor, type CatalogEntry } from './catalog.js';
import { installed, installModel, saveRecord, takeLock, modelsCacheDir, type InstallOptions, type InstallRecord } from './install.js';
import { quantizeDynamic, QUANTIZER_VERSION } from './quantize-dynamic.js';

/** How the int8 file comes: 'download' (a published hash), 'quantize' (made here from a checked fp32 file), null (neither). */
export function int8Way(entry: CatalogEntry): 'download' | 'quantize' | null {
  if (entry.kind === 'builtin') return 'quantize';
  const int8 = entry.files.find((f) => f.variant === 'int8');
  if (int8?.sha256) return 'download';
  // Token models only: quantize-dynamic.ts rewrites MatMuls and leaves convolutions, so a CNN would gain nothing.
  const fp32 = entry.files.find((f) => f.variant === 'fp32');
  return fp32?.sha256 && entry.feature.layout === 'tokens' ? 'quantize' : null;
}

/**
 * The int8 graph quantized here from the entry's fp32 file, which is installed (downloaded and
 * checked) first where it is not yet. A made file is kept while the fp32 file it came from and the
 * quantizer are the same.
 */
export async function makeInt8Here(entry: CatalogEntry, o: Omit<InstallOptions, 'variant' | 'trustUnverified'>): Promise<InstallRecord> {
  const cache = o.cache ?? modelsCacheDir();
  const fp32 = await installModel(entry, { ...o, variant: 'fp32' });
  if (!fp32.verified) throw new Error(`the fp32 file of ${entry.id} is not checked against a published sha256, so no int8 graph is made from it`);
  const have = installed(entry, 'int8', cache);
  if (have?.quantizedFrom?.sha256 === fp32.sha256 && have.quantizedFrom.quantizer === QUANTIZER_VERSION) return have;
  o.signal?.throwIfAborted();
  const f = fileFor(entry, 'int8');
  const dest = path.join(cache, entry.id, f.fileName);
  const release = takeLock(dest, `${entry.id} int8`);
  try {
    o.onLog?.(`Making ${entry.name} int8 here from the checked fp32 file (${fp32.sha256.slice(0, 12)}…)`);
    // The file read is hashed again: quantizing a file that changed since its check would defeat the check.
    const bytes = fs.readFileSync(fp32.path);
    const actual = crypto.createHash('sha256').update(bytes).digest('hex');
    if (actual !== fp32.sha256) throw new Error(`${fp32.path} has sha256 ${actual}, not the ${fp32.sha256} it was installed with; remove and add ${entry.id} again`);
    const q = quantizeDynamic(bytes);
    if (q.quantized === 0) throw new Error(`${entry.id}'s graph has no MatMul with constant weights to quantize`);
    fs.writeFileSync(`${dest}.part`, q.bytes);
    fs.renameSync(`${dest}.part`, dest);
    const rec: InstallRecord = {
      id: entry.id,
      variant: 'int8',
      path: dest,
      sha256: crypto.createHash('sha256').update(q.bytes).digest('hex'),
      bytes: q.bytes.length,
      // Not the catalogue's int8 file, so not verified against it; what it was made from is.
      verified: false,
      source: `quantized here from ${fp32.sha256} (${q.quantized} MatMuls; ${QUANTIZER_VERSION})`,
      quantizedFrom: { sha256: fp32.sha256, verified: fp32.verified, quantizer: QUANTIZER_VERSION },
      installedAt: new Date().toISOString(),
    };
    saveRecord(cache, rec);
    return rec;
  } finally {
    release();
  }
}

/**
 * The file for `variant` the way the catalogue allows: int8 without a published hash is made here
 * (unless the person said --trust-unverified, which downloads the published file as it is).
 */
export async function installVariant(entry: CatalogEntry, o: InstallOptions): Promise<InstallRecord> {
  if (o.variant === 'int8' && !o.trustUnverified && int8Way(entry) === 'quantize') return makeInt8Here(entry, o);
  return installModel(entry, o);
}
