// What a run will cost, measured before it starts: a few real steps on the backend it will use
// (feature extraction per input size, training steps in the planned micro-batches, forward passes
// for evaluation) on random inputs, scaled to the run's image counts. The model's weights are put
// back afterwards, so the run trains from exactly what it would have without the estimate.
import * as tf from '@tensorflow/tfjs';
import { batchCount, PIXELS_PER_IMAGE, type ImageSet, type PreprocessMode } from '../data/index.ts';
import type { ExperimentDefinition } from '../experiment/definition.ts';
import type { RunRecord } from '../run/record.ts';
import { computeCosts } from './compute-cost.ts';
import { createExtractor, disposeExtractor, extractSplit, FEATURE_BATCH } from './base-features.ts';
import { featureModels, type SizeFeatures } from './feature-models.ts';
import type { ForwardEngines } from './forward-engine.ts';
import { splitViews, type ImageView } from './feature-views.ts';
import { hasFrozenPrefix } from './frozen-prefix.ts';
import { featureSource } from './inputs.ts';
import { paramCounts, type RunModel } from './model-setup.ts';
import { createOptimizer } from './optimizer.ts';
import { planMicroBatch } from './parallel/plan.ts';
import { planWorkers } from './workers.ts';
import type { BackendKind } from '../backends/names.ts';
import { trainStep } from './step.ts';

export type RunEstimate = NonNullable<RunRecord['estimate']>;
type Counts = { train: number; validation: number; test: number };

const CPU_LIMIT_SECONDS = 12 * 3600;
const CACHED_EVAL_BATCH = 1024;
/** Stop timing a phase after this many seconds (one step of a big model can take that long). */
const ENOUGH_SECONDS = 10;
/** Time a phase for at least this long, however fast its calls. */
const MIN_TIMED_SECONDS = 0.3;
/**
 * Extraction, most of a cached-feature run's time, is timed for longer: this machine's speed swings
 * by tens of percent within a second, and a 0.3-s window caught one swing in four quickstart runs.
 */
const EXTRACTION_TIMED_SECONDS = 1;

/** Image counts of each split as the definition plans them, without loading the data. */
export function plannedCounts(def: ExperimentDefinition): Counts {
  const perClass = (n: number | undefined, all: number) => (n === undefined ? all : Math.min(all, n * 10));
  return {
    train: perClass(def.data.trainPerClass, 50_000 - def.data.validationSize),
    validation: def.data.validationSize,
    test: perClass(def.data.testPerClass, 10_000),
  };
}

/** Whether the run trains its head on cached features (as inputs.ts decides it for a frozen base). */
const usesFeatureCache = (def: ExperimentDefinition, built: RunModel) =>
  def.train.featureCache === 'auto' && built.freeze.trainableParams === 0;

/**
 * Seconds per call of `work`: a first, profiled call (warm-up: kernels compile, memory is allocated;
 * its peak tensor bytes are the figure kept), then calls until `times` and `minSeconds` both
 * are reached, or ENOUGH_SECONDS; the median call, so the JIT's last warm-up calls do not count.
 */
async function timeCalls(work: () => void | Promise<unknown>, times: number, minSeconds = MIN_TIMED_SECONDS) {
  const profile = await tf.profile(async () => (await work(), []));
  const seconds: number[] = [];
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  while ((seconds.length < times || elapsed() < minSeconds) && (seconds.length === 0 || elapsed() < ENOUGH_SECONDS)) {
    const start = performance.now();
    await work();
    seconds.push((performance.now() - start) / 1000);
  }
  seconds.sort((a, b) => a - b);
  return { seconds: seconds[seconds.length >> 1]!, calls: seconds.length, peakBytes: profile.peakBytes };
}

interface Timings {
  featureSeconds: number;
  stepSeconds: number;
  stepsPerEpoch: number;
  /** Seconds of one evaluation pass over `n` images. */
  evalSeconds: (n: number) => number;
  trainRows: number;
  peakBytes: number;
  timedSteps: number;
}

/**
 * Seconds of one optimizer step of `model` on random inputs of `shape`, in the planned micro-batches.
 * With data-parallel workers, what one worker does (they run side by side): its share of the batch,
 * then the whole update, as every replica applies it.
 */
