import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { SvgCache } from '../report/charts.ts';
import { costQualityRows, definitionDiffView, type CompareRun } from '../report/compare.ts';
import { toCsv } from '../report/csv.ts';
import type { EventSource } from '../report/event-source.ts';
import { serverLinks } from '../report/links.ts';
import { comparePage, parseCompareOptions, rowSignature, runPage, runsPage, type ReportContext } from '../report/pages.ts';
import { createTemplates, publicDir, renderPage } from '../report/render.ts';
import { COMPARE_COLUMNS, diffCsv, RUN_COLUMNS, runsJson } from '../report/serialize.ts';
import { siteContext } from '../report/site-context.ts';
import { RunStore } from '../report/store.ts';
import { tensorboardSource } from '../report/tb-source.ts';
import { tensorboardLinks } from '../report/tensorboard-link.ts';
import { runIdFromPath } from '../run/layout.ts';
import { loopbackHostGuard, securityHeaders } from './security.ts';

export interface SiteOptions {
  logdir: string;
  tensorboardUrl?: string;
  /** The address the server binds; loopback addresses turn on the Host-header guard. */
  host?: string;
  source?: EventSource;
  minRefreshMs?: number;
  staleAfterMs?: number;
  /** How often the runs page polls for changes (ms). */
  pollMs?: number;
}

