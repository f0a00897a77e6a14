import { renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend, type BackendPreference } from '../backends/index.ts';
import { cacheDir } from '../download/index.ts';
import {
  loadCifar10, resolveCifar10Dir, splitValidation, stratifiedSubset, CIFAR10_FILES, type ImageSet,
} from '../data/index.ts';
import { SummaryWriter } from '../tensorboard/index.ts';
import { featureSource, imageSource, type BatchSource } from './batch-source.ts';
import { checkpointDir, loadCheckpoint, saveCheckpoint, type TrainState } from './checkpoint.ts';
import { augmentationOn, cropPadding, definitionSchema, type ExperimentDefinition } from './definition.ts';
import { gitState, hardwareInfo } from './environment.ts';
import { evaluate, perClassAccuracy } from './evaluate.ts';
import { featureCacheDir, featureCacheKey, readFeatureCache, writeFeatureCache, type CachedSplit } from './feature-cache.ts';
import { extractFeatures } from './features.ts';
import { rebuildHparamsExperiment, runHparams } from './hparams.ts';
import { confusionMatrixImage, confusionMatrixMarkdown, samplePredictionsImage, samplePredictionsMarkdown, classColorLegendMarkdown } from './images.ts';
import { loadDefinition, resolveInlineDefinition, type LoadedDefinition } from './load-definition.ts';
import { trainLoop } from './loop.ts';
import { buildRunModel, paramCounts, splitAtPooling, weightsDigest, type ModelLocations } from './model-setup.ts';
import { createOptimizer } from './optimizer.ts';
import { createProgress, type EpochProgress } from './progress.ts';
import { readRunRecord, writeRunRecord, type RunRecord } from './run-record.ts';
import { checkRunName, createRunDir, locateRun } from './run-dir.ts';
import { installStopSignal, type StopSignal } from './signals.ts';

export interface RunOptions extends ModelLocations {
  /** `--logdir` (else TRANSFERLAB_LOGDIR, else `logs`). */
  logdir?: string;
  /** Suffix of the run folder. */
  name?: string;
  seed?: number;
  /** Added to the definition's tags. */
  tags?: string[];
  /** `--set key=value` overrides. */
  overrides?: string[];
  dataDir?: string;
  backend?: BackendPreference;
  /** Continue a run (its id relative to the logdir, or its path) from its last checkpoint. */
  resume?: string;
  experimentsDir?: string;
  progress?: 'auto' | 'bar' | 'lines' | 'none';
  /** Recorded in run.json (default: this process's argv; the CLI passes the command as typed). */
  command?: string[];
  /** Install SIGINT/SIGTERM handlers (the CLI does; the default for API callers is false). */
  handleSignals?: boolean;
  /** A stop switch the caller controls (tests). */
  stop?: StopSignal;
  /** Where status lines go (default stderr). */
  log?: (line: string) => void;
  /** Called after every optimizer step with the global step (monitoring; tests stop runs midway with it). */
  onStep?: (globalStep: number) => void;
}

export interface RunResult {
  runDir: string;
  record: RunRecord;
}

const NUM_CLASSES = 10;
const FEATURE_BATCH = 64;
const SAMPLE_COUNT = 32;
/** Cached features above this many bytes are not worth it (flatten heads of big bases): train end to end. */
const MAX_FEATURE_CACHE_BYTES = 3 * 2 ** 30;

/**
 * Trains one experiment definition and leaves a complete run directory (event files, run.json,
 * checkpoints) under the log directory. `definitionOrName` is an experiment name, a definition file
 * path, or a definition object (validated like a file; `extends` names an experiment).
 */
