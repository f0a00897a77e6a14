import { join } from 'node:path';
import { selectBackend, type BackendPreference } from '../backends/index.ts';
import { SummaryWriter } from '../tensorboard/index.ts';
import { checkpointDir, initialTrainState, loadCheckpoint, saveCheckpoint } from './checkpoint.ts';
import { computeCosts } from './compute-cost.ts';
import type { ExperimentDefinition } from '../experiment/definition.ts';
import { rebuildHparamsExperiment, runHparams } from './summaries/hparams.ts';
import { loadRunData } from './load-data.ts';
import type { LoadedDefinition } from '../experiment/load.ts';
import { trainLoop } from './loop.ts';
import { buildRunModel, paramCounts, type ModelLocations } from './model-setup.ts';
import { createOptimizer } from './optimizer.ts';
import { createProgress, type EpochProgress } from './progress.ts';
import { applyTrainState, backendEntry, forceMarkInterrupted, newRecord, phaseTimer, RecordSaver, resumedRecord } from './record-saver.ts';
import { resolveRun } from './resolve-run.ts';
import type { RunRecord, RunStatus } from '../run/record.ts';
import { checkRunName, createRunDir } from '../run/layout.ts';
import { removeSessionEndFiles, SessionEndFile } from './summaries/session-end.ts';
import { installStopSignal, type StopSignal } from './signals.ts';
import { testReport } from './summaries/test-report.ts';
import { trainingInputs } from './inputs.ts';

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
  /** `--data-dir` (else TRANSFERLAB_DATA_DIR, else `<cache>/datasets`). */
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

interface RunWriters {
  root: SummaryWriter;
  train: SummaryWriter;
  validation: SummaryWriter;
}

/**
 * Trains one experiment definition and leaves a complete run directory (event files, run.json,
 * checkpoints) under the log directory. `definitionOrName` is an experiment name, a definition file
 * path, or a definition object (validated like a file; `extends` names an experiment).
 */
export async function runExperiment(definitionOrName: string | Record<string, unknown> | null, options: RunOptions = {}): Promise<RunResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const logdir = options.logdir ?? process.env.TRANSFERLAB_LOGDIR ?? 'logs';
  if (options.name !== undefined) checkRunName(options.name);

  // 1. What to train (and, for a resume, the run it continues). Nothing is created before it validates.
  const { loaded, def, resume } = resolveRun(definitionOrName, {
    logdir, resume: options.resume, experimentsDir: options.experimentsDir, overrides: options.overrides, seed: options.seed, tags: options.tags,
  });

  // 2. Backend, then the run directory and its record.
  const backend = await selectBackend(options.backend ?? 'auto', { quiet: true });
  log(`backend: ${backend.name} (${backend.reason})`);
  const { dir: runDir, id } = resume
    ? { dir: resume.runDir, id: resume.previous.id }
    : await createRunDir(logdir, loaded.experiment, options.name ?? null);
  const record = resume
    ? resumedRecord(resume.previous, backendEntry(backend))
    : newRecord(id, loaded.experiment, options.name ?? null, def, options.command ?? [process.execPath, ...process.argv.slice(1)], backendEntry(backend));
  // The interrupted run's session end would otherwise stay the status TensorBoard shows.
  if (resume) removeSessionEndFiles(runDir, resume.previous.hparamsSessionEndFile);
  const saver = new RecordSaver(runDir, record, { onError: (e) => log(`warning: could not update ${join(runDir, 'run.json')}: ${e.message}`) });
  await saver.save();
  log(`${resume ? 'resuming' : 'run'}: ${runDir}`);

  // 3. Event files; an unfinished run ends its HParams session in a file of its own (session-end.ts).
  const writers: RunWriters = {
    root: await SummaryWriter.create(runDir),
    train: await SummaryWriter.create(join(runDir, 'train')),
    validation: await SummaryWriter.create(join(runDir, 'validation')),
  };
  const sessionEnd = await SessionEndFile.open(runDir);
  const stop = options.stop ?? installStopSignal({
    handleProcessSignals: options.handleSignals ?? false,
    onFirst: (s) => log(`\n${s}: finishing the current step, then checkpointing (press Ctrl-C again to stop at once)`),
    onForce: () => {
      // Queued records are written whole by the event writers' exit hook.
      record.hparamsSessionEndFile = sessionEnd.endSync('aborted');
      forceMarkInterrupted(runDir, record);
    },
  });

  // 4. Train and test; whatever happens, close the session, the event files and the record.
  let status: RunStatus = 'failed';
  try {
    if (!resume) {
      writers.root.hparamsSessionStart({ hparams: runHparams(def, loaded.experiment), groupName: id, startTimeSecs: Date.now() / 1000 });
      writers.root.text('definition', definitionMarkdown(def, loaded), 0);
    }
    status = await trainAndTest({
      def, runDir, saver, writers, stop, options, log, resuming: resume !== null, progress: createProgress(options.progress ?? 'auto'),
    });
  } catch (error) {
    record.error = (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
    status = 'failed';
    throw error;
  } finally {
    record.status = status;
    record.endTime = new Date().toISOString();
    record.progress = null;
    const endTimeSecs = Date.now() / 1000;
    if (status === 'success') {
      writers.root.hparamsSessionEnd('success', endTimeSecs);
      await sessionEnd.discard().catch((e: Error) => log(`warning: ${e.message}`));
    } else {
      record.hparamsSessionEndFile = await sessionEnd.end(status === 'interrupted' ? 'aborted' : 'failure', endTimeSecs)
        .catch((e: Error) => (log(`warning: could not end the HParams session: ${e.message}`), null));
    }
    await Promise.all([writers.root.close(), writers.train.close(), writers.validation.close()]);
    await saver.save();
    if (!options.stop) stop.dispose();
    await rebuildHparamsExperiment(logdir).catch((e: Error) => log(`warning: could not update the HParams experiment at ${logdir}: ${e.message}`));
  }
  return { runDir, record };
}

