// The word pairs a duplicate search verified, as typed arrays: at a million photos there are
// millions of them, which as objects would cost several times the memory and the collector's time.

/** Pairs (a, b, exact cosine) in the order they were found. */
export class WordPairs {
  private a = new Int32Array(1024);
  private b = new Int32Array(1024);
  private cos = new Float32Array(1024);
  private n = 0;

  get size(): number {
    return this.n;
  }

  push(a: number, b: number, cos: number): void {
    if (this.n === this.a.length) {
      const grow = <T extends Int32Array | Float32Array>(x: T, y: T): T => (y.set(x), y);
      this.a = grow(this.a, new Int32Array(this.n * 2));
      this.b = grow(this.b, new Int32Array(this.n * 2));
      this.cos = grow(this.cos, new Float32Array(this.n * 2));
    }
    this.a[this.n] = a;
    this.b[this.n] = b;
    this.cos[this.n++] = cos;
  }

  each(visit: (a: number, b: number, cos: number) => void): void {
    for (let i = 0; i < this.n; i++) visit(this.a[i], this.b[i], this.cos[i]);
  }

  /**
   * The pairs among either photo's `k` most alike (ties: the pair found first), in the order they
   * were found: what each photo's k nearest neighbours on the query path gave before, so a photo
   * in a cluster of a thousand look-alikes still costs k links.
   */
  nearest(k: number, visit: (a: number, b: number, cos: number) => void): void {
    const { n, a, b, cos } = this;
    // Most alike first, by a counting sort on the cosine to 1/65,536 (a stable order).
    const BINS = 65536;
    const key = (i: number) => BINS - 1 - Math.max(0, Math.min(BINS - 1, Math.floor(cos[i] * (BINS - 1))));
    const start = new Int32Array(BINS + 1);
    for (let i = 0; i < n; i++) start[key(i) + 1]++;
    for (let v = 0; v < BINS; v++) start[v + 1] += start[v];
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[start[key(i)]++] = i;
    const taken = new Map<number, number>();
    const keep = new Uint8Array(n);
    for (let r = 0; r < n; r++) {
      const i = order[r];
      const ta = taken.get(a[i]) ?? 0;
      const tb = taken.get(b[i]) ?? 0;
      if (ta < k || tb < k) keep[i] = 1;
      taken.set(a[i], ta + 1);
      taken.set(b[i], tb + 1);
    }
    for (let i = 0; i < n; i++) if (keep[i]) visit(a[i], b[i], cos[i]);
  }
}
