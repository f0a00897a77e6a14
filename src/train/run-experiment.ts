// One run, top to bottom: resolve what to train, open the run folder and its record, load the data
// and the model, then for each epoch the loop yields: checkpoint, run.json, summaries; then the test
// set. The run record is changed here and nowhere else. What a running TensorBoard sees of it at each
// stage: docs/tensorboard.md.
// src/train/ owns a run's story (this file), the loop and its step, inputs, checkpoints and what a run
// writes (summaries/); it may import experiment/, run/, models/, data/, backends/, tensorboard/, download/.
import type * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { selectBackend } from '../backends/index.ts';
import { NUM_CLASSES } from '../data/index.ts';
import type { ExperimentDefinition } from '../experiment/definition.ts';
import type { LoadedDefinition } from '../experiment/load.ts';
import { resolveLocations, type LocationFlags, type Locations } from '../experiment/locations.ts';
import type { BackendKind, BackendPreference } from '../backends/names.ts';
import type { ProgressMode } from '../experiment/names.ts';
import { checkRunName, createRunDir, RUN_RECORD_FILE } from '../run/layout.ts';
import type { RunProgress, RunRecord, RunStatus } from '../run/record.ts';
import { kerasModelConfigFromTfjs, writeWeightHistograms } from '../tensorboard/index.ts';
import {
  checkpointDir,
  initialTrainState,
  loadCheckpoint,
  readCheckpointState,
  saveCheckpoint,
  type TrainState,
} from './checkpoint.ts';
import { computeCosts } from './compute-cost.ts';
import { estimateLines, estimateRun, measuredCost } from './estimate.ts';
import type { EnginePreference } from './engine-names.ts';
import { ForwardEngines } from './forward-engine.ts';
import { frozenPrefixTraining } from './frozen-prefix.ts';
import { loadRunData, probeInputs, trainingInputs, type RunData, type TrainingInputs } from './inputs.ts';
import { linearProbe, type ProbeResult } from './linear-probe.ts';
import { trainEpochs } from './loop.ts';
import { buildRunModel, paramCounts, type RunModel } from './model-setup.ts';
import { createOptimizer } from './optimizer.ts';
import { createProgress } from './progress.ts';
import type { TerminalProgress } from './progress-contract.ts';
import {
  backendEntry,
  forceMarkInterrupted,
  newRecord,
  RecordSaver,
  resumedRecord,
  trainStateFields,
} from './record-saver.ts';
import { resolveRun } from './resolve-run.ts';
import { planMicroBatch } from './parallel/plan.ts';
import { runReplicaSpec } from './parallel/run-replica.ts';
import { installStopSignal, type StopSignal } from './signals.ts';
import { inProcessSteps, parallelSteps, type StepRunner } from './step-runner.ts';
import { TimeBudget } from './time-budget.ts';
import { writeEpochSummaries } from './summaries/epoch.ts';
import { planWorkers } from './workers.ts';
import { removeWrittenExperiments, sessionStartOf } from './summaries/hparams.ts';
import {
  closeAll,
  cutEventFilesToCheckpoint,
  flushAll,
  hasSessionStart,
  openRunWriters,
  restartAt,
  type RunWriters,
} from './summaries/resume.ts';
import { testReport } from './summaries/test-report.ts';

