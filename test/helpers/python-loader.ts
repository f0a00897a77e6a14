// What TensorBoard's Python loader (`--load_fast=false`, also its fallback without the data
// server) would display for a log directory, reload by reload, for tests of live runs. It follows
// TB's rules (shared/docs/tensorboard-live.md, tensorboard-format.md §7.1), not this project's reader:
// - directory_watcher.py: per run directory, event files in name order, one at a time; before
//   moving to a later-named file it reads the current one once more, and it never returns. An
//   earlier file that grows (or appears) afterwards is logged, once per run, and not read.
// - event_file_loader.py: records up to a partial or damaged one; the next reload retries there.
// - plugin_event_accumulator.py: the first SummaryMetadata per tag wins for the life of the
//   process (so does the HParams content inside it); with file_version >= 2, a SessionLog START
//   drops every point of the run with step >= its step.
// - hparams plugin: the experiment is the first run's `_hparams_/experiment`; a session's start
//   and end are the first metadata of their tags in that run.
// Unlike TensorBoard it keeps every point (no reservoir sampling: scalars beyond 1,000 per tag
// would be thinned there), so keep tests below TensorBoard's sample sizes.
// Records are framed with format/record.ts and decoded with format/protos.ts and read/'s tensor
// and HParams decoders; `reload()` is one pass of TensorBoard's reload loop.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { scanRecords } from '../../src/tensorboard/format/record.ts';
import { EventMessage, toNumber } from '../../src/tensorboard/format/protos.ts';
import type { DecodedEvent, DecodedSummaryValue } from '../../src/tensorboard/format/decoded.ts';
import { isEventFileName } from '../../src/tensorboard/format/file-name.ts';
import { EXPERIMENT_TAG, SESSION_END_TAG, SESSION_START_TAG } from '../../src/tensorboard/format/hparams-plugin.ts';
import type { HParamsExperiment, SessionEnd, SessionStart } from '../../src/tensorboard/format/hparams-plugin.ts';
import { decodeHParamsContent } from '../../src/tensorboard/read/hparams-decode.ts';
import { tensorValues } from '../../src/tensorboard/read/tensor-values.ts';
import { discoverRuns } from '../../src/tensorboard/read/discover.ts';

export interface ShownPoint {
  step: number;
  wallTime: number;
}
export interface ShownScalar extends ShownPoint {
  value: number;
}
export interface ShownImage extends ShownPoint {
  width: number;
  height: number;
  images: number;
}
export interface ShownText extends ShownPoint {
  text: string;
}

interface TagState {
  plugin: string;
  content: Uint8Array;
  points: (ShownScalar | ShownImage | ShownText | ShownPoint)[];
}

const OOO_WRITE_CHECK_COUNT = 20;

/** One run directory: its DirectoryWatcher and EventAccumulator. */
class RunView {
  current: string | undefined;
  offset = 0;
  private readonly finalizedSizes = new Map<string, number>();
  private oooDetected = false;
  fileVersion = 0;
  readonly tags = new Map<string, TagState>();

  constructor(
    readonly dir: string,
    private readonly log: (line: string) => void,
  ) {}

  async reload(): Promise<void> {
    if (this.current === undefined) {
      this.current = await this.nextPath();
      if (this.current === undefined) return;
    }
    while (true) {
      await this.loadCurrent();
      const next = await this.nextPath();
      if (next === undefined) return;
      await this.loadCurrent(); // in case it grew before the switch
      await this.finalize(this.current!);
      this.current = next;
      this.offset = 0;
    }
  }

  /** _SetPath: remembers the size of the file it leaves (a deleted one is logged). */
  private async finalize(name: string): Promise<void> {
    try {
      this.finalizedSizes.set(name, (await stat(join(this.dir, name))).size);
    } catch (err) {
      this.log(`Unable to get size of ${join(this.dir, name)}: ${(err as Error).message}`);
    }
  }

  private async nextPath(): Promise<string | undefined> {
    const paths = (await readdir(this.dir)).filter(isEventFileName).sort();
    if (paths.length === 0) return undefined;
    if (this.current === undefined) return paths[0];
    if (!this.oooDetected) {
      const at = paths.findIndex((p) => p >= this.current!);
      const end = at < 0 ? paths.length : at;
      for (const p of paths.slice(Math.max(0, end - OOO_WRITE_CHECK_COUNT), end)) {
        const size = (await stat(join(this.dir, p))).size;
        const old = this.finalizedSizes.get(p);
        if (size === old) continue;
        this.log(
          old === undefined
            ? `File ${join(this.dir, p)} created after file ` +
                `${join(this.dir, this.current)} even though it's lexicographically earlier`
            : `File ${join(this.dir, p)} updated even though the current file is ${join(this.dir, this.current)}`,
        );
        this.oooDetected = true;
        break;
      }
    }
    return paths.find((p) => p > this.current!);
  }

  private async loadCurrent(): Promise<void> {
    let bytes: Buffer;
    try {
      bytes = (await readFile(join(this.dir, this.current!))).subarray(this.offset);
    } catch {
      return;
    }
    const result = scanRecords(bytes, (start, end) => this.process(bytes.subarray(start, end)));
    this.offset += result.consumed; // a partial or damaged record: retried from here next reload
  }

