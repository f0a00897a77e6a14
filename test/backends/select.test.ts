import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError, selectBackend, type BackendPreference } from '../../src/backends/index.ts';

// The native packages are optional dependencies: whether they are here depends on the machine
// (their install downloads libtensorflow). Each test states what must happen in either case.
function resolves(pkg: string): boolean {
  try {
    import.meta.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}
const NATIVE = {
  node: { pkg: '@tensorflow/tfjs-node', installed: resolves('@tensorflow/tfjs-node') },
  gpu: { pkg: '@tensorflow/tfjs-node-gpu', installed: resolves('@tensorflow/tfjs-node-gpu') },
} as const;
const anyNative = NATIVE.node.installed || NATIVE.gpu.installed;

async function captureLog<T>(fn: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => {
    lines.push(args.join(' '));
  };
  try {
    return { result: await fn(), lines };
  } finally {
    console.log = original;
  }
}

function assertOneLineUnavailable(e: unknown, pref: 'node' | 'gpu', pkg: string): true {
  assert.ok(e instanceof BackendUnavailableError, String(e));
  assert.match(e.message, new RegExp(`^--backend ${pref} is not available: .*${pkg}`));
  assert.match(e.message, new RegExp(`npm install ${pkg}`));
  assert.ok(!e.message.includes('\n'), e.message);
  return true;
}

test('auto picks native TensorFlow when it loads and wasm otherwise, prints once, and is idempotent', async () => {
  const first = await captureLog(() => selectBackend('auto'));
  assert.equal(tf.getBackend(), first.result.name);
  if (!anyNative) {
    assert.equal(first.result.name, 'wasm');
    assert.equal(first.result.kind, 'wasm');
    assert.match(first.result.reason, /tfjs-node-gpu is not installed/);
    assert.match(first.result.reason, /tfjs-node is not installed/);
  } else if (first.result.name === 'wasm') {
    // Installed but unusable here (no libtensorflow, no CUDA device): the reason names what failed.
    assert.match(first.result.reason, /skipped: .*tfjs-node.*(failed|no usable|not installed)/);
  } else {
    assert.equal(first.result.name, 'tensorflow');
    assert.ok(first.result.kind === 'gpu' || first.result.kind === 'node', first.result.kind);
  }
  assert.equal(first.lines.length, 1);
  assert.match(first.lines[0], new RegExp(`backend: ${first.result.name}`));

  const again = await captureLog(() => selectBackend('auto'));
  assert.equal(again.result, first.result);
  assert.deepEqual(again.lines, []);
});

test('forced wasm reports its version and thread count and carries the training kernels', async () => {
  const wasm = await selectBackend('wasm', { quiet: true });
  assert.equal(wasm.name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.match(wasm.reason, /^forced with --backend wasm: WebAssembly/);
  assert.equal(wasm.versions['tfjs-backend-wasm'], '4.22.0');
  assert.equal(wasm.threads, 1);
  const kernels = ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput'];
  for (const kernel of kernels) assert.ok(tf.getKernel(kernel, 'wasm'), kernel);
});

for (const pref of ['node', 'gpu'] as const) {
  const { pkg, installed } = NATIVE[pref];
  if (!installed && !(pref === 'node' && NATIVE.gpu.installed)) {
    test(`forcing '${pref}' without ${pkg} fails with one clear line that says how to install it`, async () => {
      await assert.rejects(selectBackend(pref, { quiet: true }), (e: unknown) => {
        assertOneLineUnavailable(e, pref, pkg);
        assert.match((e as Error).message, new RegExp(`${pkg} is not installed`));
        return true;
      });
      // A failed attempt is not cached as a success and leaves the previous backend usable.
      await assert.rejects(selectBackend(pref, { quiet: true }), BackendUnavailableError);
      tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)).dataSync());
    });
  } else {
    test(`forcing '${pref}' with native TensorFlow installed runs it, or says in one line why not`, async () => {
      try {
        const choice = await selectBackend(pref, { quiet: true });
        assert.equal(choice.name, 'tensorflow');
        assert.equal(choice.kind, pref);
        assert.equal(tf.getBackend(), 'tensorflow');
        assert.match(choice.reason, new RegExp(`^forced with --backend ${pref}: `));
      } catch (e) {
        assertOneLineUnavailable(e, pref, pkg);
      }
      tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)).dataSync());
    });
  }
}

test("'cpu' works when forced, and switching back to auto restores auto's choice", async () => {
  const cpu = await selectBackend('cpu', { quiet: true });
  assert.equal(cpu.name, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.match(cpu.reason, /^forced with --backend cpu/);
  const auto = await selectBackend('auto', { quiet: true });
  assert.notEqual(auto.name, 'cpu');
  assert.equal(tf.getBackend(), auto.name);
});

test('an unknown preference is rejected with the allowed values', async () => {
  await assert.rejects(
    selectBackend('tpu' as BackendPreference, { quiet: true }),
    /unknown backend 'tpu'; expected one of auto, gpu, node, wasm, cpu/,
  );
});
