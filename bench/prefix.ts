// `npm run bench -- prefix [--per-class=N] [--rounds=N] [--experiment=densenet-unfreeze250]`
//
// Training throughput of a partly frozen base trained on images (issue 12): the study's
// `densenet-unfreeze250` at 160 px, its frozen prefix (the first 177 layers) on ONNX Runtime
// (`--engine onnx`) against every layer on tfjs (`--engine tfjs`). Each measurement is a real run
// of the runner (src/cli/experiment.ts) in a child process on a small training subset; the figure is
// the last epoch's images/s from its run.json (the first epoch carries the warm-up). Runs alternate
// tfjs, onnx, tfjs, onnx… so load from other processes hits both alike; medians and their ratio.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRunRecord } from '../src/run/record.ts';
import { median } from './median.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENGINES = ['tfjs', 'onnx'] as const;

function flag(flags: string[], name: string, fallback: string): string {
  return flags.find((f) => f.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
}

interface Measured {
  imagesPerSecond: number;
  /** The prefix engine run.json recorded ("onnx", or "tfjs" with its notice). */
  prefix: string;
}

function measure(experiment: string, engine: string, perClass: number, logdir: string): Measured {
  const settings = [
    'model.weights=none',
    `data.trainPerClass=${perClass}`,
    'data.validationSize=32',
    'data.testPerClass=2',
    'train.epochs=2',
  ];
  const args = ['--import', 'tsx', 'src/cli/experiment.ts', experiment, '--logdir', logdir, '--engine', engine];
  args.push('--progress', 'none', ...settings.flatMap((s) => ['--set', s]));
  const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${experiment} --engine ${engine} exited ${run.status}: ${run.stderr.trim()}`);
  const dir = join(logdir, experiment);
  const newest = join(dir, readdirSync(dir).sort().at(-1)!);
  const record = readRunRecord(newest);
  const last = record.history.at(-1);
  if (!last) throw new Error(`${experiment} --engine ${engine}: no epoch in ${newest}`);
  const prefix = record.engines?.prefix;
  return {
    imagesPerSecond: last.imagesPerSecond,
    prefix: prefix ? `${prefix.engine}${prefix.notice ? ` (${prefix.notice})` : ''}` : 'none',
  };
}

export async function run(flags: string[]): Promise<void> {
  const experiment = flag(flags, 'experiment', 'densenet-unfreeze250');
  const perClass = Number(flag(flags, 'per-class', '10'));
  const rounds = Number(flag(flags, 'rounds', '2'));
  const logdir = mkdtempSync(join(tmpdir(), 'tl-bench-prefix-'));
  console.log(
    `  ${experiment}, model.weights=none, ${perClass * 10} training images, 2 epochs per run; ` +
      `last epoch's training images/s; ${rounds} alternating rounds`,
  );
  const figures: Record<(typeof ENGINES)[number], number[]> = { tfjs: [], onnx: [] };
  try {
    for (let round = 0; round < rounds; round++) {
      for (const engine of ENGINES) {
        const m = measure(experiment, engine, perClass, logdir);
        figures[engine].push(m.imagesPerSecond);
        console.log(
          `    round ${round + 1} --engine ${engine}: ${m.imagesPerSecond.toFixed(2)} img/s, prefix on ${m.prefix}`,
        );
      }
    }
  } finally {
    rmSync(logdir, { recursive: true, force: true });
  }
  const [tfjs, onnx] = [median(figures.tfjs), median(figures.onnx)];
  console.log(
    `  training: all-tfjs ${tfjs.toFixed(2)} img/s | frozen prefix on ONNX Runtime ${onnx.toFixed(2)} img/s ` +
      `(${(onnx / tfjs).toFixed(2)}×)`,
  );
}