  private process(eventBytes: Uint8Array): void {
    let ev: DecodedEvent;
    try {
      ev = EventMessage.toObject(EventMessage.decode(eventBytes), { longs: Number, enums: Number }) as DecodedEvent;
    } catch {
      return;
    }
    const step = toNumber(ev.step ?? 0);
    const wallTime: number = ev.wall_time ?? 0;
    if (typeof ev.file_version === 'string') {
      const m = /^brain\.Event:(\d+)/.exec(ev.file_version);
      if (m) this.fileVersion = Number(m[1]);
    }
    if (this.fileVersion >= 2 && ev.session_log?.status === 1) {
      for (const t of this.tags.values()) t.points = t.points.filter((p) => p.step < step);
    }
    for (const v of ev.summary?.value ?? []) this.value(v, step, wallTime);
  }

  private value(v: DecodedSummaryValue, step: number, wallTime: number): void {
    const tag: string = v.tag || v.node_name || '';
    let t = this.tags.get(tag);
    if (!t) {
      const plugin: string =
        v.metadata?.plugin_data?.plugin_name ||
        (v.simple_value !== undefined ? 'scalars' : v.image ? 'images' : v.histo ? 'histograms' : '');
      t = { plugin, content: v.metadata?.plugin_data?.content ?? new Uint8Array(0), points: [] };
      this.tags.set(tag, t);
    }
    const strings = v.tensor ? (tensorValues(v.tensor).strings ?? []) : [];
    switch (t.plugin) {
      case 'scalars': {
        const value = v.tensor ? tensorValues(v.tensor).numbers?.[0] : v.simple_value;
        if (value !== undefined) t.points.push({ step, wallTime, value });
        return;
      }
      case 'images':
        t.points.push({
          step,
          wallTime,
          width: Number(Buffer.from(strings[0] ?? []).toString()),
          height: Number(Buffer.from(strings[1] ?? []).toString()),
          images: Math.max(0, strings.length - 2),
        });
        return;
      case 'text':
      case 'graph_keras_model':
        t.points.push({ step, wallTime, text: strings.map((s) => Buffer.from(s).toString('utf8')).join('\n') });
        return;
      default:
        t.points.push({ step, wallTime });
    }
  }
}

export interface ShownSession {
  start: SessionStart;
  end?: SessionEnd;
  /** What the HParams table shows: the end's status, else unknown. */
  status: string;
}

export class PythonLoaderView {
  /** TensorBoard's log lines about out-of-order writes. */
  readonly log: string[] = [];
  private readonly runViews = new Map<string, RunView>();

  constructor(readonly logdir: string) {}

  /** One pass of TensorBoard's reload loop: new run directories, then each run's watcher. */
  async reload(): Promise<void> {
    for (const run of await discoverRuns(this.logdir)) {
      if (!this.runViews.has(run)) this.runViews.set(run, new RunView(join(this.logdir, run), (l) => this.log.push(l)));
    }
    for (const view of this.runViews.values()) await view.reload();
  }

  runs(): string[] {
    return [...this.runViews.keys()].sort();
  }

  /** The event file a run's watcher is on. */
  currentFile(run: string): string | undefined {
    return this.runViews.get(run)?.current;
  }

  tags(run: string, plugin: string): string[] {
    const view = this.runViews.get(run);
    if (!view) return [];
    return [...view.tags]
      .filter(([, t]) => t.plugin === plugin && t.points.length > 0)
      .map(([tag]) => tag)
      .sort();
  }

  scalars(run: string, tag: string): ShownScalar[] {
    return this.points(run, tag, 'scalars') as ShownScalar[];
  }

  images(run: string, tag: string): ShownImage[] {
    return this.points(run, tag, 'images') as ShownImage[];
  }

  texts(run: string, tag: string): ShownText[] {
    return this.points(run, tag, 'text') as ShownText[];
  }

  /** The model config JSON the Graphs tab would draw for a run (its `keras` summary). */
  kerasModel(run: string): string | undefined {
    return (this.points(run, 'keras', 'graph_keras_model')[0] as ShownText | undefined)?.text;
  }

  private points(run: string, tag: string, plugin: string): ShownPoint[] {
    const t = this.runViews.get(run)?.tags.get(tag);
    return t && t.plugin === plugin ? t.points : [];
  }

  private hparamsContent(run: string, tag: string) {
    const t = this.runViews.get(run)?.tags.get(tag);
    if (!t || t.plugin !== 'hparams') return undefined;
    try {
      return decodeHParamsContent(t.content);
    } catch {
      return undefined;
    }
  }

  /** The session of a run (a run with a session start), as the HParams dashboard lists it. */
  session(run: string): ShownSession | undefined {
    const start = this.hparamsContent(run, SESSION_START_TAG);
    if (start?.kind !== 'sessionStart') return undefined;
    const end = this.hparamsContent(run, SESSION_END_TAG);
    const sessionEnd = end?.kind === 'sessionEnd' ? end.sessionEnd : undefined;
    return {
      start: start.sessionStart,
      ...(sessionEnd ? { end: sessionEnd } : {}),
      status: sessionEnd?.status ?? 'unknown',
    };
  }

  /** The explicit experiment: the first run (in name order) holding `_hparams_/experiment`. */
  experiment(): HParamsExperiment | undefined {
    for (const run of this.runs()) {
      const d = this.hparamsContent(run, EXPERIMENT_TAG);
      if (d?.kind === 'experiment') return d.experiment;
    }
    return undefined;
  }
}
