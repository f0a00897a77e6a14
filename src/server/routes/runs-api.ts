import { Router } from 'express';
import { groupsCsv, groupsOf, runsCsv, runsJson } from '../../report/export/tables.ts';
import { parseGroupBy } from '../../report/metrics/groups.ts';
import { rowSignature } from '../../report/pages/runs-page.ts';
import { stringParam } from '../query.ts';
import { sendCsv, withStore } from '../respond.ts';
import { runIdFromPath } from '../run-path.ts';
import type { Site } from '../site.ts';

/** The runs as data: the table (JSON, CSV), the live page's change signatures, a run's scalars and images. */
export function runsApiRoutes(site: Site): Router {
  const { store } = site;
  const router = Router();
  router.get(
    ['/api/runs', '/api/runs.json'],
    withStore(site, async (_req, res) => {
      res.set('Cache-Control', 'no-store').json(runsJson(store.summaries()));
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
    withStore(site, async (_req, res) => {
      res.set('Cache-Control', 'no-store').json(store.summaries().map((s) => ({ id: s.id, sig: rowSignature(s) })));
    }),
  );

  router.get(
    /^\/api\/runs\/.+\/scalars$/,
    withStore(site, async (req, res) => {
      const id = runIdFromPath(req.path, '/api/runs/', '/scalars');
      if (!id || !store.has(id)) return res.status(404).json({ error: 'no such run' });
      const events = await store.events(id);
      const tags = events?.scalarKeys() ?? [];
      const tag = stringParam(req.query.tag);
      if (!tag) return res.json({ run: id, tags });
      const points = events?.scalars(tag) ?? [];
      if (points.length === 0 && !tags.includes(tag)) return res.status(404).json({ error: 'no such tag', tags });
      res.set('Cache-Control', 'no-store').json({ run: id, tag, points });
    }),
  );

  router.get(
    /^\/api\/runs\/.+\/image$/,
    withStore(site, async (req, res) => {
      const id = runIdFromPath(req.path, '/api/runs/', '/image');
      if (!id || !store.has(id)) return res.status(404).json({ error: 'no such run' });
      const images = (await store.events(id))?.images(stringParam(req.query.tag) ?? '') ?? [];
      const index = Number(req.query.index ?? images.length - 1);
      const image = Number.isInteger(index) ? images[index] : undefined;
      if (!image) return res.status(404).json({ error: 'no such image' });
      res.set('Cache-Control', 'private, max-age=60').type('image/png').send(Buffer.from(image.png));
    }),
  );
  return router;
}
