import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { crc32c, crc32cRange, maskedCrc32c, tableCrc32c } from '../../src/tensorboard/format/crc.ts';
import { frameRecord, RecordBuffer } from '../../src/tensorboard/format/record.ts';
import { scanRecords } from '../../src/tensorboard/read/scan-records.ts';

test('CRC-32C test vectors from the format doc', () => {
  assert.equal(crc32cRange(Buffer.from('123456789'), 0, 9), 0xe3069283);
  assert.equal(crc32c(Buffer.from('123456789')) >>> 0, 0xe3069283);
  assert.equal(crc32cRange(new Uint8Array(32), 0, 32), 0x8a9136aa);
  assert.equal(maskedCrc32c(Buffer.from('\x1a\x11CRC test, one two', 'latin1')), 0x5794d08a);
});

test('the table CRC used for short ranges agrees with @node-rs/crc32 on every length up to 600', () => {
  const buf = randomBytes(700);
  for (let len = 0; len <= 600; len++) {
    const s = len % 13;
    assert.equal(tableCrc32c(buf, s, s + len), crc32c(buf.subarray(s, s + len)) >>> 0, `length ${len}`);
    assert.equal(crc32cRange(buf, s, s + len), crc32c(buf.subarray(s, s + len)) >>> 0, `length ${len}`);
  }
});

test('TFRecord framing: u64 length, masked CRCs, and scanning it back', () => {
  const data = Buffer.from('hello event');
  const rec = frameRecord(data);
  assert.equal(rec.length, data.length + 16);
  assert.equal(rec.readBigUInt64LE(0), BigInt(data.length));
  assert.equal(rec.readUInt32LE(8), maskedCrc32c(rec.subarray(0, 8)));
  assert.equal(rec.readUInt32LE(12 + data.length), maskedCrc32c(data));
  const rb = new RecordBuffer(8);
  for (const s of ['a', '', 'x'.repeat(1000)]) rb.append(Buffer.from(s));
  const all = rb.take();
  const got: string[] = [];
  const r = scanRecords(all, (s, e) => got.push(all.toString('utf8', s, e)));
  assert.deepEqual(got, ['a', '', 'x'.repeat(1000)]);
  assert.deepEqual(r, { consumed: all.length, stop: { kind: 'end' } });
});
