// The run layout of docs/tensorboard.md ("A run as a running TensorBoard sees it"), driven through
// the calls the training runner makes, watched by a Python-loader view that stays open across
// training, interruption, resume and finish (and a kill -9), and by this project's reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SummaryWriter, RunReader } from '../../src/tensorboard/index.ts';
import { hparamsGroupName } from '../../src/tensorboard/write/hparams-group.ts';
import { truncateEventFilesAfter } from '../../src/tensorboard/write/truncate-event-files.ts';
import { PythonLoaderView } from '../helpers/python-loader.ts';
import { sessionEndFiles } from '../helpers/session-ends.ts';
import { withTempDir } from './helpers.ts';

const STEPS_PER_EPOCH = 4;
const hparams = { lr: 0.01, base: 'mobilenet_v2', seed: 3 };

interface Writers {
  root: SummaryWriter;
  train: SummaryWriter;
  validation: SummaryWriter;
}

async function openWriters(run: string): Promise<Writers> {
  return {
    root: await SummaryWriter.create(run),
    train: await SummaryWriter.create(join(run, 'train')),
    validation: await SummaryWriter.create(join(run, 'validation')),
  };
}

/** Trains global steps [from, to]; epoch points at each epoch end, flushed before the "checkpoint". */
async function train(w: Writers, from: number, to: number): Promise<void> {
  for (let step = from; step <= to; step++) {
    w.train.scalar('batch_loss', 1 / step, step);
    if (step % STEPS_PER_EPOCH === 0) {
      const epoch = step / STEPS_PER_EPOCH - 1;
      w.train.scalar('epoch_loss', 1 / step, epoch);
      w.validation.scalar('evaluation_loss_vs_iterations', 2 / step, step);
      w.validation.scalar('epoch_loss', 2 / step, epoch);
    }
  }
  await Promise.all([w.root.flush(), w.train.flush(), w.validation.flush()]);
}

const closeAll = (w: Writers) => Promise.all([w.root.close(), w.train.close(), w.validation.close()]);
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

async function strictlyIncreasingOnDisk(run: string, sub: string, tag: string): Promise<number[]> {
  const r = new RunReader(join(run, sub));
  await r.update();
  const steps = r.scalars(tag).map((p) => p.step);
  for (let i = 1; i < steps.length; i++) assert.ok(steps[i] > steps[i - 1], `${sub} ${tag}: ${steps}`);
  return steps;
}

