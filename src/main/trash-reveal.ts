// Trash and reveal belong to the desktop: the engine checks the photo (an indexed, unchanged library
// photo) and forgets it once it is gone; Electron's shell moves it or shows it in its folder.
import path from 'node:path';
import { shell as desktop } from 'electron';
import type { TrashManyResult, TrashResult } from '../shared/api.js';
import { IndexerError } from './indexer-host.js';
import type { Shell } from './shell.js';

function photoPathArg(p: unknown): string {
  if (typeof p !== 'string' || p === '') throw new IndexerError({ code: 'bad-request', message: 'Name the photo by its path.' });
  return p;
}

/** Only after the engine says it is an indexed, unchanged library photo; the index forgets it once it is gone. */
export async function trashPhoto(shell: Shell, p: unknown): Promise<TrashResult> {
  const target = await shell.engine().request<string>({ type: 'photoTarget', path: photoPathArg(p), action: 'trash' });
  try {
    await desktop.trashItem(target);
  } catch (e) {
    throw new IndexerError({
      code: 'internal',
      message: `${path.basename(target)} could not be moved to the trash: ${(e as Error)?.message ?? String(e)}. Nothing was deleted.`,
    });
  }
  return shell.engine().request<TrashResult>({ type: 'forgetTrashed', path: target });
}

/**
 * One photo at a time, as trashPhoto: each checked by the engine, moved by the shell, forgotten;
 * one refused or failing photo is reported and the rest go on. The engine words the outcome.
 */
export async function trashPhotos(shell: Shell, p: unknown): Promise<TrashManyResult> {
  if (!Array.isArray(p) || p.length === 0 || !p.every((x) => typeof x === 'string' && x !== '')) {
    throw new IndexerError({ code: 'bad-request', message: 'Name the photos by their paths: a list of at least one path.' });
  }
  const trashed: TrashManyResult['trashed'] = [];
  const failed: TrashManyResult['failed'] = [];
  const reason = (e: unknown) => (e as Error)?.message ?? String(e);
  for (const one of new Set(p as string[])) {
    let target: string;
    try {
      target = await shell.engine().request<string>({ type: 'photoTarget', path: one, action: 'trash' });
    } catch (e) {
      failed.push({ path: one, reason: reason(e) });
      continue;
    }
    try {
      await desktop.trashItem(target);
    } catch (e) {
      failed.push({ path: one, reason: `${path.basename(target)} could not be moved to the trash: ${reason(e)}. Nothing was deleted.` });
      continue;
    }
    try {
      const r = await shell.engine().request<TrashResult>({ type: 'forgetTrashed', path: target, quiet: true });
      trashed.push({ path: target, bytes: r.bytes });
    } catch (e) {
      failed.push({ path: one, reason: reason(e) });
    }
  }
  return shell.engine().request<TrashManyResult>({ type: 'trashSettled', trashed, failed });
}

export async function revealPhoto(shell: Shell, p: unknown): Promise<void> {
  const target = await shell.engine().request<string>({ type: 'photoTarget', path: photoPathArg(p), action: 'reveal' });
  desktop.showItemInFolder(target);
}