export interface RunOptions extends LocationFlags {
  /** Suffix of the run folder. */
  name?: string;
  seed?: number;
  /** Added to the definition's tags. */
  tags?: string[];
  /** `--set key=value` overrides. */
  overrides?: string[];
  backend?: BackendPreference;
  /** The engine of the forward passes of fixed weights (default auto: ONNX Runtime where it loads). */
  engine?: EnginePreference;
  /** ONNX Runtime's threads (default every core). */
  threads?: number;
  /** Continue a run (its id relative to the logdir, or its path) from its last checkpoint. */
  resume?: string;
  experimentsDir?: string;
  progress?: ProgressMode;
  /** Fetch missing data and weights (default true). */
  download?: boolean;
  /** Recorded in run.json (default: this process's argv; the CLI passes the command as typed). */
  command?: string[];
  /** Install SIGINT/SIGTERM/SIGHUP handlers (the CLI does; the default for API callers is false). */
  handleSignals?: boolean;
  /** A stop switch the caller controls (tests). */
  stop?: StopSignal;
  /** Where status lines go (default stderr). */
  log?: (line: string) => void;
  /** Called after every optimizer step with the global step (monitoring; tests stop runs midway with it). */
  onStep?: (globalStep: number) => void;
  /** `--time-budget`: seconds of wall time from the start; training ends at the last whole epoch that fits. */
  timeBudget?: number;
  /** `--workers`: data-parallel wasm workers for a run trained on images (default one per core; workers.ts). */
  workers?: number;
}

export interface RunResult {
  runDir: string;
  record: RunRecord;
}

interface Run {
  def: ExperimentDefinition;
  loaded: LoadedDefinition;
  where: Locations;
  runDir: string;
  record: RunRecord;
  saver: RecordSaver;
  writers: RunWriters;
  /** The backend's name (an hparam). */
  backend: string;
  resumed: boolean;
  engines: ForwardEngines;
  stop: StopSignal;
  options: RunOptions;
  log: (line: string) => void;
  budget: TimeBudget | null;
  /** The terminal's bars or lines (--progress): feature extraction, the epochs, validation, the test set. */
  terminal: TerminalProgress;
}

/**
 * Trains one experiment definition and leaves a complete run directory (event files, run.json,
 * checkpoints) under the log directory. `definitionOrName` is an experiment name, a definition file
 * path, or a definition object (validated like a file; `extends` names an experiment).
 */
export async function runExperiment(
  definitionOrName: string | Record<string, unknown> | null,
  options: RunOptions = {},
): Promise<RunResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const budget = options.timeBudget ? new TimeBudget(options.timeBudget, performance.now()) : null;
  const where = resolveLocations(options);
  const opened = await openRun(definitionOrName, options, where, log);
  const { runDir, record } = opened;
  const writers = await openEventFiles(runDir, opened.resumed);
  const stop =
    options.stop ??
    installStopSignal({
      handleProcessSignals: options.handleSignals ?? false,
      onFirst: (s) =>
        log(`\n${s}: finishing the current step, then checkpointing (press Ctrl-C again to stop at once)`),
      // Queued records are written whole by the event writers' exit hook; no session end is written.
      onForce: () => forceMarkInterrupted(runDir, record),
    });
  const terminal = createProgress(options.progress ?? 'auto');
  const run: Run = { ...opened, where, writers, stop, options, log, budget, terminal };
  try {
    record.status = await trainAndTest(run);
  } catch (error) {
    record.error = (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
    record.status = 'failed';
    throw error;
  } finally {
    await finishRun(run);
  }
  return { runDir, record };
}

/**
 * The run's event writers, one new file per directory that sorts last. A resume first cuts the
 * stopped process's files back to the checkpoint, and each new file starts with a SessionLog START
 * at the step training continues from.
 */
async function openEventFiles(runDir: string, resumed: boolean): Promise<RunWriters> {
  if (!resumed) return openRunWriters(runDir);
  const state = await readCheckpointState(runDir);
  await cutEventFilesToCheckpoint(runDir, state);
  const writers = await openRunWriters(runDir);
  restartAt(writers, (state?.globalStep ?? 0) + 1);
  return writers;
}

/**
 * What to train (and, for a resume, the run it continues), validated before anything is created;
 * then the backend, the run folder and its first run.json. Logs the run's configuration as one dict.
 */
