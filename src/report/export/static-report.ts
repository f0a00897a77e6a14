import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SvgCache } from './charts.ts';
import { costQualityRows } from './compare.ts';
import { toCsv } from './csv.ts';
import { COMPARE_COLUMNS, diffCsv, RUN_COLUMNS, runsJson } from './serialize.ts';
import type { EventSource } from './event-source.ts';
import { staticLinks, staticRunFile } from './links.ts';
import { comparePage, DEFAULT_COMPARE, runPage, runsPage, type CompareOptions, type ReportContext } from './pages.ts';
import { createTemplates, renderPage } from './render.ts';
import { siteContext } from './site-context.ts';
import { RunStore } from './store.ts';
import { tensorboardSource } from './tb-source.ts';

export interface StaticReportOptions {
  logdir: string;
  out: string;
  /** Runs to include; all runs when absent. */
  runs?: string[];
  tensorboardUrl?: string;
  compare?: Partial<CompareOptions>;
  /** Without `runs`, compare at most this many runs (the best by quality). */
  maxCompared?: number;
  /** Without `runs`, write a page per run only when there are at most this many. */
  maxRunPages?: number;
  source?: EventSource;
}

export interface StaticReportResult { files: string[]; compared: string[]; runs: number }

/**
 * Writes a self-contained report: index.html (runs table), compare.html and one page per run,
 * with CSS, scripts, charts (SVG) and images (data URIs) inlined, linked by relative file names.
 */
export async function writeStaticReport(opts: StaticReportOptions): Promise<StaticReportResult> {
  const store = new RunStore(opts.logdir, { source: opts.source ?? tensorboardSource, minRefreshMs: 0 });
  await store.refresh(true);
  const all = store.summaries();
  if (opts.runs) {
    const unknown = opts.runs.filter((id) => !store.has(id));
    if (unknown.length > 0) throw new Error(`--runs: no run ${unknown.map((u) => JSON.stringify(u)).join(', ')} in ${opts.logdir} (known: ${all.slice(0, 5).map((s) => s.id).join(', ')}${all.length > 5 ? ', …' : ''})`);
  }
  const included = opts.runs ? all.filter((s) => opts.runs!.includes(s.id)) : all;
  const compared = opts.runs
    ? opts.runs
    : [...included].sort((a, b) => (b.quality ?? -1) - (a.quality ?? -1)).slice(0, opts.maxCompared ?? 8).map((s) => s.id);
  const withPages = new Set(opts.runs || included.length <= (opts.maxRunPages ?? 100) ? included.map((s) => s.id) : compared);
  const compareFile = compared.length > 0 ? 'compare.html' : null;
  const base = staticLinks(compareFile);
  const links = { ...base, run: (id: string) => (withPages.has(id) ? staticRunFile(id) : '') };
  const tensorboardUrl = opts.tensorboardUrl ?? 'http://localhost:6006';
  const ctx: ReportContext = { store, links, tensorboardUrl, charts: new SvgCache() };
  const api = { runsCsv: 'runs.csv', runsJson: 'runs.json', ...(compareFile ? { compareCsv: 'compare.csv', compareJson: 'compare.json', diffCsv: 'definition-diff.csv' } : {}) };
  const site = siteContext(links, { logdir: resolve(opts.logdir), tensorboardUrl, compareHref: compareFile, api });
  const templates = createTemplates();
  const compareOptions = { ...DEFAULT_COMPARE, ...opts.compare };
  await mkdir(opts.out, { recursive: true });
  const files: string[] = [];
  const write = async (name: string, html: string) => {
    await writeFile(join(opts.out, name), html);
    files.push(name);
  };

  const runsModel = await runsPage(ctx, { live: false });
  if (opts.runs) {
    runsModel.rows = runsModel.rows.filter((r) => withPages.has(r.id));
    runsModel.shownCount = runsModel.rows.length;
  }
  await write('index.html', await renderPage(templates, 'runs', { ...runsModel, site }));
  const summaries = included.filter((s) => !opts.runs || withPages.has(s.id));
  await write('runs.csv', toCsv(summaries, RUN_COLUMNS));
  await write('runs.json', `${JSON.stringify(runsJson(summaries), null, 2)}\n`);
  if (compareFile) {
    const model = await comparePage(ctx, compared, compareOptions);
    await write(compareFile, await renderPage(templates, 'compare', { ...model, site }));
    const runs = compared.map((id) => ({ summary: store.summary(id)!, record: store.record(id)! }));
    const rows = costQualityRows(await Promise.all(runs.map(async (r) => ({ ...r, events: await store.events(r.summary.id) }))), compareOptions.threshold, compareOptions.cost);
    await write('compare.csv', toCsv(rows, COMPARE_COLUMNS));
    await write('compare.json', `${JSON.stringify({ options: compareOptions, runs: rows, diff: model.diff, tensorboard: model.tensorboard }, null, 2)}\n`);
    await write('definition-diff.csv', diffCsv(model.diff));
  }
  for (const id of withPages) {
    const model = await runPage(ctx, id, { smoothing: compareOptions.smoothing, xAxis: compareOptions.xAxis, inlineImages: true });
    if (model) await write(staticRunFile(id), await renderPage(templates, 'run', { ...model, site }));
  }
  return { files, compared, runs: included.length };
}
