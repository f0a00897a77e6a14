import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeStaticReport } from '../../src/report/export/static-report.ts';
import { staticRunFile, staticSweepFile } from '../../src/report/pages/links.ts';
import { IDS, makeFixtureLogdir, XSS } from './fixture-logdir.ts';
import { writeSweepLogdir } from './sweep-logdir.ts';

let root: string;
let logdir: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tl-static-'));
  logdir = join(root, 'logs');
  await makeFixtureLogdir(logdir);
});
after(() => rm(root, { recursive: true, force: true }));

/** No raw XSS, no external stylesheet or script, only relative links, data URIs and TensorBoard deep links. */
function assertSelfContained(file: string, html: string) {
  assert.ok(!html.includes(XSS) && !/<img src=x/.test(html), `${file}: raw XSS name`);
  assert.ok(!/<link rel="stylesheet"/.test(html), `${file}: no external stylesheet`);
  for (const m of html.matchAll(/<script[^>]+src="([^"]*)"/g)) {
    assert.match(m[1], /^vendor\/[\w.-]+\.js$/, `${file}: scripts only from the report's own vendor/ folder`);
  }
  for (const m of html.matchAll(/\s(?:src|href)="([^"]*)"/g)) {
    const url = m[1];
    assert.ok(
      url === '' ||
        url === '#' ||
        url === 'data:,' ||
        url.startsWith('data:image/png;base64,') ||
        /^[\w.-]+\.(html|csv|json)$/.test(url) ||
        /^vendor\/[\w.-]+\.js$/.test(url) ||
        url.startsWith('http://tb.example:6006/'),
      `${file}: ${url.slice(0, 80)}`,
    );
  }
  assert.match(html, /<style>/);
}

test('static report: self-contained pages with relative links, inline SVG, CSS and images', async () => {
  const out = join(root, 'report');
  const result = await writeStaticReport({ logdir, out, tensorboardUrl: 'http://tb.example:6006' });
  assert.equal(result.runs, 6);
  const files = (await readdir(out)).sort();
  assert.ok(files.includes('index.html') && files.includes('compare.html'));
  assert.equal(files.filter((f) => f.startsWith('run-')).length, 6);
  assert.ok(files.includes(staticRunFile(IDS.xss)));
  assert.match(staticRunFile(IDS.xss), /^run-xss_20261128-140000-_img_src_x_onerror_alert_1_-[0-9a-f]{8}\.html$/);

  assert.deepEqual(
    files.filter((f) => !f.endsWith('.html') && f !== 'vendor'),
    ['compare.csv', 'compare.json', 'definition-diff.csv', 'groups.csv', 'groups.json', 'runs.csv', 'runs.json'],
  );
  assert.deepEqual((await readdir(join(out, 'vendor'))).sort(), [
    'charts.js',
    'vega-embed.min.js',
    'vega-interpreter.js',
    'vega-lite.min.js',
    'vega.min.js',
  ]);
  for (const file of files.filter((f) => f.endsWith('.html'))) {
    assertSelfContained(file, await readFile(join(out, file), 'utf8'));
  }
  const index = await readFile(join(out, 'index.html'), 'utf8');
  assert.ok(index.includes(`href="${staticRunFile(IDS.densenet)}"`));
  assert.ok(index.includes('href="compare.html"'));
  const compare = await readFile(join(out, 'compare.html'), 'utf8');
  assert.ok((compare.match(/<figure class="chart curve"/g) ?? []).length >= 4, 'curve charts');
  assert.ok((compare.match(/<script type="application\/json" class="chart-data">/g) ?? []).length >= 5, 'chart data');
  assert.match(compare, /id="study-table"/);
  assert.match(compare, /id="diff-table"/);
  const run = await readFile(join(out, staticRunFile(IDS.densenet)), 'utf8');
  assert.ok(
    /<img src="data:image\/png;base64,[A-Za-z0-9+/]+(?:&#x3D;)*" data-step="\d+" alt="confusion_matrix/.test(run),
    'confusion matrix inlined as a data URI',
  );
});

test('static report: --runs restricts the report and the comparison; unknown ids are a one-line error', async () => {
  const out2 = join(root, 'report2');
  const two = await writeStaticReport({ logdir, out: out2, runs: [IDS.densenet, IDS.interrupted] });
  assert.deepEqual(two.compared, [IDS.densenet, IDS.interrupted]);
  assert.equal((await readdir(out2)).filter((f) => f.endsWith('.html')).length, 4);
  const csv = await readFile(join(out2, 'runs.csv'), 'utf8');
  assert.equal(csv.trim().split('\r\n').length, 3, 'header and the two chosen runs');
  const diff = (await readFile(join(out2, 'definition-diff.csv'), 'utf8')).trim().split('\r\n');
  assert.equal(diff[0], `key,${IDS.densenet},${IDS.interrupted}`);
  assert.ok(diff.some((l) => l.startsWith('model.inputSize,96,128')));
  await assert.rejects(
    writeStaticReport({ logdir, out: join(root, 'r3'), runs: ['nope/x'] }),
    /^Error: --runs: no run "nope\/x" in /,
  );
});

