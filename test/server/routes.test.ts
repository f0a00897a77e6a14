import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/server/start.ts';
import { encodeRunPath } from '../../src/run/layout.ts';
import { IDS, makeFixtureLogdir, XSS } from '../report/fixture-logdir.ts';

let server: RunningServer;
let root: string;
let logdir: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tl-site-'));
  logdir = join(root, 'logs');
  await makeFixtureLogdir(logdir);
  // A file beside (outside) the logdir that traversal attempts would reach.
  await mkdir(join(root, 'etc'), { recursive: true });
  await writeFile(join(root, 'etc', 'run.json'), JSON.stringify({ id: 'SECRET-OUTSIDE' }));
  // A symbolic link inside the logdir that points out of it is not followed.
  await symlink(join(root, 'etc'), join(logdir, 'linked'));
  server = await startServer({ logdir, port: 0, tensorboardUrl: 'http://tb.example:6006/' });
});
after(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

const get = (path: string, init?: RequestInit) => fetch(server.url + path, init);

/** Raw request: fetch normalizes `..`, this sends the path exactly as written. */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Decodes the entities Handlebars writes into attribute values. */
const unescapeAttr = (v: string) =>
  v
    .replace(/&#x3D;/g, '=')
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

function assertNoRawXss(body: string, where: string) {
  assert.ok(!body.includes(XSS), `${where} contains the unescaped run name`);
  assert.ok(!/<img src=x/i.test(body), `${where} contains an injected img element`);
  assert.ok(!body.includes('<script>alert'), `${where} contains an injected script`);
}

test('runs page lists every run with its numbers; security headers and CSP are set', async () => {
  const res = await get('/');
  assert.equal(res.status, 200);
  const csp = res.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /object-src 'none'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN');
  assert.equal(res.headers.get('x-powered-by'), null);
  const html = await res.text();
  for (const id of Object.values(IDS))
    assert.ok(html.includes(`data-id="${id.replace(XSS, '&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;')}"`), id);
  const row = html.slice(
    html.indexOf(`data-id="${IDS.densenet}"`),
    html.indexOf('</tr>', html.indexOf(`data-id="${IDS.densenet}"`)),
  );
  for (const cell of [
    'densenet121',
    'fine-tune all',
    '85.0 %',
    '(epoch 5)',
    '84.0 %',
    '50 min 0 s',
    '2.01 M',
    '0.21',
    '0.84',
    'success',
  ])
    assert.ok(row.includes(cell), `row shows ${cell}`);
  assert.match(html, /status-interrupted/);
  assert.match(html, /status-running/);
  const live = html.slice(
    html.indexOf(`data-id="${IDS.running}"`),
    html.indexOf('</tr>', html.indexOf(`data-id="${IDS.running}"`)),
  );
  assert.ok(
    live.includes('evaluate validation 3,200 / 5,000'),
    'a running run shows where its silent phase stands (run.json progress)',
  );
  assert.ok(!/<script>(?!<)/.test(html.replace(/<script src="[^"]+" defer><\/script>/, '')), 'no inline script');
  assert.match(html, /<script src="\/static\/site\.js" defer><\/script>/);
  assertNoRawXss(html, '/');
});

test('runs page: server-side regex and tag filters', async () => {
  const html = await (await get('/?filter=' + encodeURIComponent('^mobilenet'))).text();
  assert.ok(html.includes(`data-id="${IDS.mobilenet}"`) && html.includes(`data-id="${IDS.interrupted}"`));
  assert.ok(!html.includes(`data-id="${IDS.densenet}"`));
  const tagged = await (await get('/?tag=full')).text();
  assert.ok(tagged.includes(`data-id="${IDS.densenet}"`) && tagged.includes(`data-id="${IDS.inception}"`));
  assert.ok(!tagged.includes(`data-id="${IDS.mobilenet}"`));
  const bad = await get('/?filter=' + encodeURIComponent('(['));
  assert.equal(bad.status, 200);
  assert.match(await bad.text(), /Invalid filter/);
});

test('run page: metadata, curves, per-class chart, images from the event files, TensorBoard link', async () => {
  const res = await get(`/runs/${encodeRunPath(IDS.densenet)}`);
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /<figure class="chart curve" data-chart="accuracy"[^>]*><div class="chart-target"/);
  assert.match(html, /<script type="application\/json" class="chart-data">\{"id":"accuracy"/);
  assert.match(html, /data-chart="loss"/);
  assert.match(html, /data-chart="batch_loss"/);
  assert.match(html, /data-chart="per-class"/);
  assert.match(html, /Test accuracy per class/);
  const img = /<img src="([^"]+)" data-step="\d+" alt="confusion_matrix/.exec(html);
  assert.ok(img, 'confusion matrix image');
  const png = await get(unescapeAttr(img[1]));
  assert.equal(png.status, 200);
  assert.equal(png.headers.get('content-type'), 'image/png');
  assert.deepEqual([...new Uint8Array(await png.arrayBuffer()).slice(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  const tb = unescapeAttr(/id="tb-link" href="([^"]+)"/.exec(html)![1]);
  const url = new URL(tb);
  assert.equal(url.origin, 'http://tb.example:6006');
  assert.equal(url.hash, '#timeseries');
  assert.equal(url.searchParams.get('runFilter'), '^(?:densenet-full/20261128-100000-lr3)(?:/|$)');
  const interrupted = await get(`/runs/${encodeRunPath(IDS.interrupted)}`);
  assert.equal(interrupted.status, 200);
  assert.match(await interrupted.text(), /status-interrupted/);
});

test('compare page: overlaid curves, only differing definition keys, cost table with Pareto front', async () => {
  const ids = [IDS.densenet, IDS.mobilenet, IDS.inception];
  const res = await get(`/compare?runs=${ids.map(encodeURIComponent).join(',')}&threshold=80&smoothing=0.3`);
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /data-chart="accuracy"/);
  const diff = html.slice(html.indexOf('id="diff-table"'), html.indexOf('</table>', html.indexOf('id="diff-table"')));
  const keys = [...diff.matchAll(/<tr><td class="mono">([^<]+)<\/td>/g)].map((m) => m[1]);
  assert.deepEqual(keys, [
    'model.base',
    'model.freeze',
    'model.inputSize',
    'optimizer.learningRate',
    'tags.1',
    'train.epochs',
  ]);
  assert.ok(!keys.includes('model.weights') && !keys.includes('train.batchSize'));
  const cost = html.slice(html.indexOf('id="cost-table"'), html.indexOf('</table>', html.indexOf('id="cost-table"')));
  assert.match(cost, new RegExp(`<tr data-id="${IDS.densenet}" class="pareto">`));
  assert.match(cost, new RegExp(`<tr data-id="${IDS.mobilenet}" class="pareto">`));
  assert.match(cost, new RegExp(`<tr data-id="${IDS.inception}">`));
  assert.match(cost, /40 min 0 s/, 'densenet reaches 80 % after 2400 s');
  assert.match(cost, /3\.2 PFLOP/);
  assert.ok(html.includes('smoothing&#x3D;0.3#timeseries'), 'TensorBoard link carries the smoothing');
  assert.ok(html.includes('Solid lines: train · dashed: validation · faint: unsmoothed.'), 'train/validation legend');
  // The x axes the browser switches between without a page load.
  for (const title of ['time of day (24 h)', 'time since run start', 'optimizer step', '"title":"epoch"']) {
    assert.ok(html.includes(title), `x axis ${title}`);
  }
  const empty = await get('/compare');
  assert.equal(empty.status, 200);
  assert.ok((await empty.text()).includes('No runs picked'));
});

test('compare API: JSON and CSV with time-to-accuracy and Pareto membership', async () => {
  const runs = `${IDS.densenet},${IDS.mobilenet},${IDS.inception},${IDS.interrupted},nope/x`;
  const json = (await (
    await get(`/api/compare.json?runs=${encodeURIComponent(runs)}&threshold=0.8&cost=flops`)
  ).json()) as {
    runs: {
      id: string;
      pareto: boolean;
      secondsToThreshold: number | null;
      epochToThreshold: number | null;
      flopsToThreshold: number | null;
    }[];
    missing: string[];
    diff: { rows: { key: string }[] };
  };
  const by = Object.fromEntries(json.runs.map((r) => [r.id, r]));
  assert.deepEqual(json.missing, ['nope/x']);
  assert.equal(by[IDS.densenet].secondsToThreshold, 2400);
  assert.equal(by[IDS.densenet].epochToThreshold, 4, '1-based, as the terminal counts');
  assert.equal(by[IDS.densenet].flopsToThreshold, 3.2e15);
  assert.equal(by[IDS.mobilenet].epochToThreshold, 3);
  assert.equal(by[IDS.inception].secondsToThreshold, null);
  assert.deepEqual(
    json.runs
      .filter((r) => r.pareto)
      .map((r) => r.id)
      .sort(),
    [IDS.densenet, IDS.mobilenet].sort(),
  );
  assert.ok(json.diff.rows.some((r) => r.key === 'model.base'));
  const hours = (await (await get(`/api/compare.json?runs=${encodeURIComponent(runs)}&cost=hours`)).json()) as {
    runs: { id: string; pareto: boolean }[];
  };
  assert.deepEqual(
    hours.runs
      .filter((r) => r.pareto)
      .map((r) => r.id)
      .sort(),
    [IDS.densenet, IDS.mobilenet].sort(),
  );
  const csv = await get(`/api/compare.csv?runs=${encodeURIComponent(runs)}`);
  assert.match(csv.headers.get('content-type')!, /^text\/csv/);
  const lines = (await csv.text()).trim().split('\r\n');
  assert.equal(lines.length, 5);
  assert.match(lines[0], /^id,experiment,name,status,bestValAccuracy,/);
  assert.ok(
    lines.some((l) => l.startsWith(`${IDS.densenet},densenet-full,lr3,success,0.85,5,`)),
    'best epoch 1-based',
  );
  const diff = (
    await (await get(`/api/compare/diff.csv?runs=${encodeURIComponent(`${IDS.densenet},${IDS.inception}`)}`)).text()
  )
    .trim()
    .split('\r\n');
  assert.equal(diff[0], `key,${IDS.densenet},${IDS.inception}`);
  assert.ok(diff.includes('model.base,densenet121,inceptionv3'));
  assert.ok(!diff.some((l) => l.startsWith('model.weights')));
});

test('runs API: JSON, CSV, live status and scalars', async () => {
  const json = (await (await get('/api/runs.json')).json()) as { runs: Record<string, unknown>[] };
  assert.equal(json.runs.length, 6);
  const dense = json.runs.find((r) => r.id === IDS.densenet)!;
  assert.equal(dense.bestValAccuracy, 0.85);
  assert.equal(dense.macsPerImage, 300_000_000);
  const csv = await (await get('/api/runs.csv')).text();
  const lines = csv.trim().split('\r\n');
  assert.equal(lines.length, 7);
  assert.ok(lines.some((l) => l.includes('interrupted')));
  assert.ok(
    lines.some((l) => l.startsWith(`${IDS.xss},xss,`)),
    'CSV carries the data itself, unescaped',
  );
  const groups = (await (await get('/api/groups.json')).json()) as { groups: { n: number; ids: string[] }[] };
  const pair = groups.groups.find((g) => g.n === 2)!;
  assert.deepEqual(pair.ids.sort(), [IDS.mobilenet, IDS.xss].sort(), 'mobilenetv2 · frozen · 96 px');
  assert.equal(groups.groups.length, 5);
  const groupsCsv = (await (await get('/api/groups.csv?group=none')).text()).trim().split('\r\n');
  assert.equal(groupsCsv.length, 7);
  assert.match(groupsCsv[0], /^group,n,bestValAccuracy_mean,bestValAccuracy_std,/);
  const status = (await (await get('/api/runs/status.json')).json()) as { id: string; sig: string }[];
  assert.equal(status.find((s) => s.id === IDS.running)!.sig.split('|')[0], 'running');
  const tags = (await (await get(`/api/runs/${encodeRunPath(IDS.densenet)}/scalars`)).json()) as { tags: string[] };
  assert.ok(tags.tags.includes('validation/epoch_accuracy'));
  const series = (await (
    await get(`/api/runs/${encodeRunPath(IDS.densenet)}/scalars?tag=validation/epoch_accuracy`)
  ).json()) as { points: { step: number; value: number }[] };
  assert.deepEqual(
    series.points.map((p) => p.step),
    [0, 1, 2, 3, 4],
  );
  assert.equal((await get(`/api/runs/${encodeRunPath(IDS.densenet)}/scalars?tag=nope`)).status, 404);
});

test('the XSS run name is escaped on every page', async () => {
  const xssPath = `/runs/${encodeRunPath(IDS.xss)}`;
  const pages = [
    '/',
    xssPath,
    `/compare?runs=${encodeURIComponent(`${IDS.xss},${IDS.densenet}`)}`,
    `/?filter=${encodeURIComponent(XSS)}`,
    `/?tag=${encodeURIComponent(XSS)}`,
    `/runs/${encodeURIComponent(XSS)}`,
  ];
  for (const p of pages) {
    const res = await get(p);
    const body = await res.text();
    assertNoRawXss(body, p);
  }
  const run = await (await get(xssPath)).text();
  assert.ok(run.includes('&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;'), 'shown, escaped');
  const compare = await (await get(`/compare?runs=${encodeURIComponent(`${IDS.xss},${IDS.densenet}`)}`)).text();
  assert.ok(compare.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'definition diff value escaped');
  const svgs = compare.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
  assert.ok(svgs.length > 0, 'the comparison has charts to check');
  for (const svg of svgs) assertNoRawXss(svg, 'chart SVG');
});

test('path traversal and unknown runs are 404 without reading outside the logdir', async () => {
  const attempts = [
    '/runs/..%2F..%2Fetc',
    '/runs/..%2fetc',
    '/runs/%2e%2e%2f%2e%2e%2fetc',
    '/runs/%2e%2e/etc',
    '/runs/../etc',
    '/runs/..',
    '/runs/..%5Cetc',
    '/runs/%252e%252e%252fetc',
    '/runs/%2Fetc%2Fpasswd',
    '/runs//etc',
    '/runs/densenet-full/..%2F..%2Fetc',
    '/api/runs/..%2Fetc/scalars',
    '/api/runs/..%2F..%2Fetc/image?tag=x',
    '/runs/densenet-full',
    '/runs/nope/x',
    '/runs/%E0%A4%A',
    '/runs/linked',
    '/api/runs/linked/scalars',
  ];
  for (const path of attempts) {
    const { status, body } = await rawGet(path);
    assert.equal(status, 404, path);
    assert.ok(!body.includes('SECRET-OUTSIDE'), path);
  }
  assert.equal((await rawGet('/static/../package.json')).status, 404);
  assert.equal((await rawGet('/static/%2e%2e/package.json')).status, 404);
  assert.equal((await rawGet('/static/nope.css')).status, 404);
  assert.equal((await rawGet('/static/site.css')).status, 200);
  assert.equal((await get('/nope')).status, 404);
  const listed = await (await get('/api/runs.json')).text();
  assert.ok(!listed.includes('SECRET-OUTSIDE') && !listed.includes('"linked'), 'the symlinked run is not listed');
});

test('requests addressed to a foreign Host are refused on a loopback bind', async () => {
  const { hostname, port } = new URL(server.url);
  const status = await new Promise<number>((resolve, reject) => {
    const req = request({ hostname, port, path: '/', headers: { host: 'evil.example' } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(status, 403);
});

test('an empty or missing logdir shows an empty table, not an error', async () => {
  const empty = await startServer({ logdir: join(root, 'does-not-exist'), port: 0 });
  try {
    const res = await fetch(`${empty.url}/`);
    assert.equal(res.status, 200);
    assert.ok((await res.text()).includes('in this log directory yet'));
    assert.deepEqual(await (await fetch(`${empty.url}/api/runs.json`)).json(), { runs: [] });
  } finally {
    await empty.close();
  }
});