async function openRun(
  definitionOrName: string | Record<string, unknown> | null,
  options: RunOptions,
  where: Locations,
  log: (line: string) => void,
) {
  if (options.name !== undefined) checkRunName(options.name);
  const { loaded, def, resume } = resolveRun(definitionOrName, {
    logdir: where.logdir,
    resume: options.resume,
    experimentsDir: options.experimentsDir,
    overrides: options.overrides,
    seed: options.seed,
    tags: options.tags,
  });
  // ONNX Runtime is probed first: `--engine onnx` without it fails before anything else is done.
  const engine = options.engine ?? 'auto';
  const engines = await ForwardEngines.create({
    engine,
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    log,
  });
  const backend = await selectBackend(options.backend ?? 'auto', { quiet: true });
  log(`backend: ${backend.name} (${backend.reason})`);
  const { dir: runDir, id } = resume
    ? { dir: resume.runDir, id: resume.previous.id }
    : await createRunDir(where.logdir, loaded.experiment, options.name ?? null);
  const command = options.command ?? [process.execPath, ...process.argv.slice(1)];
  const record = resume
    ? resumedRecord(resume.previous, backendEntry(backend))
    : newRecord(id, loaded.experiment, options.name ?? null, def, command, backendEntry(backend));
  await removeWrittenExperiments(where.logdir);
  const warnSave = (e: Error) => log(`warning: could not update ${join(runDir, RUN_RECORD_FILE)}: ${e.message}`);
  const saver = new RecordSaver(runDir, { onError: warnSave });
  await saver.save(record);
  log(`${resume ? 'resuming' : 'run'}: ${runDir}`);
  const config = {
    experiment: loaded.experiment,
    id,
    ...where,
    backend: backend.name,
    engine,
    threads: options.threads ?? null,
    seed: def.seed,
  };
  log(`config: ${JSON.stringify({ ...config, resume: resume !== null })}`);
  return { loaded, def, resumed: resume !== null, runDir, record, saver, backend: backend.name, engines };
}

/**
 * The run's first records, once: the HParams session start and the definition in the root, the
 * model graph in train/ (step 0, as Keras' write_graph). A resume writes them only if the stopped
 * process never got here.
 */
async function startSession(run: Run, built: RunModel, featureCache: boolean): Promise<void> {
  if (run.resumed && (await hasSessionStart(run.runDir))) return;
  const { root, train } = run.writers;
  const { loaded } = run;
  const start = sessionStartOf(run.def, loaded.experiment, { backend: run.backend, featureCache });
  root.hparamsSessionStart({ ...start, startTimeSecs: Date.now() / 1000 });
  train.kerasModel(kerasModelConfigFromTfjs(built.classifier.toJSON(null, false)));
  const source = loaded.file ? `from \`${loaded.file}\`` : 'inline';
  root.text(
    'definition',
    `**${loaded.experiment}** (${source})\n\n\`\`\`json\n${JSON.stringify(run.def, null, 2)}\n\`\`\``,
    0,
  );
}

/** Runs `work` and adds its seconds to the record's `phase` (also when it throws). */
async function timed<T>(record: RunRecord, phase: keyof RunRecord['phases'], work: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await work();
  } finally {
    record.phases[phase] += (performance.now() - t0) / 1000;
  }
}

