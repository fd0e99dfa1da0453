// The checks a link must still pass to make two photos the same photo: the files do not say two
// shots (EXIF, lossless pixels), a hash link's fine detail agrees, a photo joining a keeper does
// not differ from it locally both ways, and the crop test that links a crop to its keeper.
// Each check, and why: docs/DUPLICATES.md#how ("A pair found so is still two photos when").
import { dihedralHashes, hamming, type Hash64 } from '../analysis/phash.js';
import type { ImageRecord } from '../index/store.js';
import type { FindContext } from './context.js';
import type { GreyTable, Window } from './crop-search.js';
import { pairKey, pixels, sameBytes, shapesAgree, type Link } from './links.js';
import { twoShots } from './local.js';
import { LookPrefetch } from './look-prefetch.js';
import { Looks } from './looks.js';
import { placedTwoShots } from './placement.js';
import { differentShots, shotFacts, type ShotFacts } from './shot-facts.js';
import { CROP_BITS, CROP_COSINE, DETAIL_SAME } from './thresholds.js';
import { WindowSearches, type WindowJob } from './window-search.js';

/** Links checked together (their files read while others' pixels are gone over); each may hold two decoded photos. */
const CHECKS_AT_ONCE = 8;
/** Lossless formats: a re-save keeps every pixel. */
const LOSSLESS = /\.(png|gif|bmp|tiff?)$/i;
/**
 * Largest difference (grey levels) between two lossless files' low DCT coefficients for them to
 * hold the same pixels: a lossless re-save or format change gives equal ones, rounding aside.
 */
const LOSSLESS_SLACK = 0.5;

const sameShape = (a: ImageRecord, b: ImageRecord) => !!a.width && ((a.width === b.width && a.height === b.height) || (a.width === b.height && a.height === b.width));

export class Checks {
  // What the files say about the shots, read once a photo and only for photos in a link: two
  // different cameras' shots of one test chart, or two frames of a burst, look alike at 32 x 32
  // but are not one photo.
  private readonly facts = new Map<number, Promise<ShotFacts>>();
  private readonly looks: Looks;
  /** The window of the keeper the crop search found for a photo, for placing it there. */
  private readonly cropWindows = new Map<number, Window>();
  private readonly localChecked = new Map<number, boolean>();
  private readonly searches = new WindowSearches();
  private readonly prefetch: LookPrefetch;
  /** Crop searches started ahead (searchAhead), by keeper and photo. */
  private readonly ahead = new Map<string, { job: WindowJob; win: Promise<Window> }>();

  constructor(private readonly ctx: FindContext) {
    this.prefetch = new LookPrefetch((id) => ctx.recs.get(id)?.path, ctx.settings.resolution);
    this.looks = new Looks(ctx.recs, ctx.settings.resolution, this.prefetch);
  }

  /** Photos the checks will look at, in about the order they will: decoded ahead on a thread (look-prefetch.ts). */
  planLooks(ids: Iterable<number>): void {
    this.prefetch.plan(ids);
  }

  /** The checks have come to photo `id` of the plan (planLooks). */
  lookingAt(id: number): void {
    this.prefetch.lookingAt(id);
  }

  private factsOf(id: number): Promise<ShotFacts> {
    let f = this.facts.get(id);
    if (!f) this.facts.set(id, (f = this.ctx.settings.exif ? shotFacts(this.ctx.recs.get(id)!.path) : Promise.resolve({})));
    return f;
  }

  /** Why a pair that passed the pixels' and words' checks is still two photos, or undefined. */
  async apart(a: ImageRecord, b: ImageRecord): Promise<string | undefined> {
    if (sameBytes(a, b)) return undefined;
    // A lossless file re-saved losslessly keeps every pixel, so two lossless files of one size
    // whose pixels differ (screenshots of one program in two states) are not copies.
    if (LOSSLESS.test(a.path) && LOSSLESS.test(b.path) && a.width === b.width && a.height === b.height && a.width) {
      const ca = this.ctx.store.getPhash(a.id);
      const cb = this.ctx.store.getPhash(b.id);
      if (ca && cb && ca.some((x, i) => Math.abs(x - cb[i]) > LOSSLESS_SLACK)) return 'different pixels in two lossless files';
    }
    return differentShots(await this.factsOf(a.id), await this.factsOf(b.id));
  }

