// src/tensorboard/write/: summaries encoded as records, the event file writer, the resume cut;
// imports format/ only (never read/).
// SummaryWriter: the tf.summary-style API over one event file per writer (Keras layout:
// one writer per run directory, e.g. <run>/train, <run>/validation).
import { EventFileWriter, type EventFileWriterOptions } from './event-file-writer.ts';
import {
  histogramValue,
  imageValue,
  textValue,
  hparamsValue,
  kerasModelValue,
  scalarEvent,
  type SummaryValue,
} from './summaries.ts';
import { ScalarEventEncoder } from './scalar-event-encoder.ts';
import { encodeSessionStart, encodeSessionEnd, parseOrThrow } from './hparams-encode.ts';
import { hparamsGroupName } from './hparams-group.ts';
import {
  sessionStartSchema,
  SESSION_START_TAG,
  SESSION_END_TAG,
  type SessionStartInput,
  type SessionEndStatus,
} from '../format/hparams-plugin.ts';

type SummaryWriterOptions = EventFileWriterOptions;

function checkStep(what: string, step: number): void {
  if (!Number.isSafeInteger(step)) throw new Error(`${what}: field step: expected an integer, got ${step}`);
}

/** RustBoard stops reading a file at a NaN wall time, so never write one. */
function finiteWallTime(wallTime: number | undefined): number {
  const wt = wallTime ?? Date.now() / 1000;
  return Number.isFinite(wt) ? wt : Date.now() / 1000;
}

export class SummaryWriter {
  private readonly scalarEncoder = new ScalarEventEncoder();

  private constructor(private readonly file: EventFileWriter) {}

  static async create(dir: string, opts: SummaryWriterOptions = {}): Promise<SummaryWriter> {
    return new SummaryWriter(await EventFileWriter.create(dir, opts));
  }

  get path(): string {
    return this.file.path;
  }

  private write(value: SummaryValue, step: number, wallTime?: number): void {
    this.file.add({ wall_time: finiteWallTime(wallTime), step, summary: { value: [value] } });
  }

  scalar(tag: string, value: number, step: number, wallTime?: number): void {
    checkStep(`scalar ${tag}`, step);
    const wt = finiteWallTime(wallTime);
    // The fast path writes steps as plain varints; a negative step takes protobufjs' encoding.
    if (step < 0) this.file.add(scalarEvent(tag, value, step, wt));
    else this.file.addFramed((records) => this.scalarEncoder.append(records, tag, value, step, wt));
  }

  /** tf.summary.histogram: `bucketCount` equal-width buckets (default 30) as a float64 [k, 3] tensor. */
  histogram(
    tag: string,
    values: ArrayLike<number>,
    step: number,
    opts: { bucketCount?: number; wallTime?: number } = {},
  ): void {
    checkStep(`histogram ${tag}`, step);
    this.write(histogramValue(tag, values, opts.bucketCount), step, opts.wallTime);
  }

  image(tag: string, png: Uint8Array, width: number, height: number, step: number, wallTime?: number): void {
    checkStep(`image ${tag}`, step);
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
      throw new Error(`image ${tag}: fields width/height: expected positive integers, got ${width}x${height}`);
    }
    this.write(imageValue(tag, png, width, height), step, wallTime);
  }

  text(tag: string, markdown: string, step: number, wallTime?: number): void {
    checkStep(`text ${tag}`, step);
    this.write(textValue(tag, markdown), step, wallTime);
  }

  /**
   * The Keras model config (see kerasModelValue), once per run at step 0 in `train/`; the JSON
   * must be in the shape keras_util.py parses (kerasModelConfigFromTfjs converts a tfjs one).
   */
  kerasModel(modelConfigJson: string, step = 0): void {
    checkStep('keras model', step);
    try {
      JSON.parse(modelConfigJson); // TensorBoard's Graphs tab would fail on it
    } catch (err) {
      throw new Error(`keras model (${this.path}): field modelConfigJson: not JSON (${(err as Error).message})`, {
        cause: err,
      });
    }
    this.write(kerasModelValue(modelConfigJson), step);
  }

  /**
   * SessionLog START at `step`: a resumed run writes it first, at the first step it will write
   * again. TensorBoard's Python loader then drops every point of this directory with step >=
   * `step` read before (plugin_event_accumulator.py, _CheckForRestartAndMaybePurge); RustBoard
   * ignores it and replaces points per series as the new steps arrive.
   */
  sessionLogStart(step: number, wallTime?: number): void {
    checkStep('session log start', step);
    this.file.add({ wall_time: finiteWallTime(wallTime), step, session_log: { status: 1 } });
  }

  /** `_hparams_/session_start_info` at step 0; group name defaults to hparamsGroupName(hparams), like hp.hparams. */
  hparamsSessionStart(input: SessionStartInput): void {
    const s = parseOrThrow(sessionStartSchema, input, `hparams session start (${this.path})`);
    const groupName = s.groupName ?? hparamsGroupName(s.hparams);
    this.write(hparamsValue(SESSION_START_TAG, encodeSessionStart(s, groupName)), 0);
  }

  /** `_hparams_/session_end_info`; 'aborted'/'interrupted'/'failed' map to STATUS_FAILURE. */
  hparamsSessionEnd(status: SessionEndStatus, endTimeSecs?: number): void {
    this.write(hparamsValue(SESSION_END_TAG, encodeSessionEnd(status, endTimeSecs ?? Date.now() / 1000)), 0);
  }

  flush(): Promise<void> {
    return this.file.flush();
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
