import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { estimateTrials } from '../../src/sweep/estimate.ts';
import { expandSweep } from '../../src/sweep/expand.ts';
import { loadSweep } from '../../src/sweep/load-sweep.ts';
import { sharedModelsDir } from '../helpers/shared.ts';
import {
  assertEachTrialOnce,
  CACHED_TRIAL,
  runsIn,
  spawnCli,
  STEPPED_TRIAL,
  sweepCli,
  sweepEnv,
  tempDir,
  writeSweep,
} from './helpers.ts';

test('local: Ctrl-C checkpoints both running trials (exit 130); running the sweep again resumes them, a third time skips them', async () => {
  const env = await sweepEnv();
  const dir = await tempDir('tl-sweep-local-');
  const logdir = join(dir, 'logs');
  const file = writeSweep(dir, 'stepped', `experiment: quickstart\nset:${STEPPED_TRIAL}\nseeds: [1, 2]\n`);
  const trials = expandSweep(loadSweep(file));
  const args = [file, '--logdir', logdir, '--parallel', '2', '--threads', '1', '--backend', 'wasm'];

  const first = spawnCli('src/cli/sweep.ts', args, env);
  await first.waitFor(
    /\[1\/2 \w+\] epoch 1\/1 batch 1\/30[\s\S]*\[2\/2 \w+\] epoch 1\/1 batch 1\/30|\[2\/2 \w+\] epoch 1\/1 batch 1\/30[\s\S]*\[1\/2 \w+\] epoch 1\/1 batch 1\/30/,
  );
  // As a terminal's Ctrl-C: to the sweep's process group (the trials have groups of their own).
  process.kill(-first.child.pid!, 'SIGINT');
  assert.equal(await first.exited, 130, first.output());
  assert.match(first.output(), /SIGINT: stopping the running trials at their next step/);
  const interrupted = runsIn(logdir);
  assert.deepEqual(
    interrupted.map((r) => r.record.status),
    ['interrupted', 'interrupted'],
    first.output(),
  );
  for (const r of interrupted) {
    const state = JSON.parse(readFileSync(join(r.dir, 'checkpoints', 'state.json'), 'utf8'));
    assert.ok(state.batchInEpoch >= 1 && state.batchInEpoch < 30, `checkpointed mid-epoch: ${state.batchInEpoch}`);
  }

  const second = sweepCli(args, env);
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stderr, /sweep stepped: 2 succeeded, 0 had succeeded before, 0 failed, 0 not finished/);
  assert.equal((second.stderr.match(/resuming quickstart\//g) ?? []).length, 2);
  const runs = await assertEachTrialOnce(
    logdir,
    trials.map((t) => t.id),
  );
  assert.ok(
    runs.every((r) => r.record.resumedFrom !== null && r.record.resumedFrom.globalStep >= 1),
    'continued from the checkpoints',
  );

  const third = sweepCli(args, env);
  assert.equal(third.status, 0, third.stderr);
  assert.match(third.stderr, /sweep stepped: 0 succeeded, 2 had succeeded before/);

  // One trial of the plan, as a pod of the Indexed Job runs it: done already, and checked against the manifest's ids.
  const pod = sweepCli([file, '--trial-index', '1', '--logdir', logdir], {
    ...env,
    TRANSFERLAB_SWEEP_TRIAL_IDS: trials.map((t) => t.id).join(','),
  });
  assert.equal(pod.status, 0, pod.stderr);
  assert.match(pod.stderr, new RegExp(`\\[2/2 ${trials[1]!.id}\\] already succeeded`));
  const stale = sweepCli([file, '--trial-index', '1', '--logdir', logdir], {
    ...env,
    TRANSFERLAB_SWEEP_TRIAL_IDS: 'aaaaaaaaaaaa,bbbbbbbbbbbb',
  });
  assert.equal(stale.status, 2, stale.stderr);
  assert.match(
    stale.stderr.trim(),
    new RegExp(`^.*stepped\\.yaml: trial 1 is ${trials[1]!.id} here but bbbbbbbbbbbb in the manifest`),
  );
});

test('local: a 2 × 2 grid runs two at once; each run is tagged with its sweep, trial and group, and its compute is what the plan estimated', async () => {
  const env = await sweepEnv();
  const dir = await tempDir('tl-sweep-grid-');
  const logdir = join(dir, 'logs');
  const file = writeSweep(
    dir,
    'grid',
    `experiment: quickstart\nset:${CACHED_TRIAL}\ngrid:\n  optimizer.learningRate: [0.001, 0.003]\n  model.head.dense.0.units: [16, 32]\nmaxParallel: 2\n`,
  );
  const trials = expandSweep(loadSweep(file));
  const run = sweepCli([file, '--logdir', logdir, '--parallel', '4', '--threads', '1', '--backend', 'wasm'], env);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /sweep grid: 4 trials, 2 at once, 1 thread each/, 'maxParallel caps --parallel');
  const runs = await assertEachTrialOnce(
    logdir,
    trials.map((t) => t.id),
  );
  const estimates = await estimateTrials(trials, { modelsDir: sharedModelsDir() });
  for (const t of trials) {
    const { dir: runDir, record } = runs.find((r) => r.record.tags.includes(`trial:${t.id}`))!;
    assert.ok(record.tags.includes('sweep:grid') && record.tags.includes(`group:${t.groupId}`));
    assert.match(runDir, new RegExp(`-grid-${t.id}$`));
    const full = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
    assert.deepEqual(full.definition, { ...t.definition, tags: full.definition.tags });
    assert.equal(estimates.get(t.id)!.flops, full.compute.flops, `${t.id}: estimate = run.json compute.flops`);
  }
});
