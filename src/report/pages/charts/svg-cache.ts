/** A small cache of rendered charts keyed by what went into them; the least recently used goes first. */
export class SvgCache {
  private readonly map = new Map<string, Promise<string>>();
  constructor(private readonly max = 400) {}

  get(key: string, render: () => Promise<string>): Promise<string> {
    const hit = this.map.get(key);
    if (hit) {
      this.map.delete(key);
      this.map.set(key, hit);
      return hit;
    }
    const made = render();
    made.catch(() => this.map.delete(key));
    this.map.set(key, made);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
    return made;
  }
}
