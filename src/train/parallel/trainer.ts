import * as tf from '@tensorflow/tfjs';
import { Worker } from 'node:worker_threads';
import type { BackendPreference } from '../../backends/names.ts';
import type { OptimizerSpec } from '../../experiment/definition.ts';
import type { StepResult } from '../step.ts';
import { SharedBarrier, stopFlag } from './barrier.ts';
import { allocateBuffers, RESULT_SLOTS, views, type BufferSizes, type SharedBuffers } from './buffers.ts';
import type { ModelSpec } from './model-spec.ts';
import { DeferredMovingStatistics } from './moving-statistics.ts';
import type { OptimizerWeight, Reply, Request, WorkerInit, WorkerMemory } from './protocol.ts';

export interface TrainerOptions {
  workers: number;
  /**
   * The trainer's own replica (built from `modelSpec` in this thread, weights loaded): the source
   * of every worker's initial weights and of the buffer sizes. The trainer never changes it.
   */
  model: tf.LayersModel;
  modelSpec: ModelSpec;
  optimizerSpec: OptimizerSpec;
  /** Largest batch `step` will be given. */
  maxBatch: number;
  /** Each worker's backend; default wasm. */
  backend?: BackendPreference;
}

/** A failure in a worker, carrying the worker's own stack. */
export class WorkerError extends Error {
  override name = 'WorkerError';
  constructor(
    readonly worker: number,
    message: string,
    workerStack: string,
  ) {
    super(`data-parallel worker ${worker}: ${message}`);
    this.stack = `${this.name}: ${this.message}\n  --- worker ${worker} stack ---\n${workerStack}`;
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: WorkerError; aborted: boolean };

interface Replica {
  worker: Worker;
  settle: ((outcome: Outcome) => void) | null;
  exited: boolean;
}

/** How often a stoppable step asks whether to stop while the workers compute. */
const STOP_POLL_MS = 50;

const floats = (shape: readonly (number | null)[]) => shape.reduce<number>((n, d) => n * (d ?? 0), 1);

/**
 * Synchronous data parallelism over worker_threads: every worker holds a replica of the model in
 * its own tfjs engine (its own 4 GiB wasm heap), takes its share of each batch (whole
 * micro-batches, see planShares), and the replicas exchange gradients and batch-norm statistics
 * through shared memory so that all of them apply the same update and stay bit-identical.
 * Requests run one at a time; a worker's failure rejects the request in flight and every later one.
 */
export class DataParallelTrainer {
  private failure: Error | null = null;
  private closed = false;
  /** A request is in flight: the shared buffers are the workers' until it settles. */
  private busy = false;
  private readonly view: ReturnType<typeof views>;

  private constructor(
    private readonly replicas: Replica[],
    private readonly buffers: SharedBuffers,
    private readonly model: tf.LayersModel,
  ) {
    this.view = views(buffers);
  }

  static async create(options: TrainerOptions): Promise<DataParallelTrainer> {
    const { workers, model, maxBatch } = options;
    if (!Number.isInteger(workers) || workers < 1)
      throw new Error(`workers must be a positive integer, got ${workers}`);
    if (!Number.isInteger(maxBatch) || maxBatch < 1)
      throw new Error(`maxBatch must be a positive integer, got ${maxBatch}`);
    const buffers = allocateBuffers(bufferSizes(model, workers, maxBatch));
    writeWeights(
      new Float32Array(buffers.weights),
      model.weights.map((w) => w.read()),
    );
    const trainer = new DataParallelTrainer([], buffers, model);
    const ready = Array.from({ length: workers }, (_, index) => trainer.start(index, options));
    try {
      const outcomes = await Promise.all(ready);
      trainer.raise(outcomes);
      const expected = JSON.stringify(model.weights.map((w) => w.shape));
      outcomes.forEach((o, i) => {
        if (JSON.stringify((o as { value: number[][] }).value) === expected) return;
        throw new Error(
          `data-parallel worker ${i} built a model with other weight shapes than the trainer's model ` +
            `(${options.modelSpec.kind} spec)`,
        );
      });
    } catch (e) {
      await trainer.dispose();
      throw e;
    }
    return trainer;
  }

  /** Starts worker `index`; resolves when its replica is built and loaded (or it failed). */
  private start(index: number, options: TrainerOptions): Promise<Outcome> {
    const init: WorkerInit = {
      index,
      workers: options.workers,
      spec: options.modelSpec,
      optimizer: options.optimizerSpec,
      backend: options.backend ?? 'wasm',
      buffers: this.buffers,
      inputShape: this.model.inputs[0]!.shape.slice(1) as number[],
      classes: this.model.outputs[0]!.shape[1] as number,
    };
    const worker = new Worker(new URL('./bootstrap.mjs', import.meta.url), {
      workerData: { entry: new URL('./worker.ts', import.meta.url).href, init },
      execArgv: workerExecArgv(process.execArgv),
    });
    const replica: Replica = { worker, settle: null, exited: false };
    this.replicas.push(replica);
    const ready = new Promise<Outcome>((resolve) => (replica.settle = resolve));
    this.listen(index, replica);
    return ready;
  }

