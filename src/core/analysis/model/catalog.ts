// The model catalogue: every backbone Photowords can read photos with, where its file comes from,
// how to check it, how to feed it and which tensor to read as the feature grid. Where each figure
// came from, and what was and was not checked here, is in docs/MODELS.md; the download machinery is
// install.ts/download.ts. A hash that could not be found is null, never guessed: the installer
// then refuses the file unless the user says --trust-unverified, and records the hash it saw.
import fs from 'node:fs';

export type Variant = 'fp32' | 'int8';

export interface ModelFile {
  variant: Variant;
  /** Name the file gets in the cache folder. */
  fileName: string;
  /** Tried in order; the first that answers is used. Every one must serve the same bytes (sha256). */
  urls: string[];
  /** Lower-case hex, or null where no published hash could be found (see docs/MODELS.md). */
  sha256: string | null;
  /** Exact byte count where published; null where only a rounded figure is known. */
  bytes: number | null;
  /** For display before the download starts (the rounded figure the host shows). */
  approxBytes: number;
  /** Where sha256/bytes were read. */
  provenance: string;
}

export interface Preprocessing {
  /** How the photo is brought to the network's size before the crop or pad. */
  resize: string;
  crop: 'center' | 'pad' | 'none';
  /** Side of the square the network was trained at. */
  size: number;
  mean: [number, number, number];
  std: [number, number, number];
  /** Pixel scale applied before mean/std. */
  scale: number;
  layout: 'NCHW' | 'NHWC';
  dtype: 'float32' | 'uint8';
  inputName: string;
}

export interface FeatureSpec {
  /** The tensor read as the grid. */
  tensor: string;
  /** 'nchw': a conv map [N, C, H/s, W/s]; 'tokens': a ViT sequence [N, prefix + (H/s)(W/s), C]. */
  layout: 'nchw' | 'tokens';
  channels: number;
  /** Pixels per grid cell (the patch size of a ViT, the total stride of a CNN). */
  stride: number;
  /** Tokens before the patch tokens (the CLS token; registers would add more). */
  prefixTokens: number;
  /** True where the tensor is internal and must be made a graph output (backbone.ts importOnnxBackbone does). */
  addOutput: boolean;
}

export interface GridClaim {
  input: [number, number];
  grid: [number, number, number];
  /** How the claim was checked: 'file' (shapes read from the real file), 'arithmetic' (from the architecture), 'standin' (our generated graph). */
  checked: 'file' | 'arithmetic' | 'standin';
}

export interface CatalogEntry {
  id: string;
  name: string;
  /** 'builtin': derived locally from an npm package (photowords model build); 'download': fetched into the cache. */
  kind: 'builtin' | 'download';
  files: ModelFile[];
  licence: string;
  homepage: string;
  preprocessing: Preprocessing;
  feature: FeatureSpec;
  grids: GridClaim[];
  /**
   * Whether the real file takes only its training size. null: not known here (the file could not
   * be opened on this machine); the installer probes it and records the answer.
   */
  fixedInput: boolean | null;
  /** Multiply-accumulates of one forward pass at the training size, in billions. */
  gmacs: number;
  goodAt: string;
}

const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];
const MB = 1_000_000;

// Revisions are pinned: a file that changes upstream then fails its hash instead of silently
// replacing the weights a codebook was trained on.
const DINO_S_REV = '560a572cedd01ab59cf1a614c2d9673397b65ef2';
const DINO_B_REV = '31039eeb603df058f44c4e1cd25f6add34f48169';
const ZOO_GITHUB = 'https://github.com/onnx/models/raw/main/validated/vision/classification/resnet/model';
const ZOO_HF = 'https://huggingface.co/onnxmodelzoo/legacy_models/resolve/main/validated/vision/classification/resnet/model';

