import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backends/index.ts';
import {
  chooseForward,
  exportOnnx,
  loadOnnxRuntime,
  OnnxSession,
  UnsupportedLayerError,
} from '../../src/onnx/index.ts';
import { compare, ortOrThrow, runOnnx } from './helpers.ts';
import { runWithoutOnnxRuntime } from './without-onnxruntime.ts';

before(async () => {
  await selectBackend('wasm');
});

type T = tf.SymbolicTensor;

function withTransposedConv(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3], name: 'pixels' });
  const before = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'before' }).apply(input) as T;
  const up = tf.layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 2, name: 'upconv' }).apply(before) as T;
  return tf.model({
    inputs: input,
    outputs: tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(up) as T,
    name: 'with_upconv',
  });
}

test('an unsupported layer: one line naming its class and name; a cut before it exports; auto falls back to tfjs, onnx fails', async () => {
  const model = withTransposedConv();
  assert.throws(
    () => exportOnnx(model),
    (error: unknown) => {
      assert.ok(error instanceof UnsupportedLayerError);
      assert.equal(
        error.message,
        'ONNX export: layer "upconv" (Conv2DTranspose) is not supported: no ONNX translation',
      );
      assert.equal(error.layerClass, 'Conv2DTranspose');
      assert.equal(error.layerName, 'upconv');
      return true;
    },
  );
  const cut = exportOnnx(model, { outputs: ['before'], pooling: 'max' });
  assert.deepEqual(
    cut.outputs.map((o) => [o.layer, o.shape]),
    [['before', [null, 4]]],
  );
  const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 3);
  const [pooled] = await runOnnx(model, x, { outputs: ['before'], pooling: 'max' });
  const want = tf.tidy(() => tf.max(model.getLayer('before').apply(x) as tf.Tensor, [1, 2]));
  const { diff, scale } = compare(pooled!.data, want.dataSync());
  assert.ok(diff <= 1e-5 * scale, `max-pooled cut: ${diff}`);
  assert.throws(
    () => exportOnnx(model, { outputs: ['nope'] }),
    /^Error: ONNX export: with_upconv has no layer named "nope"$/,
  );

  const auto = await chooseForward(model, { engine: 'auto' });
  assert.equal(auto.engine, 'tfjs');
  assert.ok(
    auto.engine === 'tfjs' &&
      /^ONNX export: layer "upconv" \(Conv2DTranspose\) is not supported: no ONNX translation; running with_upconv on tfjs$/.test(
        auto.notice ?? '',
      ),
    JSON.stringify(auto),
  );
  await assert.rejects(
    chooseForward(model, { engine: 'onnx' }),
    /^Error: --engine onnx: ONNX export: layer "upconv" \(Conv2DTranspose\)/,
  );
});

test('a loader that fails (package missing, broken binding) gives "unavailable" with a one-line notice, and auto runs on tfjs', async () => {
  const missing = () =>
    Promise.reject(
      Object.assign(new Error("Cannot find package 'onnxruntime-node' imported from /x/load.ts\n    at resolve"), {
        code: 'ERR_MODULE_NOT_FOUND',
      }),
    );
  const rt = await loadOnnxRuntime(missing);
  assert.equal(rt.available, false);
  assert.ok(!rt.available);
  assert.equal(rt.reason, "Cannot find package 'onnxruntime-node' imported from /x/load.ts");
  assert.ok(!rt.notice.includes('\n') && rt.notice.endsWith('running forward passes on tfjs'), rt.notice);
  const broken = async () =>
    ({
      listSupportedBackends: () => {
        throw new Error('libonnxruntime.so.1: cannot open shared object file');
      },
    }) as never;
  assert.match(((await loadOnnxRuntime(broken)) as { reason: string }).reason, /cannot open shared object file/);

  const input = tf.input({ shape: [4, 4, 3] });
  const model = tf.model({
    inputs: input,
    outputs: tf.layers.globalAveragePooling2d({}).apply(input) as T,
    name: 'tiny',
  });
  const choice = await chooseForward(model, { engine: 'auto', loader: missing });
  assert.deepEqual(choice, {
    engine: 'tfjs',
    notice:
      "ONNX Runtime unavailable (Cannot find package 'onnxruntime-node' imported from /x/load.ts); running tiny on tfjs",
  });
  await assert.rejects(
    chooseForward(model, { engine: 'onnx', loader: missing }),
    /--engine onnx: ONNX Runtime unavailable/,
  );
  assert.deepEqual(await chooseForward(model, { engine: 'tfjs' }), { engine: 'tfjs', notice: null });
});

