// src/server/: the live site over a log directory — Express with helmet's security headers, a
// loopback Host guard, the static assets, and the routes in routes/ (pages, runs API, compare API),
// each a thin layer over src/report. May import src/report; nothing imports src/server but the CLIs.
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { publicDir } from '../report/pages/templates.ts';
import { vendorScript } from '../report/pages/vendor-assets.ts';
import { sendNotFound, sendPage } from './respond.ts';
import { compareApiRoutes } from './routes/compare-api.ts';
import { pageRoutes } from './routes/pages.ts';
import { runSeriesRoutes } from './routes/run-series-api.ts';
import { runsApiRoutes } from './routes/runs-api.ts';
import { sweepRoutes } from './routes/sweep.ts';
import { loopbackHostGuard, securityHeaders } from './security.ts';
import { createSite, type Site, type SiteOptions } from './site.ts';

/** A 4xx from Express (bad URL encoding, …) is a not-found page; anything else a one-line error page. */
function errorHandler(site: Site) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    const status = (err as { status?: number })?.status;
    if (status && status >= 400 && status < 500) return void sendNotFound(site, res).catch(() => res.status(404).end());
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    const model = { pageTitle: 'Error', title: 'Something went wrong', message, site: site.layout() };
    void sendPage(site, res, 'error', model, 500).catch(() => res.status(500).end());
  };
}

/** The site's app; `site` may be passed in to look at its store and render cache (tests, benches). */
export function createApp(opts: SiteOptions, site: Site = createSite(opts)): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(loopbackHostGuard(opts.host ?? '127.0.0.1'));
  app.use(securityHeaders());
  app.get('/static/vendor/:name', (req, res, next) => {
    const script = vendorScript(req.params.name);
    if (script === null) return next();
    res.set('Cache-Control', 'public, max-age=3600').type('text/javascript').send(script);
  });
  app.use('/static', express.static(publicDir, { index: false, fallthrough: false, maxAge: 60_000 }));
  app.use(pageRoutes(site));
  app.use(runsApiRoutes(site));
  app.use(runSeriesRoutes(site));
  app.use(compareApiRoutes(site));
  app.use(sweepRoutes(site));
  app.use((_req: Request, res: Response) => void sendNotFound(site, res));
  app.use(errorHandler(site));
  return app;
}