function dinoEntry(id: string, name: string, repo: string, rev: string, dim: number, gmacs: number, files: ModelFile[], goodAt: string): CatalogEntry {
  return {
    id,
    name,
    kind: 'download',
    files,
    licence: 'Apache-2.0 (DINOv2 weights, Meta; ONNX export by Xenova)',
    homepage: `https://huggingface.co/${repo}/tree/${rev}`,
    preprocessing: {
      resize: 'shortest side to 256, bicubic',
      crop: 'center',
      size: 224,
      mean: IMAGENET_MEAN,
      std: IMAGENET_STD,
      scale: 1 / 255,
      layout: 'NCHW',
      dtype: 'float32',
      inputName: 'pixel_values',
    },
    feature: { tensor: 'last_hidden_state', layout: 'tokens', channels: dim, stride: 14, prefixTokens: 1, addOutput: false },
    grids: [{ input: [224, 224], grid: [16, 16, dim], checked: 'arithmetic' }],
    fixedInput: null,
    gmacs,
    goodAt,
  };
}

export const CATALOG: readonly CatalogEntry[] = [
  {
    id: 'inception_v3',
    name: 'InceptionV3 (built in)',
    kind: 'builtin',
    files: [],
    licence: 'MIT (nsfwjs package; Keras InceptionV3 ImageNet weights up to mixed5)',
    homepage: 'https://www.npmjs.com/package/nsfwjs',
    preprocessing: {
      resize: 'longest side to the index resolution (299 by default), aspect kept',
      crop: 'none',
      size: 299,
      mean: [0, 0, 0],
      std: [1, 1, 1],
      scale: 1 / 255,
      layout: 'NHWC',
      dtype: 'uint8',
      inputName: 'pixels',
    },
    feature: { tensor: 'mixed7', layout: 'nchw', channels: 768, stride: 16, prefixTokens: 0, addOutput: false },
    grids: [{ input: [299, 299], grid: [17, 17, 768], checked: 'file' }],
    fixedInput: false,
    // The whole network at 299 (the published figure); the built-in graph stops at mixed7 and costs less.
    gmacs: 5.7,
    goodAt: 'Nothing to download; the dev-set figures in docs/EVAL.md are measured with it. Blocks past mixed5 were fine-tuned for NSFW classes.',
  },
  dinoEntry(
    'dinov2-small',
    'DINOv2 ViT-S/14',
    'Xenova/dinov2-small',
    DINO_S_REV,
    384,
    6.1,
    [
      {
        variant: 'fp32',
        fileName: 'model.onnx',
        urls: [`https://huggingface.co/Xenova/dinov2-small/resolve/${DINO_S_REV}/onnx/model.onnx`],
        sha256: '83141175ec78b4ff9a2bb58a4c7c264ba0054d1c2e122e5a8114b79a8d4179ea',
        bytes: null,
        approxBytes: 88.5 * MB,
        provenance: `Hugging Face LFS details of Xenova/dinov2-small@${DINO_S_REV.slice(0, 7)} onnx/model.onnx (stored page; size shown rounded)`,
      },
      {
        variant: 'int8',
        fileName: 'model_quantized.onnx',
        urls: [`https://huggingface.co/Xenova/dinov2-small/resolve/${DINO_S_REV}/onnx/model_quantized.onnx`],
        sha256: null,
        bytes: null,
        approxBytes: 24.5 * MB,
        provenance: 'size from the repository tree page; no stored copy of its LFS pointer was found here, so no hash',
      },
    ],
    'Instance retrieval (the same object or place seen again), which is what near-duplicates need; small enough for a laptop CPU.',
  ),
  dinoEntry(
    'dinov2-base',
    'DINOv2 ViT-B/14',
    'Xenova/dinov2-base',
    DINO_B_REV,
    768,
    23.2,
    [
      {
        variant: 'fp32',
        fileName: 'model.onnx',
        urls: [`https://huggingface.co/Xenova/dinov2-base/resolve/${DINO_B_REV}/onnx/model.onnx`],
        sha256: '2c7a813d6e0d25784d0c29227760b08cb72f2bee9d928da935a31480a649bbce',
        bytes: null,
        approxBytes: 347 * MB,
        provenance: `Hugging Face LFS details of Xenova/dinov2-base@${DINO_B_REV.slice(0, 7)} onnx/model.onnx (stored page; size shown rounded)`,
      },
      {
        variant: 'int8',
        fileName: 'model_quantized.onnx',
        urls: [`https://huggingface.co/Xenova/dinov2-base/resolve/${DINO_B_REV}/onnx/model_quantized.onnx`],
        sha256: null,
        bytes: null,
        approxBytes: 91 * MB,
        provenance: 'size from the repository tree page; no stored copy of its LFS pointer was found here, so no hash',
      },
    ],
    'The quality option: stronger retrieval than ViT-S at about 4x the compute; best with a GPU.',
  ),
  {
    id: 'resnet50',
    name: 'ResNet-50 v1 (ONNX model zoo)',
    kind: 'download',
    files: [
      {
        variant: 'fp32',
        fileName: 'resnet50-v1-7.onnx',
        urls: [`${ZOO_HF}/resnet50-v1-7.onnx`, `${ZOO_GITHUB}/resnet50-v1-7.onnx`],
        sha256: 'af16a04a6ec48ac494065d4439fe9dea590d337b9ca6dc328160ccf04a217b9c',
        bytes: 102583340,
        approxBytes: 102583340,
        provenance: 'git-LFS pointer of validated/vision/classification/resnet/model/resnet50-v1-7.onnx in github.com/onnx/models at b1eeaa1a',
      },
      {
        variant: 'int8',
        fileName: 'resnet50-v1-12-int8.onnx',
        urls: [`${ZOO_HF}/resnet50-v1-12-int8.onnx`, `${ZOO_GITHUB}/resnet50-v1-12-int8.onnx`],
        sha256: 'c234f30975989788b4405f25253275aae247ab6dbdd34aaa69ab0a59ff76f6d0',
        bytes: 25816052,
        approxBytes: 25816052,
        provenance: 'git-LFS pointer of validated/vision/classification/resnet/model/resnet50-v1-12-int8.onnx in github.com/onnx/models at b1eeaa1a',
      },
    ],
    licence: 'Apache-2.0 (ONNX model zoo; MXNet Gluon ResNet-50 v1 weights)',
    homepage: 'https://github.com/onnx/models/tree/main/validated/vision/classification/resnet',
    preprocessing: {
      resize: 'shortest side to 256',
      crop: 'center',
      size: 224,
      mean: IMAGENET_MEAN,
      std: IMAGENET_STD,
      scale: 1 / 255,
      layout: 'NCHW',
      dtype: 'float32',
      inputName: 'data',
    },
    // Stage 4's last block output; stage 3's is resnetv17_stage3_activation5 (1024 channels, stride 16).
    feature: { tensor: 'resnetv17_stage4_activation2', layout: 'nchw', channels: 2048, stride: 32, prefixTokens: 0, addOutput: true },
    grids: [
      { input: [224, 224], grid: [7, 7, 2048], checked: 'arithmetic' },
      { input: [448, 448], grid: [14, 14, 2048], checked: 'arithmetic' },
    ],
    // The file declares 224 x 224, but it is all convolutions: the import makes height and width dynamic.
    fixedInput: false,
    gmacs: 4.1,
    goodAt: "The paper's backbone (like for like with its figures); a plain supervised ImageNet CNN.",
  },
];

