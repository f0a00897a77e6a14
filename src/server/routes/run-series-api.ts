import { Router } from 'express';
import { stringParam } from '../query.ts';
import { freshEvents, runsKey, sendCachedJson, withStore } from '../respond.ts';
import { runIdFromPath } from '../../run/layout.ts';
import type { Site } from '../site.ts';

/** One run's series as data: its scalar tags, a scalar series in full, an image from the event files. */
export function runSeriesRoutes(site: Site): Router {
  const { store } = site;
  const router = Router();
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
