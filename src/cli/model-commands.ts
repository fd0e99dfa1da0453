// `photowords model list/add/remove`: the model catalogue and the download cache (docs/MODELS.md).
// `model build/quantize/import` stay in main.ts.
import fs from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import {
  DEFAULT_MODELS_DIR,
  DEFAULT_SETTINGS,
  ensureInceptionBackbone,
  findEntry,
  installFromFile,
  installVariant,
  installed,
  loadCatalog,
  modelsCacheDir,
  prepareInstalled,
  removeModel,
  type CatalogEntry,
  type DownloadProgress,
  type InstallRecord,
  type Probe,
  type Variant,
} from '../core/index.js';
import { formatEta } from './progress.js';

const log = (msg: string) => process.stderr.write(`${msg}\n`);

export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)} kB`;
  return `${n} B`;
}

/** A byte bar on a terminal; elsewhere (logs, tests) a line every few seconds and one at the end. */
function downloadReporter(label: string): { update: (p: DownloadProgress) => void; stop: () => void } {
  const payload = (p: DownloadProgress) => ({
    got: formatBytes(p.received),
    size: p.total != null ? formatBytes(p.total) : '?',
    rate: `${formatBytes(p.bytesPerSecond)}/s`,
    etaText: p.etaSeconds != null ? formatEta(p.etaSeconds) : '--',
  });
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {percentage}% | {got}/{size} | {rate} | ETA {etaText}`, stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update: (p) => {
        const total = p.total ?? Math.max(p.received, 1);
        if (!started) bar.start(total, p.received, payload(p));
        else bar.setTotal(total);
        bar.update(p.received, payload(p));
        started = true;
      },
      stop: () => started && bar.stop(),
    };
  }
  // The first line after a few seconds, when the rate means something; the last one at the end.
  let last = Date.now();
  let latest: DownloadProgress | null = null;
  const line = (p: DownloadProgress) => {
    const x = payload(p);
    log(`${label}: ${x.got}/${x.size} | ${x.rate} | ETA ${x.etaText}`);
  };
  return {
    update: (p) => {
      latest = p;
      if (Date.now() - last < 5000) return;
      last = Date.now();
      line(p);
    },
    stop: () => latest && line(latest),
  };
}

/** One line of `model list`: a catalogue file and what the cache holds of it. */
interface ModelRow {
  id: string;
  name: string;
  variant: Variant;
  size: string;
  installed: boolean;
  path: string;
  verified: boolean;
  licence: string;
  goodAt: string;
  backbone: string | null;
  probe: Probe | null;
  /** An int8 file made here: the checked fp32 file it came from and the quantizer. */
  quantizedFrom: InstallRecord['quantizedFrom'] | null;
}

function listRows(catalog: CatalogEntry[]): ModelRow[] {
  const cache = modelsCacheDir();
  return catalog.flatMap((e): ModelRow[] => {
    if (e.kind === 'builtin') {
      const built = path.join(DEFAULT_MODELS_DIR, `inception_v3-${DEFAULT_SETTINGS.block}.onnx`);
      const ok = fs.existsSync(built);
      return [
        {
          id: e.id,
          name: e.name,
          variant: 'fp32',
          size: ok ? formatBytes(fs.statSync(built).size) : 'built in',
          installed: ok,
          path: ok ? built : `${built} (photowords model build)`,
          verified: true,
          licence: e.licence,
          goodAt: e.goodAt,
          backbone: ok ? built : null,
          probe: null,
          quantizedFrom: null,
        },
      ];
    }
    return e.files.map((f) => {
      const rec = installed(e, f.variant, cache);
      return {
        id: e.id,
        name: e.name,
        variant: f.variant,
        size: formatBytes(rec?.bytes ?? f.bytes ?? f.approxBytes),
        installed: !!rec,
        path: rec?.path ?? path.join(cache, e.id, f.fileName),
        verified: rec ? rec.verified : f.sha256 !== null,
        backbone: rec?.backbone ?? null,
        probe: rec?.probe ?? null,
        quantizedFrom: rec?.quantizedFrom ?? null,
        licence: e.licence,
        goodAt: e.goodAt,
      };
    });
  });
}