export async function runExperiment(definitionOrName: string | Record<string, unknown> | null, options: RunOptions = {}): Promise<RunResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const logdir = options.logdir ?? process.env.TRANSFERLAB_LOGDIR ?? 'logs';
  if (options.name !== undefined) checkRunName(options.name);

  // 1. The definition (and, for a resume, the run it continues). Nothing is created before it validates.
  let loaded: LoadedDefinition;
  let previous: RunRecord | null = null;
  let runDir: string;
  let id: string;
  if (options.resume) {
    runDir = locateRun(logdir, options.resume);
    previous = readRunRecord(runDir);
    if (previous.status === 'success') {
      throw Object.assign(new Error(`--resume ${options.resume}: that run finished successfully; there is nothing to continue`), { exitCode: 2 });
    }
    const parsed = definitionSchema.safeParse(previous.definition);
    if (!parsed.success) throw new Error(`${join(runDir, 'run.json')}: definition: ${parsed.error.issues[0]!.message}`);
    if (typeof definitionOrName === 'string' && definitionOrName !== previous.experiment) {
      throw Object.assign(new Error(`--resume ${options.resume}: that run is experiment ${previous.experiment}, not ${definitionOrName}`), { exitCode: 2 });
    }
    loaded = { experiment: previous.experiment, file: null, definition: parsed.data };
    id = previous.id;
  } else {
    if (definitionOrName === null) throw Object.assign(new Error('no experiment named (see --help)'), { exitCode: 2 });
    loaded = typeof definitionOrName === 'string'
      ? loadDefinition(definitionOrName, { experimentsDir: options.experimentsDir, overrides: options.overrides ?? [] })
      : resolveInlineDefinition(definitionOrName, { experimentsDir: options.experimentsDir, overrides: options.overrides ?? [] });
    runDir = '';
    id = '';
  }
  const def: ExperimentDefinition = {
    ...loaded.definition,
    seed: options.seed ?? loaded.definition.seed,
    tags: [...new Set([...loaded.definition.tags, ...(options.tags ?? [])])],
  };

  // 2. Backend, then the run directory and its record.
  const backend = await selectBackend(options.backend ?? 'auto', { quiet: true });
  log(`backend: ${backend.name} (${backend.reason})`);
  if (!options.resume) ({ dir: runDir, id } = await createRunDir(logdir, loaded.experiment, options.name ?? null));
  const record: RunRecord = previous
    ? { ...previous, status: 'running', error: null, endTime: null, backend: pickBackend(backend) }
    : newRecord(id, loaded.experiment, options.name ?? null, def, options.command ?? [process.execPath, ...process.argv.slice(1)], pickBackend(backend));
  await writeRunRecord(runDir, record);
  log(`${options.resume ? 'resuming' : 'run'}: ${runDir}`);

  let rootWriter: SummaryWriter | null = null;
  const ownStop = options.stop ?? installStopSignal({
    handleProcessSignals: options.handleSignals ?? false,
    onFirst: (s) => log(`\n${s}: finishing the current step, then checkpointing (press Ctrl-C again to stop at once)`),
    onForce: () => {
      // Queued records are written whole by the event writers' exit hook.
      rootWriter?.hparamsSessionEnd('aborted', Date.now() / 1000);
      forceMarkInterrupted(runDir, record);
    },
  });
  const writers = {
    root: await SummaryWriter.create(runDir),
    train: await SummaryWriter.create(join(runDir, 'train')),
    validation: await SummaryWriter.create(join(runDir, 'validation')),
  };
  rootWriter = writers.root;
  const progress = createProgress(options.progress ?? 'auto');
  let status: RunRecord['status'] = 'failed';
  try {
    if (!previous) {
      writers.root.hparamsSessionStart({ hparams: runHparams(def, loaded.experiment), groupName: id, startTimeSecs: Date.now() / 1000 });
      writers.root.text('definition', definitionMarkdown(def, loaded), 0);
    }
    status = await execute({ def, record, runDir, writers, progress, stop: ownStop, options, log, resuming: previous !== null });
  } catch (error) {
    record.error = (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
    status = 'failed';
    throw error;
  } finally {
    record.status = status;
    record.endTime = new Date().toISOString();
    writers.root.hparamsSessionEnd(status === 'success' ? 'success' : status === 'interrupted' ? 'aborted' : 'failure', Date.now() / 1000);
    await Promise.all([writers.root.close(), writers.train.close(), writers.validation.close()]);
    await writeRunRecord(runDir, record);
    if (!options.stop) ownStop.dispose();
    await rebuildHparamsExperiment(logdir).catch((e: Error) => log(`warning: could not update the HParams experiment at ${logdir}: ${e.message}`));
  }
  return { runDir, record };
}

