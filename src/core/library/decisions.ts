// The person's decisions about duplicates ("not duplicates", "keep all", a chosen keeper), kept by
// content hash. Made, listed and undone through here by the app (duplicates-api.ts) and by
// `photowords decide` / `decisions`, each through its DuplicatesService, whose cached search a
// change drops.
import path from 'node:path';
import type { IndexStore } from '../index/store.js';
import type { DecisionKind } from '../../shared/api.js';

/** The person's decisions about duplicates, kept by content so they survive renames, moves and rebuilds. */
export class DecisionService {
  constructor(
    private readonly store: () => IndexStore,
    private readonly changed: () => void,
  ) {}

  /** Stores a decision over these contents; the store's own checks throw as they are. */
  record(kind: DecisionKind, hashes: string[], keeper?: string): number {
    const id = this.store().addDecision(kind, hashes, keeper);
    this.changed();
    return id;
  }

  list() {
    return this.store().listDecisions();
  }

  /** Whether there was such a decision to undo. */
  undo(id: number): boolean {
    const undone = this.store().deleteDecision(id);
    if (undone) this.changed();
    return undone;
  }

  /** The content hashes of photos named by path, for `photowords decide`; `db` names the index in the error. */
  hashesOfPaths(paths: string[], db: string): string[] {
    return paths.map((p) => {
      const r = this.store().getByPath(path.resolve(p));
      if (!r || r.status !== 'indexed' || !r.hash) throw new Error(`${p} is not an indexed photo in ${db}`);
      return r.hash;
    });
  }
}
