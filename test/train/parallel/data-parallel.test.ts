import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../src/backends/index.ts';
import type { OptimizerSpec } from '../../../src/experiment/definition.ts';
import { createOptimizer } from '../../../src/train/optimizer.ts';
import { type ModelSpec, buildSpecModel } from '../../../src/train/parallel/model-spec.ts';
import { DataParallelTrainer, WorkerError } from '../../../src/train/parallel/trainer.ts';
import { batchGradients } from '../../../src/train/step.ts';
import { randomValues, relativeError } from '../../backends/helpers.ts';
import { seedWeights } from '../../helpers/seed-weights.ts';

const NETS = new URL('./nets.ts', import.meta.url).href;
const ADAM: OptimizerSpec = { name: 'adam', learningRate: 1e-3 };

before(async () => {
  await selectBackend('wasm', { quiet: true });
});

function batch(size: number, inputSize: number, seed: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const x = tf.tensor4d(randomValues(size * inputSize * inputSize * 3, seed), [size, inputSize, inputSize, 3]);
  const labels = Array.from({ length: size }, (_, i) => (i * 7 + seed) % 10);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), 10).toFloat()) as tf.Tensor2D;
  return { x, y };
}

/** A trainer of `workers` replicas of `model` (built from `spec`) with the tests' Adam. */
function adamTrainer(workers: number, model: tf.LayersModel, spec: ModelSpec, maxBatch: number) {
  return DataParallelTrainer.create({ workers, model, modelSpec: spec, optimizerSpec: ADAM, maxBatch });
}

/** Two replicas with the same seeded draw: every run of a test compares the same numbers. */
async function twin(spec: ModelSpec): Promise<{ model: tf.LayersModel; reference: tf.LayersModel }> {
  const model = await buildSpecModel(spec);
  seedWeights(model, 7);
  const reference = await buildSpecModel(spec);
  reference.setWeights(model.getWeights());
  return { model, reference };
}

/** One single-process step with the trainer's micro-batch split: trainStep's passes, then its update. */
function referenceStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  x: tf.Tensor,
  y: tf.Tensor2D,
  microBatch: number,
) {
  const { grads, ...result } = batchGradients(model, x, y, microBatch);
  const flat = new Float32Array(model.trainableWeights.reduce((n, w) => n + w.read().size, 0));
  let offset = 0;
  for (const w of model.trainableWeights) {
    const g = grads[(w.read() as tf.Variable).name]!.dataSync() as Float32Array;
    flat.set(g, offset);
    offset += g.length;
  }
  optimizer.applyGradients(grads);
  tf.dispose(grads);
  return { ...result, gradients: flat };
}

async function assertMatchesSingleProcess(
  spec: ModelSpec,
  inputSize: number,
  size: number,
  microBatch: number,
  workers = 2,
): Promise<void> {
  const { model, reference } = await twin(spec);
  const trainer = await adamTrainer(workers, model, spec, size);
  const optimizer = createOptimizer(ADAM);
  try {
    for (let s = 0; s < 2; s++) {
      if (s > 0) {
        // Each step is compared from the same state: the replicas' weights and Adam moments.
        // (Summation order differs in the last float bits; batch norm over a few values per
        // channel amplifies that over steps, so states are re-synchronised, not compared after drift.)
        const weights = await trainer.weights();
        reference.setWeights(weights);
        tf.dispose(weights);
        const state = (await trainer.optimizerState()).map(({ name, shape, values }) => ({
          name,
          tensor: tf.tensor(values, shape),
        }));
        await optimizer.setWeights(state);
        tf.dispose(state.map((w) => w.tensor));
      }
      const { x, y } = batch(size, inputSize, 11 + s);
      const parallel = await trainer.step(x, y, microBatch);
      const single = referenceStep(reference, optimizer, x, y, microBatch);
      tf.dispose([x, y]);
      assert.ok(
        Math.abs(parallel.loss - single.loss) <= 1e-5 * Math.abs(single.loss),
        `step ${s}: loss ${parallel.loss} vs ${single.loss}`,
      );
      assert.equal(parallel.correct, single.correct);
      assert.equal(parallel.count, size);
      const gradError = relativeError(trainer.lastGradients(), single.gradients);
      assert.ok(gradError <= 1e-5, `step ${s}: gradients differ by ${gradError} (relative)`);
      assert.ok(
        single.gradients.some((g) => g !== 0),
        'the gradients are not all zero',
      );
      const weights = await trainer.weights();
      const expected = reference.weights.map((w) => w.read());
      weights.forEach((w, i) => {
        const name = reference.weights[i]!.name;
        const error = relativeError(w.dataSync(), expected[i]!.dataSync());
        assert.ok(error <= 1e-5, `step ${s}: weight ${name} differs by ${error} (relative)`);
        if (/moving_(mean|variance)/.test(name)) {
          assert.deepEqual(w.dataSync(), expected[i]!.dataSync(), `step ${s}: ${name} is not what one process gets`);
        }
      });
      tf.dispose(weights);
    }
    const means = reference.weights.filter((w) => /moving_mean/.test(w.name));
    assert.ok(
      means.some((w) =>
        w
          .read()
          .dataSync()
          .some((v) => v !== 0),
      ),
      'the moving means were updated',
    );
    const sums = await trainer.checksums();
    assert.equal(new Set(sums).size, 1, 'replicas are bit-identical');
  } finally {
    await trainer.dispose();
    optimizer.dispose();
    tf.dispose([model, reference].flatMap((m) => m.weights.map((w) => w.read())));
  }
}

