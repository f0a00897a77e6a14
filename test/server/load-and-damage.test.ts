import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SummaryWriter } from '../../src/tensorboard/index.ts';
import { createApp } from '../../src/server/app.ts';
import { createSite, type Site } from '../../src/server/site.ts';

// The site under damage and load: a flipped byte in the 10th of 50 records of an event file, a
// 20 MB run.json, a run folder named `..foo`, ETags, and one render for concurrent identical requests.

const DAMAGED = 'exp/damaged';
const OK = 'exp/ok';
const DOTTED = '..foo/r1';
const HUGE = 'huge/r1';
const HUGE_MARKER = 'HUGE-RUN-JSON-CONTENT-MUST-NOT-BE-ECHOED';

let root: string;
let site: Site;
let server: Server;
let url: string;
/** Where the damaged record starts and how many bytes it spans (header, data and data CRC). */
let damage: { file: string; offset: number; length: number };

const runJson = (id: string) =>
  JSON.stringify({ schemaVersion: 1, id, experiment: id.split('/')[0], status: 'success' });

/** Start offset and total length of each TFRecord in an event file. */
function records(buf: Buffer): { start: number; length: number }[] {
  const out: { start: number; length: number }[] = [];
  for (let p = 0; p < buf.length;) {
    const len = Number(buf.readBigUInt64LE(p));
    out.push({ start: p, length: 12 + len + 4 });
    p += 12 + len + 4;
  }
  return out;
}

/** A run whose train/ event file holds 50 records (file_version + 49 scalars), the 10th with one byte flipped. */
async function writeDamagedRun(logdir: string) {
  const dir = join(logdir, ...DAMAGED.split('/'));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'run.json'), runJson(DAMAGED));
  const writer = await SummaryWriter.create(join(dir, 'train'));
  for (let s = 1; s <= 49; s++) writer.scalar('batch_loss', 1 / s, s, 1_700_000_000 + s);
  await writer.close();
  const name = (await readdir(join(dir, 'train')))[0];
  const path = join(dir, 'train', name);
  const buf = await readFile(path);
  const all = records(buf);
  assert.equal(all.length, 50);
  const tenth = all[9];
  buf[tenth.start + 12 + 3] ^= 0xff;
  await writeFile(path, buf);
  damage = { file: `${DAMAGED}/train/${name}`, offset: tenth.start, length: tenth.length };
}

async function writeOtherRuns(logdir: string) {
  for (const id of [OK, DOTTED]) {
    const dir = join(logdir, ...id.split('/'));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'run.json'), runJson(id));
    const writer = await SummaryWriter.create(join(dir, 'train'));
    for (let s = 1; s <= 20; s++) writer.scalar('epoch_loss', 2 / s, s, 1_700_000_000 + s);
    await writer.close();
  }
  const hugeDir = join(logdir, ...HUGE.split('/'));
  await mkdir(hugeDir, { recursive: true });
  const filler = `"${HUGE_MARKER} ${'x'.repeat(20 * 1024 * 1024)}"`;
  await writeFile(join(hugeDir, 'run.json'), `{"id":"${HUGE}","notes":${filler}}`);
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tl-site-load-'));
  const logdir = join(root, 'logs');
  await writeDamagedRun(logdir);
  await writeOtherRuns(logdir);
  const opts = { logdir, host: '127.0.0.1' };
  site = createSite(opts);
  server = createApp(opts, site).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The runs table learns of damage from a background read of every run's event files.
  for (let i = 0; i < 200; i++) {
    const v = (await (await fetch(`${url}/api/version.json`)).json()) as { pendingDamageChecks: number };
    if (v.pendingDamageChecks === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(root, { recursive: true, force: true });
});

interface RunJson {
  id: string;
  error: string | null;
  warnings: string[];
  damage: { file: string; offset: number; skippedBytes: number | null; reason: string }[];
}

async function runsJson(): Promise<{ text: string; runs: RunJson[] }> {
  const text = await (await fetch(`${url}/api/runs.json`)).text();
  return { text, runs: (JSON.parse(text) as { runs: RunJson[] }).runs };
}

test('a damaged event file: the JSON API, the runs table and the run page name the file and offset', async () => {
  const { runs } = await runsJson();
  const run = runs.find((r) => r.id === DAMAGED)!;
  assert.equal(run.damage.length, 1);
  assert.equal(run.damage[0].file, damage.file);
  assert.equal(run.damage[0].offset, damage.offset);
  assert.match(run.damage[0].reason, /CRC/);
  assert.deepEqual(runs.find((r) => r.id === OK)!.damage, []);

  const line = `${damage.file}: damaged record at byte ${damage.offset}`;
  const table = await (await fetch(`${url}/`)).text();
  const row = table.slice(table.indexOf(`data-id="${DAMAGED}"`), table.indexOf('</tr>', table.indexOf(DAMAGED)));
  assert.ok(row.includes(`damaged: ${line}`), row);
  const page = await (await fetch(`${url}/runs/${DAMAGED}`)).text();
  assert.ok(page.includes(line), 'the run page names the damaged file and offset');
});

