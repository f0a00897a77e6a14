import { Router } from 'express';
import { describeDamage } from '../../report/store/damage.ts';
import { parseGroupBy } from '../../report/metrics/groups.ts';
import { comparePage } from '../../report/pages/compare-page.ts';
import { parseCompareOptions } from '../../report/pages/context.ts';
import { runPage } from '../../report/pages/run-page.ts';
import { runsPage } from '../../report/pages/runs-page.ts';
import { liveSignature } from '../live-signature.ts';
import { runIdsParam, stringParam } from '../query.ts';
import { freshEvents, runsKey, sendCachedPage, sendNotFound, withStore } from '../respond.ts';
import { runIdFromPath } from '../../run/layout.ts';
import type { Site } from '../site.ts';

/** The runs table's model with each damaged run marked (file, offset, what was skipped). */
async function runsModel(
  site: Site,
  filter: string | undefined,
  tag: string | undefined,
  groupBy: ReturnType<typeof parseGroupBy>,
) {
  const model = await runsPage(site.ctx, { filter, tag, live: true, groupBy });
  const rows = model.rows.map((row) => ({
    ...row,
    sig: liveSignature(site, row.id, row.sig),
    damage: site.store.damage(row.id).map(describeDamage),
  }));
  return { ...model, rows, site: site.layout() };
}

/** The HTML pages: the runs table (`/`), a comparison (`/compare?runs=…`) and a run (`/runs/<id>`). */
export function pageRoutes(site: Site): Router {
  const { store } = site;
  const router = Router();
  router.get(
    '/',
    withStore(site, async (req, res) => {
      const filter = stringParam(req.query.filter);
      const tag = stringParam(req.query.tag);
      const groupBy = parseGroupBy(req.query.group);
      const key = JSON.stringify([store.listVersion, filter, tag, groupBy]);
      await sendCachedPage(site, req, res, key, 'runs', () => runsModel(site, filter, tag, groupBy));
    }),
  );

  router.get(
    '/compare',
    withStore(site, async (req, res) => {
      const ids = runIdsParam(req.query.runs);
      const options = parseCompareOptions(req.query);
      await freshEvents(site, ids);
      const key = `${JSON.stringify(options)}|${runsKey(site, ids)}`;
      await sendCachedPage(site, req, res, key, 'compare', async () => {
        const model = await comparePage(site.ctx, ids, options);
        const q = new URLSearchParams({
          runs: ids.join(','),
          threshold: String(options.threshold),
          cost: options.cost,
        });
        const api = {
          compareCsv: `/api/compare.csv?${q}`,
          compareJson: `/api/compare.json?${q}`,
          diffCsv: `/api/compare/diff.csv?${q}`,
        };
        return { ...model, site: site.layout(api) };
      });
    }),
  );

  router.get(
    /^\/runs\/.+/,
    withStore(site, async (req, res) => {
      const id = runIdFromPath(req.path, '/runs/');
      if (!id || !store.has(id)) return sendNotFound(site, res);
      const { smoothing, xAxis } = parseCompareOptions(req.query);
      await freshEvents(site, [id]);
      const key = `${JSON.stringify([smoothing, xAxis])}|${runsKey(site, [id])}`;
      await sendCachedPage(site, req, res, key, 'run', async () => {
        const model = await runPage(site.ctx, id, { smoothing, xAxis, inlineImages: false });
        if (!model) throw Object.assign(new Error(`no run ${id}`), { status: 404 });
        const summary = { ...model.summary, sig: liveSignature(site, id, model.summary.sig) };
        return { ...model, summary, site: site.layout() };
      });
    }),
  );
  return router;
}