  get workers(): number {
    return this.replicas.length;
  }

  /**
   * One optimizer step on the batch, as `trainStep(model, optimizer, x, y, microBatch)` would take
   * it in one process: the same micro-batches, the batch-mean gradient, one update. `learningRate`
   * is set on every replica's optimizer before the update.
   */
  async step(x: tf.Tensor, y: tf.Tensor, microBatch: number, learningRate?: number): Promise<StepResult> {
    const result = await this.stoppableStep(x, y, microBatch, learningRate === undefined ? {} : { learningRate });
    return result!;
  }

  /**
   * `step`, abandoned when `shouldStop` turns true first (asked every STOP_POLL_MS while the workers
   * compute): no worker starts another micro-batch, none applies an update, and the result is null.
   */
  async stoppableStep(
    x: tf.Tensor,
    y: tf.Tensor,
    microBatch: number,
    options: { learningRate?: number; shouldStop?: () => boolean },
  ): Promise<StepResult | null> {
    const size = this.checkBatch(x, y, microBatch);
    const { learningRate, shouldStop } = options;
    return this.exclusive(async () => {
      this.view.images.set(x.dataSync() as Float32Array);
      this.view.labels.set(y.dataSync() as Float32Array);
      stopFlag.clear(this.view.control);
      if (shouldStop?.()) return null;
      const poll = shouldStop
        ? setInterval(() => shouldStop() && stopFlag.raise(this.view.control), STOP_POLL_MS)
        : undefined;
      try {
        await this.all({ type: 'step', size, microBatch, ...(learningRate !== undefined ? { learningRate } : {}) });
      } finally {
        clearInterval(poll);
      }
      return this.readResults(size);
    });
  }

  /** The batch's size, once its shapes check out against the model and the buffers. */
  private checkBatch(x: tf.Tensor, y: tf.Tensor, microBatch: number): number {
    const size = x.shape[0]!;
    const { maxBatch, imageFloats, labelFloats } = this.buffers.sizes;
    if (size > maxBatch) throw new Error(`step: batch of ${size} exceeds the trainer's maxBatch ${maxBatch}`);
    if (y.shape[0] !== size || floats(y.shape.slice(1)) !== labelFloats || floats(x.shape.slice(1)) !== imageFloats) {
      throw new Error(
        `step: batch shapes ${JSON.stringify(x.shape)} / ${JSON.stringify(y.shape)} ` +
          `do not match the model's input and ${labelFloats} classes`,
      );
    }
    if (!Number.isInteger(microBatch) || microBatch < 1)
      throw new Error(`step: microBatch must be a positive integer, got ${microBatch}`);
    return size;
  }

  /** The workers' summed loss and hits; null when they abandoned the step. */
  private readResults(size: number): StepResult | null {
    let loss = 0;
    let correct = 0;
    for (let w = 0; w < this.workers; w++) {
      if (this.view.results[RESULT_SLOTS * w + 2] !== 0) return null;
      loss += this.view.results[RESULT_SLOTS * w]!;
      correct += this.view.results[RESULT_SLOTS * w + 1]!;
    }
    return { loss, correct, count: size };
  }

  /** The batch-mean gradient the last step applied, flat in model.trainableWeights order (a copy). */
  lastGradients(): Float32Array {
    this.check();
    if (this.busy) throw new Error('DataParallelTrainer: lastGradients() while a request is in flight');
    return this.view.reduced.slice();
  }

  /** The replicas' weights in model.weights order (for checkpoints and evaluation); the caller disposes them. */
  async weights(): Promise<tf.Tensor[]> {
    return this.exclusive(async () => {
      await this.one(0, { type: 'save-weights' });
      let offset = 0;
      return this.model.weights.map((w) => {
        const n = floats(w.shape);
        const t = tf.tensor(this.view.weights.slice(offset, offset + n), w.shape as number[]);
        offset += n;
        return t;
      });
    });
  }

  /** Overwrites every replica's weights (resume), in model.weights order. */
  async setWeights(values: tf.Tensor[]): Promise<void> {
    if (values.length !== this.model.weights.length)
      throw new Error(`setWeights: ${values.length} tensors for ${this.model.weights.length} weights`);
    return this.exclusive(async () => {
      writeWeights(this.view.weights, values);
      await this.all({ type: 'load-weights' });
    });
  }

  /** The optimizer's state (identical in every replica), in tfjs' getWeights order. */
  async optimizerState(): Promise<OptimizerWeight[]> {
    return this.exclusive(async () => (await this.one(0, { type: 'get-optimizer-state' })) as OptimizerWeight[]);
  }

