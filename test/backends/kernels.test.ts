import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backends/index.ts';
import { forwardConv } from '../../src/backends/wasm-kernels/conv-info.ts';
import { conv2dInputGradientPath } from '../../src/backends/wasm-kernels/conv2d-grad.ts';
import { replacedWasmKernels } from '../../src/backends/wasm-kernels/register.ts';
import { insertZeros, padOrCrop4d, spreadAndPad } from '../../src/backends/wasm-kernels/geometry.ts';
import { SPREAD_PAD } from '../../src/backends/wasm-kernels/spread-pad.ts';
import {
  collapsePermutation,
  isMatrixTranspose,
  wasmIsSlowAt,
} from '../../src/backends/wasm-kernels/transpose-kernel.ts';
import { randomValues, relativeError, runKernelOn } from './helpers.ts';

before(async () => {
  await selectBackend('wasm', { quiet: true });
});

interface Case {
  h: number;
  w: number;
  k: number;
  stride: number;
  pad: 'same' | 'valid' | number;
  cin: number;
  out: number;
}

// Odd and even sizes, kernels 1/3/5, strides 1/2, same/valid/explicit padding.
function cases(): Case[] {
  const list: Case[] = [];
  let i = 0;
  for (const k of [1, 3, 5]) {
    for (const stride of [1, 2]) {
      for (const pad of ['same', 'valid'] as const) {
        i++;
        list.push({ h: 5 + (i % 4), w: 6 + ((i * 3) % 5), k, stride, pad, cin: 2 + (i % 3), out: 3 + (i % 2) });
      }
    }
  }
  list.push({ h: 9, w: 7, k: 3, stride: 2, pad: 1, cin: 3, out: 2 });
  list.push({ h: 8, w: 8, k: 3, stride: 1, pad: 2, cin: 2, out: 3 });
  return list;
}

function label(c: Case, extra = ''): string {
  return `${c.h}×${c.w} k${c.k} s${c.stride} ${c.pad}${extra}`;
}

async function compare(
  kernel: string,
  inputs: Record<string, { values: Float32Array; shape: number[] }>,
  attrs: Record<string, unknown>,
  what: string,
): Promise<void> {
  const expected = await runKernelOn('cpu', kernel, inputs, attrs);
  const actual = await runKernelOn('wasm', kernel, inputs, attrs);
  assert.deepEqual(actual.shape, expected.shape, `${kernel} ${what}: shape`);
  const err = relativeError(actual.values, expected.values);
  assert.ok(err < 1e-4, `${kernel} ${what}: relative error ${err}`);
}

const batch = 2;

test('Conv2DBackpropFilter and Conv2DBackpropInput match the cpu backend', async () => {
  let seed = 1;
  for (const c of cases()) {
    const xShape = [batch, c.h, c.w, c.cin];
    const filterShape = [c.k, c.k, c.cin, c.out];
    if (c.pad === 'valid' && (c.h < c.k || c.w < c.k)) continue;
    const info = tf.backend_util.computeConv2DInfo(xShape as never, filterShape as never, c.stride, 1, c.pad);
    const dyShape = info.outShape;
    const x = {
      values: randomValues(
        xShape.reduce((a, b) => a * b),
        seed++,
      ),
      shape: xShape,
    };
    const dy = {
      values: randomValues(
        dyShape.reduce((a, b) => a * b),
        seed++,
      ),
      shape: dyShape,
    };
    const filter = {
      values: randomValues(
        filterShape.reduce((a, b) => a * b),
        seed++,
      ),
      shape: filterShape,
    };
    const common = { strides: [c.stride, c.stride], pad: c.pad, dataFormat: 'NHWC' };
    await compare('Conv2DBackpropFilter', { x, dy }, { ...common, filterShape }, label(c));
    await compare('Conv2DBackpropInput', { dy, filter }, { ...common, inputShape: xShape }, label(c));
  }
});

