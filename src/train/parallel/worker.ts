// One data-parallel replica: its own tfjs engine and wasm heap, the model built from the spec and
// loaded with the trainer's weights, its own optimizer (identical state in every replica).
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from '../../backends/index.ts';
import { createOptimizer, setLearningRate } from '../optimizer.ts';
import { batchGradients } from '../step.ts';
import { SharedBarrier, StepAbortedError, stopFlag } from './barrier.ts';
import { RESULT_SLOTS, views } from './buffers.ts';
import { buildSpecModel } from './model-spec.ts';
import { DeferredMovingStatistics } from './moving-statistics.ts';
import { planShares } from './plan.ts';
import type { OptimizerWeight, Reply, Request, WorkerInit, WorkerMemory } from './protocol.ts';

const init = (workerData as { init: WorkerInit }).init;
const port = parentPort!;
const post = (reply: Reply) => port.postMessage(reply);
const v = views(init.buffers);
const barrier = new SharedBarrier(v.control, init.workers);

await selectBackend(init.backend, { quiet: true });
const model = await buildSpecModel(init.spec);
const optimizer = createOptimizer(init.optimizer);
const trainable = model.trainableWeights;
const statistics = new DeferredMovingStatistics(model, v.statistics);
if (statistics.floatsPerMicroBatch !== init.buffers.sizes.statisticsFloats) {
  throw new Error(
    `worker ${init.index}: the replica's batch-norm statistics (${statistics.floatsPerMicroBatch} floats) ` +
      `differ from the trainer's model (${init.buffers.sizes.statisticsFloats})`,
  );
}
const imageFloats = init.buffers.sizes.imageFloats;
const size = (shape: readonly (number | null)[]) => shape.reduce<number>((n, d) => n * (d ?? 0), 1);

function loadWeights(): void {
  let offset = 0;
  tf.tidy(() => {
    for (const w of model.weights) {
      const n = size(w.shape);
      w.write(tf.tensor(v.weights.slice(offset, offset + n), w.shape as number[]));
      offset += n;
    }
  });
}

function saveWeights(): void {
  let offset = 0;
  for (const w of model.weights) {
    const values = w.read().dataSync() as Float32Array;
    v.weights.set(values, offset);
    offset += values.length;
  }
}

/** This worker's share of the reduction: a contiguous slice of the gradient vector. */
function reduceSlice(): void {
  const total = init.buffers.sizes.trainableFloats;
  const lo = Math.floor((init.index * total) / init.workers);
  const hi = Math.floor(((init.index + 1) * total) / init.workers);
  const regions = Array.from({ length: init.workers }, (_, w) => v.gradientRegion(w));
  for (let i = lo; i < hi; i++) {
    // Float32 additions in worker order, as tf.add would round them.
    let sum = regions[0]![i]!;
    for (let w = 1; w < regions.length; w++) sum = Math.fround(sum + regions[w]![i]!);
    v.reduced[i] = sum;
  }
}

/** This worker's passes over its share, into its gradient region and result slots (abandoned on a stop). */
function computeShare(batch: number, microBatch: number): void {
  const share = planShares(batch, microBatch, init.workers)[init.index]!;
  const region = v.gradientRegion(init.index);
  const slot = RESULT_SLOTS * init.index;
  v.results.fill(0, slot, slot + RESULT_SLOTS);
  statistics.begin(share.firstMicroBatch);
  if (share.size === 0) {
    region.fill(0);
    return;
  }
  const rows = (values: Float32Array, width: number) =>
    values.slice(share.start * width, (share.start + share.size) * width);
  const x = tf.tensor(rows(v.images, imageFloats), [share.size, ...init.inputShape]);
  const y = tf.tensor2d(rows(v.labels, init.classes), [share.size, init.classes]);
  const result = batchGradients(model, x, y, microBatch, batch, () => stopFlag.raised(v.control));
  tf.dispose([x, y]);
  if (result === null) {
    v.results[slot + 2] = 1;
    return;
  }
  statistics.finish(share.microBatches);
  let offset = 0;
  for (const w of trainable) {
    const g = result.grads[(w.read() as tf.Variable).name];
    if (!g) throw new Error(`worker ${init.index}: no gradient for ${w.name}`);
    region.set(g.dataSync() as Float32Array, offset);
    offset += g.size;
  }
  tf.dispose(result.grads);
  v.results[slot] = result.loss;
  v.results[slot + 1] = result.correct;
}

const anyAbandoned = (): boolean =>
  Array.from({ length: init.workers }, (_, w) => v.results[RESULT_SLOTS * w + 2]).some((a) => a !== 0);

/** The reduced gradient as this replica's update (every replica applies the same one). */
function applyReduced(learningRate: number | undefined): void {
  const grads: tf.NamedTensorMap = {};
  let offset = 0;
  for (const w of trainable) {
    const n = size(w.shape);
    grads[(w.read() as tf.Variable).name] = tf.tensor(v.reduced.slice(offset, offset + n), w.shape as number[]);
    offset += n;
  }
  if (learningRate !== undefined) setLearningRate(optimizer, learningRate);
  if (trainable.length > 0) optimizer.applyGradients(grads);
  tf.dispose(grads);
}

function step(batch: number, microBatch: number, learningRate: number | undefined): void {
  computeShare(batch, microBatch);
  barrier.wait();
  // Every worker reads the same flags after the barrier: all abandon the step (a stop), or none does.
  if (anyAbandoned()) return;
  reduceSlice();
  barrier.wait();
  applyReduced(learningRate);
  statistics.replay(Math.ceil(batch / microBatch));
}

function checksum(): string {
  const hash = createHash('sha256');
  for (const w of model.weights) {
    const values = w.read().dataSync() as Float32Array;
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  return hash.digest('hex');
}

function memory(): WorkerMemory {
  const m = tf.memory();
  const wasm = (tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm;
  return {
    numTensors: m.numTensors,
    numBytes: m.numBytes,
    heapBytes: wasm ? wasm.HEAPU8.length : process.memoryUsage().rss,
  };
}

async function optimizerState(): Promise<OptimizerWeight[]> {
  const weights = await optimizer.getWeights();
  return weights.map(({ name, tensor }) => ({ name, shape: tensor.shape, values: tensor.dataSync() as Float32Array }));
}

async function handle(request: Request): Promise<unknown> {
  switch (request.type) {
    case 'step':
      return step(request.size, request.microBatch, request.learningRate);
    case 'load-weights':
      return loadWeights();
    case 'save-weights':
      return saveWeights();
    case 'checksum':
      return checksum();
    case 'memory':
      return memory();
    case 'get-optimizer-state':
      return optimizerState();
    case 'set-optimizer-state': {
      const tensors = request.state.map(({ name, shape, values }) => ({ name, tensor: tf.tensor(values, shape) }));
      await optimizer.setWeights(tensors);
      tf.dispose(tensors.map((t) => t.tensor));
      return undefined;
    }
  }
}

port.on('message', (request: Request) => {
  handle(request).then(
    (value) => post({ type: 'done', ...(value !== undefined ? { value } : {}) }),
    (e: unknown) => {
      const aborted = e instanceof StepAbortedError;
      // Release the siblings waiting at the barrier for this worker.
      if (!aborted) SharedBarrier.abort(v.control);
      const error = e instanceof Error ? e : new Error(String(e));
      post({ type: 'error', message: error.message, stack: error.stack ?? error.message, aborted });
    },
  );
});

loadWeights();
post({ type: 'ready', weightShapes: model.weights.map((w) => w.shape as number[]) });
