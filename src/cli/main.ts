// The `photowords` command line: a first-class way into the engine (src/core), nothing more.
// User mistakes end in one clear line and a non-zero exit; stack traces only with PHOTOWORDS_DEBUG=1.
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import {
  ASPECT_TOLERANCE,
  DEFAULT_BURST_SECONDS,
  DEFAULT_NEIGHBOURS,
  DEFAULT_SENSITIVITY,
  DEFAULT_SETTINGS,
  DEFAULT_SIMILAR_SHOTS,
  EVAL_SIMILARITIES,
  Engine,
  PHASH_CONFIRM,
  PHASH_CONFIRM_COSINE,
  PHASH_SAME,
  PHASH_TURNED,
  QUANTIZE_DEFAULTS,
  SIMILARITIES,
  ensureInceptionBackbone,
  findDuplicates,
  importOnnxBackbone,
  notReadLabel,
  openStoreForDuplicates,
  parseEvalField,
  quantizeBackbone,
  runEval,
  trainCodebook,
  whyLinked,
  type CalibrationMethod,
  type DecisionKind,
  type EngineSettings,
  type EvalRow,
  type EvalSimilarity,
  type Similarity,
} from '../core/index.js';
import { progressReporter } from './progress.js';
import { registerExplain, storeExplainer } from './explain.js';
import { registerModelCommands } from './model-commands.js';

const DEFAULT_DB = process.env.PHOTOWORDS_DB ?? path.join(os.homedir(), '.photowords', 'library.db');
const DEFAULT_TRAIN_IMAGES = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../shared/datasets/caltech101');

const int = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
  return n;
};

