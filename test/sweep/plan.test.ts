import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expandSweep, trialCount } from '../../src/sweep/expand.ts';
import { loadSweep } from '../../src/sweep/load-sweep.ts';
import { groupId, trialId } from '../../src/sweep/trial-id.ts';
import { loadDefinition } from '../../src/experiment/load.ts';
import { sweepCli, sweepEnv, tempDir, writeSweep } from './helpers.ts';

test(
  'a 2 × 2 grid with 3 seeds expands into 12 trials in 4 groups, each resolved as the experiment ' +
    'CLI resolves its --set flags',
  () => {
    const trials = expandSweep(loadSweep('quickstart-lr-units'));
    assert.equal(trials.length, 12);
    const groups = new Map<string, number[]>();
    for (const t of trials) groups.set(t.groupId, [...(groups.get(t.groupId) ?? []), t.seed]);
    assert.deepEqual(
      [...groups.values()],
      [
        [1, 2, 3],
        [1, 2, 3],
        [1, 2, 3],
        [1, 2, 3],
      ],
    );
    assert.equal(new Set(trials.map((t) => t.id)).size, 12);
    for (const t of trials) {
      const cli = loadDefinition('quickstart', { overrides: t.overrides });
      assert.deepEqual(t.definition, { ...cli.definition, seed: t.seed });
      assert.equal(t.id, trialId('quickstart', t.definition));
    }
    assert.deepEqual(trials[3]!.assignments, { 'optimizer.learningRate': 0.001, 'model.head.dense.0.units': 256 });
    assert.equal(trials[3]!.definition.model.head.dense[0]!.units, 256);
    assert.equal(trials[3]!.definition.model.head.dense[0]!.dropout, 0.1, "the rest of the layer is the parent's");
  },
);

test('trial ids: stable, independent of key order and labels; the group id ignores only the seed', () => {
  const def = loadDefinition('quickstart').definition;
  // Every key, top-level and nested, in the reverse order.
  const reverse = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v)
            .reverse()
            .map(([k, x]) => [k, reverse(x)]),
        )
      : v;
  const reordered = reverse(def) as typeof def;
  assert.notDeepEqual(Object.keys(reordered), Object.keys(def));
  assert.equal(trialId('quickstart', reordered), trialId('quickstart', def));
  assert.equal(trialId('quickstart', { ...def, tags: ['other'], description: 'x' }), trialId('quickstart', def));
  assert.notEqual(trialId('quickstart', { ...def, seed: 7 }), trialId('quickstart', def));
  assert.equal(groupId('quickstart', { ...def, seed: 7 }), groupId('quickstart', def));
  assert.notEqual(groupId('quickstart', { ...def, train: { ...def.train, epochs: 3 } }), groupId('quickstart', def));
  assert.notEqual(trialId('other', def), trialId('quickstart', def));
  assert.match(trialId('quickstart', def), /^[0-9a-f]{12}$/);
});

test(
  'random search: the same draws every time, inside their ranges, shared by every grid cell; ' +
    'repeats count from the parent seed',
  async () => {
    const dir = await tempDir('tl-sweep-random-');
    const file = writeSweep(
      dir,
      'random',
      `experiment: quickstart
grid:
  train.epochs: [1, 2]
random:
  count: 20
  seed: 5
  params:
    optimizer.learningRate: { distribution: log-uniform, min: 0.0001, max: 0.01 }
    model.head.dense.0.dropout: { distribution: uniform, min: 0.1, max: 0.5 }
    model.head.dense.0.units: { distribution: int, min: 8, max: 10 }
    model.head.pooling: { distribution: choice, values: [avg, max] }
repeats: 2
`,
    );
    const loaded = loadSweep(file);
    assert.equal(trialCount(loaded), 80);
    const trials = expandSweep(loaded);
    assert.deepEqual(
      expandSweep(loadSweep(file)).map((t) => t.id),
      trials.map((t) => t.id),
      'reproducible',
    );
    assert.deepEqual([...new Set(trials.map((t) => t.seed))], [42, 43]);
    const units = new Set<unknown>();
    const pooling = new Set<unknown>();
    for (const t of trials) {
      const a = t.assignments as Record<string, number | string>;
      assert.ok((a['optimizer.learningRate'] as number) >= 0.0001 && (a['optimizer.learningRate'] as number) <= 0.01);
      assert.ok(
        (a['model.head.dense.0.dropout'] as number) >= 0.1 && (a['model.head.dense.0.dropout'] as number) <= 0.5,
      );
      units.add(a['model.head.dense.0.units']);
      pooling.add(a['model.head.pooling']);
      assert.equal(t.definition.optimizer.learningRate, a['optimizer.learningRate']);
    }
    assert.deepEqual(
      [...units].sort((x, y) => (x as number) - (y as number)),
      [8, 9, 10],
      'int is inclusive at both ends',
    );
    assert.deepEqual([...pooling].sort(), ['avg', 'max']);
    const drawsOf = (epochs: number) =>
      trials.filter((t) => t.definition.train.epochs === epochs).map((t) => t.definition.optimizer.learningRate);
    assert.deepEqual(drawsOf(1), drawsOf(2), 'each cell gets the same draws');
    assert.equal(new Set(drawsOf(1)).size, 20, 'the draws differ from one another');
  },
);

test(
  '--dry-run: the plan of 12 trials in 4 groups with the estimated training compute; nothing is ' + 'created',
  async () => {
    const dir = await tempDir('tl-sweep-dry-');
    const logdir = join(dir, 'logs');
    const run = sweepCli(['quickstart-lr-units', '--dry-run', '--logdir', logdir], await sweepEnv(), 120_000);
    assert.equal(run.status, 0, run.stderr);
    assert.match(
      run.stdout,
      /^sweep quickstart-lr-units \(.*quickstart-lr-units\.yaml\): 12 trials in 4 groups of 3 seeds, parent experiment quickstart, at most 2 at once/,
    );
    for (const t of expandSweep(loadSweep('quickstart-lr-units'))) {
      assert.match(run.stdout, new RegExp(`\\n${t.index + 1} +${t.id} +${t.groupId} +${t.seed} .* TFLOPs +new\\n`));
    }
    // quickstart: the frozen MobileNet's features of 60,000 images once, then 12 epochs of the head.
    const perTrial = [...run.stdout.matchAll(/ ([\d.]+) TFLOPs +new/g)].map((m) => Number(m[1]));
    assert.equal(perTrial.length, 12);
    assert.ok(
      perTrial.every((f) => f > 1 && f < 3),
      `${perTrial}`,
    );
    assert.match(run.stdout, /estimated training compute: [\d.]+ TFLOPs–[\d.]+ TFLOPs per trial, [\d.]+ TFLOPs in all/);
    assert.match(run.stdout, /logdir: 0 done, 0 to resume, 12 new/);
    assert.equal(existsSync(logdir), false);
  },
);