/** Data → model → (cached features) → the epochs → the test set. Returns the run's status. */
async function trainAndTest(run: Run): Promise<RunStatus> {
  const { def, record, saver, stop, options, log, where, engines } = run;
  const progress = options.progress ?? 'auto';
  const download = options.download ?? true;
  const data = await timed(record, 'data', () => loadRunData(def, where.dataDir, progress, download));
  const { train, validation, test } = data;
  const classNames = data.classNames;
  record.dataset = { train: train.count, validation: validation?.count ?? 0, test: test.count, classNames };
  log(`data: ${train.count} train · ${validation?.count ?? 0} validation · ${test.count} test images from ${data.dir}`);

  const built = await timed(record, 'model', () =>
    buildRunModel(def, { weightsDir: where.weightsDir, modelsDir: where.modelsDir, download, progress, warn: log }),
  );
  const baseTotal = recordModelSize(run, built);
  const backend = record.backend ?? { name: 'cpu', kind: 'cpu' };
  record.estimate = await estimateRun(def, built, record.dataset, backend, engines, options.workers);
  for (const line of estimateLines(record.estimate, def.train.epochs)) log(line);
  if (run.budget) run.budget.reserveSeconds = record.estimate.testSeconds;
  // The heartbeats of the long phases below rewrite this record with their progress.
  await saver.save(record);

  // Frozen base, no augmentation: the base's pooled features are computed once per split and cached.
  const heartbeat = (p: RunProgress | null) => saver.heartbeat(p);
  const inputs = await timed(record, 'features', () =>
    trainingInputs({
      def,
      built,
      data,
      numClasses: NUM_CLASSES,
      cacheDir: where.cacheDir,
      stop,
      log,
      heartbeat,
      engines,
      progress: run.terminal,
    }),
  );
  record.featureCache = inputs.featureCache;
  record.engines = { ...engines.used };
  if ('stopped' in inputs || !(await probeHead(run, built, data))) return 'interrupted';
  await startSession(run, built, inputs.featureCache !== null);

  const costs = computeCosts(record, inputs.featureCache !== null, built.freeze.trainableParams, baseTotal);
  const sync = (state: TrainState): Promise<void> => {
    Object.assign(record, trainStateFields(state, def.train.epochs));
    record.compute = costs(state.trainImages, record.phases);
    record.engines = { ...engines.used };
    return saver.save(record);
  };
  const state = await trainAfterPrefix(run, built, inputs, sync);
  if (state === null) return 'interrupted';
  if (run.budget) record.timeBudget = run.budget.entry();
  if (record.timeBudget?.endedTraining) log(`time budget: training ended after epoch ${state.epoch}`);

  // Test set, once, after training.
  const evaluatedBefore = record.phases.evaluate;
  const report = await timed(record, 'evaluate', () => testPass(run, inputs, data, state, heartbeat));
  saver.heartbeat(null);
  const testSeconds = record.phases.evaluate - evaluatedBefore;
  record.estimate.actual = measuredCost(record, testSeconds);
  if (report !== null) Object.assign(record, report);
  await sync(state);
  if (report === null) return 'interrupted';
  log(testLine(report.final, testSeconds));
  return 'success';
}

/**
 * LP-FT (`train.probeEpochs`): the head fitted on the pretrained base's cached features before
 * fine-tuning, unless a checkpoint already holds the head. False when a stop came midway.
 */
async function probeHead(run: Run, built: RunModel, data: RunData): Promise<boolean> {
  if (run.def.train.probeEpochs === 0 || (run.resumed && checkpointDir(run.runDir))) return true;
  const result = await timed(run.record, 'features', () => fitHeadOnFeatures(run, built, data));
  return result !== null;
}

async function fitHeadOnFeatures(run: Run, built: RunModel, data: RunData): Promise<ProbeResult | null> {
  const { def, log, stop, where, engines } = run;
  const heartbeat = (p: RunProgress | null) => run.saver.heartbeat(p);
  const common = { def, built, data, numClasses: NUM_CLASSES, cacheDir: where.cacheDir, stop, log, heartbeat };
  const inputs = await probeInputs({ ...common, engines, progress: run.terminal });
  if ('stopped' in inputs) return null;
  const t0 = performance.now();
  const result = await linearProbe(inputs, def.train.probeEpochs, NUM_CLASSES, () => stop.requested);
  if (result === null) return null;
  const val = result.valAccuracy === null ? '' : ` · val_acc ${result.valAccuracy.toFixed(4)}`;
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  log(`probe: the head alone, ${result.epochs} epochs on the base's cached features${val} · ${seconds} s`);
  return result;
}

function testLine({ testLoss, testAccuracy }: { testLoss: number; testAccuracy: number }, seconds: number): string {
  return `test: loss ${testLoss.toFixed(4)} · accuracy ${(testAccuracy * 100).toFixed(2)} % · ${seconds.toFixed(1)} s`;
}