const num = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a number from ${min} to ${max}`);
  return n;
};

function settingsOptions(cmd: Command): Command {
  return cmd
    .option('--resolution <px>', `longest side photos are read at (default ${DEFAULT_SETTINGS.resolution})`, int('resolution', 64, 2048))
    .option('--kernel <k>', `k-gram window side (default ${DEFAULT_SETTINGS.kernel})`, int('kernel', 1, 8))
    .option('--padding <p>', `k-gram padding (default ${DEFAULT_SETTINGS.padding})`, int('padding', 0, 7))
    .option('--channel-kgrams', '3D k-grams: slide the window over the head axis too')
    .option('--collapse', 'collapsed k-grams: (head, token) words summed over window offsets (the default)')
    .option('--no-collapse', "the paper's words: one per token and window offset")
    .option('--block <name>', `backbone block to quantize (default ${DEFAULT_SETTINGS.block})`)
    .option('--codes <n>', `codebook size (default ${DEFAULT_SETTINGS.codes})`, int('codes', 2, 65535))
    .option('--heads <n>', `VQ heads (default ${DEFAULT_SETTINGS.heads})`, int('heads', 1, 64))
    .option('--per-head-codebook', 'one codebook per head instead of one shared')
    .option('--pca <dims>', 'use the codebook trained with this PCA projection (codebook train --pca; 0 = none)', int('pca', 0, 65535))
    .option('--whiten', 'with --pca: the whitened PCA codebook')
    .option('--soft-assign <w>', 'soft assignment: each cell also counts for its second-nearest code with weight w (0 = off, the default)', num('soft-assign', 0, 1))
    .option('--backbone <name|file.onnx>', "'inception_v3' or an ONNX backbone imported with 'photowords model import'")
    .addOption(new Option('--precision <p>', `backbone arithmetic; int8 is quantized on first use (default ${DEFAULT_SETTINGS.precision})`).choices(['fp32', 'int8']))
    .addOption(new Option('--provider <ep>', 'execution provider').choices(['auto', 'cpu', 'cuda', 'dml', 'coreml']).default('auto'));
}

interface SettingsFlags {
  resolution?: number;
  kernel?: number;
  padding?: number;
  channelKgrams?: boolean;
  collapse?: boolean;
  block?: string;
  codes?: number;
  heads?: number;
  perHeadCodebook?: boolean;
  pca?: number;
  whiten?: boolean;
  softAssign?: number;
  backbone?: string;
  precision?: EngineSettings['precision'];
  provider: 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml';
}

function settingsFrom(o: SettingsFlags): Partial<EngineSettings> {
  return {
    resolution: o.resolution,
    kernel: o.kernel,
    padding: o.padding,
    channelKgrams: o.channelKgrams,
    collapseKgrams: o.collapse,
    block: o.block,
    codes: o.codes,
    heads: o.heads,
    perHeadCodebook: o.perHeadCodebook,
    pca: o.pca,
    whiten: o.whiten,
    softAssign: o.softAssign,
    backbone: o.backbone,
    precision: o.precision,
  };
}

const log = (m: string) => process.stderr.write(`${m}\n`);

/** How many failure reasons `index` prints; the rest are summed in one line. */
const TOP_REASONS = 5;

/** Failures grouped by reason, most frequent first. */
function failureReasons(failures: { reason: string }[]): { reason: string; files: number }[] {
  const n = new Map<string, number>();
  for (const f of failures) n.set(f.reason, (n.get(f.reason) ?? 0) + 1);
  return [...n].map(([reason, files]) => ({ reason, files })).sort((a, b) => b.files - a.files || (a.reason < b.reason ? -1 : 1));
}

const program = new Command();
program
  .name('photowords')
  .description('Find similar photos and duplicates by reading each photo as a document of visual words.')
  .showHelpAfterError();

settingsOptions(
  program
    .command('index')
    .description('index the photos in one or more folders (unchanged files are skipped)')
    .argument('<dir...>', 'folders to index')
    .option('--db <file>', 'index database', DEFAULT_DB)
    .option('--rebuild', 'discard an index built with other settings and start over')
    .option('--batch-size <n>', 'photos per model call (default: 1 on CPU, 8 on GPU)', int('batch-size', 1, 256))
    .option('--include-hidden', 'also read dot-named files and folders (kept with the index for later runs and the app)')
    .option('--no-include-hidden', 'count dot-named files and folders as not read (the default)')
    .option('--json', 'print the summary as JSON')
    .option('--quiet', 'no progress output'),
).action(async (dirs: string[], o: SettingsFlags & { db: string; rebuild?: boolean; batchSize?: number; json?: boolean; quiet?: boolean; includeHidden?: boolean }) => {
  fs.mkdirSync(path.dirname(path.resolve(o.db)), { recursive: true });
  const engine = await Engine.open(o.db, { settings: settingsFrom(o), rebuild: o.rebuild, provider: o.provider, log });
  try {
    if (o.includeHidden !== undefined) engine.includeHidden = o.includeHidden;
    const bar = progressReporter('Indexing', o.quiet || o.json);
    if (!o.quiet && !o.json) log(`Model ${engine.backbone.name}/${engine.backbone.output}, ${engine.codebook.name}, on ${engine.tokenizer.provider}`);
    const r = await engine.index(dirs, { onProgress: bar.update, pipeline: { batchSize: o.batchSize } });
    bar.stop();
    const notRead = r.notRead.map((k) => ({ kind: k.kind, label: notReadLabel(k.kind, k.files), files: k.files, examples: k.examples }));
    const notReadFiles = notRead.reduce((n, k) => n + k.files, 0);
    const summary = {
      indexed: r.indexed,
      failed: r.failed,
      notRead: notReadFiles,
      unchanged: r.skipped,
      seconds: r.timings.wallMs / 1000,
      imagesPerSecond: r.imagesPerSecond,
      executionProvider: r.provider,
      failureReasons: failureReasons(r.failures),
      notReadByKind: notRead,
      failures: r.failures,
    };
    if (o.json) console.log(JSON.stringify(summary, null, 2));
    else {
      console.log(
        `Indexed ${r.indexed} photos, ${r.failed} failed, ${notReadFiles} not read, ${r.skipped} unchanged, in ${summary.seconds.toFixed(1)} s (${r.imagesPerSecond.toFixed(1)} img/s on ${r.provider}).`,
      );
      const reasons = summary.failureReasons;
      for (const f of reasons.slice(0, TOP_REASONS)) console.log(`  failed: ${f.files} ${f.reason}`);
      if (reasons.length > TOP_REASONS) console.log(`  failed: ${reasons.slice(TOP_REASONS).reduce((n, f) => n + f.files, 0)} for ${reasons.length - TOP_REASONS} other reasons`);
      for (const k of notRead) console.log(`  not read: ${k.files} ${k.label}`);
      for (const f of r.failures) console.log(`  failed: ${f.path}: ${f.reason}`);
    }
  } finally {
    await engine.close();
  }
});

program
  .command('similar')
  .description('photos most similar to IMAGE (indexed or not)')
  .argument('<image>', 'a photo file')
  .option('--db <file>', 'index database', DEFAULT_DB)
  .option('--top <k>', 'number of results', int('top', 1, 10000), 20)
  .addOption(new Option('--similarity <name>', 'scoring').choices(SIMILARITIES).default('tfidf'))
  .addOption(new Option('--provider <ep>', 'execution provider').choices(['auto', 'cpu', 'cuda', 'dml', 'coreml']).default('auto'))
  .option('--json', 'print JSON')
  .option('--engine-query', 'print the OpenSearch/Elasticsearch query for this photo (for an index made by photowords export) instead of searching')
  .option('--engine <url>', 'search an OpenSearch/Elasticsearch cluster holding an export of this library (docs/ENGINE.md)')
  .option('--engine-index <name>', 'with --engine: the index name', 'photowords')
  .option('--engine-stats <file>', "with --engine/--engine-query: the export's stats.json, to weigh the query exactly as the documents were (default: the library's current statistics)")
  .action(async (image: string, o: { db: string; top: number; similarity: Similarity; json?: boolean; provider: SettingsFlags['provider']; engineQuery?: boolean; engine?: string; engineIndex: string; engineStats?: string }) => {
    if (!fs.existsSync(image)) throw new Error(`no such file: ${image}`);
    const engine = await openExisting(o.db, o.provider);
    try {
      if (o.engineQuery || o.engine) {
        const { queryStats, RemoteIndex } = await import('../core/index.js');
        const stats = queryStats(engine.store, o.engineStats);
        if (o.engineQuery) {
          const { engineQuery } = await import('../core/index.js');
          console.log(JSON.stringify(engineQuery((await engine.describe(image)).bag, stats, { k: o.top }), null, 2));
          return;
        }
        engine.remote = await RemoteIndex.connect(o.engine!, stats, { index: o.engineIndex });
      }
      const r = await engine.similar(image, { top: o.top, similarity: o.similarity });
      if (o.json) console.log(JSON.stringify(r, null, 2));
      else {
        console.log(`Most similar to ${r.query.path}${r.query.indexed ? '' : ' (not in the index)'} by ${r.similarity}${engine.remote ? ` on ${engine.remote.url}` : ''} (${r.queryMs.toFixed(1)} ms):`);
        r.results.forEach((x, i) => console.log(`${String(i + 1).padStart(4)}  ${x.score.toFixed(4)}  ${x.path}`));
      }
    } finally {
      await engine.close();
    }
  });

program
  .command('duplicates')
  .description('groups of duplicate photos in the index: exact copies (same bytes) and near copies (re-encoded, resized, cropped, turned a little, greyscale, blurred, lightly edited), each with a suggested copy to keep')
  .option('--db <file>', 'index database', DEFAULT_DB)
  .option(
    '--sensitivity <s>',
    `how alike two photos must be to count as near duplicates: the least TF-IDF cosine of their visual words, 0 to 1 (default ${DEFAULT_SENSITIVITY}). ` +
      'Lower finds more (bigger crops, heavier edits) but starts to join different photos of the same subject; higher finds only close copies ' +
      '(re-encodes and resizes score about 0.6 and up, a 10% crop 0.4 to 0.55). Exact copies, and copies whose perceptual hash is close ' +
      `(greyscale, blurred, heavily compressed: within ${PHASH_SAME} of 64 bits, or within ${PHASH_CONFIRM} when their words agree to ${PHASH_CONFIRM_COSINE}), are found whatever the value.`,
    num('sensitivity', 0.01, 1),
  )
  .option('--neighbours <k>', `nearest photos checked for each photo (default ${DEFAULT_NEIGHBOURS})`, int('neighbours', 1, 1000))
  .option('--no-exif', 'do not read EXIF capture dates to break ties between copies')
  .option('--no-phash', 'visual words only: leave the perceptual hash out (for comparison)')
  .option(
    '--similar-shots <s>',
    `how alike two different photos of one scene must be to be listed as "similar shots" (look-alikes, bursts), 0 to 1 (default ${DEFAULT_SIMILAR_SHOTS}); ` +
      'they are listed apart and are never duplicates to delete',
    num('similar-shots', 0.01, 1),
  )
  .option('--burst-seconds <s>', `similar shots taken within this many seconds of each other (EXIF) are a burst (default ${DEFAULT_BURST_SECONDS})`, num('burst-seconds', 0, 86400))
  .option('--no-transforms', 'do not look for mirrored or turned (90/180/270 degrees) copies')
  .option('--no-decisions', 'ignore your stored decisions (not duplicates, keep all, chosen keepers)')
  .option('--json', 'print JSON')
  .option('--out <report.html>', 'write a self-contained HTML report (thumbnails side by side, sizes, dates, paths, similarity, the suggested keeper)')
  .option('--csv <file>', 'write the groups as CSV, one row per photo')
  .option('--json-out <file>', 'write the groups as JSON, one row per photo')
  .addHelpText(
    'after',
    `\nTwo tiers:\n` +
      `  same photo     exact copies and near copies (re-encoded, resized, cropped, edited, mirrored, turned by 90/180/270 degrees),\n` +
      `                 each group with a suggested copy to keep. Near copies must also have a similar shape (long side / short side\n` +
      `                 within ${ASPECT_TOLERANCE}x of each other). A mirrored or turned copy is found by its perceptual hash (within ${PHASH_TURNED} bits).\n` +
      `  similar shots  different photos of one scene (look-alikes at --similar-shots, bursts by EXIF time): listed, never to delete.\n` +
      'Suggested keeper: the most pixels, then the largest file (least compressed), then the earliest EXIF capture date, then the shortest path;\n' +
      'a keeper you chose (photowords decide keeper) wins. Groups you marked "not duplicates" or "keep all" stay hidden while their\n' +
      'photos are unchanged (photowords decisions lists and undoes them). RAW + JPEG siblings are marked, never offered to delete.\n' +
      'Nothing is moved or deleted.',
  )
  .action(async (o: {
    db: string;
    sensitivity?: number;
    neighbours?: number;
    exif: boolean;
    phash: boolean;
    similarShots?: number;
    burstSeconds?: number;
    transforms: boolean;
    decisions: boolean;
    json?: boolean;
    out?: string;
    csv?: string;
    jsonOut?: string;
  }) => {
    const store = openStoreForDuplicates(o.db);
    try {
      // An index made before perceptual hashes were stored gets them now, once.
      const fill = progressReporter('Perceptual hashes', !!o.json);
      const r = await findDuplicates(store, {
        sensitivity: o.sensitivity,
        neighbours: o.neighbours,
        exif: o.exif,
        phash: o.phash,
        similarShots: o.similarShots,
        burstSeconds: o.burstSeconds,
        transforms: o.transforms,
        decisions: o.decisions,
        onProgress: (p) => fill.update({ done: p.done, total: p.total, indexed: p.done, failed: 0, skipped: 0, imagesPerSecond: 0, etaSeconds: 0 }),
      });
      fill.stop();
      const report = await import('../core/index.js');
      // Written beside and renamed, so an interrupted run never leaves half a report that looks whole.
      const write = (file: string, text: string) => {
        fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
        fs.writeFileSync(`${file}.tmp`, text);
        fs.renameSync(`${file}.tmp`, file);
        log(`Wrote ${file}`);
      };
      if (o.csv) write(o.csv, report.reportCsv(r));
      if (o.jsonOut) write(o.jsonOut, report.reportJson(r));
      if (o.out) {
        const bar = progressReporter('Thumbnails', !!o.json);
        // Each near copy's thumbnail shows where the words it shares with its keeper lie.
        const overlays = storeExplainer(store);
        try {
          write(
            o.out,
            await report.reportHtml(r, {
              title: path.resolve(o.db),
              onProgress: (done, total) => bar.update({ done, total, indexed: done, failed: 0, skipped: 0, imagesPerSecond: 0, etaSeconds: 0 }),
              explain: overlays.explain,
            }),
          );
        } finally {
          overlays.close();
        }
        bar.stop();
      }
      if (o.json) {
        console.log(JSON.stringify(r, null, 2));
        return;
      }
      const exact = r.groups.filter((g) => g.tier === 'exact').length;
      console.log(
        `Same photo: ${r.groups.length} groups among ${r.photos} photos (${exact} exact, ${r.groups.length - exact} near; sensitivity ${r.sensitivity}, ${(r.ms / 1000).toFixed(1)} s)` +
          (r.keptAll.length ? `; ${r.keptAll.length} you chose to keep whole are hidden` : '') +
          (r.pairs.dismissed ? `; ${r.pairs.dismissed} pairs you marked "not duplicates" left apart` : ''),
      );
      const size = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`);
      r.groups.forEach((g, i) => {
        console.log(`\n#${i + 1} ${g.tier}, ${g.members.length} photos; keep ${g.members[0].path}: ${g.reason}`);
        for (const m of g.members) {
          const mark = m.id === g.keeper ? 'keep' : m.identical ? 'same' : m.score.toFixed(3);
          const bits = m.id === g.keeper || m.identical || m.phashDistance === undefined ? '' : `${m.phashDistance} bits`;
          const why = m.id === g.keeper ? '' : whyLinked(m, (id) => { const o = g.members.find((x) => x.id === id); return o && path.basename(o.path); });
          console.log(`  ${mark.padStart(5)}  ${bits.padStart(7)}  ${`${m.width ?? '?'}x${m.height ?? '?'}`.padEnd(10)} ${size(m.size).padStart(8)}  ${m.path}${why ? `  (${why})` : ''}`);
        }
        for (const rel of g.related ?? []) if (rel.kind === 'raw+jpeg') console.log(`  note: RAW and its JPEG: keep both (${g.members.find((m) => m.id === rel.a)?.path})`);
      });
      if (r.similar.length > 0) {
        console.log(`\nSimilar shots (different photos of one scene; nothing to delete): ${r.similar.length} groups, at ${r.similarShots} and up`);
        r.similar.forEach((g, i) => {
          console.log(`\n~${i + 1} ${g.kind}, ${g.members.length} photos`);
          for (const m of g.members) console.log(`  ${m.score.toFixed(3).padStart(5)}  ${(m.captureDate ?? '').slice(0, 19).padEnd(19)}  ${m.path}`);
        });
      }
    } finally {
      store.close();
    }
  });

