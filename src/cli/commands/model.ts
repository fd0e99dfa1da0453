// The commands that measure and make the model: eval (mAP over labelled photos), codebook train,
// and model build / quantize / import.
import { Command, InvalidArgumentError, Option } from 'commander';
import path from 'node:path';
import {
  DEFAULT_SETTINGS,
  EVAL_SIMILARITIES,
  QUANTIZE_DEFAULTS,
  ensureInceptionBackbone,
  importOnnxBackbone,
  parseEvalField,
  quantizeBackbone,
  runEval,
  trainCodebook,
  type CalibrationMethod,
  type EvalRow,
  type EvalSimilarity,
} from '../../core/index.js';
import { progressReporter } from '../progress.js';
import { DEFAULT_TRAIN_IMAGES, int, log, settingsFrom, settingsOptions, type SettingsFlags } from '../options.js';

export function registerEval(program: Command): void {
  settingsOptions(
    program
      .command('eval')
      .description('mAP under the GPR1200 protocol over DIR/<domain>/<class>/photo (or DIR/<class>/photo)')
      .argument('<dir>', 'labelled photos')
      .option('--similarities <list>', `comma-separated, from ${EVAL_SIMILARITIES.join(',')}`, EVAL_SIMILARITIES.join(','))
      .option('--cache-db <file>', 'where model output is cached between runs')
      .option('--field <spec>', "a second field of words: pairs[:COARSE[:hv|hvd|d2]] (co-occurrence pairs of coarse codes) or block:NAME[:CODES] (another block's k-grams)")
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
}

export function registerCodebook(program: Command): void {
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
      const { loadBackbone } = await import('../../core/index.js');
      const backbone = await loadBackbone({ ...DEFAULT_SETTINGS, backbone: o.backbone, block: o.block }, log);
      const m = await trainCodebook({ ...o, perHead: !!o.perHead, whiten: !!o.whiten, backbone, log });
      console.log(`Wrote codebook ${m.name} (${m.codes} codes x ${m.dim} dims, ${m.training.vectors} vectors from ${m.training.imageCount} photos, ${m.training.seconds} s)`);
    });
}

/** `model build`, `quantize` and `import` on the `model` command. */
export function registerModelTools(model: Command): void {
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
