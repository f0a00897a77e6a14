// A study-sized logdir: 10 seeded tiny runs of 4 bases (repeats differing only by seed), one at
// chance level and one whose process is dead (pid of an exited child on this host).
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { writeRun, type RunSpec } from './fixture-logdir.ts';

const base = (over: Partial<RunSpec> & Pick<RunSpec, 'id' | 'base' | 'freeze' | 'valAcc'>): RunSpec => ({
  name: null,
  status: 'success',
  inputSize: 96,
  learningRate: 0.001,
  epochsPlanned: over.valAcc.length,
  testAcc: over.valAcc.at(-1)! - 0.01,
  flops: 1e15,
  seconds: 600,
  epochSeconds: 100,
  stepsPerEpoch: 50,
  tags: ['study'],
  startedAgo: 50_000,
  ...over,
});

/** A pid that surely exited: a child that ran and was reaped. */
export function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

export const STUDY = {
  dense: ['densenet121-full/20261201-100000-s1', 'densenet121-full/20261201-110000-s2'],
  mobile: [
    'mobilenetv2-frozen/20261201-120000',
    'mobilenetv2-frozen/20261201-121000',
    'mobilenetv2-frozen/20261201-122000',
  ],
  incep: ['inceptionv3-frozen/20261201-130000-a', 'inceptionv3-frozen/20261201-131000-b'],
  chance: 'resnet50-full/20261201-140000-chance',
  dead: 'resnet50-frozen/20261201-150000-dead',
  mobileLast: 'mobilenetv2-last20/20261201-160000',
} as const;

function specs(): RunSpec[] {
  const d = (id: string, seed: number, j: number) =>
    base({
      id,
      seed,
      base: 'densenet121',
      freeze: 'none',
      valAcc: [0.6, 0.75, 0.86 + j],
      flops: 8e15 * (1 + j),
      seconds: 4000 + 300 * seed,
      startedAgo: 52_000 - seed * 900,
    });
  const m = (id: string, seed: number, j: number) =>
    base({
      id,
      seed,
      base: 'mobilenetv2',
      freeze: 'all',
      valAcc: [0.6, 0.72, 0.8 + j],
      flops: 5e14,
      seconds: 500 + 20 * seed,
      startedAgo: 40_000 - seed * 700,
    });
  const i = (id: string, seed: number, j: number) =>
    base({
      id,
      seed,
      base: 'inceptionv3',
      freeze: 'all',
      valAcc: [0.5, 0.66, 0.74 + j],
      flops: 2e15,
      seconds: 1500 + 50 * seed,
      startedAgo: 45_000 - seed * 800,
    });
  return [
    ...STUDY.dense.map((id, k) => d(id, k + 1, k * 0.01)),
    ...STUDY.mobile.map((id, k) => m(id, k + 1, k * 0.008)),
    ...STUDY.incep.map((id, k) => i(id, k + 1, k * 0.01)),
    base({
      id: STUDY.chance,
      name: 'lr3',
      base: 'resnet50',
      freeze: 'none',
      valAcc: [0.1, 0.1, 0.11],
      testAcc: 0.1,
      flops: 1e14,
      seconds: 100,
    }),
    base({
      id: STUDY.dead,
      name: 'lr3',
      status: 'running',
      base: 'resnet50',
      freeze: 'all',
      valAcc: [0.7, 0.95],
      testAcc: null,
      epochsPlanned: 5,
      flops: 1e13,
      seconds: 60,
      startedAgo: 300,
      process: { pid: deadPid(), host: hostname() },
    }),
    base({
      id: STUDY.mobileLast,
      base: 'mobilenetv2',
      freeze: { last: 20 },
      inputSize: 128,
      valAcc: [0.62, 0.78, 0.83],
      flops: 1.2e15,
      seconds: 900,
    }),
  ];
}

export async function makeStudyLogdir(logdir: string): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  for (const s of specs()) await writeRun(logdir, s, now);
}