/** 2 learning rates × 2 widths × 3 seeds as the sweep lr-units, and one trial of another sweep. */
async function sweepLogdir(dir: string) {
  const cells = [0.001, 0.0003].flatMap((learningRate, i) =>
    [256, 128].map((units, j) => ({ learningRate, units, test: [0.8, 0.81, 0.79].map((t) => t - 0.05 * (i + j)) })),
  );
  const trials = await writeSweepLogdir(dir, 'lr-units', cells);
  const other = await writeSweepLogdir(dir, 'other', [{ learningRate: 0.01, units: 64, test: [0.5] }], 50);
  return { trials, other };
}

test('static report: a page per sweep, linked from the runs table and the run pages as on the site', async () => {
  const dir = join(root, 'sweeps');
  const { trials, other } = await sweepLogdir(join(dir, 'logs'));
  const out = join(dir, 'report');
  const result = await writeStaticReport({ logdir: join(dir, 'logs'), out });
  assert.deepEqual(result.sweeps, ['lr-units', 'other']);
  const page = staticSweepFile('lr-units');
  assert.match(page, /^sweep-lr-units-[0-9a-f]{8}\.html$/);
  const files = await readdir(out);
  for (const f of [page, staticSweepFile('lr-units', 'json'), staticSweepFile('other')])
    assert.ok(files.includes(f), f);
  for (const file of files.filter((f) => f.endsWith('.html'))) {
    assertSelfContained(file, await readFile(join(out, file), 'utf8'));
  }

  const html = await readFile(join(out, page), 'utf8');
  assert.match(html, /12 trials in 4 groups of 3/);
  const tbodies = [...html.matchAll(/<tbody data-group="([0-9a-f]{12})">([\s\S]*?)<\/tbody>/g)];
  assert.equal(tbodies.length, 4);
  for (const [, , body] of tbodies) assert.equal((body!.match(/data-trial="/g) ?? []).length, 3);
  for (const t of trials) {
    assert.ok(html.includes(`href="${staticRunFile(t.runId)}"`), `links ${t.runId}`);
    assert.ok(files.includes(staticRunFile(t.runId)), `${t.runId} has its page`);
  }
  assert.ok(html.includes(`href="${staticSweepFile('lr-units', 'json')}">JSON</a>`));
  assert.match(html, /<figure class="chart" data-chart="parallel-coordinates"><svg/);
  const json = JSON.parse(await readFile(join(out, staticSweepFile('lr-units', 'json')), 'utf8'));
  assert.equal(json.groups.length, 4);
  assert.ok(json.trials.every((t: { runId: string; href: string }) => t.href === staticRunFile(t.runId)));

  const index = await readFile(join(out, 'index.html'), 'utf8');
  assert.match(index, new RegExp(`id="sweep-links">Sweeps: <a class="mono" href="${page}">lr-units</a>`));
  for (const t of [...trials, ...other]) {
    const row = index.match(new RegExp(`<tr data-id="${t.runId}"[\\s\\S]*?</tr>`))![0];
    const sweep = other.includes(t) ? 'other' : 'lr-units';
    assert.ok(row.includes(`class="chip sweep-link" href="${staticSweepFile(sweep)}"`), `${t.runId} → ${sweep}`);
  }
  const run = await readFile(join(out, staticRunFile(trials[0]!.runId)), 'utf8');
  assert.ok(run.includes(`<a id="sweep-link" href="${page}">sweep lr-units</a>`));
});

test('static report: --runs gives pages only to the sweeps of the chosen runs', async () => {
  const dir = join(root, 'sweeps-restricted');
  const { other } = await sweepLogdir(join(dir, 'logs'));
  const out = join(dir, 'report');
  const result = await writeStaticReport({ logdir: join(dir, 'logs'), out, runs: [other[0]!.runId] });
  assert.deepEqual(result.sweeps, ['other']);
  const files = await readdir(out);
  assert.ok(files.includes(staticSweepFile('other')) && !files.includes(staticSweepFile('lr-units')));
  const html = await readFile(join(out, staticSweepFile('other')), 'utf8');
  assert.match(html, /1 trials in 1 groups of 1/);
});
