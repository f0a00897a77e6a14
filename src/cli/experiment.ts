// `npm run experiment <name> -- [flags]`: trains one experiment definition into a TensorBoard run.
// TensorFlow.js and the models load lazily, after the flags and the definition check out: a bad
// definition fails in a fraction of a second.
import { stringify as toYaml } from 'yaml';
import { listExperiments, loadDefinition, type LoadedDefinition } from '../experiment/load.ts';
import { resolveLocations, type LocationFlags } from '../experiment/locations.ts';
import { BACKEND_PREFERENCES, type BackendPreference } from '../backends/names.ts';
import { PROGRESS_MODES, type ProgressMode } from '../experiment/names.ts';
import { UsageError } from '../experiment/usage-error.ts';
import { checkRunName } from '../run/layout.ts';
import { ENGINE_PREFERENCES, type EnginePreference } from '../train/engine-names.ts';
import type { ForwardEngines } from '../train/forward-engine.ts';
import { commandLine } from '../train/environment.ts';
import { parseDuration } from '../train/time-budget.ts';
import { isEntryPoint, parseFlags, runCli } from './args.ts';

const OPTIONS = {
  set: { type: 'string', multiple: true },
  seed: { type: 'string' },
  tag: { type: 'string', multiple: true },
  name: { type: 'string' },
  logdir: { type: 'string' },
  'data-dir': { type: 'string' },
  'weights-dir': { type: 'string' },
  'models-dir': { type: 'string' },
  backend: { type: 'string' },
  engine: { type: 'string' },
  threads: { type: 'string' },
  workers: { type: 'string' },
  resume: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'time-budget': { type: 'string' },
  progress: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function usage(): string {
  return `Usage: npm run experiment <name> -- [flags]

Trains the experiment definition experiments/<name>.yaml (or a path to a .yaml/.json file) and writes
a TensorBoard run to <logdir>/<name>/<YYYYMMDD-HHMMSS>[-<run name>]/.

Experiments: ${listExperiments().join(', ') || '(none found)'}

Flags:
  --set key=value      override a definition key (dotted path; repeatable), e.g.
                       --set train.epochs=1 --set model.weights=none --set data.trainPerClass=20
  --seed N             seed for data splits, batch order and augmentation (default: the definition's)
  --tag TAG            add a tag (repeatable)
  --name NAME          suffix of the run folder
  --logdir DIR         log directory (default: TRANSFERLAB_LOGDIR, else logs/)
  --data-dir DIR       CIFAR-10 folder (default: TRANSFERLAB_DATA_DIR, else <cache>/datasets)
  --weights-dir DIR    Keras .h5 weights (default: TRANSFERLAB_WEIGHTS_DIR, else <cache>/models)
  --models-dir DIR     tfjs layers-format models (default: TRANSFERLAB_MODELS_DIR, else <cache>/models)
  --backend B          ${BACKEND_PREFERENCES.join(' | ')} (default auto)
  --engine E           forward passes of fixed weights (features, validation, test, a frozen prefix):
                       ${ENGINE_PREFERENCES.join(' | ')} (default auto: ONNX Runtime where it loads, else tfjs)
  --threads N          ONNX Runtime's threads (default: every core)
  --workers N          data-parallel wasm workers for the training steps of a run trained on images
                       (default: one per core; ignored, with a notice, on node/gpu/cpu and cached-feature runs)
  --resume RUN         continue a run (id like quickstart/20261128-151200, or its path) from its last checkpoint
  --dry-run            print the resolved definition, parameter counts, multiply-adds and the cost estimate
                       (a few timed steps on the backend: s/epoch, total time, FLOPs, peak memory), then exit
  --time-budget T      e.g. 30m, 1h30m: end training at the last whole epoch that fits, then evaluate
  --progress MODE      auto | bar | lines | none (default auto: a bar on a terminal)
  -h, --help           this help

Environment (a flag wins over its variable):
  TRANSFERLAB_LOGDIR       log directory (--logdir)
  TRANSFERLAB_DATA_DIR     CIFAR-10 folder (--data-dir)
  TRANSFERLAB_WEIGHTS_DIR  Keras .h5 weights (--weights-dir)
  TRANSFERLAB_MODELS_DIR   tfjs layers-format models (--models-dir)
  TRANSFERLAB_CACHE_DIR    downloads and the feature cache (default ~/.cache/transfer-lab)

Exit codes: 0 done · 1 failed · 2 bad definition or flags · 130 interrupted (Ctrl-C / SIGTERM;
resume with --resume). A second Ctrl-C stops at once.`;
}

type Values = ReturnType<typeof parseFlags<typeof OPTIONS>>['values'];

interface RunFlags {
  name: string | null;
  backend: BackendPreference;
  engine: EnginePreference;
  threads: number | undefined;
  workers: number | undefined;
  seed: number | undefined;
  progress: ProgressMode;
}

/** Checks the flags that need no definition; a mistake is a UsageError. */
function checkFlags(values: Values, positionals: string[]): RunFlags {
  if (positionals.length > 1) throw new UsageError(`expected one experiment name, got ${positionals.join(' ')}`);
  const name = positionals[0] ?? null;
  if (!name && !values.resume)
    throw new UsageError(`name an experiment (${listExperiments().join(', ')}), or see --help`);
  const backend = (values.backend ?? 'auto') as BackendPreference;
  if (!BACKEND_PREFERENCES.includes(backend)) {
    throw new UsageError(`--backend ${values.backend}: expected ${BACKEND_PREFERENCES.join(', ')}`);
  }
  const engine = (values.engine ?? 'auto') as EnginePreference;
  if (!ENGINE_PREFERENCES.includes(engine)) {
    throw new UsageError(`--engine ${values.engine}: expected ${ENGINE_PREFERENCES.join(', ')}`);
  }
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 1024)) {
    throw new UsageError(`--threads ${values.threads}: expected a positive integer`);
  }
  const workers = values.workers === undefined ? undefined : Number(values.workers);
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1 && workers <= 256)) {
    throw new UsageError(`--workers ${values.workers}: expected a positive integer`);
  }
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed <= 2 ** 31 - 1)) {
    throw new UsageError(`--seed ${values.seed}: expected an integer in 0..2147483647`);
  }
  const progress = (values.progress ?? 'auto') as ProgressMode;
  if (!PROGRESS_MODES.includes(progress)) {
    throw new UsageError(`--progress ${values.progress}: expected auto, bar, lines or none`);
  }
  if (values.resume && (values.set?.length || values['dry-run'])) {
    throw new UsageError('--resume continues a run with its own definition: --set and --dry-run do not apply');
  }
  if (values.name !== undefined) checkRunName(values.name);
  return { name, backend, engine, threads, workers, seed, progress };
}

