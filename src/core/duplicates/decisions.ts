// The person's stored decisions as the finder applies them: "not duplicates" keeps a pair apart;
// a chosen keeper and "keep all" are read from `list` when groups are made.
import type { Decision, IndexStore } from '../index/store.js';

/** Accepts a pair into the "same photo" tier unless a person said they are not duplicates. */
export class DecisionLookup {
  /** hash -> ids of 'not-duplicates' decisions naming it. */
  private readonly notDup = new Map<string, Set<number>>();
  readonly list: Decision[];

  constructor(store: IndexStore, use: boolean) {
    this.list = use ? store.listDecisions() : [];
    for (const d of this.list) {
      if (d.kind !== 'not-duplicates') continue;
      for (const h of d.hashes) {
        const set = this.notDup.get(h) ?? new Set<number>();
        set.add(d.id);
        this.notDup.set(h, set);
      }
    }
  }

  /** Whether some decision says these two contents are not duplicates. */
  blocked(a: string | null, b: string | null): boolean {
    if (!a || !b || a === b) return false;
    const da = this.notDup.get(a);
    const db = this.notDup.get(b);
    if (!da || !db) return false;
    for (const id of da) if (db.has(id)) return true;
    return false;
  }
}
