// What a resume needs from the event-file layer: a new writer's file sorts last in its directory
// even within the same second, SessionLog START at the resume step, and the interrupted writer's
// files cut back to the checkpoint (a torn tail included).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile, appendFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SummaryWriter, RunReader } from '../../src/tensorboard/index.ts';
import { scanRecords } from '../../src/tensorboard/format/record.ts';
import { EventMessage } from '../../src/tensorboard/format/protos.ts';
import type { DecodedEvent } from '../../src/tensorboard/format/decoded.ts';
import { eventFileNameAfter } from '../../src/tensorboard/format/file-name.ts';
import { truncateEventFilesAfter } from '../../src/tensorboard/write/truncate-event-files.ts';
import { withTempDir } from './helpers.ts';

test('a new event file sorts after every existing one, also within the same second and with a larger pid', async () => {
  const now = 1_700_000_000_500;
  const mine = eventFileNameAfter([], { nowMs: now });
  const sameSecondBiggerPid = `events.out.tfevents.1700000000.${'~'.repeat(3)}.99999999.7.v2`;
  const next = eventFileNameAfter([sameSecondBiggerPid, 'run.json'], { nowMs: now });
  assert.ok(next > sameSecondBiggerPid, next);
  assert.ok(mine.startsWith('events.out.tfevents.1700000000.'));
  assert.ok(next.startsWith('events.out.tfevents.1700000001.'));
  const future = eventFileNameAfter(['events.out.tfevents.1900000000.h.1.0.v2'], { nowMs: now });
  assert.ok(future.startsWith('events.out.tfevents.1900000001.'));
  assert.throws(() => eventFileNameAfter(['zz.tfevents.x'], { nowMs: now }), /^Error: zz\.tfevents\.x: /);
  await withTempDir(async (dir) => {
    const first = await SummaryWriter.create(dir);
    await first.close();
    const second = await SummaryWriter.create(dir);
    await second.close();
    const names = (await readdir(dir)).sort();
    assert.deepEqual(
      names,
      [first.path, second.path].map((p) => p.slice(dir.length + 1)),
    );
  });
});

test('sessionLogStart writes SessionLog START at the resume step', async () => {
  await withTempDir(async (dir) => {
    const w = await SummaryWriter.create(dir);
    w.sessionLogStart(41, 1234.5);
    await w.close();
    const buf = await readFile(w.path);
    const evs: DecodedEvent[] = [];
    scanRecords(buf, (s, e) =>
      evs.push(
        EventMessage.toObject(EventMessage.decode(buf.subarray(s, e)), {
          longs: Number,
          enums: String,
        }) as DecodedEvent,
      ),
    );
    assert.deepEqual(evs[1], { wall_time: 1234.5, step: 41, session_log: { status: 'START' } });
  });
});

/** An interrupted writer's file: batch_loss at steps 1..12, epoch_loss at epochs 0..2 after each 4 batches. */
async function interruptedRun(dir: string): Promise<string> {
  const w = await SummaryWriter.create(dir);
  w.hparamsSessionStart({ hparams: { lr: 0.1 } });
  for (let step = 1; step <= 12; step++) {
    w.scalar('batch_loss', 1 / step, step);
    if (step % 4 === 0) w.scalar('epoch_loss', step, step / 4 - 1);
  }
  await w.close();
  return w.path;
}

test('truncateEventFilesAfter cuts at the first record past the checkpoint, per tag step space', async () => {
  await withTempDir(async (dir) => {
    const file = await interruptedRun(dir);
    const before = (await stat(file)).size;
    // Checkpoint after batch 8 = end of epoch 1.
    const cut = await truncateEventFilesAfter(dir, (tag) => (tag.startsWith('epoch_') ? 1 : 8));
    assert.equal(cut.length, 1);
    assert.equal(cut[0].file, file);
    assert.equal(cut[0].firstCutStep, 9);
    assert.equal(cut[0].cutRecords, 5); // batches 9..12 and epoch 2
    assert.equal(cut[0].keptBytes + cut[0].cutBytes, before);
    assert.equal((await stat(file)).size, cut[0].keptBytes);
    const r = new RunReader(dir);
    await r.update();
    assert.deepEqual(
      r.scalars('batch_loss').map((p) => p.step),
      [1, 2, 3, 4, 5, 6, 7, 8],
    );
    assert.deepEqual(
      r.scalars('epoch_loss').map((p) => p.step),
      [0, 1],
    );
    assert.ok(r.hparams().sessionStart);
    assert.deepEqual(await truncateEventFilesAfter(dir, (tag) => (tag.startsWith('epoch_') ? 1 : 8)), []); // idempotent
  });
});

test(
  'truncateEventFilesAfter drops a torn last record (kill -9 ' +
    'mid-write) and keeps a file with nothing past the checkpoint',
  async () => {
    await withTempDir(async (dir) => {
      const file = await interruptedRun(dir);
      const whole = await readFile(file);
      await appendFile(file, whole.subarray(whole.length - 30, whole.length - 7));
      const cut = await truncateEventFilesAfter(dir, 100);
      assert.deepEqual(cut, [{ file, keptBytes: whole.length, cutBytes: 23, cutRecords: 0 }]);
      assert.deepEqual(await readFile(file), whole);
      await writeFile(join(dir, 'notes.txt'), 'not an event file');
      assert.deepEqual(await truncateEventFilesAfter(dir, 100), []);
    });
  },
);
