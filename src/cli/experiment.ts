// `npm run experiment <name> -- [flags]`: trains one experiment definition into a TensorBoard run.
// TensorFlow.js and the models load lazily, after the flags and the definition check out: a bad
// definition fails in a fraction of a second.
import { stringify as toYaml } from 'yaml';
import { listExperiments, loadDefinition, type LoadedDefinition } from '../experiment/load.ts';
import { commandLine } from '../train/environment.ts';
import { checkRunName } from '../run/layout.ts';
import { isEntryPoint, parseFlags, resolveLogdir, runCli, UsageError } from './args.ts';

type BackendPreference = 'auto' | 'gpu' | 'node' | 'wasm' | 'cpu';
/** The same list as backends' BACKEND_PREFERENCES, kept here so flag errors need no TensorFlow.js. */
const BACKENDS: readonly BackendPreference[] = ['auto', 'gpu', 'node', 'wasm', 'cpu'];

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
  resume: { type: 'string' },
  'dry-run': { type: 'boolean' },
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
  --backend B          ${BACKENDS.join(' | ')} (default auto)
  --resume RUN         continue a run (id like quickstart/20261128-151200, or its path) from its last checkpoint
  --dry-run            print the resolved definition, parameter counts and multiply-adds, then exit
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

async function main(): Promise<number> {
  const { values, positionals } = parseFlags(process.argv.slice(2), OPTIONS);
  if (values.help) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`expected one experiment name, got ${positionals.join(' ')}`);
  const name = positionals[0] ?? null;
  if (!name && !values.resume) throw new UsageError(`name an experiment (${listExperiments().join(', ')}), or see --help`);
  const backend = (values.backend ?? 'auto') as BackendPreference;
  if (!BACKENDS.includes(backend)) throw new UsageError(`--backend ${values.backend}: expected ${BACKENDS.join(', ')}`);
  let seed: number | undefined;
  if (values.seed !== undefined) {
    seed = Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 31 - 1) throw new UsageError(`--seed ${values.seed}: expected an integer in 0..2147483647`);
  }
  const progress = (values.progress ?? 'auto') as 'auto' | 'bar' | 'lines' | 'none';
  if (!['auto', 'bar', 'lines', 'none'].includes(progress)) throw new UsageError(`--progress ${values.progress}: expected auto, bar, lines or none`);
  if (values.resume && (values.set?.length || values['dry-run'])) {
    throw new UsageError('--resume continues a run with its own definition: --set and --dry-run do not apply');
  }

  if (values.name !== undefined) checkRunName(values.name);
  // Validated here before anything heavy loads; runExperiment resolves it again (microseconds).
  const loaded = name && !values.resume ? loadDefinition(name, { overrides: values.set ?? [] }) : null;

  if (values['dry-run']) {
    if (seed !== undefined) loaded!.definition.seed = seed;
    if (values.tag) loaded!.definition.tags = [...new Set([...loaded!.definition.tags, ...values.tag])];
    const { selectBackend } = await import('../backends/index.ts');
    await selectBackend(backend, { quiet: true });
    process.stdout.write(await dryRun(loaded!, locationOptions(values)));
    return 0;
  }

  const { runExperiment } = await import('../train/run-experiment.ts');
  const { record } = await runExperiment(name, {
    ...locationOptions(values),
    ...(values.name !== undefined ? { name: values.name } : {}),
    ...(seed !== undefined ? { seed } : {}),
    tags: values.tag ?? [],
    overrides: values.set ?? [],
    ...(values.resume ? { resume: values.resume } : {}),
    backend,
    progress,
    handleSignals: true,
    command: commandLine(),
  });
  if (record.status === 'interrupted') {
    process.stderr.write(`interrupted: resume with  npm run experiment -- --resume ${record.id}\n`);
    return 130;
  }
  return record.status === 'success' ? 0 : 1;
}

/**
 * Where things are, from the flags; a missing flag leaves its option out, so the runner falls back to
 * the TRANSFERLAB_* variable and then to the default (--logdir is resolved here).
 */
export function locationOptions(
  values: { logdir?: string; 'data-dir'?: string; 'weights-dir'?: string; 'models-dir'?: string },
  env: NodeJS.ProcessEnv = process.env,
): { logdir: string; dataDir?: string; weightsDir?: string; modelsDir?: string } {
  return {
    logdir: resolveLogdir(values.logdir, env),
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
    ...(values['weights-dir'] ? { weightsDir: values['weights-dir'] } : {}),
    ...(values['models-dir'] ? { modelsDir: values['models-dir'] } : {}),
  };
}

/** The resolved definition and the model's size, without downloading or writing anything. */
export async function dryRun(loaded: LoadedDefinition, where: { modelsDir?: string }): Promise<string> {
  const { buildRunModel, paramCounts } = await import('../train/model-setup.ts');
  const def = loaded.definition;
  // Counts do not depend on weight values: skip the .h5 files; the pretrained tfjs model is read if present.
  const probe = def.model.weights.startsWith('pretrained:') ? def : { ...def, model: { ...def.model, weights: 'none' } };
  let built;
  try {
    built = await buildRunModel(probe, { ...(where.modelsDir ? { modelsDir: where.modelsDir } : {}), download: false });
  } catch {
    built = await buildRunModel({ ...def, model: { ...def.model, weights: 'none' } }, { download: false });
  }
  const base = paramCounts(built.base);
  const model = paramCounts(built.classifier);
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = [
    `# ${loaded.experiment}${loaded.file ? ` (${loaded.file})` : ''}`,
    toYaml(def).trimEnd(),
    '',
    `${''.padEnd(24)}       total       trainable   non-trainable`,
    `base (${def.model.base})`.padEnd(24) + n(base.total).padStart(12) + n(base.trainable).padStart(16) + n(base.nonTrainable).padStart(16),
    'whole model'.padEnd(24) + n(model.total).padStart(12) + n(model.trainable).padStart(16) + n(model.nonTrainable).padStart(16),
    `multiply-adds per image: ${n(model.macsPerImage)} (base ${n(base.macsPerImage)}, head ${n(model.macsPerImage - base.macsPerImage)})`,
    `base layers: ${built.freeze.trainableLayers} trainable, ${built.freeze.frozenLayers} frozen` +
      (built.freeze.firstTrainableLayer ? ` (first trainable: ${built.freeze.firstTrainableLayer})` : ''),
    '',
  ];
  return lines.join('\n');
}

if (isEntryPoint(import.meta.url)) runCli(main);
