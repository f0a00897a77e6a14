// The run's classifier as each data-parallel worker builds its replica: the definition's own model
// (model-setup.ts), so every architecture a run can train (built bases, the pretrained tfjs MobileNet,
// joined multi-resolution classifiers) has the same layers and weight order in every thread.
import type * as tf from '@tensorflow/tfjs';
import type { ExperimentDefinition } from '../../experiment/definition.ts';
import { buildRunModel } from '../model-setup.ts';
import type { ModelSpec } from './model-spec.ts';

interface ReplicaOptions {
  definition: ExperimentDefinition;
  weightsDir: string;
  modelsDir: string;
}

/**
 * The trainer overwrites every replica's weights with the run's, so weight files are read only where
 * they carry the architecture (a pretrained tfjs model); a built base starts from its initialisers.
 */
export async function buildRunReplica(options: ReplicaOptions): Promise<tf.LayersModel> {
  const def = options.definition;
  const model = def.model.weights.startsWith('pretrained:') ? def.model : { ...def.model, weights: 'none' };
  const where = { weightsDir: options.weightsDir, modelsDir: options.modelsDir, download: false };
  const built = await buildRunModel({ ...def, model }, { ...where, progress: 'none' });
  return built.classifier;
}

export function runReplicaSpec(options: ReplicaOptions): ModelSpec {
  return { kind: 'module', module: import.meta.url, exportName: buildRunReplica.name, options };
}
