import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { renderPage } from '../report/pages/templates.ts';
import type { Site } from './site.ts';

/** Renders a page into the layout; pages are never cached (runs change under them). */
export async function sendPage(site: Site, res: Response, page: string, model: Record<string, unknown>, status = 200) {
  const html = await renderPage(site.templates, page, model);
  res.status(status).set('Cache-Control', 'no-store').type('html').send(html);
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

/** A route that sees the runs as of now (the store rescans at most every `minRefreshMs`). */
export function withStore(site: Site, handler: (req: Request, res: Response) => Promise<unknown>): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      await site.store.refresh();
      await handler(req, res);
    } catch (err) {
      next(err);
    }
  };
}
