// `photowords duplicates`, `decide` and `decisions`: the same DuplicatesService the app's
// Library uses (src/core/library/duplicates-service.ts), over an index opened without the model.
import { Argument, Command } from 'commander';
import path from 'node:path';
import fs from 'node:fs';
import {
  ASPECT_TOLERANCE,
  DEFAULT_BURST_SECONDS,
  DEFAULT_NEIGHBOURS,
  DEFAULT_SENSITIVITY,
  DEFAULT_SIMILAR_SHOTS,
  PHASH_CONFIRM,
  PHASH_CONFIRM_COSINE,
  PHASH_SAME,
  PHASH_TURNED,
  DuplicatesService,
  openStoreForDuplicates,
  storeSource,
  whyLinked,
  type DecisionKind,
} from '../../core/index.js';
import { progressReporter } from '../progress.js';
import { DEFAULT_DB, int, log, num } from '../options.js';

export function registerDuplicates(program: Command): void {
  program
    .command('duplicates')
    .description(
      'groups of duplicate photos in the index: exact copies (same bytes) and near copies (re-encoded, resized, cropped, turned a little, greyscale, blurred, lightly edited), each with a suggested copy to keep',
    )
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
    .action(
      async (o: {
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
        const duplicates = new DuplicatesService(storeSource(store));
        try {
          // An index made before perceptual hashes were stored gets them now, once.
          const fill = progressReporter('Perceptual hashes', !!o.json);
          const r = await duplicates.report(
            {
              sensitivity: o.sensitivity,
              neighbours: o.neighbours,
              exif: o.exif,
              phash: o.phash,
              similarShots: o.similarShots,
              burstSeconds: o.burstSeconds,
              transforms: o.transforms,
              decisions: o.decisions,
            },
            (p) => fill.update({ done: p.done, total: p.total, indexed: p.done, failed: 0, skipped: 0, imagesPerSecond: 0, etaSeconds: 0 }),
          );
          fill.stop();
          // Written beside and renamed, so an interrupted run never leaves half a report that looks whole.
          const write = (file: string, text: string) => {
            fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
            fs.writeFileSync(`${file}.tmp`, text);
            fs.renameSync(`${file}.tmp`, file);
            log(`Wrote ${file}`);
          };
          const title = path.resolve(o.db);
          if (o.csv) write(o.csv, await duplicates.reportFile('csv', r, { title }));
          if (o.jsonOut) write(o.jsonOut, await duplicates.reportFile('json', r, { title }));
          if (o.out) {
            const bar = progressReporter('Thumbnails', !!o.json);
            // Each near copy's thumbnail shows where the words it shares with its keeper lie.
            const onProgress = (done: number, total: number) => bar.update({ done, total, indexed: done, failed: 0, skipped: 0, imagesPerSecond: 0, etaSeconds: 0 });
            write(o.out, await duplicates.reportFile('html', r, { title, onProgress }));
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
              const why =
                m.id === g.keeper
                  ? ''
                  : whyLinked(m, (id) => {
                      const o = g.members.find((x) => x.id === id);
                      return o && path.basename(o.path);
                    });
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
      },
    );
}

export function registerDecisions(program: Command): void {
  program
    .command('decide')
    .description('record a decision about duplicates, kept by content so it survives renames, moves, re-indexing and rebuilds')
    .addArgument(
      new Argument('<kind>', 'not-duplicates: these photos are not copies of each other; keep-all: copies, but keep every one; keeper: keep this one').choices([
        'not-duplicates',
        'keep-all',
        'keeper',
      ]),
    )
    .argument('<photos...>', 'indexed photos (paths), at least two; for keeper the first is the one to keep')
    .option('--db <file>', 'index database', DEFAULT_DB)
    .action((kind: DecisionKind, photos: string[], o: { db: string }) => {
      const store = openStoreForDuplicates(o.db);
      const { decisions } = new DuplicatesService(storeSource(store));
      try {
        const hashes = decisions.hashesOfPaths(photos, o.db);
        const id = decisions.record(kind, hashes, kind === 'keeper' ? hashes[0] : undefined);
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
      const { decisions } = new DuplicatesService(storeSource(store));
      try {
        if (o.undo !== undefined) {
          if (!decisions.undo(o.undo)) throw new Error(`no decision #${o.undo} in ${o.db}`);
          console.log(`Decision #${o.undo} undone`);
          return;
        }
        const list = decisions.list();
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
}
