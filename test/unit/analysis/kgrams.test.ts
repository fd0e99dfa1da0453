import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bagFromGrid, termSpaceSize } from '../../../src/core/analysis/kgrams.js';
import type { Bag, KgramSettings, TokenGrid } from '../../../src/core/common/types.js';
import { mulberry32 } from '../../../src/core/common/random.js';

const rng = mulberry32;

function grid(heads: number, height: number, width: number, codes: number, tokens: number[]): TokenGrid {
  return { heads, height, width, codes, tokens: Uint16Array.from(tokens) };
}

/** Window starts along one axis, written straight from the spec. */
function starts(len: number, k: number, p: number): number[] {
  if (len + 2 * p < k) return [-Math.floor((k - len) / 2)];
  const out: number[] = [];
  for (let s = -p; s <= len + p - k; s++) out.push(s);
  return out;
}

/** Enumerate every window and every cell in it. */
function bruteForce(g: TokenGrid, s: KgramSettings): Map<number, number> {
  const { kernel: k, padding: p } = s;
  const n = g.codes;
  const counts = new Map<number, number>();
  const add = (id: number) => counts.set(id, (counts.get(id) ?? 0) + 1);
  const tok = (c: number, y: number, x: number) => g.tokens[(c * g.height + y) * g.width + x];
  const inside = (c: number, y: number, x: number) => c >= 0 && c < g.heads && y >= 0 && y < g.height && x >= 0 && x < g.width;
  const headStarts = s.channel ? starts(g.heads, k, p) : [...Array(g.heads).keys()];
  for (const c0 of headStarts)
    for (const y0 of starts(g.height, k, p))
      for (const x0 of starts(g.width, k, p))
        for (let dc = 0; dc < (s.channel ? k : 1); dc++)
          for (let dy = 0; dy < k; dy++)
            for (let dx = 0; dx < k; dx++) {
              const c = c0 + dc;
              const y = y0 + dy;
              const x = x0 + dx;
              if (!inside(c, y, x)) continue; // padding carries no word
              const lead = s.channel ? dc : c0;
              add(((lead * k + dy) * k + dx) * n + tok(c, y, x));
            }
  return counts;
}

function asMap(bag: Bag): Map<number, number> {
  const m = new Map<number, number>();
  bag.terms.forEach((t, i) => m.set(t, bag.tfs[i]));
  return m;
}

function assertWellFormed(bag: Bag): void {
  assert.ok(bag.terms instanceof Uint32Array);
  assert.ok(bag.tfs instanceof Float32Array);
  assert.equal(bag.terms.length, bag.tfs.length);
  for (let i = 1; i < bag.terms.length; i++) assert.ok(bag.terms[i] > bag.terms[i - 1], 'terms strictly ascending');
  for (const tf of bag.tfs) assert.ok(tf > 0);
}

test('1x1 grid with k=3 gives one centred window (2D)', () => {
  const bag = bagFromGrid(grid(2, 1, 1, 10, [5, 7]), { kernel: 3, padding: 0, channel: false });
  // The single cell sits at offset (1,1) of the window starting at (-1,-1).
  assert.deepEqual([...bag.terms], [((0 * 3 + 1) * 3 + 1) * 10 + 5, ((1 * 3 + 1) * 3 + 1) * 10 + 7]);
  assert.deepEqual([...bag.tfs], [1, 1]);
});

test('1x1 grid, one head, 3D k=3: centred on the head axis too', () => {
  const bag = bagFromGrid(grid(1, 1, 1, 4, [2]), { kernel: 3, padding: 0, channel: true });
  assert.deepEqual([...bag.terms], [((1 * 3 + 1) * 3 + 1) * 4 + 2]);
  assert.deepEqual([...bag.tfs], [1]);
});