  /** A link's words' cosine: its own score for word links, else computed. */
  cosineOf(l: Link, a: number, b: number): number {
    return l.by === 'words' || l.by === 'phash+words' ? l.score : this.ctx.cosines.cosine(a, b);
  }

  /**
   * For each of `rs`, whether it is a crop (or a crop of a small turn) of `keeper`, linked to it
   * on its own: some part of the keeper of its shape, at least its size, has its hash within
   * CROP_BITS, and their words agree. A crop's own hash, of less of the scene, is far from the
   * whole keeper's. The searches run at once, on the threads of `searches` (each answer is its
   * own, so the same as one by one); those started ahead (searchAhead) are taken as they are.
   */
  async cropsOf(keeper: ImageRecord, rs: ImageRecord[]): Promise<(Link | undefined)[]> {
    const out: (Link | undefined)[] = rs.map(() => undefined);
    if (!keeper.width || !keeper.height) return out;
    const jobs: WindowJob[] = [];
    const which: { k: number; cos: number }[] = [];
    let g: GreyTable | undefined;
    for (let k = 0; k < rs.length; k++) {
      const r = rs[k];
      const cos = this.cropCosine(keeper, r);
      if (cos === undefined || (await this.apart(keeper, r))) continue;
      if (!g) {
        const gk = await this.looks.greyOf(keeper.id);
        if (!gk) return out;
        g = this.looks.tableOf(gk);
      }
      const job = cropJob(g, keeper, r, this.ctx.phashes.get(r.id)!);
      if (!job) continue;
      jobs.push(job);
      which.push({ k, cos });
    }
    if (!g || jobs.length === 0) return out;
    // Those searched ahead for this keeper (the same job: the same answer), the others now.
    const ahead = jobs.map((j, q) => {
      const key = aheadKey(keeper, rs[which[q].k]);
      const a = this.ahead.get(key);
      this.ahead.delete(key);
      return a && sameJob(a.job, j) ? a.win : undefined;
    });
    const rest = jobs.filter((_, q) => !ahead[q]);
    const now = rest.length > 0 ? await this.searches.search(g, rest) : [];
    let next = 0;
    const wins = await Promise.all(ahead.map((a) => a ?? now[next++]));
    wins.forEach((win, q) => {
      const { k, cos } = which[q];
      this.ctx.pairs.cropChecks++;
      if (win.bits > CROP_BITS) return;
      this.cropWindows.set(pairKey(keeper.id, rs[k].id), win);
      out[k] = { by: 'crop', score: cos, distance: win.bits };
    });
    return out;
  }

  /**
   * Starts the crop searches that cropsOf(keeper, rs) would run, on the search threads, for it to
   * take when it is asked (the checks of the linked set before keep this thread busy meanwhile).
   * A guess: searches it is not asked for are let go. Only where the searches have threads.
   */
  async searchAhead(keeper: ImageRecord, rs: ImageRecord[]): Promise<void> {
    if (!this.searches.threaded || !keeper.width || !keeper.height) return;
    const picked = rs.filter((r) => !this.ahead.has(aheadKey(keeper, r)) && this.cropCosine(keeper, r) !== undefined);
    if (picked.length === 0) return;
    const gk = await this.looks.greyOf(keeper.id);
    if (!gk) return;
    const g = this.looks.tableOf(gk);
    const jobs: WindowJob[] = [];
    const keys: string[] = [];
    for (const r of picked) {
      const job = cropJob(g, keeper, r, this.ctx.phashes.get(r.id)!);
      if (!job) continue;
      jobs.push(job);
      keys.push(aheadKey(keeper, r));
    }
    if (jobs.length === 0) return;
    // The table copied: the keeper's own buffer goes back to the looks' spares once it is let go.
    const sat = new Float64Array(new SharedArrayBuffer(g.sat.byteLength));
    sat.set(g.sat);
    const wins = this.searches.search({ ...g, sat }, jobs);
    wins.catch(() => undefined);
    if (this.ahead.size > 4096) this.ahead.clear();
    jobs.forEach((job, q) => this.ahead.set(keys[q], { job, win: wins.then((w) => w[q]) }));
  }

