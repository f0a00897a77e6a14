// `npm run bench -- site [--quick]`: latency of the site over a large logdir, as ratios against
// baselines measured in the same run (a static 1-KB Express response; raw reads of the event files),
// then the site under 64 concurrent connections on 30 and on 1,000 runs (site-load.ts).
// Full: 1,000 runs × 10,000 steps; --quick: 100 runs × 1,000 steps. The logdirs are cached in tmpdir.
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { SummaryWriter } from '../src/tensorboard/index.ts';
import { startServer } from '../src/server/start.ts';
import { baselineFigure, siteUnderLoad } from './site-load.ts';

const EPOCHS = 10;

const runId = (r: number) =>
  `exp-${String(r % 20).padStart(2, '0')}/20261128-${String(100000 + r).padStart(6, '0')}-r${r}`;

async function makeLogdir(dir: string, runs: number, steps: number): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  const start = Date.now() / 1000 - 86_400;
  const bases = ['densenet121', 'mobilenetv2', 'inceptionv3', 'resnet50'];
  for (let r = 0; r < runs; r++) {
    const id = runId(r);
    const experiment = id.split('/')[0];
    const runDir = join(dir, ...id.split('/'));
    await mkdir(runDir, { recursive: true });
    const train = await SummaryWriter.create(join(runDir, 'train'));
    const validation = await SummaryWriter.create(join(runDir, 'validation'));
    const perEpoch = steps / EPOCHS;
    const quality = 0.5 + (0.4 * ((r * 7919) % 1000)) / 1000;
    const history = [];
    for (let s = 1; s <= steps; s++)
      train.scalar('batch_loss', 2.3 * Math.exp(-s / (steps / 3)) + 0.02 * Math.sin(s + r), s, start + s);
    for (let e = 0; e < EPOCHS; e++) {
      const wall = start + (e + 1) * perEpoch;
      const acc = quality * (1 - Math.exp(-(e + 1) / 3));
      train.scalar('epoch_loss', 2 - acc, e, wall);
      train.scalar('epoch_accuracy', acc + 0.03, e, wall);
      validation.scalar('epoch_loss', 2.1 - acc, e, wall);
      validation.scalar('epoch_accuracy', acc, e, wall);
      history.push({
        epoch: e,
        step: (e + 1) * perEpoch,
        wallTime: wall,
        trainLoss: 2 - acc,
        trainAccuracy: acc + 0.03,
        valLoss: 2.1 - acc,
        valAccuracy: acc,
        seconds: perEpoch,
      });
    }
    await Promise.all([train.close(), validation.close()]);
    const best = history.reduce((a, b) => (b.valAccuracy > a.valAccuracy ? b : a));
    await writeFile(
      join(runDir, 'run.json'),
      JSON.stringify({
        schemaVersion: 1,
        id,
        experiment,
        name: `r${r}`,
        status: 'success',
        error: null,
        definition: {
          model: { base: bases[r % 4], inputSize: 96 + 32 * (r % 3), freeze: r % 2 ? 'all' : 'none' },
          optimizer: { name: 'adam', learningRate: 10 ** -(2 + (r % 3)) },
          train: { epochs: EPOCHS, batchSize: 32 },
        },
        tags: [r % 2 ? 'frozen' : 'full'],
        params: { model: { total: 7e6, trainable: r % 2 ? 1e4 : 7e6, nonTrainable: 0 } },
        macsPerImage: 3e8,
        startTime: new Date(start * 1000).toISOString(),
        endTime: new Date((start + steps) * 1000).toISOString(),
        epochs: { planned: EPOCHS, completed: EPOCHS },
        globalStep: steps,
        best: { epoch: best.epoch, valAccuracy: best.valAccuracy },
        final: { valAccuracy: history.at(-1)!.valAccuracy, testAccuracy: history.at(-1)!.valAccuracy - 0.01 },
        imagesPerSecond: 500,
        compute: { trainImages: steps * 32, flops: 1e15 * (1 + (r % 10)), seconds: steps },
        history,
      }),
    );
    if ((r + 1) % 100 === 0) process.stdout.write(`  wrote ${r + 1}/${runs} runs\r`);
  }
  await writeFile(join(dir, '.complete'), 'ok');
  process.stdout.write('\n');
}

async function timeGet(url: string): Promise<number> {
  const t = performance.now();
  const res = await fetch(url);
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return performance.now() - t;
}

async function median(n: number, fn: () => Promise<number>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push(await fn());
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
}

async function rawEventRead(logdir: string, ids: string[]): Promise<number> {
  const t = performance.now();
  for (const id of ids) {
    for (const sub of ['train', 'validation']) {
      const d = join(logdir, ...id.split('/'), sub);
      for (const f of await readdir(d)) await readFile(join(d, f));
    }
  }
  return performance.now() - t;
}