test('2x1 grid with k=4: centred start -1', () => {
  // starts: -floor((4-2)/2) = -1 on y; x: -floor((4-1)/2) = -1. Cells at dy 1,2 and dx 1.
  const bag = bagFromGrid(grid(1, 2, 1, 3, [0, 2]), { kernel: 4, padding: 0, channel: false });
  assert.deepEqual([...bag.terms], [((0 * 4 + 1) * 4 + 1) * 3 + 0, ((0 * 4 + 2) * 4 + 1) * 3 + 2]);
});

test('uniform 3x3 grid, k=2, no padding: each offset seen by all 4 windows', () => {
  const bag = bagFromGrid(grid(1, 3, 3, 1, Array(9).fill(0)), { kernel: 2, padding: 0, channel: false });
  assert.deepEqual([...bag.terms], [0, 1, 2, 3]);
  assert.deepEqual([...bag.tfs], [4, 4, 4, 4]);
});

test('padding: 2x2 grid, k=2, p=1 gives 9 windows and each cell at all 4 offsets once', () => {
  const bag = bagFromGrid(grid(1, 2, 2, 4, [0, 1, 2, 3]), { kernel: 2, padding: 1, channel: false });
  assert.equal(bag.terms.length, 16);
  assert.ok(bag.tfs.every((v) => v === 1));
  // Offset (0,0) holds each cell exactly once: terms 0..3 are tokens 0..3 at offset (0,0).
  assert.deepEqual([...bag.terms.slice(0, 4)], [0, 1, 2, 3]);
  // Sum of counts = sum over windows of real cells in them: 4 corners*1 + 4 edges*2 + centre*4.
  assert.equal(
    bag.tfs.reduce((a, b) => a + b, 0),
    16,
  );
});

test('repeated token in one window counts once per window per offset', () => {
  // 1 head, 1x3, tokens 1 1 1, k=2 p=0: windows along x start at 0 and 1 (y is degenerate:
  // start 0 since -floor((2-1)/2) = 0). Offset dx=0 sees x=0,1; dx=1 sees x=1,2.
  const bag = bagFromGrid(grid(1, 1, 3, 2, [1, 1, 1]), { kernel: 2, padding: 0, channel: false });
  assert.deepEqual([...bag.terms], [0 * 2 + 1, 1 * 2 + 1]);
  assert.deepEqual([...bag.tfs], [2, 2]);
});

test('3D k=2 over 4 heads of a 1x1 grid', () => {
  const g = grid(4, 1, 1, 5, [0, 1, 2, 3]);
  const s = { kernel: 2, padding: 0, channel: true };
  const bag = bagFromGrid(g, s);
  assertWellFormed(bag);
  assert.deepEqual(asMap(bag), bruteForce(g, s));
  // Head starts 0..2; the spatial axes are degenerate (start 0), so dy=dx=0.
  // dc=0 sees heads 0,1,2; dc=1 sees heads 1,2,3.
  assert.deepEqual([...bag.terms], [0, 1, 2, 4 * 5 + 1, 4 * 5 + 2, 4 * 5 + 3]);
});

test('matches brute force over all window positions on random grids', () => {
  const r = rng(42);
  let cases = 0;
  for (const channel of [false, true])
    for (const kernel of [1, 2, 3, 4])
      for (const padding of [0, 1, 2])
        for (let rep = 0; rep < 6; rep++) {
          const heads = 1 + Math.floor(r() * 5);
          const height = 1 + Math.floor(r() * 7);
          const width = 1 + Math.floor(r() * 7);
          const codes = 1 + Math.floor(r() * 6); // small codebook -> many repeats
          const tokens = Array.from({ length: heads * height * width }, () => Math.floor(r() * codes));
          const g = grid(heads, height, width, codes, tokens);
          const s = { kernel, padding, channel };
          const bag = bagFromGrid(g, s);
          assertWellFormed(bag);
          assert.ok(bag.terms.length > 0, 'never empty');
          assert.deepEqual(asMap(bag), bruteForce(g, s), JSON.stringify({ heads, height, width, codes, s }));
          const space = termSpaceSize(heads, codes, s);
          assert.ok(bag.terms[bag.terms.length - 1] < space);
          cases++;
        }
  assert.equal(cases, 144);
});

