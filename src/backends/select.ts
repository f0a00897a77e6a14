import * as tf from '@tensorflow/tfjs';
import { registerBatchNormGradient, registerWasmTrainingKernels } from './wasm-kernels/register.ts';
import { BACKEND_PREFERENCES, type BackendKind, type BackendPreference } from './names.ts';

export interface BackendChoice {
  /** tfjs backend name: 'tensorflow' (node and gpu), 'wasm' or 'cpu'. */
  name: string;
  kind: BackendKind;
  reason: string;
  versions: Record<string, string>;
  /** Threads the backend computes with, where known. */
  threads?: number;
}

/** A forced backend that cannot run here; the message says how to install it. */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}

const INSTALL: Record<'gpu' | 'node', string> = {
  gpu:
    'npm install @tensorflow/tfjs-node-gpu (Linux x64 with an NVIDIA GPU, ' +
    'CUDA 11.2 and cuDNN 8.1; its install script downloads libtensorflow)',
  node:
    'npm install @tensorflow/tfjs-node (its install script downloads ' +
    'libtensorflow, so it needs network access at install time)',
};

type Attempt = { ok: true; choice: BackendChoice } | { ok: false; why: string };

interface NativeBackend {
  isUsingGpuDevice?: boolean;
  isGPUPackage?: boolean;
}
interface NativeModule {
  version?: unknown;
}

function oneLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.split('\n')[0];
}

function isMissingModule(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

function tfjsVersions(): Record<string, string> {
  return { tfjs: tf.version.tfjs, 'tfjs-core': tf.version['tfjs-core'] };
}

function nativeVersion(mod: NativeModule, pkg: string): string {
  const v = mod.version;
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && pkg in v) return String((v as Record<string, unknown>)[pkg]);
  return 'unknown';
}

async function importNative(pkg: string): Promise<{ ok: true; mod: NativeModule } | { ok: false; why: string }> {
  try {
    const mod = (await import(pkg)) as NativeModule;
    if (!tf.findBackendFactory('tensorflow')) {
      return {
        ok: false,
        why:
          `${pkg} loaded but registered no 'tensorflow' backend with this project's ` +
          `@tensorflow/tfjs ${tf.version.tfjs} (a second tfjs copy? align the versions)`,
      };
    }
    return { ok: true, mod };
  } catch (e) {
    if (isMissingModule(e)) return { ok: false, why: `${pkg} is not installed` };
    return { ok: false, why: `${pkg} failed to load: ${oneLine(e)}` };
  }
}

/** tfjs-node-gpu's backend reports whether TensorFlow placed ops on a CUDA device. */
async function tryGpu(): Promise<Attempt> {
  const pkg = '@tensorflow/tfjs-node-gpu';
  const loaded = await importNative(pkg);
  if (!loaded.ok) return loaded;
  if (!(await tf.setBackend('tensorflow')))
    return { ok: false, why: `${pkg} is installed but its backend failed to initialise` };
  const backend = tf.backend() as unknown as NativeBackend;
  if (!backend.isUsingGpuDevice) {
    return {
      ok: false,
      why:
        `${pkg} is installed but TensorFlow found no usable CUDA device (check ` +
        `nvidia-smi, CUDA 11.2 and cuDNN 8.1 libraries on LD_LIBRARY_PATH)`,
    };
  }
  return {
    ok: true,
    choice: {
      name: 'tensorflow',
      kind: 'gpu',
      reason: `${pkg} is installed and TensorFlow uses a CUDA device`,
      versions: { ...tfjsVersions(), 'tfjs-node-gpu': nativeVersion(loaded.mod, 'tfjs-node-gpu') },
    },
  };
}

async function tryNode(): Promise<Attempt> {
  const pkg = '@tensorflow/tfjs-node';
  const loaded = await importNative(pkg);
  if (!loaded.ok) {
    // tfjs-node-gpu without a CUDA device still brings native TensorFlow for the CPU.
    if (tf.findBackendFactory('tensorflow') && (await tf.setBackend('tensorflow'))) {
      return {
        ok: true,
        choice: {
          name: 'tensorflow',
          kind: 'node',
          reason: `${loaded.why}; using @tensorflow/tfjs-node-gpu's TensorFlow on the CPU`,
          versions: { ...tfjsVersions() },
        },
      };
    }
    return loaded;
  }
  if (!(await tf.setBackend('tensorflow')))
    return { ok: false, why: `${pkg} is installed but its backend failed to initialise` };
  return {
    ok: true,
    choice: {
      name: 'tensorflow',
      kind: 'node',
      reason: `${pkg} is installed (native TensorFlow on the CPU)`,
      versions: { ...tfjsVersions(), 'tfjs-node': nativeVersion(loaded.mod, 'tfjs-node') },
    },
  };
}

