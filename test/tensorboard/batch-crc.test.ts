// The reader's batched CRC check must accept and reject exactly what the record-by-record one does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordBuffer } from '../../src/tensorboard/format/record.ts';
import { scanRecords, scanRecordsInPlace } from '../../src/tensorboard/read/scan-records.ts';

function build(): Buffer {
  const rb = new RecordBuffer();
  let seed = 1;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  for (let i = 0; i < 60; i++) {
    const len = i % 10 === 9 ? 1500 + (rnd() % 3000) : rnd() % 120; // mostly small, some past the batch limit
    rb.append(Buffer.from(Array.from({ length: len }, () => rnd() & 0xff)));
  }
  return rb.take();
}

function both(buf: Buffer): [unknown, unknown] {
  const a: string[] = [];
  const ra = scanRecords(buf, (s, e) => a.push(buf.toString('hex', s, e)));
  const copy = Buffer.from(buf);
  const b: string[] = [];
  const rbb = scanRecordsInPlace(copy, (s, e) => b.push(copy.toString('hex', s, e)));
  return [
    { ...ra, records: a },
    { ...rbb, records: b },
  ];
}

test('batched and per-record CRC scans agree on intact, truncated and damaged data', () => {
  const clean = build();
  const [x, y] = both(clean);
  assert.deepEqual(y, x);
  assert.equal((x as { records: string[] }).records.length, 60);
  let seed = 99;
  for (let trial = 0; trial < 400; trial++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const buf = Buffer.from(clean);
    const at = seed % buf.length;
    buf[at] ^= 1 << (seed % 8);
    const cut = trial % 4 === 0 ? buf.subarray(0, (seed >> 8) % buf.length) : buf;
    const [a, b] = both(cut);
    assert.deepEqual(b, a, `flip at ${at}`);
  }
});
