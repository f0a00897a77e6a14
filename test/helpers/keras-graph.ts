// The conceptual graph TensorBoard's graphs plugin derives from a `keras` model config, following
// the rules of plugins/graph/keras_util.py (keras_model_to_graph_def) for flat models: one node per
// non-model layer, named `<model name>/<layer name>`; inputs from Keras 3 inbound nodes (`args` holding tensors,
// or lists of tensors, whose config.keras_history names the source); list-form (Keras 2) inbound
// nodes are ignored as keras_util ignores them; a layer without inbound_nodes (Sequential) takes
// the previous node as input. Written for tests: it says what the Graphs tab would draw.
/** A Keras 3 tensor reference inside an inbound node's args. */
interface KerasTensorRef {
  config?: { keras_history?: unknown[] };
}

interface KerasLayerConfig {
  class_name?: string;
  config?: { name?: string; layers?: unknown };
  inbound_nodes?: unknown[];
}

interface KerasModelConfig {
  config?: { name?: string; layers?: unknown };
}

export interface GraphNode {
  name: string;
  kerasClass: string | undefined;
  inputs: string[];
}

function inboundNames(layer: KerasLayerConfig): string[] {
  const names: string[] = [];
  for (const node of layer.inbound_nodes ?? []) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) continue;
    for (const arg of (node as { args?: unknown[] }).args ?? []) {
      for (const t of (Array.isArray(arg) ? arg : [arg]) as (KerasTensorRef | null)[]) {
        const history = t?.config?.keras_history;
        if (Array.isArray(history) && history.length >= 3) names.push(String(history[0]));
      }
    }
  }
  return names;
}

export function kerasConceptualGraph(modelConfigJson: string): GraphNode[] {
  const model = JSON.parse(modelConfigJson) as KerasModelConfig;
  const layers = model.config?.layers;
  if (!Array.isArray(layers))
    throw new Error('keras config: config.layers is not a list (keras_util would see no model)');
  const scope = (name: string) => `${model.config?.name}/${name}`;
  const nodes: GraphNode[] = [];
  let prev: string | undefined;
  for (const layer of layers as KerasLayerConfig[]) {
    if (Array.isArray(layer.config?.layers)) throw new Error('nested models are outside what this helper follows');
    const name = scope(layer.config?.name as string);
    const inputs =
      layer.inbound_nodes !== undefined ? inboundNames(layer).map(scope) : prev !== undefined ? [prev] : [];
    nodes.push({ name, kerasClass: layer.class_name, inputs });
    prev = name;
  }
  return nodes;
}
