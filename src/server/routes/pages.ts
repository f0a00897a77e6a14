import { Router } from 'express';
import { parseGroupBy } from '../../report/metrics/groups.ts';
import { comparePage } from '../../report/pages/compare-page.ts';
import { parseCompareOptions } from '../../report/pages/context.ts';
import { runPage } from '../../report/pages/run-page.ts';
import { runsPage } from '../../report/pages/runs-page.ts';
import { runIdsParam, stringParam } from '../query.ts';
import { sendNotFound, sendPage, withStore } from '../respond.ts';
import { runIdFromPath } from '../run-path.ts';
import type { Site } from '../site.ts';

/** The HTML pages: the runs table (`/`), a comparison (`/compare?runs=…`) and a run (`/runs/<id>`). */
export function pageRoutes(site: Site): Router {
  const router = Router();
  router.get(
    '/',
    withStore(site, async (req, res) => {
      const filter = stringParam(req.query.filter);
      const groupBy = parseGroupBy(req.query.group);
      const model = await runsPage(site.ctx, { filter, tag: stringParam(req.query.tag), live: true, groupBy });
      await sendPage(site, res, 'runs', { ...model, site: site.layout() });
    }),
  );

  router.get(
    '/compare',
    withStore(site, async (req, res) => {
      const ids = runIdsParam(req.query.runs);
      const options = parseCompareOptions(req.query);
      const model = await comparePage(site.ctx, ids, options);
      const q = new URLSearchParams({ runs: ids.join(','), threshold: String(options.threshold), cost: options.cost });
      const api = {
        compareCsv: `/api/compare.csv?${q}`,
        compareJson: `/api/compare.json?${q}`,
        diffCsv: `/api/compare/diff.csv?${q}`,
      };
      await sendPage(site, res, 'compare', { ...model, site: site.layout(api) });
    }),
  );

  router.get(
    /^\/runs\/.+/,
    withStore(site, async (req, res) => {
      const id = runIdFromPath(req.path, '/runs/');
      if (!id || !site.store.has(id)) return sendNotFound(site, res);
      const { smoothing, xAxis } = parseCompareOptions(req.query);
      const model = await runPage(site.ctx, id, { smoothing, xAxis, inlineImages: false });
      if (!model) return sendNotFound(site, res);
      await sendPage(site, res, 'run', { ...model, site: site.layout() });
    }),
  );
  return router;
}
