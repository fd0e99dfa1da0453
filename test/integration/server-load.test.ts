// Issue 18's memory under load: `photowords serve --auth` as its own process (so its memory is its
// own, read from /proc/<pid>/status), a real library of real photos, and the loads the issue
// measured before the fix: uploads of the largest allowed size in parallel (and one over it), 200
// event streams from a foreign origin, from one signed-in client and from many, and 10 requests
// whose headers stall. Every phase is bounded in count and time; the whole file takes ~30 s.
//
// The bound asserted, PEAK_OVER_BASELINE_MB = 300: the server reads at most 2 uploads at a time
// (the contract's cap), each held whole until decoded: 2 x 64 MiB = 134 MB. The engine's own work
// on two such uploads at once, measured in-process on top of the two buffers already held
// (Library.similarToFile, a real JPEG padded to 64 MiB, two in parallel), is +111 to +121 MB. So
// ~250 MB is what a server that holds each upload once needs; 300 MB leaves ~50 MB of allocator
// slack and fails loudly at a second copy of each upload (+134 MB) or at what the issue saw (8
// uploads held at once: +2.4 GB). Sockets and event streams cost kilobytes each.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CSRF_HEADER, HTTP, type AuthState, type IndexStatus, type NewApiToken } from '../../src/shared/api.js';

const FLOWERS = path.resolve('../shared/datasets/flowers17');
const PASSWORD = 'load test password 42';
const UPLOAD_CAP = 64 << 20;
const UPLOADS = 8;
const UPLOADS_IN_FLIGHT = 2;
const STREAMS = 200;
const STREAMS_PER_CLIENT = 4;
const STREAMS_TOTAL = 64;
const SLOW = 10;
const HEADERS_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_MS = 5_000;
/** The contract's 10 s, plus what a server's timer granularity may add (node checks every few s). */
const SLOW_CLOSE_BOUND_MS = 15_000;
const PEAK_OVER_BASELINE_MB = 300;
// Linux only: the server's memory is read from /proc, and the many clients are 127.0.0.2... (on
// Linux all of 127/8 is this machine; elsewhere only 127.0.0.1 is).
const LINUX = process.platform === 'linux';

/** A refused upload's connection closed under our write. */
const RESET = ['EPIPE', 'ECONNRESET'];

let tmp: string;
let child: ChildProcess;
let port = 0;
let cookie = '';
let csrf = '';
const childOut: string[] = [];
const figures: string[] = [];
let sampler: NodeJS.Timeout | undefined;
let sampledPeakKb = 0;

/** VmRSS and VmHWM (peak) of the server, in kB. */
function memKb(pid: number): { rss: number; hwm: number } {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}
const mb = (kb: number) => (kb / 1024).toFixed(0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
}

interface Req {
  method?: string;
  path: string;
  headers?: Record<string, string | number>;
  body?: Buffer;
  /** Declare this length, send nothing: the answer must come from the headers alone. */
  declareLength?: number;
  /** Send the body chunked, this many bytes of zeros, 1 MiB at a time (stops when answered). */
  chunkedBytes?: number;
  localAddress?: string;
  timeoutMs?: number;
  /** Resolve on a 200's headers and keep the connection open (event streams). */
  keepOpen?: (req: http.ClientRequest) => void;
}

