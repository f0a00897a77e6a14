// Live reading: a reader tailing files that are being written never sees half a record as data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, appendFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SummaryWriter, RunReader } from '../../src/tensorboard/index.ts';
import { withTempDir } from './helpers.ts';

test('a reader tailing a file appended in pieces that split records sees only whole records', async () => {
  await withTempDir(async (dir) => {
    const w = await SummaryWriter.create(join(dir, 'src'));
    const values = Array.from({ length: 300 }, (_, i) => Math.fround(Math.cos(i)));
    values.forEach((v, i) => w.scalar('batch_loss', v, i));
    await w.close();
    const name = (await readdir(join(dir, 'src')))[0];
    const bytes = await readFile(join(dir, 'src', name));
    const live = join(dir, 'live');
    await mkdir(live);
    await writeFile(join(live, name), '');
    const r = new RunReader(live);
    let pos = 0;
    let seed = 7;
    let lastCount = 0;
    while (pos < bytes.length) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const piece = 1 + (seed % 97);
      await appendFile(join(live, name), bytes.subarray(pos, pos + piece));
      pos += piece;
      await r.update();
      const got = r.scalars('batch_loss').map((p) => p.value);
      assert.deepEqual(got, values.slice(0, got.length));
      assert.ok(got.length >= lastCount);
      lastCount = got.length;
    }
    assert.equal(lastCount, 300);
    assert.deepEqual(r.warnings, []);
  });
});

test('update() reads only new bytes, returns false if nothing changed, picks up new files in name order', async () => {
  await withTempDir(async (dir) => {
    const w1 = await SummaryWriter.create(dir);
    const r = new RunReader(dir);
    w1.scalar('epoch_loss', 1, 0);
    await w1.flush();
    assert.equal(await r.update(), true);
    assert.equal(await r.update(), false);
    const [first] = r.fileNames();
    const off1 = r.offsets()[first];
    w1.scalar('epoch_loss', 2, 1);
    await w1.flush();
    assert.equal(await r.update(), true);
    assert.ok(r.offsets()[first] > off1);
    await w1.close();
    // A resumed run writes a new file; it sorts after the first one.
    const w2 = await SummaryWriter.create(dir);
    w2.scalar('epoch_loss', 3, 2);
    await w2.close();
    assert.equal(await r.update(), true);
    assert.equal(r.fileNames().length, 2);
    assert.deepEqual(r.fileNames(), [...r.fileNames()].sort());
    assert.deepEqual(
      r.scalars('epoch_loss').map((p) => [p.step, p.value]),
      [
        [0, 1],
        [1, 2],
        [2, 3],
      ],
    );
    assert.deepEqual(r.warnings, []);
  });
});

test('concurrent writer and reader in one process: every update is a prefix, close() loses nothing', async () => {
  await withTempDir(async (dir) => {
    const w = await SummaryWriter.create(dir, { flushMs: 5, maxQueuedBytes: 2000 });
    const r = new RunReader(dir);
    const n = 20000;
    for (let i = 0; i < n; i++) {
      w.scalar('batch_loss', i, i);
      if (i % 2500 === 0) {
        await new Promise((res) => setImmediate(res));
        await r.update();
        const steps = r.scalars('batch_loss').map((p) => p.step);
        assert.deepEqual(
          steps,
          Array.from({ length: steps.length }, (_, k) => k),
        );
      }
    }
    await w.close();
    await r.update();
    assert.equal(r.scalars('batch_loss').length, n);
    assert.deepEqual(r.warnings, []);
  });
});

test('reading in small pieces gives the same result, including records larger than a piece', async () => {
  await withTempDir(async (dir) => {
    const w = await SummaryWriter.create(dir);
    for (let i = 0; i < 50; i++) {
      w.scalar('loss', i, i);
      if (i % 10 === 0) w.text('log', 'x'.repeat(3000 + i), i);
      if (i === 25) w.text('big', 'y'.repeat(600_000), i); // larger than the reader's 256 KiB slack
    }
    await w.close();
    const whole = new RunReader(dir);
    await whole.update();
    for (const chunk of [1, 37, 100, 4096, 200_000]) {
      const r = new RunReader(dir, { readChunkBytes: chunk });
      await r.update();
      assert.deepEqual(r.scalars('loss'), whole.scalars('loss'), `chunk ${chunk}`);
      assert.deepEqual(r.texts('log'), whole.texts('log'), `chunk ${chunk}`);
      assert.equal(r.texts('log').length, 5);
      assert.equal(r.texts('big')[0].text.length, 600_000);
      assert.deepEqual(r.warnings, []);
    }
  });
});