  /**
   * The words' cosine of a photo that may be a crop of `keeper`, or undefined where it cannot be
   * one: no hash or size, not smaller, words too far apart, or kept apart by a decision. (What the
   * files say, asked of the candidates cropsOf searches, is not asked here.)
   */
  private cropCosine(keeper: ImageRecord, r: ImageRecord): number | undefined {
    if (!this.ctx.phashes.has(r.id) || !r.width || !r.height || pixels(r) >= pixels(keeper)) return undefined;
    const cos = this.ctx.cosines.cosine(keeper.id, r.id);
    return cos < CROP_COSINE || this.ctx.decisions.blocked(keeper.hash, r.hash) ? undefined : cos;
  }

  /** Lets the search and prefetch threads go. */
  close(): void {
    this.searches.close();
    this.prefetch.close();
  }

  /**
   * Whether two photos are of one pixel size and framing, to be compared cell for cell. A flip or
   * turn of one (its hash nearer the other's turned than as it is) is not.
   */
  private sameFraming(a: ImageRecord, b: ImageRecord, l?: Link): boolean {
    if (!a.width || a.width !== b.width || a.height !== b.height || l?.by === 'turned') return false;
    // Without both hashes a turn cannot be ruled out (the words-alone comparison, a photo whose
    // hash could not be filled in): no verdict, as with a fact only one file carries.
    const ca = this.ctx.store.getPhash(a.id);
    const hb = this.ctx.phashes.get(b.id);
    if (!ca || !hb) return false;
    const turned = dihedralHashes(ca);
    const plain = hamming(turned[0], hb);
    for (let ti = 1; ti < turned.length; ti++) if (hamming(turned[ti], hb) + 8 <= plain) return false;
    return true;
  }

  /**
   * Whether two photos differ locally both ways (local.ts): two shots of one scene or template,
   * not a photo and its edit. Asked only of a group's keeper and a photo joining it, not of every
   * link: two edits of one photo (a JPEG-5 and a brighter copy) can differ both ways, each
   * against the other, while each differs one way from the photo they were made from.
   */
  private async localDiffers(a: ImageRecord, b: ImageRecord, l?: Link): Promise<boolean> {
    // A flip or quarter turn found by its hash (within PHASH_TURNED bits after the turn) is a
    // turned copy: different photos lie so near after a turn far too rarely to decode these
    // for the comparison (docs/DUPLICATES.md#how).
    if (l?.by === 'turned') return false;
    const key = pairKey(a.id, b.id);
    let r = this.localChecked.get(key);
    if (r === undefined) {
      if (this.sameFraming(a, b, l)) {
        const la = await this.looks.lookOf(a.id);
        const lb = la && (await this.looks.lookOf(b.id));
        r = !!la && !!lb && twoShots(la.local, lb.local);
      } else {
        r = await placedTwoShots({ ...this.ctx, looks: this.looks, cropWindows: this.cropWindows }, a, b);
      }
      this.localChecked.set(key, r);
      if (r) this.ctx.pairs.localDiffers++;
    }
    return r;
  }

  /**
   * Two photos that differ both ways but are each one edit away from a third of one size (or
   * a quarter turn of it), linked to both (a brighter and a JPEG-5 copy of one original): two
   * edits of one photo.
   */
  private async editsOfOne(a: ImageRecord, b: ImageRecord): Promise<boolean> {
    const nb = this.ctx.links.of(b.id);
    for (const o of this.ctx.links.of(a.id)?.keys() ?? []) {
      const ro = this.ctx.recs.get(o);
      if (!ro || !nb?.has(o)) continue;
      if (sameShape(a, ro) && sameShape(b, ro) && !(await this.localDiffers(a, ro)) && !(await this.localDiffers(b, ro))) return true;
    }
    return false;
  }

  /** Whether the link between a keeper and a photo joining it is two shots by their local differences. */
  async twoShotsApart(a: ImageRecord, b: ImageRecord, l?: Link): Promise<boolean> {
    return (await this.localDiffers(a, b, l)) && !(await this.editsOfOne(a, b));
  }

