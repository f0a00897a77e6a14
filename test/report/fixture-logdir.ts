// Builds a logdir laid out like the runner's (docs/ARCHITECTURE.md "Run directory"): run.json plus
// event files written with the project's SummaryWriter. Used by the report, server and browser tests.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { SummaryWriter } from '../../src/tensorboard/index.ts';
import { TRAIN_SUBRUN, VALIDATION_SUBRUN } from '../../src/run/layout.ts';

export const XSS = '<img src=x onerror=alert(1)>';
const CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

export const IDS = {
  densenet: 'densenet-full/20261128-100000-lr3',
  mobilenet: 'mobilenet-frozen/20261128-110000',
  interrupted: 'mobilenet-frozen/20261128-120000-interrupted',
  running: 'resnet-live/20261128-130000-live',
  inception: 'inception/20261128-150000',
  xss: `xss/20261128-140000-${XSS}`,
} as const;

function png(width: number, height: number, seed: number): Uint8Array {
  const img = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    img.data[i * 4] = (i * 7 + seed * 40) % 256;
    img.data[i * 4 + 1] = (i * 3) % 256;
    img.data[i * 4 + 2] = (seed * 90) % 256;
    img.data[i * 4 + 3] = 255;
  }
  return PNG.sync.write(img);
}

export interface RunSpec {
  id: string;
  name: string | null;
  status: 'running' | 'success' | 'interrupted' | 'failed';
  error?: string | null;
  base: string;
  freeze: unknown;
  inputSize: number;
  learningRate: number;
  epochsPlanned: number;
  valAcc: number[];
  testAcc: number | null;
  flops: number;
  seconds: number;
  epochSeconds: number;
  stepsPerEpoch: number;
  tags: string[];
  /** Seconds before now at which the run started. */
  startedAgo: number;
  extraDefinition?: Record<string, unknown>;
  seed?: number;
  /** The process that writes run.json (dead-run detection). */
  process?: { pid: number; host: string };
}

const SPECS: RunSpec[] = [
  {
    id: IDS.densenet,
    name: 'lr3',
    status: 'success',
    base: 'densenet121',
    freeze: 'none',
    inputSize: 96,
    learningRate: 0.001,
    epochsPlanned: 5,
    valAcc: [0.5, 0.65, 0.78, 0.83, 0.85],
    testAcc: 0.84,
    flops: 4e15,
    seconds: 3600,
    epochSeconds: 600,
    stepsPerEpoch: 100,
    tags: ['study', 'full'],
    startedAgo: 86400,
  },
  {
    id: IDS.mobilenet,
    name: null,
    status: 'success',
    base: 'mobilenetv2',
    freeze: 'all',
    inputSize: 96,
    learningRate: 0.001,
    epochsPlanned: 4,
    valAcc: [0.55, 0.7, 0.81, 0.82],
    testAcc: 0.8,
    flops: 5e14,
    seconds: 900,
    epochSeconds: 200,
    stepsPerEpoch: 100,
    tags: ['study'],
    startedAgo: 80000,
  },
  {
    id: IDS.interrupted,
    name: 'interrupted',
    status: 'interrupted',
    base: 'mobilenetv2',
    freeze: { last: 20 },
    inputSize: 128,
    learningRate: 0.0003,
    epochsPlanned: 5,
    valAcc: [0.5, 0.6],
    testAcc: null,
    flops: 2e14,
    seconds: 400,
    epochSeconds: 200,
    stepsPerEpoch: 100,
    tags: ['study'],
    startedAgo: 70000,
  },
  {
    id: IDS.running,
    name: 'live',
    status: 'running',
    base: 'resnet50',
    freeze: 'all',
    inputSize: 160,
    learningRate: 0.001,
    epochsPlanned: 10,
    valAcc: [0.4],
    testAcc: null,
    flops: 3e14,
    seconds: 120,
    epochSeconds: 100,
    stepsPerEpoch: 100,
    tags: [],
    startedAgo: 130,
  },
  {
    id: IDS.inception,
    name: null,
    status: 'success',
    base: 'inceptionv3',
    freeze: 'none',
    inputSize: 160,
    learningRate: 0.01,
    epochsPlanned: 3,
    valAcc: [0.5, 0.62, 0.71],
    testAcc: 0.7,
    flops: 8e15,
    seconds: 7200,
    epochSeconds: 2400,
    stepsPerEpoch: 100,
    tags: ['study', 'full'],
    startedAgo: 60000,
  },
  {
    id: IDS.xss,
    name: XSS,
    status: 'failed',
    error: XSS,
    base: 'mobilenetv2',
    freeze: 'all',
    inputSize: 96,
    learningRate: 0.001,
    epochsPlanned: 3,
    valAcc: [0.3],
    testAcc: null,
    flops: 1e14,
    seconds: 60,
    epochSeconds: 60,
    stepsPerEpoch: 100,
    tags: [XSS],
    startedAgo: 50000,
    extraDefinition: { notes: XSS, description: `<script>alert(1)</script>` },
  },
];

