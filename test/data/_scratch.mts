import * as tf from '@tensorflow/tfjs';
import { loadCifar10, batches } from '../../src/data/index.ts';
await tf.ready();
const x = tf.randomUniform([32, 160, 160, 3], 0, 255) as tf.Tensor4D;
for (const [name, fn] of [
  ['reverse', () => tf.reverse(x, -1)],
  ['gather', () => tf.gather(x, [2, 1, 0], 3)],
  ['splitconcat', () => tf.tidy(() => tf.concat(tf.split(x, 3, 3).reverse(), 3))],
] as const) {
  fn().dispose();
  const t = performance.now(); for (let i = 0; i < 3; i++) fn().dispose(); console.log(name, ((performance.now() - t) / 3).toFixed(1), 'ms');
}
const d = await loadCifar10('/work/shared/data/cifar-10-batches-bin');
for (const size of [32, 96, 160]) for (const aug of [false, true]) {
  let n = 0; const t = Date.now();
  for await (const b of batches(d.train, { batchSize: 32, size, preprocess: 'torch', augment: aug })) {
    n += b.x.shape[0]; tf.dispose([b.x, b.y]); if (n >= 32*30) break;
  }
  console.log(size, aug, 'img/s', (n / ((Date.now() - t) / 1000)).toFixed(0), tf.memory().numTensors, (process.memoryUsage().rss/2**20).toFixed(0));
}
