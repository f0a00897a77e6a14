// src/report/export/: the report as files — CSV and JSON tables and the self-contained static
// HTML report. May import report/store, metrics and pages; never src/train or src/server.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ExpressHandlebars } from 'express-handlebars';
import { costQualityRows } from '../metrics/cost-quality.ts';
import type { RunSummary } from '../metrics/run-summary.ts';
import { sweepNames } from '../metrics/sweep-summary.ts';
import { SvgCache } from '../pages/charts/svg-cache.ts';
import { comparePage } from '../pages/compare-page.ts';
import { DEFAULT_COMPARE, type CompareOptions, type ReportContext } from '../pages/context.ts';
import { staticLinks, staticRunFile, staticSweepFile } from '../pages/links.ts';
import { runPage } from '../pages/run-page.ts';
import { runsPage } from '../pages/runs-page.ts';
import { siteContext } from '../pages/site-context.ts';
import { sweepJson, sweepPage } from '../pages/sweep-page.ts';
import { createTemplates, publicDir, renderPage } from '../pages/templates.ts';
import { VENDOR_SCRIPTS, vendorScript } from '../pages/vendor-assets.ts';
import { loadRuns } from '../store/load-runs.ts';
import { RunStore } from '../store/run-store.ts';
import { compareCsv, diffCsv, groupsCsv, groupsOf, runsCsv, runsJson } from './tables.ts';

interface StaticReportOptions {
  logdir: string;
  out: string;
  /** Runs to include; all runs when absent. */
  runs?: string[];
  /** A TensorBoard serving the same logdir; without one the report hides TensorBoard links. */
  tensorboardUrl?: string | null;
  compare?: Partial<CompareOptions>;
}

interface StaticReportResult {
  files: string[];
  compared: string[];
  runs: number;
  /** The sweeps given a page: those the included runs belong to. */
  sweeps: string[];
}

/** Without `--runs`: compare the best 8 by quality, and write run pages only for up to 100 runs. */
const MAX_COMPARED = 8;
const MAX_RUN_PAGES = 100;

/** Which runs the report lists, compares and gives a page; an unknown `--runs` id is a one-line error. */
function chooseRuns(store: RunStore, opts: StaticReportOptions) {
  const all = store.summaries();
  const unknown = (opts.runs ?? []).filter((id) => !store.has(id));
  if (unknown.length > 0) {
    const known = `${all
      .slice(0, 5)
      .map((s) => s.id)
      .join(', ')}${all.length > 5 ? ', …' : ''}`;
    const named = unknown.map((u) => JSON.stringify(u)).join(', ');
    throw new Error(`--runs: no run ${named} in ${opts.logdir} (known: ${known})`);
  }
  const included = opts.runs ? all.filter((s) => opts.runs!.includes(s.id)) : all;
  const byQuality = [...included].sort((a, b) => (b.quality ?? -1) - (a.quality ?? -1));
  const compared = opts.runs ?? byQuality.slice(0, MAX_COMPARED).map((s) => s.id);
  const allPages = opts.runs !== undefined || included.length <= MAX_RUN_PAGES;
  const withPages = new Set(allPages ? included.map((s) => s.id) : compared);
  return { included, compared, withPages };
}

/** Writes files into the output folder and remembers their names. */
class Output {
  readonly files: string[] = [];
  constructor(readonly dir: string) {}
  async write(name: string, text: string): Promise<void> {
    await writeFile(join(this.dir, name), text);
    this.files.push(name);
  }
}

interface Job {
  ctx: ReportContext;
  site: ReturnType<typeof siteContext>;
  templates: ExpressHandlebars;
  options: CompareOptions;
  out: Output;
}

async function writeRunsTable(job: Job, included: RunSummary[], shown: Set<string>, restricted: boolean) {
  const model = await runsPage(job.ctx, { live: false });
  if (restricted) {
    model.rows = model.rows.filter((r) => shown.has(r.id));
    model.shownCount = model.rows.length;
  }
  await job.out.write('index.html', await renderPage(job.templates, 'runs', { ...model, site: job.site }));
  const summaries = included.filter((s) => !restricted || shown.has(s.id));
  await job.out.write('runs.csv', runsCsv(summaries));
  await job.out.write('runs.json', `${JSON.stringify(runsJson(summaries), null, 2)}\n`);
  const groups = groupsOf(job.ctx.store, job.options.groupBy, summaries);
  await job.out.write('groups.csv', groupsCsv(groups));
  await job.out.write('groups.json', `${JSON.stringify({ groupBy: job.options.groupBy, groups }, null, 2)}\n`);
}