test(
  "Conv2DBackpropInput picks wasm's own kernel where it is " +
    'cheaper (tiny spatial, wide filter) and still matches cpu',
  async () => {
    const xShape = [2, 2, 2, 96];
    const filterShape = [3, 3, 96, 80];
    const c = forwardConv(xShape, filterShape, 1, 'same', undefined, false, 'test');
    assert.equal(conv2dInputGradientPath(c, 80), 'stock');
    assert.equal(
      conv2dInputGradientPath(forwardConv([8, 16, 16, 32], [3, 3, 32, 32], 1, 'same', undefined, false, 'test'), 32),
      'xnnpack',
    );
    const dy = { values: randomValues(2 * 2 * 2 * 80, 3), shape: [2, 2, 2, 80] };
    const filter = { values: randomValues(3 * 3 * 96 * 80, 4), shape: filterShape };
    await compare(
      'Conv2DBackpropInput',
      { dy, filter },
      { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', inputShape: xShape },
      'tiny spatial',
    );
  },
);

test('DepthwiseConv2dNativeBackpropFilter and -Input match the cpu backend (multipliers 1 and 2)', async () => {
  let seed = 100;
  for (const c of cases()) {
    for (const multiplier of [1, 2]) {
      const xShape = [batch, c.h, c.w, c.cin];
      const filterShape = [c.k, c.k, c.cin, multiplier];
      const info = tf.backend_util.computeConv2DInfo(
        xShape as never,
        filterShape as never,
        c.stride,
        1,
        c.pad,
        undefined,
        true,
      );
      const dyShape = info.outShape;
      const x = {
        values: randomValues(
          xShape.reduce((a, b) => a * b),
          seed++,
        ),
        shape: xShape,
      };
      const dy = {
        values: randomValues(
          dyShape.reduce((a, b) => a * b),
          seed++,
        ),
        shape: dyShape,
      };
      const filter = {
        values: randomValues(
          filterShape.reduce((a, b) => a * b),
          seed++,
        ),
        shape: filterShape,
      };
      const common = { strides: [c.stride, c.stride], pad: c.pad, dilations: [1, 1] };
      await compare(
        'DepthwiseConv2dNativeBackpropFilter',
        { x, dy },
        { ...common, filterShape },
        label(c, ` ×${multiplier}`),
      );
      await compare(
        'DepthwiseConv2dNativeBackpropInput',
        { dy, filter },
        { ...common, inputShape: xShape },
        label(c, ` ×${multiplier}`),
      );
    }
  }
});

test('BatchMatMul with transpose flags matches the cpu backend', async () => {
  for (const [transposeA, transposeB] of [
    [true, false],
    [false, true],
    [true, true],
  ]) {
    const aShape = transposeA ? [2, 5, 3] : [2, 3, 5];
    const bShape = transposeB ? [2, 4, 5] : [2, 5, 4];
    const a = { values: randomValues(30, 7), shape: aShape };
    const b = { values: randomValues(40, 8), shape: bShape };
    await compare('BatchMatMul', { a, b }, { transposeA, transposeB }, `tA=${transposeA} tB=${transposeB}`);
  }
});

test('the batch-norm gradient (broadcast, no Tile) matches autodiff of the plain formula on cpu', async () => {
  // Our FusedBatchNorm gradient is registered for every backend, so the reference differentiates
  // the formula written out in elementary ops instead.
  const x = randomValues(2 * 5 * 5 * 4, 11);
  const dyv = randomValues(2 * 5 * 5 * 4, 12);
  const grads = async (backend: string, fused: boolean): Promise<Float32Array[]> => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const f = (xx: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor): tf.Tensor => {
        const { mean, variance } = tf.moments(xx, [0, 1, 2]);
        const y = fused
          ? tf.batchNorm(xx, mean, variance, offset, scale, 1e-3)
          : tf.add(tf.mul(tf.mul(tf.sub(xx, mean), tf.rsqrt(tf.add(variance, 1e-3))), scale), offset);
        return tf.sum(tf.mul(y, tf.tensor(dyv, [2, 5, 5, 4])));
      };
      const g = tf.grads(f as never)([
        tf.tensor(x, [2, 5, 5, 4]),
        tf.tensor([1, 2, 0.5, 1.5]),
        tf.tensor([0, 1, 0, -1]),
      ]);
      return g.map((t) => t.dataSync() as Float32Array);
    });
  };
  const expected = await grads('cpu', false);
  for (const backend of ['wasm', 'cpu']) {
    const actual = await grads(backend, true);
    for (let i = 0; i < expected.length; i++) {
      const err = relativeError(actual[i], expected[i]);
      assert.ok(err < 1e-4, `${backend} input ${i}: relative error ${err}`);
    }
  }
  // It must be ours that ran: the stock gradient tiles.
  await tf.setBackend('wasm');
  const xx = tf.tensor(x, [2, 5, 5, 4]);
  const profile = await tf.profile(() =>
    tf.grad((t: tf.Tensor) =>
      tf.sum(
        tf.batchNorm(
          t,
          tf.tensor([0.1, 0, 0, 0]),
          tf.tensor([1, 1, 2, 1]),
          tf.tensor([0, 1, 0, 0]),
          tf.tensor([1, 2, 1, 1]),
        ),
      ),
    )(xx),
  );
  xx.dispose();
  assert.ok(!profile.kernelNames.includes('Tile'), `kernels run: ${profile.kernelNames.join(', ')}`);
});