program
  .command('decide')
  .description('record a decision about duplicates, kept by content so it survives renames, moves, re-indexing and rebuilds')
  .addArgument(new Argument('<kind>', 'not-duplicates: these photos are not copies of each other; keep-all: copies, but keep every one; keeper: keep this one').choices(['not-duplicates', 'keep-all', 'keeper']))
  .argument('<photos...>', 'indexed photos (paths), at least two; for keeper the first is the one to keep')
  .option('--db <file>', 'index database', DEFAULT_DB)
  .action((kind: DecisionKind, photos: string[], o: { db: string }) => {
    const store = openStoreForDuplicates(o.db);
    try {
      const hashes = photos.map((p) => {
        const r = store.getByPath(path.resolve(p));
        if (!r || r.status !== 'indexed' || !r.hash) throw new Error(`${p} is not an indexed photo in ${o.db}`);
        return r.hash;
      });
      const id = store.addDecision(kind, hashes, kind === 'keeper' ? hashes[0] : undefined);
      console.log(`Decision #${id} recorded (${kind}, ${photos.length} photos); undo with: photowords decisions --undo ${id} --db ${o.db}`);
    } finally {
      store.close();
    }
  });

program
  .command('decisions')
  .description('list your decisions about duplicates (and which no longer apply because a photo changed or is gone), or undo one')
  .option('--db <file>', 'index database', DEFAULT_DB)
  .option('--undo <id>', 'undo this decision', int('undo', 1, Number.MAX_SAFE_INTEGER))
  .option('--json', 'print JSON')
  .action((o: { db: string; undo?: number; json?: boolean }) => {
    const store = openStoreForDuplicates(o.db);
    try {
      if (o.undo !== undefined) {
        if (!store.deleteDecision(o.undo)) throw new Error(`no decision #${o.undo} in ${o.db}`);
        console.log(`Decision #${o.undo} undone`);
        return;
      }
      const list = store.listDecisions();
      if (o.json) {
        console.log(JSON.stringify(list, null, 2));
        return;
      }
      if (list.length === 0) console.log('No decisions.');
      for (const d of list) {
        console.log(`#${d.id} ${d.kind}, ${new Date(d.createdAt).toISOString().slice(0, 19)}${d.stale ? '  (a photo changed or is gone: no longer applies to it)' : ''}`);
        for (const p of d.photos) {
          const mark = d.keeper === p.hash ? 'keep' : '';
          console.log(`  ${mark.padEnd(4)}  ${p.photos.length ? p.photos.map((x) => x.path).join(', ') : `(content ${p.hash.slice(0, 12)}... no longer in the library)`}`);
        }
      }
    } finally {
      store.close();
    }
  });

