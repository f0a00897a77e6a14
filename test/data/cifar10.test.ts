// Parsing on the real files in ../shared/data/cifar-10-batches-bin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, mkdtemp, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  CIFAR10_CLASSES,
  classCounts,
  imageView,
  loadBatchFiles,
  loadCifar10,
  readClassNames,
  RECORD_BYTES,
  resolveCifar10Dir,
} from '../../src/data/index.ts';
import { cifarDir } from '../helpers/shared.ts';
import { resolveLocations, type LocationFlags } from '../../src/experiment/locations.ts';

const dir = cifarDir();
const data = await loadCifar10(dir);

async function rawRecord(file: string, record: number): Promise<Buffer> {
  const handle = await open(join(dir, file), 'r');
  try {
    const buf = Buffer.alloc(RECORD_BYTES);
    await handle.read(buf, 0, RECORD_BYTES, record * RECORD_BYTES);
    return buf;
  } finally {
    await handle.close();
  }
}

test('50,000 training and 10,000 test records, 5,000 and 1,000 per class', () => {
  assert.equal(data.train.count, 50_000);
  assert.equal(data.test.count, 10_000);
  assert.equal(data.train.images.length, 50_000 * 3072);
  assert.deepEqual(classCounts(data.train), new Array(10).fill(5000));
  assert.deepEqual(classCounts(data.test), new Array(10).fill(1000));
});

test('class names from batches.meta.txt, in label order', async () => {
  assert.deepEqual(data.classNames, [...CIFAR10_CLASSES]);
  assert.deepEqual(await readClassNames(join(dir, 'batches.meta.txt')), [
    'airplane',
    'automobile',
    'bird',
    'cat',
    'deer',
    'dog',
    'frog',
    'horse',
    'ship',
    'truck',
  ]);
});

test('records match the raw bytes: label, and pixel (y, x, c) = plane c at y·32 + x', async () => {
  const cases: [string, number, 'train' | 'test', number][] = [
    ['data_batch_1.bin', 0, 'train', 0],
    ['data_batch_1.bin', 9_999, 'train', 9_999],
    ['data_batch_3.bin', 1_234, 'train', 21_234],
    ['data_batch_5.bin', 9_999, 'train', 49_999],
    ['test_batch.bin', 4_321, 'test', 4_321],
  ];
  for (const [file, record, split, index] of cases) {
    const raw = await rawRecord(file, record);
    const set = data[split];
    assert.equal(set.labels[index], raw[0], `${file} record ${record} label`);
    const image = imageView(set, index);
    for (const [y, x] of [
      [0, 0],
      [0, 31],
      [17, 5],
      [31, 31],
    ]) {
      for (let c = 0; c < 3; c++) {
        assert.equal(
          image[(y * 32 + x) * 3 + c],
          raw[1 + c * 1024 + y * 32 + x],
          `${file} #${record} (${y},${x},${c})`,
        );
      }
    }
  }
});

test('a file of the wrong size or with a label out of range is an error naming the file and record', async (t) => {
  const tmp = await mkdtemp(join(tmpdir(), 'tl-cifar-bad-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  const short = join(tmp, 'data_batch_1.bin');
  await writeFile(short, Buffer.alloc(RECORD_BYTES * 3));
  await assert.rejects(
    loadBatchFiles([short]),
    new RegExp(`^Error: ${short}: 9219 bytes, expected 30730000 \\(10000 records of 3073 bytes\\)$`),
  );

  const bad = join(tmp, 'data_batch_2.bin');
  await copyFile(join(dir, 'data_batch_2.bin'), bad);
  const handle = await open(bad, 'r+');
  await handle.write(Buffer.from([12]), 0, 1, 777 * RECORD_BYTES);
  await handle.close();
  await assert.rejects(loadBatchFiles([bad]), { message: `${bad}: record 777 has label 12, expected 0–9` });
  await assert.rejects(loadBatchFiles([join(tmp, 'nope.bin')]), /nope\.bin: cannot read CIFAR-10 batch \(ENOENT\)/);
});

/** The data folder the CLI would use for these flags and this environment. */
const dataDirFor = (flags: LocationFlags, env: NodeJS.ProcessEnv) => resolveLocations(flags, env).dataDir;

test('location: --data-dir > TRANSFERLAB_DATA_DIR > <cache>/datasets; the folder or its parent', async (t) => {
  const parent = dirname(dir);
  assert.equal(await resolveCifar10Dir({ dataDir: dir, download: false }), dir);
  assert.equal(await resolveCifar10Dir({ dataDir: parent, download: false }), dir);
  assert.equal(
    await resolveCifar10Dir({ dataDir: dataDirFor({}, { TRANSFERLAB_DATA_DIR: parent }), download: false }),
    dir,
  );
  const empty = await mkdtemp(join(tmpdir(), 'tl-cifar-empty-'));
  t.after(() => rm(empty, { recursive: true, force: true }));
  // the flag wins over the variable
  await assert.rejects(
    resolveCifar10Dir({ dataDir: dataDirFor({ dataDir: empty }, { TRANSFERLAB_DATA_DIR: parent }), download: false }),
    /CIFAR-10 not found/,
  );
  assert.equal(
    await resolveCifar10Dir({
      dataDir: dataDirFor({ dataDir: dir }, { TRANSFERLAB_DATA_DIR: empty }),
      download: false,
    }),
    dir,
  );
  // default: the cache's datasets folder
  await assert.rejects(
    resolveCifar10Dir({ dataDir: dataDirFor({}, { TRANSFERLAB_CACHE_DIR: empty }), download: false }),
    {
      message: new RegExp(
        `^CIFAR-10 not found: ${join(empty, 'datasets', 'cifar-10-batches-bin')} lacks data_batch_1\\.bin`,
      ),
    },
  );
});
