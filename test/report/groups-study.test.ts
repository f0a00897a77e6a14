import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chargedCost } from '../../src/report/metrics/charged-cost.ts';
import { exclusionReason, viewMeasure } from '../../src/report/metrics/eligibility.ts';
import { aggregateGroup, groupRuns, parseGroupBy, STUDY_KEYS } from '../../src/report/metrics/groups.ts';
import { deathReason, runProcessOf } from '../../src/report/metrics/liveness.ts';
import type { MeasuredRun } from '../../src/report/metrics/measured-run.ts';
import { summarize } from '../../src/report/metrics/run-summary.ts';
import { spreadOf } from '../../src/report/metrics/stats.ts';
import { buildStudy } from '../../src/report/metrics/study.ts';
import type { LenientRunRecord as RunRecord } from '../../src/run/record.ts';
import { runIdentities } from '../../src/report/pages/identity.ts';

function run(
  id: string,
  over: RunRecord & { base?: string; freeze?: unknown; seed?: number; lr?: number },
): MeasuredRun {
  const { base = 'mobilenetv2', freeze = 'all', seed = 1, lr = 0.001, ...rest } = over;
  const record: RunRecord = {
    status: 'success',
    startTime: '2026-12-01T10:00:00.000Z',
    endTime: '2026-12-01T10:10:00.000Z',
    definition: { seed, model: { base, freeze, inputSize: 96 }, optimizer: { learningRate: lr } },
    ...rest,
  };
  const summary = summarize({ id, record, warnings: [], lastUpdateMs: 0, nowMs: 0, staleAfterMs: 1 });
  return { summary, record };
}

test('spread: mean, sample std, extremes; non-finite values ignored', () => {
  assert.deepEqual(spreadOf([0.8, 0.82, null, NaN, 0.84]), {
    n: 3,
    mean: 0.82,
    std: 0.019999999999999962,
    min: 0.8,
    max: 0.84,
  });
  assert.equal(spreadOf([0.5])!.std, 0);
  assert.equal(spreadOf([null]), null);
});

test('groups: study keys, seed repeats, none; labels name what differs', () => {
  const runs = [
    run('a/1', { seed: 1, final: { testAccuracy: 0.8 } }),
    run('a/2', { seed: 2, final: { testAccuracy: 0.84 } }),
    run('a/3', { seed: 3, lr: 0.01, final: { testAccuracy: 0.7 } }),
    run('b/1', { base: 'densenet121', freeze: { last: 250 }, final: { testAccuracy: 0.9 } }),
  ];
  const study = groupRuns(runs, parseGroupBy('study'));
  assert.deepEqual(
    study.map((g) => [g.label, g.members.length]),
    [
      ['base=mobilenetv2 · freeze=all', 3],
      ['base=densenet121 · freeze.last=250', 1],
    ],
  );
  const seed = groupRuns(runs, parseGroupBy('seed'));
  assert.deepEqual(
    seed.map((g) => g.members.map((m) => m.summary.id)),
    [['a/1', 'a/2'], ['a/3'], ['b/1']],
  );
  assert.equal(groupRuns(runs, parseGroupBy('none')).length, 4);
  assert.deepEqual(parseGroupBy('model.base, optimizer.learningRate'), {
    kind: 'keys',
    keys: ['model.base', 'optimizer.learningRate'],
  });
  assert.deepEqual(parseGroupBy(undefined), { kind: 'keys', keys: STUDY_KEYS });
  const agg = aggregateGroup(seed[0]);
  assert.equal(agg.n, 2);
  assert.ok(Math.abs(agg.finalTestAccuracy!.mean - 0.82) < 1e-12);
  assert.ok(Math.abs(agg.finalTestAccuracy!.std - 0.028284271247461888) < 1e-12);
});

test('eligibility: one measure per view; chance-level, failed, unfinished and dead runs never rated', () => {
  const ok = run('a/1', { final: { testAccuracy: 0.8 }, compute: { flops: 1e15, seconds: 100 } });
  const chance = run('a/2', { final: { testAccuracy: 0.11 }, compute: { flops: 1e14, seconds: 10 } });
  const running = run('a/3', { status: 'running', best: { epoch: 0, valAccuracy: 0.9 } });
  assert.equal(viewMeasure([ok.summary, chance.summary]), 'test');
  assert.equal(viewMeasure([ok.summary, running.summary]), 'validation');
  assert.equal(exclusionReason(ok, 0.8, 1e15), null);
  assert.match(exclusionReason(chance, 0.11, 1e14)!, /chance level \(≤ 15 % for 10 classes\)/);
  assert.equal(exclusionReason(running, 0.9, 1e15), 'unfinished (running)');
  const dead = { ...running, summary: { ...running.summary, deadReason: 'process 7 on h is gone' } };
  assert.equal(exclusionReason(dead, 0.9, 1e15), 'dead (process 7 on h is gone)');
  assert.equal(exclusionReason(run('a/4', { status: 'failed' }), 0.8, 1), 'failed');
  assert.equal(exclusionReason(ok, 0.8, null), 'no cost recorded');
});

