// In-memory time series of one run, filled by the event decoder. Scalars are kept in columns
// (cheap to append a million points); objects are made only when asked for.
import type { HParamsData } from '../format/hparams-plugin.ts';

export interface ScalarPoint {
  step: number;
  wallTime: number;
  value: number;
}
export interface HistogramBucket {
  left: number;
  right: number;
  count: number;
}
export interface HistogramPoint {
  step: number;
  wallTime: number;
  buckets: HistogramBucket[];
}
export interface ImagePoint {
  step: number;
  wallTime: number;
  width: number;
  height: number;
  png: Uint8Array;
  sample: number;
}
export interface TextPoint {
  step: number;
  wallTime: number;
  text: string;
  values: string[];
  shape: number[];
}

export type SeriesKind = 'scalars' | 'histograms' | 'images' | 'texts' | 'hparams' | 'other';

function kindOfPlugin(plugin: string): SeriesKind {
  switch (plugin) {
    case 'scalars':
      return 'scalars';
    case 'histograms':
      return 'histograms';
    case 'images':
      return 'images';
    case 'text':
      return 'texts';
    case 'hparams':
      return 'hparams';
    default:
      return 'other';
  }
}

class ScalarColumns {
  steps = new Float64Array(16);
  wallTimes = new Float64Array(16);
  values = new Float64Array(16);
  length = 0;
  private cache: ScalarPoint[] | undefined;

  push(step: number, wallTime: number, value: number): void {
    if (this.length === this.steps.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.steps = grow(this.steps);
      this.wallTimes = grow(this.wallTimes);
      this.values = grow(this.values);
    }
    const i = this.length++;
    this.steps[i] = step;
    this.wallTimes[i] = wallTime;
    this.values[i] = value;
    this.cache = undefined;
  }

  points(): ScalarPoint[] {
    if (!this.cache) {
      const out = new Array<ScalarPoint>(this.length);
      for (let i = 0; i < this.length; i++)
        out[i] = { step: this.steps[i], wallTime: this.wallTimes[i], value: this.values[i] };
      this.cache = out;
    }
    return this.cache;
  }
}

export class TagSeries {
  readonly kind: SeriesKind;
  readonly scalars = new ScalarColumns();
  readonly histograms: HistogramPoint[] = [];
  readonly images: ImagePoint[] = [];
  readonly texts: TextPoint[] = [];
  /** Values of plugins we do not decode (graphs, audio, …). */
  otherCount = 0;

  constructor(
    readonly tag: string,
    readonly plugin: string,
  ) {
    this.kind = kindOfPlugin(plugin);
  }

  get count(): number {
    return this.scalars.length + this.histograms.length + this.images.length + this.texts.length + this.otherCount;
  }
}

export class RunData {
  readonly series = new Map<string, TagSeries>();
  readonly hparams: HParamsData = {};
  fileVersion: string | undefined;
  events = 0;
}