test('the session: all cores by default, CPU provider, a batch of any size, bad thread counts and runs after dispose refused', async () => {
  const ort = await ortOrThrow();
  const input = tf.input({ shape: [5, 5, 2], name: 'x' });
  const model = tf.model({
    inputs: input,
    outputs: tf.layers.conv2d({ filters: 3, kernelSize: 3, name: 'c' }).apply(input) as T,
  });
  const exported = exportOnnx(model);
  const session = await OnnxSession.create(ort, exported.bytes);
  assert.equal(session.provider, 'cpu');
  assert.equal(session.threads, (await import('node:os')).availableParallelism());
  assert.deepEqual(session.inputNames, ['x']);
  for (const n of [1, 7]) {
    const x = tf.randomNormal([n, 5, 5, 2], 0, 1, 'float32', n);
    const out = (await session.run({ data: x.dataSync() as Float32Array, shape: x.shape })).get(
      exported.outputs[0]!.name,
    )!;
    assert.deepEqual(out.shape, [n, 3, 3, 3]);
    const { diff, scale } = compare(out.data, (model.predict(x) as tf.Tensor).dataSync());
    assert.ok(diff <= 1e-5 * scale, `batch ${n}: ${diff}`);
  }
  const auto = await OnnxSession.create(ort, exported.bytes, { provider: 'auto', cudaInstalled: false, threads: 1 });
  assert.equal(auto.provider, 'cpu');
  assert.equal(auto.fallbackReason, 'the CUDA execution provider is not installed');
  await auto.dispose();
  await assert.rejects(
    OnnxSession.create(ort, exported.bytes, { threads: 0 }),
    /threads must be a positive integer, got 0/,
  );
  const runtime = await loadOnnxRuntime();
  if (runtime.available && !runtime.cudaInstalled) {
    // No CUDA provider in this install: forcing it is one line, `auto` above chose the CPU.
    await assert.rejects(
      OnnxSession.create(ort, exported.bytes, { provider: 'cuda' }),
      /^Error: ONNX Runtime: the CUDA execution provider failed: [^\n]+$/,
    );
  }
  await session.dispose();
  await assert.rejects(session.run({ data: new Float32Array(50), shape: [1, 5, 5, 2] }), /run after dispose/);
});

test('with onnxruntime-node absent from node_modules (a real copy without it), auto runs on tfjs with one notice line', () => {
  const child = runWithoutOnnxRuntime(`
import * as tf from '@tensorflow/tfjs';
import { chooseForward } from './src/onnx/index.ts';
await tf.setBackend('cpu');
const input = tf.input({ shape: [4, 4, 3] });
const model = tf.model({ inputs: input, outputs: tf.layers.globalAveragePooling2d({}).apply(input), name: 'tiny' });
const choice = await chooseForward(model, { engine: 'auto' });
console.log(JSON.stringify(choice));
const y = model.predict(tf.ones([2, 4, 4, 3]));
console.log('tfjs', y.shape.join('x'), y.dataSync()[0]);
await chooseForward(model, { engine: 'onnx' }).catch((e) => console.log(e.message));
`);
  assert.equal(child.status, 0, child.stderr);
  const lines = child.stdout
    .trim()
    .split('\n')
    .filter((l) => !l.includes('tfjs-node') && !/^=+$|^Hi,|^$/.test(l.trim()));
  const choice = JSON.parse(lines[0]!) as { engine: string; notice: string };
  assert.equal(choice.engine, 'tfjs');
  assert.match(
    choice.notice,
    /^ONNX Runtime unavailable \(Cannot find package 'onnxruntime-node' imported from .*load\.ts\); running tiny on tfjs$/,
  );
  assert.equal(lines[1], 'tfjs 2x3 1');
  assert.match(lines[2]!, /^--engine onnx: ONNX Runtime unavailable \(Cannot find package 'onnxruntime-node'/);
});
