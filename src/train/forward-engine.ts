// The engine of every forward pass whose weights do not change while it runs (`--engine`): ONNX
// Runtime where it loads and the model exports, else tfjs with one notice line. Training stays on
// tfjs. What ran in each phase is kept for run.json's `engines`.
import * as tf from '@tensorflow/tfjs';
import { formatMacs, modelCost } from '../models/cost.ts';
import { chooseForward, loadOnnxRuntime, type OnnxExportOptions, type OnnxForward } from '../onnx/index.ts';
import type { EngineEntry, RunRecord } from '../run/record.ts';
import type { EnginePreference } from './engine-names.ts';

export type EnginePhase = keyof NonNullable<RunRecord['engines']>;

/** A pass's forward of one batch: the tfjs model itself, or the batch run on ONNX Runtime. */
export type PassForward = tf.LayersModel | ((x: tf.Tensor) => Promise<tf.Tensor>);

export interface ForwardEngineOptions {
  engine: EnginePreference;
  /** ONNX Runtime's intra-op threads (default every core). */
  threads?: number;
  log: (line: string) => void;
}

/**
 * Below this forward cost per image, `auto` keeps a pass on tfjs: a dense head on cached features
 * (~0.1 M multiply-adds) evaluates in tens of milliseconds there, while exporting it and opening a
 * session takes about a second — every epoch.
 */
const AUTO_ONNX_MIN_MACS = 1e6;

export class ForwardEngines {
  /** The engine of each phase that ran so far (run.json's `engines`). */
  readonly used: NonNullable<RunRecord['engines']> = {};
  private readonly noticed = new Set<string>();

  private constructor(
    private readonly opts: ForwardEngineOptions,
    /** Why ONNX Runtime cannot be used at all (noticed once, at the start), or null. */
    private readonly unavailable: string | null,
  ) {}

  /** Whether passes may run on ONNX Runtime (not `--engine tfjs`, and it loaded). */
  get onnxUsable(): boolean {
    return this.opts.engine !== 'tfjs' && this.unavailable === null;
  }

  /**
   * Probes ONNX Runtime unless tfjs was asked for: `--engine onnx` fails here, before anything runs,
   * when it cannot be loaded; `auto` prints one notice line and runs every pass on tfjs.
   */
  static async create(opts: ForwardEngineOptions): Promise<ForwardEngines> {
    if (opts.engine === 'tfjs') return new ForwardEngines(opts, null);
    const runtime = await loadOnnxRuntime();
    if (runtime.available) return new ForwardEngines(opts, null);
    if (opts.engine === 'onnx') throw new Error(`--engine onnx: ONNX Runtime unavailable (${runtime.reason})`);
    opts.log(`engine: ${runtime.notice}`);
    return new ForwardEngines(opts, runtime.notice);
  }

  /**
   * `model` exported from its current weights and opened on ONNX Runtime, or null for tfjs (noticed
   * once); what ran is recorded as `phase`'s engine.
   */
  async open(
    phase: EnginePhase,
    model: tf.LayersModel,
    exportOpts: OnnxExportOptions = {},
  ): Promise<OnnxForward | null> {
    const { forward, entry } = await this.choose(phase, model, exportOpts);
    this.used[phase] = entry;
    return forward;
  }

  /** As `open`, recording nothing: for timing a phase before it runs (the estimate; a cache hit never runs it). */
  async choose(
    phase: EnginePhase,
    model: tf.LayersModel,
    exportOpts: OnnxExportOptions = {},
  ): Promise<{ forward: OnnxForward | null; entry: EngineEntry }> {
    if (this.unavailable) return { forward: null, entry: tfjsEntry(this.unavailable) };
    const macs = modelCost(model).macsPerImage;
    if (this.opts.engine === 'auto' && macs < AUTO_ONNX_MIN_MACS) {
      const small = `auto: ${model.name} is small (${formatMacs(macs)} multiply-adds per image)`;
      return { forward: null, entry: tfjsEntry(small) };
    }
    const session = this.opts.threads === undefined ? {} : { threads: this.opts.threads };
    const choice = await chooseForward(model, { engine: this.opts.engine, export: exportOpts, session });
    if (choice.engine === 'onnx') return { forward: choice.forward, entry: { ...choice.forward.info, notice: null } };
    if (choice.notice && !this.noticed.has(choice.notice)) {
      this.noticed.add(choice.notice);
      this.opts.log(`engine ${phase}: ${choice.notice}`);
    }
    return { forward: null, entry: tfjsEntry(choice.notice) };
  }

  /** Runs one pass (an evaluation) with `model`'s forward on the chosen engine, then disposes the session. */
  async pass<T>(phase: EnginePhase, model: tf.LayersModel, run: (forward: PassForward) => Promise<T>): Promise<T> {
    const onnx = await this.open(phase, model);
    if (!onnx) return run(model);
    try {
      return await run((x) => runOnOnnx(onnx, x));
    } finally {
      await onnx.dispose();
    }
  }
}

function tfjsEntry(notice: string | null): EngineEntry {
  return { engine: 'tfjs', provider: null, threads: null, version: null, notice };
}

/** One batch through a pass's forward, in inference mode; the caller disposes the result. */
export async function forwardBatch(forward: PassForward, x: tf.Tensor | tf.Tensor[]): Promise<tf.Tensor> {
  if (typeof forward === 'function') {
    if (Array.isArray(x)) throw new Error('an ONNX Runtime pass takes one input tensor');
    return forward(x);
  }
  return tf.tidy(() => forward.apply(x, { training: false }) as tf.Tensor);
}

async function runOnOnnx(forward: OnnxForward, x: tf.Tensor): Promise<tf.Tensor> {
  const data = (await x.data()) as Float32Array;
  const [out] = await forward.run({ data, shape: x.shape });
  return tf.tensor(out!.data, out!.shape);
}
