import { Router, type Request } from 'express';
import { compareCsv, diffCsv } from '../../report/export/tables.ts';
import { costQualityRows } from '../../report/metrics/cost-quality.ts';
import { definitionDiffView } from '../../report/metrics/definition-diff.ts';
import { parseCompareOptions } from '../../report/pages/context.ts';
import { tensorboardLinks } from '../../report/pages/tensorboard-links.ts';
import { loadRuns } from '../../report/store/load-runs.ts';
import { runIdsParam } from '../query.ts';
import { freshEvents, runsKey, sendCachedJson, sendCsv, withStore } from '../respond.ts';
import type { Site } from '../site.ts';

/** A comparison as data: cost/quality rows with time-to-accuracy and Pareto membership, and the definition diff. */
export function compareApiRoutes(site: Site): Router {
  const compared = async (req: Request) => {
    const ids = [...new Set(runIdsParam(req.query.runs))];
    const options = parseCompareOptions(req.query);
    const runs = await loadRuns(site.store, ids);
    return { ids, options, runs, rows: costQualityRows(runs, options.threshold, options.cost) };
  };
  const router = Router();
  router.get(
    ['/api/compare', '/api/compare.json'],
    withStore(site, async (req, res) => {
      const ids = [...new Set(runIdsParam(req.query.runs))];
      await freshEvents(site, ids);
      const key = `compare|${JSON.stringify(parseCompareOptions(req.query))}|${runsKey(site, ids)}`;
      await sendCachedJson(req, res, site, key, async () => {
        const { options, runs, rows } = await compared(req);
        const runIds = runs.map((r) => r.summary.id);
        return {
          options,
          runs: rows,
          missing: ids.filter((id) => !site.store.has(id)),
          diff: definitionDiffView(runs),
          tensorboard: site.ctx.tensorboardUrl
            ? tensorboardLinks(site.ctx.tensorboardUrl, { runIds, smoothing: options.smoothing })
            : null,
        };
      });
    }),
  );
  router.get(
    '/api/compare.csv',
    withStore(site, async (req, res) => {
      sendCsv(res, 'compare.csv', compareCsv((await compared(req)).rows));
    }),
  );
  router.get(
    '/api/compare/diff.csv',
    withStore(site, async (req, res) => {
      sendCsv(res, 'definition-diff.csv', diffCsv(definitionDiffView((await compared(req)).runs)));
    }),
  );
  return router;
}
