// Disjoint sets of photo ids: the sets of linked photos grouped one by one (grouping.ts), and the
// similar-shots groups (similar-shots.ts). Each set's smallest id is its root.
export class UnionFind {
  private parent = new Map<number, number>();
  find(x: number): number {
    let p = this.parent.get(x) ?? x;
    if (p === x) return x;
    p = this.find(p);
    this.parent.set(x, p);
    return p;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(Math.max(ra, rb), Math.min(ra, rb));
  }
  members(): Map<number, number[]> {
    const out = new Map<number, number[]>();
    for (const x of this.parent.keys()) {
      const r = this.find(x);
      out.set(r, [...(out.get(r) ?? []), x]);
    }
    for (const [r, m] of out) if (!m.includes(r)) m.push(r);
    return out;
  }
}
