// Photos in, visual words out: the backbone session produces the feature map, the VQ session
// turns it into a token grid per photo plus a GeM-pooled dense vector. Sessions run on the best
// execution provider present (CUDA, DirectML, CoreML), else the CPU, and say which one runs.
import ort from 'onnxruntime-node';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { FEATURES_INPUT, POOLED_OUTPUT, TOKENS_OUTPUT, TOP2_CODES_OUTPUT, TOP2_DISTANCES_OUTPUT, vqGraph, type Codebook } from './vq.js';
import { PIXELS_INPUT } from './inception.js';
import type { BackboneInfo } from './backbone.js';
import type { TokenGrid } from '../../common/types.js';
import type { RgbImage } from '../decode/decode.js';
import type { ProviderName } from '../../../shared/api.js';

const require = createRequire(import.meta.url);

/** The engine's name for src/shared/library.ts ProviderName, defined there once so Settings offers the same list. */
export type ProviderChoice = ProviderName;

export interface TokenizerOptions {
  provider?: ProviderChoice;
  /** Intra-op threads for the CPU provider (default: all cores). */
  threads?: number;
  /** Soft assignment: grids also carry each cell's second-nearest code and both distances. */
  top2?: boolean;
}

/** RGB uint8, HWC: what the decoder makes, under the name the model's callers know it by. */
export type ImageInput = RgbImage;

export interface TokenizedImage {
  grid: TokenGrid;
  /** GeM-pooled backbone features (dense baseline, not quantized). */
  pooled: Float32Array;
}

/**
 * onnxruntime-node ships CUDA's provider library only when its install step could download it;
 * probing CUDA without it makes onnxruntime print an alarming error, so 'auto' skips it then.
 */
function cudaInstalled(): boolean {
  try {
    const dir = path.dirname(require.resolve('onnxruntime-node'));
    const root = dir.slice(0, dir.lastIndexOf('onnxruntime-node') + 'onnxruntime-node'.length);
    const bin = path.join(root, 'bin');
    const stack = [bin];
    while (stack.length) {
      const d = stack.pop()!;
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) stack.push(path.join(d, e.name));
        else if (e.name.startsWith('libonnxruntime_providers_cuda')) return true;
      }
    }
  } catch {
    // No package layout we know: let the probe decide.
    return true;
  }
  return false;
}

function candidates(choice: ProviderChoice): string[] {
  if (choice !== 'auto') return choice === 'cpu' ? ['cpu'] : [choice, 'cpu'];
  switch (process.platform) {
    case 'win32':
      return ['dml', 'cpu'];
    case 'darwin':
      return ['coreml', 'cpu'];
    default:
      return cudaInstalled() ? ['cuda', 'cpu'] : ['cpu'];
  }
}

