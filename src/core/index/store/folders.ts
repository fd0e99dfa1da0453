// The `folders` table: the library folders the app watches and indexes, the person's choice
// (kept through --rebuild). What is under a folder is asked of images.ts and not-read.ts.

import type Database from 'better-sqlite3';

interface FolderRow {
  id: number;
  path: string;
  added_at: number;
}

export class Folders {
  private readonly listFolders: Database.Statement<[], FolderRow>;
  private readonly addFolder: Database.Statement<[string, number]>;
  private readonly deleteFolder: Database.Statement<[number]>;

  constructor(db: Database.Database) {
    this.listFolders = db.prepare<[], FolderRow>('SELECT id, path, added_at FROM folders ORDER BY path');
    this.addFolder = db.prepare<[string, number]>('INSERT INTO folders (path, added_at) VALUES (?, ?)');
    this.deleteFolder = db.prepare<[number]>('DELETE FROM folders WHERE id = ?');
  }

  list(): { id: number; path: string; addedAt: number }[] {
    return this.listFolders.all().map((r) => ({ id: r.id, path: r.path, addedAt: r.added_at }));
  }

  add(path: string): number {
    return Number(this.addFolder.run(path, Date.now()).lastInsertRowid);
  }

  delete(id: number): void {
    this.deleteFolder.run(id);
  }
}
