import type * as tf from '@tensorflow/tfjs';
import { loadOnnxRuntime, type OnnxRuntime, type OrtLoader } from './engine/load.ts';
import { OnnxSession, type Batch, type ExecutionProvider, type OnnxSessionOptions } from './engine/session.ts';
import { UnsupportedLayerError } from './export/errors.ts';
import { exportOnnx, type OnnxExport, type OnnxExportOptions } from './export/export-model.ts';

/** What run.json records for a phase's forward passes. */
export interface EngineInfo {
  engine: 'onnx';
  provider: ExecutionProvider;
  threads: number;
  version: string;
}

/**
 * A model exported from its current weights and opened in ONNX Runtime: the forward pass of a
 * phase whose weights do not change (feature extraction, an evaluation, a frozen prefix).
 */
export class OnnxForward {
  private constructor(
    readonly exported: OnnxExport,
    private readonly session: OnnxSession,
    readonly info: EngineInfo,
  ) {}

  static async open(
    runtime: Extract<OnnxRuntime, { available: true }>,
    model: tf.LayersModel,
    exportOpts: OnnxExportOptions,
    sessionOpts: OnnxSessionOptions,
  ): Promise<OnnxForward> {
    const exported = exportOnnx(model, exportOpts);
    const session = await OnnxSession.create(runtime.ort, exported.bytes, {
      cudaInstalled: runtime.cudaInstalled,
      ...sessionOpts,
    });
    return new OnnxForward(exported, session, {
      engine: 'onnx',
      provider: session.provider,
      threads: session.threads,
      version: runtime.version,
    });
  }

  /** One NHWC batch (tfjs order, as the model's input) → every output, in `exported.outputs` order. */
  async run(batch: Batch): Promise<Batch[]> {
    const out = await this.session.run(batch);
    return this.exported.outputs.map((o) => out.get(o.name)!);
  }

  dispose(): Promise<void> {
    return this.session.dispose();
  }
}

/** `notice`: why ONNX Runtime is not used (one line to print), null when tfjs was asked for. */
export type ForwardChoice = { engine: 'onnx'; forward: OnnxForward } | { engine: 'tfjs'; notice: string | null };

export interface ChooseForwardOptions {
  /** `auto`: ONNX Runtime where it loads and the model exports, else tfjs with a notice; `onnx`: fail instead; `tfjs`: always tfjs. */
  engine: 'auto' | 'onnx' | 'tfjs';
  export?: OnnxExportOptions;
  session?: OnnxSessionOptions;
  loader?: OrtLoader;
}

/**
 * The engine for one pass of fixed weights (`--engine`): an ONNX Runtime forward, or tfjs with the
 * one-line reason (runtime missing, an unsupported layer, a session that failed to open).
 */
export async function chooseForward(model: tf.LayersModel, opts: ChooseForwardOptions): Promise<ForwardChoice> {
  if (opts.engine === 'tfjs') return { engine: 'tfjs', notice: null };
  const runtime = await loadOnnxRuntime(opts.loader);
  const fail = (reason: string): ForwardChoice => {
    if (opts.engine === 'onnx') throw new Error(`--engine onnx: ${reason}`);
    return { engine: 'tfjs', notice: `${reason}; running ${model.name} on tfjs` };
  };
  if (!runtime.available) return fail(`ONNX Runtime unavailable (${runtime.reason})`);
  try {
    return { engine: 'onnx', forward: await OnnxForward.open(runtime, model, opts.export ?? {}, opts.session ?? {}) };
  } catch (error) {
    if (error instanceof UnsupportedLayerError) return fail(error.message);
    return fail(
      `ONNX Runtime could not open ${model.name}: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`,
    );
  }
}