/** The epochs; a partly frozen base's frozen prefix runs on ONNX Runtime for their duration (frozen-prefix.ts). */
async function trainAfterPrefix(
  run: Run,
  built: RunModel,
  inputs: TrainingInputs,
  sync: (state: TrainState) => Promise<void>,
): Promise<TrainState | null> {
  const prefix = await frozenPrefixTraining(inputs, built, run.engines, run.log);
  const training = prefix
    ? { ...inputs, model: prefix.model, sources: { ...inputs.sources, train: prefix.train } }
    : inputs;
  const plan = planWorkers(run.options.workers, {
    backend: (run.record.backend?.kind ?? 'cpu') as BackendKind,
    featureCache: inputs.featureCache !== null,
    prefixOnEngine: prefix !== null,
  });
  if (plan.notice) run.log(plan.notice);
  run.record.workers = plan.workers;
  try {
    return await trainEpochsOf(run, built, training, inputs.model, sync);
  } finally {
    await prefix?.dispose();
  }
}

/**
 * The step runner of the run's epochs: its data-parallel workers (each holding a replica built from
 * the definition) when it has more than one, each micro-batch planned to fit one worker's heap.
 */
async function stepRunner(run: Run, trained: tf.LayersModel, optimizer: tf.Optimizer): Promise<StepRunner> {
  const { def, where } = run;
  const workers = run.record.workers ?? 1;
  const microBatch = planMicroBatch(def.train.batchSize, def.train.microBatch ?? def.train.batchSize, workers);
  if (workers === 1) return inProcessSteps(trained, optimizer, microBatch);
  run.log(`workers: ${workers} data-parallel wasm workers · micro-batch ${microBatch} (each worker its own heap)`);
  return parallelSteps({
    workers,
    model: trained,
    optimizer,
    spec: runReplicaSpec({ definition: def, weightsDir: where.weightsDir, modelsDir: where.modelsDir }),
    optimizerSpec: def.optimizer,
    maxBatch: def.train.batchSize,
    microBatch,
  });
}

/** The test split through the whole model on the chosen engine, with its summaries (testReport). */
function testPass(
  run: Run,
  inputs: TrainingInputs,
  data: RunData,
  state: TrainState,
  heartbeat: (p: RunProgress) => void,
): ReturnType<typeof testReport> {
  const pass = run.terminal.pass('test set', inputs.sources.test.count);
  const report = run.engines.pass('test', inputs.model, (model) =>
    testReport({
      model,
      source: inputs.sources.test,
      data,
      numClasses: NUM_CLASSES,
      batchSize: inputs.evalBatchSize,
      history: state.history,
      root: run.writers.root,
      shouldStop: () => run.stop.requested,
      heartbeat: (p) => (heartbeat(p), pass.update(p.done)),
    }),
  );
  return report.finally(() => pass.end());
}

/** Parameter counts and multiply-adds into the record (and one log line); returns the base's parameter count. */
function recordModelSize(run: Run, built: RunModel): number {
  const baseCounts = paramCounts(built.base);
  const modelCounts = paramCounts(built.classifier);
  const counts = ({ total, trainable, nonTrainable }: typeof baseCounts) => ({ total, trainable, nonTrainable });
  run.record.params = { base: counts(baseCounts), model: counts(modelCounts) };
  run.record.macsPerImage = modelCounts.macsPerImage;
  run.record.baseMacsPerImage = baseCounts.macsPerImage;
  const n = (x: number) => x.toLocaleString('en-US');
  run.log(
    `model: ${built.classifier.name} · ${n(modelCounts.total)} params (${n(modelCounts.trainable)} trainable) · ` +
      `${(modelCounts.macsPerImage / 1e6).toFixed(1)} M multiply-adds per image`,
  );
  return baseCounts.total;
}

