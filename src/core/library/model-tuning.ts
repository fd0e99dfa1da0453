// How a model change learns its codebook: the defaults for a real library, and the environment
// override a test uses to make them small (as PHOTOWORDS_MODEL_CATALOG points at a loopback server).
import { DEFAULT_CALIBRATION_IMAGES } from '../analysis/model/quantize.js';
import { DEFAULT_SETTINGS } from '../common/settings.js';

/** How the codebook is learned; the defaults suit a real library, tests make them small. */
export interface ModelChangeTuning {
  /** Photos of the library read for the codebook (a fixed-seed sample when there are more). */
  samplePhotos: number;
  /** Below this many library photos, the shipped dataset's photos fill the sample. */
  minLibraryPhotos: number;
  /** Codes of the new codebook (fewer where the sample gives too few vectors: see codesFor). */
  codes: number;
  /** Head vectors kept for k-means. */
  vectors: number;
  iterations: number;
  /** The shipped dataset (folders of photos) used where the library has too few. */
  dataset: string;
}

export const DEFAULT_TUNING: ModelChangeTuning = {
  samplePhotos: 300,
  minLibraryPhotos: 50,
  codes: DEFAULT_SETTINGS.codes,
  vectors: 200_000,
  iterations: 10,
  // The photos the int8 graph is calibrated on: the shipped dataset, wherever the app finds it.
  dataset: DEFAULT_CALIBRATION_IMAGES,
};

/**
 * The tuning with PHOTOWORDS_MODEL_TUNING (a JSON object of ModelChangeTuning's fields) on top:
 * how a test drives `photowords serve` with a small codebook, as PHOTOWORDS_MODEL_CATALOG points
 * it at a loopback server. Bad JSON is refused at open rather than ignored.
 */
export function tuningFromEnv(base: ModelChangeTuning = DEFAULT_TUNING, env = process.env.PHOTOWORDS_MODEL_TUNING): ModelChangeTuning {
  if (!env) return base;
  let o: unknown;
  try {
    o = JSON.parse(env);
  } catch (e) {
    throw new Error(`PHOTOWORDS_MODEL_TUNING is not JSON: ${(e as Error).message}`);
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new Error('PHOTOWORDS_MODEL_TUNING must be a JSON object');
  const out: ModelChangeTuning = { ...base };
  for (const [k, v] of Object.entries(o)) {
    if (!(k in base)) throw new Error(`PHOTOWORDS_MODEL_TUNING has an unknown field ${k} (known: ${Object.keys(base).join(', ')})`);
    if (typeof v !== typeof base[k as keyof ModelChangeTuning]) throw new Error(`PHOTOWORDS_MODEL_TUNING.${k} must be a ${typeof base[k as keyof ModelChangeTuning]}`);
    (out as unknown as Record<string, unknown>)[k] = v;
  }
  return out;
}
