// `npm run bench -- data [--quick]`: CIFAR-10 pipeline throughput at 32, 96 and 160 px (with and
// without augmentation) as a ratio against training steps measured in the same run, plus a memory
// check over a full training epoch at 160 px (the first batches of it with --quick).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { batchCount, batches, loadCifar10, resolveCifar10Dir, type ImageSet } from '../src/data/index.ts';
import { resolveLocations } from '../src/experiment/locations.ts';

const BATCH = 32;
const SIZES = [32, 96, 160] as const;
const MiB = 2 ** 20;

interface Baseline {
  label: string;
  imagesPerSecond: Map<number, number>;
}

async function chooseBackend(): Promise<string> {
  try {
    const backends = await import('../src/backends/index.ts');
    return backends.describeChoice(await backends.selectBackend('auto', { quiet: true }));
  } catch (err) {
    await tf.setBackend('cpu');
    return `backend: cpu (src/backends unavailable: ${(err as Error).message.split('\n')[0]})`;
  }
}

/** The data folder: --data-dir / TRANSFERLAB_DATA_DIR (locations.ts), else the shared fixtures beside the checkout. */
async function dataDir(flags: string[]): Promise<string> {
  const flag = flags.find((f) => f.startsWith('--data-dir='))?.slice('--data-dir='.length);
  const shared = resolve(process.env.TRANSFERLAB_SHARED ?? join(import.meta.dirname, '..', '..', 'shared'), 'data');
  const fallback = !flag && !process.env.TRANSFERLAB_DATA_DIR && existsSync(shared) ? shared : undefined;
  return resolveCifar10Dir({ dataDir: resolveLocations({ dataDir: flag ?? fallback }).dataDir, download: false });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median seconds of `step` after `warmup` unmeasured calls. */
async function timeSteps(step: () => Promise<void>, warmup: number, runs: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await step();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await step();
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

async function measureTrainStep(build: (size: number) => tf.LayersModel, size: number, runs: number): Promise<number> {
  const model = build(size);
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const x = tf.randomUniform([BATCH, size, size, 3], -1, 1);
  const y = tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32') as tf.Tensor1D, 10);
  try {
    const seconds = await timeSteps(async () => void (await model.trainOnBatch(x, y)), 1, runs);
    return BATCH / seconds;
  } finally {
    tf.dispose([x, y]);
    model.optimizer.dispose();
    model.dispose();
  }
}

/** GAP + Dense(10) on the batch: the cheapest training step any experiment can have. */
function headOnly(size: number): tf.LayersModel {
  const input = tf.input({ shape: [size, size, 3] });
  const pooled = tf.layers.globalAveragePooling2d({}).apply(input) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 10, activation: 'softmax' }).apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** The quickstart experiment's network (MobileNet v1 α 0.25, frozen, avg pool, Dense 256, softmax), fed at `size`. */
async function quickstartBuilder(): Promise<((size: number) => tf.LayersModel) | null> {
  try {
    const models = await import('../src/models/index.ts');
    return (size) => {
      const base = models.buildBase({ name: 'mobilenetv1', alpha: 0.25, inputSize: size });
      base.trainable = false;
      const input = tf.input({ shape: [size, size, 3] });
      let x = base.apply(input) as tf.SymbolicTensor;
      x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
      x = tf.layers.dense({ units: 256, activation: 'relu' }).apply(x) as tf.SymbolicTensor;
      x = tf.layers.dense({ units: 10, activation: 'softmax' }).apply(x) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: x });
    };
  } catch (err) {
    console.log(`  (src/models not usable, quickstart baseline skipped: ${(err as Error).message.split('\n')[0]})`);
    return null;
  }
}

/** Images/s of the fastest of three consecutive windows (robust to other load on the machine). */
async function pipelineRate(set: ImageSet, size: number, augment: boolean, window: number): Promise<number> {
  const warmup = 3; // JIT and kernel warm-up
  const arrivals: number[] = [];
  for await (const b of batches(set, {
    batchSize: BATCH,
    size,
    resize: 'bilinear',
    preprocess: 'tf',
    augment,
    seed: 1,
    prefetch: 1,
  })) {
    await b.x.data(); // the values exist, on any backend
    tf.dispose([b.x, b.y]);
    if (b.batch >= warmup) arrivals.push(performance.now());
    if (arrivals.length === 3 * window + 1) break;
  }
  let best = 0;
  for (let w = 0; w < 3; w++) {
    best = Math.max(best, (window * BATCH) / ((arrivals[(w + 1) * window] - arrivals[w * window]) / 1000));
  }
  return best;
}

