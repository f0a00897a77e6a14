import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { expandSweep } from '../../src/sweep/expand.ts';
import { loadSweep } from '../../src/sweep/load-sweep.ts';
import {
  assertEachTrialOnce,
  runsIn,
  spawnCli,
  STEPPED_TRIAL,
  sweepCli,
  sweepEnv,
  spawnWorker,
  tempDir,
  writeSweep,
  type Spawned,
} from './helpers.ts';
import { freePort, startRedis, type RedisServer } from './redis-server.ts';

let redis: RedisServer;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis.stop();
});

function worker(queue: string, logdir: string, env: NodeJS.ProcessEnv): Spawned {
  return spawnWorker(redis.url, queue, logdir, env, ['--stalled-seconds', '3']);
}

/**
 * Two seed repeats queued, two workers in process groups of their own; worker A is stopped by
 * `stopA` in the middle of its trial. Every trial must end exactly once, as a success, with no step
 * logged twice — the trial A had was resumed from its checkpoint by worker B.
 */
async function sweepThroughTwoWorkers(
  queue: string,
  stopA: (a: Spawned) => void,
): Promise<{ a: Spawned; b: Spawned; runs: Awaited<ReturnType<typeof assertEachTrialOnce>> }> {
  const env = await sweepEnv();
  const dir = await tempDir('tl-sweep-bullmq-');
  const logdir = join(dir, 'logs');
  const file = writeSweep(dir, queue, `experiment: quickstart\nset:${STEPPED_TRIAL}\nseeds: [1, 2]\n`);
  const ids = expandSweep(loadSweep(file)).map((t) => t.id);

  const queued = sweepCli([file, '--redis', redis.url, '--logdir', logdir, '--detach', '--backoff-seconds', '1'], env);
  assert.equal(queued.status, 0, queued.stderr);
  assert.match(queued.stderr, /2 queued, 0 already queued, 0 had succeeded/);

  const a = worker(queue, logdir, env);
  const b = worker(queue, logdir, env);
  try {
    // A is in the middle of a trial: past its first optimizer step.
    await a.waitFor(/batch 1\/30/);
    stopA(a);
    await a.exited;
    // Following the queue (enqueueing adds nothing: every trial is queued or running, or B's own
    // trial has already succeeded while A was stopping).
    const followed = sweepCli([file, '--redis', redis.url, '--logdir', logdir], env);
    assert.equal(followed.status, 0, `${followed.stderr}\n--- worker B:\n${b.output()}`);
    assert.match(followed.stderr, /0 queued, (2 already queued, 0|1 already queued, 1) had succeeded/);
    assert.match(followed.stderr, /2 of 2 trials succeeded/);
  } finally {
    b.child.kill('SIGTERM');
    await b.exited;
  }
  const runs = await assertEachTrialOnce(logdir, ids);
  const resumed = runs.filter((r) => r.record.resumedFrom !== null);
  assert.equal(
    resumed.length,
    1,
    `A's trial was resumed, not restarted: ` +
      runs.map((r) => `${r.record.id} ${JSON.stringify(r.record.resumedFrom)}`).join('; '),
  );
  assert.ok(resumed[0]!.record.resumedFrom!.globalStep >= 1, 'resumed after the step A had reached');

  const status = sweepCli(['--status', '--redis', redis.url, '--queue', queue], env);
  assert.equal(status.status, 0, status.stderr);
  assert.match(
    status.stdout,
    new RegExp(`queue ${queue}: 0 active · 0 waiting · 0 delayed \\(retry backoff\\) · 2 completed · 0 failed`),
  );
  for (const id of ids) assert.match(status.stdout, new RegExp(`${id}  completed`));
  return { a, b, runs };
}

test(
  'bullmq: a worker stopped by SIGTERM mid-trial checkpoints and gives the trial back; the other ' +
    'worker resumes it',
  async () => {
    const { a } = await sweepThroughTwoWorkers('sigterm', (w) => w.child.kill('SIGTERM'));
    assert.equal(await a.exited, 0, a.output());
    assert.match(a.output(), /checkpointed; back to the queue/);
    assert.match(a.output(), /worker: stopped/);
  },
);

test(
  'bullmq: a worker killed with SIGKILL (its whole process group) loses no trial and duplicates ' + 'no step',
  async () => {
    const { a } = await sweepThroughTwoWorkers('sigkill', (w) => process.kill(-w.child.pid!, 'SIGKILL'));
    assert.equal(await a.exited, null, 'killed');
    assert.doesNotMatch(a.output(), /back to the queue/);
  },
);

