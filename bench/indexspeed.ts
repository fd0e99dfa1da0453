// Indexing throughput against the model alone, shared by bench.ts (dev-set photos) and camera.ts
// (camera-size files).
import fs from 'node:fs';
import path from 'node:path';
import { Engine } from '../src/core/library/engine.js';
import type { EngineSettings } from '../src/core/common/settings.js';
import { loadForModel, type DecodedImage } from '../src/core/analysis/decode/decode.js';
import { Tokenizer } from '../src/core/analysis/model/tokenizer.js';
import { loadCodebook } from '../src/core/analysis/model/codebook.js';

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

export const median = (xs: number[]) => percentile(xs, 50);

/**
 * CPU ms of this process (every thread) and of its live child processes (exiftool's perl for RAW
 * previews runs as one), from /proc where there is one: a child's time is nowhere in
 * process.cpuUsage() until it exits.
 */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000 + childrenCpuMs(process.pid);
}

const TICK_MS = 10; // USER_HZ is 100 on Linux
function childrenCpuMs(pid: number): number {
  let total = 0;
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  for (const tid of tids) {
    let children: string[] = [];
    try {
      children = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      continue;
    }
    for (const child of children) {
      try {
        const stat = fs.readFileSync(`/proc/${child}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        total += (Number(f[11]) + Number(f[12])) * TICK_MS + childrenCpuMs(Number(child));
      } catch {
        // exited between the listing and the read
      }
    }
  }
  return total;
}

export interface IndexSpeedOptions {
  /** A fresh folder for the index and the rounds' symlinked libraries. */
  tmp: string;
  /** Name of this measurement inside `tmp`. */
  name: string;
  settings: EngineSettings;
  files: string[];
  rounds: number;
  log: (m: string) => void;
}

/**
 * Indexing throughput against the model alone. Both are measured `rounds` times, alternating, and
 * the medians compared: on a shared 2-core VM the model's own speed drifts by a few percent over
 * a minute, as much as the overhead being measured, and one run of each taken minutes apart
 * compared that drift as much as the pipeline.
 */
export async function indexSpeed(o: IndexSpeedOptions) {
  const { settings, files } = o;
  // Opening builds (and for int8 calibrates) the backbone if needed, outside the timing.
  const engine = await Engine.open(path.join(o.tmp, `bench-${o.name}.db`), { settings, log: o.log });
  try {
    const minSide = engine.backbone.minSide;
    const pool = engine.tokenizer;
    // Model only (backbone and VQ head, all the onnxruntime work), on the same photos decoded
    // beforehand, one at a time as the pipeline runs them, with nothing else running: the best
    // the sessions do alone. Photos the engine cannot read are left out here, as the pipeline
    // leaves them out of its photos/s. Two ways, and the faster one is the reference: one session
    // with a thread per core in this thread, and the engine's pool of single-threaded sessions
    // kept busy (tokenizer-worker.ts).
    const decoded: DecodedImage[] = [];
    let decodeFailure: string | undefined;
    for (const f of files) {
      try {
        decoded.push(await loadForModel(f, settings.resolution, { minSide }));
      } catch (err) {
        decodeFailure ??= `${path.basename(f)}: ${(err as Error).message}`;
      }
    }
    if (decoded.length > 0) {
      // Warm-up outside the timing (first-run allocations in onnxruntime), in every model thread.
      await Promise.all(Array.from({ length: pool.slots }, () => pool.run([decoded[0]])));
    }
    const codebook = loadCodebook(engine.codebook.name).codebook;
    const oneSessionOnce = async () => {
      if (decoded.length === 0) return 0;
      const bare = await Tokenizer.create(engine.backbone, codebook, { provider: 'cpu' });
      try {
        await bare.run([decoded[0]]);
        const t0 = performance.now();
        for (const d of decoded) await bare.run([d]);
        return decoded.length / ((performance.now() - t0) / 1000);
      } finally {
        await bare.release();
      }
    };
    const pooledOnce = async () => {
      if (decoded.length === 0) return { rate: 0, cpu: 0 };
      const c1 = cpuMs();
      const t1 = performance.now();
      let next = 0;
      // Two photos in flight per thread, as the pipeline keeps them, so that no thread waits for
      // this one to hand it the next.
      await Promise.all(
        Array.from({ length: pool.slots * 2 }, async () => {
          while (next < decoded.length) await pool.run([decoded[next++]]);
        }),
      );
      return { rate: decoded.length / ((performance.now() - t1) / 1000), cpu: (cpuMs() - c1) / decoded.length };
    };
    // Each end-to-end round indexes the photos under new paths (symlinks), so every round reads,
    // decodes, runs the model and writes them all, into an index that grows as a library does.
    // Both model-only ways run in every round, right after it: other work on a shared machine
    // comes and goes within a minute, and a reference taken once would be compared with rounds
    // that ran under another load.
    const rounds: { endToEnd: number; pooled: number; oneSession: number; cpu: number; modelCpu: number; report: Awaited<ReturnType<typeof engine.index>> }[] = [];
    for (let round = 0; round < o.rounds; round++) {
      const lib = path.join(o.tmp, `lib-${o.name}-${round}`);
      fs.mkdirSync(lib);
      files.forEach((f, i) => fs.symlinkSync(f, path.join(lib, `${String(i).padStart(5, '0')}${path.extname(f)}`)));
      const c0 = cpuMs();
      const report = await engine.index([lib]);
      const cpu = (cpuMs() - c0) / Math.max(1, report.indexed);
      const endToEnd = report.indexed / (report.timings.wallMs / 1000);
      const pooled = await pooledOnce();
      const oneSession = await oneSessionOnce();
      rounds.push({ endToEnd, pooled: pooled.rate, oneSession, cpu, modelCpu: pooled.cpu, report });
    }
    const endToEnd = median(rounds.map((r) => r.endToEnd));
    const pooled = median(rounds.map((r) => r.pooled));
    const oneSession = median(rounds.map((r) => r.oneSession));
    const modelOnly = median(rounds.map((r) => Math.max(r.oneSession, r.pooled)));
    // Stage times of the median end-to-end round.
    const mid = [...rounds].sort((a, b) => a.endToEnd - b.endToEnd)[Math.floor(rounds.length / 2)];
    const r = mid.report;
    const t = r.timings;
    const ms = (x: number) => Math.round(x);
    const two = (x: number) => Number(x.toFixed(2));
    const perImage = (x: number) => (r.indexed > 0 ? Number((x / r.indexed).toFixed(2)) : null);
    return {
      images: r.indexed,
      // Files of the sample the engine refused or did not list, and the first reason given.
      failed: files.length - r.indexed,
      firstFailure: r.failures[0] ? `${path.basename(r.failures[0].path)}: ${r.failures[0].reason}` : r.indexed < files.length ? (decodeFailure ?? 'not listed by the scan') : undefined,
      imagesPerSecond: two(endToEnd),
      modelOnlyImagesPerSecond: two(modelOnly),
      modelOnlyBy: { oneSessionAllThreads: two(oneSession), [`${pool.slots}SessionsOneThreadEach`]: two(pooled) },
      endToEndOverModelOnly: modelOnly > 0 ? Number((endToEnd / modelOnly).toFixed(3)) : null,
      rounds: rounds.map((x) => {
        const model = Math.max(x.oneSession, x.pooled);
        return { endToEnd: two(x.endToEnd), modelOnly: two(model), ratio: model > 0 ? Number((x.endToEnd / model).toFixed(3)) : null };
      }),
      executionProvider: r.provider,
      // Busy time per stage; decode runs beside the model, so stages can add up to more than wall.
      timeMs: { wall: ms(t.wallMs), read: ms(t.readMs), decode: ms(t.decodeMs), model: ms(t.modelMs), kgrams: ms(t.kgramsMs), sqlite: ms(t.sqliteMs) },
      msPerImage: Object.fromEntries((['read', 'decode', 'model', 'kgrams', 'sqlite'] as const).map((k) => [k, perImage(t[`${k}Ms`])])),
      // CPU time per photo (every thread: model, libvips, libuv's pool; and child processes such
      // as exiftool), of the median round and of the model-only pass after it; their difference
      // is what the pipeline costs beside the model.
      cpuMsPerImage: { endToEnd: two(mid.cpu), modelOnly: two(mid.modelCpu) },
      // Their ratio: what the throughput ratio would be on cores that do nothing else.
      cpuRatio: mid.cpu > 0 ? Number((mid.modelCpu / mid.cpu).toFixed(3)) : null,
    };
  } finally {
    await engine.close();
  }
}

export type IndexSpeed = Awaited<ReturnType<typeof indexSpeed>>;
