import { Router } from 'express';
import { sweepNames } from '../../report/metrics/sweep-summary.ts';
import { sweepJson, sweepPage } from '../../report/pages/sweep-page.ts';
import { SWEEP_NAME_PATTERN } from '../../sweep/definition.ts';
import { sendCachedJson, sendCachedPage, sendNotFound, withStore } from '../respond.ts';
import type { Site } from '../site.ts';

/** Why there is no sweep page: one line, naming the sweep. */
function missing(name: string): string {
  const shown = JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name);
  if (!SWEEP_NAME_PATTERN.test(name)) {
    return `${shown} is not a sweep name (1–40 letters, digits, '.', '_' or '-', starting with a letter or digit)`;
  }
  return `no sweep ${shown} in this log directory: no run is tagged sweep:${name}`;
}

const known = (site: Site, name: string): boolean =>
  SWEEP_NAME_PATTERN.test(name) && sweepNames(site.store.summaries()).includes(name);

/** A sweep's page (`/sweeps/<name>`) and its data (`/api/sweeps/<name>.json`). */
export function sweepRoutes(site: Site): Router {
  const router = Router();
  router.get(
    '/sweeps/:name',
    withStore(site, async (req, res) => {
      const name = String(req.params.name);
      if (!known(site, name)) return sendNotFound(site, res, missing(name));
      const key = JSON.stringify([site.store.listVersion, name]);
      const api = { sweepJson: `/api/sweeps/${encodeURIComponent(name)}.json` };
      await sendCachedPage(site, req, res, key, 'sweep', async () => {
        const model = await sweepPage(site.ctx, name);
        if (!model) throw Object.assign(new Error(missing(name)), { status: 404 });
        return { ...model, site: site.layout(api) };
      });
    }),
  );
  router.get(
    '/api/sweeps/:file',
    withStore(site, async (req, res) => {
      const file = String(req.params.file);
      const name = file.endsWith('.json') ? file.slice(0, -'.json'.length) : file;
      if (!known(site, name))
        return void res
          .status(404)
          .set('Cache-Control', 'no-store')
          .json({ error: missing(name) });
      await sendCachedJson(req, res, site, `sweep|${site.store.listVersion}|${name}`, () =>
        sweepJson(site.store, name, site.ctx.links),
      );
    }),
  );
  return router;
}