test('Relu6 and ClipByValue gradients (arithmetic masks): dy where lo ≤ x ≤ hi (Relu6: 0 < x ≤ 6)', async () => {
  const x = randomValues(3 * 7 * 5, 21).map((v, i) => (i % 17 === 0 ? [0, 6, -1, 2.5][i % 4] : v * 8));
  const w = randomValues(3 * 7 * 5, 22);
  const grad = async (backend: string, f: (t: tf.Tensor) => tf.Tensor): Promise<Float32Array> => {
    await tf.setBackend(backend);
    return tf.tidy(
      () =>
        tf
          .grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), tf.tensor(w, [3, 7, 5]))))(tf.tensor(x, [3, 7, 5]))
          .dataSync() as Float32Array,
    );
  };
  const relu6Expected = w.map((v, i) => (x[i] > 0 && x[i] <= 6 ? v : 0));
  const clipExpected = w.map((v, i) => (x[i] >= -1 && x[i] <= 2.5 ? v : 0));
  assert.ok(relu6Expected.some((v) => v === 0) && relu6Expected.some((v) => v !== 0), 'the values straddle both edges');
  // Exact up to the sign of zero (dy · 0 keeps dy's sign).
  for (const backend of ['wasm', 'cpu']) {
    assert.equal(relativeError(await grad(backend, (t) => tf.relu6(t)), relu6Expected), 0, `${backend} relu6`);
    assert.equal(
      relativeError(await grad(backend, (t) => tf.clipByValue(t, -1, 2.5)), clipExpected),
      0,
      `${backend} clipByValue`,
    );
  }
});

test('Slice (memcpy runs on the wasm heap) matches the cpu backend for ranks 1–5', async () => {
  const shapes = [[11], [4, 7], [3, 5, 6], [2, 5, 6, 3], [2, 3, 4, 5, 3]];
  let seed = 300;
  for (const shape of shapes) {
    const values = randomValues(
      shape.reduce((a, b) => a * b),
      seed++,
    );
    for (let trial = 0; trial < 6; trial++) {
      const begin = shape.map((d, i) => (trial + i) % d);
      const size = shape.map((d, i) => (trial % 3 === 0 && i > 0 ? -1 : Math.max(1, d - begin[i] - ((trial + i) % 2))));
      await compare(
        'Slice',
        { x: { values, shape } },
        { begin, size },
        `${JSON.stringify(shape)} begin ${begin} size ${size}`,
      );
    }
  }
});

test('Identity on wasm shares the buffer (the engine clones every tensor it saves for backward)', async () => {
  await tf.setBackend('wasm');
  const x = tf.tensor(randomValues(1000, 41), [10, 100]);
  const copies = Array.from({ length: 50 }, () => tf.clone(x));
  assert.ok(
    copies.every((c) => c.dataId === x.dataId),
    'clones share the data buffer',
  );
  const expected = x.dataSync().slice();
  x.dispose();
  for (const c of copies) assert.deepEqual(c.dataSync(), expected);
  tf.dispose(copies);
});

test('Sum and Mean match the cpu backend (batch statistics, bias and BN gradients reduce leading axes)', async () => {
  const cases: [number[], number | number[], boolean][] = [
    [[4, 5, 6, 7], [0, 1, 2], false],
    [[4, 5, 6, 7], [0, 1, 2], true],
    [[4, 5, 6, 7], [2, 1, 0], false],
    [[3, 9], 0, false],
    [[3, 9], [0, 1], false],
    [[2, 3, 4], [-3, -2], true],
    [[6, 5], 1, false],
    [[2, 3, 4, 5], [1, 2], false],
  ];
  let seed = 500;
  for (const [shape, axis, keepDims] of cases) {
    const x = {
      values: randomValues(
        shape.reduce((a, b) => a * b),
        seed++,
      ),
      shape,
    };
    for (const kernel of ['Sum', 'Mean'])
      await compare(
        kernel,
        { x },
        { axis, keepDims },
        `${JSON.stringify(shape)} axis ${JSON.stringify(axis)} keepDims ${keepDims}`,
      );
  }
});