interface ExecuteContext {
  def: ExperimentDefinition;
  record: RunRecord;
  runDir: string;
  writers: { root: SummaryWriter; train: SummaryWriter; validation: SummaryWriter };
  progress: EpochProgress;
  stop: StopSignal;
  options: RunOptions;
  log: (line: string) => void;
  resuming: boolean;
}

async function execute(ctx: ExecuteContext): Promise<RunRecord['status']> {
  const { def, record, runDir, writers, progress, stop, options, log } = ctx;
  const phases = record.phases;
  const timed = async <T>(phase: keyof RunRecord['phases'], work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      phases[phase] += (performance.now() - t0) / 1000;
    }
  };

  // Data: the validation split comes out of the training set first, then the subsets.
  const data = await timed('data', async () => {
    const dir = await resolveCifar10Dir({ ...(options.dataDir ? { dataDir: options.dataDir } : {}), ...(options.download === false ? { download: false } : {}), ...(options.progress ? { progress: options.progress } : {}) });
    const cifar = await loadCifar10(dir);
    const { train: pool, validation } = def.data.validationSize > 0
      ? splitValidation(cifar.train, def.data.validationSize, def.seed)
      : { train: cifar.train, validation: null };
    const train = def.data.trainPerClass ? stratifiedSubset(pool, def.data.trainPerClass, def.seed) : pool;
    const test = def.data.testPerClass ? stratifiedSubset(cifar.test, def.data.testPerClass, def.seed) : cifar.test;
    const files = Object.fromEntries(CIFAR10_FILES.map((f) => [f, statSync(join(dir, f)).size]));
    return { dir, files, train, validation, test, classNames: cifar.classNames };
  });
  record.dataset = { train: data.train.count, validation: data.validation?.count ?? 0, test: data.test.count, classNames: data.classNames };
  log(`data: ${data.train.count} train · ${data.validation?.count ?? 0} validation · ${data.test.count} test images from ${data.dir}`);

  const built = await timed('model', () => buildRunModel(def, options, NUM_CLASSES));
  const baseCounts = paramCounts(built.base);
  const modelCounts = paramCounts(built.classifier);
  record.params = {
    base: { total: baseCounts.total, trainable: baseCounts.trainable, nonTrainable: baseCounts.nonTrainable },
    model: { total: modelCounts.total, trainable: modelCounts.trainable, nonTrainable: modelCounts.nonTrainable },
  };
  record.macsPerImage = modelCounts.macsPerImage;
  record.baseMacsPerImage = baseCounts.macsPerImage;
  log(`model: ${built.classifier.name} · ${modelCounts.total.toLocaleString('en-US')} params (${modelCounts.trainable.toLocaleString('en-US')} trainable) · ${(modelCounts.macsPerImage / 1e6).toFixed(1)} M multiply-adds per image`);

  // Frozen base, no augmentation: the base's pooled features are computed once per split and cached.
  const split = splitAtPooling(built.classifier);
  const featureBytes = (data.train.count + (data.validation?.count ?? 0) + data.test.count) * split.featureDim * 4;
  const useCache = def.train.featureCache === 'auto' && built.freeze.trainableParams === 0 && !augmentationOn(def) && featureBytes <= MAX_FEATURE_CACHE_BYTES;
  let trainModel = built.classifier;
  let sources: { train: BatchSource; validation: BatchSource | null; test: BatchSource };
  if (useCache) {
    const cached = await timed('features', () => cachedFeatures(ctx, built, split, data));
    if (cached === null) return 'interrupted';
    trainModel = split.head;
    sources = {
      train: featureSource(cached.get('train')!, def.seed, NUM_CLASSES),
      validation: cached.has('validation') ? featureSource(cached.get('validation')!, def.seed, NUM_CLASSES) : null,
      test: featureSource(cached.get('test')!, def.seed, NUM_CLASSES),
    };
  } else {
    record.featureCache = null;
    const augment = augmentationOn(def) ? { flip: def.data.augment.flip, crop: cropPadding(def.data.augment.crop) > 0, pad: cropPadding(def.data.augment.crop) || 4 } : null;
    sources = {
      train: imageSource(data.train, built.preprocessMode, def.seed, augment, NUM_CLASSES),
      validation: data.validation ? imageSource(data.validation, built.preprocessMode, def.seed, null, NUM_CLASSES) : null,
      test: imageSource(data.test, built.preprocessMode, def.seed, null, NUM_CLASSES),
    };
  }

  const optimizer = createOptimizer(def.optimizer);
  // compile() only attaches the optimizer and loss, so checkpoints can save the optimizer state.
  built.classifier.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  let state: TrainState = {
    version: 1, epoch: 0, batchInEpoch: 0, globalStep: 0, seed: def.seed,
    epochSums: { loss: 0, correct: 0, seen: 0, seconds: 0 }, best: null, history: [], trainImages: 0, savedAt: '',
  };
  if (ctx.resuming) {
    const dir = checkpointDir(runDir);
    if (dir) {
      state = await loadCheckpoint(dir, built.classifier, optimizer);
      record.resumedFrom = { epoch: state.epoch, globalStep: state.globalStep };
      log(`resuming at epoch ${state.epoch + 1}, batch ${state.batchInEpoch} (step ${state.globalStep})`);
    } else {
      log('no checkpoint yet: starting from the beginning');
    }
  }

  const costs = computeCosts(record, useCache, built.freeze.trainableParams, baseCounts.total);
  const checkpoint = async (): Promise<void> => {
    state.savedAt = new Date().toISOString();
    await saveCheckpoint(runDir, built.classifier, state);
  };
  const syncRecord = async (): Promise<void> => {
    record.globalStep = state.globalStep;
    record.history = state.history;
    record.best = state.best;
    record.epochs = { planned: def.train.epochs, completed: state.history.length };
    record.imagesPerSecond = median(state.history.map((h) => h.imagesPerSecond));
    record.compute = costs(state.trainImages, phases);
    await writeRunRecord(runDir, record);
  };
  const clock = { train: 0, evaluate: 0 };
  const flushClock = (): void => {
    phases.train += clock.train;
    phases.evaluate += clock.evaluate;
    clock.train = clock.evaluate = 0;
  };

  const outcome = await trainLoop({
    def, model: trainModel, optimizer, train: sources.train, validation: sources.validation, numClasses: NUM_CLASSES,
    augment: !useCache && augmentationOn(def), evalBatchSize: useCache ? 1024 : Math.max(def.train.batchSize, 32),
    writers, progress, stop, state, clock,
    ...(options.onStep ? { onStep: options.onStep } : {}),
    onEpochEnd: async () => {
      flushClock();
      await checkpoint();
      await syncRecord();
      await Promise.all([writers.train.flush(), writers.validation.flush()]);
    },
    onStop: async () => {
      flushClock();
      await checkpoint();
      await syncRecord();
    },
  });
  if (outcome === 'interrupted') return 'interrupted';

  // Test set, once, after training: scalars, per-class accuracy, confusion matrix and sample predictions.
  const test = await timed('evaluate', () => evaluate(trainModel, sources.test, NUM_CLASSES, useCache ? 1024 : Math.max(def.train.batchSize, 32), SAMPLE_COUNT, () => stop.requested));
  if (test === null) {
    await syncRecord();
    return 'interrupted';
  }
  const step = state.history.length;
  writers.root.scalar('test/loss', test.loss, step);
  writers.root.scalar('test/accuracy', test.accuracy, step);
  const perClass = perClassAccuracy(test.confusion, data.classNames);
  for (const [name, value] of Object.entries(perClass)) writers.root.scalar(`test/per_class_accuracy/${name}`, value, step);
  const cm = confusionMatrixImage(test.confusion);
  writers.root.image('confusion_matrix', cm.png, cm.width, cm.height, step);
  writers.root.text('confusion_matrix_table', `${confusionMatrixMarkdown(test.confusion, data.classNames)}\n\nAxis colour key:\n${classColorLegendMarkdown(data.classNames)}`, step);
  const samples = test.predictions.map((p) => ({
    image: data.test.images.subarray(p.index * 3072, (p.index + 1) * 3072),
    label: data.test.labels[p.index]!,
    predicted: p.predicted,
    confidence: p.confidence,
  }));
  const grid = samplePredictionsImage(samples);
  writers.root.image('sample_predictions', grid.png, grid.width, grid.height, step);
  writers.root.text('sample_predictions_table', samplePredictionsMarkdown(samples, data.classNames), step);

  const last = state.history[state.history.length - 1];
  record.final = {
    trainAccuracy: last?.trainAccuracy ?? NaN,
    trainLoss: last?.trainLoss ?? NaN,
    valAccuracy: last?.valAccuracy ?? null,
    valLoss: last?.valLoss ?? null,
    testAccuracy: test.accuracy,
    testLoss: test.loss,
  };
  record.perClassAccuracy = perClass;
  await syncRecord();
  log(`test: loss ${test.loss.toFixed(4)} · accuracy ${(test.accuracy * 100).toFixed(2)} %`);
  return 'success';
}

