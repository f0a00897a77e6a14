// Headless Chromium over the live site and the static export. Screenshots go to test-artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../src/server/start.ts';
import { writeStaticReport } from '../../src/report/export/static-report.ts';
import { encodeRunPath } from '../../src/run/layout.ts';
import { IDS, makeFixtureLogdir } from '../report/fixture-logdir.ts';
import { writeSweepLogdir } from '../report/sweep-logdir.ts';
import { repoRoot } from '../helpers/shared.ts';

// The variable the README and scripts/ensure-chromium.mjs name. In CI a missing browser fails the
// suite; only on a developer's machine is it a skip.
const executablePath = process.env.TRANSFERLAB_CHROMIUM ?? '/usr/bin/chromium';
const inCi = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0';
const missing = !existsSync(executablePath);
const skip =
  missing && !inCi
    ? `no Chromium at ${executablePath}: install chromium or set TRANSFERLAB_CHROMIUM (in CI this fails)`
    : false;
const artifacts = join(repoRoot, 'test-artifacts', 'site');

let root: string;
let server: RunningServer;
let browser: Browser;

before(async () => {
  if (skip) return;
  if (missing)
    throw new Error(`no Chromium at ${executablePath} (CI is set): install chromium or set TRANSFERLAB_CHROMIUM`);
  root = await mkdtemp(join(tmpdir(), 'tl-browser-'));
  await makeFixtureLogdir(join(root, 'logs'));
  await mkdir(artifacts, { recursive: true });
  server = await startServer({
    logdir: join(root, 'logs'),
    port: 0,
    tensorboardUrl: 'http://localhost:6006',
    pollMs: 250,
    minRefreshMs: 100,
  });
  browser = await chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});