test(
  'bullmq: Redis restarts empty mid-trial; the sweep run again queues what is unfinished, and ' + 'nothing runs twice',
  async () => {
    const env = await sweepEnv();
    const dir = await tempDir('tl-sweep-restart-');
    const logdir = join(dir, 'logs');
    const file = writeSweep(dir, 'restart', `experiment: quickstart\nset:${STEPPED_TRIAL}\nseeds: [1, 2]\n`);
    const ids = expandSweep(loadSweep(file)).map((t) => t.id);
    const queued = sweepCli([file, '--redis', redis.url, '--logdir', logdir, '--detach'], env);
    assert.equal(queued.status, 0, queued.stderr);

    const a = worker('restart', logdir, env);
    let b: Spawned | null = null;
    try {
      await a.waitFor(/batch 1\/30/);
      // A fresh server on the same port: the queue, its jobs and their locks are gone; A trains on.
      await redis.stop();
      redis = await startRedis(redis.port);
      const again = spawnCli('src/cli/sweep.ts', [file, '--redis', redis.url, '--logdir', logdir], env);
      await again.waitFor(/2 queued, 0 already queued, 0 had succeeded/);
      // B may take the trial A is still training: its lease in the logdir sends B elsewhere.
      b = worker('restart', logdir, env);
      assert.equal(await again.exited, 0, `${again.output()}\n--- A:\n${a.output()}\n--- B:\n${b.output()}`);
      assert.match(again.output(), /2 of 2 trials succeeded/);
    } finally {
      for (const w of [a, b]) w?.child.kill('SIGTERM');
      await Promise.all([a.exited, b?.exited]);
    }
    const runs = await assertEachTrialOnce(logdir, ids);
    assert.ok(
      runs.every((r) => r.record.resumedFrom === null),
      'no run was resumed by a second worker while the first trained it',
    );
  },
);

test(
  'bullmq: a trial that fails is retried with backoff, resuming its run, and ends as failed after ' + 'its attempts',
  async () => {
    const env = await sweepEnv();
    const dir = await tempDir('tl-sweep-retry-');
    const logdir = join(dir, 'logs');
    const file = writeSweep(
      dir,
      'retry',
      `experiment: quickstart\nset:${STEPPED_TRIAL}\n  model.weights: ${join(dir, 'missing.h5')}\n`,
    );
    const [trial] = expandSweep(loadSweep(file));
    const w = worker('retry', logdir, env);
    try {
      const run = sweepCli(
        [file, '--redis', redis.url, '--logdir', logdir, '--attempts', '2', '--backoff-seconds', '1'],
        env,
      );
      assert.equal(run.status, 1, run.stderr);
      assert.match(run.stderr, new RegExp(`\\[1/1 ${trial!.id}\\] failed: exit 1: `));
      assert.match(run.stderr, /0 of 1 trials succeeded/);
    } finally {
      w.child.kill('SIGTERM');
      await w.exited;
    }
    assert.match(w.output(), /starting \(attempt 1\)/);
    assert.match(w.output(), /resuming quickstart\/\S+ \(attempt 2\)/, 'the retry continues the failed run');
    const runs = runsIn(logdir);
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.record.status, 'failed');
    const status = sweepCli(['--status', '--redis', redis.url, '--queue', 'retry'], env);
    assert.match(status.stdout, new RegExp(`${trial!.id}  failed    attempts 2 .*— exit 1: `));
  },
);

test('unreachable Redis: one line naming the URL, exit 1, within 10 s', async () => {
  const env = await sweepEnv();
  const dir = await tempDir('tl-sweep-noredis-');
  const file = writeSweep(dir, 'noredis', 'experiment: quickstart\nseeds: [1, 2]\n');
  // Nothing listens on one; the other accepts connections and never answers.
  const closed = `redis://127.0.0.1:${await freePort()}`;
  const secret = closed.replace('//', '//:s3cret@'); // printed with *** for the password
  const silent = createServer(() => {});
  await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
  const mute = `redis://127.0.0.1:${(silent.address() as { port: number }).port}`;
  try {
    const cases = [
      ['sweep', closed, [file, '--redis', closed, '--logdir', join(dir, 'logs')]],
      ['sweep', mute, [file, '--redis', mute, '--logdir', join(dir, 'logs')]],
      ['worker', closed, ['--redis', closed, '--queue', 'noredis', '--logdir', join(dir, 'logs')]],
      ['worker', secret.replace('s3cret', '***'), ['--redis', secret, '--queue', 'noredis', '--logdir', dir]],
    ] as const;
    {
      for (const [script, url, args] of cases) {
        const started = Date.now();
        const run = spawnCli(`src/cli/${script}.ts`, [...args], env);
        const code = await run.exited;
        const seconds = (Date.now() - started) / 1000;
        const lines = run.output().trim().split('\n');
        assert.equal(code, 1, `${script} ${url}: ${run.output()}`);
        assert.equal(lines.length, 1, run.output());
        assert.match(lines[0]!, new RegExp(`^cannot reach Redis at ${url.replace(/[.*]/g, '\\$&')}: `));
        assert.doesNotMatch(run.output(), /s3cret/);
        assert.ok(seconds < 10, `${script} gave up after ${seconds} s`);
      }
    }
  } finally {
    silent.close();
  }
  assert.deepEqual(readdirSync(dir), ['noredis.yaml'], 'nothing was created');
});

