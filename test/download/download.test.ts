import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { cacheDir, download, DownloadError, md5File } from '../../src/download/index.ts';
import { createProgress } from '../../src/download/progress.ts';
import { serveBytes, startServer } from './server.ts';

const body = randomBytes(300_000);
const md5 = createHash('md5').update(body).digest('hex');

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tl-download-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function capture(): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

async function assertFailsCleanly(promise: Promise<unknown>, dir: string, pattern: RegExp): Promise<DownloadError> {
  const err = await promise.then(
    () => assert.fail('download should have failed'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof DownloadError, `expected DownloadError, got ${err}`);
  assert.match(err.message, pattern);
  assert.doesNotMatch(err.message, /\n/, 'one line');
  assert.deepEqual(await readdir(dir), [], 'no partial or final file left');
  return err;
}

test('downloads, verifies md5 and size, reports progress as lines, leaves only the final file', async (t) => {
  const server = await startServer(serveBytes(body));
  t.after(server.close);
  const dir = await tempDir(t);
  const out = capture();
  const path = await download({ url: server.url('/f.bin'), fileName: 'f.bin', md5, size: body.length }, dir, {
    progress: 'auto',
    progressStream: out.stream,
  });
  assert.equal(path, join(dir, 'f.bin'));
  assert.deepEqual(await readFile(path), body);
  assert.deepEqual(await readdir(dir), ['f.bin']);
  assert.equal(await md5File(path), md5);
  assert.match(out.text(), /downloading f\.bin: starting \(0\.3 MiB\)/);
  assert.match(out.text(), /downloading f\.bin: done, 0\.3 MiB in/);

  // a verified file already there is not fetched again; a corrupted one is replaced
  await download({ url: server.url('/f.bin'), fileName: 'f.bin', md5 }, dir, { progress: 'none' });
  assert.equal(server.requests.length, 1);
  await writeFile(path, 'corrupt');
  await download({ url: server.url('/f.bin'), fileName: 'f.bin', md5 }, dir, { progress: 'none' });
  assert.equal(server.requests.length, 2);
  assert.deepEqual(await readFile(path), body);
});

test('wrong md5: no file, one-line error naming URL, destination and what to do', async (t) => {
  const server = await startServer(serveBytes(body));
  t.after(server.close);
  const dir = await tempDir(t);
  const url = server.url('/f.bin');
  const err = await assertFailsCleanly(
    download({ url, fileName: 'f.bin', md5: '0'.repeat(32) }, dir, {
      progress: 'none',
      hint: 'or set TRANSFERLAB_DATA_DIR',
    }),
    dir,
    /md5 mismatch/,
  );
  assert.ok(err.message.includes(url));
  assert.ok(err.message.includes(`download it by hand to ${join(dir, 'f.bin')}`));
  assert.ok(err.message.endsWith('or set TRANSFERLAB_DATA_DIR'));
});

test('truncated transfer (server closes early) leaves nothing behind', async (t) => {
  const server = await startServer(serveBytes(body, 100_000));
  t.after(server.close);
  const dir = await tempDir(t);
  await assertFailsCleanly(
    download({ url: server.url('/f.bin'), fileName: 'f.bin', md5 }, dir, { progress: 'none' }),
    dir,
    /transfer interrupted after \d+ bytes|truncated/,
  );
});

test('size announced differently from the expected size, HTTP errors', async (t) => {
  const server = await startServer((req, res) => {
    if (req.url === '/missing') {
      res.writeHead(404).end('nope');
      return;
    }
    serveBytes(body)(req, res);
  });
  t.after(server.close);
  const dir = await tempDir(t);
  await assertFailsCleanly(
    download({ url: server.url('/f.bin'), fileName: 'f.bin', size: body.length + 1 }, dir, { progress: 'none' }),
    dir,
    /server announces 300000 bytes, expected 300001/,
  );
  await assertFailsCleanly(
    download({ url: server.url('/missing'), fileName: 'f.bin' }, dir, { progress: 'none' }),
    dir,
    /HTTP 404/,
  );
});

test('network unreachable gives the same clear error', async (t) => {
  const server = await startServer(serveBytes(body));
  const url = server.url('/f.bin');
  await server.close(); // nothing listens on that port any more
  const dir = await tempDir(t);
  const err = await assertFailsCleanly(
    download({ url, fileName: 'f.bin', md5 }, dir, { progress: 'none' }),
    dir,
    /network unreachable \(ECONNREFUSED/,
  );
  assert.ok(err.message.startsWith(`cannot download ${url} to ${join(dir, 'f.bin')}`));
});

test('a stalled transfer is aborted and cleaned up', async (t) => {
  const server = await startServer((_req, res) => {
    res.writeHead(200, { 'content-length': String(body.length) });
    res.write(body.subarray(0, 1000)); // then nothing more
  });
  t.after(server.close);
  const dir = await tempDir(t);
  await assertFailsCleanly(
    download({ url: server.url('/f.bin'), fileName: 'f.bin' }, dir, { progress: 'none', stallTimeoutMs: 300 }),
    dir,
    /no data for 0\.3 s/,
  );
});

test('an aborted download (signal) is cleaned up', async (t) => {
  const server = await startServer((_req, res) => {
    res.writeHead(200, { 'content-length': String(body.length) });
    res.write(body.subarray(0, 1000));
  });
  t.after(server.close);
  const dir = await tempDir(t);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 200);
  await assertFailsCleanly(
    download({ url: server.url('/f.bin'), fileName: 'f.bin' }, dir, { progress: 'none', signal: controller.signal }),
    dir,
    /download interrupted/,
  );
});

test('Ctrl-C during a download leaves no partial file; stale parts of dead processes are removed', async (t) => {
  let sawRequest!: () => void;
  const requested = new Promise<void>((ok) => (sawRequest = ok));
  const server = await startServer((_req, res) => {
    res.writeHead(200, { 'content-length': String(10 * body.length) });
    res.write(body, () => sawRequest());
  });
  t.after(server.close);
  const dir = await tempDir(t);
  const script = fileURLToPath(new URL('./fixtures/download-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, server.url('/big.bin'), dir], { stdio: 'pipe' });
  const exited = new Promise<NodeJS.Signals | number | null>((ok) => child.on('exit', (code, sig) => ok(sig ?? code)));
  await requested;
  // wait until the part file exists, so the interruption really happens mid-transfer
  for (let i = 0; i < 1000 && (await readdir(dir)).length === 0; i++) await new Promise((ok) => setTimeout(ok, 10));
  assert.match((await readdir(dir))[0] ?? '', /^\.big\.bin\.\d+\.[0-9a-f]+\.part$/);
  child.kill('SIGINT');
  assert.equal(await exited, 'SIGINT');
  assert.deepEqual(await readdir(dir), []);

  await writeFile(join(dir, '.f.bin.999999999.abcd1234.part'), 'left by a killed process');
  const good = await startServer(serveBytes(body));
  t.after(good.close);
  await download({ url: good.url('/f.bin'), fileName: 'f.bin', md5 }, dir, { progress: 'none' });
  assert.deepEqual(await readdir(dir), ['f.bin']);
});

test('refuses a file name that is not a plain name', async (t) => {
  const dir = await tempDir(t);
  await assertFailsCleanly(
    download({ url: 'http://127.0.0.1:9/x', fileName: '../x' }, dir),
    dir,
    /not a plain file name/,
  );
});

test('cacheDir: TRANSFERLAB_CACHE_DIR, else XDG_CACHE_HOME/transfer-lab, else ~/.cache/transfer-lab', () => {
  assert.equal(cacheDir({ TRANSFERLAB_CACHE_DIR: '/tmp/c' }), '/tmp/c');
  assert.equal(cacheDir({ XDG_CACHE_HOME: '/tmp/x' }), '/tmp/x/transfer-lab');
  assert.match(cacheDir({}), /\/\.cache\/transfer-lab$/);
});

test('on a TTY the progress is a live bar with bytes, rate and ETA', async (t) => {
  const server = await startServer(serveBytes(body));
  t.after(server.close);
  const dir = await tempDir(t);
  const out = capture();
  Object.assign(out.stream, { isTTY: true, columns: 120 });
  await download({ url: server.url('/f.bin'), fileName: 'f.bin', md5, size: body.length }, dir, {
    progress: 'auto',
    progressStream: out.stream,
  });
  assert.match(out.text(), /downloading f\.bin \[[█░]+\] 100% \| 0\.3\/0\.3 MiB \| [\d.]+ MiB\/s \| ETA 0s/);
  assert.doesNotMatch(out.text(), /starting/, 'no plain lines on a TTY');
});

test('plain progress lines carry bytes, percentage, rate and ETA', () => {
  const out = capture();
  const progress = createProgress('lines', 'downloading x', 4 * 2 ** 20, out.stream, 0);
  progress.update(2 ** 20);
  progress.finish(false);
  const lines = out.text().trim().split('\n');
  assert.equal(lines[0], 'downloading x: starting (4.0 MiB)');
  assert.match(lines[1], /^downloading x: 1\.0\/4\.0 MiB \(25%\), [\d.]+ MiB\/s, ETA \d+ (s|min|h)$/);
  assert.equal(lines[2], 'downloading x: failed after 1.0 MiB');
  const silent = capture();
  createProgress('none', 'x', 10, silent.stream).update(5);
  assert.equal(silent.text(), '');
});
