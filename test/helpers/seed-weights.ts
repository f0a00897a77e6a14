import * as tf from '@tensorflow/tfjs';

/**
 * Seeded weights with healthy activations through deep nets: kernels He-scaled by their fan-in,
 * BN statistics and affine terms spread around identity (so folding them changes the numbers).
 */
export function seedWeights(model: tf.LayersModel, seed: number): void {
  let s = seed >>> 0 || 1;
  // Uniform on [-√3, √3): unit variance.
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 3.4641016;
  };
  for (const w of model.weights) {
    const shape = w.shape as number[];
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const name = w.originalName;
    let [scale, offset, abs] = [0.1, 0, false];
    if (/moving_variance$/.test(name)) [scale, offset, abs] = [0.4, 0.6, true];
    else if (/gamma$/.test(name)) [scale, offset] = [0.2, 1];
    else if (!/(beta|moving_mean|bias)$/.test(name)) {
      const fanIn =
        shape.length === 4 ? shape[0]! * shape[1]! * (name.includes('depthwise') ? 1 : shape[2]!) : shape[0]!;
      scale = Math.sqrt(2 / fanIn);
    }
    for (let i = 0; i < values.length; i++) {
      const r = next();
      values[i] = offset + scale * (abs ? Math.abs(r) : r);
    }
    w.write(tf.tensor(values, shape));
  }
}
