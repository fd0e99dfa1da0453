// The `meta` table: the schema version, the fingerprint and settings the words were made with,
// doc_count (words.ts keeps it), and the app's preferences as `pref.<key>` rows, which live in
// the index so that they travel with the library.

import type Database from 'better-sqlite3';

export class Meta {
  private readonly getMeta: Database.Statement<[string], { value: string }>;
  private readonly setMeta: Database.Statement<[string, string]>;

  constructor(db: Database.Database) {
    this.getMeta = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
    this.setMeta = db.prepare<[string, string]>('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
  }

  get(key: string): string | undefined {
    return this.getMeta.get(key)?.value;
  }

  get fingerprint(): string {
    return this.get('fingerprint') ?? '';
  }

  get settings(): unknown {
    return JSON.parse(this.get('settings') ?? 'null');
  }

  /** A value the app keeps with the index (e.g. the chosen scoring), or undefined. */
  getPref(key: string): string | undefined {
    return this.get(`pref.${key}`);
  }

  setPref(key: string, value: string): void {
    this.setMeta.run(`pref.${key}`, value);
  }
}