async function epochMemory(set: ImageSet, nBatches: number): Promise<void> {
  const total = batchCount(set.count, BATCH);
  const limit = Math.min(nBatches, total);
  const counts = new Set<number>();
  let peak = process.memoryUsage().rss;
  const t0 = performance.now();
  let images = 0;
  for await (const b of batches(set, {
    batchSize: BATCH,
    size: 160,
    resize: 'bilinear',
    preprocess: 'torch',
    augment: true,
    seed: 1,
  })) {
    images += b.x.shape[0];
    tf.dispose([b.x, b.y]);
    counts.add(tf.memory().numTensors);
    if (b.batch % 20 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    if (b.batch + 1 === limit) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  peak = Math.max(peak, process.memoryUsage().rss);
  const flat = counts.size === 1 ? `flat at ${[...counts][0]}` : `NOT flat: ${[...counts].join(', ')}`;
  console.log(
    `  ${limit === total ? 'full epoch' : `first ${limit} of ${total} batches`} ` +
      `at 160 px (augmented, torch): ${images} images in ` +
      `${seconds.toFixed(1)} s (${(images / seconds).toFixed(0)} img/s); peak RSS ${(peak / MiB).toFixed(0)} MiB ` +
      `(${((100 * peak) / (2 * 1024 * MiB)).toFixed(0)} % of the 2 GiB budget); tensor count ${flat}`,
  );
}

export async function run(flags: string[]): Promise<void> {
  const quick = flags.includes('--quick');
  console.log(await chooseBackend());
  const t0 = performance.now();
  const dir = await dataDir(flags);
  const { train } = await loadCifar10(dir);
  console.log(
    `  loaded ${dir}: ${train.count} training images in ${((performance.now() - t0) / 1000).toFixed(2)} s; ` +
      `RSS ${(process.memoryUsage().rss / MiB).toFixed(0)} MiB`,
  );
  // first, before any model grows the backend's heap
  await epochMemory(train, quick ? 100 : Number.POSITIVE_INFINITY);

  const stepRuns = quick ? 2 : 5;
  const baselines: Baseline[] = [];
  const quickstart = await quickstartBuilder();
  if (quickstart) {
    const rates = new Map<number, number>();
    for (const size of SIZES) rates.set(size, await measureTrainStep(quickstart, size, stepRuns));
    baselines.push({
      label: 'quickstart step (MobileNet v1 0.25 frozen + Dense 256 head, trainOnBatch, no feature cache)',
      imagesPerSecond: rates,
    });
  }
  const headRates = new Map<number, number>();
  for (const size of SIZES) headRates.set(size, await measureTrainStep(headOnly, size, stepRuns));
  baselines.push({
    label: 'head-only step (GAP + Dense 10 on the batch, trainOnBatch): a lower bound for any experiment',
    imagesPerSecond: headRates,
  });

  console.log(`  baselines, batch ${BATCH}, median of ${stepRuns} steps after warm-up:`);
  baselines.forEach((b, i) =>
    console.log(
      `   [${String.fromCharCode(65 + i)}] ${b.label}: ` +
        `${SIZES.map((s) => `${s} px ${b.imagesPerSecond.get(s)!.toFixed(1)} img/s`).join(', ')}`,
    ),
  );
  console.log(
    `  pipeline (batches(): gather, [augment], preprocess 'tf', bilinear resize; fastest ` +
      `of 3 windows; ratio = pipeline img/s ÷ baseline img/s, > 1: never the bottleneck):`,
  );
  const window = quick ? 8 : 30;
  for (const size of SIZES) {
    for (const augment of [false, true]) {
      const rate = await pipelineRate(train, size, augment, window);
      const ratios = baselines
        .map((b, i) => `${(rate / b.imagesPerSecond.get(size)!).toFixed(1)}× [${String.fromCharCode(65 + i)}]`)
        .join(', ');
      console.log(
        `   ${String(size).padStart(3)} px ${augment ? 'augmented' : 'plain    '}: ` +
          `${rate.toFixed(0).padStart(6)} img/s = ${ratios}`,
      );
    }
  }
}