  /** Whether two hash-linked photos' fine detail disagrees: alike at 32 x 32, different below. */
  private async detailDiffers(a: number, b: number): Promise<boolean> {
    const da = await this.looks.detailOf(a);
    const db = da && (await this.looks.detailOf(b));
    if (!da || !db) return false;
    let s = 0;
    for (let i = 0; i < da.length; i++) s += da[i] * db[i];
    return s < DETAIL_SAME;
  }

  /**
   * Turns down the links the files say are two shots, and hash links whose fine detail differs
   * (their words not passing alone); those pairs become look-alikes. The checks of a few links at
   * a time run together, so that one photo's file is read while another's pixels are gone over;
   * each check is on its own, so the verdicts are the same.
   */
  async verifyLinks(): Promise<void> {
    const { recs, links, pairs, settings } = this.ctx;
    const checks: [number, number, Link][] = [];
    for (const [a, m] of links.edges) for (const [b, l] of m) if (b > a && l.by !== 'bytes') checks.push([a, b, l]);
    // Hash links whose fine detail is compared: words alike enough pass on their own, whatever
    // the detail (a crop), so there is no need to look. Their photos are decoded ahead.
    const lookAt = checks.map(([a, b, l]) => (l.by === 'phash' || l.by === 'phash+words') && this.cosineOf(l, a, b) < settings.sensitivity - 1e-4);
    this.planLooks(checks.flatMap(([a, b], q) => (lookAt[q] ? [a, b] : [])));
    for (let i = 0; i < checks.length; i += CHECKS_AT_ONCE) {
      const batch = checks.slice(i, i + CHECKS_AT_ONCE);
      const verdicts = await Promise.all(
        batch.map(async ([a, b], k) => {
          const why = await this.apart(recs.get(a)!, recs.get(b)!);
          if (why) return 'different shots';
          if (!lookAt[i + k]) return undefined;
          return (await this.detailDiffers(a, b)) ? 'detail differs' : undefined;
        }),
      );
      batch.forEach(([a, b, l], k) => {
        if (!verdicts[k]) return;
        if (verdicts[k] === 'detail differs') pairs.detailDiffers++;
        else pairs.differentShots++;
        links.remove(a, b);
        this.ctx.lookAlikes.push({ a, b, score: this.cosineOf(l, a, b) });
      });
    }
  }

  /**
   * The link between a group's keeper and another photo of its linked set, checked on its own:
   * same bytes, a link the searches found, or (for sets small enough) words alike enough though
   * neither photo had the other among its nearest neighbours.
   */
  async direct(a: ImageRecord, b: ImageRecord, checkWords: boolean): Promise<Link | undefined> {
    const { settings, decisions } = this.ctx;
    if (sameBytes(a, b)) return { by: 'bytes', score: 1 };
    const l = this.ctx.links.get(a.id, b.id);
    if (l) return (await this.twoShotsApart(a, b, l)) ? undefined : l;
    if (!checkWords) return undefined;
    const cos = this.ctx.cosines.cosine(a.id, b.id);
    if (cos < settings.sensitivity - 1e-4 || !shapesAgree(a, b, settings.aspectTolerance) || decisions.blocked(a.hash, b.hash) || (await this.apart(a, b)) || (await this.twoShotsApart(a, b)))
      return undefined;
    return { by: 'words', score: cos };
  }
}

/** The crop search of `r` in `keeper` (its table `g`): the photo's size in the table's pixels; none where it is larger. */
function cropJob(g: GreyTable, keeper: ImageRecord, r: ImageRecord, target: Hash64): WindowJob | undefined {
  const f = Math.max(g.width, g.height) / Math.max(keeper.width!, keeper.height!);
  const mw = r.width! * f;
  const mh = r.height! * f;
  if (mw > g.width + 0.5 || mh > g.height + 0.5) return undefined;
  return { target, mw, mh, enough: CROP_BITS };
}

const sameJob = (a: WindowJob, b: WindowJob) => a.target.hi === b.target.hi && a.target.lo === b.target.lo && a.mw === b.mw && a.mh === b.mh && a.enough === b.enough;

/** A crop search started ahead, by keeper and photo. */
const aheadKey = (keeper: ImageRecord, r: ImageRecord) => `${keeper.id} ${r.id}`;