/** Features of every split from the cache, or computed now (and cached); null when stopped midway. */
async function cachedFeatures(
  ctx: ExecuteContext,
  built: Awaited<ReturnType<typeof buildRunModel>>,
  split: ReturnType<typeof splitAtPooling>,
  data: { files: Record<string, number>; train: ImageSet; validation: ImageSet | null; test: ImageSet },
): Promise<Map<string, CachedSplit> | null> {
  const { def, record, log, stop } = ctx;
  const sets = new Map<string, ImageSet>([['train', data.train], ['test', data.test]]);
  if (data.validation) sets.set('validation', data.validation);
  const identity = {
    base: def.model.base,
    alpha: def.model.alpha ?? null,
    weights: { source: def.model.weights, digest: weightsDigest(built.base) },
    preprocess: built.preprocessMode,
    inputSize: def.model.inputSize,
    resize: def.model.resize,
    pooling: def.model.head.pooling,
    data: {
      files: data.files,
      seed: def.seed,
      validationSize: def.data.validationSize,
      trainPerClass: def.data.trainPerClass ?? null,
      testPerClass: def.data.testPerClass ?? null,
      counts: Object.fromEntries([...sets].map(([k, v]) => [k, v.count])),
    },
  };
  const key = featureCacheKey(identity);
  const dir = featureCacheDir(cacheDir(), key);
  const hit = await readFeatureCache(dir, [...sets.keys()]);
  // Random weights are never the same twice: compute their features, but do not keep them.
  const keep = def.model.weights !== 'none';
  record.featureCache = { used: true, hit: hit !== null, key, path: keep ? dir : '' };
  if (hit) {
    log(`features: cache hit ${dir}`);
    return hit;
  }
  const out = new Map<string, CachedSplit>();
  for (const [name, set] of sets) {
    const t0 = performance.now();
    let lastReport = t0;
    const features = await extractFeatures(split.features, set, built.preprocessMode, split.featureDim, {
      batchSize: FEATURE_BATCH,
      numClasses: NUM_CLASSES,
      shouldStop: () => stop.requested,
      onProgress: (done, total) => {
        const now = performance.now();
        if (now - lastReport > 10_000 || done === total) {
          lastReport = now;
          log(`features ${name}: ${done}/${total} images · ${(done / ((now - t0) / 1000)).toFixed(0)} img/s`);
        }
      },
    });
    if (features === null) {
      log('features: stopped before the cache was complete (nothing cached)');
      return null;
    }
    out.set(name, features);
  }
  if (keep) {
    await writeFeatureCache(dir, out, identity);
    log(`features: cached in ${dir}`);
  }
  return out;
}

