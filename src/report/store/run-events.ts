import { join } from 'node:path';
import type { EventReader, EventSource, HParamsSession, ImagePoint, ScalarPoint, TextPoint } from './event-source.ts';

/**
 * All event files of one run directory (the run itself plus `train/`, `validation/`, …), read
 * incrementally. Keys name a tag the way TensorBoard names the series: `train/epoch_loss` for tag
 * `epoch_loss` of sub-run `train`, plain `test/accuracy` for a tag of the run directory itself.
 */
export class RunEvents {
  private readonly readers = new Map<string, EventReader>();
  private keyIndex = new Map<string, { sub: string; tag: string; kind: 'scalar' | 'image' | 'text' }>();

  /** Increments whenever anything new was read. */
  revision = 0;

  /** `only`: the sub-runs to read (default: every event directory below `dir` except checkpoints). */
  constructor(private readonly dir: string, private readonly source: EventSource, private readonly only?: ReadonlySet<string>) {}

  /** Discovers new sub-runs and reads what was appended since the last call; true when anything changed. */
  async update(): Promise<boolean> {
    const subs = (await this.source.discover(this.dir).catch(() => [] as string[]))
      .filter((s) => (this.only ? this.only.has(s) : s === '.' || !s.split('/').includes('checkpoints')));
    let changed = false;
    for (const sub of subs) {
      if (!this.readers.has(sub)) {
        this.readers.set(sub, this.source.open(sub === '.' ? this.dir : join(this.dir, sub)));
        changed = true;
      }
    }
    const results = await Promise.all([...this.readers.values()].map((r) => r.update()));
    if (changed || results.some(Boolean)) {
      this.reindex();
      this.revision += 1;
      return true;
    }
    return false;
  }

  private reindex(): void {
    const index = new Map<string, { sub: string; tag: string; kind: 'scalar' | 'image' | 'text' }>();
    for (const [sub, reader] of this.readers) {
      const add = (tag: string, kind: 'scalar' | 'image' | 'text') => {
        const key = sub === '.' ? tag : `${sub}/${tag}`;
        if (!index.has(key)) index.set(key, { sub, tag, kind });
      };
      for (const tag of reader.scalarTags()) add(tag, 'scalar');
      for (const tag of reader.imageTags()) add(tag, 'image');
      for (const tag of reader.textTags()) add(tag, 'text');
    }
    this.keyIndex = index;
  }

  private keysOf(kind: 'scalar' | 'image' | 'text'): string[] {
    return [...this.keyIndex].filter(([, v]) => v.kind === kind).map(([k]) => k).sort();
  }

  scalarKeys(): string[] { return this.keysOf('scalar'); }
  imageKeys(): string[] { return this.keysOf('image'); }
  textKeys(): string[] { return this.keysOf('text'); }

  scalars(key: string): ScalarPoint[] {
    const hit = this.keyIndex.get(key);
    return hit?.kind === 'scalar' ? this.readers.get(hit.sub)!.scalars(hit.tag) : [];
  }

  images(key: string): ImagePoint[] {
    const hit = this.keyIndex.get(key);
    return hit?.kind === 'image' ? this.readers.get(hit.sub)!.images(hit.tag) : [];
  }

  texts(key: string): TextPoint[] {
    const hit = this.keyIndex.get(key);
    return hit?.kind === 'text' ? this.readers.get(hit.sub)!.texts(hit.tag) : [];
  }

  /** The HParams session of the run (from whichever of its event directories holds one). */
  hparams(): HParamsSession {
    const out: HParamsSession = {};
    for (const [, reader] of [...this.readers].sort(([a], [b]) => (a === '.' ? -1 : b === '.' ? 1 : a < b ? -1 : 1))) {
      const hp = reader.hparams();
      out.sessionStart ??= hp.sessionStart;
      out.sessionEnd ??= hp.sessionEnd;
    }
    return out;
  }

  warnings(): string[] {
    return [...this.readers.values()].flatMap((r) => r.warnings());
  }
}
