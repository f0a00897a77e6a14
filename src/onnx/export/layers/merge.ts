import { UnsupportedLayerError } from '../errors.ts';
import { onnxAxis } from '../layout.ts';
import type { LayerContext } from './context.ts';

/**
 * Add, Multiply (a chain of binary nodes, which ONNX Runtime fuses into convolutions), Average,
 * Maximum, Minimum (one variadic node).
 */
export function mergeLayer(op: 'Add' | 'Mul' | 'Mean' | 'Max' | 'Min') {
  return (ctx: LayerContext): string => {
    const names = ctx.inputs.map((v) => v.name);
    if (op !== 'Add' && op !== 'Mul') return ctx.graph.node(op, names, ctx.layer.name);
    return names.slice(1).reduce((acc, n) => ctx.graph.node(op, [acc, n], ctx.layer.name), names[0]!);
  };
}

export function concatenateLayer(ctx: LayerContext): string {
  const axis = ctx.config.axis;
  if (typeof axis !== 'number')
    throw new UnsupportedLayerError('Concatenate', ctx.layer.name, `axis ${JSON.stringify(axis)}`);
  const rank = ctx.inputs[0]!.shape.length;
  return ctx.graph.node(
    'Concat',
    ctx.inputs.map((v) => v.name),
    ctx.layer.name,
    { axis: onnxAxis(axis, rank) },
  );
}