/**
 * The catalogue, with entries from the JSON file PHOTOWORDS_MODEL_CATALOG names replacing those
 * of the same id or adding new ones: how a mirror, a private model or a test server is described.
 */
export function loadCatalog(file = process.env.PHOTOWORDS_MODEL_CATALOG): CatalogEntry[] {
  const entries = CATALOG.map((e) => ({ ...e }));
  if (!file) return entries;
  let extra: unknown;
  try {
    extra = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`model catalogue ${file} could not be read: ${(e as Error).message}`);
  }
  if (!Array.isArray(extra)) throw new Error(`model catalogue ${file} must hold a JSON array of entries`);
  for (const raw of extra as CatalogEntry[]) {
    checkEntry(raw, file);
    const at = entries.findIndex((e) => e.id === raw.id);
    if (at >= 0) entries[at] = raw;
    else entries.push(raw);
  }
  return entries;
}

function checkEntry(e: CatalogEntry, file: string): void {
  const bad = (why: string) => {
    throw new Error(`model catalogue ${file}: entry ${JSON.stringify(e?.id ?? '?')} ${why}`);
  };
  if (!e || typeof e.id !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/.test(e.id)) bad('needs an id of lower-case letters, digits, . _ -');
  if (!Array.isArray(e.files)) bad('needs files');
  for (const f of e.files) {
    if (!Array.isArray(f.urls) || f.urls.length === 0) bad(`file ${f.fileName} needs urls`);
    if (f.sha256 !== null && !/^[0-9a-f]{64}$/.test(f.sha256)) bad(`file ${f.fileName} has a sha256 that is not 64 hex digits`);
    if (!/^[A-Za-z0-9._-]+$/.test(f.fileName ?? '')) bad('has a file name with a path or odd characters');
  }
  if (!e.feature || !['nchw', 'tokens'].includes(e.feature.layout)) bad('needs a feature layout of nchw or tokens');
}

