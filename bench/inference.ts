// `npm run bench -- inference [--quick] [--only=mobilenetv1@128,...] [--backend=wasm] [--rounds=N]`
//
// Forward-only (inference-mode) throughput of frozen bases, as feature extraction runs them:
//   before  — tfjs' own ops: ReLU6 as minimum(6, relu(x)) / clipByValue, BN as FusedBatchNorm
//   relu6   — ReLU6 layers on the Relu6 kernel (src/models/layers/relu6.ts)
//   +bn     — and inference BN as x·scale + offset (FreezableBatchNormalization.fastInference)
//   folded  — foldBatchNorm(model): conv → BN → ReLU(6) as one fused conv kernel (the tfjs engine)
//   ort1/ort2 — ONNX Runtime (src/onnx/, exported with pooled output) on 1 and 2 threads
// Variants are interleaved batch by batch (median per variant) so load from other processes hits
// them alike. Figures: images/s and the ratio against `before`, and ONNX Runtime against
// `folded`, measured in the same run. Target: DenseNet121 @160 ort2 ≥ 6× folded.
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
import { exportOnnx, loadOnnxRuntime, OnnxSession } from '../src/onnx/index.ts';
import { median } from './median.ts';

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
  {
    key: 'resnet50@160',
    label: 'ResNet50 @160',
    batch: 32,
    make: async () => buildBase({ name: 'resnet50', inputSize: 160 }),
  },
  {
    key: 'inceptionv3@160',
    label: 'InceptionV3 @160',
    batch: 32,
    make: async () => buildBase({ name: 'inceptionv3', inputSize: 160 }),
  },
];

type Variant = 'before' | 'relu6' | '+bn' | 'folded' | 'ort1' | 'ort2';
const TFJS_VARIANTS: Variant[] = ['before', 'relu6', '+bn', 'folded'];
const ORT_THREADS = { ort1: 1, ort2: 2 } as const;

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
  const rounds = Number(flags.find((f) => f.startsWith('--rounds='))?.slice('--rounds='.length) ?? (quick ? 3 : 7));
  const configs = CONFIGS.filter((c) => !only || only.includes(c.key));
  const runtime = await loadOnnxRuntime();
  if (!runtime.available) console.log(`  (${runtime.notice}: the ort rows are skipped)`);
  const variants: Variant[] = runtime.available ? [...TFJS_VARIANTS, 'ort1', 'ort2'] : TFJS_VARIANTS;
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
    const tfjsRunner = (fn: () => tf.Tensor) => async (): Promise<void> => {
      const y = fn();
      y.dataSync();
      y.dispose();
    };
    const runners: Partial<Record<Variant, () => Promise<void>>> = {
      before: tfjsRunner(
        () => (setFastPaths(false, false), model.predict(x, { batchSize: config.batch }) as tf.Tensor),
      ),
      relu6: tfjsRunner(() => (setFastPaths(true, false), model.predict(x, { batchSize: config.batch }) as tf.Tensor)),
      '+bn': tfjsRunner(() => (setFastPaths(true, true), model.predict(x, { batchSize: config.batch }) as tf.Tensor)),
      folded: tfjsRunner(() => (setFastPaths(true, true), folded.predict(x))),
    };
    const sessions: OnnxSession[] = [];
    if (runtime.available) {
      const exported = exportOnnx(model, { pooling: 'avg' });
      const batch = { data: x.dataSync() as Float32Array, shape: x.shape };
      for (const v of ['ort1', 'ort2'] as const) {
        const session = await OnnxSession.create(runtime.ort, exported.bytes, { threads: ORT_THREADS[v] });
        sessions.push(session);
        runners[v] = async () => void (await session.run(batch));
      }
    }
    const times = Object.fromEntries(variants.map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
    for (let round = -1; round < rounds; round++) {
      for (const v of variants) {
        const start = performance.now();
        await runners[v]!();
        const ms = performance.now() - start;
        if (round >= 0) times[v].push(ms);
      }
    }
    setFastPaths(true, true);
    const ips = (v: Variant): number => (config.batch * 1000) / median(times[v]);
    const base = ips('before');
    const cells = variants.map((v) => `${v} ${ips(v).toFixed(1)} img/s (${(ips(v) / base).toFixed(2)}×)`);
    console.log(`  ${config.label}, batch ${config.batch}: ${cells.join(' | ')}`);
    if (runtime.available) {
      console.log(
        `    ONNX Runtime ${runtime.version} vs folded tfjs: ` +
          `1 thread ${(ips('ort1') / ips('folded')).toFixed(2)}×, ` +
          `2 threads ${(ips('ort2') / ips('folded')).toFixed(2)}×`,
      );
    }
    console.log(`    folded: ${JSON.stringify(folded.summary)}`);
    for (const session of sessions) await session.dispose();
    folded.dispose();
    tf.dispose([x]);
    model.dispose();
  }
}
