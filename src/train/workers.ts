// How many data-parallel wasm workers a run's training steps use (`--workers`), and the one notice
// line when the flag does not apply to the run.
import { availableParallelism } from 'node:os';
import type { BackendKind } from '../backends/names.ts';

interface WorkerPlan {
  workers: number;
  /** Why a `--workers N` given for this run is ignored; null when it applies (or was not given). */
  notice: string | null;
}

const NATIVE: Partial<Record<BackendKind, string>> = {
  node: 'tfjs-node already trains on every core',
  gpu: 'tfjs-node-gpu trains on the GPU',
  cpu: 'the cpu backend is a reference implementation',
};

/**
 * Workers apply to a run that trains the whole classifier on images on the wasm backend (one per
 * core by default); a cached-feature run trains only its head, and a frozen prefix on ONNX Runtime
 * leaves a multi-input suffix, both in this thread, as the native backends do.
 */
export function planWorkers(
  requested: number | undefined,
  run: { backend: BackendKind; featureCache: boolean; prefixOnEngine: boolean },
  cores = availableParallelism(),
): WorkerPlan {
  const ignored = (why: string): WorkerPlan => ({
    workers: 1,
    notice: requested !== undefined && requested > 1 ? `--workers ${requested}: ignored (${why})` : null,
  });
  const native = NATIVE[run.backend];
  if (run.backend !== 'wasm') return ignored(`${native ?? run.backend}: training runs in this thread`);
  if (run.featureCache) return ignored('a cached-feature run trains only its head, in this thread');
  if (run.prefixOnEngine) {
    return ignored(
      'the frozen prefix runs on ONNX Runtime and the rest trains in this thread; ' +
        '--engine tfjs trains the whole classifier on the workers',
    );
  }
  return { workers: requested ?? cores, notice: null };
}
