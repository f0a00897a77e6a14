/**
 * A layer the ONNX exporter cannot translate. Callers catch it to run that pass on tfjs instead,
 * printing `message` (one line naming the layer's class and name) as the notice.
 */
export class UnsupportedLayerError extends Error {
  override readonly name = 'UnsupportedLayerError';

  constructor(
    readonly layerClass: string,
    readonly layerName: string,
    readonly reason: string,
  ) {
    super(`ONNX export: layer "${layerName}" (${layerClass}) is not supported: ${reason}`);
  }
}