after(async () => {
  await browser?.close();
  await server?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

/** Collects page errors, CSP violations and failed requests. */
function watch(page: Page) {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  // A poll cut short by navigating away is aborted, not failed.
  page.on('requestfailed', (r) => {
    if (!r.failure()?.errorText.includes('ERR_ABORTED'))
      problems.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  return problems;
}

async function chartSizes(page: Page) {
  return page.$$eval('figure.chart svg', (svgs) =>
    svgs.map((s) => {
      const r = s.getBoundingClientRect();
      return { w: r.width, h: r.height, paths: s.querySelectorAll('path[d^="M"]').length };
    }),
  );
}

const SELECTED_FILTER = '^(?:densenet-full/20261128-100000-lr3|mobilenet-frozen/20261128-110000)(?:/|$)';

/** On the runs page: filter and sort in the browser, pick two runs, press Compare. */
async function pickTwoAndCompare(page: Page) {
  assert.equal(await page.locator('#runs-table tbody tr').count(), 6);
  await page.fill('#filter', '^mobilenet');
  assert.equal(await page.locator('#runs-table tbody tr:not(.hidden)').count(), 2);
  await page.fill('#filter', '');
  await page.click('#runs-table th:has-text("Best val acc")');
  const firstAfterSort = await page.locator('#runs-table tbody tr').first().getAttribute('data-id');
  assert.equal(firstAfterSort, IDS.densenet, 'sorted by best validation accuracy, descending');

  await page.check(`input.pick[value="${IDS.densenet}"]`);
  await page.check(`input.pick[value="${IDS.mobilenet}"]`);
  assert.equal(await page.textContent('#selected-count'), '2 selected');
  const selectedTb = new URL((await page.getAttribute('#tb-selected', 'href'))!);
  assert.equal(selectedTb.searchParams.get('runFilter'), SELECTED_FILTER);
  assert.equal(selectedTb.hash, '#timeseries');
  await Promise.all([page.waitForURL(/\/compare\?runs=/), page.click('#compare-button')]);
  const url = new URL(page.url());
  assert.deepEqual(url.searchParams.get('runs')!.split(','), [IDS.densenet, IDS.mobilenet]);
}

/** Follows the deep link (TensorBoard itself is stubbed): the browser lands on it unchanged. */
async function followTensorBoardLink(page: Page, tb: URL) {
  await page.route('http://localhost:6006/**', (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<title>TensorBoard stub</title>' }),
  );
  await Promise.all([page.waitForURL(/^http:\/\/localhost:6006\//), page.click('#tb-link')]);
  const landed = new URL(page.url());
  assert.equal(landed.hash, '#timeseries');
  assert.equal(landed.searchParams.get('runFilter'), tb.searchParams.get('runFilter'));
  assert.equal(landed.searchParams.get('tagFilter'), tb.searchParams.get('tagFilter'));
  await page.goBack();
}

test('runs page → select two runs → compare: curves, diff and TensorBoard link', { skip }, async () => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const problems = watch(page);
  await page.goto(server.url + '/');
  await page.screenshot({ path: join(artifacts, 'runs.png'), fullPage: true });
  await pickTwoAndCompare(page);
  await page.screenshot({ path: join(artifacts, 'compare.png'), fullPage: true });

  const sizes = await chartSizes(page);
  assert.ok(sizes.length >= 4, 'several charts');
  for (const s of sizes) assert.ok(s.w > 100 && s.h > 100 && s.paths > 0, JSON.stringify(s));
  const legend = await page.locator('figure[data-chart="accuracy"] svg').textContent();
  assert.ok(legend!.includes('lr3') && legend!.includes('mobilenet-frozen 20'), `both runs in the legend: ${legend}`);
  const diffKeys = await page.$$eval('#diff-table tbody tr td:first-child', (tds) => tds.map((td) => td.textContent));
  assert.deepEqual(diffKeys, ['model.base', 'model.freeze', 'tags.1', 'train.epochs']);

  const tb = new URL((await page.getAttribute('#tb-link', 'href'))!);
  assert.equal(tb.origin, 'http://localhost:6006');
  assert.equal(tb.hash, '#timeseries');
  assert.equal(tb.searchParams.get('runFilter'), SELECTED_FILTER);
  assert.match(tb.searchParams.get('tagFilter')!, /epoch_accuracy/);
  assert.equal(tb.searchParams.get('smoothing'), '0.6');
  await followTensorBoardLink(page, tb);

  // The x-axis control redraws the charts in place.
  await page.selectOption('select[name="x"]', 'relative');
  await page.waitForFunction(() =>
    document.querySelector('figure[data-chart="accuracy"] svg')?.textContent?.includes('time since run start'),
  );
  assert.deepEqual(problems, []);
  await page.close();
});

test('a run in progress updates live on the runs page', { skip }, async () => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const problems = watch(page);
  await page.goto(server.url + '/');
  const row = `#runs-table tr[data-id="${IDS.running}"]`;
  assert.match((await page.locator(row).textContent())!, /1 \/ 10/);
  await page.check(`input.pick[value="${IDS.densenet}"]`);
  const file = join(root, 'logs', ...IDS.running.split('/'), 'run.json');
  const record = JSON.parse(await readFile(file, 'utf8'));
  record.epochs.completed = 2;
  record.best = { epoch: 1, valAccuracy: 0.555, valLoss: 1 };
  await writeFile(file, JSON.stringify(record));
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes('55.5 %'), row, {
    timeout: 15_000,
  });
  assert.match((await page.locator(row).textContent())!, /2 \/ 10/);
  assert.equal(await page.isChecked(`input.pick[value="${IDS.densenet}"]`), true, 'selection survives the refresh');

  // Its run page reloads itself when the run moves on.
  await page.goto(`${server.url}/runs/${encodeRunPath(IDS.running)}`);
  assert.match((await page.locator('dl.meta').textContent())!, /2 of 10/);
  record.epochs.completed = 3;
  await writeFile(file, JSON.stringify(record));
  await page.waitForFunction(() => document.querySelector('dl.meta')?.textContent?.includes('3 of 10'), undefined, {
    timeout: 15_000,
  });
  assert.deepEqual(problems, []);
  await page.close();
});

test('run page shows charts and images under the CSP; the XSS run stays inert', { skip }, async () => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const problems = watch(page);
  await page.goto(`${server.url}/runs/${encodeRunPath(IDS.densenet)}`);
  await page.screenshot({ path: join(artifacts, 'run.png'), fullPage: true });
  const runCharts = await chartSizes(page);
  assert.ok(runCharts.length >= 4, `the run page has its curves and the per-class chart: ${runCharts.length}`);
  for (const s of runCharts) assert.ok(s.w > 100 && s.h > 50, JSON.stringify(s));
  const images = await page.$$eval('.images img', (imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth));
  assert.deepEqual(images, [40, 64]);
  await page.goto(`${server.url}/runs/${encodeRunPath(IDS.xss)}`);
  assert.equal(await page.locator('img[src="x"]').count(), 0);
  assert.match((await page.locator('h1').textContent())!, /<img src=x onerror=alert\(1\)>/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('the static report opens from disk with every chart visible and no failed requests', { skip }, async () => {
  const out = join(root, 'report');
  await writeStaticReport({ logdir: join(root, 'logs'), out });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const problems = watch(page);
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  for (const file of ['index.html', 'compare.html']) {
    await page.goto(pathToFileURL(join(out, file)).href);
    await page.screenshot({ path: join(artifacts, `static-${file.replace('.html', '')}.png`), fullPage: true });
    const sizes = await chartSizes(page);
    assert.ok(sizes.length >= 1, `${file} has charts`);
    for (const s of sizes) assert.ok(s.w > 100 && s.h > 100 && s.paths > 0, `${file}: ${JSON.stringify(s)}`);
  }
  // Relative link from the table to a run page works from disk.
  await page.goto(pathToFileURL(join(out, 'index.html')).href);
  await Promise.all([page.waitForURL(/run-densenet-full/), page.click(`tr[data-id="${IDS.densenet}"] a`)]);
  assert.equal(await page.locator('.images img').count(), 2);
  const staticRunCharts = await chartSizes(page);
  assert.ok(staticRunCharts.length >= 4, `the static run page has its charts: ${staticRunCharts.length}`);
  for (const s of staticRunCharts) assert.ok(s.w > 100 && s.h > 50, JSON.stringify(s));
  assert.ok(
    requests.every((u) => u.startsWith('file://') || u.startsWith('data:')),
    requests.filter((u) => !u.startsWith('file://') && !u.startsWith('data:')).join(' '),
  );
  assert.deepEqual(problems, []);
  await page.close();
});

test('a static sweep page opens from disk: from the runs table to the sweep, a trial and back', { skip }, async () => {
  const logdir = join(root, 'sweep-logs');
  const cells = [0.001, 0.0003].flatMap((learningRate) =>
    [256, 128].map((units) => ({ learningRate, units, test: [0.8, 0.82, 0.78].map((t) => t * learningRate * 1000) })),
  );
  const trials = await writeSweepLogdir(logdir, 'lr-units', cells);
  const out = join(root, 'sweep-report');
  await writeStaticReport({ logdir, out });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const problems = watch(page);
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(join(out, 'index.html')).href);
  await Promise.all([page.waitForURL(/\/sweep-lr-units-[0-9a-f]{8}\.html$/), page.click('#sweep-links a')]);
  await page.screenshot({ path: join(artifacts, 'static-sweep.png'), fullPage: true });
  assert.equal(await page.locator('#trials-table tbody').count(), 4);
  assert.equal(await page.locator('#trials-table tr[data-trial]').count(), 12);
  const [chart] = await chartSizes(page);
  assert.ok(
    chart && chart.w > 100 && chart.h > 100 && chart.paths > 0,
    `parallel coordinates: ${JSON.stringify(chart)}`,
  );
  const sweepUrl = page.url();
  const trial = trials[4]!;
  await Promise.all([page.waitForURL(/\/run-quickstart_/), page.click(`tr[data-id="${trial.runId}"] td.run-cell a`)]);
  assert.match((await page.locator('p.muted.mono.small').textContent())!, new RegExp(trial.runId));
  await Promise.all([page.waitForURL(sweepUrl), page.click('#sweep-link')]);
  await page.goto(pathToFileURL(join(out, 'index.html')).href);
  await Promise.all([page.waitForURL(sweepUrl), page.click(`tr[data-id="${trial.runId}"] a.sweep-link`)]);
  assert.ok(
    requests.every((u) => u.startsWith('file://') || u.startsWith('data:')),
    requests.filter((u) => !u.startsWith('file://') && !u.startsWith('data:')).join(' '),
  );
  assert.deepEqual(problems, []);
  await page.close();
});
