import { Router } from 'express';
import { groupsCsv, groupsOf, runsCsv, runsJson } from '../../report/export/tables.ts';
import { summarySignature } from '../live-signature.ts';
import { sendCachedJson, sendCsv, withStore } from '../respond.ts';
import { parseGroupBy } from '../../report/metrics/groups.ts';
import type { Site } from '../site.ts';

/** The runs as data: the table (JSON, CSV), the version and change signatures the live page polls. */
export function runsApiRoutes(site: Site): Router {
  const { store } = site;
  const router = Router();
  router.get(
    ['/api/runs', '/api/runs.json'],
    withStore(site, async (req, res) => {
      await sendCachedJson(req, res, site, `runs|${store.listVersion}`, () => {
        const summaries = store.summaries();
        const { runs } = runsJson(summaries);
        return { runs: runs.map((r, i) => ({ ...r, damage: store.damage(summaries[i].id) })) };
      });
    }),
  );
  // What a live page polls first: one number that changes whenever the runs table would.
  router.get(
    '/api/version.json',
    withStore(site, async (_req, res) => {
      const body = {
        version: store.listVersion,
        pendingDamageChecks: store.pendingDamageChecks(),
        // How many pages and API bodies were rendered since start (each is rendered once per change of its inputs).
        renders: site.renders.renders,
      };
      res.set('Cache-Control', 'no-store').json(body);
    }),
  );
  router.get(
    '/api/runs.csv',
    withStore(site, async (_req, res) => {
      sendCsv(res, 'runs.csv', runsCsv(store.summaries()));
    }),
  );
  router.get(
    ['/api/groups.json', '/api/groups.csv'],
    withStore(site, async (req, res) => {
      const by = parseGroupBy(req.query.group);
      const groups = groupsOf(store, by);
      if (req.path.endsWith('.csv')) return sendCsv(res, 'groups.csv', groupsCsv(groups));
      res.set('Cache-Control', 'no-store').json({ groupBy: by, groups });
    }),
  );
  router.get(
    '/api/runs/status.json',
    withStore(site, async (req, res) => {
      await sendCachedJson(req, res, site, `status|${store.listVersion}`, () =>
        store.summaries().map((s) => ({ id: s.id, sig: summarySignature(site, s) })),
      );
    }),
  );

  return router;
}