/**
 * Estimated training compute: 2 FLOPs per multiply-add forward, ×3 (forward + backward) through what
 * is trained. With cached features, each image goes once through the base, and training runs the head.
 * Partly frozen bases: the trained share of the base is estimated by its share of trainable parameters.
 */
function computeCosts(record: RunRecord, cached: boolean, baseTrainable: number, baseTotal: number) {
  const macs = record.macsPerImage ?? 0;
  const baseMacs = record.baseMacsPerImage ?? 0;
  const headMacs = Math.max(0, macs - baseMacs);
  const evalImages = (record.dataset?.validation ?? 0) * record.epochs.planned + (record.dataset?.test ?? 0);
  const featureImages = (record.dataset?.train ?? 0) + (record.dataset?.validation ?? 0) + (record.dataset?.test ?? 0);
  const trainedShare = baseTotal > 0 ? baseTrainable / baseTotal : 0;
  const perTrainedImage = cached
    ? 6 * headMacs
    : 2 * baseMacs * (1 - trainedShare) + 6 * baseMacs * trainedShare + 6 * headMacs;
  return (trainImages: number, phases: RunRecord['phases']): RunRecord['compute'] => ({
    trainImages,
    flops: Math.round(
      trainImages * perTrainedImage + (cached ? featureImages * 2 * baseMacs + evalImages * 2 * headMacs : evalImages * 2 * macs),
    ),
    seconds: phases.features + phases.train + phases.evaluate,
  });
}