export function findEntry(id: string, catalog = loadCatalog()): CatalogEntry {
  const e = catalog.find((x) => x.id === id);
  if (!e) throw new Error(`no model "${id}" in the catalogue; choose one of ${catalog.map((x) => x.id).join(', ')}`);
  return e;
}

export function fileFor(entry: CatalogEntry, variant: Variant): ModelFile {
  const f = entry.files.find((x) => x.variant === variant);
  if (!f) {
    const have = entry.files.map((x) => x.variant).join(', ');
    throw new Error(entry.kind === 'builtin' ? `${entry.id} is built in: photowords model build` : `${entry.id} has no ${variant} file (it has: ${have})`);
  }
  return f;
}

/**
 * The grid [h, w, channels] the entry's feature tensor should have for an input of h x w pixels:
 * a stated claim where there is one (InceptionV3's unpadded convolutions give 17 at 299, not 299/16),
 * else the patch or stride arithmetic.
 */
export function expectedGrid(entry: CatalogEntry, h: number, w: number): [number, number, number] {
  const claim = entry.grids.find((g) => g.input[0] === h && g.input[1] === w);
  if (claim) return claim.grid;
  const s = entry.feature.stride;
  // Patch embeddings drop the remainder; strided convolutions with padding round up.
  const cells = entry.feature.layout === 'tokens' ? (n: number) => Math.floor(n / s) : (n: number) => Math.ceil(n / s);
  return [cells(h), cells(w), entry.feature.channels];
}

/** Reads the grid [h, w, channels] out of the feature tensor's dims, for an input of h x w pixels. */
export function gridFromOutput(entry: CatalogEntry, dims: readonly number[], h: number, w: number): [number, number, number] {
  const f = entry.feature;
  if (f.layout === 'nchw') {
    if (dims.length !== 4) throw new Error(`${entry.id}: ${f.tensor} has ${dims.length} dims, expected [N, C, H, W]`);
    return [dims[2], dims[3], dims[1]];
  }
  if (dims.length !== 3) throw new Error(`${entry.id}: ${f.tensor} has ${dims.length} dims, expected [N, tokens, C]`);
  const [gh, gw] = expectedGrid(entry, h, w);
  const patches = dims[1] - f.prefixTokens;
  if (patches !== gh * gw) throw new Error(`${entry.id}: ${dims[1]} tokens for a ${h}x${w} input; expected ${f.prefixTokens} + ${gh}x${gw}`);
  return [gh, gw, dims[2]];
}
