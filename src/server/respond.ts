import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { renderPage } from '../report/pages/templates.ts';
import type { Rendered } from './render-cache.ts';
import type { Site } from './site.ts';

/** Renders a page into the layout, uncached (error pages). */
export async function sendPage(site: Site, res: Response, page: string, model: Record<string, unknown>, status = 200) {
  const html = await renderPage(site.templates, page, model);
  res.status(status).set('Cache-Control', 'no-store').type('html').send(html);
}

/**
 * A page rendered once per `key` (what it reads), shared by concurrent requests. `model` runs only
 * when the key is not cached yet.
 */
export async function sendCachedPage(
  site: Site,
  req: Request,
  res: Response,
  key: string,
  page: string,
  model: () => Promise<Record<string, unknown>>,
) {
  const rendered = await site.renders.get(`page|${page}|${key}`, async () => ({
    body: await renderPage(site.templates, page, await model()),
    type: 'text/html; charset=utf-8',
  }));
  sendRendered(req, res, rendered);
}

/** A JSON body built once per `key`. */
export async function sendCachedJson(req: Request, res: Response, site: Site, key: string, value: () => unknown) {
  const rendered = await site.renders.get(`json|${key}`, async () => ({
    body: JSON.stringify(await value()),
    type: 'application/json; charset=utf-8',
  }));
  sendRendered(req, res, rendered);
}

/**
 * Sends a cached body: 304 when the browser already holds this ETag, gzip when it accepts it.
 * `no-cache` lets the browser keep the body but asks us again each time (runs change under it).
 */
function sendRendered(req: Request, res: Response, r: Rendered) {
  res.status(r.status).set({ ETag: r.etag, 'Cache-Control': 'no-cache', Vary: 'Accept-Encoding' });
  const tags = (req.headers['if-none-match'] ?? '').split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (r.status === 200 && (tags.includes(r.etag) || tags.includes('*'))) return void res.status(304).end();
  const gzipped = r.gzipped && req.acceptsEncodings('gzip') === 'gzip' ? r.gzipped : null;
  if (gzipped) res.set('Content-Encoding', 'gzip');
  res.type(r.type).send(gzipped ?? r.body);
}

/** A CSV download. */
export function sendCsv(res: Response, file: string, text: string) {
  res.set('Cache-Control', 'no-store').type('text/csv; charset=utf-8').attachment(file).send(text);
}

const NOT_FOUND = 'There is no such page or run in this log directory.';

export function sendNotFound(site: Site, res: Response, message = NOT_FOUND) {
  const model = { pageTitle: 'Not found', title: 'Not found', message, site: site.layout() };
  return sendPage(site, res, 'error', model, 404);
}

/**
 * A route over the runs as loaded. Only the first request waits for the logdir scan; later ones
 * are answered from what is loaded while a rescan (at most one a `minRefreshMs`, shared) runs.
 */
export function withStore(site: Site, handler: (req: Request, res: Response) => Promise<unknown>): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      if (site.store.loaded) void site.store.refresh().catch(() => undefined);
      else await site.store.refresh();
      await handler(req, res);
    } catch (err) {
      next(err);
    }
  };
}

/**
 * Loads the event data of `ids` that is not in memory yet; data already loaded is brought up to
 * date in the background (rate-limited per run by the store) and shows from the next request on.
 */
export async function freshEvents(site: Site, ids: readonly string[]): Promise<void> {
  const { store } = site;
  const read = (id: string) => store.events(id).catch(() => undefined);
  for (const id of ids) if (store.eventsLoaded(id)) void read(id);
  await Promise.all(ids.filter((id) => store.has(id) && !store.eventsLoaded(id)).map(read));
}

/** What a cache key says about runs: each id with its revision (or `-` for an unknown id). */
export function runsKey(site: Site, ids: readonly string[]): string {
  return ids.map((id) => `${id}@${site.store.revisionOf(id) ?? '-'}`).join('\u0000');
}