async function timeTraining(def: ExperimentDefinition, model: tf.LayersModel, shape: number[], workers = 1) {
  const batchSize = Math.ceil(def.train.batchSize / workers);
  const microBatch = planMicroBatch(def.train.batchSize, def.train.microBatch ?? def.train.batchSize, workers);
  const x = tf.randomUniform([batchSize, ...shape]);
  const y = tf.oneHot(tf.randomUniform([batchSize], 0, 10, 'int32') as tf.Tensor1D, 10).toFloat() as tf.Tensor2D;
  try {
    return await trainingThenRestore(def, model, (optimizer) =>
      timeCalls(() => trainStep(model, optimizer, x, y, microBatch), 3),
    );
  } finally {
    tf.dispose([x, y]);
  }
}

/** `work` with a fresh optimizer of the run's kind; the run then trains from exactly the weights it had. */
async function trainingThenRestore<T>(
  def: ExperimentDefinition,
  model: tf.LayersModel,
  work: (optimizer: tf.Optimizer) => Promise<T>,
): Promise<T> {
  const optimizer = createOptimizer(def.optimizer);
  const saved = model.getWeights().map((w) => w.clone());
  try {
    return await work(optimizer);
  } finally {
    model.setWeights(saved);
    tf.dispose(saved);
    optimizer.dispose();
  }
}

/** Steps per timed call of the head on cached features: a few batches as the loop reads them. */
const FEATURE_STEPS = 4;

/**
 * Seconds of one optimizer step of the head on cached features, through the cache's batch source
 * (each batch's rows gathered and made tensors): on a small head that is a good part of a step.
 */
async function timeFeatureSteps(def: ExperimentDefinition, head: tf.LayersModel, dim: number) {
  const { batchSize } = def.train;
  const count = batchSize * FEATURE_STEPS;
  const split = {
    features: Float32Array.from({ length: count * dim }, () => Math.random()),
    labels: Uint8Array.from({ length: count }, (_, i) => i % 10),
    count,
    views: 1,
    dim,
  };
  const source = featureSource(split, def.seed, 10, 'train');
  const microBatch = def.train.microBatch ?? batchSize;
  const t = await trainingThenRestore(def, head, (optimizer) =>
    timeCalls(async () => {
      for await (const batch of source.stream({ batchSize, epoch: 0, shuffle: true })) {
        await trainStep(head, optimizer, batch.x, batch.y, microBatch);
        tf.dispose([batch.x, batch.y]);
      }
    }, 2),
  );
  return { ...t, seconds: t.seconds / FEATURE_STEPS };
}

/** Seconds of one forward pass (inference mode) over a batch of random inputs of `shape`. */
async function timeForward(apply: (x: tf.Tensor) => tf.Tensor, batch: number, shape: number[]) {
  const x = tf.randomUniform([batch, ...shape]);
  try {
    return await timeCalls(() => {
      const out = tf.tidy(() => apply(x));
      out.dataSync();
      out.dispose();
    }, 2);
  } finally {
    x.dispose();
  }
}

const IMAGE = [32, 32, 3];

/** Seconds of one evaluation batch, on the engine the run's validation passes choose (ONNX Runtime or tfjs). */
async function timeEvaluation(model: tf.LayersModel, batch: number, engines?: ForwardEngines) {
  const onnx = engines ? (await engines.choose('validation', model)).forward : null;
  if (!onnx) return timeForward((x) => model.apply(x) as tf.Tensor, batch, IMAGE);
  const data = new Float32Array(batch * PIXELS_PER_IMAGE).map(() => Math.random() * 2 - 1);
  try {
    return await timeCalls(() => onnx.run({ data, shape: [batch, ...IMAGE] }), 2);
  } finally {
    await onnx.dispose();
  }
}

/**
 * Seconds per batch of feature extraction, through the path the run extracts with: the batch pipeline
 * (preprocessing included) into the engine createExtractor chooses, the features copied out.
 */
async function timeExtraction(size: SizeFeatures, preprocess: PreprocessMode, engines?: ForwardEngines) {
  const extractor = await createExtractor(size, engines, { record: false });
  const set: ImageSet = {
    images: Uint8Array.from({ length: FEATURE_BATCH * PIXELS_PER_IMAGE }, () => Math.floor(Math.random() * 256)),
    labels: new Uint8Array(FEATURE_BATCH),
    count: FEATURE_BATCH,
  };
  const request = { set, views: ORIGINAL, preprocess, numClasses: 10, shouldStop: () => false, onProgress: () => {} };
  try {
    return await timeCalls(() => extractSplit([extractor], request), 2, EXTRACTION_TIMED_SECONDS);
  } finally {
    await disposeExtractor(extractor);
  }
}

