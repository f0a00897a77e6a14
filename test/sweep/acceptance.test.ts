// The acceptance: a 2 × 2 × 3-seed sweep of quickstart variants runs locally and through
// BullMQ with 2 workers; the site's sweep page, the compare page's bands and TensorBoard's HParams
// groups show 4 groups of 3. Tiny trials on cached features; both sweeps share one feature cache.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { expandSweep } from '../../src/sweep/expand.ts';
import { loadSweep } from '../../src/sweep/load-sweep.ts';
import { assertFourGroupsOfThree } from './four-groups.ts';
import {
  assertEachTrialOnce,
  CACHED_TRIAL,
  spawnCli,
  spawnWorker,
  sweepCli,
  sweepEnv,
  tempDir,
  writeSweep,
} from './helpers.ts';
import { startRedis, type RedisServer } from './redis-server.ts';

let env: NodeJS.ProcessEnv;
let redis: RedisServer;
before(async () => {
  env = await sweepEnv();
  redis = await startRedis();
});
after(async () => {
  await redis.stop();
});

/** Two learning rates × two head widths × three seeds, in a folder of its own. */
async function quickstartGrid(name: string) {
  const dir = await tempDir(`tl-accept-${name}-`);
  const file = writeSweep(
    dir,
    name,
    `experiment: quickstart\nset:${CACHED_TRIAL}\ngrid:\n  optimizer.learningRate: [0.001, 0.003]\n` +
      '  model.head.dense.0.units: [16, 32]\nseeds: [1, 2, 3]\n',
  );
  return { file, logdir: join(dir, 'logs'), trials: expandSweep(loadSweep(file)) };
}

test('acceptance, local: 2 × 2 × 3 seeds, two at once, show 4 groups of 3 on the site and in HParams', async () => {
  const { file, logdir, trials } = await quickstartGrid('accept-local');
  const args = [file, '--logdir', logdir, '--parallel', '2', '--threads', '1', '--backend', 'wasm'];
  const run = sweepCli(args, env, 900_000);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /sweep accept-local: 12 trials, 2 at once, 1 thread each/);
  assert.match(run.stderr, /sweep accept-local: 12 succeeded, 0 had succeeded before, 0 failed, 0 not finished/);
  await assertEachTrialOnce(
    logdir,
    trials.map((t) => t.id),
  );
  await assertFourGroupsOfThree(logdir, 'accept-local', trials);
});

function worker(queue: string, logdir: string) {
  return spawnWorker(redis.url, queue, logdir, env);
}

const SUCCEEDED = /^\[accept-bullmq \d+\/12 [0-9a-f]{12}\] succeeded$/gm;

test('acceptance, bullmq: the same sweep through two worker processes shows the same 4 groups of 3', async () => {
  const { file, logdir, trials } = await quickstartGrid('accept-bullmq');
  // Both workers wait on the queue before a job is in it, so both take trials.
  const workers = [worker('accept-bullmq', logdir), worker('accept-bullmq', logdir)];
  try {
    await Promise.all(workers.map((w) => w.waitFor(/worker: queue accept-bullmq on /)));
    const sweep = spawnCli('src/cli/sweep.ts', [file, '--redis', redis.url, '--logdir', logdir], env);
    assert.equal(
      await sweep.exited,
      0,
      `${sweep.output()}\n--- workers:\n${workers.map((w) => w.output()).join('\n')}`,
    );
    assert.match(sweep.output(), /12 queued, 0 already queued, 0 had succeeded/);
    assert.match(sweep.output(), /12 of 12 trials succeeded/);
  } finally {
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
  }
  const trained = workers.map((w) => (w.output().match(SUCCEEDED) ?? []).length);
  assert.equal(trained[0]! + trained[1]!, 12, `each trial trained once: ${trained.join(' + ')}`);
  assert.ok(
    trained.every((n) => n > 0),
    `both workers trained trials: ${trained.join(' + ')}`,
  );
  await assertEachTrialOnce(
    logdir,
    trials.map((t) => t.id),
  );
  await assertFourGroupsOfThree(logdir, 'accept-bullmq', trials);
});
