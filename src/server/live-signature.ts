import type { RunSummary } from '../report/metrics/run-summary.ts';
import { rowSignature } from '../report/pages/runs-page.ts';
import type { Site } from './site.ts';

/** A row's signature for the live runs page: the table's own, plus how much damage its event files show. */
export function liveSignature(site: Site, id: string, sig: string): string {
  const damage = site.store.damage(id).length;
  return damage > 0 ? `${sig}|damaged ${damage}` : sig;
}

export function summarySignature(site: Site, s: RunSummary): string {
  return liveSignature(site, s.id, rowSignature(s));
}