program
  .command('export')
  .description('the index for a search engine cluster: index settings + mapping (index.json), bulk files (bulk-NNNNN.ndjson) and the statistics the weights were computed with (stats.json); docs/ENGINE.md')
  .option('--db <file>', 'index database', DEFAULT_DB)
  .addOption(new Option('--engine <name>', 'target engine (both read the same files)').choices(['opensearch', 'elasticsearch']).default('opensearch'))
  .requiredOption('--out <dir>', 'folder to write into (bulk files already there are replaced)')
  .option('--shards <n>', 'number_of_shards', int('shards', 1, 1024), 1)
  .option('--replicas <n>', 'number_of_replicas', int('replicas', 0, 16), 1)
  .option('--index <name>', 'index name in the bulk files', 'photowords')
  .action(async (o: { db: string; engine: string; out: string; shards: number; replicas: number; index: string }) => {
    const { exportForEngine, storeExportSource } = await import('../core/index.js');
    const store = openStoreForDuplicates(o.db);
    try {
      const r = exportForEngine(storeExportSource(store), o.out, { index: o.index, shards: o.shards, replicas: o.replicas, meta: { fingerprint: store.fingerprint, settings: store.settings } });
      const out = path.resolve(o.out);
      console.log(`Exported ${r.docs} photos (${r.postings} words, ${(r.bulkBytes / 2 ** 20).toFixed(1)} MB in ${r.files.length} bulk files) for ${o.engine} to ${out}`);
      console.log(`Load it:\n  curl -XPUT "$URL/${o.index}" -H 'Content-Type: application/json' --data-binary @${path.join(out, 'index.json')}`);
      console.log(`  for f in ${path.join(out, 'bulk-*.ndjson')}; do curl -XPOST "$URL/_bulk" -H 'Content-Type: application/x-ndjson' --data-binary @"$f"; done`);
      console.log(`Search it: photowords similar PHOTO --db ${o.db} --engine $URL --engine-stats ${path.join(out, 'stats.json')}`);
    } finally {
      store.close();
    }
  });

