// Reader compat rules for forms other writers use (doc §3.2, §4): typed scalar tensors, legacy
// histo/image values, node_name tags, metadata only on the first value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunReader } from '../../src/tensorboard/index.ts';
import { EventFileWriter } from '../../src/tensorboard/write/event-file-writer.ts';
import { withTempDir } from './helpers.ts';

const scalarsMeta = { plugin_data: { plugin_name: 'scalars' } };
const bytes = (view: ArrayBufferView) => new Uint8Array(view.buffer, view.byteOffset, view.byteLength);

test('scalar tensors of every numeric form, simple_value, and metadata on the first value only', async () => {
  await withTempDir(async (dir) => {
    const w = await EventFileWriter.create(dir);
    const ev = (step: number, value: Record<string, unknown>) =>
      w.add({ wall_time: 10 + step, step, summary: { value: [value] } });
    ev(0, { tag: 'f64', metadata: scalarsMeta, tensor: { dtype: 2, tensor_content: bytes(new Float64Array([0.1])) } });
    ev(1, { tag: 'f64', tensor: { dtype: 2, double_val: [0.2] } });
    ev(0, { tag: 'f32val', metadata: scalarsMeta, tensor: { dtype: 1, float_val: [1.5] } });
    ev(0, { tag: 'half', metadata: scalarsMeta, tensor: { dtype: 19, half_val: [0x3c00 /* 1.0 */] } });
    ev(1, { tag: 'half', tensor: { dtype: 19, tensor_content: new Uint8Array([0x00, 0xc0]) /* -2.0 */ } });
    ev(0, { tag: 'i64', metadata: scalarsMeta, tensor: { dtype: 9, int64_val: [42] } });
    ev(1, { tag: 'i64', tensor: { dtype: 9, tensor_content: bytes(new BigInt64Array([-7n])) } });
    ev(0, {
      tag: 'i32',
      metadata: scalarsMeta,
      tensor: { dtype: 3, int_val: [5], tensor_shape: { dim: [{ size: 1 }] } },
    });
    ev(0, { tag: 'bf16', metadata: scalarsMeta, tensor: { dtype: 14, half_val: [0x3fc0 /* 1.5 */] } });
    ev(0, { node_name: 'legacy_node', simple_value: 3.25 });
    ev(0, {
      tag: 'vector',
      metadata: scalarsMeta,
      tensor: { dtype: 1, float_val: [1, 2], tensor_shape: { dim: [{ size: 2 }] } },
    });
    await w.close();
    const r = new RunReader(dir);
    await r.update();
    const values = (tag: string) => r.scalars(tag).map((p) => [p.step, p.value]);
    assert.deepEqual(values('f64'), [
      [0, 0.1],
      [1, 0.2],
    ]);
    assert.deepEqual(values('f32val'), [[0, 1.5]]);
    assert.deepEqual(values('half'), [
      [0, 1],
      [1, -2],
    ]);
    assert.deepEqual(values('i64'), [
      [0, 42],
      [1, -7],
    ]);
    assert.deepEqual(values('i32'), [[0, 5]]);
    assert.deepEqual(values('bf16'), [[0, 1.5]]);
    assert.deepEqual(values('legacy_node'), [[0, 3.25]]);
    assert.deepEqual(values('vector'), []); // not a scalar: TensorBoard drops it too
    assert.deepEqual(r.warnings, []);
  });
});

test('legacy histo and image values are migrated like TensorBoard data_compat', async () => {
  await withTempDir(async (dir) => {
    const w = await EventFileWriter.create(dir);
    w.add({
      wall_time: 1,
      step: 3,
      summary: {
        value: [
          {
            tag: 'h',
            histo: {
              min: -1,
              max: 4,
              num: 5,
              sum: 6,
              sum_squares: 20,
              bucket_limit: [-2, 0, 1, 3, 5, 9],
              bucket: [0, 2, 1, 0, 2, 0],
            },
          },
        ],
      },
    });
    w.add({
      wall_time: 2,
      step: 4,
      summary: {
        value: [
          {
            tag: 'img',
            image: { height: 3, width: 2, colorspace: 3, encoded_image_string: new Uint8Array([9, 8, 7]) },
          },
        ],
      },
    });
    await w.close();
    const r = new RunReader(dir);
    await r.update();
    assert.deepEqual(r.histograms('h'), [
      {
        step: 3,
        wallTime: 1,
        buckets: [
          { left: -1, right: 0, count: 2 },
          { left: 0, right: 1, count: 1 },
          { left: 1, right: 3, count: 0 },
          { left: 3, right: 4, count: 2 },
        ],
      },
    ]);
    assert.deepEqual(r.images('img'), [
      { step: 4, wallTime: 2, width: 2, height: 3, png: new Uint8Array([9, 8, 7]), sample: 0 },
    ]);
    assert.equal(r.plugin('h'), 'histograms');
    assert.equal(r.plugin('img'), 'images');
  });
});
