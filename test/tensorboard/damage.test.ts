// Damaged files never throw out of the reader or hang; every intact record, before and after the
// damage, is read, and the damage is reported once with where it is and how much was skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile, appendFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SummaryWriter, RunReader } from '../../src/tensorboard/index.ts';
import { frameRecord, scanRecords } from '../../src/tensorboard/format/record.ts';
import { withTempDir } from './helpers.ts';

async function smallFile(dir: string): Promise<{ bytes: Buffer; ends: number[]; name: string }> {
  const w = await SummaryWriter.create(join(dir, 'src'));
  w.scalar('loss', 0.5, 0, 100);
  w.scalar('loss', 0.25, 1, 101);
  w.text('note', 'hi', 1, 102);
  w.scalar('loss', 0.125, 2, 103);
  await w.close();
  const name = (await readdir(join(dir, 'src')))[0];
  const bytes = await readFile(join(dir, 'src', name));
  const ends: number[] = [];
  scanRecords(bytes, (_s, e) => ends.push(e + 4));
  await rm(join(dir, 'src'), { recursive: true });
  return { bytes, ends, name };
}

test('truncated at every byte offset: records before the cut are read, the rest waits, then completes', async () => {
  await withTempDir(async (dir) => {
    const { bytes, ends, name } = await smallFile(dir);
    assert.equal(ends.length, 5);
    const file = join(dir, name);
    for (let cut = 0; cut <= bytes.length; cut++) {
      await writeFile(file, bytes.subarray(0, cut));
      const r = new RunReader(dir);
      await r.update();
      const whole = ends.filter((e) => e <= cut).length;
      assert.equal(r.eventCount, whole, `cut at ${cut}`);
      assert.deepEqual(r.warnings, [], `cut at ${cut}`);
      assert.equal(r.offsets()[name], whole === 0 ? 0 : ends[whole - 1]);
      await appendFile(file, bytes.subarray(cut));
      await r.update();
      assert.equal(r.eventCount, 5, `completed after cut at ${cut}`);
      assert.deepEqual(
        r.scalars('loss').map((p) => p.value),
        [0.5, 0.25, 0.125],
      );
    }
  });
});

test('a flipped byte in the length, length CRC, data or data CRC skips only that record, once reported', async () => {
  await withTempDir(async (dir) => {
    const { bytes, ends, name } = await smallFile(dir);
    const rec = 2; // third record: loss step 1
    const start = ends[rec - 1];
    const dataLen = ends[rec] - start - 16;
    const spots: [string, number, RegExp][] = [
      ['length low byte', start, /length CRC mismatch/],
      ['length high byte', start + 7, /length CRC mismatch/],
      ['length CRC', start + 9, /length CRC mismatch/],
      ['data', start + 12 + Math.floor(dataLen / 2), /data CRC mismatch/],
      ['data CRC', ends[rec] - 2, /data CRC mismatch/],
    ];
    for (const [what, at, reason] of spots) {
      const damaged = Buffer.from(bytes);
      damaged[at] ^= 0x40;
      await writeFile(join(dir, name), damaged);
      // A later file in the same run is still read.
      const later = join(dir, 'events.out.tfevents.9999999999.host.1.0.v2');
      const w = new RunReader(dir);
      await writeFile(later, Buffer.concat([frameRecord(bytes.subarray(12, ends[0] - 4))]));
      await w.update();
      assert.equal(w.eventCount, 5, what); // the damaged file's 4 intact records + the later file's one
      assert.deepEqual(
        w.scalars('loss').map((p) => p.value),
        [0.5, 0.125],
        what,
      );
      assert.equal(w.texts('note').length, 1, what);
      assert.equal(w.warnings.length, 1, what);
      assert.match(w.warnings[0], reason, what);
      assert.match(w.warnings[0], new RegExp(`at byte ${start}\\b.*skipped ${ends[rec] - start} bytes`), what);
      assert.equal(w.damage.length, 1, what);
      const d = w.damage[0];
      assert.deepEqual(
        { file: d.file, offset: d.offset, skippedBytes: d.skippedBytes, resumedAt: d.resumedAt },
        { file: join(dir, name), offset: start, skippedBytes: ends[rec] - start, resumedAt: ends[rec] },
        what,
      );
      assert.match(d.reason, reason, what);
      await w.update(); // no repeat warning, no throw
      assert.equal(w.warnings.length, 1, what);
      await rm(later);
    }
  });
});

test('a record whose CRCs match but whose event does not parse is skipped with a warning', async () => {
  await withTempDir(async (dir) => {
    const { bytes, ends, name } = await smallFile(dir);
    const junk = frameRecord(Buffer.from([0x0a, 0xff, 0xff, 0x07])); // field 1 with a length past the end
    await writeFile(join(dir, name), Buffer.concat([bytes.subarray(0, ends[1]), junk, bytes.subarray(ends[1])]));
    const r = new RunReader(dir);
    await r.update();
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0], /undecodable event/);
    assert.deepEqual(
      r.scalars('loss').map((p) => p.value),
      [0.5, 0.25, 0.125],
    );
  });
});

test('garbage, empty and missing inputs never throw', async () => {
  await withTempDir(async (dir) => {
    const noise = Buffer.alloc(5000);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    await writeFile(join(dir, 'events.out.tfevents.1.a'), noise);
    await writeFile(join(dir, 'events.out.tfevents.2.b'), '');
    const r = new RunReader(dir);
    assert.equal(await r.update(), false);
    assert.equal(r.warnings.length, 1);
    const missing = new RunReader(join(dir, 'nope'));
    assert.equal(await missing.update(), false);
    assert.equal(missing.warnings.length, 1);
  });
});
