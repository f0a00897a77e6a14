// A tfjs-layers model config (`model.toJSON(null, false)`) in the shape TensorBoard's graphs plugin
// parses (plugins/graph/keras_util.py). tfjs writes Keras 2 JSON, where a layer's inbound_nodes
// are lists `[[[name, nodeIndex, tensorIndex, kwargs], ...], ...]`; keras_util now reads only
// the Keras 3 form, one dict per call `{args: [tensor | [tensors]], kwargs}` with each tensor's
// `config.keras_history = [name, nodeIndex, tensorIndex]`, and silently drops list-form nodes
// (the graph would show unconnected layers). Everything else passes through unchanged.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function kerasTensor(ref: Json): JsonObject {
  if (!Array.isArray(ref) || typeof ref[0] !== 'string') {
    const got = JSON.stringify(ref);
    throw new Error(`keras model config: field inbound_nodes: expected [name, node, tensor], got ${got}`);
  }
  return { class_name: '__keras_tensor__', config: { keras_history: [ref[0], ref[1] ?? 0, ref[2] ?? 0] } };
}

/** One call of a layer: a single input tensor as itself, several (Add, Concatenate) as one list. */
function kerasCall(node: Json): Json {
  if (isObject(node)) return node; // already Keras 3
  if (!Array.isArray(node)) {
    throw new Error(`keras model config: field inbound_nodes: expected a list, got ${JSON.stringify(node)}`);
  }
  const tensors = node.map(kerasTensor);
  return { args: tensors.length === 1 ? [tensors[0]] : [tensors], kwargs: {} };
}

function convertLayer(layer: Json): Json {
  if (!isObject(layer)) return layer;
  const out: JsonObject = { ...layer };
  if (Array.isArray(layer.inbound_nodes)) out.inbound_nodes = layer.inbound_nodes.map(kerasCall);
  const config = layer.config;
  if (isObject(config) && Array.isArray(config.layers)) {
    out.config = { ...config, layers: config.layers.map(convertLayer) };
  }
  return out;
}

/**
 * The JSON text to pass to SummaryWriter.kerasModel for a tfjs model: `model.toJSON(null, false)`
 * (an object) or its string form. Throws a one-line error on a config without class_name/config.
 */
export function kerasModelConfigFromTfjs(modelJson: unknown): string {
  const parsed = (typeof modelJson === 'string' ? JSON.parse(modelJson) : modelJson) as Json;
  if (!isObject(parsed) || typeof parsed.class_name !== 'string' || !isObject(parsed.config)) {
    throw new Error('keras model config: fields class_name/config: expected a model.toJSON() object');
  }
  return JSON.stringify(convertLayer(parsed));
}
