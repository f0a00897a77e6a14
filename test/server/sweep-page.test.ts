import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/server/start.ts';
import { makeFixtureLogdir } from '../report/fixture-logdir.ts';
import { writeSweepLogdir, type WrittenTrial } from '../report/sweep-logdir.ts';

let server: RunningServer;
let root: string;
let trials: WrittenTrial[];

// 2 learning rates × 2 widths × 3 seeds; the test accuracies are chosen so that the best group (A)
// beats D clearly, B only before Holm's correction, and C not at all.
const CELLS = [
  { learningRate: 0.001, units: 256, test: [0.81, 0.83, 0.82] }, // A: .82 ± .01
  { learningRate: 0.001, units: 128, test: [0.78, 0.8, 0.77] }, // B: .7833 ± .0153
  { learningRate: 0.0003, units: 256, test: [0.815, 0.805, 0.83] }, // C: .8167 ± .0126
  { learningRate: 0.0003, units: 128, test: [0.7, 0.74, 0.69] }, // D: .71 ± .0265
];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tl-sweep-page-'));
  const logdir = join(root, 'logs');
  await makeFixtureLogdir(logdir);
  trials = await writeSweepLogdir(logdir, 'lr-units', CELLS);
  // Another sweep's run in the same experiment folder: not part of lr-units.
  await writeSweepLogdir(logdir, 'other', [{ learningRate: 0.01, units: 64, test: [0.5] }], 50);
  server = await startServer({ logdir, port: 0 });
});
after(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

const get = (path: string) => fetch(server.url + path);
const groupOf = (cell: number) => trials[cell * 3]!.group;

interface SweepJson {
  metric: string;
  varying: string[];
  best: string;
  trials: { trial: string; group: string; seed: number; href: string; value: number }[];
  groups: { group: string; hparams: Record<string, unknown>; metric: { n: number; mean: number; std: number } }[];
  comparisons: {
    group: string;
    significant: boolean;
    welch: { difference: number; t: number; df: number; p: number };
  }[];
  test: string;
}

test('the sweep JSON: 12 trials in 4 groups of 3, the best group, and Welch figures as computed by hand', async () => {
  const res = await get('/api/sweeps/lr-units.json');
  assert.equal(res.status, 200);
  const s = (await res.json()) as SweepJson;
  assert.equal(s.metric, 'finalTestAccuracy');
  assert.deepEqual(s.varying, ['model.head.dense.0.units', 'optimizer.learningRate']);
  assert.equal(s.trials.length, 12);
  assert.equal(new Set(s.trials.map((t) => t.trial)).size, 12);
  assert.equal(s.groups.length, 4);
  assert.deepEqual(
    s.groups.map((g) => g.metric.n),
    [3, 3, 3, 3],
  );
  // Ranked by mean test accuracy: A, C, B, D.
  assert.deepEqual(
    s.groups.map((g) => g.group),
    [0, 2, 1, 3].map(groupOf),
  );
  assert.equal(s.best, groupOf(0));
  assert.deepEqual(s.groups[0]!.hparams, { 'model.head.dense.0.units': 256, 'optimizer.learningRate': 0.001 });
  assert.ok(Math.abs(s.groups[0]!.metric.mean - 0.82) < 1e-12);
  assert.ok(Math.abs(s.groups[0]!.metric.std - 0.01) < 1e-12);

  const byGroup = new Map(s.comparisons.map((c) => [c.group, c]));
  const b = byGroup.get(groupOf(1))!;
  // Best − B: difference .11/3, se √((1e-4 + 2.3333e-4)/3) = √(1/9000), df = 100/29 (Welch–Satterthwaite).
  assert.ok(Math.abs(b.welch.difference - 0.11 / 3) < 1e-12);
  assert.ok(Math.abs(b.welch.t - 0.11 / 3 / Math.sqrt(1 / 9000)) < 1e-9);
  assert.ok(Math.abs(b.welch.df - 100 / 29) < 1e-9);
  assert.ok(Math.abs(b.welch.p - 0.032198821554618576) < 1e-9);
  const c = byGroup.get(groupOf(2))!;
  assert.ok(Math.abs(c.welch.t - 0.35921060405353555) < 1e-9);
  assert.ok(Math.abs(c.welch.p - 0.7384737026904635) < 1e-9);
  const d = byGroup.get(groupOf(3))!;
  assert.ok(Math.abs(d.welch.t - 6.736096792653737) < 1e-9);
  assert.ok(Math.abs(d.welch.df - 2.56) < 1e-9);
  assert.ok(Math.abs(d.welch.p - 0.010821871285057585) < 1e-9);
  // Holm over 3 comparisons: D's p .0108 < .05/3; then B's .0322 > .05/2 stops it (though below .05).
  assert.deepEqual([b.significant, c.significant, d.significant], [false, false, true]);
  assert.match(s.test, /Welch's unequal-variances t-test, two-sided/);
  assert.ok(s.trials.every((t) => t.href.startsWith('/runs/quickstart/')));
});

test('sweep page: trials grouped by group id, n and mean ± std per group, the test named, the chart', async () => {
  const res = await get('/sweeps/lr-units');
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /12 trials in 4 groups of 3/);
  const tbodies = [...html.matchAll(/<tbody data-group="([0-9a-f]{12})">([\s\S]*?)<\/tbody>/g)];
  assert.deepEqual(
    tbodies.map((m) => m[1]),
    [0, 2, 1, 3].map(groupOf),
  );
  for (const [, , body] of tbodies) {
    assert.equal((body!.match(/data-trial="/g) ?? []).length, 3);
    assert.match(body!, /n = 3</);
  }
  assert.match(tbodies[0]![2]!, /82\.0 ± 1\.0 %/);
  assert.match(tbodies[3]![2]!, /71\.0 ± 2\.6 %/);
  for (const t of trials) assert.ok(html.includes(`href="/runs/${t.runId}"`), `links ${t.runId}`);
  assert.ok(!html.includes('other-'), 'runs of another sweep are not shown');
  // The Welch table: best − D, t, df, p, verdicts.
  const welch = html.match(/<table class="data" id="welch-table">([\s\S]*?)<\/table>/)![1]!;
  const dRow = welch.match(new RegExp(`<tr data-group="${groupOf(3)}"[^>]*>([\\s\\S]*?)</tr>`))![1]!;
  assert.match(dRow, /\+11\.00 pts[\s\S]*6\.74[\s\S]*2\.6[\s\S]*0\.011[\s\S]*larger than the seed noise/);
  const bRow = welch.match(new RegExp(`<tr data-group="${groupOf(1)}"[^>]*>([\\s\\S]*?)</tr>`))![1]!;
  assert.match(bRow, /\+3\.67 pts[\s\S]*3\.48[\s\S]*3\.4[\s\S]*0\.032[\s\S]*within the seed noise/);
  assert.match(html, /Welch&#x27;s unequal-variances t-test, two-sided, on the test accuracy/);
  assert.match(html, /Holm&#x27;s correction for the 3 comparisons/);
  assert.match(html, /<figure class="chart" data-chart="parallel-coordinates"><svg/);
  assert.match(html, /id="best-group"[\s\S]*82\.0 ± 1\.0 %[\s\S]*over 3 seeds/);
});

test('bad sweep names are a 404 with a one-line message, on the page and in the API', async () => {
  for (const [path, message] of [
    ['/sweeps/nope', 'no sweep &quot;nope&quot; in this log directory: no run is tagged sweep:nope'],
    ['/sweeps/bad%20name', '&quot;bad name&quot; is not a sweep name'],
  ] as const) {
    const res = await get(path);
    assert.equal(res.status, 404, path);
    const body = await res.text();
    const subtitle = body.match(/<p class="subtitle">([^\n]*)<\/p>/)![1]!;
    assert.ok(subtitle.startsWith(message), `${path}: ${subtitle}`);
  }
  const res = await get('/api/sweeps/nope.json');
  assert.equal(res.status, 404);
  assert.deepEqual(await res.json(), { error: 'no sweep "nope" in this log directory: no run is tagged sweep:nope' });
  const other = (await (await get('/api/sweeps/other.json')).json()) as SweepJson;
  assert.equal(other.groups.length, 1);
  assert.deepEqual(other.comparisons, []);
});

test('the runs table and the run pages link each run of a sweep to its sweep page', async () => {
  const html = await (await get('/')).text();
  assert.match(
    html,
    /id="sweep-links">Sweeps: <a class="mono" href="\/sweeps\/lr-units">lr-units<\/a>\s+\(12 runs\) ·/,
  );
  for (const t of trials) {
    const row = html.match(new RegExp(`<tr data-id="${t.runId}"[\\s\\S]*?</tr>`))![0];
    assert.ok(row.includes('class="chip sweep-link" href="/sweeps/lr-units"'), t.runId);
  }
  const plain = html.match(/<tr data-id="densenet-full\/[^"]*"[\s\S]*?<\/tr>/)![0];
  assert.ok(!plain.includes('sweep-link'), 'a run no sweep started links to none');
  const run = await (await get(`/runs/${trials[0]!.runId}`)).text();
  assert.ok(run.includes('<a id="sweep-link" href="/sweeps/lr-units">sweep lr-units</a>'));
});

test('the sweep page links to the compare page of all its trials, grouped by all but the seed', async () => {
  const html = await (await get('/sweeps/lr-units')).text();
  const href = html
    .match(/<a id="compare-all" href="([^"]+)">/)![1]!
    .replace(/&#x3D;/g, '=')
    .replace(/&amp;/g, '&');
  const query = new URL(href, server.url).searchParams;
  assert.deepEqual(query.get('runs')!.split(',').sort(), trials.map((t) => t.runId).sort());
  assert.equal(query.get('group'), 'seed');
  const compare = await (await get(href)).text();
  assert.match(compare, /<select id="curve-view">/);
  const accuracy = [...compare.matchAll(/<script type="application\/json" class="chart-data">([\s\S]*?)<\/script>/g)]
    .map((m) => JSON.parse(m[1]!) as { id: string; points?: { group: string }[] })
    .find((p) => p.id === 'accuracy');
  assert.ok(accuracy, 'an accuracy chart');
  assert.equal(new Set(accuracy.points!.map((p) => p.group)).size, 4, 'one band per group');
  const single = await (await get('/sweeps/other')).text();
  assert.ok(!single.includes('id="compare-all"'), 'a sweep of one trial has nothing to compare');
});