const ORIGINAL: ImageView[] = [{ kind: 'original' }];

/** Cached features: extraction per size and view, then the head's steps and evaluation on features. */
async function cachedTimings(
  def: ExperimentDefinition,
  built: RunModel,
  counts: Counts,
  engines?: ForwardEngines,
): Promise<Timings> {
  const models = featureModels(built.classifier, def.model);
  const views = splitViews(def);
  const trainRows = counts.train * views.train.length;
  const evalRows = (counts.validation + counts.test) * views.evaluation.length;
  let featureSeconds = 0;
  let peakBytes = 0;
  let timedSteps = 0;
  for (const size of models.sizes) {
    const t = await timeExtraction(size, built.preprocessMode, engines);
    featureSeconds += ((trainRows + evalRows) * t.seconds) / FEATURE_BATCH;
    peakBytes = Math.max(peakBytes, t.peakBytes);
    timedSteps += t.calls;
  }
  const step = await timeFeatureSteps(def, models.head, models.featureDim);
  const forward = await timeForward((x) => models.head.apply(x) as tf.Tensor, CACHED_EVAL_BATCH, [models.featureDim]);
  return {
    featureSeconds,
    stepSeconds: step.seconds,
    stepsPerEpoch: batchCount(trainRows, def.train.batchSize),
    evalSeconds: (n) => ((n * views.evaluation.length) / CACHED_EVAL_BATCH) * forward.seconds,
    trainRows,
    peakBytes: Math.max(peakBytes, step.peakBytes, forward.peakBytes),
    timedSteps: timedSteps + step.calls + forward.calls,
  };
}

/** Training on images: the whole classifier's steps and forward passes (flip TTA doubles evaluation). */
async function imageTimings(
  def: ExperimentDefinition,
  built: RunModel,
  counts: Counts,
  workers: number,
  engines?: ForwardEngines,
) {
  const evalBatch = Math.max(def.train.batchSize, 32);
  const step = await timeTraining(def, built.classifier, IMAGE, workers);
  const forward = await timeEvaluation(built.classifier, evalBatch, engines);
  const tta = def.eval.tta === 'flip' ? 2 : 1;
  // LP-FT: the probe's head trains on features of every split, extracted once (its epochs take seconds).
  const probe =
    def.train.probeEpochs > 0
      ? await timeExtraction(featureModels(built.classifier, def.model).sizes[0]!, built.preprocessMode, engines)
      : null;
  const probeRows = counts.train + counts.validation + counts.test;
  return {
    featureSeconds: probe ? (probeRows * probe.seconds) / FEATURE_BATCH : 0,
    stepSeconds: step.seconds,
    stepsPerEpoch: batchCount(counts.train, def.train.batchSize),
    evalSeconds: (n) => ((n * tta) / evalBatch) * forward.seconds,
    trainRows: counts.train,
    peakBytes: Math.max(step.peakBytes, forward.peakBytes),
    timedSteps: step.calls + forward.calls + (probe?.calls ?? 0),
  } satisfies Timings;
}

/**
 * Times a few real steps of the run as planned on the current backend and scales them to its image
 * counts: seconds per epoch (training + validation), the whole run, FLOPs and peak tensor memory.
 * `backendKind` is the backend's kind (gpu | node | wasm | cpu): on a CPU, over 12 h comes with advice.
 */