test(
  '2 workers: MobileNetV2 α0.35 @32 step equals one process with the same micro-batches',
  { timeout: 300_000 },
  async () => {
    const spec: ModelSpec = {
      kind: 'classifier',
      base: 'mobilenetv2',
      alpha: 0.35,
      inputSize: 32,
      resize: 'bilinear',
      head: { pooling: 'avg' },
      freeze: { kind: 'none' },
      numClasses: 10,
      sourceSize: 32,
    };
    await assertMatchesSingleProcess(spec, 32, 8, 2);
  },
);

test(
  '3 workers: MobileNetV2 α0.35 @32 with its first layers frozen equals one process',
  { timeout: 300_000 },
  async () => {
    const spec: ModelSpec = {
      kind: 'classifier',
      base: 'mobilenetv2',
      alpha: 0.35,
      inputSize: 32,
      resize: 'bilinear',
      head: { pooling: 'avg' },
      freeze: { kind: 'last', n: 30 },
      numClasses: 10,
      sourceSize: 32,
    };
    // 4 micro-batches over 3 workers: shares of 1, 1 and 2; frozen BN layers stay in inference mode.
    await assertMatchesSingleProcess(spec, 32, 8, 2, 3);
  },
);

test('2 workers: DenseNet-style step equals one process, uneven micro-batches', { timeout: 300_000 }, async () => {
  const spec: ModelSpec = { kind: 'module', module: NETS, exportName: 'densenetStyle', options: { inputSize: 32 } };
  // 7 images in micro-batches of 2: worker 0 gets [2, 2], worker 1 gets [2, 1].
  await assertMatchesSingleProcess(spec, 32, 7, 2);
});

test('replicas stay bit-identical and nothing grows over 200 steps', { timeout: 300_000 }, async () => {
  const spec: ModelSpec = { kind: 'module', module: NETS, exportName: 'tinyNet', options: { inputSize: 8 } };
  const model = await buildSpecModel(spec);
  const trainer = await adamTrainer(2, model, spec, 8);
  try {
    const { x, y } = batch(8, 8, 3);
    await trainer.step(x, y, 2);
    const first = await trainer.memory();
    const initial = await trainer.checksums();
    for (let s = 0; s < 200; s++) await trainer.step(x, y, 2, 1e-3 * (1 - s / 400));
    tf.dispose([x, y]);
    const last = await trainer.memory();
    const sums = await trainer.checksums();
    assert.equal(sums[0], sums[1], 'replicas are bit-identical after 201 steps');
    assert.notEqual(sums[0], initial[0], 'the steps changed the weights');
    last.forEach((m, w) => {
      assert.equal(
        m.numTensors,
        first[w]!.numTensors,
        `worker ${w}: tensors ${first[w]!.numTensors} → ${m.numTensors}`,
      );
      assert.equal(m.numBytes, first[w]!.numBytes, `worker ${w}: tensor bytes`);
      assert.equal(m.heapBytes, first[w]!.heapBytes, `worker ${w}: wasm heap ${first[w]!.heapBytes} → ${m.heapBytes}`);
    });
  } finally {
    await trainer.dispose();
  }
});

