import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { SummaryWriter, RunReader } from '../../src/tensorboard/index.ts';
import { histogramBuckets } from '../../src/tensorboard/write/histogram-buckets.ts';
import { EventMessage } from '../../src/tensorboard/format/protos.ts';
import type { DecodedEvent } from '../../src/tensorboard/format/decoded.ts';
import { RecordBuffer } from '../../src/tensorboard/format/record.ts';
import { scanRecords } from '../../src/tensorboard/format/record.ts';
import { ScalarEventEncoder } from '../../src/tensorboard/write/scalar-event-encoder.ts';
import { scalarEvent } from '../../src/tensorboard/write/summaries.ts';
import { withTempDir } from './helpers.ts';

function records(buf: Buffer): DecodedEvent[] {
  const out: DecodedEvent[] = [];
  const r = scanRecords(buf, (s, e) =>
    out.push(EventMessage.toObject(EventMessage.decode(buf.subarray(s, e)), { longs: Number }) as DecodedEvent),
  );
  assert.equal(r.stop.kind, 'end');
  return out;
}

test('file name, brain.Event:2 first record, whole records after close', async () => {
  await withTempDir(async (dir) => {
    const w = await SummaryWriter.create(join(dir, 'run'));
    w.scalar('epoch_loss', 0.5, 3, 1700000003);
    await w.close();
    const names = await readdir(join(dir, 'run'));
    assert.equal(names.length, 1);
    assert.match(names[0], new RegExp(`^events\\.out\\.tfevents\\.\\d{10}\\.[^/]+\\.${process.pid}\\.\\d+\\.v2$`));
    const evs = records(await readFile(join(dir, 'run', names[0])));
    assert.equal(evs.length, 2);
    assert.equal(evs[0].file_version, 'brain.Event:2');
    assert.equal(evs[0].wall_time, Math.floor(evs[0].wall_time!));
    assert.equal(evs[0].summary, undefined);
    // The doc's §8 example, field by field.
    const v = evs[1].summary!.value![0];
    assert.equal(evs[1].wall_time, 1700000003);
    assert.equal(evs[1].step, 3);
    assert.equal(v.tag, 'epoch_loss');
    assert.equal(v.metadata?.plugin_data?.plugin_name, 'scalars');
    assert.equal(v.metadata?.data_class, 1);
    assert.equal(v.tensor?.dtype, 1);
    assert.deepEqual(v.tensor?.tensor_shape, {});
    assert.deepEqual([...(v.tensor?.tensor_content ?? [])], [0x00, 0x00, 0x00, 0x3f]);
  });
});

test('the scalar fast path emits exactly the bytes protobufjs encodes', () => {
  const enc = new ScalarEventEncoder();
  const cases: [string, number, number, number][] = [
    ['epoch_loss', 0.5, 3, 1700000003],
    ['a', -1.25e-7, 0, 0],
    ['test/per_class_accuracy/airplane', NaN, 2 ** 40, 1.7e9 + 0.123],
    ['ünïcode/标签', Infinity, 127, 1],
    ['x'.repeat(300), 1, 128, 2],
    ['batch_loss', 3.4e38, Number.MAX_SAFE_INTEGER, 5],
  ];
  for (const [tag, value, step, wall] of cases) {
    const fast = new RecordBuffer(16);
    enc.append(fast, tag, value, step, wall);
    const slow = new RecordBuffer(16);
    slow.append(EventMessage.encode(scalarEvent(tag, value, step, wall)).finish());
    assert.deepEqual(fast.take(), slow.take(), tag);
  }
});

