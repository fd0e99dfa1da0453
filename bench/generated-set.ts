// A generated benchmark set, made once under `work` and reused while its key (what the set is
// made of) is unchanged: generating takes minutes, benchmarking it again should not.
import fs from 'node:fs';
import path from 'node:path';

/**
 * The set's manifest: read from work/manifest.json when its key matches and `fresh` is false,
 * else `make` fills a new work/photos and returns the manifest, which is saved beside it.
 */
export async function generatedSet<P>(work: string, key: string, fresh: boolean, make: (dir: string) => Promise<P[]>): Promise<P[]> {
  const manifestPath = path.join(work, 'manifest.json');
  if (!fresh && fs.existsSync(manifestPath)) {
    const m = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { key: string; photos: P[] };
    if (m.key === key) return m.photos;
  }
  fs.rmSync(work, { recursive: true, force: true });
  const dir = path.join(work, 'photos');
  fs.mkdirSync(dir, { recursive: true });
  const photos = await make(dir);
  fs.writeFileSync(manifestPath, JSON.stringify({ key, photos }, null, 1));
  return photos;
}
