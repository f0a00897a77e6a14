// `npm run bench -- train [--quick] [--cap=SECONDS] [--backends=wasm,cpu] [--only=mobilenetv2@96,...] [--ab]`
//
// Training throughput (forward + backward + Adam, batch 32, micro-batches with gradient
// accumulation where wasm's 4 GiB heap needs them) and forward-only throughput of the real base
// models with a classifier head, on each available backend. Every configuration runs in a child
// process: a fresh wasm heap each time, and a heap overflow ("memory access out of bounds")
// becomes a retry with half the micro-batch instead of a dead benchmark.
// Figures: images/s, effective GFLOP/s from the model's multiply-adds (modelCost; training
// ≈ 3× the forward FLOPs), and wasm/cpu ratios measured in the same run.
// `--ab` (wasm only): every wasm measurement alternates steps with the kernels from before the
// MobileNetV2 speed-up (wasm's own Sum/Mean/Transpose/FusedBatchNorm, the first depthwise filter
// gradient) and ours, in one process, and prints both and their ratio.
// `--workers=N` (default: one per core): the configurations issue 13 names also train as
// `npm run experiment --workers 1 / N` does (src/train/step-runner.ts: trainStep in the process, or
// the data-parallel trainer's workers, with the runner's micro-batch plan), in the same run; the
// heap column is then the largest worker's heap, and the sum over workers is printed with it.
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { planMicroBatch } from '../src/train/parallel/plan.ts';
import { benchModel, type Config } from './train-model.ts';
import { median } from './median.ts';

type Backend = 'wasm' | 'cpu';
type Mode = 'train' | 'forward';

interface Job extends Config {
  backend: Backend;
  mode: Mode;
  batch: number;
  microBatch: number;
  capSeconds: number;
  maxSteps: number;
  ab?: boolean;
  /** Training through the data-parallel trainer with this many wasm workers. */
  workers?: number;
}

interface Measurement {
  imagesPerSecond: number;
  medianStepMs: number;
  steps: number;
  macsPerImage: number;
  heapBytes: number;
  /** Data-parallel runs: every worker's wasm heap. */
  workerHeaps?: number[];
  /** With --ab: the same measurement with the kernels from before the speed-up, interleaved. */
  before?: { imagesPerSecond: number; medianStepMs: number };
}

const FULL: Config[] = [
  { model: 'mobilenetv2', alpha: 1, size: 32 },
  { model: 'mobilenetv2', alpha: 1, size: 96 },
  { model: 'mobilenetv2', alpha: 1, size: 160 },
  { model: 'densenet121', size: 32 },
  { model: 'densenet121', size: 160 },
  { model: 'resnet50', size: 160 },
  { model: 'inceptionv3', size: 160 },
];
const QUICK: Config[] = [{ model: 'mobilenetv2', alpha: 1, size: 32 }];
/** The configurations measured with 1 and N data-parallel workers (issue 13). */
const WORKER_CONFIGS = new Set([
  'densenet121@160',
  'mobilenetv2@160',
  'mobilenetv2@32',
  'resnet50@160',
  'inceptionv3@160',
]);

const BATCH = 32;
// The cpu backend is ~60× slower: it runs only the smallest configurations, at batch 8 (pure JS is
// single-threaded and gains nothing from bigger batches), with a tight time cap.
const CPU_BATCH = 8;

/**
 * Largest training micro-batch observed to fit wasm's 4 GiB heap (see docs/backends.md); the
 * parent halves it on a heap overflow anyway. Forward-only passes free activations as they go.
 */
export function startMicroBatch(c: Config, mode: Mode): number {
  if (mode === 'forward' || c.size <= 32) return BATCH;
  // Heap after one step at 160 px: MobileNetV2 8 → 1.9 GB, 16 → 3.7 GB; DenseNet121 4 → 2.1 GB,
  // 8 → 3.97 GB; ResNet50 8 → 3.35 GB; InceptionV3 16 → 2.9 GB (of 4 GiB).
  const at160: Record<Config['model'], number> = { mobilenetv2: 8, densenet121: 4, resnet50: 8, inceptionv3: 16 };
  const scale = (160 / c.size) ** 2;
  return Math.min(BATCH, 2 ** Math.floor(Math.log2(at160[c.model] * scale)));
}

