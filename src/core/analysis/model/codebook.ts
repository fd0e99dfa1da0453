// Codebooks on disk: <name>.bin holds the centroids (float32 LE, codes x dim), <name>.json the
// manifest that says how they were made (backbone, block, preprocessing, heads, codes, training
// images, checksums), so an index can refuse words from a different vocabulary.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { Codebook } from './vq.js';
import { DEFAULT_MODELS_DIR } from './backbone.js';

export interface CodebookManifest {
  name: string;
  backbone: string;
  block: string;
  backboneSha256: string;
  preprocessing: string;
  channels: number;
  heads: number;
  dim: number;
  codes: number;
  /** One codebook per head (else one shared by all heads). */
  perHead: boolean;
  projection: 'none' | 'pca';
  /** With projection 'pca': the learned projection (channels -> heads x dim), stored after the centroids. */
  pca?: { dims: number; whiten: boolean; explained: number };
  training: {
    images: string;
    imageCount: number;
    vectors: number;
    resolution: number;
    seed: number;
    iterations: number;
    inertia: number;
    seconds: number;
  };
  sha256: string;
}

export const CODEBOOKS_DIR = path.join(DEFAULT_MODELS_DIR, 'codebooks');

export function codebookName(backbone: string, block: string, heads: number, codes: number, perHead = false, pca = 0, whiten = false): string {
  return `${backbone}-${block}-h${heads}-n${codes}${perHead ? '-perhead' : ''}${pcaSuffix(pca, whiten)}`;
}

/** '-pca256' / '-pcaw256' (whitened) for codebooks learned after a PCA projection, '' without one. */
export function pcaSuffix(pca = 0, whiten = false): string {
  return pca > 0 ? `-pca${whiten ? 'w' : ''}${pca}` : '';
}

export function saveCodebook(cb: Codebook, manifest: Omit<CodebookManifest, 'sha256'>, dir = CODEBOOKS_DIR): CodebookManifest {
  fs.mkdirSync(dir, { recursive: true });
  const parts = [Buffer.from(cb.centroids.buffer, cb.centroids.byteOffset, cb.centroids.byteLength)];
  if (cb.projection) {
    parts.push(Buffer.from(cb.projection.mean.buffer, cb.projection.mean.byteOffset, cb.projection.mean.byteLength));
    parts.push(Buffer.from(cb.projection.matrix.buffer, cb.projection.matrix.byteOffset, cb.projection.matrix.byteLength));
  }
  const bytes = Buffer.concat(parts);
  const full: CodebookManifest = { ...manifest, sha256: crypto.createHash('sha256').update(bytes).digest('hex') };
  fs.writeFileSync(path.join(dir, `${manifest.name}.bin`), bytes);
  fs.writeFileSync(path.join(dir, `${manifest.name}.json`), JSON.stringify(full, null, 2) + '\n');
  return full;
}

export function loadCodebook(name: string, dir = CODEBOOKS_DIR): { codebook: Codebook; manifest: CodebookManifest } {
  const jsonFile = path.join(dir, `${name}.json`);
  if (!fs.existsSync(jsonFile)) {
    const have = fs.existsSync(dir)
      ? fs
          .readdirSync(dir)
          .filter((f) => f.endsWith('.json'))
          .map((f) => f.slice(0, -5))
      : [];
    throw new Error(`no codebook "${name}" in ${dir}${have.length ? ` (available: ${have.join(', ')})` : ''}; train one with: photowords codebook train`);
  }
  const manifest = JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as CodebookManifest;
  const bytes = fs.readFileSync(path.join(dir, `${name}.bin`));
  const sum = crypto.createHash('sha256').update(bytes).digest('hex');
  if (sum !== manifest.sha256) throw new Error(`codebook ${name}.bin is damaged (checksum mismatch); retrain it with: photowords codebook train`);
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const perHead = manifest.perHead ?? false;
  const n = (perHead ? manifest.heads : 1) * manifest.codes * manifest.dim;
  const codebook: Codebook = {
    channels: manifest.channels,
    heads: manifest.heads,
    dim: manifest.dim,
    codes: manifest.codes,
    perHead,
    centroids: floats.slice(0, n),
  };
  if (manifest.projection === 'pca') {
    const out = manifest.heads * manifest.dim;
    codebook.projection = {
      mean: floats.slice(n, n + manifest.channels),
      matrix: floats.slice(n + manifest.channels, n + manifest.channels + manifest.channels * out),
    };
  }
  return { codebook, manifest };
}
