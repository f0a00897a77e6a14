// src/report/pages/: the HTML pages (runs, run, compare) and their SVG/Vega-Lite charts, rendered
// with Handlebars from report/store and report/metrics; imports run/ for ids and URLs, never train/.
import type { SiteLinks } from './links.ts';
import { tensorboardLinks } from './tensorboard-links.ts';
import { readAsset } from './templates.ts';
import { VENDOR_SCRIPTS } from './vendor-assets.ts';

interface SiteContextOptions {
  logdir: string;
  tensorboardUrl: string | null;
  compareHref?: string | null;
  api?: Record<string, string> | null;
  pollMs?: number;
}

/** What the layout needs to know about where it is rendered (`site` in the templates). */
export function siteContext(links: SiteLinks, opts: SiteContextOptions) {
  const isStatic = links.mode === 'static';
  return {
    mode: links.mode,
    live: !isStatic,
    home: links.home,
    css: isStatic ? null : links.asset('site.css'),
    js: isStatic ? null : links.asset('site.js'),
    inlineCss: isStatic ? readAsset('site.css') : null,
    inlineJs: isStatic ? readAsset('site.js') : null,
    scripts: VENDOR_SCRIPTS.map((name) => (isStatic ? `vendor/${name}` : links.asset(`vendor/${name}`))).concat(
      isStatic ? ['vendor/charts.js'] : [links.asset('charts.js')],
    ),
    compareHref: opts.compareHref ?? null,
    compareBase: isStatic ? null : '/compare',
    tensorboard: opts.tensorboardUrl ? tensorboardLinks(opts.tensorboardUrl, { runIds: [] }).timeseries : null,
    logdir: opts.logdir,
    generated: isStatic ? new Date().toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : null,
    api: opts.api ?? null,
    pollMs: opts.pollMs ?? 5000,
  };
}