/** The epochs, each followed by its summaries, a checkpoint and run.json; the final state, or null when stopped. */
async function trainEpochsOf(
  run: Run,
  built: RunModel,
  inputs: TrainingInputs,
  evalModel: tf.LayersModel,
  sync: (state: TrainState) => Promise<void>,
): Promise<TrainState | null> {
  const { def, record, runDir, log, resumed: resuming } = run;
  const optimizer = createOptimizer(def.optimizer);
  // compile() only attaches the optimizer and loss, so checkpoints can save the optimizer state.
  built.classifier.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  let state = initialTrainState(def.seed);
  const saved = resuming ? checkpointDir(runDir) : null;
  if (saved) {
    state = await loadCheckpoint(saved, built.classifier, optimizer);
    record.resumedFrom = { epoch: state.epoch, globalStep: state.globalStep };
    log(`resuming at epoch ${state.epoch + 1}, batch ${state.batchInEpoch} (step ${state.globalStep})`);
  } else if (resuming) {
    log('no checkpoint yet: starting from the beginning');
  }

  const steps = await stepRunner(run, inputs.model, optimizer);
  try {
    return await epochsWithCheckpoints(run, built, inputs, evalModel, sync, steps, state);
  } finally {
    await steps.dispose();
  }
}

/** The loop's epochs, each followed by summaries, a checkpoint and run.json; the final state, or null when stopped. */
async function epochsWithCheckpoints(
  run: Run,
  built: RunModel,
  inputs: TrainingInputs,
  evalModel: tf.LayersModel,
  sync: (state: TrainState) => Promise<void>,
  steps: StepRunner,
  start: TrainState,
): Promise<TrainState | null> {
  const { def, record, runDir, saver, writers, engines } = run;
  const epochs = trainEpochs({
    def,
    steps,
    evalModel,
    engines,
    train: inputs.sources.train,
    validation: inputs.sources.validation,
    numClasses: NUM_CLASSES,
    augment: inputs.augment,
    evalBatchSize: inputs.evalBatchSize,
    trainWriter: writers.train,
    progress: run.terminal,
    stop: run.stop,
    start,
    heartbeat: (p) => saver.heartbeat(p),
    onStep: run.options.onStep,
    budget: run.budget,
  });
  let state = start;
  // Each epoch's points are on disk before the checkpoint that counts them: after a kill, a resume cuts
  // the files back to the checkpoint, and the window in which a point is past it stays small.
  for await (const epoch of epochs) {
    if (!epoch.stopped) {
      writeEpochSummaries(writers, epoch.entry, epoch.validation);
      writeHistogramsAt(run, built, epoch.entry.epoch);
    }
    saver.heartbeat(null);
    record.phases.train += epoch.trainSeconds;
    record.phases.evaluate += epoch.evaluateSeconds;
    state = { ...epoch.state, savedAt: new Date().toISOString() };
    await flushAll(writers);
    await saveCheckpoint(runDir, built.classifier, state);
    await sync(state);
    if (epoch.stopped) return null;
  }
  return state;
}

/** Every weight of the model (trainable or not), every `histogramFreq` epochs from the first, as Keras. */
function writeHistogramsAt(run: Run, built: RunModel, epoch: number): void {
  const every = run.def.train.histogramFreq;
  if (every === 0 || epoch % every !== 0) return;
  const weights = built.classifier.weights.map((w) => ({ name: w.originalName, values: w.read().dataSync() }));
  writeWeightHistograms(run.writers.train, weights, epoch);
}

/**
 * Whatever happened: close the event files and save the record for the last time. Only a success
 * ends the HParams session: TensorBoard keeps the first end it reads, and an interrupted or failed
 * run may still be resumed to success (run.json says which it was).
 */
async function finishRun(run: Run): Promise<void> {
  const { record, writers } = run;
  record.endTime = new Date().toISOString();
  run.saver.heartbeat(null);
  if (record.status === 'success') writers.root.hparamsSessionEnd('success', Date.now() / 1000);
  await closeAll(writers);
  await run.saver.save(record);
  if (!run.options.stop) run.stop.dispose();
}
