import { UnsupportedLayerError } from '../errors.ts';
import type { LayerContext } from './context.ts';
import { zeroPad } from './shape.ts';

/**
 * The project's UpSample layer (src/models/layers/up-sample.ts, resizeBatch): `bilinear` is TF2's
 * half-pixel bilinear resize (ONNX Resize linear, half_pixel); `nearest` picks source pixel
 * floor((i + 0.5)·in/out) — two Gathers with the indices tfjs computes, because where that
 * product is a whole number in exact arithmetic (32 → 107 px, row 53) tfjs' double rounds below
 * it and ONNX Runtime's Resize does not; `pad` centres the image on a zero canvas, the odd pixel
 * bottom/right.
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
    return zeroPad(ctx, [top, left, size - h - top, size - w - left]);
  }
  if (mode === 'nearest') {
    const rows = graph.node('Gather', [x.name, graph.int64(nearestSources(h, size))], layer.name, { axis: 2 });
    return graph.node('Gather', [rows, graph.int64(nearestSources(w, size))], layer.name, { axis: 3 });
  }
  if (mode !== 'bilinear') throw new UnsupportedLayerError('UpSample', layer.name, `mode ${mode}`);
  // sizes = [batch, channels, size, size] with the batch taken from the input at run time.
  const leading = graph.node(
    'Slice',
    [graph.node('Shape', [x.name], layer.name), graph.int64([0]), graph.int64([2])],
    layer.name,
  );
  const sizes = graph.node('Concat', [leading, graph.int64([size, size])], layer.name, { axis: 0 });
  return graph.node('Resize', [x.name, '', '', sizes], layer.name, {
    mode: 'linear',
    coordinate_transformation_mode: 'half_pixel',
  });
}

/** tfjs' ResizeNearestNeighbor source index per output pixel (half-pixel centres, no corner alignment). */
function nearestSources(inSize: number, outSize: number): number[] {
  const ratio = inSize / outSize;
  return Array.from({ length: outSize }, (_, i) => Math.max(0, Math.min(inSize - 1, Math.floor(ratio * (i + 0.5)))));
}
