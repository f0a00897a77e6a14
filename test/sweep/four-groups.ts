// What the acceptance asks of a finished 2 × 2 × 3-seed sweep, read back from its log
// directory three ways: the sweep page of the real site, the bands of the site's compare page, and
// TensorBoard's HParams session groups as the project's reader sees them. Each must show the same
// 4 groups of 3 seeds: the sweep's own group ids.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Trial } from '../../src/sweep/expand.ts';
import { startServer } from '../../src/server/start.ts';
import { discoverRuns, RunReader } from '../../src/tensorboard/index.ts';
import { runsIn } from './helpers.ts';

/** Run id → the trial's group id, from the run.json tags the executors wrote. */
function groupsOfRuns(logdir: string, trials: readonly Trial[]): Map<string, string> {
  const groupOfTrial = new Map(trials.map((t) => [t.id, t.groupId]));
  const groups = new Map<string, string>();
  for (const { record } of runsIn(logdir)) {
    const trial = record.tags.find((t) => t.startsWith('trial:'))?.slice('trial:'.length);
    assert.ok(trial && groupOfTrial.has(trial), `${record.id}: a trial of the sweep`);
    assert.ok(record.tags.includes(`group:${groupOfTrial.get(trial)}`), `${record.id}: tagged with its group`);
    groups.set(record.id, groupOfTrial.get(trial)!);
  }
  return groups;
}

/** The partition of run ids that `keyOf` makes, as sorted lists (comparable with deepEqual). */
function partition(ids: Iterable<string>, keyOf: (id: string) => string): string[][] {
  const parts = new Map<string, string[]>();
  for (const id of ids) parts.set(keyOf(id), [...(parts.get(keyOf(id)) ?? []), id].sort());
  return [...parts.values()].sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

async function assertSweepPage(url: string, sweep: string, trials: readonly Trial[]) {
  const res = await fetch(`${url}/sweeps/${sweep}`);
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /12 trials in 4 groups of 3 · experiment quickstart ·\s+12 finished/);
  const tbodies = [...html.matchAll(/<tbody data-group="([0-9a-f]{12})">([\s\S]*?)<\/tbody>/g)];
  assert.deepEqual(
    tbodies.map((m) => m[1]).sort(),
    [...new Set(trials.map((t) => t.groupId))].sort(),
    'the groups are the sweep plan groups',
  );
  for (const [, group, body] of tbodies) {
    const shown = [...body!.matchAll(/data-trial="([0-9a-f]{12})"/g)].map((m) => m[1]).sort();
    const planned = trials.filter((t) => t.groupId === group).map((t) => t.id);
    assert.deepEqual(shown, planned.sort(), `group ${group}: its 3 seeds`);
    assert.match(body!, /n = 3</, `group ${group}: n = 3`);
  }
  const compare = html.match(/<a id="compare-all" href="([^"]+)">/)?.[1];
  assert.ok(compare, 'the sweep page links to the comparison of all its trials');
  return compare.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
}

/** Every run of the sweep in the runs table links to the sweep's page. */
async function assertRunsTableLinks(url: string, sweep: string, runIds: readonly string[]) {
  const html = await (await fetch(`${url}/`)).text();
  assert.match(html, new RegExp(`id="sweep-links">Sweeps: <a class="mono" href="/sweeps/${sweep}">${sweep}</a>`));
  for (const id of runIds) {
    const row = html.match(new RegExp(`<tr data-id="${id}"[\\s\\S]*?</tr>`))?.[0] ?? '';
    assert.ok(row.includes(`class="chip sweep-link" href="/sweeps/${sweep}"`), `${id}: links to its sweep`);
  }
}

interface CurvePayload {
  id: string;
  groupSpec: { layer: { name?: string; encoding?: { color?: { field?: string } } }[] } | null;
  points: { run: string; group: string }[];
}

/**
 * The compare page of the 12 runs that the sweep page links to, grouped by everything but the seed:
 * each curve chart carries the band layer, and the points it aggregates into bands (charts.js
 * groups them by `group`) fall into the 4 groups of 3 runs.
 */
async function assertCompareBands(url: string, comparePath: string, groups: Map<string, string>) {
  const runs = [...groups.keys()];
  const query = new URL(comparePath, url).searchParams;
  assert.deepEqual(query.get('runs')!.split(',').sort(), [...runs].sort(), 'the 12 runs');
  assert.equal(query.get('group'), 'seed');
  const res = await fetch(new URL(comparePath, url));
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /<select id="curve-view">.*group means, min–max band/);
  const payloads = [...html.matchAll(/<script type="application\/json" class="chart-data">([\s\S]*?)<\/script>/g)]
    .map((m) => JSON.parse(m[1]!) as CurvePayload)
    .filter((p) => p.groupSpec !== null && p.points !== undefined);
  assert.ok(
    payloads.some((p) => p.id.includes('accuracy')),
    `accuracy curves: ${payloads.map((p) => p.id)}`,
  );
  const expected = partition(runs, (id) => groups.get(id)!);
  for (const p of payloads) {
    const band = p.groupSpec!.layer.find((l) => l.name === 'band');
    assert.equal(band?.encoding?.color?.field, 'group', `${p.id}: a band layer, one band per group`);
    const bandOf = new Map(p.points.map((pt) => [pt.run, pt.group]));
    assert.equal(new Set(bandOf.values()).size, 4, `${p.id}: 4 bands`);
    assert.deepEqual(
      partition(bandOf.keys(), (id) => bandOf.get(id)!),
      expected,
      `${p.id}: 4 bands of 3 seeds`,
    );
  }
}

/** The HParams session starts in the logdir, as TensorBoard finds them: 4 group names of 3 sessions. */
async function assertHparamsGroups(logdir: string, groups: Map<string, string>) {
  const sessions = new Map<string, { groupName: string; seed: unknown }>();
  for (const run of await discoverRuns(logdir)) {
    const reader = new RunReader(join(logdir, run));
    await reader.update();
    const start = reader.hparams().sessionStart;
    if (start) sessions.set(run, { groupName: start.groupName, seed: start.hparams.seed });
  }
  assert.deepEqual([...sessions.keys()].sort(), [...groups.keys()].sort(), 'one session per run');
  const names = new Set([...sessions.values()].map((s) => s.groupName));
  assert.equal(names.size, 4, `4 group names: ${[...names].join(', ')}`);
  const byName = partition(sessions.keys(), (id) => sessions.get(id)!.groupName);
  assert.deepEqual(
    byName,
    partition(groups.keys(), (id) => groups.get(id)!),
    'HParams groups = sweep groups',
  );
  for (const members of byName) {
    const seeds = members.map((id) => sessions.get(id)!.seed).sort();
    assert.deepEqual(seeds, [1, 2, 3], `a group's sessions are its 3 seeds: ${members.join(', ')}`);
  }
}

export async function assertFourGroupsOfThree(logdir: string, sweep: string, trials: readonly Trial[]) {
  assert.equal(trials.length, 12);
  const groups = groupsOfRuns(logdir, trials);
  assert.equal(groups.size, 12, 'one run per trial');
  const server = await startServer({ logdir, port: 0 });
  try {
    const comparePath = await assertSweepPage(server.url, sweep, trials);
    await assertRunsTableLinks(server.url, sweep, [...groups.keys()]);
    await assertCompareBands(server.url, comparePath, groups);
  } finally {
    await server.close();
  }
  await assertHparamsGroups(logdir, groups);
}
