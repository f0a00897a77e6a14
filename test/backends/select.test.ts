import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError, selectBackend, type BackendPreference } from '../../src/backends/index.ts';

async function captureLog<T>(fn: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => { lines.push(args.join(' ')); };
  try {
    return { result: await fn(), lines };
  } finally {
    console.log = original;
  }
}

test('auto picks wasm here (the native packages are not installed), prints once, and is idempotent', async () => {
  const first = await captureLog(() => selectBackend('auto'));
  assert.equal(first.result.name, 'wasm');
  assert.equal(first.result.kind, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.match(first.result.reason, /tfjs-node-gpu is not installed/);
  assert.match(first.result.reason, /tfjs-node is not installed/);
  assert.equal(first.result.versions['tfjs-backend-wasm'], '4.22.0');
  assert.equal(first.result.threads, 1);
  assert.equal(first.lines.length, 1);
  assert.match(first.lines[0], /backend: wasm/);

  const again = await captureLog(() => selectBackend('auto'));
  assert.equal(again.result, first.result);
  assert.deepEqual(again.lines, []);

  // The training kernels are registered on the wasm backend.
  for (const kernel of ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput']) {
    assert.ok(tf.getKernel(kernel, 'wasm'), kernel);
  }
});

for (const [pref, pkg] of [['node', '@tensorflow/tfjs-node'], ['gpu', '@tensorflow/tfjs-node-gpu']] as const) {
  test(`forcing '${pref}' fails with one clear line that says how to install ${pkg}`, async () => {
    await assert.rejects(selectBackend(pref, { quiet: true }), (e: unknown) => {
      assert.ok(e instanceof BackendUnavailableError);
      assert.match(e.message, new RegExp(`--backend ${pref} is not available: ${pkg} is not installed`));
      assert.match(e.message, new RegExp(`npm install ${pkg}`));
      assert.ok(!e.message.includes('\n'), e.message);
      return true;
    });
    // A failed attempt is not cached as a success and leaves the previous backend usable.
    await assert.rejects(selectBackend(pref, { quiet: true }), BackendUnavailableError);
    tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)).dataSync());
  });
}

test("'cpu' works when forced, and switching back to auto restores wasm", async () => {
  const cpu = await selectBackend('cpu', { quiet: true });
  assert.equal(cpu.name, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.match(cpu.reason, /^forced with --backend cpu/);
  const auto = await selectBackend('auto', { quiet: true });
  assert.equal(auto.name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
});

test('an unknown preference is rejected with the allowed values', async () => {
  await assert.rejects(selectBackend('tpu' as BackendPreference, { quiet: true }), /unknown backend 'tpu'; expected one of auto, gpu, node, wasm, cpu/);
});
