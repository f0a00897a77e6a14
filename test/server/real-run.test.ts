// The site over runs written by the project's own runner (tiny quickstart on the shared CIFAR-10
// subset): one finished run and one interrupted mid-epoch.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExperiment } from '../../src/train/run-experiment.ts';
import { installStopSignal } from '../../src/train/signals.ts';
import { startServer, type RunningServer } from '../../src/server/start.ts';
import { encodeRunPath } from '../../src/run/layout.ts';
import { writeStaticReport } from '../../src/report/export/static-report.ts';
import { cifarDir, sharedModelsDir } from '../helpers/shared.ts';

const TINY = [
  'data.trainPerClass=5',
  'data.validationSize=30',
  'data.testPerClass=3',
  'model.inputSize=64',
  'train.batchSize=8',
  'train.logEveryBatches=1',
];

let root: string;
let server: RunningServer;
let done: string;
let interrupted: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tl-real-site-'));
  process.env.TRANSFERLAB_CACHE_DIR = join(root, 'cache');
  const logdir = join(root, 'logs');
  const common = {
    logdir,
    dataDir: cifarDir(),
    modelsDir: sharedModelsDir(),
    backend: 'wasm' as const,
    progress: 'none' as const,
    download: false,
    log: () => {},
  };
  done = (await runExperiment('quickstart', { ...common, overrides: [...TINY, 'train.epochs=2'], name: 'done' })).record
    .id;
  const stop = installStopSignal({ handleProcessSignals: false });
  interrupted = (
    await runExperiment('quickstart', {
      ...common,
      overrides: [...TINY, 'train.epochs=3', 'optimizer.learningRate=0.01'],
      name: 'stopped',
      stop,
      onStep: (s) => {
        if (s === 10) stop.request();
      },
    })
  ).record.id;
  stop.dispose();
  server = await startServer({ logdir, port: 0 });
});
after(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

test('runs table, run page, comparison and APIs over real runs', async () => {
  const json = (await (await fetch(`${server.url}/api/runs.json`)).json()) as {
    runs: {
      id: string;
      status: string;
      warnings: string[];
      bestValAccuracy: number | null;
      baseModel: string;
      flops: number | null;
      epochsCompleted: number;
    }[];
  };
  const byId = Object.fromEntries(json.runs.map((r) => [r.id, r]));
  assert.equal(byId[done].status, 'success');
  assert.equal(byId[interrupted].status, 'interrupted');
  for (const r of json.runs) assert.deepEqual(r.warnings, [], `run.json of ${r.id} matches the report's schema`);
  assert.equal(byId[done].baseModel, 'mobilenetv1 α=0.25');
  assert.equal(byId[done].epochsCompleted, 2);
  assert.ok(byId[done].flops! > 0);
  const best = byId[done].bestValAccuracy;
  assert.ok(typeof best === 'number' && best >= 0 && best <= 1, `best validation accuracy is a fraction: ${best}`);

  const home = await fetch(`${server.url}/`);
  assert.equal(home.status, 200);
  const html = await home.text();
  assert.ok(html.includes('status-interrupted') && html.includes('status-success'));

  const run = await (await fetch(`${server.url}/runs/${encodeRunPath(done)}`)).text();
  for (const chart of ['accuracy', 'loss', 'batch_loss', 'per-class'])
    assert.ok(run.includes(`data-chart="${chart}"`), chart);
  const images = [...run.matchAll(/<figure data-image="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(images.includes('confusion_matrix') && images.includes('sample_predictions'), images.join());

  const compare = await (
    await fetch(`${server.url}/compare?runs=${encodeURIComponent(`${done},${interrupted}`)}`)
  ).text();
  assert.ok(compare.includes('data-chart="accuracy"'));
  const diff = compare.slice(
    compare.indexOf('id="diff-table"'),
    compare.indexOf('</table>', compare.indexOf('id="diff-table"')),
  );
  assert.ok(diff.includes('optimizer.learningRate') && diff.includes('train.epochs'));
  assert.ok(!diff.includes('model.base'), 'identical keys are hidden');

  const scalars = (await (
    await fetch(`${server.url}/api/runs/${encodeRunPath(interrupted)}/scalars?tag=train/batch_loss`)
  ).json()) as { points: { step: number }[] };
  assert.deepEqual(
    scalars.points.map((p) => p.step),
    Array.from({ length: 10 }, (_, i) => i + 1),
  );

  const out = join(root, 'report');
  await writeStaticReport({ logdir: join(root, 'logs'), out });
  const files = await readdir(out);
  assert.equal(files.filter((f) => f.endsWith('.html')).length, 4);
  assert.match(await readFile(join(out, 'compare.html'), 'utf8'), /data-chart="accuracy"/);
});