test('Sum and Mean over middle axes, ≥ 8 channels, > 32 rows (the blocked path) match cpu and run ours', async () => {
  const cases: [number[], number[], boolean][] = [
    [[3, 7, 5, 19], [0, 1, 2], false],
    [[2, 9, 11, 16], [0, 1, 2], true],
    [[5, 40, 13], [1], false],
    [[70, 8], [0], false],
  ];
  let seed = 600;
  for (const [shape, axis, keepDims] of cases) {
    const x = {
      values: randomValues(
        shape.reduce((a, b) => a * b),
        seed++,
      ).map((v) => v + 0.5),
      shape,
    };
    for (const kernel of ['Sum', 'Mean'])
      await compare(kernel, { x }, { axis, keepDims }, `${JSON.stringify(shape)} axis ${JSON.stringify(axis)}`);
  }
  assert.ok(replacedWasmKernels.has('Sum') && replacedWasmKernels.has('Mean'), "wasm's own Sum and Mean were replaced");
});

test('DepthwiseConv2dNativeBackpropFilter, ≥ 8 channels (8-channel blocks + a remainder) matches cpu', async () => {
  let seed = 700;
  for (const [h, w, k, stride, pad, channels] of [
    [9, 11, 3, 1, 'same', 19],
    [10, 7, 3, 2, 'same', 16],
    [12, 9, 5, 2, 'valid', 11],
    [8, 8, 3, 2, 1, 24],
  ] as const) {
    const xShape = [2, h, w, channels];
    const filterShape = [k, k, channels, 1];
    const info = tf.backend_util.computeConv2DInfo(
      xShape as never,
      filterShape as never,
      stride,
      1,
      pad,
      undefined,
      true,
    );
    const x = {
      values: randomValues(
        xShape.reduce((a, b) => a * b),
        seed++,
      ),
      shape: xShape,
    };
    const dy = {
      values: randomValues(
        info.outShape.reduce((a, b) => a * b),
        seed++,
      ),
      shape: info.outShape,
    };
    await compare(
      'DepthwiseConv2dNativeBackpropFilter',
      { x, dy },
      { strides: [stride, stride], pad, dilations: [1, 1], filterShape },
      `${h}×${w}×${channels} k${k} s${stride} ${pad}`,
    );
  }
});

test(
  'Transpose (matrix transposes tiled on the wasm heap, the rest ' +
    "wasm's) matches the cpu backend for ranks 1–5, size-1 axes and int32",
  async () => {
    const cases: [number[], number[]][] = [
      [[7], [0]],
      [
        [37, 19],
        [1, 0],
      ],
      [
        [3, 4],
        [0, 1],
      ],
      [
        [2, 5, 6, 3],
        [3, 1, 2, 0],
      ],
      [
        [2, 5, 6, 3],
        [1, 2, 0, 3],
      ],
      [
        [2, 5, 6, 3],
        [0, 3, 1, 2],
      ],
      [
        [4, 1, 18, 33],
        [3, 2, 1, 0],
      ],
      [
        [3, 17, 1, 20],
        [0, 2, 3, 1],
      ],
      [
        [2, 3, 4, 5, 3],
        [4, 0, 2, 1, 3],
      ],
      [
        [1, 1, 5],
        [2, 0, 1],
      ],
      [
        [3, 17, 20],
        [0, 2, 1],
      ],
      [
        [2, 3, 4, 5, 3],
        [0, 1, 4, 2, 3],
      ],
      [
        [130, 70],
        [1, 0],
      ],
      [
        [1100, 61],
        [1, 0],
      ],
      [
        [2, 1030, 33],
        [0, 2, 1],
      ],
    ];
    let seed = 800;
    for (const [shape, perm] of cases) {
      const x = {
        values: randomValues(
          shape.reduce((a, b) => a * b),
          seed++,
        ),
        shape,
      };
      await compare('Transpose', { x }, { perm }, `${JSON.stringify(shape)} perm ${JSON.stringify(perm)}`);
    }
    await tf.setBackend('wasm');
    const ints = tf.tensor3d(
      Array.from({ length: 24 }, (_, i) => i),
      [2, 3, 4],
      'int32',
    );
    const t = tf.transpose(ints, [2, 0, 1]);
    assert.equal(t.dtype, 'int32');
    assert.deepEqual(
      Array.from(t.dataSync()),
      Array.from(
        tf
          .transpose(
            tf.tensor3d(
              Array.from({ length: 24 }, (_, i) => i),
              [2, 3, 4],
            ),
            [2, 0, 1],
          )
          .dataSync(),
      ),
    );
    tf.dispose([ints, t]);
    assert.ok(replacedWasmKernels.has('Transpose'), "wasm's own Transpose was replaced");
  },
);