test('bad sweep files: one line naming the file and key, exit 2, nothing queued', async () => {
  const env = await sweepEnv();
  const dir = await tempDir('tl-sweep-bad-');
  const cases: [string, string, RegExp][] = [
    ['unknown', 'experiment: quickstart\ngird:\n  train.epochs: [1, 2]\n', /unknown\.yaml: gird: unknown key$/],
    [
      'unknown-definition-key',
      'experiment: quickstart\ngrid:\n  model.colour: [red, blue]\n',
      /unknown-definition-key\.yaml: grid\.model\.colour: unknown key$/,
    ],
    [
      'bad-set',
      'experiment: quickstart\nset:\n  train.epochs: 2\n  model.colour: red\nseeds: [1, 2]\n',
      /bad-set\.yaml: set\.model\.colour: unknown key$/,
    ],
    ['empty-grid', 'experiment: quickstart\ngrid:\n', /empty-grid\.yaml: grid: an empty grid/],
    [
      'empty-values',
      'experiment: quickstart\ngrid:\n  train.epochs: []\n',
      /empty-values\.yaml: grid\.train\.epochs: a grid key needs at least one value$/,
    ],
    [
      'min-max',
      'experiment: quickstart\nrandom:\n  count: 2\n  params:\n' +
        '    optimizer.learningRate: { distribution: log-uniform, min: 0.01, max: 0.001 }\n',
      /min-max\.yaml: random\.params\.optimizer\.learningRate\.min: must be at most max \(0\.01 > 0\.001\)$/,
    ],
    [
      'bad-value',
      'experiment: quickstart\ngrid:\n  optimizer.learningRate: [0.001, fast]\n',
      /bad-value\.yaml: grid\.optimizer\.learningRate: expected a number, got "fast"$/,
    ],
    [
      'cross',
      'experiment: quickstart\ngrid:\n  optimizer.name: [adam, sgd]\n  optimizer.beta1: [0.9, 0.8]\n',
      /cross\.yaml: trial 3 \(optimizer\.name="sgd" optimizer\.beta1=0\.9\): optimizer\.beta1: sgd takes no beta1/,
    ],
    [
      'seed-key',
      'experiment: quickstart\ngrid:\n  seed: [1, 2]\n',
      /seed-key\.yaml: grid\.seed: the seed is swept with seeds: or repeats:, not as a key$/,
    ],
    [
      'huge',
      'experiment: quickstart\ngrid:\n  train.epochs: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n' +
        '  train.batchSize: [8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096]\n' +
        'random:\n  count: 100\n  params:\n' +
        '    optimizer.learningRate: { distribution: log-uniform, min: 0.0001, max: 0.1 }\nrepeats: 10\n',
      /huge\.yaml: grid × random\.count × repeats: 100,000 trials, more than 1,000: pass --yes to run them all$/,
    ],
  ];
  for (const [name, yaml, pattern] of cases) {
    const file = writeSweep(dir, name, yaml);
    const run = sweepCli([file, '--redis', redis.url, '--logdir', join(dir, 'logs')], env, 60_000);
    assert.equal(run.status, 2, `${name}: ${run.stderr}`);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${name}: ${run.stderr}`);
    assert.match(lines[0]!, pattern);
  }
  const client = new Redis(redis.url);
  try {
    const keys = await client.keys('bull:*');
    const names = new Set(cases.map(([name]) => name));
    assert.deepEqual(
      keys.filter((k) => names.has(k.split(':')[1]!)),
      [],
      'no queue was created',
    );
  } finally {
    client.disconnect();
  }
  assert.equal(readdirSync(dir).includes('logs'), false, 'nothing was written to the logdir');
});