registerExplain(program, DEFAULT_DB);

program
  .command('info')
  .description('counts, settings, model, every file that failed with its reason, the files not read by kind with examples, and photos read from less than the whole picture')
  .option('--db <file>', 'index database', DEFAULT_DB)
  .option('--json', 'print JSON')
  .action(async (o: { db: string; json?: boolean }) => {
    const engine = await openExisting(o.db, 'cpu');
    try {
      const info = engine.info();
      if (o.json) console.log(JSON.stringify(info, null, 2));
      else {
        console.log(`Index ${info.db}`);
        console.log(`  photos: ${info.photos.indexed} indexed, ${info.photos.failed} failed, ${info.photos.notRead} files not read; ${info.terms} distinct visual words`);
        const s = info.settings;
        console.log(`  model: ${info.model.backbone}/${info.model.block}, codebook ${info.model.codebook}`);
        console.log(`  settings: resolution ${s.resolution}, kernel ${s.kernel}, padding ${s.padding}, channel k-grams ${s.channelKgrams ? 'on' : 'off'}, ${s.collapseKgrams ? 'collapsed' : 'per-offset'} words`);
        console.log(`  hidden files and folders: ${info.includeHidden ? 'read' : 'not read (index --include-hidden reads them)'}`);
        for (const k of info.notRead) {
          console.log(`  not read: ${k.files} ${k.label}, e.g.`);
          for (const p of k.examples) console.log(`    ${p}`);
        }
        for (const f of info.failures) console.log(`  failed: ${f.path}: ${f.error}`);
        for (const n of info.notes) console.log(`  note: ${n.path}: ${n.note}`);
      }
    } finally {
      await engine.close();
    }
  });

settingsOptions(
  program
    .command('eval')
    .description("mAP under the GPR1200 protocol over DIR/<domain>/<class>/photo (or DIR/<class>/photo)")
    .argument('<dir>', 'labelled photos')
    .option('--similarities <list>', `comma-separated, from ${EVAL_SIMILARITIES.join(',')}`, EVAL_SIMILARITIES.join(','))
    .option('--cache-db <file>', 'where model output is cached between runs')
    .option('--field <spec>', 'a second field of words: pairs[:COARSE[:hv|hvd|d2]] (co-occurrence pairs of coarse codes) or block:NAME[:CODES] (another block\'s k-grams)')
    .option('--field-mode <mode>', "with --field: 'add' (one bag, disjoint term ranges), 'alone' (the field only) or a weight w (tfidf-exact = cos + w cos(field))", 'add')
    .option('--json', 'print one JSON object'),
).action(async (dir: string, o: SettingsFlags & { similarities: string; cacheDb?: string; field?: string; fieldMode: string; json?: boolean }) => {
  const sims = o.similarities.split(',').map((s) => s.trim()) as EvalSimilarity[];
  for (const s of sims) if (!EVAL_SIMILARITIES.includes(s)) throw new Error(`unknown similarity "${s}"; choose from ${EVAL_SIMILARITIES.join(', ')}`);
  const bar = progressReporter('Reading photos');
  const field = o.field ? parseEvalField(o.field, o.fieldMode) : undefined;
  const rows = await runEval(dir, { settings: settingsFrom(o), field, similarities: sims, cacheDb: o.cacheDb, provider: o.provider, onProgress: bar.update, log });
  bar.stop();
  if (o.json) {
    console.log(JSON.stringify({ dataset: path.resolve(dir), results: rows.map(({ seconds, ...r }) => ({ ...r, seconds: Number(seconds.toFixed(2)) })) }, null, 2));
  } else printEvalTable(rows);
});

const codebook = program.command('codebook').description('visual-word codebooks');
codebook
  .command('train')
  .description('train a VQ codebook by k-means on backbone features (writes resources/models/codebooks/<name>.bin/.json)')
  .option('--images <dir>', 'folder of class subfolders', DEFAULT_TRAIN_IMAGES)
  .option('--block <name>', 'backbone block', DEFAULT_SETTINGS.block)
  .option('--backbone <name|file.onnx>', 'backbone', DEFAULT_SETTINGS.backbone)
  .option('--heads <n>', 'heads', int('heads', 1, 64), DEFAULT_SETTINGS.heads)
  .option('--codes <n>', 'codes', int('codes', 2, 65535), DEFAULT_SETTINGS.codes)
  .option('--resolution <px>', 'longest side', int('resolution', 64, 2048), DEFAULT_SETTINGS.resolution)
  .option('--per-class <n>', 'photos per class folder', int('per-class', 1, 100000), 10)
  .option('--per-head', 'one codebook per head instead of one shared')
  .option('--vectors <n>', 'head vectors sampled for k-means', int('vectors', 1000, 10_000_000), 200_000)
  .option('--iterations <n>', 'k-means iterations', int('iterations', 1, 1000), 25)
  .option('--seed <n>', 'random seed', int('seed', 0, 2 ** 31), 0)
  .option('--pca <dims>', 'learn a PCA projection of the cell vectors to this many dims (divisible by heads) before k-means', int('pca', 1, 65535))
  .option('--whiten', 'with --pca: whiten the projection')
  .action(async (o) => {
    if (o.whiten && !o.pca) throw new InvalidArgumentError('--whiten needs --pca <dims>');
    const { loadBackbone } = await import('../core/index.js');
    const backbone = await loadBackbone({ ...DEFAULT_SETTINGS, backbone: o.backbone, block: o.block }, log);
    const m = await trainCodebook({ ...o, perHead: !!o.perHead, whiten: !!o.whiten, backbone, log });
    console.log(`Wrote codebook ${m.name} (${m.codes} codes x ${m.dim} dims, ${m.training.vectors} vectors from ${m.training.imageCount} photos, ${m.training.seconds} s)`);
  });