test('training, Ctrl-C, resume, finish: a TensorBoard open throughout sees each stage, one final status', async () => {
  await withTempDir(async (logs) => {
    const run = join(logs, 'run-a');
    const tb = new PythonLoaderView(logs);
    // Training.
    let w = await openWriters(run);
    w.root.hparamsSessionStart({ hparams, groupName: hparamsGroupName(hparams, { exclude: ['seed'] }) });
    w.train.kerasModel('{"class_name": "Sequential", "config": {"name": "s", "layers": []}}');
    await train(w, 1, 6);
    await tb.reload();
    assert.deepEqual(tb.runs(), ['run-a', 'run-a/train', 'run-a/validation']);
    assert.equal(tb.session('run-a')?.status, 'unknown');
    assert.equal(tb.session('run-a')?.start.groupName, hparamsGroupName({ lr: 0.01, base: 'mobilenet_v2' }));
    assert.deepEqual(
      tb.scalars('run-a/train', 'batch_loss').map((p) => p.step),
      range(1, 6),
    );
    assert.match(tb.kerasModel('run-a/train') ?? '', /Sequential/);
    // Interrupted at step 6: checkpoint there, close, no session end.
    await closeAll(w);
    await tb.reload();
    assert.equal(tb.session('run-a')?.status, 'unknown');
    assert.deepEqual(sessionEndFiles(run), []);
    // Resumed: nothing past the checkpoint to cut; new files that sort last, START at step 7.
    for (const dir of [run, join(run, 'train'), join(run, 'validation')]) {
      assert.deepEqual(await truncateEventFilesAfter(dir, (tag) => (tag.startsWith('epoch_') ? 0 : 6)), []);
    }
    w = await openWriters(run);
    for (const x of [w.root, w.train, w.validation]) x.sessionLogStart(7);
    await train(w, 7, 12);
    await tb.reload();
    assert.equal(tb.currentFile('run-a/train'), w.train.path.slice(join(run, 'train').length + 1));
    assert.deepEqual(
      tb.scalars('run-a/train', 'batch_loss').map((p) => p.step),
      range(1, 12),
    );
    assert.deepEqual(
      tb.scalars('run-a/validation', 'epoch_loss').map((p) => p.step),
      [0, 1, 2],
    );
    assert.equal(tb.session('run-a')?.status, 'unknown');
    // Finished.
    w.root.scalar('test/accuracy', 0.9, 12);
    w.root.text('test/report', '| class | acc |', 12);
    w.root.image('test/confusion_matrix', Buffer.from('89504e470d0a1a0a', 'hex'), 10, 10, 12);
    w.root.hparamsSessionEnd('success');
    await closeAll(w);
    await tb.reload();
    assert.equal(tb.session('run-a')?.status, 'success');
    assert.deepEqual(
      tb.scalars('run-a', 'test/accuracy').map((p) => p.value),
      [Math.fround(0.9)],
    );
    assert.equal(tb.texts('run-a', 'test/report').length, 1);
    assert.deepEqual(
      tb.images('run-a', 'test/confusion_matrix').map((i) => [i.width, i.height, i.images]),
      [[10, 10, 1]],
    );
    assert.deepEqual(tb.log, []);
    assert.equal(sessionEndFiles(run).length, 1);
    for (const sub of ['train', 'validation']) assert.equal((await readdir(join(run, sub))).length, 2);
    assert.deepEqual(await strictlyIncreasingOnDisk(run, 'train', 'batch_loss'), range(1, 12));
  });
});

test('kill -9 after the checkpoint, resume: cut back, START purges what TensorBoard read, no step twice', async () => {
  await withTempDir(async (logs) => {
    const run = join(logs, 'run-k');
    const tb = new PythonLoaderView(logs);
    const killed = await openWriters(run);
    killed.root.hparamsSessionStart({ hparams });
    await train(killed, 1, 8); // checkpoint after step 8 = end of epoch 1
    await train(killed, 9, 10); // then killed mid-epoch: steps 9 and 10 are past the checkpoint
    await tb.reload();
    assert.deepEqual(
      tb.scalars('run-k/train', 'batch_loss').map((p) => p.step),
      range(1, 10),
    );
    // The resume: no writer of the killed process is left; cut, then new writers.
    const limit = (tag: string) => (tag.startsWith('epoch_') ? 1 : 8);
    const cut = await truncateEventFilesAfter(join(run, 'train'), limit);
    assert.deepEqual(
      cut.map((c) => [c.cutRecords, c.firstCutStep]),
      [[2, 9]],
    );
    assert.deepEqual(await truncateEventFilesAfter(join(run, 'validation'), limit), []);
    const w = await openWriters(run);
    for (const x of [w.root, w.train, w.validation]) x.sessionLogStart(9);
    await train(w, 9, 12);
    w.root.hparamsSessionEnd('success');
    await closeAll(w);
    await closeAll(killed);
    await tb.reload();
    assert.deepEqual(
      tb.scalars('run-k/train', 'batch_loss').map((p) => p.step),
      range(1, 12),
    );
    assert.deepEqual(
      tb.scalars('run-k/train', 'epoch_loss').map((p) => p.step),
      [0, 1, 2],
    );
    assert.equal(tb.session('run-k')?.status, 'success');
    assert.deepEqual(await strictlyIncreasingOnDisk(run, 'train', 'batch_loss'), range(1, 12));
    assert.deepEqual(await strictlyIncreasingOnDisk(run, 'validation', 'evaluation_loss_vs_iterations'), [4, 8, 12]);
    // A TensorBoard started afterwards sees the same.
    const fresh = new PythonLoaderView(logs);
    await fresh.reload();
    assert.deepEqual(
      fresh.scalars('run-k/train', 'batch_loss').map((p) => p.step),
      range(1, 12),
    );
  });
});
