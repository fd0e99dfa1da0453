// The duplicates report as a person opens it: self-contained HTML with real thumbnails, CSV that
// a spreadsheet reads safely, JSON with one row per photo. Real photos; the groups are made by
// hand here (finding them is test/integration/duplicates.test.ts's job).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { reportCsv, reportHtml, reportJson, reportRows } from '../../src/core/duplicates/report.js';
import type { DuplicateReport } from '../../src/core/duplicates/find.js';
import { emptyPairCounts } from '../../src/core/duplicates/types.js';

const DIR = path.resolve('../shared/datasets/flowers17/c01');

function sample(): { report: DuplicateReport; tmp: string } {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-dupreport-'));
  const [a, b] = fs
    .readdirSync(DIR)
    .sort()
    .slice(0, 2)
    .map((f) => path.join(DIR, f));
  // A name a spreadsheet would run as a formula, with a comma, a quote and HTML in it.
  const odd = path.join(tmp, '=cmd,"x" <b>.jpg');
  fs.copyFileSync(a, odd);
  const gone = path.join(tmp, 'vanished.jpg');
  const member = (id: number, p: string, score: number, identical: boolean) => ({ id, path: p, width: 512, height: 384, size: fs.statSync(a).size, hash: null, score, identical });
  return {
    tmp,
    report: {
      groups: [
        { tier: 'exact', members: [member(1, a, 1, true), member(2, odd, 1, true)], keeper: 1, reason: 'same bytes; shortest path', key: 'a1' },
        { tier: 'near', members: [member(3, b, 1, true), member(4, gone, 0.61, false)], keeper: 3, reason: 'most pixels (512 x 384)', key: 'b2' },
      ],
      similar: [],
      keptAll: [],
      decisions: 0,
      photos: 80,
      sensitivity: 0.45,
      similarShots: 0.4,
      neighbours: 10,
      pairs: { ...emptyPairCounts(), candidates: 3, accepted: 1 },
      ms: 12,
      timings: { snapshotMs: 1, phashMs: 1, wordsMs: 9, keysMs: 2, wordPairsMs: 7, groupsMs: 1, verifyMs: 0, keyBytes: 0, cpuMs: { snapshot: 1, phash: 1, words: 9, groups: 1 } },
    },
  };
}

test('CSV and JSON: one row per photo, keeper first, quoted safely', () => {
  const { report, tmp } = sample();
  try {
    const rows = reportRows(report);
    assert.equal(rows.length, 4);
    assert.deepEqual(
      rows.map((r) => [r.group, r.keep]),
      [
        [1, true],
        [1, false],
        [2, true],
        [2, false],
      ],
    );
    assert.equal(rows[3].modified, null, 'a vanished file has no date, and no crash');
    const csv = reportCsv(report).split('\r\n');
    assert.equal(csv[0], 'group,tier,keep,path,width,height,bytes,modified,captureDate,similarity,phashBits,identical,joinedBy,reason');
    assert.ok(csv[2].includes(`"${path.join(tmp, '=cmd,""x"" <b>.jpg')}"`), 'commas and quotes are quoted');
    assert.ok(
      csv.slice(1).every((l) => !l.startsWith('=')),
      'nothing a spreadsheet would run as a formula',
    );
    const json = JSON.parse(reportJson(report));
    assert.equal(json.rows.length, 4);
    assert.equal(json.groups, 2);
    assert.equal(json.sensitivity, 0.45);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('HTML: self-contained, thumbnails embedded, names escaped, the keeper and why', async () => {
  const { report, tmp } = sample();
  try {
    const html = await reportHtml(report, { title: 'test.db' });
    assert.equal((html.match(/<img src="data:image\/jpeg;base64,/g) ?? []).length, 3, 'three readable photos embedded');
    assert.match(html, /no preview/, 'the vanished one says so');
    assert.doesNotMatch(html, /(src|href)="https?:/, 'loads nothing from anywhere');
    assert.doesNotMatch(html, /<b>\.jpg/, 'a file name cannot inject HTML');
    assert.match(html, /&lt;b&gt;\.jpg/);
    assert.match(html, /Suggested keeper: <b>image_0001\.jpg<\/b>, same bytes; shortest path/);
    assert.match(html, /Nothing has been moved or deleted/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