/** The chart scripts next to the pages (file:// pages may load scripts from their own folder). */
async function writeScripts(job: Job) {
  await mkdir(join(job.out.dir, 'vendor'), { recursive: true });
  for (const name of VENDOR_SCRIPTS) await job.out.write(`vendor/${name}`, vendorScript(name)!);
  await job.out.write('vendor/charts.js', await readFile(join(publicDir, 'charts.js'), 'utf8'));
}

async function writeComparison(job: Job, compared: string[], file: string) {
  const model = await comparePage(job.ctx, compared, job.options);
  await job.out.write(file, await renderPage(job.templates, 'compare', { ...model, site: job.site }));
  const runs = await loadRuns(job.ctx.store, compared);
  const pool = job.ctx.store.summaries().map((s) => ({ summary: s, record: job.ctx.store.record(s.id) ?? {} }));
  const rows = costQualityRows(runs, job.options.threshold, job.options.cost, pool);
  await job.out.write('compare.csv', compareCsv(rows));
  const json = { options: job.options, runs: rows, diff: model.diff, tensorboard: model.tensorboard };
  await job.out.write('compare.json', `${JSON.stringify(json, null, 2)}\n`);
  await job.out.write('definition-diff.csv', diffCsv(model.diff));
}

async function writeRunPage(job: Job, id: string) {
  const { smoothing, xAxis } = job.options;
  const model = await runPage(job.ctx, id, { smoothing, xAxis, inlineImages: true });
  if (!model) return;
  await job.out.write(staticRunFile(id), await renderPage(job.templates, 'run', { ...model, site: job.site }));
}

/** A sweep's page and its JSON, as the live site's `/sweeps/<name>` and `/api/sweeps/<name>.json`. */
async function writeSweepPage(job: Job, name: string) {
  const model = await sweepPage(job.ctx, name);
  if (!model) return;
  const json = staticSweepFile(name, 'json');
  const site = { ...job.site, api: { ...job.site.api, sweepJson: json } };
  await job.out.write(staticSweepFile(name), await renderPage(job.templates, 'sweep', { ...model, site }));
  await job.out.write(json, `${JSON.stringify(sweepJson(job.ctx.store, name, job.ctx.links), null, 2)}\n`);
}

/**
 * Writes a self-contained report: index.html (runs table), compare.html, one page per run and one
 * per sweep, with CSS, scripts, charts (SVG) and images (data URIs) inlined, linked by relative file names.
 */
export async function writeStaticReport(opts: StaticReportOptions): Promise<StaticReportResult> {
  const store = new RunStore(opts.logdir, { minRefreshMs: 0 });
  await store.refresh(true);
  const { included, compared, withPages } = chooseRuns(store, opts);
  const compareFile = compared.length > 0 ? 'compare.html' : null;
  const sweeps = sweepNames(included);
  const links = {
    ...staticLinks(compareFile),
    run: (id: string) => (withPages.has(id) ? staticRunFile(id) : ''),
    sweep: (name: string) => (sweeps.includes(name) ? staticSweepFile(name) : ''),
  };
  const tensorboardUrl = opts.tensorboardUrl ?? null;
  const compareApi = { compareCsv: 'compare.csv', compareJson: 'compare.json', diffCsv: 'definition-diff.csv' };
  const api = {
    runsCsv: 'runs.csv',
    runsJson: 'runs.json',
    groupsCsv: 'groups.csv',
    groupsJson: 'groups.json',
    ...(compareFile ? compareApi : {}),
  };
  const job: Job = {
    ctx: { store, links, tensorboardUrl, charts: new SvgCache() },
    site: siteContext(links, { logdir: resolve(opts.logdir), tensorboardUrl, compareHref: compareFile, api }),
    templates: createTemplates(),
    options: { ...DEFAULT_COMPARE, ...opts.compare },
    out: new Output(opts.out),
  };
  await mkdir(opts.out, { recursive: true });
  await writeScripts(job);
  await writeRunsTable(job, included, withPages, opts.runs !== undefined);
  if (compareFile) await writeComparison(job, compared, compareFile);
  for (const id of withPages) await writeRunPage(job, id);
  for (const name of sweeps) await writeSweepPage(job, name);
  return { files: job.out.files, compared, runs: included.length, sweeps };
}
