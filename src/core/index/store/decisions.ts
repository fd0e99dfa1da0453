// The `decisions` table (schema 4): a person's decisions about duplicate groups, kept by content
// hash so that renames, moves, re-indexing and a rebuild keep them (see schema.ts).

import type Database from 'better-sqlite3';
import type { DecisionKind } from '../../../shared/api.js';

export interface Decision {
  id: number;
  kind: DecisionKind;
  /** Content sha256s the decision covers, sorted. */
  hashes: string[];
  /** For 'keeper': the hash to keep. */
  keeper: string | null;
  createdAt: number;
  /** The indexed photos that hold each hash now (any paths: renames and moves keep the hash). */
  photos: { hash: string; photos: { id: number; path: string }[] }[];
  /** Some hash is held by no photo now (changed or removed): the decision no longer covers it. */
  stale: boolean;
}

export class Decisions {
  constructor(private readonly db: Database.Database) {}

  /** Records a decision about duplicates; `hashes` are content sha256s (at least two distinct). */
  add(kind: DecisionKind, hashes: string[], keeper?: string): number {
    const set = [...new Set(hashes)].sort();
    if (set.length < 2 && kind !== 'keeper') throw new Error('a decision needs at least two different photos');
    if (kind === 'keeper' && (!keeper || !set.includes(keeper))) throw new Error('the chosen keeper must be one of the photos');
    return Number(this.db.prepare('INSERT INTO decisions (kind, hashes, keeper, created_at) VALUES (?, ?, ?, ?)').run(kind, JSON.stringify(set), keeper ?? null, Date.now()).lastInsertRowid);
  }

  /** Every decision, newest first, with the photos that now hold its hashes and whether any hash is gone. */
  list(): Decision[] {
    const rows = this.db.prepare<[], { id: number; kind: DecisionKind; hashes: string; keeper: string | null; created_at: number }>('SELECT * FROM decisions ORDER BY id DESC').all();
    const byHash = this.db.prepare<[string], { id: number; path: string }>("SELECT id, path FROM images WHERE hash = ? AND status = 'indexed' ORDER BY id");
    return rows.map((r) => {
      const hashes = JSON.parse(r.hashes) as string[];
      const photos = hashes.map((h) => ({ hash: h, photos: byHash.all(h) }));
      return {
        id: r.id,
        kind: r.kind,
        hashes,
        keeper: r.keeper,
        createdAt: r.created_at,
        photos,
        // A hash no photo holds any more: that photo changed or is gone, so the decision no
        // longer covers it (its new content is judged afresh).
        stale: photos.some((p) => p.photos.length === 0),
      };
    });
  }

  /** Undoes a decision; returns whether it existed. */
  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM decisions WHERE id = ?').run(id).changes > 0;
  }
}
