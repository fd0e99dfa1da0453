// Runs test/lucene/Harness.java on Debian's Lucene 8 jars (liblucene8-java): java 11+ compiles a
// single source file on the fly, so there is no build step and nothing generated in the repo.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HARNESS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'Harness.java');
const JAR_DIR = process.env.PHOTOWORDS_LUCENE_JARS ?? '/usr/share/java';

/** The classpath, or why there is none (the harness needs lucene-core and lucene-analyzers-common). */
export function luceneClasspath(): { cp?: string; missing?: string } {
  const jars = fs.existsSync(JAR_DIR) ? fs.readdirSync(JAR_DIR) : [];
  const pick = (name: string) => jars.find((j) => new RegExp(`^${name}-8\\.[\\d.]+\\.jar$`).test(j));
  const core = pick('lucene-core');
  const analyzers = pick('lucene-analyzers-common');
  if (!core || !analyzers) return { missing: `Lucene 8 jars not found in ${JAR_DIR}: install them with apt-get install liblucene8-java` };
  return { cp: [core, analyzers].map((j) => path.join(JAR_DIR, j)).join(':') };
}

function javaArgs(args: string[], heap = '2g'): string[] {
  const { cp, missing } = luceneClasspath();
  if (!cp) throw new Error(missing);
  return [`-Xmx${heap}`, '-cp', cp, HARNESS, ...args];
}

/** Runs a harness command to completion; resolves with its stdout. */
export function harness(args: string[], opts: { heap?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('java', javaArgs(args, opts.heap), { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`Harness ${args[0]} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/** Starts a harness command that reads stdin (index-binary); stderr passes through. */
export function harnessProcess(args: string[], opts: { heap?: string } = {}): ChildProcess {
  return spawn('java', javaArgs(args, opts.heap), { stdio: ['pipe', 'pipe', 'inherit'] });
}

/** The harness's ranking file: a line a query, "id:score" best first. */
export function readRankings(file: string): { id: number; score: number }[][] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l, i, all) => i < all.length - 1 || l.length > 0)
    .map((l) => (l ? l.split(' ').map((h) => ({ id: Number(h.slice(0, h.indexOf(':'))), score: Number(h.slice(h.indexOf(':') + 1)) })) : []));
}
