import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/shared.ts';
import { IDS, makeFixtureLogdir } from '../report/fixture-logdir.ts';

const tsx = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });

test('npm run report: writes the report; flag mistakes are one-line usage errors', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'tl-cli-report-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await makeFixtureLogdir(join(root, 'logs'));
  const out = join(root, 'out');
  // The logdir comes from TRANSFERLAB_LOGDIR when --logdir is absent.
  const ok = tsx(
    ['src/cli/report.ts', '--out', out, '--runs', `${IDS.densenet},${IDS.mobilenet}`, '--threshold', '75'],
    { TRANSFERLAB_LOGDIR: join(root, 'logs') },
  );
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(
    ok.stdout,
    /^wrote 4 pages \(and CSV\/JSON exports\) for 2 runs \(2 compared, 0 sweeps\) to .+: open file:\/\/.+index\.html\n$/,
  );
  assert.ok(existsSync(join(out, 'compare.html')));
  const missing = tsx(['src/cli/report.ts']);
  assert.equal(missing.status, 2);
  assert.equal(missing.stderr, '--out: required (the folder to write the report into)\n');
  const unknown = tsx(['src/cli/report.ts', '--out', out, '--bogus']);
  assert.equal(unknown.status, 2);
  assert.equal(unknown.stderr.trim().split('\n').length, 1);
  const badRun = tsx(['src/cli/report.ts', '--out', out, '--logdir', join(root, 'logs'), '--runs', 'nope/x']);
  assert.equal(badRun.status, 1);
  assert.match(badRun.stderr, /^--runs: no run "nope\/x" in /);
});

test('npm run serve: binds 127.0.0.1 on the given port and stops on SIGTERM', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'tl-cli-serve-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await makeFixtureLogdir(join(root, 'logs'));
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/serve.ts',
      '--logdir',
      join(root, 'logs'),
      '--port',
      '0',
      '--tensorboard-url',
      'http://tb.example:6006',
    ],
    { cwd: repoRoot },
  );
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
  const res = await fetch(`${url}/`);
  assert.equal(res.status, 200);
  assert.ok((await res.text()).includes('http://tb.example:6006/#timeseries'));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  const bad = tsx(['src/cli/serve.ts', '--port', 'x']);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, '--port: expected an integer 0–65535, got x\n');
});
