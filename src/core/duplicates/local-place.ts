// Placing a photo in a larger one (local.ts's cells compared one by one need the two framed
// alike: placement.ts): the climb over shifts, sizes and small turns of the window that best
// correlates with the photo's cells. Every window scored and every score is what the plain climb
// gives, to the bit (test/unit/duplicates/local-place.test.ts pins it on real photos).
import { sampleWindow, type Placement } from './local-sample.js';

/**
 * The photo's cells (`b`) less their mean, and their sum of squares: the half of a correlation
 * that is the same for every window tried.
 */
function centred(b: Float32Array): { y: Float64Array; bb: number } {
  const n = b.length;
  let mb = 0;
  for (let i = 0; i < n; i++) mb += b[i];
  mb /= n;
  const y = new Float64Array(n);
  let bb = 0;
  for (let i = 0; i < n; i++) {
    y[i] = b[i] - mb;
    bb += y[i] * y[i];
  }
  return { y, bb };
}

/** Correlation of a window's cells `a` with a photo's (`b`: centred). */
function correlation(a: Float32Array, b: { y: Float64Array; bb: number }): number {
  const n = a.length;
  const { y, bb } = b;
  let ma = 0;
  for (let i = 0; i < n; i++) ma += a[i];
  ma /= n;
  let ab = 0;
  let aa = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] - ma;
    ab += x * y[i];
    aa += x * x;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/** Windows whose scores a climb keeps. */
const SEEN = 24;

/** Largest turn tried when placing a photo (a straightened or slightly turned copy). */
export const PLACE_MAX_ANGLE = (7 * Math.PI) / 180;

/**
 * Places a photo (its grey means on N x N cells, N even: local.ts's coarse cells, `cells`) in a
 * larger grey image (its summed-area table, `sat`), starting from a window found by its hash
 * (axis-aligned, on a grid of steps): shifts, sizes and small turns are tried around it while
 * the cells' correlation grows, in steps that halve down to a quarter pixel and a tenth of a
 * degree. A copy made by cropping (and turning) the larger photo lands where it was cut from, so
 * its cells line up with the larger photo's well enough to be compared one by one.
 */
export function place(sat: Float64Array, width: number, height: number, cells: Float32Array, start: { x: number; y: number; w: number; h: number }): Placement {
  const N = Math.round(Math.sqrt(cells.length));
  if (N * N !== cells.length || N % 2 !== 0) throw new Error(`place: ${cells.length} cells are not an even square`);
  // The coarse steps on cells twice as large (a quarter of the work, and smoother).
  const half = N / 2;
  const cells2 = new Float32Array(half * half);
  for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) cells2[(y >> 1) * half + (x >> 1)] += cells[y * N + x] / 4;
  const fineCells = centred(cells);
  const coarseCells = centred(cells2);
  const scratch = new Float32Array(N * N);
  const scratch2 = new Float32Array(half * half);
  let fine = false;
  // The climb comes back to windows it has scored (a step undone, the round that finds no better
  // one): the last few scores are kept, by the window's exact numbers, and not worked out again.
  const seen = new Float64Array(SEEN * 6).fill(NaN);
  const seenScore = new Float64Array(SEEN);
  let seenNext = 0;
  const score = (p: Omit<Placement, 'corr'>) => {
    const key = fine ? 1 : 0;
    for (let k = 0; k < SEEN * 6; k += 6) {
      if (seen[k] === key && seen[k + 1] === p.cx && seen[k + 2] === p.cy && seen[k + 3] === p.w && seen[k + 4] === p.h && seen[k + 5] === p.angle) {
        return seenScore[k / 6];
      }
    }
    const s = fine ? correlation(sampleWindow(sat, width, height, p, N, N, scratch), fineCells) : correlation(sampleWindow(sat, width, height, p, half, half, scratch2), coarseCells);
    const at = seenNext * 6;
    seen[at] = key;
    seen[at + 1] = p.cx;
    seen[at + 2] = p.cy;
    seen[at + 3] = p.w;
    seen[at + 4] = p.h;
    seen[at + 5] = p.angle;
    seenScore[seenNext] = s;
    seenNext = (seenNext + 1) % SEEN;
    return s;
  };
  // The window so far, and the one tried (one object, rewritten for each move).
  const cur = { cx: start.x + start.w / 2, cy: start.y + start.h / 2, w: start.w, h: start.h, angle: 0 };
  const q = { ...cur };
  let best = score(cur);
  const aspect = start.h / start.w;
  for (let scale = 1; scale >= 0.124; scale /= 2) {
    if (scale < 0.5 && !fine) {
      fine = true;
      best = score(cur);
    }
    const dp = 2 * scale * Math.max(1, Math.max(width, height) / 150);
    for (let improved = true, rounds = 0; improved && rounds < 40; rounds++) {
      improved = false;
      for (let m = 0; m < 4; m++) {
        for (let d = 1; d >= -1; d -= 2) {
          q.cx = cur.cx;
          q.cy = cur.cy;
          q.w = cur.w;
          q.h = cur.h;
          q.angle = cur.angle;
          if (m === 0) q.cx = cur.cx + d * dp;
          else if (m === 1) q.cy = cur.cy + d * dp;
          else if (m === 2) {
            q.w = cur.w + 2 * d * dp;
            q.h = (cur.w + 2 * d * dp) * aspect;
          } else q.angle = Math.max(-PLACE_MAX_ANGLE, Math.min(PLACE_MAX_ANGLE, cur.angle + (d * scale * Math.PI) / 180));
          if (q.w < 16 || q.w > width * 1.05 + 2 || q.h > height * 1.05 + 2) continue;
          const s = score(q);
          if (s > best + 1e-5) {
            best = s;
            Object.assign(cur, q);
            improved = true;
          }
        }
      }
    }
  }
  return { ...cur, corr: best };
}
