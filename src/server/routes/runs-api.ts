import { Router } from 'express';
import { runsCsv, runsJson } from '../../report/export/tables.ts';
import { summarySignature } from '../live-signature.ts';
import { stringParam } from '../query.ts';
import { freshEvents, runsKey, sendCachedJson, sendCsv, withStore } from '../respond.ts';
import { runIdFromPath } from '../run-path.ts';
import type { Site } from '../site.ts';

/** The runs as data: the table (JSON, CSV), the live page's change signatures, a run's scalars and images. */
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
      const body = { version: store.listVersion, pendingDamageChecks: store.pendingDamageChecks() };
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
    '/api/runs/status.json',
    withStore(site, async (req, res) => {
      await sendCachedJson(req, res, site, `status|${store.listVersion}`, () =>
        store.summaries().map((s) => ({ id: s.id, sig: summarySignature(site, s) })),
      );
    }),
  );

  router.get(
    /^\/api\/runs\/.+\/scalars$/,
    withStore(site, async (req, res) => {
      const id = runIdFromPath(req.path, '/api/runs/', '/scalars');
      if (!id || !store.has(id)) return res.status(404).json({ error: 'no such run' });
      await freshEvents(site, [id]);
      const events = await store.events(id);
      const tags = events?.scalarKeys() ?? [];
      const tag = stringParam(req.query.tag);
      if (!tag) return res.json({ run: id, tags });
      if (!tags.includes(tag)) return res.status(404).json({ error: 'no such tag', tags });
      // The full series, every point (charts draw a thinned copy).
      await sendCachedJson(req, res, site, `scalars|${runsKey(site, [id])}|${tag}`, () => ({
        run: id,
        tag,
        points: events?.scalars(tag) ?? [],
      }));
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
