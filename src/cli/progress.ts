// Progress for long work on stderr: a live bar on a terminal, a line every few seconds in logs.
import cliProgress from 'cli-progress';
import type { IndexProgress } from '../core/index.js';

export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export function progressReporter(label: string, quiet = false): { update: (p: IndexProgress) => void; stop: () => void } {
  if (quiet) return { update: () => undefined, stop: () => undefined };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {value}/{total} | {rate} img/s | ETA {etaText} | failed {failed}`,
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update: (p) => {
        const payload = { rate: p.imagesPerSecond.toFixed(1), etaText: formatEta(p.etaSeconds), failed: p.failed };
        if (!started) {
          bar.start(p.total, p.done, payload);
          started = true;
        } else {
          bar.setTotal(p.total);
          bar.update(p.done, payload);
        }
      },
      stop: () => started && bar.stop(),
    };
  }
  let last = 0;
  let lastDone = -1;
  return {
    update: (p) => {
      const now = Date.now();
      if ((now - last < 5000 && p.done < p.total) || p.done === lastDone) return;
      last = now;
      lastDone = p.done;
      process.stderr.write(`${label}: ${p.done}/${p.total} | ${p.imagesPerSecond.toFixed(1)} img/s | ETA ${formatEta(p.etaSeconds)} | failed ${p.failed}\n`);
    },
    stop: () => undefined,
  };
}