function request(r: Req): Promise<Reply> {
  const t0 = performance.now();
  const headers: Record<string, string | number> = { Host: `127.0.0.1:${port}`, ...r.headers };
  if (r.body) headers['Content-Length'] = r.body.length;
  if (r.declareLength !== undefined) headers['Content-Length'] = r.declareLength;
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: r.method ?? (r.body || r.declareLength !== undefined || r.chunkedBytes ? 'POST' : 'GET'),
      path: r.path,
      headers,
      agent: false,
      localAddress: r.localAddress,
    });
    let settled = false;
    const timer = setTimeout(() => {
      req.destroy();
      if (!settled) reject(new Error(`${r.path}: no answer in ${r.timeoutMs ?? 10_000} ms`));
      settled = true;
    }, r.timeoutMs ?? 10_000);
    req.on('error', (e) => {
      clearTimeout(timer);
      if (!settled) reject(e);
      settled = true;
    });
    req.on('response', (res) => {
      if (r.keepOpen && res.statusCode === 200) {
        clearTimeout(timer);
        settled = true;
        r.keepOpen(req);
        res.resume();
        return resolve({ status: 200, headers: res.headers, body: '', ms: performance.now() - t0 });
      }
      const chunks: Buffer[] = [];
      const done = () => {
        clearTimeout(timer);
        if (!settled) resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - t0 });
        settled = true;
        req.destroy();
      };
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', done);
      res.on('aborted', done);
      res.on('error', done);
    });
    if (r.body) req.end(r.body);
    else if (r.declareLength !== undefined) req.flushHeaders();
    else if (r.chunkedBytes) {
      const chunk = Buffer.alloc(1 << 20);
      let left = r.chunkedBytes;
      const pump = () => {
        while (left > 0 && !settled && !req.destroyed) {
          left -= chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        if (!settled && !req.destroyed) req.end();
      };
      pump();
    } else req.end();
  });
}

const owner = () => ({ Cookie: cookie, [CSRF_HEADER]: csrf });

async function call<T>(method: string, args: unknown[] = []): Promise<T> {
  const body = Buffer.from(JSON.stringify(args));
  const r = await request({ method: 'POST', path: HTTP.call(method as never), body, headers: { ...owner(), 'Content-Type': 'application/json' } });
  assert.equal(r.status, 200, `${method}: ${r.body}`);
  return (JSON.parse(r.body) as { result: T }).result;
}

/** `serve` needs the UI built (out/renderer); another `npm run build:web` may be rewriting it. */
const UI_INDEX = path.resolve('out/renderer/index.html');
let uiBuilt = false;

