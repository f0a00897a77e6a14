import * as tf from '@tensorflow/tfjs';
import { buildBase } from './src/models/index.ts';
import { exportOnnx, loadOnnxRuntime, OnnxSession } from './src/onnx/index.ts';
await tf.setBackend('cpu');
const rt = await loadOnnxRuntime(); if (!rt.available) throw 0;
const base = buildBase({ name: 'densenet121', inputSize: 160 });
const ex = exportOnnx(base, { pooling: 'avg' });
const x = new Float32Array(32 * 160 * 160 * 3).map(() => Math.random());
for (const threads of [1, 2]) {
  const s = await OnnxSession.create(rt.ort, ex.bytes, { threads });
  const times = [];
  for (let i = 0; i < 4; i++) { const t = performance.now(); await s.run({ data: x, shape: [32, 160, 160, 3] }); times.push(performance.now() - t); }
  times.sort((a, b) => a - b);
  console.log(threads, 'threads', (32000 / times[1]!).toFixed(1), 'img/s', times.map((t) => t.toFixed(0)).join(' '));
  await s.dispose();
}