function newRecord(id: string, experiment: string, name: string | null, def: ExperimentDefinition, command: string[], backend: RunRecord['backend']): RunRecord {
  return {
    schemaVersion: 1, id, experiment, name, status: 'running', error: null, definition: def, seed: def.seed,
    tags: def.tags, notes: def.notes, git: gitState(), command, backend,
    hardware: hardwareInfo(backend?.kind === 'gpu' ? backend.reason : null),
    params: null, macsPerImage: null, baseMacsPerImage: null, startTime: new Date().toISOString(), endTime: null,
    phases: { data: 0, model: 0, features: 0, train: 0, evaluate: 0 },
    epochs: { planned: def.train.epochs, completed: 0 }, globalStep: 0, best: null, final: null, perClassAccuracy: null,
    imagesPerSecond: null, compute: { trainImages: 0, flops: 0, seconds: 0 }, featureCache: null, resumedFrom: null,
    dataset: null, history: [],
  };
}

function pickBackend(b: { name: string; kind: string; reason: string; versions: Record<string, string> }): RunRecord['backend'] {
  return { name: b.name, kind: b.kind, reason: b.reason, versions: { ...b.versions } };
}

function definitionMarkdown(def: ExperimentDefinition, loaded: LoadedDefinition): string {
  const source = loaded.file ? `from \`${loaded.file}\`` : 'inline';
  return `**${loaded.experiment}** (${source})\n\n\`\`\`json\n${JSON.stringify(def, null, 2)}\n\`\`\``;
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Second Ctrl-C: no time for async work; mark the run interrupted synchronously before exiting. */
function forceMarkInterrupted(runDir: string, record: RunRecord): void {
  if (!runDir) return;
  const path = join(runDir, 'run.json');
  const temp = `${path}.${process.pid}.force.tmp`;
  writeFileSync(temp, `${JSON.stringify({ ...record, status: 'interrupted', endTime: new Date().toISOString(), error: null }, null, 2)}\n`);
  renameSync(temp, path);
}