async function main(): Promise<number> {
  const { values, positionals } = parseFlags(process.argv.slice(2), OPTIONS);
  if (values.help) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const { name, backend, engine, threads, workers, seed, progress } = checkFlags(values, positionals);
  const where = locationFlags(values);
  // Validated here before anything heavy loads; runExperiment resolves it again (microseconds).
  const loaded = name && !values.resume ? loadDefinition(name, { overrides: values.set ?? [] }) : null;

  if (values['dry-run'] && loaded) {
    if (seed !== undefined) loaded.definition.seed = seed;
    if (values.tag) loaded.definition.tags = [...new Set([...loaded.definition.tags, ...values.tag])];
    const { selectBackend } = await import('../backends/index.ts');
    const chosen = await selectBackend(backend, { quiet: true });
    const { ForwardEngines } = await import('../train/forward-engine.ts');
    const engines = await ForwardEngines.create({
      engine,
      ...(threads === undefined ? {} : { threads }),
      log: () => {},
    });
    process.stdout.write(await dryRun(loaded, where, chosen, engines, workers));
    return 0;
  }

  const { runExperiment } = await import('../train/run-experiment.ts');
  const { record } = await runExperiment(name, {
    ...where,
    ...(values.name === undefined ? {} : { name: values.name }),
    ...(seed === undefined ? {} : { seed }),
    tags: values.tag ?? [],
    overrides: values.set ?? [],
    ...(values.resume ? { resume: values.resume } : {}),
    backend,
    engine,
    ...(threads === undefined ? {} : { threads }),
    ...(workers === undefined ? {} : { workers }),
    progress,
    ...(values['time-budget'] === undefined ? {} : { timeBudget: parseDuration(values['time-budget']) }),
    handleSignals: true,
    command: commandLine(),
  });
  if (record.status === 'interrupted') {
    process.stderr.write(`interrupted: resume with  npm run experiment -- --resume ${record.id}\n`);
    return 130;
  }
  return record.status === 'success' ? 0 : 1;
}

/** Where things are, as the flags say; locations.ts fills in the variables and defaults. */
function locationFlags(values: Values): LocationFlags {
  return {
    logdir: values.logdir,
    dataDir: values['data-dir'],
    weightsDir: values['weights-dir'],
    modelsDir: values['models-dir'],
  };
}

/** The resolved definition and the model's size, without downloading or writing anything. */
async function dryRun(
  loaded: LoadedDefinition,
  flags: LocationFlags,
  backend: { name: string; kind: string },
  engines: ForwardEngines,
  workers: number | undefined,
): Promise<string> {
  const { buildRunModel, paramCounts } = await import('../train/model-setup.ts');
  const { estimateLines, estimateRun, plannedCounts, totalLine } = await import('../train/estimate.ts');
  const { weightsStatus } = await import('../train/weights-status.ts');
  const def = loaded.definition;
  // Counts do not depend on weight values: skip the .h5 files; the pretrained tfjs model is read if present.
  const probe = def.model.weights.startsWith('pretrained:')
    ? def
    : { ...def, model: { ...def.model, weights: 'none' } };
  const where = { ...resolveLocations(flags), download: false };
  let built;
  try {
    built = await buildRunModel(probe, where);
  } catch {
    built = await buildRunModel({ ...def, model: { ...def.model, weights: 'none' } }, where);
  }
  const base = paramCounts(built.base);
  const model = paramCounts(built.classifier);
  const estimate = await estimateRun(def, built, plannedCounts(def), backend, engines, workers);
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = [
    `# ${loaded.experiment}${loaded.file ? ` (${loaded.file})` : ''}`,
    toYaml(def).trimEnd(),
    '',
    `${''.padEnd(24)}       total       trainable   non-trainable`,
    `base (${def.model.base})`.padEnd(24) +
      n(base.total).padStart(12) +
      n(base.trainable).padStart(16) +
      n(base.nonTrainable).padStart(16),
    'whole model'.padEnd(24) +
      n(model.total).padStart(12) +
      n(model.trainable).padStart(16) +
      n(model.nonTrainable).padStart(16),
    `multiply-adds per image: ${n(model.macsPerImage)} ` +
      `(base ${n(base.macsPerImage)}, head ${n(model.macsPerImage - base.macsPerImage)})`,
    `base layers: ${built.freeze.trainableLayers} trainable, ${built.freeze.frozenLayers} frozen` +
      (built.freeze.firstTrainableLayer ? ` (first trainable: ${built.freeze.firstTrainableLayer})` : ''),
    ...estimateLines(estimate, def.train.epochs),
    totalLine(estimate),
    await weightsStatus(def, where),
    '',
  ];
  return lines.join('\n');
}

if (isEntryPoint(import.meta.url)) runCli(main);
