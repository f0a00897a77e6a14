// A partly frozen base trained on images (`freeze: {last: N}`, `from: layer`): its frozen prefix runs
// on ONNX Runtime, once per batch and without gradients, and only the trainable part runs on tfjs.
// Augmentation still happens before the prefix (the training source's images are augmented).
import * as tf from '@tensorflow/tfjs';
import type { OnnxForward } from '../onnx/index.ts';
import { classifierBase } from '../models/classifier.ts';
import { prefixBoundary, trainableSuffix } from '../models/prefix-split.ts';
import type { ForwardEngines } from './forward-engine.ts';
import type { BatchSource, TrainingInputs } from './inputs.ts';
import type { FreezeResult } from '../models/freezing.ts';
import type { RunModel } from './model-setup.ts';

export interface PrefixTraining {
  /** The classifier after its frozen prefix: boundary tensors in, probabilities out (the classifier's weights). */
  model: tf.LayersModel;
  /** The training split as boundary tensors: each (augmented) batch through the prefix on ONNX Runtime. */
  train: BatchSource;
  dispose(): Promise<void>;
}

/**
 * The frozen prefix on ONNX Runtime when the run trains a partly frozen classifier on images; null
 * (train the whole classifier on tfjs) when there is no such prefix or ONNX Runtime is not used.
 */
/** Whether the base is partly frozen: frozen layers below trainable ones, a prefix of fixed weights. */
export function hasFrozenPrefix(freeze: FreezeResult): boolean {
  return freeze.firstTrainableIndex !== null && freeze.frozenLayers > 0;
}

export async function frozenPrefixTraining(
  inputs: TrainingInputs,
  built: RunModel,
  engines: ForwardEngines,
  log: (line: string) => void,
): Promise<PrefixTraining | null> {
  const first = built.freeze.firstTrainableIndex;
  if (inputs.model !== built.classifier || first === null || !hasFrozenPrefix(built.freeze)) return null;
  const base = classifierBase(built.classifier);
  const boundary = prefixBoundary(base, first);
  if (boundary.outputs.length === 0) return null;
  if (boundary.readsInput) {
    log(`engine prefix: a trainable layer of ${base.name} reads its input; the frozen prefix runs on tfjs`);
    return null;
  }
  const forward = await engines.open('prefix', built.classifier, { outputs: boundary.outputs });
  if (!forward) return null;
  const suffix = trainableSuffix(base, first, boundary);
  const layers = built.classifier.layers;
  let x = suffix.outputs[0]!;
  for (const layer of layers.slice(layers.indexOf(base) + 1)) x = layer.apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: suffix.inputs, outputs: x, name: `${built.classifier.name}_after_prefix` });
  log(
    `engine prefix: ${first} frozen layers of ${base.name} on ONNX Runtime up to ${boundary.outputs.join(', ')}; ` +
      `${model.trainableWeights.length} trainable weights on tfjs`,
  );
  return { model, train: throughPrefix(inputs.sources.train, forward), dispose: () => forward.dispose() };
}

function throughPrefix(source: BatchSource, forward: OnnxForward): BatchSource {
  return {
    count: source.count,
    labels: source.labels,
    async *stream(request) {
      for await (const batch of source.stream(request)) {
        const images = batch.x as tf.Tensor;
        const data = (await images.data()) as Float32Array;
        const shape = images.shape;
        images.dispose();
        const outs = await forward.run({ data, shape });
        yield { ...batch, x: outs.map((o) => tf.tensor(o.data, o.shape)) };
      }
    },
  };
}
