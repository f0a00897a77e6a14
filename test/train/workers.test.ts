import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunRecord } from '../../src/run/record.ts';
import { runExperiment, type RunOptions } from '../../src/train/run-experiment.ts';
import { installStopSignal } from '../../src/train/signals.ts';
import { localRunOptions } from '../helpers/run-options.ts';

// mobilenetv1-finetune on 20 images: the real pretrained MobileNet v1 0.25, every layer trained,
// flip + crop. Batch 8 in micro-batches of 4 for one worker and for two (one micro-batch each; the
// last batch of 4 leaves the second worker an empty share). No dropout: nothing random in a worker.
const TINY = [
  'data.trainPerClass=2',
  'data.validationSize=10',
  'data.testPerClass=1',
  'model.inputSize=32',
  'model.head.dropout=0',
  'train.batchSize=8',
  'train.microBatch=4',
  'train.epochs=2',
  'train.logEveryBatches=1',
];
const STEPS_PER_EPOCH = 3; // 20 images / 8

let logdir: string;
before(async () => {
  logdir = await mkdtemp(join(tmpdir(), 'tl-workers-'));
  process.env.TRANSFERLAB_CACHE_DIR = await mkdtemp(join(tmpdir(), 'tl-workers-cache-'));
});

function options(extra: Partial<RunOptions>, lines: string[] = []): RunOptions {
  return { ...localRunOptions(logdir, (line) => lines.push(line)), overrides: TINY, ...extra };
}

const close = (actual: number, expected: number, what: string): void =>
  assert.ok(
    Math.abs(actual - expected) <= 1e-4 * Math.max(1e-3, Math.abs(expected)),
    `${what}: ${actual} vs ${expected}`,
  );

/** Same start, same batches, same micro-batches: the same numbers, whichever way the steps were taken. */
function assertSameEnd(actual: RunRecord, expected: RunRecord, what: string): void {
  assert.equal(actual.status, 'success', `${what}: ${actual.error ?? ''}`);
  assert.equal(actual.globalStep, 2 * STEPS_PER_EPOCH, what);
  assert.equal(actual.history.length, 2, what);
  actual.history.forEach((h, i) => {
    close(h.trainLoss, expected.history[i]!.trainLoss, `${what}: epoch ${i} train loss`);
    close(h.valLoss!, expected.history[i]!.valLoss!, `${what}: epoch ${i} validation loss`);
  });
  close(actual.final!.testLoss, expected.final!.testLoss, `${what}: test loss`);
}

/** A 2-worker run stopped after the first step of its second epoch: its checkpoint's folder. */
async function stoppedRun(name: string): Promise<string> {
  const stop = installStopSignal({ handleProcessSignals: false });
  const { runDir, record } = await runExperiment(
    'mobilenetv1-finetune',
    options({
      name,
      workers: 2,
      stop,
      onStep: (step) => {
        if (step === STEPS_PER_EPOCH + 1) stop.request();
      },
    }),
  );
  assert.equal(record.status, 'interrupted', record.error ?? '');
  assert.equal(record.workers, 2);
  const state = JSON.parse(readFileSync(join(runDir, 'checkpoints', 'state.json'), 'utf8'));
  assert.deepEqual([state.epoch, state.batchInEpoch, state.globalStep], [1, 1, STEPS_PER_EPOCH + 1]);
  return runDir;
}

test(
  'a 2-worker fine-tune equals the 1-worker one and resumes, with 2 workers or 1, to the same end',
  { timeout: 900_000 },
  async () => {
    const lines: string[] = [];
    const two = await runExperiment('mobilenetv1-finetune', options({ name: 'two', workers: 2 }, lines));
    assert.equal(two.record.status, 'success', two.record.error ?? '');
    assert.equal(two.record.workers, 2);
    const onDisk = JSON.parse(readFileSync(join(two.runDir, 'run.json'), 'utf8')) as RunRecord;
    assert.equal(onDisk.workers, 2, 'run.json records the worker count');
    assert.ok(
      lines.includes('workers: 2 data-parallel wasm workers · micro-batch 4 (each worker its own heap)'),
      lines.join('\n'),
    );
    assert.ok(
      two.record.history[0]!.trainLoss !== two.record.history[1]!.trainLoss,
      'the replicas learn: the second epoch differs',
    );

    const one = await runExperiment('mobilenetv1-finetune', options({ name: 'one', workers: 1 }));
    assert.equal(one.record.workers, 1);
    assertSameEnd(one.record, two.record, '1 worker vs 2');

    const [a, b] = [await stoppedRun('stop-a'), await stoppedRun('stop-b')];
    const resumedOnTwo = await runExperiment(null, options({ resume: a, workers: 2 }));
    assert.deepEqual(resumedOnTwo.record.resumedFrom, { epoch: 1, globalStep: STEPS_PER_EPOCH + 1 });
    assert.equal(resumedOnTwo.record.workers, 2);
    assertSameEnd(resumedOnTwo.record, two.record, 'resumed on 2 workers');
    const resumedOnOne = await runExperiment(null, options({ resume: b, workers: 1 }));
    assert.equal(resumedOnOne.record.workers, 1, 'run.json names the last process');
    assertSameEnd(resumedOnOne.record, two.record, 'resumed on 1 worker');
  },
);

test(
  '--workers on a non-wasm backend: ignored with one notice line; run.json says 1',
  { timeout: 300_000 },
  async () => {
    const lines: string[] = [];
    const { record } = await runExperiment(
      'mobilenetv1-finetune',
      options(
        {
          backend: 'cpu',
          workers: 2,
          name: 'cpu',
          overrides: [...TINY, 'train.epochs=1', 'data.trainPerClass=1', 'train.batchSize=10'],
        },
        lines,
      ),
    );
    assert.equal(record.status, 'success', record.error ?? '');
    assert.equal(record.backend?.kind, 'cpu');
    assert.equal(record.workers, 1);
    const notices = lines.filter((l) => l.startsWith('--workers'));
    assert.deepEqual(notices, [
      '--workers 2: ignored (the cpu backend is a reference implementation: training runs in this thread)',
    ]);
    assert.ok(!lines.some((l) => l.startsWith('workers:')), 'no workers started');
  },
);
