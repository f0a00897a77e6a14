// The CIFAR-10 download path end to end: a local HTTP server serves small archives in the official layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CIFAR10_FILES,
  Cifar10NotFoundError,
  decodeRecords,
  extractCifar10Archive,
  PIXELS_PER_IMAGE,
  RECORD_BYTES,
  resolveCifar10Dir,
} from '../../src/data/index.ts';
import type { RemoteFile } from '../../src/download/index.ts';
import { serveBytes, startServer } from '../download/server.ts';
import { tarGz, type Member } from './tar-fixture.ts';

const RECORDS = 4;
function batchBytes(seed: number): Buffer {
  const bytes = randomBytes(RECORDS * RECORD_BYTES);
  for (let r = 0; r < RECORDS; r++) bytes[r * RECORD_BYTES] = (seed + r) % 10;
  return bytes;
}

const contents = new Map<string, Buffer>(
  CIFAR10_FILES.map((name, i) => [name, name.endsWith('.txt') ? Buffer.from('airplane\nautomobile\n') : batchBytes(i)]),
);
const official: Member[] = [
  { path: 'cifar-10-batches-bin/', type: 'Directory' },
  ...CIFAR10_FILES.map((name) => ({ path: `cifar-10-batches-bin/${name}`, data: contents.get(name) })),
  { path: 'cifar-10-batches-bin/readme.html', data: Buffer.from('<html></html>') },
];

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tl-cifar-archive-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function serveArchive(t: { after: (fn: () => Promise<void>) => void }, archive: Buffer, cut?: number) {
  const server = await startServer(serveBytes(archive, cut));
  t.after(server.close);
  return server;
}

/** Every file below `dir`, relative, sorted (dot files included). */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() || e.isSymbolicLink())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(dir.length + 1))
    .sort();
}

test('good archive: downloaded, verified, seven files extracted (readme.html skipped), archive removed', async (t) => {
  const archive = tarGz(official);
  const server = await serveArchive(t, archive);
  const root = await tempDir(t);
  const file: RemoteFile = {
    url: server.url('/cifar-10-binary.tar.gz'),
    fileName: 'cifar-10-binary.tar.gz',
    md5: md5(archive),
  };
  const dir = await resolveCifar10Dir({ dataDir: root, archive: file, progress: 'none' });
  assert.equal(dir, join(root, 'cifar-10-batches-bin'));
  assert.deepEqual(await tree(root), CIFAR10_FILES.map((f) => `cifar-10-batches-bin/${f}`).sort());
  for (const name of CIFAR10_FILES) assert.deepEqual(await readFile(join(dir, name)), contents.get(name), name);

  // the extracted batches decode: labels as written, pixels moved from planes to HWC
  const bytes = await readFile(join(dir, 'data_batch_2.bin'));
  const images = new Uint8Array(RECORDS * PIXELS_PER_IMAGE);
  const labels = new Uint8Array(RECORDS);
  assert.equal(decodeRecords(bytes, 'data_batch_2.bin', images, labels), RECORDS);
  assert.deepEqual([...labels], [1, 2, 3, 4]);
  assert.equal(images[3 * PIXELS_PER_IMAGE + 3 * 5 + 2], bytes[3 * RECORD_BYTES + 1 + 2048 + 5]);

  // found again without the network
  await server.close();
  assert.equal(await resolveCifar10Dir({ dataDir: root, archive: file, download: false }), dir);
  assert.equal(await resolveCifar10Dir({ dataDir: dir, download: false }), dir);
});

test('wrong md5: nothing extracted, nothing left, error names URL, files and where to put them', async (t) => {
  const archive = tarGz(official);
  const server = await serveArchive(t, archive);
  const root = await tempDir(t);
  const url = server.url('/cifar-10-binary.tar.gz');
  const err = await resolveCifar10Dir({
    dataDir: root,
    archive: { url, fileName: 'cifar-10-binary.tar.gz', md5: 'f'.repeat(32) },
    progress: 'none',
  }).catch((e: unknown) => e);
  assert.ok(err instanceof Cifar10NotFoundError, String(err));
  assert.match(err.message, /md5 mismatch/);
  assert.ok(err.message.includes(url));
  assert.ok(err.message.includes(join(root, 'cifar-10-batches-bin')));
  assert.ok(err.message.includes(CIFAR10_FILES.join(', ')));
  assert.match(err.message, /TRANSFERLAB_DATA_DIR/);
  assert.doesNotMatch(err.message, /\n/);
  assert.deepEqual(await tree(root), []);
});

