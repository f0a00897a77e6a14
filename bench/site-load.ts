// The site under concurrent load: 64 connections for 20 s (autocannon) per route, against `npm run
// serve` in its own process, next to a bare Express app answering 1 KB measured in the same run.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import autocannon from 'autocannon';

const CONNECTIONS = 64;

interface Served {
  child: ChildProcess;
  url: string;
}

/** Starts a process and resolves with the URL it prints (`http://127.0.0.1:<port>`). */
function startProcess(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /http:\/\/127\.0\.0\.1:\d+/.exec(out)?.[0];
      if (url) resolve({ child, url });
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} before listening`)));
  });
}

const BASELINE_SCRIPT = `
import express from 'express';
const kb = 'x'.repeat(1024);
const server = express().get('/', (_req, res) => void res.type('text/plain').send(kb)).listen(0, '127.0.0.1', () =>
  console.log('http://127.0.0.1:' + server.address().port));
`;

const startBaseline = () => startProcess(['--input-type=module', '-e', BASELINE_SCRIPT]);
const startSite = (logdir: string) =>
  startProcess(['--import', 'tsx', 'src/cli/serve.ts', '--logdir', logdir, '--port', '0']);

async function stop({ child }: Served): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Resident memory of a process in MB (Linux /proc). */
async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

interface LoadFigure {
  name: string;
  p50: number;
  p99: number;
  rps: number;
  errors: number;
  non2xx: number;
  /** Pages or bodies the server rendered during the load (null for the baseline). */
  renders: number | null;
}

async function renderCount(url: string): Promise<number> {
  return ((await (await fetch(`${url}/api/version.json`)).json()) as { renders: number }).renders;
}

async function load(name: string, url: string, seconds: number): Promise<LoadFigure> {
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { 'accept-encoding': 'gzip' },
  });
  return {
    name,
    p50: r.latency.p50,
    p99: r.latency.p99,
    rps: r.requests.average,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    renders: null,
  };
}

/** Waits until the site has read every run's event files once (its background damage check). */
async function warmUp(url: string, paths: string[]): Promise<number> {
  const t = performance.now();
  for (;;) {
    const v = (await (await fetch(`${url}/api/version.json`)).json()) as { pendingDamageChecks: number };
    if (v.pendingDamageChecks === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  for (const p of paths) await (await fetch(url + p)).arrayBuffer();
  return performance.now() - t;
}

function printFigure(f: LoadFigure, base: LoadFigure, targetP99: number) {
  const ok = f.p99 < targetP99 && f.errors === 0 && f.non2xx === 0 ? 'ok' : 'MISSED';
  console.log(
    `  ${f.name.padEnd(34)} p50 ${String(f.p50).padStart(5)} ms  p99 ${String(f.p99).padStart(5)} ms ` +
      `(${(f.p99 / Math.max(1, base.p99)).toFixed(1)}× 1-KB)  ${f.rps.toFixed(0).padStart(6)} req/s ` +
      `(${((100 * f.rps) / base.rps).toFixed(0)}% of 1-KB)  errors ${f.errors}  non-2xx ${f.non2xx}  ` +
      (f.renders === null ? '' : `renders ${f.renders}  `) +
      `[p99 < ${targetP99} ms, 0 errors: ${ok}]`,
  );
}

/** The 1-KB baseline's figure, measured once per bench run. */
export async function baselineFigure(seconds: number): Promise<LoadFigure> {
  const base = await startBaseline();
  try {
    await load('warm-up', base.url, 2);
    return await load('1-KB Express response', base.url, seconds);
  } finally {
    await stop(base);
  }
}

/** `/`, `/compare` of three runs and `/api/runs.json` under 64 connections; RSS before and after. */
export async function siteUnderLoad(
  logdir: string,
  label: string,
  compareIds: string[],
  opts: { base: LoadFigure; seconds: number },
) {
  const { base, seconds } = opts;
  const targetP99 = label.startsWith('30 ') ? 200 : 500;
  const compare = `/compare?runs=${compareIds.map(encodeURIComponent).join(',')}`;
  const paths = ['/', compare, '/api/runs.json'];
  const site = await startSite(logdir);
  try {
    const warmMs = await warmUp(site.url, paths);
    const before = await rssMb(site.child.pid!);
    const figures: LoadFigure[] = [];
    for (const p of paths) {
      const before = await renderCount(site.url);
      const f = await load(p.startsWith('/compare') ? '/compare?runs=<3>' : p, site.url + p, seconds);
      figures.push({ ...f, renders: (await renderCount(site.url)) - before });
    }
    const after = await rssMb(site.child.pid!);
    console.log(
      `${label}: 64 connections × ${seconds} s per route (warm-up incl. damage check ${warmMs.toFixed(0)} ms)`,
    );
    printFigure(base, base, targetP99);
    for (const f of figures) printFigure(f, base, targetP99);
    const rssOk = after <= 1.5 * before ? 'ok' : 'MISSED';
    console.log(`  server RSS ${before.toFixed(0)} MB before, ${after.toFixed(0)} MB after [≤ 1.5× before: ${rssOk}]`);
  } finally {
    await stop(site);
  }
}
