// What one client, or all of them together, may hold of the server at once. Each figure is the
// smallest that the app's own page never reaches (docs/SERVER.md says why each is what it is).

/** JSON request bodies: the largest call the page sends is a few kB. */
export const JSON_LIMIT = 1 << 20;
/** Nesting of a JSON body; the API's deepest argument is 3 levels. */
export const JSON_DEPTH = 32;
/** "Find similar to a file": a 100-megapixel JPEG is ~40 MB. */
export const UPLOAD_LIMIT = 64 << 20;
/** Uploads read at once (each is held in memory until decoded): 2 x 64 MiB at most. */
export const UPLOADS_IN_FLIGHT = 2;
/** Event streams: the page opens one; a few tabs are fine, hundreds are an attack. */
export const STREAMS_PER_CLIENT = 4;
export const STREAMS_TOTAL = 64;
/** Time to send the request headers, and a whole request (uploads get longer). */
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 60_000;
export const UPLOAD_TIMEOUT_MS = 300_000;
export const KEEP_ALIVE_MS = 5_000;
/** Failed sign-ins: per client address a minute, and over everyone an hour. */
export const LOGIN_FAILURES_PER_MINUTE = 5;
export const LOGIN_FAILURES_PER_HOUR = 20;

/** Depth of a JSON text's nesting, read without parsing it (so a deep body never reaches JSON.parse). */
export function jsonDepth(text: string, stopAt: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) {
        max = depth;
        if (max > stopAt) return max;
      }
    } else if (c === 93 || c === 125) depth--;
  }
  return max;
}

/** A count of things held at once, with a ceiling. */
export class Slots {
  private held = 0;
  constructor(readonly max: number) {}
  get inUse(): number {
    return this.held;
  }
  /** Takes a slot; returns its release (call once), or null when all are taken. */
  take(): (() => void) | null {
    if (this.held >= this.max) return null;
    this.held++;
    let done = false;
    return () => {
      if (!done) {
        done = true;
        this.held--;
      }
    };
  }
}

/** Slots per key (a session or client address) under one overall ceiling. */
export class KeyedSlots {
  private readonly byKey = new Map<string, number>();
  private total = 0;
  constructor(
    readonly perKey: number,
    readonly max: number,
  ) {}
  take(key: string): (() => void) | null {
    const n = this.byKey.get(key) ?? 0;
    if (n >= this.perKey || this.total >= this.max) return null;
    this.byKey.set(key, n + 1);
    this.total++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.total--;
      const left = (this.byKey.get(key) ?? 1) - 1;
      if (left <= 0) this.byKey.delete(key);
      else this.byKey.set(key, left);
    };
  }
}

/**
 * Failed sign-ins: at most `perKey` per client address in a minute and `overall` from everyone in
 * an hour. Only failures count, so the owner signing in on several devices is never held up;
 * @fastify/rate-limit counts requests, which is what the routes get on top of this.
 */
export class FailureLimiter {
  private readonly recent = new Map<string, number[]>();
  private all: number[] = [];
  constructor(
    readonly perKey = LOGIN_FAILURES_PER_MINUTE,
    readonly overall = LOGIN_FAILURES_PER_HOUR,
    private readonly now = () => Date.now(),
  ) {}

  /** Seconds until `key` may try again, or 0 when it may now. */
  retryAfter(key: string): number {
    const t = this.now();
    const mine = (this.recent.get(key) ?? []).filter((x) => t - x < 60_000);
    this.all = this.all.filter((x) => t - x < 3600_000);
    if (mine.length) this.recent.set(key, mine);
    else this.recent.delete(key);
    let wait = 0;
    if (mine.length >= this.perKey) wait = Math.max(wait, 60_000 - (t - mine[0]));
    if (this.all.length >= this.overall) wait = Math.max(wait, 3600_000 - (t - this.all[0]));
    return Math.ceil(wait / 1000);
  }

  fail(key: string): void {
    const t = this.now();
    this.recent.set(key, [...(this.recent.get(key) ?? []), t]);
    this.all.push(t);
    // Addresses seen once and never again must not pile up.
    if (this.recent.size > 10_000) for (const k of [...this.recent.keys()].slice(0, 5_000)) this.recent.delete(k);
  }
}
