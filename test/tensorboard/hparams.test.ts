import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SummaryWriter, RunReader, writeHparamsExperiment, discoverRuns } from '../../src/tensorboard/index.ts';
import { EXPERIMENT_FILE_SUFFIX } from '../../src/tensorboard/write/hparams-experiment.ts';
import { withTempDir } from './helpers.ts';

const experiment = {
  hparams: [
    { name: 'base', type: 'string' as const, domain: { discrete: ['densenet121', 'mobilenet_v2'] } },
    { name: 'learning_rate', domain: { min: 1e-4, max: 1e-2 } },
    { name: 'batch_size', domain: { discrete: [32, 64] } },
    { name: 'augment', domain: { discrete: [true, false] } },
    { name: 'notes' },
  ],
  metrics: [
    { group: 'validation', tag: 'epoch_accuracy', displayName: 'val acc', datasetType: 'validation' as const },
    { group: 'train', tag: 'epoch_loss', datasetType: 'training' as const },
    { tag: 'test/accuracy' },
  ],
};

test('session start/end round trip, with status mapping and default group name', async () => {
  await withTempDir(async (dir) => {
    const statuses = [
      ['success', 'success'],
      ['failure', 'failure'],
      ['running', 'running'],
      ['unknown', 'unknown'],
      ['aborted', 'failure'],
      ['interrupted', 'failure'],
    ] as const;
    for (const [given, read] of statuses) {
      const runDir = join(dir, given);
      const w = await SummaryWriter.create(runDir);
      w.hparamsSessionStart({
        hparams: { base: 'densenet121', learning_rate: 0.001, augment: true },
        startTimeSecs: 1700000000.5,
      });
      w.hparamsSessionEnd(given, 1700000100);
      await w.close();
      const r = new RunReader(runDir);
      await r.update();
      const hp = r.hparams();
      assert.deepEqual(hp.sessionStart?.hparams, { base: 'densenet121', learning_rate: 0.001, augment: true });
      assert.match(hp.sessionStart?.groupName ?? '', /^[0-9a-f]{64}$/);
      assert.equal(hp.sessionStart?.startTimeSecs, 1700000000.5);
      assert.deepEqual(hp.sessionEnd, { status: read, endTimeSecs: 1700000100 }, given);
      assert.deepEqual(r.tags('hparams'), ['_hparams_/session_end_info', '_hparams_/session_start_info']);
    }
    const w = await SummaryWriter.create(join(dir, 'named'));
    w.hparamsSessionStart({ hparams: { a: 1 }, groupName: 'g1' });
    await w.close();
    const r = new RunReader(join(dir, 'named'));
    await r.update();
    assert.equal(r.hparams().sessionStart?.groupName, 'g1');
    assert.equal(r.hparams().sessionEnd, undefined);
  });
});

