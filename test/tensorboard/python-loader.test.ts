// The Python-loader view used by live-run tests behaves as TensorBoard's Python loader does on
// synthetic files: one file at a time in name order, never back; first metadata per tag wins;
// SessionLog START purges; a partial record waits for the next reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SummaryWriter, writeHparamsExperiment } from '../../src/tensorboard/index.ts';
import { PythonLoaderView } from '../helpers/python-loader.ts';
import { withTempDir } from './helpers.ts';

const A = 'events.out.tfevents.1700000000.h.1.0.v2';
const B = 'events.out.tfevents.1700000100.h.2.0.v2';

/** The records a writer produces for these scalar steps (file_version first). */
async function recordsFor(dir: string, steps: number[], tag = 'loss'): Promise<{ header: Buffer; body: Buffer }> {
  const w = await SummaryWriter.create(join(dir, `gen-${tag}-${steps.join('_')}`));
  await w.flush();
  const header = await readFile(w.path);
  for (const s of steps) w.scalar(tag, s / 10, s, 100 + s);
  await w.close();
  return { header, body: (await readFile(w.path)).subarray(header.length) };
}

test('a later-named file takes over: the earlier file is read once more, then never again (logged)', async () => {
  await withTempDir(async (dir) => {
    const run = join(dir, 'logs', 'r');
    await mkdir(run, { recursive: true });
    const first = await recordsFor(dir, [0, 1, 2]);
    await writeFile(join(run, A), Buffer.concat([first.header, first.body]));
    const view = new PythonLoaderView(join(dir, 'logs'));
    await view.reload();
    assert.deepEqual(view.runs(), ['r']);
    assert.deepEqual(
      view.scalars('r', 'loss').map((p) => p.step),
      [0, 1, 2],
    );
    // Grows, and a later-named file appears before the next reload: both are read.
    await appendFile(join(run, A), (await recordsFor(dir, [3])).body);
    const second = await recordsFor(dir, [4, 5]);
    await writeFile(join(run, B), Buffer.concat([second.header, second.body]));
    await view.reload();
    assert.equal(view.currentFile('r'), B);
    assert.deepEqual(
      view.scalars('r', 'loss').map((p) => p.step),
      [0, 1, 2, 3, 4, 5],
    );
    assert.deepEqual(view.log, []);
    // The earlier file grows again: not read, logged as TensorBoard logs it.
    await appendFile(join(run, A), (await recordsFor(dir, [6])).body);
    await view.reload();
    await view.reload();
    assert.deepEqual(
      view.scalars('r', 'loss').map((p) => p.step),
      [0, 1, 2, 3, 4, 5],
    );
    assert.deepEqual(view.log, [`File ${join(run, A)} updated even though the current file is ${join(run, B)}`]);
  });
});

test('a file created later but sorting earlier is never read', async () => {
  await withTempDir(async (dir) => {
    const first = await recordsFor(dir, [0, 1]);
    await writeFile(join(dir, B), Buffer.concat([first.header, first.body]));
    const view = new PythonLoaderView(dir);
    await view.reload();
    const early = await recordsFor(dir, [7]);
    await writeFile(join(dir, A), Buffer.concat([early.header, early.body]));
    await view.reload();
    assert.deepEqual(
      view.scalars('.', 'loss').map((p) => p.step),
      [0, 1],
    );
    assert.match(view.log[0], /created after file .* even though it's lexicographically earlier/);
  });
});

test('a partial record waits for the next reload', async () => {
  await withTempDir(async (dir) => {
    const { header, body } = await recordsFor(dir, [0, 1, 2]);
    const whole = Buffer.concat([header, body]);
    await writeFile(join(dir, A), whole.subarray(0, whole.length - 5));
    const view = new PythonLoaderView(dir);
    await view.reload();
    assert.deepEqual(
      view.scalars('.', 'loss').map((p) => p.step),
      [0, 1],
    );
    await appendFile(join(dir, A), whole.subarray(whole.length - 5));
    await view.reload();
    assert.deepEqual(
      view.scalars('.', 'loss').map((p) => p.step),
      [0, 1, 2],
    );
  });
});

test('first metadata wins: a second session end and a rewritten experiment are not seen', async () => {
  await withTempDir(async (dir) => {
    await writeHparamsExperiment(dir, {
      hparams: [{ name: 'lr' }],
      metrics: [{ tag: 'epoch_loss', group: 'validation' }],
    });
    const w = await SummaryWriter.create(join(dir, 'run1'));
    w.hparamsSessionStart({ hparams: { lr: 0.1 } });
    w.hparamsSessionEnd('interrupted', 1000);
    await w.flush();
    const view = new PythonLoaderView(dir);
    await view.reload();
    assert.equal(view.session('run1')?.status, 'failure');
    w.hparamsSessionEnd('success', 2000);
    await w.close();
    await writeHparamsExperiment(dir, {
      hparams: [{ name: 'lr' }, { name: 'seed' }],
      metrics: [{ tag: 'epoch_loss' }],
    });
    await view.reload();
    assert.deepEqual(view.session('run1')?.end, { status: 'failure', endTimeSecs: 1000 });
    assert.deepEqual(
      view.experiment()?.hparams.map((h) => h.name),
      ['lr'],
    );
    // A TensorBoard started now reads the same first records: the status stays as first written.
    const fresh = new PythonLoaderView(dir);
    await fresh.reload();
    assert.equal(fresh.session('run1')?.status, 'failure');
    assert.deepEqual(
      fresh.experiment()?.hparams.map((h) => h.name),
      ['lr', 'seed'],
    );
  });
});

test('SessionLog START drops the points at and after its step; the resumed points then show once', async () => {
  await withTempDir(async (dir) => {
    const old = await SummaryWriter.create(dir);
    for (let s = 1; s <= 10; s++) old.scalar('batch_loss', s, s);
    await old.close();
    const view = new PythonLoaderView(dir);
    await view.reload();
    const resumed = await SummaryWriter.create(dir);
    resumed.sessionLogStart(7);
    for (let s = 7; s <= 12; s++) resumed.scalar('batch_loss', s + 0.5, s);
    await resumed.close();
    await view.reload();
    assert.deepEqual(
      view.scalars('.', 'batch_loss').map((p) => p.step),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
    );
    assert.equal(view.scalars('.', 'batch_loss')[6].value, 7.5);
  });
});