  async setOptimizerState(state: OptimizerWeight[]): Promise<void> {
    await this.exclusive(() => this.all({ type: 'set-optimizer-state', state }));
  }

  /** sha256 of each replica's weights: equal strings mean bit-identical replicas. */
  async checksums(): Promise<string[]> {
    return this.exclusive(async () => (await this.all({ type: 'checksum' })) as string[]);
  }

  async memory(): Promise<WorkerMemory[]> {
    return this.exclusive(async () => (await this.all({ type: 'memory' })) as WorkerMemory[]);
  }

  async dispose(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.replicas.map((r) => r.worker.terminate()));
  }

  private listen(index: number, replica: Replica): void {
    const settle = (outcome: Outcome) => {
      const pending = replica.settle;
      replica.settle = null;
      pending?.(outcome);
    };
    const fail = (message: string, stack: string, aborted = false) => {
      if (!aborted) SharedBarrier.abort(this.view.control);
      settle({ ok: false, error: new WorkerError(index, message, stack), aborted });
    };
    replica.worker.on('message', (reply: Reply) => {
      if (reply.type === 'error') fail(reply.message, reply.stack, reply.aborted);
      else settle({ ok: true, value: reply.type === 'ready' ? reply.weightShapes : reply.value });
    });
    replica.worker.on('error', (e: Error) => fail(e.message, e.stack ?? e.message));
    replica.worker.on('exit', (code) => {
      replica.exited = true;
      if (this.closed) {
        settle({ ok: false, error: new WorkerError(index, 'the trainer was disposed', ''), aborted: true });
        return;
      }
      fail(`exited with code ${code}`, '(the worker thread ended)');
      this.failure ??= new WorkerError(index, `exited with code ${code}`, '(the worker thread ended)');
    });
  }

  private check(): void {
    if (this.closed) throw new Error('DataParallelTrainer: used after dispose()');
    if (this.failure) throw this.failure;
  }

  /** Runs one request at a time: the shared buffers belong to the workers while one is in flight. */
  private async exclusive<T>(run: () => Promise<T>): Promise<T> {
    this.check();
    if (this.busy) throw new Error('DataParallelTrainer: one request at a time (await the previous call first)');
    this.busy = true;
    try {
      return await run();
    } finally {
      this.busy = false;
    }
  }

  private request(index: number, request: Request): Promise<Outcome> {
    const replica = this.replicas[index]!;
    if (replica.exited)
      return Promise.resolve({ ok: false, error: new WorkerError(index, 'has exited', ''), aborted: false });
    return new Promise((resolve) => {
      replica.settle = resolve;
      replica.worker.postMessage(request);
    });
  }

  private async all(request: Request): Promise<unknown[]> {
    const outcomes = await Promise.all(this.replicas.map((_, i) => this.request(i, request)));
    return this.raise(outcomes);
  }

  private async one(index: number, request: Request): Promise<unknown> {
    return this.raise([await this.request(index, request)])[0];
  }

  /** The first real failure wins over the siblings it aborted; it sticks for every later call. */
  private raise(outcomes: Outcome[]): unknown[] {
    const failed = outcomes.filter((o): o is Extract<Outcome, { ok: false }> => !o.ok);
    if (failed.length > 0) {
      this.failure ??= (failed.find((o) => !o.aborted) ?? failed[0]!).error;
      throw this.failure;
    }
    return outcomes.map((o) => (o as { value: unknown }).value);
  }
}

function bufferSizes(model: tf.LayersModel, workers: number, maxBatch: number): BufferSizes {
  return {
    workers,
    maxBatch,
    imageFloats: floats(model.inputs[0]!.shape.slice(1)),
    labelFloats: model.outputs[0]!.shape[1] as number,
    trainableFloats: model.trainableWeights.reduce((n, w) => n + floats(w.shape), 0),
    weightFloats: model.weights.reduce((n, w) => n + floats(w.shape), 0),
    statisticsFloats: new DeferredMovingStatistics(model, null).floatsPerMicroBatch,
  };
}

function writeWeights(target: Float32Array, values: tf.Tensor[]): void {
  let offset = 0;
  for (const t of values) {
    target.set(t.dataSync() as Float32Array, offset);
    offset += t.size;
  }
}

/**
 * The parent's flags without its TypeScript preloads (a sweep trial's `--import …/stop-when-orphaned.ts`):
 * a worker runs its preloads before bootstrap.mjs registers tsx, so a `.ts` preload would kill it.
 */
function workerExecArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--import' && argv[i + 1]?.endsWith('.ts')) i++;
    else if (!(arg.startsWith('--import=') && arg.endsWith('.ts'))) out.push(arg);
  }
  return out;
}