/** After an install: the probe's finding and the backbone graph `--backbone` takes. */
async function prepare(entry: CatalogEntry, rec: InstallRecord, probe: boolean): Promise<void> {
  const { record, backbone } = await prepareInstalled(entry, rec, { probe });
  const p = record.probe;
  if (p) {
    const larger =
      'grid' in p.largerInput
        ? `${p.largerInput.input.join('x')} gives ${p.largerInput.grid.join('x')}`
        : `${p.largerInput.input.join('x')} fails (fixed input): photos are resized and centre-cropped to ${p.input.join('x')}`;
    log(`Checked: ${p.input.join('x')} gives a ${p.grid.join('x')} grid (${entry.feature.tensor}); ${larger}.`);
  }
  if (backbone) {
    console.log(`Backbone: ${backbone.path}`);
    log(`Train its codebook with: photowords codebook train --backbone ${backbone.path} --block ${backbone.output}`);
  }
}

export function registerModelCommands(model: Command): void {
  model
    .command('list')
    .description('the model catalogue: each model and variant, its size, and whether it is installed (and where)')
    .option('--json', 'as JSON')
    .action((o: { json?: boolean }) => {
      const rows = listRows(loadCatalog());
      if (o.json) return console.log(JSON.stringify({ cache: modelsCacheDir(), models: rows }, null, 2));
      const head = ['id', 'variant', 'size', 'state', 'path'];
      const cells = rows.map((r) => [
        r.id,
        r.variant,
        r.size,
        r.installed ? (r.quantizedFrom ? 'installed (made here from fp32)' : 'installed') : r.verified ? 'not installed' : 'not installed (no published sha256)',
        r.path,
      ]);
      const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
      const fmt = (c: string[]) =>
        c
          .map((x, i) => x.padEnd(widths[i]))
          .join('  ')
          .trimEnd();
      console.log(fmt(head));
      for (const c of cells) console.log(fmt(c));
    });

  model
    .command('add')
    .description('download a catalogue model into the cache (resumable, sha256-checked), or install a file you already have with --file')
    .argument('<id>', 'catalogue id (photowords model list)')
    .option('--int8', 'the int8 file: downloaded and checked where it has a published sha256, else made here from the checked fp32 file')
    .option('--file <path>', 'install this file instead of downloading (checked against the catalogue sha256)')
    .option('--trust-unverified', 'install a file the catalogue has no sha256 for, recording the hash it has (with --int8: the published int8 file, not one made here)')
    .option('--no-probe', 'skip the first run that checks the feature grid')
    .action(async (id: string, o: { int8?: boolean; file?: string; trustUnverified?: boolean; probe: boolean }) => {
      const entry = findEntry(id);
      if (entry.kind === 'builtin') {
        const info = ensureInceptionBackbone(DEFAULT_SETTINGS.block, undefined, log);
        return console.log(`${entry.id} is built in: ${info.path}`);
      }
      const variant: Variant = o.int8 ? 'int8' : 'fp32';
      let rec: InstallRecord;
      if (o.file) {
        rec = await installFromFile(entry, o.file, { variant: o.int8 ? 'int8' : undefined, trustUnverified: o.trustUnverified });
      } else {
        const bar = downloadReporter(`${entry.id} ${variant}`);
        try {
          rec = await installVariant(entry, { variant, trustUnverified: o.trustUnverified, onProgress: (p) => bar.update(p), onLog: log });
        } finally {
          bar.stop();
        }
      }
      const how = rec.quantizedFrom
        ? `, made here by ${rec.quantizedFrom.quantizer} from the checked fp32 file ${rec.quantizedFrom.sha256}`
        : rec.verified
          ? ', verified'
          : ', NOT verified: the catalogue has no hash for it';
      console.log(`Installed ${rec.id} ${rec.variant}: ${rec.path} (${formatBytes(rec.bytes)}, sha256 ${rec.sha256}${how})`);
      await prepare(entry, rec, o.probe);
    });

  model
    .command('remove')
    .description('delete a downloaded model (all its variants, parts and derived graphs) from the cache')
    .argument('<id>', 'catalogue id')
    .option('--int8', 'only the int8 file')
    .option('--fp32', 'only the fp32 file')
    .action((id: string, o: { int8?: boolean; fp32?: boolean }) => {
      const entry = findEntry(id);
      if (entry.kind === 'builtin') throw new Error(`${entry.id} is built in and is not in the download cache`);
      const removed = removeModel(entry, o.int8 ? 'int8' : o.fp32 ? 'fp32' : 'all');
      console.log(removed.length ? `Removed ${removed.length} file(s) of ${entry.id} from ${modelsCacheDir()}` : `${entry.id} is not installed`);
    });
}