async function createSession(model: string | Uint8Array, providers: string[], threads: number): Promise<{ session: ort.InferenceSession; provider: string; tried: string[] }> {
  const tried: string[] = [];
  for (const ep of providers) {
    try {
      const opts: ort.InferenceSession.SessionOptions = {
        executionProviders: [ep],
        graphOptimizationLevel: 'all',
        intraOpNumThreads: threads,
        // Probing a provider that is not installed logs an error we already handle.
        logSeverityLevel: ep === 'cpu' ? 2 : 4,
        // onnxruntime's pool threads spin while waiting for work by default, which steals the cores
        // that decoding needs between model calls; turning it off nearly doubled the pipeline's
        // photos/s on 2 cores (docs/EVAL.md, "Indexing beside the model").
        extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
      };
      const session = typeof model === 'string' ? await ort.InferenceSession.create(model, opts) : await ort.InferenceSession.create(Buffer.from(model), opts);
      return { session, provider: ep, tried };
    } catch (e) {
      tried.push(`${ep}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`no execution provider could load the model (${tried.join('; ')})`);
}

/** The backbone alone: pixels in, feature maps out (codebook training reads these). */
export class BackboneSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly info: BackboneInfo,
    /** The execution provider that runs it, e.g. 'cpu' or 'cuda'. */
    readonly provider: string,
    /** Providers tried first that could not be used, with the reason. */
    readonly unavailable: string[],
    readonly threads: number,
  ) {}

  static async open(info: BackboneInfo, opts: TokenizerOptions = {}): Promise<BackboneSession> {
    const threads = opts.threads ?? os.availableParallelism();
    const b = await createSession(info.path, candidates(opts.provider ?? 'auto'), threads);
    return new BackboneSession(b.session, info, b.provider, b.tried, threads);
  }

  /** Feature maps [N, C, h, w] for one batch of photos that share a shape. */
  async features(batch: ImageInput[]): Promise<ort.Tensor> {
    const out = await this.session.run({ [PIXELS_INPUT]: pixelsTensor(batch) });
    return out[this.info.output];
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/**
 * The model as a whole is gone (its thread died), as opposed to one batch it could not process:
 * no photo is to blame, so none may be recorded as failed.
 */
export class ModelStoppedError extends Error {}

/** What the pipeline needs of a tokenizer, in this thread (Tokenizer) or another (ThreadedTokenizer). */
export interface TokenizerApi {
  readonly info: BackboneInfo;
  /** Batches it can work on at once (the pipeline keeps this many model calls in flight). */
  readonly slots: number;
  /** The execution provider that runs the backbone. */
  readonly provider: string;
  /** Providers tried first that could not be used, with the reason. */
  readonly unavailable: string[];
  /** Tokenizes one batch of photos that share a shape. */
  run(batch: ImageInput[]): Promise<TokenizedImage[]>;
  release(): Promise<void>;
}

export class Tokenizer implements TokenizerApi {
  readonly slots = 1;

  private constructor(
    readonly backbone: BackboneSession,
    private readonly vq: ort.InferenceSession,
    readonly codebook: Codebook,
  ) {}

  get provider(): string {
    return this.backbone.provider;
  }

  get info(): BackboneInfo {
    return this.backbone.info;
  }

  get unavailable(): string[] {
    return this.backbone.unavailable;
  }

  static async create(backbone: BackboneInfo, codebook: Codebook, opts: TokenizerOptions = {}): Promise<Tokenizer> {
    if (codebook.channels !== backbone.channels) {
      throw new Error(`codebook expects ${codebook.channels} channels but backbone ${backbone.name}/${backbone.output} gives ${backbone.channels}`);
    }
    const b = await BackboneSession.open(backbone, opts);
    const v = await createSession(vqGraph(codebook, { top2: opts.top2 }), [b.provider, 'cpu'], b.threads);
    return new Tokenizer(b, v.session, codebook);
  }

  /** Tokenizes one batch of photos that share a shape. */
  async run(batch: ImageInput[]): Promise<TokenizedImage[]> {
    const feat = await this.backbone.features(batch);
    const [n, , h, w] = feat.dims;
    const vq = await this.vq.run({ [FEATURES_INPUT]: feat });
    const tokens = vq[TOKENS_OUTPUT].data as BigInt64Array; // [N, HW, heads]
    const pooled = vq[POOLED_OUTPUT].data as Float32Array; // [N, C]
    const top2Codes = vq[TOP2_CODES_OUTPUT]?.data as BigInt64Array | undefined; // [N, HW, heads, 2]
    const top2Dist = vq[TOP2_DISTANCES_OUTPUT]?.data as Float32Array | undefined;
    const heads = this.codebook.heads;
    const cells = h * w;
    const C = this.codebook.channels;
    const result: TokenizedImage[] = [];
    for (let i = 0; i < n; i++) {
      const grid = new Uint16Array(heads * cells);
      const base = i * cells * heads;
      for (let c = 0; c < cells; c++) for (let k = 0; k < heads; k++) grid[k * cells + c] = Number(tokens[base + c * heads + k]);
      let soft: TokenGrid['soft'];
      if (top2Codes && top2Dist) {
        soft = { second: new Uint16Array(heads * cells), dist1: new Float32Array(heads * cells), dist2: new Float32Array(heads * cells) };
        for (let c = 0; c < cells; c++)
          for (let k = 0; k < heads; k++) {
            const j = (base + c * heads + k) * 2;
            // TopK and ArgMin may break an exact tie differently; the nearest code is ArgMin's.
            const first = grid[k * cells + c];
            const a = Number(top2Codes[j]);
            soft.second[k * cells + c] = a === first ? Number(top2Codes[j + 1]) : a;
            soft.dist1[k * cells + c] = top2Dist[j];
            soft.dist2[k * cells + c] = top2Dist[j + 1];
          }
      }
      result.push({
        grid: { heads, height: h, width: w, codes: this.codebook.codes, tokens: grid, ...(soft ? { soft } : {}) },
        pooled: pooled.slice(i * C, (i + 1) * C),
      });
    }
    return result;
  }

  async release(): Promise<void> {
    await this.backbone.release();
    await this.vq.release();
  }
}

function pixelsTensor(batch: ImageInput[]): ort.Tensor {
  if (batch.length === 0) throw new Error('empty batch');
  const { width, height } = batch[0];
  const per = width * height * 3;
  if (batch.length === 1 && batch[0].pixels.length === per) return new ort.Tensor('uint8', batch[0].pixels, [1, height, width, 3]);
  const data = new Uint8Array(per * batch.length);
  batch.forEach((img, i) => {
    if (img.width !== width || img.height !== height) throw new Error('a batch must hold photos of one shape');
    if (img.pixels.length !== per) throw new Error(`pixel buffer holds ${img.pixels.length} bytes, expected ${per}`);
    data.set(img.pixels, i * per);
  });
  return new ort.Tensor('uint8', data, [batch.length, height, width, 3]);
}