interface TrainContext {
  def: ExperimentDefinition;
  runDir: string;
  saver: RecordSaver;
  writers: RunWriters;
  progress: EpochProgress;
  stop: StopSignal;
  options: RunOptions;
  log: (line: string) => void;
  resuming: boolean;
}

/** Data → model → (cached features) → training loop → test set. Returns the run's status. */
async function trainAndTest(ctx: TrainContext): Promise<RunStatus> {
  const { def, runDir, saver, writers, stop, options, log } = ctx;
  const record = saver.record;
  const phases = record.phases;
  const timed = phaseTimer(phases);

  const data = await timed('data', () => loadRunData(def, options));
  record.dataset = { train: data.train.count, validation: data.validation?.count ?? 0, test: data.test.count, classNames: data.classNames };
  log(`data: ${data.train.count} train · ${data.validation?.count ?? 0} validation · ${data.test.count} test images from ${data.dir}`);

  const built = await timed('model', () => buildRunModel(def, options, NUM_CLASSES));
  const baseCounts = paramCounts(built.base);
  const modelCounts = paramCounts(built.classifier);
  const counts = ({ total, trainable, nonTrainable }: typeof baseCounts) => ({ total, trainable, nonTrainable });
  record.params = { base: counts(baseCounts), model: counts(modelCounts) };
  record.macsPerImage = modelCounts.macsPerImage;
  record.baseMacsPerImage = baseCounts.macsPerImage;
  log(`model: ${built.classifier.name} · ${modelCounts.total.toLocaleString('en-US')} params (${modelCounts.trainable.toLocaleString('en-US')} trainable) · ${(modelCounts.macsPerImage / 1e6).toFixed(1)} M multiply-adds per image`);

  // Frozen base, no augmentation: the base's pooled features are computed once per split and cached.
  const inputs = await trainingInputs({ def, built, data, numClasses: NUM_CLASSES, saver, stop, log }, (work) => timed('features', work));
  if (inputs === null) return 'interrupted';

  const optimizer = createOptimizer(def.optimizer);
  // compile() only attaches the optimizer and loss, so checkpoints can save the optimizer state.
  built.classifier.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  let state = initialTrainState(def.seed);
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

  const costs = computeCosts(record, inputs.cached, built.freeze.trainableParams, baseCounts.total);
  const syncRecord = async (): Promise<void> => {
    applyTrainState(record, state, def.train.epochs);
    record.compute = costs(state.trainImages, phases);
    await saver.save();
  };
  const clock = { train: 0, evaluate: 0 };
  const checkpointAndSync = async (): Promise<void> => {
    saver.clearProgress();
    phases.train += clock.train;
    phases.evaluate += clock.evaluate;
    clock.train = clock.evaluate = 0;
    state.savedAt = new Date().toISOString();
    await saveCheckpoint(runDir, built.classifier, state);
    await syncRecord();
  };

  const outcome = await trainLoop({
    def, model: inputs.model, optimizer, train: inputs.sources.train, validation: inputs.sources.validation, numClasses: NUM_CLASSES,
    augment: inputs.augment, evalBatchSize: inputs.evalBatchSize, writers, progress: ctx.progress, stop, state, clock,
    ...(options.onStep ? { onStep: options.onStep } : {}),
    onValidationProgress: (done, total) => saver.progress({ phase: 'evaluate', split: 'validation', done, total }),
    onEpochEnd: async () => {
      await checkpointAndSync();
      await Promise.all([writers.train.flush(), writers.validation.flush()]);
    },
    onStop: checkpointAndSync,
  });
  if (outcome === 'interrupted') return 'interrupted';

  // Test set, once, after training.
  const test = await timed('evaluate', () => testReport({
    model: inputs.model, source: inputs.sources.test, data, numClasses: NUM_CLASSES, batchSize: inputs.evalBatchSize,
    history: state.history, root: writers.root, shouldStop: () => stop.requested, onProgress: (p) => saver.progress(p),
  }));
  saver.clearProgress();
  if (test === null) {
    await syncRecord();
    return 'interrupted';
  }
  Object.assign(record, test);
  await syncRecord();
  log(`test: loss ${test.final.testLoss.toFixed(4)} · accuracy ${(test.final.testAccuracy * 100).toFixed(2)} %`);
  return 'success';
}

function definitionMarkdown(def: ExperimentDefinition, loaded: LoadedDefinition): string {
  const source = loaded.file ? `from \`${loaded.file}\`` : 'inline';
  return `**${loaded.experiment}** (${source})\n\n\`\`\`json\n${JSON.stringify(def, null, 2)}\n\`\`\``;
}