test('collapsePermutation merges axes that stay neighbours; matrix transposes are recognised', () => {
  assert.deepEqual(collapsePermutation([16, 48, 48, 96], [3, 0, 1, 2]), { shape: [16 * 48 * 48, 96], perm: [1, 0] });
  assert.deepEqual(collapsePermutation([2, 3, 4, 5, 3], [0, 1, 4, 2, 3]), { shape: [6, 20, 3], perm: [0, 2, 1] });
  assert.deepEqual(collapsePermutation([3, 1, 20], [1, 2, 0]), { shape: [3, 20], perm: [1, 0] });
  assert.deepEqual(collapsePermutation([2, 5, 6, 3], [3, 1, 2, 0]), { shape: [2, 30, 3], perm: [2, 1, 0] });
  assert.ok(
    isMatrixTranspose([1, 0]) &&
      isMatrixTranspose([0, 2, 1]) &&
      !isMatrixTranspose([2, 1, 0]) &&
      !isMatrixTranspose([0]),
  );
  assert.ok(
    wasmIsSlowAt([9216, 144]) && wasmIsSlowAt([2, 1030, 33]) && !wasmIsSlowAt([576, 384]) && !wasmIsSlowAt([1100, 20]),
  );
});

test('FusedBatchNorm (broadcast element-wise kernels) matches cpu, with and without scale and offset', async () => {
  let seed = 900;
  for (const shape of [
    [2, 5, 7, 11],
    [6, 19],
    [3, 4, 9],
  ]) {
    const c = shape[shape.length - 1];
    const x = {
      values: randomValues(
        shape.reduce((a, b) => a * b),
        seed++,
      ).map((v) => v * 2 + 3),
      shape,
    };
    const mean = { values: randomValues(c, seed++).map((v) => v + 3), shape: [c] };
    const variance = { values: randomValues(c, seed++).map((v) => v * v + 0.5), shape: [c] };
    const scale = { values: randomValues(c, seed++), shape: [c] };
    const offset = { values: randomValues(c, seed++), shape: [c] };
    await compare(
      'FusedBatchNorm',
      { x, mean, variance, scale, offset },
      { varianceEpsilon: 1e-3 },
      `${JSON.stringify(shape)}`,
    );
    await compare(
      'FusedBatchNorm',
      { x, mean, variance },
      { varianceEpsilon: 1e-3 },
      `${JSON.stringify(shape)} no scale/offset`,
    );
  }
  assert.ok(replacedWasmKernels.has('FusedBatchNorm'), "wasm's own FusedBatchNorm was replaced");
});

test('spreadAndPad (one heap pass on wasm) = zero insertion + pad/crop, strides 1–3 and negative pads', async () => {
  let seed = 1000;
  for (const [shape, sh, sw, rows, cols] of [
    [[2, 4, 5, 3], 2, 2, [2, 1], [2, 1]],
    [[1, 3, 3, 17], 2, 1, [-1, 0], [1, -1]],
    [[2, 5, 4, 2], 3, 2, [0, 2], [-2, 3]],
    [[1, 2, 2, 4], 1, 1, [1, 1], [0, 0]],
  ] as [number[], number, number, [number, number], [number, number]][]) {
    const values = randomValues(
      shape.reduce((a, b) => a * b),
      seed++,
    );
    await tf.setBackend('cpu');
    const expected = tf.tidy(() => padOrCrop4d(insertZeros(tf.tensor4d(values, shape as never), sh, sw), rows, cols));
    const ev = expected.dataSync().slice();
    const eshape = expected.shape;
    expected.dispose();
    await tf.setBackend('wasm');
    const actual = tf.tidy(() => spreadAndPad(tf.tensor4d(values, shape as never), sh, sw, rows, cols));
    assert.deepEqual(actual.shape, eshape);
    assert.deepEqual(
      Array.from(actual.dataSync()),
      Array.from(ev),
      `${JSON.stringify(shape)} s${sh}×${sw} rows ${rows} cols ${cols}`,
    );
    actual.dispose();
  }
  assert.ok(tf.getKernel(SPREAD_PAD, 'wasm') !== undefined, 'the heap kernel is registered on wasm');
});
