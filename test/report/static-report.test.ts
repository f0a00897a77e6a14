import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeStaticReport } from '../../src/report/export/static-report.ts';
import { staticRunFile } from '../../src/report/pages/links.ts';
import { IDS, makeFixtureLogdir, XSS } from './fixture-logdir.ts';

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