test('truncated transfer: server closes early, no partial archive or file', async (t) => {
  const archive = tarGz(official);
  const server = await serveArchive(t, archive, Math.floor(archive.length / 2));
  const root = await tempDir(t);
  const err = await resolveCifar10Dir({
    dataDir: root,
    archive: { url: server.url('/a.tar.gz'), fileName: 'cifar-10-binary.tar.gz', md5: md5(archive) },
    progress: 'none',
  }).catch((e: unknown) => e);
  assert.ok(err instanceof Cifar10NotFoundError, String(err));
  assert.match(err.message, /transfer interrupted|truncated/);
  assert.deepEqual(await tree(root), []);
});

test('network unreachable: one clear error naming URL, expected files and where to put them', async (t) => {
  const server = await startServer(serveBytes(Buffer.alloc(0)));
  const url = server.url('/cifar-10-binary.tar.gz');
  await server.close();
  const root = await tempDir(t);
  const err = await resolveCifar10Dir({
    dataDir: root,
    archive: { url, fileName: 'cifar-10-binary.tar.gz' },
    progress: 'none',
  }).catch((e: unknown) => e);
  assert.ok(err instanceof Cifar10NotFoundError, String(err));
  assert.match(err.message, /^CIFAR-10 not found: .* lacks data_batch_1\.bin, .*network unreachable \(ECONNREFUSED/);
  assert.ok(err.message.includes(`download ${url} by hand and extract it in ${root}`));
  assert.deepEqual(await tree(root), []);
});

for (const [name, evil] of [
  ['a member named ../evil', { path: '../evil', data: Buffer.from('pwned') }],
  [
    'a ../ path that normalises back inside',
    { path: 'cifar-10-batches-bin/../cifar-10-batches-bin/test_batch.bin', data: Buffer.from('x') },
  ],
  ['an absolute path', { path: '/tmp/evil', data: Buffer.from('pwned') }],
  ['a symlink member', { path: 'cifar-10-batches-bin/test_batch.bin', type: 'SymbolicLink', linkpath: '/etc/passwd' }],
  [
    'a hard link member',
    { path: 'cifar-10-batches-bin/test_batch.bin', type: 'Link', linkpath: 'cifar-10-batches-bin/data_batch_1.bin' },
  ],
  ['a device member', { path: 'cifar-10-batches-bin/test_batch.bin', type: 'CharacterDevice' }],
  ['an unexpected file', { path: 'cifar-10-batches-bin/run.sh', data: Buffer.from('#!/bin/sh') }],
] as [string, Member][]) {
  test(`refuses an archive with ${name}; nothing is written inside or outside the target`, async (t) => {
    const archive = tarGz([
      ...official.filter((m) => !m.path.endsWith('test_batch.bin') || evil.type === undefined),
      evil,
    ]);
    const server = await serveArchive(t, archive);
    const base = await tempDir(t);
    const root = join(base, 'data');
    const err = await resolveCifar10Dir({
      dataDir: root,
      archive: { url: server.url('/a.tar.gz'), fileName: 'cifar-10-binary.tar.gz', md5: md5(archive) },
      progress: 'none',
    }).catch((e: unknown) => e);
    assert.ok(err instanceof Error && !(err instanceof Cifar10NotFoundError), String(err));
    assert.ok(err.message.includes(`refusing member "${evil.path}"`), err.message);
    assert.deepEqual(await tree(base), [], 'no extracted file, no part, no archive, nothing outside');
  });
}

test('an archive lacking a member or not being a tar.gz is refused without partial files', async (t) => {
  const dir = await tempDir(t);
  const lacking = join(dir, 'lacking.tar.gz');
  await writeFile(lacking, tarGz(official.filter((m) => !m.path.endsWith('data_batch_3.bin'))));
  await assert.rejects(
    extractCifar10Archive(lacking, join(dir, 'out')),
    /archive lacks cifar-10-batches-bin\/data_batch_3\.bin/,
  );
  const junk = join(dir, 'junk.tar.gz');
  const full = tarGz(official);
  await writeFile(junk, full.subarray(0, full.length - 200));
  await assert.rejects(extractCifar10Archive(junk, join(dir, 'out')), /not a complete tar\.gz archive/);
  assert.deepEqual(await tree(dir), ['junk.tar.gz', 'lacking.tar.gz']);
});

test('download off: the error says what is missing and what to do, without touching the network', async (t) => {
  const root = await tempDir(t);
  await assert.rejects(
    resolveCifar10Dir({ dataDir: root, download: false }),
    (err: Error) =>
      err instanceof Cifar10NotFoundError &&
      err.message.includes('downloading is off') &&
      err.message.includes(
        'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz (md5 c32a1d4ab5d03f1284b67883e8d87530)',
      ),
  );
});
