// One HTTP(S) file download into `<dest>.part`: redirects followed, an interrupted transfer resumed
// with Range (and If-Range, so a file that changed upstream starts over instead of being spliced),
// progress with rate and time left, and the sha256 checked before the atomic rename to `dest`.
// Node's own http/https, no dependency. Why each choice: docs/MODELS.md#download.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import crypto from 'node:crypto';

export interface DownloadProgress {
  received: number;
  /** null until the server says (no Content-Length). */
  total: number | null;
  bytesPerSecond: number;
  /** null while the total or the rate is unknown. */
  etaSeconds: number | null;
}

export interface DownloadOptions {
  url: string;
  dest: string;
  /** Expected sha256 (hex); null: accept any and report what was seen (the caller decided to trust it). */
  sha256: string | null;
  /** Expected size, where published: a server that sends more is stopped early. */
  bytes?: number | null;
  onProgress?: (p: DownloadProgress) => void;
  /** Connect and idle limit, ms. */
  timeoutMs?: number;
  /** How many times a broken transfer is resumed within this call before giving up (the .part stays). */
  retries?: number;
  maxRedirects?: number;
  signal?: AbortSignal;
}

export interface DownloadResult {
  path: string;
  sha256: string;
  bytes: number;
  /** True where some bytes came from an earlier, interrupted attempt. */
  resumed: boolean;
  /** Every URL asked, in order (redirects included). */
  requests: { url: string; range: string | null }[];
}

/** The host could not be reached at all: no DNS answer, refused, or no answer in time. */
export class OfflineError extends Error {
  constructor(
    readonly host: string,
    readonly code: string,
  ) {
    super(`could not reach ${host} (${code})`);
  }
}

/** The transfer broke after some bytes arrived; they are kept in the .part file for the next try. */
export class InterruptedError extends Error {
  constructor(
    readonly kept: number,
    cause: string,
  ) {
    super(`the download was interrupted after ${kept} bytes (${cause}); run the same command again to resume`);
  }
}

export class ChecksumError extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`the downloaded file's sha256 is ${actual}, not the expected ${expected}; it was deleted and nothing was installed`);
  }
}

export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    url: string,
  ) {
    super(`${new URL(url).host} answered HTTP ${status} for ${url}`);
  }
}

const OFFLINE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ETIMEDOUT', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNRESET', 'EPIPE', 'CONNECT_TIMEOUT']);

interface PartMeta {
  url: string;
  etag?: string;
  lastModified?: string;
  total?: number | null;
}