async function tryWasm(): Promise<Attempt> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend('wasm'))) return { ok: false, why: 'the wasm backend failed to initialise' };
    registerWasmTrainingKernels();
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = wasm.getThreadsCount();
    return {
      ok: true,
      choice: {
        name: 'wasm',
        kind: 'wasm',
        reason:
          `WebAssembly (XNNPACK${simd ? ', SIMD' : ''}, ${threads} ` +
          `thread${threads === 1 ? '' : 's'}) with transfer-lab's training kernels`,
        versions: { ...tfjsVersions(), 'tfjs-backend-wasm': wasm.version_wasm },
        threads,
      },
    };
  } catch (e) {
    return { ok: false, why: `@tensorflow/tfjs-backend-wasm failed to load: ${oneLine(e)}` };
  }
}

async function tryCpu(): Promise<Attempt> {
  if (!(await tf.setBackend('cpu'))) return { ok: false, why: 'the cpu backend failed to initialise' };
  registerBatchNormGradient();
  return {
    ok: true,
    choice: {
      name: 'cpu',
      kind: 'cpu',
      reason: 'pure-JavaScript cpu backend (slow: about 60× slower than wasm for training)',
      versions: { ...tfjsVersions(), 'tfjs-backend-cpu': tf.version['tfjs-backend-cpu'] ?? tf.version.tfjs },
      threads: 1,
    },
  };
}

const attempts: Record<BackendKind, () => Promise<Attempt>> = {
  gpu: tryGpu,
  node: tryNode,
  wasm: tryWasm,
  cpu: tryCpu,
};

async function resolve(pref: BackendPreference): Promise<BackendChoice> {
  if (!BACKEND_PREFERENCES.includes(pref)) {
    throw new Error(`--backend: unknown backend '${String(pref)}'; expected one of ${BACKEND_PREFERENCES.join(', ')}`);
  }
  if (pref !== 'auto') {
    const got = await attempts[pref]();
    if (got.ok) return { ...got.choice, reason: `forced with --backend ${pref}: ${got.choice.reason}` };
    const how = pref === 'gpu' || pref === 'node' ? `; install it with: ${INSTALL[pref]}` : '';
    throw new BackendUnavailableError(`--backend ${pref} is not available: ${got.why}${how} (or use --backend auto)`);
  }
  const skipped: string[] = [];
  for (const kind of ['gpu', 'node', 'wasm', 'cpu'] as const) {
    const got = await attempts[kind]();
    if (got.ok) {
      const why = skipped.length > 0 ? `; skipped: ${skipped.join('; ')}` : '';
      return { ...got.choice, reason: `auto: ${got.choice.reason}${why}` };
    }
    skipped.push(got.why);
  }
  throw new Error(`no tfjs backend could be initialised: ${skipped.join('; ')}`);
}

const resolved = new Map<BackendPreference, Promise<BackendChoice>>();
const announced = new Set<string>();

export function describeChoice(c: BackendChoice): string {
  const versions = Object.entries(c.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return `backend: ${c.name} (${c.kind}) — ${c.reason} [${versions}]`;
}

/**
 * Picks, initialises and returns the tfjs backend; every entry point awaits it before its first
 * tensor op. Idempotent: the same preference resolves once and is printed once.
 */
export async function selectBackend(
  pref: BackendPreference = 'auto',
  opts: { quiet?: boolean } = {},
): Promise<BackendChoice> {
  let pending = resolved.get(pref);
  if (!pending) {
    pending = resolve(pref);
    resolved.set(pref, pending);
    pending.catch(() => resolved.delete(pref));
  }
  const choice = await pending;
  // Another preference may have switched the active backend since; switch back.
  if (tf.getBackend() !== choice.name) await tf.setBackend(choice.name);
  if (!opts.quiet && !announced.has(choice.name)) {
    announced.add(choice.name);
    console.log(describeChoice(choice));
  }
  return choice;
}
