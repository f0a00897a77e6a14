// onnxruntime-node is loaded on first use, never at import time: a machine where it is missing or
// its native binding fails still runs everything on tfjs.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type Ort = typeof import('onnxruntime-node');
export type OrtLoader = () => Promise<Ort>;

export type OnnxRuntime =
  | { available: true; ort: Ort; version: string; cudaInstalled: boolean }
  | { available: false; reason: string; notice: string };

const defaultLoader: OrtLoader = () => import('onnxruntime-node');
let cached: Promise<OnnxRuntime> | null = null;

/**
 * ONNX Runtime, or why it cannot be used: `notice` is the one line a caller prints before running
 * that pass on tfjs. The default loader's result is cached for the process; pass `loader` to
 * substitute the import (tests).
 */
export function loadOnnxRuntime(loader?: OrtLoader): Promise<OnnxRuntime> {
  if (loader) return probe(loader);
  cached ??= probe(defaultLoader);
  return cached;
}

async function probe(loader: OrtLoader): Promise<OnnxRuntime> {
  try {
    const ort = await loader();
    // The native binding loads on the first session; list its backends now so a broken binary
    // fails here, with the reason, rather than mid-run.
    ort.listSupportedBackends();
    return {
      available: true,
      ort,
      version: ort.env.versions.node ?? ort.env.versions.common,
      cudaInstalled: cudaProviderInstalled(),
    };
  } catch (error) {
    const reason = oneLine(error);
    return { available: false, reason, notice: `ONNX Runtime unavailable (${reason}); running forward passes on tfjs` };
  }
}

/**
 * True when onnxruntime-node's CUDA execution provider library is on disk (installed with
 * `ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci` on a machine with network access).
 */
function cudaProviderInstalled(): boolean {
  try {
    const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
    return existsSync(
      join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so'),
    );
  } catch {
    return false;
  }
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.trim();
}
