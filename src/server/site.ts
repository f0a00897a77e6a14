import type { ExpressHandlebars } from 'express-handlebars';
import { SvgCache } from '../report/pages/charts/svg-cache.ts';
import type { ReportContext } from '../report/pages/context.ts';
import { serverLinks } from '../report/pages/links.ts';
import { siteContext } from '../report/pages/site-context.ts';
import { createTemplates } from '../report/pages/templates.ts';
import { RunStore } from '../report/store/run-store.ts';
import { RenderCache } from './render-cache.ts';

export interface SiteOptions {
  logdir: string;
  tensorboardUrl?: string;
  /** The address the server binds; loopback addresses turn on the Host-header guard. */
  host?: string;
  minRefreshMs?: number;
  staleAfterMs?: number;
  /** How often the runs page polls for changes (ms). */
  pollMs?: number;
}

/** What every route reads from: the runs, the page context, the templates and the layout's `site`. */
export interface Site {
  store: RunStore;
  ctx: ReportContext;
  templates: ExpressHandlebars;
  /** Rendered pages and API bodies, by what they read. */
  renders: RenderCache;
  /** The layout context, with extra download links (`api`) for the page at hand. */
  layout(extraApi?: Record<string, string>): ReturnType<typeof siteContext>;
}

export function createSite(opts: SiteOptions): Site {
  const store = new RunStore(opts.logdir, {
    minRefreshMs: opts.minRefreshMs,
    staleAfterMs: opts.staleAfterMs,
    checkDamage: true,
  });
  const tensorboardUrl = opts.tensorboardUrl ?? 'http://localhost:6006';
  if (!URL.canParse(tensorboardUrl) || !/^https?:$/.test(new URL(tensorboardUrl).protocol)) {
    throw new Error(`tensorboardUrl: expected an http(s) URL, got ${tensorboardUrl}`);
  }
  const api = {
    runsCsv: '/api/runs.csv',
    runsJson: '/api/runs.json',
    groupsCsv: '/api/groups.csv',
    groupsJson: '/api/groups.json',
  };
  return {
    store,
    ctx: { store, links: serverLinks, tensorboardUrl, charts: new SvgCache() },
    templates: createTemplates(),
    renders: new RenderCache(),
    layout: (extraApi = {}) =>
      siteContext(serverLinks, {
        logdir: opts.logdir,
        tensorboardUrl,
        compareHref: '/compare',
        api: { ...api, ...extraApi },
        pollMs: opts.pollMs,
      }),
  };
}
