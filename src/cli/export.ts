// `npm run export -- <run id> --format onnx`: writes a trained run's model as <run>/model.onnx (see
// docs/onnx.md) and prints how far ONNX Runtime's output is from tfjs on 64 test images.
import { resolveLocations } from '../experiment/locations.ts';
import { UsageError } from '../experiment/usage-error.ts';
import { isEntryPoint, parseFlags, runCli } from './args.ts';

const FORMATS = ['onnx'] as const;

const OPTIONS = {
  format: { type: 'string' },
  logdir: { type: 'string' },
  'data-dir': { type: 'string' },
  'weights-dir': { type: 'string' },
  'models-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function usage(): string {
  return `Usage: npm run export -- <run id or path> --format onnx [--logdir DIR] [--data-dir DIR] [--models-dir DIR]

Writes the run's trained model (raw 0..255 32×32×3 images in, preprocessing included, class
probabilities out) as model.onnx in the run folder, then checks ONNX Runtime's output against tfjs
on the run's first 64 test images. Locations as for npm run experiment (flags, then TRANSFERLAB_*).

Exit codes: 0 written and checked · 1 failed (check over tolerance, runtime missing) · 2 bad run or flags.`;
}

async function main(): Promise<number> {
  const { values, positionals } = parseFlags(process.argv.slice(2), OPTIONS);
  if (values.help) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  if (positionals.length !== 1)
    throw new UsageError('export: name one run (its id, e.g. quickstart/20261203-084516, or its folder)');
  const format = values.format ?? '';
  if (!(FORMATS as readonly string[]).includes(format))
    throw new UsageError(`export: --format ${values.format ?? '(missing)'}: expected ${FORMATS.join(', ')}`);
  const where = resolveLocations({
    logdir: values.logdir,
    dataDir: values['data-dir'],
    weightsDir: values['weights-dir'],
    modelsDir: values['models-dir'],
  });
  const { exportRunOnnx } = await import('../train/export-run.ts');
  const { path, check } = await exportRunOnnx(positionals[0]!, where);
  process.stdout.write(
    `${path}: ONNX Runtime vs tfjs on ${check.images} test images: max abs diff ${check.maxAbsDiff.toExponential(2)} ` +
      `(largest output ${check.scale.toFixed(3)}), ${check.classMismatches} class mismatches\n`,
  );
  return 0;
}

if (isEntryPoint(import.meta.url)) runCli(main);
