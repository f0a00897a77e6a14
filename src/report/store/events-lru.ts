/**
 * Which runs keep their event data in memory: the least recently used go first once the loaded
 * runs hold more than `maxPoints` scalar points or number more than `maxRuns`. The most recent run
 * always stays, however large.
 */
export class EventsLru {
  private readonly sizes = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly maxRuns: number,
    private readonly maxPoints: number,
    private readonly evict: (id: string) => void,
  ) {}

  /** Marks `id` as just used, holding `points`; evicts others while over the limits. */
  touch(id: string, points: number): void {
    this.total -= this.sizes.get(id) ?? 0;
    this.sizes.delete(id);
    this.sizes.set(id, points);
    this.total += points;
    while (this.sizes.size > 1 && (this.sizes.size > this.maxRuns || this.total > this.maxPoints)) {
      const oldest = this.sizes.keys().next().value!;
      this.forget(oldest);
      this.evict(oldest);
    }
  }

  forget(id: string): void {
    this.total -= this.sizes.get(id) ?? 0;
    this.sizes.delete(id);
  }

  get loadedRuns(): number {
    return this.sizes.size;
  }
}