function definitionOf(s: RunSpec): Record<string, unknown> {
  return {
    description: '',
    tags: s.tags,
    notes: '',
    seed: s.seed ?? 42,
    model: {
      base: s.base,
      weights: 'imagenet',
      inputSize: s.inputSize,
      resize: 'bilinear',
      freeze: s.freeze,
      head: { pooling: 'avg', dense: [], dropout: 0.2 },
    },
    data: { validationSize: 5000, augment: { flip: true, crop: false } },
    optimizer: { name: 'adam', learningRate: s.learningRate },
    train: { epochs: s.epochsPlanned, batchSize: 32, logEveryBatches: 10, featureCache: 'auto' },
    ...s.extraDefinition,
  };
}

/** Batch and epoch scalars of every epoch; returns run.json's history. */
function writeEpochs(train: SummaryWriter, validation: SummaryWriter, s: RunSpec, start: number) {
  const history = [];
  for (let e = 0; e < s.valAcc.length; e++) {
    const endWall = start + s.epochSeconds * (e + 1);
    const trainAcc = Math.min(0.99, s.valAcc[e] + 0.05);
    for (let b = 0; b < s.stepsPerEpoch; b += 10) {
      const step = e * s.stepsPerEpoch + b + 10;
      const t = start + s.epochSeconds * e + (s.epochSeconds * (b + 10)) / s.stepsPerEpoch;
      train.scalar('batch_loss', 2.3 * Math.exp(-step / 150) + 0.05 * Math.sin(step), step, t);
      train.scalar('batch_accuracy', Math.min(0.99, trainAcc - 0.1 + (0.1 * b) / s.stepsPerEpoch), step, t);
    }
    const step = (e + 1) * s.stepsPerEpoch;
    train.scalar('epoch_loss', 2 - s.valAcc[e] * 1.5, e, endWall);
    train.scalar('epoch_accuracy', trainAcc, e, endWall);
    train.scalar('epoch_learning_rate', s.learningRate * Math.pow(0.9, e), e, endWall);
    train.scalar('epoch_images_per_second', (3200 / s.epochSeconds) * 100, e, endWall);
    train.scalar('epoch_time_seconds', s.epochSeconds, e, endWall);
    validation.scalar('epoch_loss', 2.1 - s.valAcc[e] * 1.5, e, endWall);
    validation.scalar('epoch_accuracy', s.valAcc[e], e, endWall);
    validation.scalar('evaluation_accuracy_vs_iterations', s.valAcc[e], step, endWall);
    validation.scalar('evaluation_loss_vs_iterations', 2.1 - s.valAcc[e] * 1.5, step, endWall);
    history.push({
      epoch: e,
      step,
      wallTime: endWall,
      trainLoss: 2 - s.valAcc[e] * 1.5,
      trainAccuracy: trainAcc,
      valLoss: 2.1 - s.valAcc[e] * 1.5,
      valAccuracy: s.valAcc[e],
      seconds: s.epochSeconds,
    });
  }
  return history;
}

/** Test scalars, per-class accuracy and the two images of a run that was tested; returns the per-class map. */
function writeTest(root: SummaryWriter, s: RunSpec, completed: number, finalWall: number) {
  if (s.testAcc === null) return null;
  root.scalar('test/accuracy', s.testAcc, completed, finalWall);
  root.scalar('test/loss', 0.6, completed, finalWall);
  const perClass = Object.fromEntries(
    CLASSES.map((c, i) => [c, Math.max(0, Math.min(1, s.testAcc! + (i - 4.5) * 0.02))]),
  );
  for (const [c, v] of Object.entries(perClass)) root.scalar(`test/per_class_accuracy/${c}`, v, completed, finalWall);
  root.image('confusion_matrix', png(40, 40, 1), 40, 40, completed, finalWall);
  root.image('sample_predictions', png(64, 32, 2), 64, 32, completed, finalWall);
  return perClass;
}

function paramsOf(s: RunSpec) {
  const frozen = s.freeze === 'all';
  return {
    base: { total: 2_000_000, trainable: frozen ? 0 : 2_000_000, nonTrainable: frozen ? 2_000_000 : 0 },
    model: { total: 2_012_810, trainable: frozen ? 12_810 : 2_012_810, nonTrainable: frozen ? 2_000_000 : 0 },
  };
}