function runIdsParam(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.filter((v): v is string => typeof v === 'string').flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean).slice(0, 50);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function createApp(opts: SiteOptions): { app: Express; store: RunStore } {
  const store = new RunStore(opts.logdir, { source: opts.source ?? tensorboardSource, minRefreshMs: opts.minRefreshMs, staleAfterMs: opts.staleAfterMs });
  const tensorboardUrl = opts.tensorboardUrl ?? 'http://localhost:6006';
  if (!URL.canParse(tensorboardUrl) || !/^https?:$/.test(new URL(tensorboardUrl).protocol)) {
    throw new Error(`tensorboardUrl: expected an http(s) URL, got ${tensorboardUrl}`);
  }
  const ctx: ReportContext = { store, links: serverLinks, tensorboardUrl, charts: new SvgCache() };
  const templates = createTemplates();
  const api = { runsCsv: '/api/runs.csv', runsJson: '/api/runs.json' };
  const site = (extra: Record<string, string> = {}) =>
    siteContext(serverLinks, { logdir: opts.logdir, tensorboardUrl, compareHref: '/compare', api: { ...api, ...extra }, pollMs: opts.pollMs });

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(loopbackHostGuard(opts.host ?? '127.0.0.1'));
  app.use(securityHeaders());
  app.use('/static', express.static(publicDir, { index: false, fallthrough: false, maxAge: 60_000 }));

  const html = async (res: Response, page: string, model: Record<string, unknown>, status = 200) => {
    res.status(status).set('Cache-Control', 'no-store').type('html').send(await renderPage(templates, page, model));
  };
  const notFound = (res: Response, message = 'There is no such page or run in this log directory.') =>
    html(res, 'error', { pageTitle: 'Not found', title: 'Not found', message, site: site() }, 404);
  const withStore = (handler: (req: Request, res: Response) => Promise<unknown>) => async (req: Request, res: Response, next: NextFunction) => {
    try {
      await store.refresh();
      await handler(req, res);
    } catch (err) {
      next(err);
    }
  };

  app.get('/', withStore(async (req, res) => {
    const model = await runsPage(ctx, { filter: str(req.query.filter), tag: str(req.query.tag), live: true });
    await html(res, 'runs', { ...model, site: site() });
  }));

  app.get('/compare', withStore(async (req, res) => {
    const ids = runIdsParam(req.query.runs);
    const options = parseCompareOptions(req.query);
    const model = await comparePage(ctx, ids, options);
    const q = new URLSearchParams({ runs: ids.join(','), threshold: String(options.threshold), cost: options.cost });
    await html(res, 'compare', { ...model, site: site({ compareCsv: `/api/compare.csv?${q}`, compareJson: `/api/compare.json?${q}`, diffCsv: `/api/compare/diff.csv?${q}` }) });
  }));

  app.get(/^\/runs\/.+/, withStore(async (req, res) => {
    const id = runIdFromPath(req.path, '/runs/');
    if (!id || !store.has(id)) return notFound(res);
    const options = parseCompareOptions(req.query);
    const model = await runPage(ctx, id, { smoothing: options.smoothing, xAxis: options.xAxis, inlineImages: false });
    if (!model) return notFound(res);
    await html(res, 'run', { ...model, site: site() });
  }));

  app.get(['/api/runs', '/api/runs.json'], withStore(async (_req, res) => {
    res.set('Cache-Control', 'no-store').json(runsJson(store.summaries()));
  }));
  app.get('/api/runs.csv', withStore(async (_req, res) => {
    res.set('Cache-Control', 'no-store').type('text/csv; charset=utf-8').attachment('runs.csv').send(toCsv(store.summaries(), RUN_COLUMNS));
  }));
  app.get('/api/runs/status.json', withStore(async (_req, res) => {
    res.set('Cache-Control', 'no-store').json(store.summaries().map((s) => ({ id: s.id, sig: rowSignature(s) })));
  }));

  const compareRuns = async (req: Request) => {
    const ids = [...new Set(runIdsParam(req.query.runs))];
    const options = parseCompareOptions(req.query);
    const runs: CompareRun[] = [];
    for (const id of ids) {
      const summary = store.summary(id);
      const record = store.record(id);
      if (summary && record) runs.push({ summary, record, events: await store.events(id) });
    }
    return { ids, options, runs, rows: costQualityRows(runs, options.threshold, options.cost) };
  };
  app.get(['/api/compare', '/api/compare.json'], withStore(async (req, res) => {
    const { ids, options, runs, rows } = await compareRuns(req);
    res.set('Cache-Control', 'no-store').json({
      options,
      runs: rows,
      missing: ids.filter((id) => !store.has(id)),
      diff: definitionDiffView(runs),
      tensorboard: tensorboardLinks(tensorboardUrl, { runIds: runs.map((r) => r.summary.id), smoothing: options.smoothing }),
    });
  }));
  app.get('/api/compare.csv', withStore(async (req, res) => {
    const { rows } = await compareRuns(req);
    res.set('Cache-Control', 'no-store').type('text/csv; charset=utf-8').attachment('compare.csv').send(toCsv(rows, COMPARE_COLUMNS));
  }));

  app.get('/api/compare/diff.csv', withStore(async (req, res) => {
    const { runs } = await compareRuns(req);
    res.set('Cache-Control', 'no-store').type('text/csv; charset=utf-8').attachment('definition-diff.csv').send(diffCsv(definitionDiffView(runs)));
  }));

  app.get(/^\/api\/runs\/.+\/scalars$/, withStore(async (req, res) => {
    const id = runIdFromPath(req.path, '/api/runs/', '/scalars');
    if (!id || !store.has(id)) return res.status(404).json({ error: 'no such run' });
    const events = await store.events(id);
    const tag = str(req.query.tag);
    if (!tag) return res.json({ run: id, tags: events?.scalarKeys() ?? [] });
    const points = events?.scalars(tag) ?? [];
    if (points.length === 0 && !events?.scalarKeys().includes(tag)) return res.status(404).json({ error: 'no such tag', tags: events?.scalarKeys() ?? [] });
    res.set('Cache-Control', 'no-store').json({ run: id, tag, points });
  }));

  app.get(/^\/api\/runs\/.+\/image$/, withStore(async (req, res) => {
    const id = runIdFromPath(req.path, '/api/runs/', '/image');
    if (!id || !store.has(id)) return res.status(404).json({ error: 'no such run' });
    const events = await store.events(id);
    const images = events?.images(str(req.query.tag) ?? '') ?? [];
    const index = Number(req.query.index ?? images.length - 1);
    const image = Number.isInteger(index) ? images[index] : undefined;
    if (!image) return res.status(404).json({ error: 'no such image' });
    res.set('Cache-Control', 'private, max-age=60').type('image/png').send(Buffer.from(image.png));
  }));

  app.use((_req: Request, res: Response) => void notFound(res));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    const status = (err as { status?: number })?.status;
    if (status && status >= 400 && status < 500) return void notFound(res).catch(() => res.status(404).end());
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    void html(res, 'error', { pageTitle: 'Error', title: 'Something went wrong', message, site: site() }, 500).catch(() => res.status(500).end());
  });
  return { app, store };
}