export async function estimateRun(
  def: ExperimentDefinition,
  built: RunModel,
  counts: Counts,
  backend: { name: string; kind: string },
  /** The run's forward engines: extraction is timed on ONNX Runtime where the run will extract on it. */
  engines?: ForwardEngines,
  /** `--workers` as given (planWorkers decides, as for the run). */
  requestedWorkers?: number,
): Promise<RunEstimate> {
  const cached = usesFeatureCache(def, built);
  const workers = planWorkers(requestedWorkers, {
    backend: backend.kind as BackendKind,
    featureCache: cached,
    prefixOnEngine: hasFrozenPrefix(built.freeze) && (engines?.onnxUsable ?? false),
  }).workers;
  const t = cached
    ? await cachedTimings(def, built, counts, engines)
    : await imageTimings(def, built, counts, workers, engines);
  const secondsPerEpoch = t.stepsPerEpoch * t.stepSeconds + t.evalSeconds(counts.validation);
  const testSeconds = t.evalSeconds(counts.test);
  const totalSeconds = t.featureSeconds + def.train.epochs * secondsPerEpoch + testSeconds;
  const base = paramCounts(built.base);
  const model = paramCounts(built.classifier);
  const costs = computeCosts(
    {
      macsPerImage: model.macsPerImage,
      baseMacsPerImage: base.macsPerImage,
      dataset: { ...counts, classNames: [] },
      epochs: { planned: def.train.epochs, completed: 0 },
    },
    cached,
    built.freeze.trainableParams,
    base.total,
  );
  const flops = costs(t.trainRows * def.train.epochs, { data: 0, model: 0, features: 0, train: 0, evaluate: 0 }).flops;
  return {
    backend: backend.name,
    featureCache: cached,
    timedSteps: t.timedSteps,
    ...(workers > 1 ? { workers } : {}),
    featureSeconds: t.featureSeconds,
    secondsPerEpoch,
    testSeconds,
    totalSeconds,
    flops,
    peakMemoryBytes: t.peakBytes,
    advice: cheaperSettings(def, cached, totalSeconds, backend.kind),
    actual: null,
  };
}

/** Over 12 h on a CPU: the settings that would make the run cheaper (none otherwise). */
export function cheaperSettings(
  def: ExperimentDefinition,
  cached: boolean,
  totalSeconds: number,
  backendKind: string,
): string[] {
  if (totalSeconds <= CPU_LIMIT_SECONDS || backendKind === 'gpu') return [];
  const advice = [];
  if (!cached) advice.push('a frozen base (--set model.freeze=all: its features are computed once and cached)');
  if (def.model.inputSize > 96) {
    const ratio = ((96 / def.model.inputSize) ** 2).toFixed(2);
    advice.push(`a smaller input size (--set model.inputSize=96: about ${ratio}× the cost per image)`);
  }
  if (def.data.trainPerClass === undefined) advice.push('fewer training images (--set data.trainPerClass=500)');
  advice.push('a GPU (--backend gpu with @tensorflow/tfjs-node-gpu)');
  return advice;
}

const duration = (s: number): string =>
  s < 90 ? `${s.toFixed(1)} s` : s < 5400 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`;

function flopsText(flops: number): string {
  const [unit, scale] = flops >= 1e15 ? ['P', 1e15] : flops >= 1e12 ? ['T', 1e12] : ['G', 1e9];
  return `${(flops / scale).toFixed(2)} ${unit}FLOPs`;
}

/** The estimate as the first lines of a run (and of --dry-run). */
export function estimateLines(e: RunEstimate, epochs: number): string[] {
  const flops = flopsText(e.flops);
  const memory = `${(e.peakMemoryBytes / 2 ** 20).toFixed(0)} MiB`;
  const lines = [
    `estimate (${e.backend}${e.workers ? ` × ${e.workers} workers` : ''}, ${e.timedSteps} timed steps): ` +
      `${duration(e.secondsPerEpoch)} per epoch · ` +
      `total ${duration(e.totalSeconds)} (features ${duration(e.featureSeconds)}, ${epochs} epochs, ` +
      `test ${duration(e.testSeconds)}) · ${flops} · peak tensor memory ${memory}`,
  ];
  if (e.advice.length > 0) {
    lines.push(`estimate: over 12 h on a CPU; cheaper: ${e.advice.join('; ')}`);
  }
  return lines;
}

/** The run's whole cost in one plain line (--dry-run's last): compute with the extraction, and time. */
export function totalLine(e: RunEstimate): string {
  const what = e.featureCache
    ? "feature extraction once, the head's training, validation and test"
    : 'training, validation and test';
  return `total: ${flopsText(e.flops)} of compute (${what}) · about ${duration(e.totalSeconds)} on ${e.backend}`;
}

/** The estimate's figures as the run measured them (its phases), for run.json beside the estimate. */
export function measuredCost(record: RunRecord, testSeconds: number): NonNullable<RunEstimate['actual']> {
  const epochs = record.history.length;
  const { features, train, evaluate } = record.phases;
  return {
    featureSeconds: features,
    secondsPerEpoch: epochs > 0 ? (train + evaluate - testSeconds) / epochs : null,
    testSeconds,
    totalSeconds: features + train + evaluate,
  };
}