export async function sha256OfFile(file: string): Promise<string> {
  const h = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export async function downloadFile(o: DownloadOptions): Promise<DownloadResult> {
  const part = `${o.dest}.part`;
  const metaFile = `${part}.json`;
  const requests: DownloadResult['requests'] = [];
  const retries = o.retries ?? 3;
  let resumed = false;
  for (let attempt = 0; ; attempt++) {
    try {
      const had = await transfer(o, part, metaFile, requests);
      resumed ||= had > 0;
      break;
    } catch (e) {
      // Resume only what is worth resuming: a break after bytes came. An offline host or an HTTP
      // error will not mend itself within one command.
      if (!(e instanceof InterruptedError) || attempt >= retries || o.signal?.aborted) throw e;
      resumed = true;
      await new Promise((r) => setTimeout(r, Math.min(4000, 250 * 2 ** attempt)));
    }
  }
  const actual = await sha256OfFile(part);
  if (o.sha256 && actual !== o.sha256.toLowerCase()) {
    // Bytes that hash wrong cannot be trusted as a prefix either, so nothing is kept to resume from.
    fs.rmSync(part, { force: true });
    fs.rmSync(metaFile, { force: true });
    throw new ChecksumError(o.sha256, actual);
  }
  const bytes = fs.statSync(part).size;
  fs.renameSync(part, o.dest);
  fs.rmSync(metaFile, { force: true });
  return { path: o.dest, sha256: actual, bytes, resumed, requests };
}

/** One attempt: asks for what the .part lacks and appends it. Returns the bytes the .part had before. */
async function transfer(o: DownloadOptions, part: string, metaFile: string, requests: DownloadResult['requests']): Promise<number> {
  let have = fs.existsSync(part) ? fs.statSync(part).size : 0;
  let meta: PartMeta | null = null;
  if (have > 0) {
    try {
      meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as PartMeta;
    } catch {
      meta = null;
    }
    // A part from another URL, or without the validator we wrote beside it, is not a safe prefix.
    if (!meta || meta.url !== o.url) {
      fs.rmSync(part, { force: true });
      have = 0;
      meta = null;
    } else if (meta.total != null && have >= meta.total) {
      return have; // complete already; the checksum decides
    }
  }
  const headers: Record<string, string> = { 'user-agent': 'photowords (model download)', 'accept-encoding': 'identity' };
  if (have > 0) {
    headers.range = `bytes=${have}-`;
    const validator = meta?.etag && !meta.etag.startsWith('W/') ? meta.etag : meta?.lastModified;
    if (validator) headers['if-range'] = validator;
  }
  const res = await request(o.url, headers, o, requests, have > 0 ? headers.range : null);
  let append = false;
  let total: number | null = null;
  if (res.statusCode === 206 && have > 0) {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
    if (!m || Number(m[1]) !== have) {
      res.destroy();
      throw new Error(`the server resumed at the wrong place (${res.headers['content-range'] ?? 'no Content-Range'}); delete ${part} and try again`);
    }
    append = true;
    total = m[3] === '*' ? null : Number(m[3]);
  } else if (res.statusCode === 200) {
    // The server ignored the range, or If-Range said the file changed: start over.
    total = res.headers['content-length'] ? Number(res.headers['content-length']) : null;
  } else if (res.statusCode === 416 && have > 0) {
    res.resume();
    return have; // the part is already whole; the checksum decides
  } else {
    res.resume();
    throw new HttpStatusError(res.statusCode ?? 0, o.url);
  }
  if (o.bytes != null && total != null && total !== o.bytes) {
    res.destroy();
    throw new Error(`${new URL(o.url).host} offers ${total} bytes, but the catalogue says ${o.bytes}; nothing was installed`);
  }
  const start = append ? have : 0;
  const newMeta: PartMeta = {
    url: o.url,
    etag: res.headers.etag as string | undefined,
    lastModified: res.headers['last-modified'] as string | undefined,
    total: total ?? o.bytes ?? null,
  };
  fs.writeFileSync(metaFile, JSON.stringify(newMeta));
  await pipeBody(res, part, append, start, newMeta.total ?? null, o);
  return append ? have : 0;
}

function pipeBody(res: http.IncomingMessage, part: string, append: boolean, start: number, total: number | null, o: DownloadOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = fs.createWriteStream(part, { flags: append ? 'a' : 'w' });
    let received = start;
    const began = Date.now();
    let lastReport = 0;
    let failed: Error | null = null;
    const fail = (e: Error) => {
      if (failed) return;
      failed = e;
      res.destroy();
      out.end();
    };
    const report = (force: boolean) => {
      const now = Date.now();
      if (!o.onProgress || (!force && now - lastReport < 200)) return;
      lastReport = now;
      const secs = (now - began) / 1000;
      const rate = secs > 0 ? (received - start) / secs : 0;
      o.onProgress({ received, total, bytesPerSecond: rate, etaSeconds: total != null && rate > 0 ? (total - received) / rate : null });
    };
    res.setTimeout(o.timeoutMs ?? 30_000, () => fail(new InterruptedError(received, 'no data for too long')));
    res.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (o.bytes != null && received > o.bytes) return fail(new Error(`the server sent more than the ${o.bytes} bytes the catalogue gives; nothing was installed`));
      if (!out.write(chunk)) {
        res.pause();
        out.once('drain', () => res.resume());
      }
      report(false);
    });
    res.on('aborted', () => fail(new InterruptedError(received, 'the connection closed early')));
    res.on('error', (e: NodeJS.ErrnoException) => fail(new InterruptedError(received, e.code ?? e.message)));
    res.on('end', () => {
      if (total != null && received < total) return fail(new InterruptedError(received, 'the connection closed early'));
      report(true);
      out.end();
    });
    out.on('error', (e) => fail(e));
    out.on('close', () => (failed ? reject(failed) : resolve()));
    o.signal?.addEventListener('abort', () => fail(new InterruptedError(received, 'cancelled')), { once: true });
  });
}

/** GET with redirects followed (HF answers 302 to its CDN); the Range travels with each hop. */
function request(url: string, headers: Record<string, string>, o: DownloadOptions, requests: DownloadResult['requests'], range: string | null, hops = 0): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return reject(new Error(`not a URL: ${url}`));
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return reject(new Error(`only http and https downloads are supported, not ${u.protocol}`));
    requests.push({ url, range });
    const lib = u.protocol === 'https:' ? https : http;
    const req = lib.get(u, { headers, signal: o.signal }, (res) => {
      const status = res.statusCode ?? 0;
      if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
        res.resume();
        if (hops >= (o.maxRedirects ?? 10)) return reject(new Error(`too many redirects from ${o.url}`));
        const next = new URL(res.headers.location, u).toString();
        request(next, headers, o, requests, range, hops + 1).then(resolve, reject);
        return;
      }
      resolve(res);
    });
    let connected = false;
    req.on('socket', (s) => s.once(u.protocol === 'https:' ? 'secureConnect' : 'connect', () => (connected = true)));
    req.setTimeout(o.timeoutMs ?? 30_000, () => req.destroy(Object.assign(new Error('timed out'), { code: connected ? 'ETIMEDOUT' : 'CONNECT_TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (o.signal?.aborted) return reject(new InterruptedError(0, 'cancelled'));
      if (e.code && OFFLINE_CODES.has(e.code)) return reject(new OfflineError(u.host, e.code === 'CONNECT_TIMEOUT' ? 'ETIMEDOUT' : e.code));
      reject(e);
    });
  });
}