const model = program.command('model').description('backbone models');
registerModelCommands(model);
model
  .command('build')
  .description('derive the InceptionV3 backbone ONNX graph from the installed nsfwjs package')
  .option('--block <names>', 'comma-separated blocks', DEFAULT_SETTINGS.block)
  .action((o: { block: string }) => {
    for (const b of o.block.split(',')) {
      const info = ensureInceptionBackbone(b.trim(), undefined, log);
      console.log(`${info.path} (sha256 ${info.sha256.slice(0, 16)}...)`);
    }
  });
model
  .command('quantize')
  .description('derive the int8 backbone (QDQ graph, activation ranges calibrated on photos) used by --precision int8')
  .option('--block <name>', 'backbone block', QUANTIZE_DEFAULTS.block)
  .option('--images <dir>', 'calibration photos (searched recursively)', DEFAULT_TRAIN_IMAGES)
  .option('--calibration <n>', 'photos sampled for calibration', int('calibration', 1, 100000), QUANTIZE_DEFAULTS.calibration)
  .addOption(new Option('--method <m>', 'activation range from the calibration histogram').choices(['max', 'percentile', 'mse']).default(QUANTIZE_DEFAULTS.method))
  .option('--percentile <p>', 'for --method percentile', (v) => Number(v), QUANTIZE_DEFAULTS.percentile)
  .action(async (o: { block: string; images: string; calibration: number; method: CalibrationMethod; percentile: number }) => {
    const info = await quantizeBackbone({ ...o, log });
    console.log(`${info.path} (sha256 ${info.sha256.slice(0, 16)}..., from ${path.basename(info.path).replace(/-int8\.onnx$/, '.onnx')} sha256 ${info.sourceSha256?.slice(0, 16)}...)`);
  });
model
  .command('import')
  .description('wrap any ONNX CNN (NCHW float input) as a backbone ending at a named feature map')
  .argument('<file>', 'ONNX model, e.g. a ResNet-50 from the ONNX model zoo')
  .requiredOption('--output <tensor>', "name of the last conv block's output tensor")
  .requiredOption('--channels <n>', 'channels of that tensor', int('channels', 1, 65536))
  .option('--mean <r,g,b>', 'input mean on [0,1] RGB', '0.485,0.456,0.406')
  .option('--std <r,g,b>', 'input std on [0,1] RGB', '0.229,0.224,0.225')
  .action((file: string, o: { output: string; channels: number; mean: string; std: string }) => {
    const triple = (s: string) => s.split(',').map(Number) as [number, number, number];
    const info = importOnnxBackbone(file, { output: o.output, channels: o.channels, mean: triple(o.mean), std: triple(o.std) });
    console.log(`Imported ${info.path}; train its codebook with: photowords codebook train --backbone ${info.path} --block ${info.output}`);
  });

const collect = (v: string, prev: string[]) => [...prev, v];

program
  .command('serve')
  .description('the Photowords app in a browser: serves the UI and its API over HTTP, indexing the library folders as it runs (docs/SERVER.md)')
  .argument('[dir...]', 'folders to add to the library (kept in the database for next time)')
  .option('--db <file>', 'index database', DEFAULT_DB)
  .option('--port <n>', 'TCP port (0: any free one)', int('port', 0, 65535), 8618)
  .option('--host <addr>', 'address to listen on; anything but 127.0.0.1 opens the server to the network and requires sign-in', '127.0.0.1')
  .option('--auth', 'require sign-in even on 127.0.0.1 (always on for any other address)')
  .option('--roots <dir>', 'a folder under which library folders may be added from the browser (repeatable; default: your Pictures folder, the library\'s folders, and your home folder on 127.0.0.1 without --auth)', collect, [])
  .option('--public-name <name>', 'a host name the server answers to besides its addresses, e.g. photos.home.lan (repeatable; name:port for a proxy on another port)', collect, [])
  .option('--tls-cert <pem>', 'serve https with this certificate (with --tls-key)')
  .option('--tls-key <pem>', 'the private key of --tls-cert')
  .option('--trust-proxy [addresses]', 'trust X-Forwarded-* from a reverse proxy: on loopback when bare, else these addresses (comma-separated, CIDR allowed)')
  .addOption(new Option('--provider <ep>', 'execution provider (default: the one chosen in Settings, else auto)').choices(['auto', 'cpu', 'cuda', 'dml', 'coreml']))
  .option('--engine <url>', "answer 'find similar' (TF-IDF) from an OpenSearch/Elasticsearch cluster holding an export of this library")
  .option('--engine-index <name>', 'with --engine: the index name', 'photowords')
  .option('--engine-stats <file>', "with --engine: the export's stats.json")
  .action(
    async (
      dirs: string[],
      o: {
        db: string;
        port: number;
        host: string;
        auth?: boolean;
        roots: string[];
        publicName: string[];
        tlsCert?: string;
        tlsKey?: string;
        trustProxy?: boolean | string;
        provider?: SettingsFlags['provider'];
        engine?: string;
        engineIndex: string;
        engineStats?: string;
      },
    ) => {
      const { Library } = await import('../core/index.js');
      const { startServer } = await import('../server/server.js');
      const { RootPolicy } = await import('../core/index.js');
      const staticDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../out/renderer');
      if (!fs.existsSync(path.join(staticDir, 'index.html'))) throw new Error(`the UI is not built (${staticDir}); build it with: npm run build:web`);
      if (!o.tlsCert !== !o.tlsKey) throw new Error('--tls-cert and --tls-key go together: give both, or neither.');
      for (const f of [o.tlsCert, o.tlsKey]) if (f && !fs.existsSync(f)) throw new Error(`no such file: ${f}`);
      const loopback = o.host === '127.0.0.1' || o.host === 'localhost' || o.host === '::1';
      const signIn = o.auth === true || !loopback;
      // The folders named here are the person's own choice at the terminal, but never `/` or a system folder.
      const check = new RootPolicy({ roots: o.roots, commandLine: dirs, loopbackOpen: !signIn, loopback, dbPath: o.db });
      for (const r of o.roots) {
        const why = check.refusedRoot(r);
        if (why) throw new Error(`--roots ${r}: ${why}`);
      }
      for (const d of dirs) {
        const why = check.refusal(path.resolve(d));
        if (why) throw new Error(why);
      }
      const stop = stopSignal();
      const remoteIndex = o.engine ? { url: o.engine, index: o.engineIndex, statsFile: o.engineStats } : undefined;
      const library = await Library.open(o.db, { provider: o.provider, log, lockKind: 'serve', remoteIndex });
      try {
        await addLibraryFolders(library, dirs);
        const server = await startServer({
          library,
          staticDir,
          host: o.host,
          port: o.port,
          log,
          auth: o.auth === true,
          roots: o.roots.length ? o.roots : undefined,
          commandLineFolders: dirs.map((d) => path.resolve(d)),
          publicNames: o.publicName,
          tls: o.tlsCert && o.tlsKey ? { cert: o.tlsCert, key: o.tlsKey } : undefined,
          trustProxy: o.trustProxy,
        });
        // The one line scripts and tests look for.
        console.log(`Photowords is serving ${o.db} at ${server.url}`);
        if (server.setupUrl) {
          console.log(`Set the owner's password at: ${server.setupUrl}`);
          log(
            loopback
              ? 'Warning: no password is set yet. Until it is, anyone on this computer can set it; open the link above now.'
              : 'Warning: no password is set yet. Until it is, only someone with the setup link above can set it and use this server; open it now.',
          );
        }
        if (!loopback && !o.tlsCert) {
          log(
            `Warning: listening on ${o.host} over plain http: your password and photos cross the network unencrypted. Use --tls-cert/--tls-key, or a reverse proxy with https (docs/SERVER.md).`,
          );
        } else if (!loopback) {
          log(`Listening on ${o.host}: sign-in is required; anyone who can reach this machine sees the sign-in page.`);
        }
        logLibraryStatus(library);
        await stop.promise;
        await server.close();
      } finally {
        await library.close();
      }
    },
  );

