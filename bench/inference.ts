// `npm run bench -- inference [--quick] [--only=mobilenetv1@128,...] [--backend=wasm]`
//
// Forward-only (inference-mode) throughput of frozen bases, as feature extraction runs them:
//   before  — tfjs' own ops: ReLU6 as minimum(6, relu(x)) / clipByValue, BN as FusedBatchNorm
//   relu6   — ReLU6 layers on the Relu6 kernel (src/models/layers/relu6.ts)
//   +bn     — and inference BN as x·scale + offset (FreezableBatchNormalization.fastInference)
//   folded  — foldBatchNorm(model): conv → BN → ReLU(6) as one fused conv kernel
// Variants are interleaved batch by batch (median per variant) so load from other processes hits
// them alike. Figures: images/s and the ratio against `before`, measured in the same run.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendPreference } from '../src/backends/index.ts';
import { resolveLocations } from '../src/experiment/locations.ts';
import {
  FreezableBatchNormalization,
  buildBase,
  foldBatchNorm,
  mobileNetV1Base,
  useFastRelu6,
} from '../src/models/index.ts';

interface Config {
  key: string;
  label: string;
  batch: number;
  make: () => Promise<tf.LayersModel>;
}

const sharedModels = resolve(
  process.env.TRANSFERLAB_SHARED ?? join(import.meta.dirname, '..', '..', 'shared'),
  'models',
);
// --models-dir > TRANSFERLAB_MODELS_DIR as everywhere (locations.ts); the shared fixtures stand in for the cache.
const modelsDir = resolveLocations(process.env.TRANSFERLAB_MODELS_DIR ? {} : { modelsDir: sharedModels }).modelsDir;

const CONFIGS: Config[] = [
  {
    key: 'mobilenetv1@128',
    label: 'MobileNet v1 0.25 @128 (pretrained)',
    batch: 64,
    make: () => mobileNetV1Base({ modelsDir, download: false, inputSize: 128 }),
  },
  {
    key: 'mobilenetv1@224',
    label: 'MobileNet v1 0.25 @224 (pretrained)',
    batch: 64,
    make: () => mobileNetV1Base({ modelsDir, download: false, inputSize: 224 }),
  },
  {
    key: 'mobilenetv2@160',
    label: 'MobileNetV2 1.0 @160',
    batch: 32,
    make: async () => buildBase({ name: 'mobilenetv2', alpha: 1, inputSize: 160 }),
  },
  {
    key: 'densenet121@160',
    label: 'DenseNet121 @160',
    batch: 32,
    make: async () => buildBase({ name: 'densenet121', inputSize: 160 }),
  },
];

type Variant = 'before' | 'relu6' | '+bn' | 'folded';
const VARIANTS: Variant[] = ['before', 'relu6', '+bn', 'folded'];

function setFastPaths(relu6: boolean, bn: boolean): void {
  useFastRelu6(relu6);
  FreezableBatchNormalization.fastInference = bn;
}

export async function run(flags: string[]): Promise<void> {
  const quick = flags.includes('--quick');
  const only = flags
    .find((f) => f.startsWith('--only='))
    ?.slice('--only='.length)
    .split(',');
  const backend = (flags.find((f) => f.startsWith('--backend='))?.slice('--backend='.length) ??
    'wasm') as BackendPreference;
  await selectBackend(backend);
  const rounds = quick ? 3 : 7;
  const configs = CONFIGS.filter((c) => !only || only.includes(c.key));
  if (!existsSync(join(modelsDir, 'mobilenet_v1_0.25_224', 'model.json'))) {
    console.log(`  (no mobilenet_v1_0.25_224 under ${modelsDir}: the pretrained rows are skipped)`);
  }
  console.log(
    `  forward, inference mode, ${tf.getBackend()}; median of ${rounds} interleaved batches after one warm-up each`,
  );
  for (const config of configs) {
    if (config.key.startsWith('mobilenetv1') && !existsSync(join(modelsDir, 'mobilenet_v1_0.25_224', 'model.json')))
      continue;
    const model = await config.make();
    const size = model.inputs[0]!.shape[1]!;
    const x = tf.randomUniform([config.batch, size, size, 3], -1, 1) as tf.Tensor4D;
    const folded = foldBatchNorm(model);
    const runners: Record<Variant, () => tf.Tensor> = {
      before: () => (setFastPaths(false, false), model.predict(x, { batchSize: config.batch }) as tf.Tensor),
      relu6: () => (setFastPaths(true, false), model.predict(x, { batchSize: config.batch }) as tf.Tensor),
      '+bn': () => (setFastPaths(true, true), model.predict(x, { batchSize: config.batch }) as tf.Tensor),
      folded: () => (setFastPaths(true, true), folded.predict(x)),
    };
    const times: Record<Variant, number[]> = { before: [], relu6: [], '+bn': [], folded: [] };
    for (let round = -1; round < rounds; round++) {
      for (const v of VARIANTS) {
        const start = performance.now();
        const y = runners[v]();
        y.dataSync();
        const ms = performance.now() - start;
        y.dispose();
        if (round >= 0) times[v].push(ms);
      }
    }
    setFastPaths(true, true);
    const ips = (v: Variant): number => (config.batch * 1000) / median(times[v]);
    const base = ips('before');
    const cells = VARIANTS.map((v) => `${v} ${ips(v).toFixed(1)} img/s (${(ips(v) / base).toFixed(2)}×)`);
    console.log(`  ${config.label}, batch ${config.batch}: ${cells.join(' | ')}`);
    console.log(`    folded: ${JSON.stringify(folded.summary)}`);
    folded.dispose();
    tf.dispose([x]);
    model.dispose();
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
