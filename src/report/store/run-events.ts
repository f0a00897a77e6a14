import { join } from 'node:path';
import { discoverRuns, RunReader } from '../../tensorboard/index.ts';
import type { HParamsData, ImagePoint, ScalarPoint, TextPoint } from '../../tensorboard/index.ts';
import { damageOf, describeDamage, type DamageWarning } from './damage.ts';

type SeriesKind = 'scalar' | 'image' | 'text';

/** Event-file directories inside one run (`.`, `train`, `validation`, …), never through a symbolic link. */
function eventDirsOf(dir: string): Promise<string[]> {
  const skipDir = (name: string) => name === 'checkpoints' || name.startsWith('.');
  return discoverRuns(dir, { followSymlinks: false, maxDepth: 3, skipDir });
}

/**
 * All event files of one run directory (the run itself plus `train/`, `validation/`, …), read
 * incrementally. Keys name a tag the way TensorBoard names the series: `train/epoch_loss` for tag
 * `epoch_loss` of sub-run `train`, plain `test/accuracy` for a tag of the run directory itself.
 */
export class RunEvents {
  private readonly readers = new Map<string, RunReader>();
  private keyIndex = new Map<string, { sub: string; tag: string; kind: SeriesKind }>();

  /** Increments whenever anything new was read. */
  revision = 0;

  /**
   * `only`: the sub-runs to read (default: every event directory below `dir` except checkpoints);
   * `logdir`: what damaged files are named relative to.
   */
  constructor(
    private readonly dir: string,
    private readonly only?: ReadonlySet<string>,
    private readonly logdir = dir,
  ) {}

  /** Discovers new sub-runs and reads what was appended since the last call; true when anything changed. */
  async update(): Promise<boolean> {
    const subs = (await eventDirsOf(this.dir).catch(() => [] as string[])).filter((s) =>
      this.only ? this.only.has(s) : s === '.' || !s.split('/').includes('checkpoints'),
    );
    let changed = false;
    for (const sub of subs) {
      if (!this.readers.has(sub)) {
        this.readers.set(sub, new RunReader(sub === '.' ? this.dir : join(this.dir, sub)));
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
    const index = new Map<string, { sub: string; tag: string; kind: SeriesKind }>();
    for (const [sub, reader] of this.readers) {
      const add = (tag: string, kind: SeriesKind) => {
        const key = sub === '.' ? tag : `${sub}/${tag}`;
        if (!index.has(key)) index.set(key, { sub, tag, kind });
      };
      for (const tag of reader.tags('scalars')) add(tag, 'scalar');
      for (const tag of reader.tags('images')) add(tag, 'image');
      for (const tag of reader.tags('texts')) add(tag, 'text');
    }
    this.keyIndex = index;
  }

  private keysOf(kind: SeriesKind): string[] {
    return [...this.keyIndex]
      .filter(([, v]) => v.kind === kind)
      .map(([k]) => k)
      .sort();
  }

  scalarKeys(): string[] {
    return this.keysOf('scalar');
  }
  imageKeys(): string[] {
    return this.keysOf('image');
  }
  textKeys(): string[] {
    return this.keysOf('text');
  }

  /** The reader and tag behind a key, when the key names a series of that kind. */
  private series(key: string, kind: SeriesKind): { reader: RunReader; tag: string } | undefined {
    const hit = this.keyIndex.get(key);
    return hit?.kind === kind ? { reader: this.readers.get(hit.sub)!, tag: hit.tag } : undefined;
  }

  scalars(key: string): ScalarPoint[] {
    const hit = this.series(key, 'scalar');
    return hit ? hit.reader.scalars(hit.tag) : [];
  }

  images(key: string): ImagePoint[] {
    const hit = this.series(key, 'image');
    return hit ? hit.reader.images(hit.tag) : [];
  }

  texts(key: string): TextPoint[] {
    const hit = this.series(key, 'text');
    return hit ? hit.reader.texts(hit.tag) : [];
  }

  /** The HParams session of the run (from whichever of its event directories holds one). */
  hparams(): HParamsData {
    const out: HParamsData = {};
    const rootFirst = [...this.readers].sort(([a], [b]) => (a === '.' ? -1 : b === '.' ? 1 : a < b ? -1 : 1));
    for (const [, reader] of rootFirst) {
      const hp = reader.hparams();
      out.sessionStart ??= hp.sessionStart;
      out.sessionEnd ??= hp.sessionEnd;
    }
    return out;
  }

  /** The readers' warnings, their lines about damage worded by `describeDamage` (file relative to the logdir). */
  warnings(): string[] {
    const readers = [...this.readers.values()];
    const damageLine = (w: string) =>
      readers.some((r) =>
        r.damage.some((d) => w.startsWith(`${d.file}: ${d.reason} in the record at byte ${d.offset}`)),
      );
    return [...readers.flatMap((r) => r.warnings).filter((w) => !damageLine(w)), ...this.damage().map(describeDamage)];
  }

  /** Damaged stretches of the event files read so far. */
  damage(): DamageWarning[] {
    return [...this.readers.values()].flatMap((r) => r.damage).map((d) => damageOf(this.logdir, d));
  }

  /** Scalar points held in memory (what the store's budget of loaded runs counts). */
  scalarPointCount(): number {
    let n = 0;
    for (const reader of this.readers.values()) {
      for (const tag of reader.tags('scalars')) n += reader.scalarColumns(tag).values.length;
    }
    return n;
  }
}
