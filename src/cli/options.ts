// What the commands share: the default index, the number parsers for flags, the engine settings
// every model command takes, and the stderr logger (stdout is for results).
import { Command, InvalidArgumentError, Option } from 'commander';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { DEFAULT_SETTINGS, Engine, type EngineSettings } from '../core/index.js';

export const DEFAULT_DB = process.env.PHOTOWORDS_DB ?? path.join(os.homedir(), '.photowords', 'library.db');
export const DEFAULT_TRAIN_IMAGES = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../shared/datasets/caltech101');

export const int = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
  return n;
};

export const num = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a number from ${min} to ${max}`);
  return n;
};

export function settingsOptions(cmd: Command): Command {
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

export interface SettingsFlags {
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

export function settingsFrom(o: SettingsFlags): Partial<EngineSettings> {
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

export const log = (m: string) => process.stderr.write(`${m}\n`);

export const collect = (v: string, prev: string[]) => [...prev, v];

export async function openExisting(db: string, provider: SettingsFlags['provider']): Promise<Engine> {
  if (!fs.existsSync(db)) throw new Error(`no index at ${db}; create one with: photowords index DIR --db ${db}`);
  return Engine.open(db, { provider, log });
}
