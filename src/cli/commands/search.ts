// The commands over one index and the model (Engine): index folders, find similar photos, export
// the index for a search engine cluster, and what an index holds.
import { Command, Option } from 'commander';
import path from 'node:path';
import fs from 'node:fs';
import { Engine, SIMILARITIES, notReadLabel, openStoreForDuplicates, type Similarity } from '../../core/index.js';
import { progressReporter } from '../progress.js';
import { DEFAULT_DB, int, log, openExisting, settingsFrom, settingsOptions, type SettingsFlags } from '../options.js';

/** How many failure reasons `index` prints; the rest are summed in one line. */
const TOP_REASONS = 5;

/** Failures grouped by reason, most frequent first. */
function failureReasons(failures: { reason: string }[]): { reason: string; files: number }[] {
  const n = new Map<string, number>();
  for (const f of failures) n.set(f.reason, (n.get(f.reason) ?? 0) + 1);
  return [...n].map(([reason, files]) => ({ reason, files })).sort((a, b) => b.files - a.files || (a.reason < b.reason ? -1 : 1));
}

export function registerIndex(program: Command): void {
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
}

export function registerSimilar(program: Command): void {
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
    .action(
      async (
        image: string,
        o: { db: string; top: number; similarity: Similarity; json?: boolean; provider: SettingsFlags['provider']; engineQuery?: boolean; engine?: string; engineIndex: string; engineStats?: string },
      ) => {
        if (!fs.existsSync(image)) throw new Error(`no such file: ${image}`);
        const engine = await openExisting(o.db, o.provider);
        try {
          if (o.engineQuery || o.engine) {
            const { queryStats, RemoteIndex } = await import('../../core/index.js');
            const stats = queryStats(engine.store, o.engineStats);
            if (o.engineQuery) {
              const { engineQuery } = await import('../../core/index.js');
              console.log(JSON.stringify(engineQuery((await engine.describe(image)).bag, stats, { k: o.top }), null, 2));
              return;
            }
            engine.remote = await RemoteIndex.connect(o.engine!, stats, { index: o.engineIndex });
          }
          const r = await engine.similar(image, { top: o.top, similarity: o.similarity });
          if (o.json) console.log(JSON.stringify(r, null, 2));
          else {
            console.log(
              `Most similar to ${r.query.path}${r.query.indexed ? '' : ' (not in the index)'} by ${r.similarity}${engine.remote ? ` on ${engine.remote.url}` : ''} (${r.queryMs.toFixed(1)} ms):`,
            );
            r.results.forEach((x, i) => console.log(`${String(i + 1).padStart(4)}  ${x.score.toFixed(4)}  ${x.path}`));
          }
        } finally {
          await engine.close();
        }
      },
    );
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description(
      'the index for a search engine cluster: index settings + mapping (index.json), bulk files (bulk-NNNNN.ndjson) and the statistics the weights were computed with (stats.json); docs/ENGINE.md',
    )
    .option('--db <file>', 'index database', DEFAULT_DB)
    .addOption(new Option('--engine <name>', 'target engine (both read the same files)').choices(['opensearch', 'elasticsearch']).default('opensearch'))
    .requiredOption('--out <dir>', 'folder to write into (bulk files already there are replaced)')
    .option('--shards <n>', 'number_of_shards', int('shards', 1, 1024), 1)
    .option('--replicas <n>', 'number_of_replicas', int('replicas', 0, 16), 1)
    .option('--index <name>', 'index name in the bulk files', 'photowords')
    .action(async (o: { db: string; engine: string; out: string; shards: number; replicas: number; index: string }) => {
      const { exportForEngine, storeExportSource } = await import('../../core/index.js');
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
}

export function registerInfo(program: Command): void {
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
          console.log(
            `  settings: resolution ${s.resolution}, kernel ${s.kernel}, padding ${s.padding}, channel k-grams ${s.channelKgrams ? 'on' : 'off'}, ${s.collapseKgrams ? 'collapsed' : 'per-offset'} words`,
          );
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
}
