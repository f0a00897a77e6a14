import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SummaryWriter } from '../../src/tensorboard/index.ts';
import { RunStore } from '../../src/report/store/run-store.ts';

test('the store keeps the event data of a bounded number of runs and reads let-go runs again', async (t) => {
  const logdir = await mkdtemp(join(tmpdir(), 'tl-store-lru-'));
  t.after(() => rm(logdir, { recursive: true, force: true }));
  const ids = Array.from({ length: 6 }, (_, i) => `exp/r${i}`);
  for (const [i, id] of ids.entries()) {
    const dir = join(logdir, ...id.split('/'));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'run.json'), JSON.stringify({ id, status: 'success' }));
    const writer = await SummaryWriter.create(join(dir, 'train'));
    for (let s = 0; s < 100 + i; s++) writer.scalar('batch_loss', s, s, 1_700_000_000 + s);
    await writer.close();
  }
  const store = new RunStore(logdir, { minRefreshMs: 0, maxLoadedRuns: 2 });
  await store.refresh();
  const revisions = new Map<string, number | undefined>();
  for (const id of ids) {
    assert.equal((await store.events(id))!.scalars('train/batch_loss').length, 100 + ids.indexOf(id));
    revisions.set(id, store.revisionOf(id));
    assert.ok(store.loadedEventRuns <= 2, `${store.loadedEventRuns} runs in memory`);
  }
  assert.equal(store.eventsLoaded(ids[0]), false);
  assert.equal((await store.events(ids[0]))!.scalars('train/batch_loss').length, 100);
  assert.notEqual(store.revisionOf(ids[0]), revisions.get(ids[0]), 'a re-read run gets a new revision');
  const points = new RunStore(logdir, { minRefreshMs: 0, maxLoadedPoints: 250 });
  await points.refresh();
  for (const id of ids) await points.events(id);
  assert.equal(points.loadedEventRuns, 2, 'two runs of ~100 points fit a budget of 250');
});