test('writeHparamsExperiment writes one experiment at the root and replaces its previous file', async () => {
  await withTempDir(async (dir) => {
    await writeFile(join(dir, 'events.out.tfevents.1600000000.other.1.0.v2'), ''); // someone else's file stays
    const first = await writeHparamsExperiment(dir, experiment);
    const second = await writeHparamsExperiment(dir, { ...experiment, hparams: experiment.hparams.slice(0, 1) });
    assert.notEqual(first, second);
    const ours = (await readdir(dir)).filter((f) => f.endsWith(EXPERIMENT_FILE_SUFFIX));
    assert.deepEqual(ours, [second.split('/').pop()]);
    assert.equal((await readdir(dir)).filter((f) => f.includes('tfevents')).length, 2);
    assert.equal((await readdir(dir)).filter((f) => f.includes('partial')).length, 0);

    const r = new RunReader(dir);
    await r.update();
    assert.equal(r.hparams().experiment?.hparams.length, 1);
    assert.deepEqual(r.hparams().experiment?.hparams[0], {
      name: 'base',
      type: 'string',
      domain: { discrete: ['densenet121', 'mobilenet_v2'] },
    });

    await writeHparamsExperiment(dir, experiment);
    const r2 = new RunReader(dir);
    await r2.update();
    const exp = r2.hparams().experiment!;
    assert.deepEqual(exp.hparams, [
      { name: 'base', type: 'string', domain: { discrete: ['densenet121', 'mobilenet_v2'] } },
      { name: 'learning_rate', type: 'float64', domain: { min: 1e-4, max: 1e-2 } },
      { name: 'batch_size', type: 'float64', domain: { discrete: [32, 64] } },
      { name: 'augment', type: 'bool', domain: { discrete: [true, false] } },
      { name: 'notes' },
    ]);
    assert.deepEqual(exp.metrics, [
      { tag: 'epoch_accuracy', group: 'validation', displayName: 'val acc', datasetType: 'validation' },
      { tag: 'epoch_loss', group: 'train', datasetType: 'training' },
      { tag: 'test/accuracy', group: '', datasetType: 'unknown' },
    ]);
    // A live reader that saw the old file keeps working after the replacement.
    await r.update();
    assert.equal(r.hparams().experiment?.hparams.length, 5);
    assert.deepEqual(r.warnings, []);
    await assert.rejects(
      writeHparamsExperiment(dir, { hparams: [{ name: '' }], metrics: [] }),
      /field hparams\.0\.name/,
    );
  });
});

test('discoverRuns: directories directly holding tfevents files, root as ".", profile-empty skipped', async () => {
  await withTempDir(async (dir) => {
    await writeHparamsExperiment(dir, experiment);
    for (const sub of ['exp/20261128-151200-a/train', 'exp/20261128-151200-a/validation', 'exp/20261128-151200-a']) {
      const w = await SummaryWriter.create(join(dir, sub));
      await w.close();
    }
    await mkdir(join(dir, 'profile/plugins'), { recursive: true });
    await writeFile(join(dir, 'profile', 'events.out.tfevents.1582040150.host.profile-empty'), '');
    await mkdir(join(dir, 'empty'));
    assert.deepEqual(await discoverRuns(dir), [
      '.',
      'exp/20261128-151200-a',
      'exp/20261128-151200-a/train',
      'exp/20261128-151200-a/validation',
    ]);
    assert.deepEqual(await discoverRuns(join(dir, 'missing')), []);
  });
});

test('discoverRuns options: symbolic links followed unless told not to, depth limit, skipped names', async () => {
  await withTempDir(async (dir) => {
    const inside = join(dir, 'logdir');
    for (const sub of ['run/train', 'run/checkpoints', 'elsewhere'])
      await (await SummaryWriter.create(join(dir, sub.startsWith('run') ? `logdir/${sub}` : sub))).close();
    await symlink(join(dir, 'elsewhere'), join(inside, 'linked'));
    assert.deepEqual(await discoverRuns(inside), ['linked', 'run/checkpoints', 'run/train']);
    assert.deepEqual(await discoverRuns(inside, { followSymlinks: false }), ['run/checkpoints', 'run/train']);
    assert.deepEqual(await discoverRuns(inside, { followSymlinks: false, skipDir: (name) => name === 'checkpoints' }), [
      'run/train',
    ]);
    assert.deepEqual(await discoverRuns(inside, { maxDepth: 1 }), ['linked']);
  });
});

test('the default group name is the one hp.hparams derives (checked against the real sersery35 session)', async () => {
  await withTempDir(async (dir) => {
    const w = await SummaryWriter.create(dir);
    w.hparamsSessionStart({ hparams: { optimizer: 'adam', learning_rate: 0.1, hidden_unit: 8, batch_size: 8 } });
    await w.close();
    const r = new RunReader(dir);
    await r.update();
    assert.equal(
      r.hparams().sessionStart?.groupName,
      '85fdc93fa678ab224e8753906cfca50ba29bc78ebc3ff94b6b486e3a33179d25',
    );
  });
});
