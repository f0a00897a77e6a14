import { UnsupportedLayerError } from '../errors.ts';
import type { LayerContext } from './context.ts';

/**
 * The project's UpSample layer (src/models/layers/up-sample.ts, resizeBatch): `bilinear` is TF2's
 * half-pixel bilinear resize (ONNX Resize linear, half_pixel); `nearest` picks source pixel
 * floor((i + 0.5)·in/out), which is ONNX's half_pixel coordinate rounded half up
 * (round_prefer_ceil); `pad` centres the image on a zero canvas, the odd pixel bottom/right.
 */
export function upSampleLayer(ctx: LayerContext): string {
  const { graph, layer } = ctx;
  const x = ctx.inputs[0]!;
  const size = Number(ctx.config.size);
  const mode = String(ctx.config.mode);
  const [h, w] = [x.shape[1], x.shape[2]];
  if (h == null || w == null) throw new UnsupportedLayerError('UpSample', layer.name, 'unknown input size');
  if (h === size && w === size) return x.name;
  if (mode === 'pad') {
    const top = Math.floor((size - h) / 2);
    const left = Math.floor((size - w) / 2);
    const pads = graph.int64([0, 0, top, left, 0, 0, size - h - top, size - w - left]);
    return graph.node('Pad', [x.name, pads], layer.name, { mode: 'constant' });
  }
  if (mode !== 'bilinear' && mode !== 'nearest') throw new UnsupportedLayerError('UpSample', layer.name, `mode ${mode}`);
  // sizes = [batch, channels, size, size] with the batch taken from the input at run time.
  const leading = graph.node('Slice', [graph.node('Shape', [x.name], layer.name), graph.int64([0]), graph.int64([2])], layer.name);
  const sizes = graph.node('Concat', [leading, graph.int64([size, size])], layer.name, { axis: 0 });
  const attrs: Record<string, string> =
    mode === 'bilinear'
      ? { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }
      : { mode: 'nearest', coordinate_transformation_mode: 'half_pixel', nearest_mode: 'round_prefer_ceil' };
  return graph.node('Resize', [x.name, '', '', sizes], layer.name, attrs);
}
