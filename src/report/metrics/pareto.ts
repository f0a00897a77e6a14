interface CostQualityPoint {
  id: string;
  cost: number;
  quality: number;
}

/**
 * Ids on the Pareto front of "lower cost, higher quality": a point is on the front when no other
 * point is at most as costly and at least as good with one of the two strictly better.
 * Points with a non-finite cost or quality are never on the front.
 */
export function paretoFront(points: readonly CostQualityPoint[]): Set<string> {
  const valid = points.filter((p) => Number.isFinite(p.cost) && Number.isFinite(p.quality));
  const sorted = [...valid].sort((a, b) => a.cost - b.cost || b.quality - a.quality);
  const front = new Set<string>();
  let bestQuality = -Infinity;
  let bestCost = NaN;
  for (const p of sorted) {
    if (p.quality > bestQuality) {
      front.add(p.id);
      bestQuality = p.quality;
      bestCost = p.cost;
    } else if (p.quality === bestQuality && p.cost === bestCost) {
      front.add(p.id); // exact ties with a front point are not dominated either
    }
  }
  return front;
}