/** Reads a password from the terminal without echo (twice), or one line of stdin with --stdin. */
async function readPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin || !process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  }
  const ask = (prompt: string) =>
    new Promise<string>((resolve, reject) => {
      process.stderr.write(prompt);
      const stdin = process.stdin;
      stdin.setRawMode(true);
      stdin.resume();
      let buf = '';
      const onData = (d: Buffer) => {
        for (const ch of d.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.setRawMode(false);
            stdin.pause();
            stdin.off('data', onData);
            process.stderr.write('\n');
            return resolve(buf);
          }
          if (ch === '\u0003') {
            stdin.setRawMode(false);
            stdin.off('data', onData);
            return reject(new Error('cancelled'));
          }
          if (ch === '\u007f') buf = buf.slice(0, -1);
          else buf += ch;
        }
      };
      stdin.on('data', onData);
    });
  const first = await ask('New password: ');
  const again = await ask('Again: ');
  if (first !== again) throw new Error('the two passwords differ; nothing was changed');
  return first;
}

program
  .command('password')
  .description("set or reset the owner's password for photowords serve (ends every signed-in session)")
  .option('--db <file>', 'index database', DEFAULT_DB)
  .option('--stdin', 'read the password from standard input (one line) instead of asking twice')
  .action(async (o: { db: string; stdin?: boolean }) => {
    const { AuthStore } = await import('../core/index.js');
    const store = AuthStore.open(o.db);
    try {
      const password = await readPassword(o.stdin === true);
      await store.setPassword(password);
      log(`Password set for ${o.db}; every session was signed out.`);
    } finally {
      store.close();
    }
  });

const token = program.command('token').description('API tokens for scripts talking to photowords serve (Authorization: Bearer <token>)');
token
  .command('create')
  .description('create a token and print it once (only its hash is kept)')
  .requiredOption('--name <name>', 'what the token is for, e.g. "backup script"')
  .option('--read-only', 'may only read (list, search, download), never change anything')
  .option('--db <file>', 'index database', DEFAULT_DB)
  .action(async (o: { name: string; readOnly?: boolean; db: string }) => {
    const { AuthStore } = await import('../core/index.js');
    const store = AuthStore.open(o.db);
    try {
      const t = store.createToken(o.name, o.readOnly ? 'read' : 'full');
      log(`Token ${t.id} "${t.name}" (${t.scope === 'read' ? 'read-only' : 'full access'}); it is shown only now:`);
      console.log(t.token);
    } finally {
      store.close();
    }
  });
token
  .command('list')
  .description('list the tokens (never their secrets)')
  .option('--db <file>', 'index database', DEFAULT_DB)
  .action(async (o: { db: string }) => {
    const { AuthStore } = await import('../core/index.js');
    const store = AuthStore.open(o.db);
    try {
      const list = store.listTokens();
      if (list.length === 0) log('No API tokens.');
      for (const t of list) {
        const used = t.lastUsed ? new Date(t.lastUsed).toISOString() : 'never used';
        console.log(`${t.id}\t${t.scope}\t${new Date(t.created).toISOString()}\t${used}\t${t.name}`);
      }
    } finally {
      store.close();
    }
  });
token
  .command('revoke')
  .description('revoke a token by its id (from token list)')
  .argument('<id>', 'the token id', int('id', 1, Number.MAX_SAFE_INTEGER))
  .option('--db <file>', 'index database', DEFAULT_DB)
  .action(async (id: number, o: { db: string }) => {
    const { AuthStore } = await import('../core/index.js');
    const store = AuthStore.open(o.db);
    try {
      if (!store.revokeToken(id)) throw new Error(`no token ${id} (see: photowords token list)`);
      log(`Token ${id} revoked.`);
    } finally {
      store.close();
    }
  });

