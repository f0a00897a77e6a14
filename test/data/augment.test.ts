import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drawAugmentation, mulberry32, writeAugmented } from '../../src/data/index.ts';

// R = x, G = y, B = 200: every output pixel says where it came from.
const src = new Uint8Array(32 * 32 * 3);
for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) src.set([x, y, 200], (y * 32 + x) * 3);
const at = (img: ArrayLike<number>, y: number, x: number) => [
  img[(y * 32 + x) * 3],
  img[(y * 32 + x) * 3 + 1],
  img[(y * 32 + x) * 3 + 2],
];

test('no shift, no flip copies the image', () => {
  const out = new Uint8Array(src.length);
  writeAugmented(src, out, 0, { flip: false, dx: 4, dy: 4 });
  assert.deepEqual(out, src);
});

test('crop after 4-px zero padding shifts content and fills with black', () => {
  const out = new Float32Array(src.length + 6);
  writeAugmented(src, out, 6, { flip: false, dx: 8, dy: 0 }); // window starts 4 right, 4 up of the original
  const img = out.subarray(6);
  assert.deepEqual(at(img, 0, 0), [0, 0, 0]); // rows 0..3 come from the padding
  assert.deepEqual(at(img, 3, 10), [0, 0, 0]);
  assert.deepEqual(at(img, 4, 0), [4, 0, 200]); // output (4, 0) = source (0, 4)
  assert.deepEqual(at(img, 31, 27), [31, 27, 200]);
  assert.deepEqual(at(img, 31, 28), [0, 0, 0]); // columns 28..31 from the right padding
  assert.deepEqual([out[0], out[5]], [0, 0], 'writes only from the offset on');
});

test('flip mirrors after the crop', () => {
  const out = new Uint8Array(src.length);
  writeAugmented(src, out, 0, { flip: true, dx: 4, dy: 4 });
  assert.deepEqual(at(out, 5, 0), [31, 5, 200]);
  assert.deepEqual(at(out, 5, 31), [0, 5, 200]);
  writeAugmented(src, out, 0, { flip: true, dx: 5, dy: 4 }); // crop one right, then mirror
  assert.deepEqual(at(out, 0, 0), [0, 0, 0]);
  assert.deepEqual(at(out, 0, 1), [31, 0, 200]);
});

test('draws are seeded: same seed same sequence; flips about half; crops cover 0..8', () => {
  const draw = (seed: number) => {
    const rng = mulberry32(seed);
    return Array.from({ length: 2000 }, () => drawAugmentation(rng, { flip: true, crop: true }));
  };
  const a = draw(1);
  assert.deepEqual(a, draw(1));
  assert.notDeepEqual(a, draw(2));
  const flips = a.filter((d) => d.flip).length;
  assert.ok(flips > 900 && flips < 1100, `flips ${flips}`);
  assert.deepEqual([...new Set(a.map((d) => d.dx))].sort(), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual([...new Set(a.map((d) => d.dy))].sort(), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  const off = drawAugmentation(mulberry32(1), {});
  assert.deepEqual(off, { flip: false, dx: 4, dy: 4 });
});
