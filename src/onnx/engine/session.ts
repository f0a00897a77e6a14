import { availableParallelism } from 'node:os';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { Ort } from './load.ts';

export type ExecutionProvider = 'cpu' | 'cuda';

export interface OnnxSessionOptions {
  /** intraOpNumThreads; default every core. */
  threads?: number;
  /** `auto` takes CUDA when its provider is installed and loads, else the CPU (default `cpu`). */
  provider?: ExecutionProvider | 'auto';
  cudaInstalled?: boolean;
}

/** An NHWC float32 batch: `data` holds shape[0]·shape[1]·shape[2]·shape[3] values. */
export interface Batch {
  data: Float32Array;
  shape: number[];
}

/**
 * One ONNX Runtime session over a serialized model: create from bytes, run batches, dispose. Runs
 * are serialized (ONNX Runtime's node binding computes on the calling thread).
 */
export class OnnxSession {
  private disposed = false;

  private constructor(
    private readonly ort: Ort,
    private readonly session: InferenceSession,
    /** The execution provider the session was created with. */
    readonly provider: ExecutionProvider,
    readonly threads: number,
    /** Why a requested CUDA provider was not used, if it was not. */
    readonly fallbackReason: string | null,
  ) {}

  static async create(ort: Ort, bytes: Uint8Array, opts: OnnxSessionOptions = {}): Promise<OnnxSession> {
    const threads = opts.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1)
      throw new Error(`ONNX Runtime: threads must be a positive integer, got ${String(threads)}`);
    const base: InferenceSession.SessionOptions = {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
    };
    const wantCuda = opts.provider === 'cuda' || (opts.provider === 'auto' && opts.cudaInstalled === true);
    let fallbackReason: string | null = null;
    if (wantCuda) {
      try {
        const session = await ort.InferenceSession.create(bytes, { ...base, executionProviders: ['cuda'] });
        return new OnnxSession(ort, session, 'cuda', threads, null);
      } catch (error) {
        if (opts.provider === 'cuda')
          throw new Error(`ONNX Runtime: the CUDA execution provider failed: ${firstLine(error)}`);
        fallbackReason = firstLine(error);
      }
    } else if (opts.provider === 'auto') {
      fallbackReason = 'the CUDA execution provider is not installed';
    }
    const session = await ort.InferenceSession.create(bytes, { ...base, executionProviders: ['cpu'] });
    return new OnnxSession(ort, session, 'cpu', threads, fallbackReason);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /** Runs one batch through the model's single input; every output (or those named) as float32 batches. */
  async run(batch: Batch, outputs?: readonly string[]): Promise<Map<string, Batch>> {
    if (this.disposed) throw new Error('ONNX Runtime: run after dispose');
    const feeds = { [this.session.inputNames[0]!]: new this.ort.Tensor('float32', batch.data, batch.shape) };
    const result = outputs ? await this.session.run(feeds, [...outputs]) : await this.session.run(feeds);
    const out = new Map<string, Batch>();
    for (const [name, tensor] of Object.entries(result) as [string, Tensor][]) {
      out.set(name, { data: tensor.data as Float32Array, shape: [...tensor.dims] });
    }
    return out;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.session.release();
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
}