test('after the damaged record the intact ones are still read: 49 of 50 records', async () => {
  const res = await fetch(`${url}/api/runs/${DAMAGED}/scalars?tag=${encodeURIComponent('train/batch_loss')}`);
  const { points } = (await res.json()) as { points: { step: number }[] };
  // 49 records read = the file_version record + 48 of the 49 scalars (step 9 sat in the damaged record).
  assert.equal(points.length, 48);
  assert.ok(!points.some((p) => p.step === 9));
  const { runs } = await runsJson();
  assert.equal(runs.find((r) => r.id === DAMAGED)!.damage[0].skippedBytes, damage.length);
});

test('a 20 MB run.json is listed as unreadable, its content never echoed', async () => {
  const { text, runs } = await runsJson();
  const run = runs.find((r) => r.id === HUGE);
  assert.ok(run, 'the run is listed');
  assert.match(run.warnings.join('\n'), /huge\/r1\/run\.json: unreadable: 20\.0 MB is over the 1\.0 MB limit/);
  assert.match(run.error ?? '', /unreadable/);
  assert.ok(!text.includes(HUGE_MARKER));
  for (const path of ['/', `/runs/${HUGE}`, `/compare?runs=${HUGE}`]) {
    const body = await (await fetch(url + path)).text();
    assert.ok(body.includes('unreadable'), `${path} says why`);
    assert.ok(!body.includes(HUGE_MARKER), `${path} does not echo run.json`);
  }
});

test('run folders named with a leading dot (`..foo/`) are listed and open', async () => {
  const { runs } = await runsJson();
  assert.ok(runs.some((r) => r.id === DOTTED));
  const page = await fetch(`${url}/runs/..foo/r1`);
  assert.equal(page.status, 200);
  assert.ok((await page.text()).includes(DOTTED));
});

test('pages carry an ETag: If-None-Match answers 304 with no body; large pages are gzipped', async () => {
  const first = await fetch(`${url}/`);
  const etag = first.headers.get('etag');
  assert.ok(etag);
  assert.equal(first.headers.get('content-encoding'), 'gzip');
  assert.equal(first.headers.get('cache-control'), 'no-cache');
  await first.arrayBuffer();
  const again = await fetch(`${url}/`, { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
  assert.equal((await again.arrayBuffer()).byteLength, 0);
  const other = await fetch(`${url}/`, { headers: { 'if-none-match': '"something-else"' } });
  assert.equal(other.status, 200);
  const json = await fetch(`${url}/api/runs.json`);
  const again2 = await fetch(`${url}/api/runs.json`, { headers: { 'if-none-match': json.headers.get('etag')! } });
  assert.equal(again2.status, 304);
});

test('concurrent identical requests for an uncached page share one render; a repeat is served from cache', async () => {
  const path = `/compare?runs=${encodeURIComponent(OK)},${encodeURIComponent(DOTTED)}&smoothing=0.37`;
  const before = site.renders.renders;
  const bodies = await Promise.all(Array.from({ length: 12 }, () => fetch(url + path).then((r) => r.text())));
  assert.equal(site.renders.renders - before, 1);
  assert.ok(bodies.every((b) => b === bodies[0] && b.includes('Compare runs')));
  await (await fetch(url + path)).text();
  assert.equal(site.renders.renders - before, 1);
  await (await fetch(url + path.replace('0.37', '0.38'))).text();
  assert.equal(site.renders.renders - before, 2, 'other options are another render');
});

async function eventually(check: () => Promise<boolean>, what: string) {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`${what} within 5 s`);
}

test('a cached page is rendered again once what it reads changes (run.json, event files)', async () => {
  const dir = join(root, 'logs', ...OK.split('/'));
  const page = () => fetch(`${url}/runs/${OK}`).then((r) => r.text());
  const first = await page();
  assert.ok(!first.includes('renamed-run'));
  await writeFile(join(dir, 'run.json'), JSON.stringify({ ...JSON.parse(runJson(OK)), name: 'renamed-run' }));
  await eventually(async () => (await page()).includes('renamed-run'), 'the run page shows the new run.json');
  await eventually(
    async () => (await fetch(`${url}/`).then((r) => r.text())).includes('renamed-run'),
    'the runs table shows the new run.json',
  );
  const scalars = () =>
    fetch(`${url}/api/runs/${OK}/scalars?tag=${encodeURIComponent('train/epoch_loss')}`)
      .then((r) => r.json())
      .then((b: { points: unknown[] }) => b.points.length);
  assert.equal(await scalars(), 20);
  const writer = await SummaryWriter.create(join(dir, 'train'));
  writer.scalar('epoch_loss', 0.01, 21, 1_700_000_100);
  await writer.close();
  await eventually(async () => (await scalars()) === 21, 'the scalars API shows the appended event');
});