test(
  'weights and optimizer state round-trip through setWeights / setOptimizerState',
  { timeout: 120_000 },
  async () => {
    const spec: ModelSpec = { kind: 'module', module: NETS, exportName: 'tinyNet', options: { inputSize: 8 } };
    const model = await buildSpecModel(spec);
    const a = await adamTrainer(2, model, spec, 4);
    const b = await adamTrainer(2, model, spec, 4);
    try {
      const { x, y } = batch(4, 8, 5);
      const first = a.step(x, y, 2);
      await assert.rejects(
        a.step(x, y, 2),
        /one request at a time/,
        'a second step may not overwrite the shared batch',
      );
      await assert.rejects(a.weights(), /one request at a time/);
      await first;
      const weights = await a.weights();
      await b.setWeights(weights);
      await b.setOptimizerState(await a.optimizerState());
      tf.dispose(weights);
      await a.step(x, y, 2);
      await b.step(x, y, 2);
      tf.dispose([x, y]);
      assert.deepEqual(await b.checksums(), await a.checksums(), 'a resumed trainer continues exactly');
    } finally {
      await Promise.all([a.dispose(), b.dispose()]);
    }
  },
);

test('a stop during a step: no further micro-batch, no update in any replica; the next step runs', async () => {
  const spec: ModelSpec = { kind: 'module', module: NETS, exportName: 'waitsForStopNet', options: { inputSize: 8 } };
  const model = await buildSpecModel(spec);
  seedWeights(model, 3);
  const trainer = await adamTrainer(2, model, spec, 8);
  const { x, y } = batch(8, 8, 2);
  try {
    const before = await trainer.checksums();
    let asked = 0;
    // Not yet when the step starts; on the first poll, while each worker holds its first micro-batch.
    const stopped = await trainer.stoppableStep(x, y, 1, { shouldStop: () => asked++ > 0 });
    assert.equal(stopped, null, 'the step was abandoned');
    assert.ok(asked >= 2, 'the stop was asked while the workers computed');
    assert.deepEqual(await trainer.checksums(), before, 'no replica applied an update or a batch-norm statistic');
    const next = await trainer.stoppableStep(x, y, 1, { shouldStop: () => false });
    assert.equal(next?.count, 8);
    const after = await trainer.checksums();
    assert.equal(after[0], after[1], 'replicas are bit-identical');
    assert.notEqual(after[0], before[0], 'the next step updated the weights');
  } finally {
    tf.dispose([x, y]);
    await trainer.dispose();
  }
});

for (const how of ['throw', 'exit'] as const) {
  test(
    `a worker that fails (${how}) rejects the step and every later call, without a hang`,
    { timeout: 120_000 },
    async () => {
      const spec: ModelSpec = {
        kind: 'module',
        module: NETS,
        exportName: 'failingNet',
        options: { inputSize: 8, how, worker: 1 },
      };
      const model = await buildSpecModel(spec);
      const trainer = await adamTrainer(2, model, spec, 4);
      const { x, y } = batch(4, 8, 1);
      try {
        const failed = await trainer.step(x, y, 1).then(
          () => null,
          (e: unknown) => e,
        );
        assert.ok(failed instanceof WorkerError, `rejected with ${String(failed)}`);
        assert.equal(failed.worker, 1);
        if (how === 'throw') {
          assert.match(failed.message, /boom: a layer failed inside the worker/);
          assert.match(failed.stack ?? '', /worker 1 stack[\s\S]*nets\.ts/, 'the worker stack is kept');
        } else {
          assert.match(failed.message, /exited with code 3/);
        }
        await assert.rejects(trainer.step(x, y, 1), (e) => e === failed, 'the failure is re-raised on the next call');
        await assert.rejects(trainer.checksums(), (e) => e === failed);
      } finally {
        tf.dispose([x, y]);
        await trainer.dispose();
      }
    },
  );
}
