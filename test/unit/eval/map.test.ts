import { test } from 'node:test';
import assert from 'node:assert/strict';
import { averagePrecision, evaluateRanking } from '../../../src/core/eval/map.js';
import { mulberry32 } from '../../../src/core/common/random.js';

const rng = mulberry32;

/** AP by sorting the whole ranking, straight from the definition. */
function apRef(scores: ArrayLike<number>, relevant: Set<number>, drop = -1): number {
  const key = (i: number) => (Number.isNaN(scores[i]) ? -Infinity : scores[i]);
  const ranking = [...Array(scores.length).keys()].filter((i) => i !== drop).sort((a, b) => key(b) - key(a) || a - b);
  const rel = new Set([...relevant].filter((i) => i !== drop));
  if (rel.size === 0) return NaN;
  let hits = 0;
  let sum = 0;
  ranking.forEach((d, r) => {
    if (rel.has(d)) sum += ++hits / (r + 1);
  });
  return sum / rel.size;
}

test('hand-worked AP: relevant at ranks 1 and 3 of 4', () => {
  // Query 0 ranks itself first, then doc 1 (other class), doc 2 (same class), doc 3.
  const scores = Float32Array.from([0.9, 0.8, 0.7, 0.1]);
  assert.equal(averagePrecision(scores, [0, 2]), (1 + 2 / 3) / 2);
  // Query removed: ranking 1, 2, 3 with doc 2 relevant at rank 2.
  assert.equal(averagePrecision(scores, [0, 2], 0), 1 / 2);

  const labels = ['a', 'b', 'a', 'c'];
  const domains = ['x', 'x', 'y', 'y'];
  const rows = [scores, Float32Array.from([0, 1, 0, 0]), Float32Array.from([0.2, 0.1, 1, 0.3]), Float32Array.from([0, 0, 0, 1])];
  const res = evaluateRanking(4, (q) => rows[q], labels, domains);
  // Query 2 (class a): ranking 2, 3, 0, 1 -> relevant at ranks 1 and 3; removed: 0 at rank 2 of (3, 0, 1).
  assert.deepEqual([...res.ap], [(1 + 2 / 3) / 2, 1, (1 + 2 / 3) / 2, 1]);
  assert.deepEqual([...res.apQueryRemoved], [1 / 2, NaN, 1 / 2, NaN]);
  assert.equal(res.map, ((1 + 2 / 3) / 2) * 0.5 + 0.5);
  // Singleton classes (b, c) have nothing to retrieve once the query is removed: skipped.
  assert.equal(res.mapQueryRemoved, 1 / 2);
  assert.deepEqual(res.domains, { x: ((1 + 2 / 3) / 2 + 1) / 2, y: ((1 + 2 / 3) / 2 + 1) / 2 });
  assert.deepEqual(res.domainsQueryRemoved, { x: 1 / 2, y: 1 / 2 });
});

test('ties are broken by document index ascending; NaN ranks last', () => {
  // All equal: ranking is 0, 1, 2, 3. Relevant {1, 3} -> ranks 2 and 4.
  assert.equal(averagePrecision(new Float32Array(4), [1, 3]), (1 / 2 + 2 / 4) / 2);
  // Doc 0 is NaN so it drops to the end: ranking 1, 2, 3, 0.
  assert.equal(averagePrecision(Float32Array.from([NaN, 0, 0, 0]), [0, 1]), (1 + 2 / 4) / 2);
  // -0 ties with +0 (index order decides).
  assert.equal(averagePrecision(Float32Array.from([0, -0]), [1]), 1 / 2);
  assert.equal(averagePrecision(Float32Array.from([-0, 0]), [1]), 1 / 2);
});

test('matches a full-sort reference on random data with ties', () => {
  const r = rng(11);
  const n = 240;
  const classes = 30;
  const labels = Array.from({ length: n }, () => `c${Math.floor(r() * classes)}`);
  const domains = labels.map((l) => `d${Number(l.slice(1)) % 4}`);
  const rows = Array.from({ length: n }, () => Float32Array.from({ length: n }, () => Math.floor(r() * 8) / 8));
  const res = evaluateRanking(n, (q) => rows[q], labels, domains);
  const kept: number[] = [];
  const removed: number[] = [];
  for (let q = 0; q < n; q++) {
    const rel = new Set(labels.flatMap((l, i) => (l === labels[q] ? [i] : [])));
    kept.push(apRef(rows[q], rel));
    removed.push(apRef(rows[q], rel, q));
    assert.ok(Math.abs(res.ap[q] - kept[q]) < 1e-12, `kept ${q}`);
    if (Number.isNaN(removed[q])) assert.ok(Number.isNaN(res.apQueryRemoved[q]));
    else assert.ok(Math.abs(res.apQueryRemoved[q] - removed[q]) < 1e-12, `removed ${q}`);
  }
  const mean = (xs: number[]) => {
    const v = xs.filter((x) => !Number.isNaN(x));
    return v.reduce((a, b) => a + b, 0) / v.length;
  };
  assert.ok(Math.abs(res.map - mean(kept)) < 1e-12);
  assert.ok(Math.abs(res.mapQueryRemoved - mean(removed)) < 1e-12);
  for (const d of ['d0', 'd1', 'd2', 'd3']) {
    const qs = domains.flatMap((x, i) => (x === d ? [i] : []));
    assert.ok(Math.abs(res.domains[d] - mean(qs.map((q) => kept[q]))) < 1e-12);
    assert.ok(Math.abs(res.domainsQueryRemoved[d] - mean(qs.map((q) => removed[q]))) < 1e-12);
  }
});

test('perfect and worst rankings', () => {
  const labels = ['a', 'a', 'a', 'b', 'b', 'b'];
  const domains = Array(6).fill('all');
  const perfect = evaluateRanking(6, (q) => Float32Array.from(labels, (l) => (l === labels[q] ? 1 : 0)), labels, domains);
  assert.equal(perfect.map, 1);
  assert.equal(perfect.mapQueryRemoved, 1);
  const worst = evaluateRanking(6, (q) => Float32Array.from(labels, (l, i) => (i === q ? 1 : l === labels[q] ? -1 : 0)), labels, domains);
  // Query first, then the 3 others, then its 2 class mates at ranks 5 and 6.
  assert.ok(Math.abs(worst.map - (1 + 2 / 5 + 3 / 6) / 3) < 1e-12);
  assert.ok(Math.abs(worst.mapQueryRemoved - (1 / 4 + 2 / 5) / 2) < 1e-12);
  assert.throws(() => evaluateRanking(6, () => new Float32Array(5), labels, domains), /length/);
  assert.throws(() => evaluateRanking(5, () => new Float32Array(5), labels, domains), /labels/);
});

test('speed: 4,400 queries over 4,400 documents', () => {
  const n = 4400;
  const r = rng(12);
  const labels = Array.from({ length: n }, (_, i) => `c${Math.floor(i / 10)}`);
  const domains = labels.map((_, i) => `d${i % 8}`);
  const row = new Float32Array(n);
  const t0 = performance.now();
  const res = evaluateRanking(
    n,
    () => {
      for (let i = 0; i < n; i++) row[i] = r();
      return row;
    },
    labels,
    domains,
  );
  const ms = performance.now() - t0;
  console.log(`evaluateRanking n=${n}: ${ms.toFixed(0)} ms total (incl. generating random rows)`);
  assert.ok(res.map > 0 && res.map < 0.05, `random ranking mAP ${res.map}`);
});
