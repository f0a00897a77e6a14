import { displayStatus } from '../metrics/cost-quality.ts';
import type { RunSummary } from '../metrics/run-summary.ts';
import { clip } from './format.ts';

/** How a run's status is shown: the word, its CSS class, a tooltip and a running run's progress. */
export function statusView(s: RunSummary) {
  const status = displayStatus(s);
  const running = s.progress ? `running: ${s.progress}` : status;
  const title = s.deadReason
    ? `says running, but ${s.deadReason}`
    : s.stale
      ? 'running, but no update for a long time'
      : s.error !== null
        ? clip(s.error, 1, 300)
        : running;
  const live = status === 'running';
  return { status, statusClass: `status-${status}`, statusTitle: title, progress: live ? s.progress : null };
}