async function cachedLogdir(runs: number, steps: number): Promise<string> {
  const logdir = join(tmpdir(), `transfer-lab-bench-site-${runs}x${steps}-v1`);
  if (!existsSync(join(logdir, '.complete'))) {
    console.log(`writing ${runs} runs × ${steps} steps to ${logdir} (cached for later runs)`);
    const t = performance.now();
    await makeLogdir(logdir, runs, steps);
    console.log(`  took ${((performance.now() - t) / 1000).toFixed(1)} s`);
  } else {
    console.log(`using cached logdir ${logdir}`);
  }
  return logdir;
}

export async function run(flags: string[]): Promise<void> {
  const quick = flags.includes('--quick');
  const runs = quick ? 100 : 1000;
  const steps = quick ? 1000 : 10_000;
  const logdir = await cachedLogdir(runs, steps);
  await latencies(logdir, runs, steps);
  const small = await cachedLogdir(30, 1000);
  // --seconds=N: shorter load phases for a trial run (the figures are for 20 s).
  const seconds = Number(flags.find((f) => f.startsWith('--seconds='))?.slice(10) ?? 20);
  const base = await baselineFigure(seconds);
  const three = (n: number) => [0, 1, 2].map((i) => runId(Math.floor((i * n) / 3) + 1));
  await siteUnderLoad(small, '30 runs × 1,000 steps', three(30), { base, seconds });
  await siteUnderLoad(logdir, `${runs} runs × ${steps} steps`, three(runs), { base, seconds });
}

async function latencies(logdir: string, runs: number, steps: number): Promise<void> {
  // Baseline: a static 1-KB response from a bare Express app on the same machine.
  const kb = 'x'.repeat(1024);
  const base = express()
    .get('/', (_req, res) => void res.type('text/plain').send(kb))
    .listen(0, '127.0.0.1');
  await new Promise((r) => base.once('listening', r));
  const baseUrl = `http://127.0.0.1:${(base.address() as AddressInfo).port}/`;
  await timeGet(baseUrl);
  const baseline = await median(21, () => timeGet(baseUrl));
  base.close();

  const server = await startServer({ logdir, port: 0 });
  try {
    const ids = Array.from({ length: 5 }, (_, i) => runId(Math.floor((i * runs) / 5) + 3));
    const compare = `/compare?runs=${ids.map(encodeURIComponent).join(',')}`;
    const compare2 = `/compare?runs=${ids.slice(0, 2).map(encodeURIComponent).join(',')}`;
    const rows: [string, number][] = [];
    rows.push(['/ cold (scan + parse every run.json)', await timeGet(server.url + '/')]);
    rows.push(['/ warm', await median(7, () => timeGet(server.url + '/'))]);
    rows.push(['/api/runs.json warm', await median(7, () => timeGet(server.url + '/api/runs.json'))]);
    rows.push(['/compare 5 runs cold (read event files, render charts)', await timeGet(server.url + compare)]);
    rows.push(['/compare 5 runs warm', await median(5, () => timeGet(server.url + compare))]);
    let w = 0;
    rows.push([
      '/compare 5 runs warm, new smoothing (re-render charts)',
      await median(5, () => timeGet(`${server.url}${compare}&smoothing=0.${++w}`)),
    ]);
    rows.push(['/compare 2 runs cold', await timeGet(server.url + compare2)]);
    rows.push(['/compare 2 runs warm', await median(5, () => timeGet(server.url + compare2))]);
    rows.push([
      `/runs/<id> cold`,
      await timeGet(`${server.url}/runs/${ids[4].split('/').map(encodeURIComponent).join('/')}?smoothing=0.3`),
    ]);
    rows.push([
      `/runs/<id> warm`,
      await median(5, () =>
        timeGet(`${server.url}/runs/${ids[4].split('/').map(encodeURIComponent).join('/')}?smoothing=0.3`),
      ),
    ]);
    const raw = await median(3, () => rawEventRead(logdir, ids));
    console.log(
      `baseline: static 1-KB Express response ${baseline.toFixed(2)} ms; ` +
        `raw read of the 5 compared runs' event files ${raw.toFixed(1)} ms`,
    );
    console.log(`${runs} runs × ${steps} steps`);
    for (const [name, ms] of rows) {
      console.log(
        `  ${name.padEnd(58)} ${ms.toFixed(1).padStart(8)} ms  ` +
          `${(ms / baseline).toFixed(0).padStart(6)}× 1-KB  ${(ms / raw).toFixed(2).padStart(6)}× raw read`,
      );
    }
    const warm = rows.filter(([n]) => n.includes('warm')).map(([, ms]) => ms);
    console.log(`slowest warm page: ${Math.max(...warm).toFixed(1)} ms (target < 1000 ms)`);
  } finally {
    await server.close();
  }
}