before(async () => {
  if (!LINUX) return;
  for (let i = 0; i < 60 && !fs.existsSync(UI_INDEX); i++) await sleep(500);
  uiBuilt = fs.existsSync(UI_INDEX);
  if (!uiBuilt) return;
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'pw-load-')));
  const root = path.join(tmp, 'root');
  const libDir = path.join(root, 'photos');
  fs.mkdirSync(libDir, { recursive: true });
  for (const f of fs.readdirSync(path.join(FLOWERS, 'c01')).sort().slice(0, 5)) fs.copyFileSync(path.join(FLOWERS, 'c01', f), path.join(libDir, f));
  child = spawn(
    process.execPath,
    ['bin/photowords.js', 'serve', '--db', path.join(tmp, 'index', 'index.db'), '--host', '127.0.0.1', '--port', '0', '--auth', '--roots', root, '--provider', 'cpu', libDir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in 60 s:\n${childOut.join('')}`)), 60_000);
    const onData = (d: Buffer) => {
      childOut.push(d.toString());
      const m = /serving .* at (http:\/\/\S+)/.exec(childOut.join(''));
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`serve exited (${code}):\n${childOut.join('')}`)));
  });
  port = Number(new URL(url).port);
  const setupToken = childOut.join('').match(/[?&]setup=([A-Za-z0-9_-]+)/)?.[1];
  const body = Buffer.from(JSON.stringify({ password: PASSWORD, ...(setupToken ? { setupToken } : {}) }));
  const setup = await request({ path: HTTP.authSetup, body, headers: { 'Content-Type': 'application/json' } });
  assert.equal(setup.status, 200, `setup: ${setup.body}`);
  cookie = [setup.headers['set-cookie'] ?? []]
    .flat()
    .find((c) => c.startsWith('photowords_session='))!
    .split(';')[0];
  csrf = (JSON.parse(setup.body) as AuthState).csrf!;
  for (let i = 0; ; i++) {
    const s = await call<IndexStatus>('status');
    if (s.state === 'idle' && s.libraryPhotos === 5) break;
    assert.ok(i < 300, `indexing did not finish: ${JSON.stringify(s)}`);
    await sleep(200);
  }
  // The model has run on the library's photos, so its one-time allocations are in the baseline.
  await sleep(1000);
  sampler = setInterval(() => {
    try {
      sampledPeakKb = Math.max(sampledPeakKb, memKb(child.pid!).rss);
    } catch {
      // the server has exited; its exit is reported elsewhere
    }
  }, 50);
});

after(async () => {
  if (sampler) clearInterval(sampler);
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  }
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`\nserve under load (server process RSS, MB; times in ms):\n${figures.join('\n')}`);
});

test('uploads, event streams and stalled headers leave serve within its memory bound and answering', { timeout: 180_000, skip: LINUX ? false : 'reads /proc' }, async (t) => {
  if (!uiBuilt) return t.skip(`serve needs the UI: ${UI_INDEX} is missing (npm run build:web)`);
  const pid = child.pid!;
  const base = memKb(pid);
  figures.push(`baseline (idle, 5 photos indexed, model warm): RSS ${mb(base.rss)}, peak so far (VmHWM) ${mb(base.hwm)}`);

  // 10 requests whose headers stall after half a request line; they wait while the rest runs.
  const t0 = performance.now();
  const slow = Array.from({ length: SLOW }, () => {
    return new Promise<{ ms: number; reply: string }>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => s.write('GET /api/auth/st'));
      let reply = '';
      s.on('data', (d) => (reply += d.toString('latin1')));
      s.on('error', () => undefined);
      s.on('close', () => resolve({ ms: performance.now() - t0, reply }));
      // Bounded on our side too: a server that never closes fails the test at 3x the contract's timeout.
      setTimeout(() => s.destroy(), 3 * HEADERS_TIMEOUT_MS).unref();
    });
  });
  const during = await request({ path: HTTP.authState });
  assert.equal(during.status, 200, 'answers others while headers stall');
  figures.push(`a request while ${SLOW} headers stall: ${during.status} in ${during.ms.toFixed(0)}`);
  // An idle keep-alive connection after one answered request: the contract's 5 s.
  const idle = new Promise<number>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(`GET ${HTTP.authState} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
    let answeredAt = 0;
    s.on('data', () => (answeredAt ||= performance.now()));
    s.on('error', () => undefined);
    s.on('close', () => resolve(performance.now() - answeredAt));
    setTimeout(() => s.destroy(), 3 * KEEP_ALIVE_MS).unref();
  });

  // One over the cap, declared: refused from its headers, without the body being read.
  const over = await request({ path: `${HTTP.similarToFile}?name=over.jpg`, declareLength: UPLOAD_CAP + 1, headers: { ...owner(), 'Content-Type': 'application/octet-stream' } });
  assert.equal(over.status, 413, `64 MiB + 1 declared: ${over.status} ${over.body}`);
  assert.ok(over.ms < 3000, `refused before any body was sent (${over.ms.toFixed(0)} ms)`);
  // One over the cap, chunked (no length to judge by): cut off at the cap.
  // The server answers 413 and drops the connection while we still write, so our side may see the
  // connection reset before it reads the 413: either is the upload cut off.
  const chunked = await request({
    path: `${HTTP.similarToFile}?name=over.jpg`,
    chunkedBytes: UPLOAD_CAP + (8 << 20),
    headers: { ...owner(), 'Content-Type': 'application/octet-stream' },
    timeoutMs: 60_000,
  }).catch((e: NodeJS.ErrnoException) => ({ status: 0, headers: {}, body: e.code ?? e.message, ms: NaN }) as Reply);
  assert.ok(chunked.status === 413 || RESET.includes(chunked.body), `72 MiB chunked: ${chunked.status} ${chunked.body}`);
  const afterOver = memKb(pid);
  figures.push(
    `upload over the cap: declared 64 MiB + 1 -> ${over.status} in ${over.ms.toFixed(0)}; chunked 72 MiB -> ${chunked.status || chunked.body} in ${chunked.ms.toFixed(0)}; RSS then ${mb(afterOver.rss)}`,
  );

  // 8 uploads of exactly the cap at once: a real photo, padded with zeros after its end to 64 MiB.
  const photo = fs.readFileSync(path.join(FLOWERS, 'c05', fs.readdirSync(path.join(FLOWERS, 'c05')).sort()[0]));
  const big = Buffer.alloc(UPLOAD_CAP);
  photo.copy(big);
  const upT0 = performance.now();
  const ups = await Promise.all(
    Array.from({ length: UPLOADS }, (_, i) =>
      request({ path: `${HTTP.similarToFile}?name=big${i}.jpg&top=3`, body: big, headers: { ...owner(), 'Content-Type': 'application/octet-stream' }, timeoutMs: 120_000 }).catch(
        (e: NodeJS.ErrnoException) => ({ status: 0, headers: {}, body: e.code ?? e.message, ms: performance.now() - upT0 }) as Reply,
      ),
    ),
  );
  const upMs = performance.now() - upT0;
  const afterUp = memKb(pid);
  const codes = ups.map((u) => u.status || u.body);
  const accepted = ups.filter((u) => u.status === 200).length;
  const busy = ups.filter((u) => u.status === 503);
  const reset = ups.filter((u) => u.status === 0 && RESET.includes(u.body));
  figures.push(
    `${UPLOADS} parallel uploads of 64 MiB: ${codes.join(',')} in ${upMs.toFixed(0)} (each ${ups.map((u) => u.ms.toFixed(0)).join(',')}); RSS after ${mb(afterUp.rss)}, sampled peak ${mb(sampledPeakKb)}, VmHWM ${mb(afterUp.hwm)}`,
  );
  assert.ok(accepted >= 1 && accepted <= UPLOADS_IN_FLIGHT, `at most ${UPLOADS_IN_FLIGHT} uploads run at once, at least one did: ${codes.join(',')}`);
  // A 503 comes before the body is read; the connection may be reset under our write before we read it.
  assert.equal(accepted + busy.length + reset.length, UPLOADS, `the others are 503: ${codes.join(',')}`);
  for (const b of busy) assert.ok(Number(b.headers['retry-after']) > 0, `503 with Retry-After: ${JSON.stringify(b.headers)}`);
  const r0 = JSON.parse(ups.find((u) => u.status === 200)!.body);
  assert.equal(r0.result.results.length, 3, 'an accepted upload is answered');

  // Event streams. Each opened stream is kept until the phase ends, then closed.
  const open: http.ClientRequest[] = [];
  const keepOpen = (q: http.ClientRequest) => open.push(q);
  const closeAll = async () => {
    for (const q of open.splice(0)) q.destroy();
    await sleep(300);
  };
  const streams = async (n: number, opts: (i: number) => Partial<Req>) => {
    const replies = await Promise.all(
      Array.from({ length: n }, (_, i) => request({ path: HTTP.events, keepOpen, ...opts(i), headers: { ...opts(i).headers } }).catch((e: Error) => ({ status: 0, body: e.message }) as Reply)),
    );
    const counts: Record<string, number> = {};
    for (const r of replies) counts[r.status] = (counts[r.status] ?? 0) + 1;
    return {
      replies,
      counts,
      text: Object.entries(counts)
        .map(([s, c]) => `${c} x ${s}`)
        .join(', '),
    };
  };
  const foreign = await streams(STREAMS, () => ({ headers: { Origin: 'http://evil.example' } }));
  assert.equal((foreign.counts[401] ?? 0) + (foreign.counts[403] ?? 0), STREAMS, `${STREAMS} foreign, anonymous streams all refused: ${foreign.text}`);
  figures.push(`${STREAMS} event streams from a foreign origin, no credentials: ${foreign.text}`);
  await closeAll();

  const one = await streams(STREAMS, () => ({ headers: { Cookie: cookie } }));
  assert.ok((one.counts[200] ?? 0) >= 1 && (one.counts[200] ?? 0) <= STREAMS_PER_CLIENT, `one client: at most ${STREAMS_PER_CLIENT} streams: ${one.text}`);
  assert.equal((one.counts[200] ?? 0) + (one.counts[429] ?? 0), STREAMS, `the rest 429: ${one.text}`);
  const memOne = memKb(pid);
  figures.push(`${STREAMS} event streams from one signed-in client: ${one.text}; RSS ${mb(memOne.rss)}`);
  await closeAll();
  const again = await request({ path: HTTP.events, keepOpen, headers: { Cookie: cookie } });
  assert.equal(again.status, 200, 'a closed stream frees its place');
  await closeAll();

  // Many clients: 50 addresses on loopback (127.0.0.2 ...), each with its own read-only token, 4 streams each.
  const clients = STREAMS / STREAMS_PER_CLIENT;
  const tokens: string[] = [];
  for (let i = 0; i < clients; i++) {
    const body = Buffer.from(JSON.stringify({ name: `load ${i}`, scope: 'read' }));
    const t = await request({ method: 'POST', path: HTTP.authTokens, body, headers: { ...owner(), 'Content-Type': 'application/json' } });
    assert.equal(t.status, 200, t.body);
    tokens.push((JSON.parse(t.body) as NewApiToken).token);
  }
  const many = await streams(STREAMS, (i) => {
    const c = Math.floor(i / STREAMS_PER_CLIENT);
    return { localAddress: `127.0.0.${c + 2}`, headers: { Authorization: `Bearer ${tokens[c]}` } };
  });
  const memMany = memKb(pid);
  assert.ok((many.counts[200] ?? 0) <= STREAMS_TOTAL, `at most ${STREAMS_TOTAL} streams in all: ${many.text}`);
  assert.ok((many.counts[200] ?? 0) >= STREAMS_TOTAL / 2, `many clients do get streams: ${many.text}`);
  assert.equal((many.counts[200] ?? 0) + (many.counts[429] ?? 0), STREAMS, `the rest 429: ${many.text}`);
  figures.push(`${STREAMS} event streams from ${clients} clients (4 each): ${many.text}; RSS ${mb(memMany.rss)}`);
  await closeAll();

  const idleMs = await idle;
  figures.push(`an idle keep-alive connection closed ${(idleMs / 1000).toFixed(1)} s after its answer`);
  assert.ok(idleMs <= KEEP_ALIVE_MS + 2000, `idle keep-alive closed within ${KEEP_ALIVE_MS} ms + 2 s (took ${idleMs.toFixed(0)})`);
  const closed = await Promise.all(slow);
  const times = closed.map((c) => c.ms).sort((a, b) => a - b);
  const replied = closed.filter((c) => c.reply.startsWith('HTTP/1.1 408')).length;
  figures.push(`${SLOW} stalled headers closed after ${(times[0] / 1000).toFixed(1)}-${(times[times.length - 1] / 1000).toFixed(1)} s (${replied} with a 408)`);
  for (const t of times) assert.ok(t <= SLOW_CLOSE_BOUND_MS, `a stalled header is closed within ${SLOW_CLOSE_BOUND_MS} ms (took ${t.toFixed(0)})`);

  await sleep(1000);
  const end = memKb(pid);
  // VmHWM also holds the start-up's peak (the model loading); it speaks for the load only where
  // the load raised it. Otherwise the 50 ms samples are the load's peak.
  const peakKb = Math.max(sampledPeakKb, end.hwm > base.hwm ? end.hwm : 0);
  figures.push(`RSS: before ${mb(base.rss)}, peak ${mb(peakKb)} (VmHWM ${mb(end.hwm)}, ${mb(base.hwm)} at the start), after ${mb(end.rss)}; bound asserted: peak <= before + ${PEAK_OVER_BASELINE_MB}`);
  assert.ok(peakKb <= base.rss + PEAK_OVER_BASELINE_MB * 1024, `peak RSS ${mb(peakKb)} MB over the bound ${mb(base.rss)} + ${PEAK_OVER_BASELINE_MB} MB`);
  assert.equal((await request({ path: HTTP.authState })).status, 200, 'still answering');
});