const label = (c: Config): string => `${c.model}${c.alpha != null ? ` α${c.alpha}` : ''} @${c.size}`;

// ---------------------------------------------------------------- child: one measurement

async function macsPerImage(model: tf.LayersModel): Promise<number> {
  const { modelCost } = await import('../src/models/cost.ts');
  return modelCost(model).macsPerImage;
}

function heapBytes(): number {
  const wasm = (tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm;
  return wasm ? wasm.HEAPU8.length : process.memoryUsage().rss;
}

/** One optimizer step over `batch` images, as batch/microBatch accumulated gradient passes. */
function makeTrainStep(model: tf.LayersModel, job: Job): () => void {
  const optimizer = tf.train.adam(1e-3);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const x = tf.randomNormal([job.microBatch, job.size, job.size, 3]);
  const labels = Array.from({ length: job.microBatch }, (_, i) => i % 10);
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
  const passes = Math.ceil(job.batch / job.microBatch);
  const loss = (): tf.Scalar =>
    tf.mean(tf.metrics.categoricalCrossentropy(y, model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar;
  return () => {
    let sums: tf.Tensor[] | null = null;
    for (let p = 0; p < passes; p++) {
      const { value, grads } = tf.variableGrads(loss, variables);
      value.dataSync();
      value.dispose();
      const g = variables.map((v) => grads[v.name]);
      if (sums === null) {
        sums = g;
      } else {
        const prev: tf.Tensor[] = sums;
        sums = tf.tidy(() => prev.map((s, i) => tf.add(s, g[i])));
        tf.dispose([...prev, ...g]);
      }
    }
    const total = sums ?? [];
    const mean = tf.tidy(() =>
      Object.fromEntries(
        variables.map((v, i) => [v.name, passes === 1 ? tf.clone(total[i]) : tf.div(total[i], passes)]),
      ),
    );
    optimizer.applyGradients(mean as Parameters<typeof optimizer.applyGradients>[0]);
    tf.dispose([...total, ...Object.values(mean)]);
  };
}

function makeForwardStep(model: tf.LayersModel, job: Job): () => void {
  const x = tf.randomNormal([job.batch, job.size, job.size, 3]);
  return () => {
    const out = model.predict(x, { batchSize: job.microBatch }) as tf.Tensor;
    out.dataSync();
    out.dispose();
  };
}

/** Warm-up step, then steps until the cap (at least one, at most maxSteps); the median step time. */
export function measureSteps(
  step: () => void,
  capSeconds: number,
  maxSteps: number,
): { medianMs: number; steps: number } {
  step();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < maxSteps && (times.length === 0 || performance.now() - start < capSeconds * 1000)) {
    const t = performance.now();
    step();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const medianMs = times.length % 2 === 1 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
  return { medianMs, steps: times.length };
}

/** Alternates steps between two kernel sets (one warm-up each); medians of each. */
export function measureAlternating(
  step: () => void,
  use: (ours: boolean) => void,
  capSeconds: number,
  maxSteps: number,
): { ours: number; before: number } {
  const times = { ours: [] as number[], before: [] as number[] };
  for (const ours of [false, true]) {
    use(ours);
    step();
  }
  const start = performance.now();
  while (times.ours.length < maxSteps && (times.ours.length === 0 || performance.now() - start < capSeconds * 1000)) {
    for (const ours of [false, true]) {
      use(ours);
      const t = performance.now();
      step();
      (ours ? times.ours : times.before).push(performance.now() - t);
    }
  }
  use(true);
  const median = (a: number[]): number => {
    const s = [...a].sort((p, q) => p - q);
    const mid = s.length >> 1;
    return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  };
  return { ours: median(times.ours), before: median(times.before) };
}

/**
 * Training steps as the runner takes them (src/train/step-runner.ts): in this thread for one worker
 * (trainStep), through the data-parallel trainer's stoppable step for more.
 */
async function parallelChild(job: Job & { workers: number }): Promise<void> {
  const { buildSpecModel } = await import('../src/train/parallel/model-spec.ts');
  const { createOptimizer } = await import('../src/train/optimizer.ts');
  const { inProcessSteps, parallelSteps } = await import('../src/train/step-runner.ts');
  const config: Config = { model: job.model, size: job.size, ...(job.alpha !== undefined ? { alpha: job.alpha } : {}) };
  const module = new URL('./train-model.ts', import.meta.url).href;
  const spec = { kind: 'module' as const, module, exportName: 'benchModel', options: config };
  const model = await buildSpecModel(spec);
  const macs = await macsPerImage(model);
  const optimizerSpec = { name: 'adam' as const, learningRate: 1e-3 };
  const optimizer = createOptimizer(optimizerSpec);
  const runner =
    job.workers === 1
      ? inProcessSteps(model, optimizer, job.microBatch)
      : await parallelSteps({
          workers: job.workers,
          model,
          optimizer,
          spec,
          optimizerSpec,
          maxBatch: job.batch,
          microBatch: job.microBatch,
        });
  try {
    const x = tf.randomNormal([job.batch, job.size, job.size, 3]);
    const labels = Array.from({ length: job.batch }, (_, i) => i % 10);
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10) as tf.Tensor2D;
    const step = () => runner.step(x, y, 1e-3, () => false);
    await step();
    const times: number[] = [];
    const start = performance.now();
    while (times.length < job.maxSteps && (times.length === 0 || performance.now() - start < job.capSeconds * 1000)) {
      const t = performance.now();
      await step();
      times.push(performance.now() - t);
    }
    const medianMs = median(times);
    const heaps = await runner.heaps();
    const result: Measurement = {
      imagesPerSecond: (job.batch / medianMs) * 1000,
      medianStepMs: medianMs,
      steps: times.length,
      macsPerImage: macs,
      heapBytes: Math.max(...heaps),
      workerHeaps: heaps,
    };
    console.log(`RESULT ${JSON.stringify(result)}`);
  } finally {
    await runner.dispose();
  }
}

async function child(job: Job): Promise<void> {
  const { selectBackend } = await import('../src/backends/index.ts');
  await selectBackend(job.backend, { quiet: true });
  if (job.workers !== undefined) return parallelChild({ ...job, workers: job.workers });
  const model = benchModel(job);
  const macs = await macsPerImage(model);
  const step = job.mode === 'train' ? makeTrainStep(model, job) : makeForwardStep(model, job);
  if (job.ab && job.backend === 'wasm') {
    const { useSpeedupKernels } = await import('../src/backends/wasm-kernels/register.ts');
    const r = measureAlternating(step, useSpeedupKernels, job.capSeconds, job.maxSteps);
    const result: Measurement = {
      imagesPerSecond: (job.batch / r.ours) * 1000,
      medianStepMs: r.ours,
      steps: job.maxSteps,
      macsPerImage: macs,
      heapBytes: heapBytes(),
      before: { imagesPerSecond: (job.batch / r.before) * 1000, medianStepMs: r.before },
    };
    console.log(`RESULT ${JSON.stringify(result)}`);
    return;
  }
  const { medianMs, steps } = measureSteps(step, job.capSeconds, job.maxSteps);
  const result: Measurement = {
    imagesPerSecond: (job.batch / medianMs) * 1000,
    medianStepMs: medianMs,
    steps,
    macsPerImage: macs,
    heapBytes: heapBytes(),
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
}

// ---------------------------------------------------------------- parent: configurations

function runChild(job: Job): Promise<{ ok: true; m: Measurement } | { ok: false; error: string; heap: boolean }> {
  return new Promise((resolve) => {
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', JSON.stringify(job)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    proc.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const limit = setTimeout(() => proc.kill('SIGKILL'), (job.capSeconds * 4 + 300) * 1000);
    proc.on('close', (code) => {
      clearTimeout(limit);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) return resolve({ ok: true, m: JSON.parse(line.slice(7)) as Measurement });
      const heap =
        /memory access out of bounds|Out of memory|Cannot enlarge memory|RangeError: Array buffer allocation|Aborted/i.test(
          out,
        );
      const lastLine =
        out
          .trim()
          .split('\n')
          .filter((l) => /^\s*(\w*Error\b|Aborted)/.test(l))
          .pop() ?? `exit code ${code}`;
      resolve({ ok: false, error: lastLine.trim().slice(0, 160), heap });
    });
  });
}

async function measure(job: Job): Promise<{ m: Measurement; microBatch: number } | { error: string }> {
  let microBatch = job.microBatch;
  for (;;) {
    const r = await runChild({ ...job, microBatch });
    if (r.ok) return { m: r.m, microBatch };
    if (!r.heap || microBatch === 1) return { error: r.error };
    console.log(
      `    ${job.backend} ${job.mode} micro-batch ${microBatch} ` +
        `overflowed the wasm heap; retrying with ${microBatch / 2}`,
    );
    microBatch = Math.max(1, microBatch >> 1);
  }
}

/** 1 and N workers as the runner plans them: N workers each get whole micro-batches that fit one heap. */
async function measureWorkers(c: Config, workers: number, cap: number, rows: string[][]): Promise<void> {
  const counts = workers === 1 ? [1] : [1, workers];
  const speeds: number[] = [];
  for (const n of counts) {
    // The runner's plan: what one heap holds, cut so that all n workers get some.
    const microBatch = planMicroBatch(BATCH, startMicroBatch(c, 'train'), n);
    const job: Job = {
      ...c,
      backend: 'wasm',
      mode: 'train',
      batch: BATCH,
      microBatch,
      capSeconds: cap,
      maxSteps: 5,
      workers: n,
    };
    const r = await measure(job);
    const name = `wasm ×${n} worker${n === 1 ? '' : 's'}`;
    if ('error' in r) {
      rows.push([label(c), 'train', name, '', `failed: ${r.error}`, '', '', '']);
      console.log(`  ${rows[rows.length - 1].join('  ')}`);
      return;
    }
    speeds.push(r.m.imagesPerSecond);
    const heaps = r.m.workerHeaps ?? [r.m.heapBytes];
    const mib = (b: number) => (b / 2 ** 20).toFixed(0);
    rows.push([
      label(c),
      'train',
      name,
      String(r.microBatch),
      r.m.imagesPerSecond.toFixed(2),
      gflops(r.m.macsPerImage, r.m.imagesPerSecond, 'train').toFixed(2),
      n === 1 ? '' : `×${n}/×1 ${(r.m.imagesPerSecond / speeds[0]!).toFixed(2)}×`,
      `${mib(r.m.heapBytes)} (Σ ${mib(heaps.reduce((a, b) => a + b, 0))})`,
    ]);
    console.log(`  ${rows[rows.length - 1].join('  ')}`);
  }
}

const gflops = (macs: number, imagesPerSecond: number, mode: Mode): number =>
  (2 * macs * (mode === 'train' ? 3 : 1) * imagesPerSecond) / 1e9;

function flag(flags: string[], name: string): string | undefined {
  const f = flags.find((a) => a.startsWith(`--${name}=`));
  return f?.slice(name.length + 3);
}

export async function run(flags: string[]): Promise<void> {
  const quick = flags.includes('--quick');
  const cap = Number(flag(flags, 'cap') ?? (quick ? 8 : 60));
  const backends = (flag(flags, 'backends') ?? 'wasm,cpu').split(',') as Backend[];
  const only = flag(flags, 'only')?.split(',');
  const ab = flags.includes('--ab');
  const workers = Number(flag(flags, 'workers') ?? availableParallelism());
  if (!Number.isInteger(workers) || workers < 1) {
    throw new Error(`--workers: expected a positive integer, got ${flag(flags, 'workers')}`);
  }
  const configs = (quick ? QUICK : FULL).filter((c) => !only || only.includes(`${c.model}@${c.size}`));
  console.log(
    `worker rows: the runner's steps (src/train/step-runner.ts) with 1 worker (in the process) and ` +
      `${workers} wasm workers; heap = the largest worker's (Σ over workers)`,
  );
  console.log(
    `training = forward + backward + Adam at batch ${BATCH} (cpu: ${CPU_BATCH}); forward ` +
      `= predict at batch ${BATCH}; median step after a warm-up, cap ${cap}s per measurement`,
  );
  console.log('GFLOP/s = 2 × multiply-adds per image (modelCost) × images/s, ×3 for training\n');
  if (ab)
    console.log(
      '--ab: wasm rows alternate steps with the kernels from before ' +
        'the MobileNetV2 speed-up ("before") and ours, in one process\n',
    );
  const rows: string[][] = [['model', 'mode', 'backend', 'micro-batch', 'images/s', 'GFLOP/s', 'wasm/cpu', 'heap MiB']];
  for (const c of configs) {
    for (const mode of ['train', 'forward'] as const) {
      const results = new Map<Backend, Measurement>();
      for (const backend of backends) {
        if (backend === 'cpu' && !(c.size <= 32 && c.model === 'mobilenetv2')) continue;
        const batch = backend === 'cpu' ? CPU_BATCH : BATCH;
        const job: Job = {
          ...c,
          backend,
          mode,
          batch,
          microBatch: Math.min(batch, startMicroBatch(c, mode)),
          capSeconds: backend === 'cpu' ? Math.min(cap, 20) : cap,
          maxSteps: backend === 'cpu' ? 2 : 5,
          ab: ab && backend === 'wasm',
        };
        const r = await measure(job);
        if ('error' in r) {
          rows.push([label(c), mode, backend, '', `failed: ${r.error}`, '', '', '']);
          continue;
        }
        results.set(backend, r.m);
        rows.push([
          label(c),
          mode,
          backend,
          String(r.microBatch),
          r.m.imagesPerSecond.toFixed(2),
          gflops(r.m.macsPerImage, r.m.imagesPerSecond, mode).toFixed(2),
          '',
          (r.m.heapBytes / 2 ** 20).toFixed(0),
        ]);
        console.log(`  ${rows[rows.length - 1].join('  ')}`);
        if (r.m.before) {
          const b = r.m.before;
          rows.push([
            label(c),
            mode,
            'wasm before',
            String(r.microBatch),
            b.imagesPerSecond.toFixed(2),
            gflops(r.m.macsPerImage, b.imagesPerSecond, mode).toFixed(2),
            `ours ${(r.m.imagesPerSecond / b.imagesPerSecond).toFixed(2)}×`,
            '',
          ]);
          console.log(`  ${rows[rows.length - 1].join('  ')}`);
        }
      }
      if (mode === 'train' && backends.includes('wasm') && WORKER_CONFIGS.has(`${c.model}@${c.size}`)) {
        await measureWorkers(c, workers, cap, rows);
      }
      const w = results.get('wasm');
      const cpu = results.get('cpu');
      if (w && cpu) {
        rows.push([
          label(c),
          mode,
          'wasm/cpu',
          '',
          '',
          '',
          `${(w.imagesPerSecond / cpu.imagesPerSecond).toFixed(1)}×`,
          '',
        ]);
        console.log(`  ${rows[rows.length - 1].join('  ')}`);
      }
    }
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log('');
  for (const r of rows) console.log(r.map((cell, i) => cell.padEnd(widths[i])).join('  '));
  console.log('\ntargets: wasm training ≥ 50× cpu and ≥ 10 GFLOP/s; forward ≥ 20 GFLOP/s; 2 workers ≥ 1.8× 1 worker');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === '--child') {
  await child(JSON.parse(process.argv[3]) as Job);
}