function finalOf(s: RunSpec) {
  if (s.status !== 'success') return null;
  const valAccuracy = s.valAcc.at(-1)!;
  return {
    trainAccuracy: valAccuracy + 0.05,
    trainLoss: 0.5,
    valAccuracy,
    valLoss: 0.6,
    testAccuracy: s.testAcc,
    testLoss: 0.6,
  };
}

interface Written {
  definition: Record<string, unknown>;
  history: unknown[];
  perClass: Record<string, number> | null;
  start: number;
  finalWall: number;
}

/** run.json as the runner writes it. */
function recordOf(s: RunSpec, w: Written) {
  const [experiment] = s.id.split('/');
  const completed = s.valAcc.length;
  const bestIdx = s.valAcc.indexOf(Math.max(...s.valAcc));
  const hardware = {
    platform: 'linux-x64',
    cpus: 2,
    cpuModel: 'fixture CPU',
    memoryBytes: 0,
    gpu: null,
    node: process.version,
  };
  return {
    schemaVersion: 1,
    id: s.id,
    experiment,
    name: s.name,
    status: s.status,
    error: s.error ?? null,
    definition: w.definition,
    seed: s.seed ?? 42,
    ...s.process,
    tags: s.tags,
    notes: '',
    git: { commit: 'abc1234', dirty: false },
    command: ['npm', 'run', 'experiment', experiment],
    backend: { name: 'wasm', kind: 'wasm', reason: 'test fixture', versions: { tfjs: '4.22.0' } },
    hardware,
    params: paramsOf(s),
    macsPerImage: 300_000_000 * (s.inputSize / 96) ** 2,
    startTime: new Date(w.start * 1000).toISOString(),
    endTime: s.status === 'running' ? null : new Date(w.finalWall * 1000).toISOString(),
    phases: { data: 5, model: 3, features: 0, train: s.seconds - 20, evaluate: 12 },
    epochs: { planned: s.epochsPlanned, completed },
    globalStep: completed * s.stepsPerEpoch,
    best: { epoch: bestIdx, valAccuracy: s.valAcc[bestIdx], valLoss: 2.1 - s.valAcc[bestIdx] * 1.5 },
    final: finalOf(s),
    perClassAccuracy: w.perClass,
    imagesPerSecond: (3200 / s.epochSeconds) * 100,
    compute: { trainImages: completed * s.stepsPerEpoch * 32, flops: s.flops, seconds: s.seconds },
    featureCache: { used: s.freeze === 'all', hit: false, key: 'k', path: '/tmp/x' },
    resumedFrom: null,
    progress: s.status === 'running' ? { phase: 'evaluate', split: 'validation', done: 3200, total: 5000 } : null,
    history: w.history,
  };
}

const SESSION_END = { success: 'success', failed: 'failure', interrupted: 'aborted' } as const;

export async function writeRun(logdir: string, s: RunSpec, nowSec: number): Promise<void> {
  const dir = join(logdir, ...s.id.split('/'));
  await mkdir(dir, { recursive: true });
  const start = nowSec - s.startedAgo;
  const root = await SummaryWriter.create(dir);
  const train = await SummaryWriter.create(join(dir, TRAIN_SUBRUN));
  const validation = await SummaryWriter.create(join(dir, VALIDATION_SUBRUN));
  const definition = definitionOf(s);
  root.hparamsSessionStart({ hparams: { base: s.base, learning_rate: s.learningRate, input_size: s.inputSize } });
  root.text('definition', '```json\n' + JSON.stringify(definition, null, 2) + '\n```', 0, start);
  const history = writeEpochs(train, validation, s, start);
  const finalWall = start + s.epochSeconds * s.valAcc.length;
  const perClass = writeTest(root, s, s.valAcc.length, finalWall);
  if (s.status !== 'running') root.hparamsSessionEnd(SESSION_END[s.status], finalWall);
  await Promise.all([root.close(), train.close(), validation.close()]);
  const record = recordOf(s, { definition, history, perClass, start, finalWall });
  await writeFile(join(dir, 'run.json'), JSON.stringify(record, null, 2));
}

/** Writes the fixture runs into `logdir`; returns their ids. */
export async function makeFixtureLogdir(logdir: string): Promise<typeof IDS> {
  const now = Math.floor(Date.now() / 1000);
  for (const spec of SPECS) await writeRun(logdir, spec, now);
  return IDS;
}