test('charged cost: a feature-cache hit pays the extraction of the run that filled the cache', () => {
  const filler = run('a/1', {
    compute: { flops: 2e15, seconds: 1000 },
    phases: { features: 900, train: 100 },
    featureCache: { used: true, hit: false, key: 'k1' },
  });
  const hit = run('a/2', {
    compute: { flops: 2e15, seconds: 110 },
    phases: { features: 10, train: 100 },
    featureCache: { used: true, hit: true, key: 'k1' },
  });
  const orphan = run('a/3', {
    compute: { flops: 2e15, seconds: 110 },
    featureCache: { used: true, hit: true, key: 'k9' },
  });
  assert.deepEqual(chargedCost(hit, [filler, hit]), {
    flops: 2e15,
    seconds: 1000,
    cacheHit: true,
    note: 'feature-cache hit, charged 900.0 s extraction',
  });
  assert.equal(chargedCost(filler, [filler]).cacheHit, false);
  assert.match(chargedCost(orphan, [orphan]).note!, /not in this logdir/);
});

test('study: groups rated by their mean, the front through groups, chance-level group off it', () => {
  const runs = [
    run('m/1', { seed: 1, final: { testAccuracy: 0.8 }, compute: { flops: 5e14, seconds: 500 } }),
    run('m/2', { seed: 2, final: { testAccuracy: 0.82 }, compute: { flops: 5e14, seconds: 520 } }),
    run('d/1', {
      base: 'densenet121',
      freeze: 'none',
      final: { testAccuracy: 0.86 },
      compute: { flops: 8e15, seconds: 4000 },
    }),
    run('i/1', { base: 'inceptionv3', final: { testAccuracy: 0.75 }, compute: { flops: 2e15, seconds: 1500 } }),
    run('r/1', { base: 'resnet50', final: { testAccuracy: 0.1 }, compute: { flops: 1e13, seconds: 10 } }),
  ];
  const study = buildStudy(runs, parseGroupBy('study'), 'flops', runs);
  assert.equal(study.measure, 'test');
  const byBase = Object.fromEntries(study.groups.map((g) => [g.base, g]));
  assert.equal(byBase.mobilenetv2.runs.length, 2);
  assert.ok(Math.abs(byBase.mobilenetv2.quality!.mean - 0.81) < 1e-12);
  assert.deepEqual(
    study.groups.filter((g) => g.pareto).map((g) => g.base),
    ['mobilenetv2', 'densenet121'],
  );
  assert.equal(byBase.inceptionv3.pareto, false);
  assert.equal(byBase.resnet50.pareto, false);
  assert.match(byBase.resnet50.excluded!, /chance level/);
  assert.deepEqual(
    study.front.map((f) => f.fromCost),
    [5e14, 8e15],
  );
});

test('liveness: a gone pid on this host or a missed heartbeat is dead; another host is not judged by pid', () => {
  const p = runProcessOf(JSON.stringify({ pid: 4242, host: 'here', heartbeat: '2026-12-01T10:00:00.000Z' }));
  const now = Date.parse('2026-12-01T10:00:20.000Z');
  assert.equal(deathReason({ process: p, nowMs: now, thisHost: 'here', isAlive: () => true }), null);
  assert.equal(
    deathReason({ process: p, nowMs: now, thisHost: 'here', isAlive: () => false }),
    'process 4242 on here is gone',
  );
  assert.equal(deathReason({ process: p, nowMs: now, thisHost: 'elsewhere', isAlive: () => false }), null);
  const late = Date.parse('2026-12-01T10:01:00.000Z');
  assert.match(deathReason({ process: p, nowMs: late, thisHost: 'x', isAlive: () => true })!, /no heartbeat since/);
  assert.deepEqual(runProcessOf('not json'), { pid: null, host: null, heartbeatMs: null, heartbeatIntervalMs: null });
});

test('identities: one name per run, duplicates disambiguated, colours kept when newer runs appear', () => {
  const s = (id: string, name: string | null, start: string) =>
    summarize({ id, record: { name, startTime: start }, warnings: [], lastUpdateMs: 0, nowMs: 0, staleAfterMs: 1 });
  const a = s('exp1/20261201-100000-lr3', 'lr3', '2026-12-01T10:00:00Z');
  const b = s('exp2/20261201-110000-lr3', 'lr3', '2026-12-01T11:00:00Z');
  const c = s('exp1/20261201-120000', null, '2026-12-01T12:00:00Z');
  const ids = runIdentities([a, b, c]);
  assert.deepEqual(
    [a, b, c].map((x) => ids.get(x.id)!.name),
    ['exp1/lr3', 'exp2/lr3', 'exp1 2026-12-01 12:00'],
  );
  const later = runIdentities([a, b, c, s('exp3/20261202-100000', null, '2026-12-02T10:00:00Z')]);
  for (const x of [a, b, c]) assert.equal(later.get(x.id)!.color, ids.get(x.id)!.color);
  assert.equal(new Set([...later.values()].map((v) => v.color)).size, 4);
});
