// The slice of src/tensorboard's RunReader that reports use, so tests and benches can substitute it.
export interface ScalarPoint { step: number; wallTime: number; value: number }
export interface ImagePoint { step: number; wallTime: number; width: number; height: number; png: Uint8Array }
export interface TextPoint { step: number; wallTime: number; text: string }

/** The HParams plugin's session summaries of a run, when it wrote any. */
export interface HParamsSession {
  sessionStart?: { hparams: Record<string, unknown>; startTimeSecs?: number };
  sessionEnd?: { status: string; endTimeSecs?: number };
}

export interface EventReader {
  update(): Promise<boolean>;
  scalarTags(): string[];
  imageTags(): string[];
  textTags(): string[];
  scalars(tag: string): ScalarPoint[];
  images(tag: string): ImagePoint[];
  texts(tag: string): TextPoint[];
  hparams(): HParamsSession;
  warnings(): string[];
}

export interface EventSource {
  /** Event-file run directories under `dir`, relative (`.` for `dir` itself). */
  discover(dir: string): Promise<string[]>;
  open(dir: string): EventReader;
}
