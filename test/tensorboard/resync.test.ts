// Resynchronisation after damage (issue 17): the reader scans forward to the next record whose two
// CRCs check, reads everything intact after it, and reports the file, offset and bytes skipped.
// A record still being written at the end of a growing file is never mistaken for damage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile, appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SummaryWriter, RunReader } from '../../src/tensorboard/index.ts';
import { scanRecords } from '../../src/tensorboard/format/record.ts';
import { withTempDir } from './helpers.ts';

/** 50 records: file_version, then 49 scalars `loss` = step. Returns the bytes and record ends. */
async function fiftyRecords(dir: string): Promise<{ bytes: Buffer; ends: number[]; name: string }> {
  const w = await SummaryWriter.create(join(dir, 'src'));
  for (let step = 0; step < 49; step++) w.scalar('loss', step, step, 1000 + step);
  await w.close();
  const name = (await readdir(join(dir, 'src')))[0];
  const bytes = await readFile(join(dir, 'src', name));
  const ends: number[] = [];
  scanRecords(bytes, (_s, e) => ends.push(e + 4));
  assert.equal(ends.length, 50);
  return { bytes, ends, name };
}

const tenth = (ends: number[]) => ({ start: ends[8], end: ends[9] }); // record index 9

for (const chunk of [undefined, 97]) {
  test(
    `a flipped byte in the 10th of 50 records: 49 records and one ` +
      `warning naming file and offset (pieces: ${chunk ?? 'default'})`,
    async () => {
      await withTempDir(async (dir) => {
        const { bytes, ends, name } = await fiftyRecords(dir);
        const { start, end } = tenth(ends);
        const spots: [string, number, string][] = [
          ['length', start + 1, 'length CRC mismatch'],
          ['length CRC', start + 10, 'length CRC mismatch'],
          ['data', start + 20, 'data CRC mismatch'],
          ['data CRC', end - 1, 'data CRC mismatch'],
        ];
        for (const [what, at, reason] of spots) {
          const run = join(dir, `run-${chunk}-${what.replace(' ', '-')}`);
          await mkdir(run);
          const damaged = Buffer.from(bytes);
          damaged[at] ^= 0x01;
          await writeFile(join(run, name), damaged);
          const r = new RunReader(run, { readChunkBytes: chunk });
          await r.update();
          assert.equal(r.eventCount, 49, what);
          // Record 9 holds step 8 (record 0 is the file_version).
          assert.deepEqual(
            r.scalars('loss').map((p) => p.step),
            [...Array(49).keys()].filter((s) => s !== 8),
            what,
          );
          assert.deepEqual(
            r.damage,
            [{ file: join(run, name), offset: start, skippedBytes: end - start, reason, resumedAt: end }],
            what,
          );
          assert.equal(r.warnings.length, 1, what);
          assert.ok(
            r.warnings[0].startsWith(`${join(run, name)}: ${reason} in the record at byte ${start};`),
            r.warnings[0],
          );
          assert.match(r.warnings[0], new RegExp(`skipped ${end - start} bytes`));
          assert.equal(r.offsets()[name], bytes.length, what);
        }
      });
    },
  );
}

test('a growing file cut in the length, its CRC, the data or data CRC waits, then reads on: no damage', async () => {
  await withTempDir(async (dir) => {
    const { bytes, ends, name } = await fiftyRecords(dir);
    const { start, end } = tenth(ends);
    for (const cut of [start + 3, start + 8, start + 11, start + 12, start + 20, end - 4, end - 1]) {
      const run = join(dir, `cut-${cut}`);
      await mkdir(run);
      await writeFile(join(run, name), bytes.subarray(0, cut));
      const r = new RunReader(run);
      await r.update();
      assert.equal(r.eventCount, 9, `cut at ${cut}`);
      await appendFile(join(run, name), bytes.subarray(cut));
      await r.update();
      assert.equal(r.eventCount, 50, `cut at ${cut}`);
      assert.deepEqual(r.damage, [], `cut at ${cut}`);
      assert.deepEqual(r.warnings, [], `cut at ${cut}`);
    }
  });
});

test('damage followed by a record still being written: the reader waits there, then resumes on it', async () => {
  await withTempDir(async (dir) => {
    const { bytes, ends, name } = await fiftyRecords(dir);
    const { start, end } = tenth(ends);
    const damaged = Buffer.from(bytes);
    damaged[start + 20] ^= 0x01;
    const file = join(dir, name);
    // The 11th record's header is complete, its data not yet.
    await writeFile(file, damaged.subarray(0, end + 14));
    const r = new RunReader(dir);
    await r.update();
    assert.equal(r.eventCount, 9);
    assert.equal(r.damage.length, 1);
    assert.equal(r.damage[0].resumedAt, undefined);
    assert.equal(r.offsets()[name], end);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0], new RegExp(`at byte ${start}; no intact record after it yet`));
    await appendFile(file, damaged.subarray(end + 14));
    await r.update();
    assert.equal(r.eventCount, 49);
    assert.deepEqual(r.damage, [
      { file, offset: start, skippedBytes: end - start, reason: 'data CRC mismatch', resumedAt: end },
    ]);
    assert.equal(r.warnings.length, 1);
  });
});

test('two damaged stretches are two reports; intact records between and after them are read', async () => {
  await withTempDir(async (dir) => {
    const { bytes, ends, name } = await fiftyRecords(dir);
    const damaged = Buffer.from(bytes);
    damaged[ends[8] + 20] ^= 0xff; // record 9
    for (let i = ends[29] + 3; i < ends[31] + 5; i++) damaged[i] = 0; // records 30 and 31, into 32
    await writeFile(join(dir, name), damaged);
    const r = new RunReader(dir);
    await r.update();
    assert.deepEqual(
      r.damage.map((d) => [d.offset, d.skippedBytes]),
      [
        [ends[8], ends[9] - ends[8]],
        [ends[29], ends[32] - ends[29]],
      ],
    );
    assert.equal(r.eventCount, 50 - 1 - 3);
    assert.equal(r.warnings.length, 2);
  });
});