test('collapsed k-grams sum each (head, token) over the window offsets', () => {
  const r = rng(5);
  // Padding and grids smaller than the window too: 2D collapsed bags take their own, direct path.
  for (const channel of [false, true])
    for (const kernel of [1, 2, 3])
      for (const padding of [0, 1])
        for (let rep = 0; rep < 5; rep++) {
          const heads = 1 + Math.floor(r() * 4);
          const height = 1 + Math.floor(r() * 6);
          const width = 1 + Math.floor(r() * 6);
          const codes = 2 + Math.floor(r() * 5);
          const g = grid(
            heads,
            height,
            width,
            codes,
            Array.from({ length: heads * height * width }, () => Math.floor(r() * codes)),
          );
          const s = { kernel, padding, channel };
          const expected = new Map<number, number>();
          for (const [t, tf] of bruteForce(g, s)) {
            const outer = Math.floor(t / (kernel * kernel * codes));
            const id = channel ? t % codes : outer * codes + (t % codes);
            expected.set(id, (expected.get(id) ?? 0) + tf);
          }
          const bag = bagFromGrid(g, { ...s, collapse: true });
          assertWellFormed(bag);
          assert.deepEqual(asMap(bag), expected);
          assert.ok(bag.terms[bag.terms.length - 1] < termSpaceSize(heads, codes, { ...s, collapse: true }));
        }
  // k=3 without padding on a 3x3 grid: the centre cell is in all 9 offsets of the one window.
  const centre = bagFromGrid(grid(1, 3, 3, 2, [0, 0, 0, 0, 1, 0, 0, 0, 0]), { kernel: 3, padding: 0, channel: false, collapse: true });
  assert.deepEqual(
    asMap(centre),
    new Map([
      [0, 8],
      [1, 1],
    ]),
  );
});

test('termSpaceSize', () => {
  assert.equal(termSpaceSize(8, 1024, { kernel: 3, padding: 0, channel: false, collapse: true }), 8 * 1024);
  assert.equal(termSpaceSize(8, 1024, { kernel: 3, padding: 1, channel: false }), 8 * 9 * 1024);
  assert.equal(termSpaceSize(8, 1024, { kernel: 4, padding: 1, channel: true }), 64 * 1024);
});

test('rejects tokens outside the codebook and mis-sized grids', () => {
  const s = { kernel: 3, padding: 1, channel: false };
  assert.throws(() => bagFromGrid(grid(1, 1, 2, 4, [1, 4]), s), /outside codebook/);
  assert.throws(() => bagFromGrid(grid(1, 2, 2, 4, [1, 2, 3]), s), /expected/);
  assert.throws(() => bagFromGrid(grid(1, 1, 1, 4, [1]), { kernel: 0, padding: 0, channel: false }), /kernel/);
});

test('speed: 8 heads x 17 x 17 grid', () => {
  const r = rng(7);
  const g = grid(
    8,
    17,
    17,
    1024,
    Array.from({ length: 8 * 17 * 17 }, () => Math.floor(r() * 1024)),
  );
  for (const s of [
    { kernel: 3, padding: 1, channel: false },
    { kernel: 4, padding: 1, channel: false },
    { kernel: 3, padding: 1, channel: true },
  ]) {
    for (let i = 0; i < 20; i++) bagFromGrid(g, s); // warm up
    const reps = 200;
    const t0 = performance.now();
    let terms = 0;
    for (let i = 0; i < reps; i++) terms = bagFromGrid(g, s).terms.length;
    const ms = (performance.now() - t0) / reps;
    console.log(`bagFromGrid k=${s.kernel} p=${s.padding} 3D=${s.channel}: ${ms.toFixed(3)} ms/grid, ${terms} terms`);
    assert.ok(ms < 50, `too slow: ${ms} ms`);
  }
});
