// Mean average precision under the GPR1200 protocol: every image queries the whole collection,
// relevant = same class, AP over the complete ranking, mAP = mean over queries, plus the mean per
// domain. Two variants are reported because papers differ: the query kept in its own ranking (it
// is then almost always rank 1 and counts as a relevant hit) and the query removed from both the
// ranking and its relevant set.
//
// AP needs only the rank of each relevant item, so instead of sorting all n scores per query it
// sorts the R relevant items (R is ~10 in GPR1200) and places every other item among them with a
// binary search: O(n log R) per query and no per-query allocation proportional to n. Ties are
// broken by document index ascending, the same order a stable sort of the scores would give, so
// results are deterministic.

export interface EvalResult {
  /** mAP with the query kept in its own ranking and relevant set. */
  map: number;
  /** mAP with the query dropped from its ranking and relevant set (queries alone in their class are skipped). */
  mapQueryRemoved: number;
  /** Domain -> mAP over that domain's queries (query kept). */
  domains: Record<string, number>;
  /** Domain -> mAP over that domain's queries (query removed). */
  domainsQueryRemoved: Record<string, number>;
  /** Per-query AP (query kept). */
  ap: Float64Array;
  /** Per-query AP (query removed); NaN where the query's class has no other member. */
  apQueryRemoved: Float64Array;
}

/**
 * Evaluate a retrieval method given as one score row per query (higher = more similar; row q
 * scores query q against documents 0..n-1). `labels[i]` is image i's class, `domains[i]` its
 * domain.
 */
export function evaluateRanking(n: number, scoreRow: (q: number) => ArrayLike<number>, labels: readonly string[], domains: readonly string[]): EvalResult {
  if (labels.length !== n || domains.length !== n) {
    throw new Error(`need ${n} labels and domains, got ${labels.length} and ${domains.length}`);
  }
  const members = groupBy(labels);
  const classOf = new Int32Array(n);
  members.forEach((list, c) => list.forEach((i) => (classOf[i] = c)));

  const mask = new Uint8Array(n);
  const maxR = members.reduce((m, list) => Math.max(m, list.length), 0);
  const scratch = new ApScratch(maxR);
  const ap = new Float64Array(n);
  const apRemoved = new Float64Array(n);
  for (let q = 0; q < n; q++) {
    const scores = scoreRow(q);
    if (scores.length !== n) throw new Error(`score row ${q} has length ${scores.length}, expected ${n}`);
    const rel = members[classOf[q]];
    for (const d of rel) mask[d] = 1;
    const [kept, removed] = apKeptAndRemoved(scores, rel, mask, q, scratch);
    for (const d of rel) mask[d] = 0;
    ap[q] = kept;
    apRemoved[q] = removed;
  }

  return {
    map: mean(ap, null, null),
    mapQueryRemoved: mean(apRemoved, null, null),
    domains: perDomain(ap, domains),
    domainsQueryRemoved: perDomain(apRemoved, domains),
    ap,
    apQueryRemoved: apRemoved,
  };
}

/**
 * AP of one ranking. `relevant` lists the relevant document indices; `excludeIndex` (e.g. the
 * query itself) is taken out of both the ranking and the relevant set. Returns NaN when nothing
 * relevant remains.
 */
export function averagePrecision(scores: ArrayLike<number>, relevant: readonly number[], excludeIndex = -1): number {
  const mask = new Uint8Array(scores.length);
  for (const d of relevant) mask[d] = 1;
  // Run as "kept" with a query index outside the ranking, excluding `excludeIndex` up front.
  const rel = excludeIndex >= 0 ? relevant.filter((d) => d !== excludeIndex) : relevant;
  if (excludeIndex >= 0) mask[excludeIndex] = 2; // neither relevant nor ranked
  return apKeptAndRemoved(scores, rel, mask, -1, new ApScratch(rel.length))[0];
}

class ApScratch {
  relIdx: Int32Array;
  relScore: Float64Array;
  before: Uint32Array;
  constructor(cap: number) {
    this.relIdx = new Int32Array(cap);
    this.relScore = new Float64Array(cap);
    this.before = new Uint32Array(cap + 1);
  }
}

/**
 * AP with query q kept, and with q removed (q must be in `rel` when q >= 0).
 * mask[d]: 1 = relevant, 2 = not ranked at all, 0 = ranked, not relevant.
 */
function apKeptAndRemoved(scores: ArrayLike<number>, rel: readonly number[], mask: Uint8Array, q: number, scratch: ApScratch): [number, number] {
  const R = rel.length;
  if (R === 0) return [NaN, NaN];
  const n = scores.length;
  const { relIdx, relScore, before } = scratch;

  // Relevant items in rank order: higher score first, lower index on ties. NaN counts as -inf.
  const order = rel.slice().sort((a, b) => {
    const sa = clean(scores[a]);
    const sb = clean(scores[b]);
    return sa !== sb ? (sa > sb ? -1 : 1) : a - b;
  });
  for (let j = 0; j < R; j++) {
    relIdx[j] = order[j];
    relScore[j] = clean(scores[order[j]]);
  }

  // before[j] = number of non-relevant items ranked between relevant j-1 and relevant j.
  before.fill(0, 0, R + 1);
  for (let d = 0; d < n; d++) {
    if (mask[d] !== 0) continue;
    const s = clean(scores[d]);
    // Count of relevant items ranked above d.
    let lo = 0;
    let hi = R;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const rs = relScore[mid];
      if (rs > s || (rs === s && relIdx[mid] < d)) lo = mid + 1;
      else hi = mid;
    }
    before[lo]++;
  }

  // Precision at each relevant item's rank. Removing q shifts later relevant items' counts of
  // relevant-above by one but leaves the non-relevant items above them unchanged.
  let nonRel = 0;
  let sumKept = 0;
  let sumRemoved = 0;
  let seenQ = 0;
  for (let j = 0; j < R; j++) {
    nonRel += before[j];
    sumKept += (j + 1) / (j + 1 + nonRel);
    if (relIdx[j] === q) {
      seenQ = 1;
      continue;
    }
    const jr = j - seenQ;
    sumRemoved += (jr + 1) / (jr + 1 + nonRel);
  }
  const removedR = R - (q >= 0 ? 1 : 0);
  return [sumKept / R, removedR > 0 ? sumRemoved / removedR : NaN];
}

function clean(s: number): number {
  return s === s ? s + 0 : -Infinity; // NaN -> -inf; -0 -> 0 so it ties with 0
}

function groupBy(labels: readonly string[]): number[][] {
  const byLabel = new Map<string, number[]>();
  labels.forEach((l, i) => {
    let list = byLabel.get(l);
    if (!list) byLabel.set(l, (list = []));
    list.push(i);
  });
  return [...byLabel.values()];
}

/** Mean of the non-NaN values, optionally only where keys[i] === key. */
function mean(values: Float64Array, keys: readonly string[] | null, key: string | null): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v || (keys !== null && keys[i] !== key)) continue;
    sum += v;
    count++;
  }
  return count > 0 ? sum / count : NaN;
}

function perDomain(values: Float64Array, domains: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of [...new Set(domains)].sort()) out[d] = mean(values, domains, d);
  return out;
}
