import type { MeasuredRun } from './measured-run.ts';

const PREFIX = 'test/per_class_accuracy/';

/** From run.json, else from the last value of each `test/per_class_accuracy/<class>` scalar. */
export function perClassAccuracy(run: Omit<MeasuredRun, 'summary'>): { label: string; value: number }[] {
  if (run.record.perClassAccuracy) {
    return Object.entries(run.record.perClassAccuracy).map(([label, value]) => ({ label, value }));
  }
  const events = run.events;
  if (!events) return [];
  return events
    .scalarKeys()
    .filter((k) => k.startsWith(PREFIX))
    .flatMap((k) => {
      const last = events.scalars(k).at(-1);
      return last ? [{ label: k.slice(PREFIX.length), value: last.value }] : [];
    });
}
