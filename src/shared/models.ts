// The models a person can choose in Settings and the progress of a change of model:
// the catalogue's entries as this machine sees them (installed, active, where they run, whether
// int8 is worth offering), and the phases of a switch (download, codebook, a new index built in
// the background, the swap). Types only, so the sandboxed renderer can import them.

/** One model of the catalogue (src/core/analysis/model/catalog.ts) as this machine and library see it. */
export interface ModelChoice {
  /** The catalogue id, e.g. 'inception_v3', 'dinov2-small'. */
  id: string;
  /** What a person reads, e.g. "DINOv2 ViT-S/14". */
  name: string;
  builtIn: boolean;
  /** The download's size in bytes; null when built in or unknown. */
  downloadBytes: number | null;
  installed: boolean;
  /** The model the library's index was built with. */
  active: boolean;
  licence: string;
  /** One line: what it is good at. */
  goodAt: string;
  /** Measured on this machine on a few photos (measureModel); null until measured. */
  msPerPhoto: number | null;
  /** The execution provider it runs on here: 'cpu' | 'cuda' | 'dml' | 'coreml'. */
  provider: string;
  /** Offered where the CPU has VNNI/AMX and an int8 file exists; `why` says why or why not. */
  int8: { offered: boolean; why: string };
}

export type ModelChangePhase = 'download' | 'codebook' | 'index' | 'swap' | 'ready' | 'failed' | 'cancelled';

export interface ModelChangeProgress {
  modelId: string;
  phase: ModelChangePhase;
  /** Bytes for download, photos for codebook and index. */
  done: number;
  total: number;
  etaSeconds: number | null;
  /** One line a person can read, e.g. "Learning the codebook from 300 of your photos". */
  message: string;
}

/** chooseModel's options. */
export interface ChooseModelOptions {
  /** The int8 file where the catalogue has one and the CPU runs it well (ModelChoice.int8.offered). */
  int8?: boolean;
}