program
  .command('daemon')
  .description('index the library folders in the background, headless: a reconcile at start, then every change the watcher sees; stops cleanly on SIGINT/SIGTERM')
  .argument('[dir...]', 'folders to add to the library (kept in the database for next time)')
  .option('--db <file>', 'index database', DEFAULT_DB)
  .option('--poll <ms>', 'how often an offline folder is looked at', int('poll', 100, 3_600_000), 3000)
  .addOption(new Option('--provider <ep>', 'execution provider (default: the one chosen in Settings, else auto)').choices(['auto', 'cpu', 'cuda', 'dml', 'coreml']))
  .action(async (dirs: string[], o: { db: string; poll: number; provider?: SettingsFlags['provider'] }) => {
    const { Library } = await import('../core/index.js');
    for (const d of dirs) {
      const st = fs.statSync(path.resolve(d), { throwIfNoEntry: false });
      if (!st?.isDirectory()) throw new Error(`not a folder: ${d}`);
    }
    const stop = stopSignal();
    const library = await Library.open(o.db, { provider: o.provider, log, watch: true, pollMs: o.poll, lockKind: 'daemon' });
    try {
      await addLibraryFolders(library, dirs);
      const folders = await library.listFolders();
      if (folders.length === 0) throw new Error(`the library ${o.db} has no folders; name one: photowords daemon DIR --db ${o.db}`);
      log(`Photowords daemon (pid ${process.pid}) watching ${folders.map((f) => f.path + (f.online ? '' : ' (offline)')).join(', ')}; index ${path.resolve(o.db)}.`);
      logLibraryStatus(library, 5000);
      await stop.promise;
    } finally {
      // Stops the run (photos in flight finish and are stored, the rest wait for next time),
      // closes the watcher and the database, and releases the lock.
      await library.close();
    }
    const a = library.activity;
    log(`Stopped (${stop.received ?? 'error'}); ${a.modelPhotos} photos read by the model, ${a.reused} copies, ${a.moved} moved, ${a.removed} removed this session.`);
  });

/**
 * The first SIGINT or SIGTERM. Armed at once, so a signal that comes while the model loads still
 * stops cleanly once the library is open; photos in flight finish before the library closes.
 */
function stopSignal(): { promise: Promise<string>; readonly received: string | undefined } {
  let received: string | undefined;
  const promise = new Promise<string>((resolve) => {
    const on = (sig: string) => {
      if (received) return;
      received = sig;
      log(`${sig}: finishing the photos in flight, then stopping.`);
      resolve(sig);
    };
    process.on('SIGINT', () => on('SIGINT'));
    process.on('SIGTERM', () => on('SIGTERM'));
  });
  return {
    promise,
    get received() {
      return received;
    },
  };
}

/** Adds the folders named on the command line (kept in the database for next time). */
async function addLibraryFolders(library: import('../core/index.js').Library, dirs: string[]): Promise<void> {
  for (const d of dirs) {
    const abs = path.resolve(d);
    if ((await library.listFolders()).some((f) => f.path === abs)) continue;
    await library.addFolder(abs);
    log(`Added ${abs} to the library.`);
  }
}

/** Progress lines on stderr: each change of state, and while indexing one every `everyMs` (0: none). */
function logLibraryStatus(library: import('../core/index.js').Library, everyMs = 0): void {
  let lastState = '';
  let lastLine = 0;
  library.onEvent((e) => {
    if (e.type === 'library') {
      for (const f of e.folders) if (!f.online) log(`Offline: ${f.path} (${f.photos} photos kept).`);
      return;
    }
    if (e.type !== 'status') return; // a duplicates search's progress is the UI's to show
    const s = e.status;
    const now = Date.now();
    if (s.state === lastState && (s.state !== 'indexing' || !everyMs || now - lastLine < everyMs)) return;
    lastState = s.state;
    lastLine = now;
    if (s.state === 'idle') log(`Library: ${s.libraryPhotos} photos indexed${s.failuresTotal ? `, ${s.failuresTotal} could not be read` : ''}.`);
    else if (s.state === 'error') log(s.message ?? 'Indexing stopped.');
    else if (s.state === 'indexing' && everyMs) {
      log(`Indexing: ${s.done}/${s.total} photos, ${s.imagesPerSecond.toFixed(1)}/s${s.etaSeconds ? `, ${Math.ceil(s.etaSeconds)} s left` : ''}.`);
    } else log(`Indexing: ${s.state}`);
  });
}

async function openExisting(db: string, provider: SettingsFlags['provider']): Promise<Engine> {
  if (!fs.existsSync(db)) throw new Error(`no index at ${db}; create one with: photowords index DIR --db ${db}`);
  return Engine.open(db, { provider, log });
}

function printEvalTable(rows: EvalRow[]): void {
  const domainNames = [...new Set(rows.flatMap((r) => Object.keys(r.domains)))];
  const header = ['similarity', 'model', 'res', 'k', 'p', 'channel', 'mAP', 'mAP (q removed)', ...domainNames];
  // Dense and CropAndJaccard do not use k-grams, so their k, p and channel columns are empty.
  const noKgrams = (r: EvalRow) => r.similarity.startsWith('dense') || r.similarity === 'cropjaccard';
  const lines = rows.map((r) => [
    r.similarity,
    r.model,
    String(r.resolution),
    noKgrams(r) ? '-' : String(r.kernel),
    noKgrams(r) ? '-' : String(r.padding),
    noKgrams(r) ? '-' : r.channelKgrams ? 'yes' : 'no',
    r.map.toFixed(4),
    r.mapQueryRemoved.toFixed(4),
    ...domainNames.map((d) => (r.domains[d] ?? NaN).toFixed(4)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(fmt(l));
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (process.env.PHOTOWORDS_DEBUG) console.error(e);
  else console.error(`photowords: ${(e as Error).message}`);
  process.exitCode = 1;
}