test('round trip: scalars (incl. negative steps), histograms, images, text', async () => {
  await withTempDir(async (dir) => {
    const png = PNG.sync.write(Object.assign(new PNG({ width: 2, height: 3 }), { data: Buffer.alloc(2 * 3 * 4, 200) }));
    const w = await SummaryWriter.create(dir);
    for (let i = 0; i < 5; i++) w.scalar('epoch_loss', 1 / (i + 1), i, 1000 + i);
    w.scalar('odd', 7, -2, 5);
    const values = Array.from({ length: 1000 }, (_, i) => Math.sin(i));
    w.histogram('weights', values, 4);
    w.histogram('weights', [], 5);
    w.histogram('weights', [2, 2, 2], 6, { bucketCount: 4 });
    w.image('confusion_matrix', png, 2, 3, 7);
    w.text('definition', '**bold** _text_ ✓', 0);
    await w.close();

    const r = new RunReader(dir);
    assert.equal(await r.update(), true);
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.tags(), ['confusion_matrix', 'definition', 'epoch_loss', 'odd', 'weights']);
    assert.deepEqual(r.tags('scalars'), ['epoch_loss', 'odd']);
    assert.deepEqual(
      r.scalars('epoch_loss'),
      [0, 1, 2, 3, 4].map((i) => ({ step: i, wallTime: 1000 + i, value: Math.fround(1 / (i + 1)) })),
    );
    assert.deepEqual(r.scalars('odd'), [{ step: -2, wallTime: 5, value: 7 }]);

    const h = r.histograms('weights');
    assert.equal(h.length, 3);
    assert.equal(h[0].buckets.length, 30);
    assert.equal(
      h[0].buckets.reduce((a, b) => a + b.count, 0),
      1000,
    );
    const expected = histogramBuckets(values);
    assert.deepEqual(h[0].buckets.map((b) => [b.left, b.right, b.count]).flat(), [...expected]);
    assert.equal(h[0].buckets[0].left, Math.min(...values));
    assert.equal(h[0].buckets[29].right, Math.max(...values));
    assert.deepEqual(
      h[1].buckets,
      Array.from({ length: 30 }, () => ({ left: 0, right: 0, count: 0 })),
    );
    assert.deepEqual(h[2].buckets, [
      { left: 2, right: 2, count: 0 },
      { left: 2, right: 2, count: 0 },
      { left: 2, right: 2, count: 0 },
      { left: 2, right: 2, count: 3 },
    ]);

    const im = r.images('confusion_matrix');
    assert.equal(im.length, 1);
    assert.equal(im[0].width, 2);
    assert.equal(im[0].height, 3);
    assert.equal(im[0].step, 7);
    assert.deepEqual(Buffer.from(im[0].png), png);
    assert.equal(PNG.sync.read(Buffer.from(im[0].png)).height, 3);

    const t = r.texts('definition');
    assert.equal(t.length, 1);
    assert.equal(t[0].text, '**bold** _text_ ✓');
    assert.deepEqual(t[0].shape, []);
  });
});

test('histogram bucketing matches tf.summary.histogram', () => {
  assert.deepEqual([...histogramBuckets([0, 1, 2, 3], 3)], [0, 1, 1, 1, 2, 1, 2, 3, 2]);
  assert.deepEqual([...histogramBuckets([5], 2)], [5, 5, 0, 5, 5, 1]);
  assert.deepEqual([...histogramBuckets([1, 2], 0)], []);
  assert.deepEqual([...histogramBuckets([NaN, 1, 3, Infinity], 2)], [1, 2, 1, 2, 3, 1]);
});

test('bad input gives a one-line error naming the field', async () => {
  await withTempDir(async (dir) => {
    const w = await SummaryWriter.create(dir);
    assert.throws(() => w.scalar('loss', 1, 1.5), /scalar loss: field step/);
    assert.throws(() => w.image('img', new Uint8Array(1), 0, 2, 1), /image img: fields width\/height/);
    assert.throws(() => w.hparamsSessionStart({ hparams: { lr: {} as unknown as number } }), /field hparams\.lr/);
    await w.close();
    assert.throws(() => w.scalar('loss', 1, 1), /after close/);
  });
});

test('flush() makes queued records readable before close; periodic flush runs within 2 s', async () => {
  await withTempDir(async (dir) => {
    const w = await SummaryWriter.create(dir, { flushMs: 50 });
    const r = new RunReader(dir);
    w.scalar('loss', 1, 0);
    await w.flush();
    await r.update();
    assert.equal(r.scalars('loss').length, 1);
    w.scalar('loss', 2, 1);
    for (let i = 0; i < 100 && r.scalars('loss').length < 2; i++) {
      await new Promise((res) => setTimeout(res, 20));
      await r.update();
    }
    assert.equal(r.scalars('loss').length, 2);
    await w.close();
  });
});

test('the reader decodes the doc §8 event bytes (made by an independent encoder)', async () => {
  await withTempDir(async (dir) => {
    const hex =
      '090000c040fc54d941' +
      '1003' +
      '2a29' +
      '0a27' +
      '0a0a65706f63685f6c6f7373' +
      '4a0d' +
      '0a090a077363616c617273' +
      '2001' +
      '420a' +
      '0801' +
      '1200' +
      '22040000003f';
    const rb = new RecordBuffer();
    rb.append(EventMessage.encode({ wall_time: 1700000000, file_version: 'brain.Event:2' }).finish());
    rb.append(Buffer.from(hex, 'hex'));
    await writeFile(join(dir, 'events.out.tfevents.1700000000.doc.v2'), rb.take());
    const r = new RunReader(dir);
    await r.update();
    assert.deepEqual(r.scalars('epoch_loss'), [{ step: 3, wallTime: 1700000003, value: 0.5 }]);
    assert.equal(r.plugin('epoch_loss'), 'scalars');
  });
});
