import type * as tf from '@tensorflow/tfjs';
import type { ResizeMode } from '../../data/modes.ts';
import { buildBase } from '../../models/builders/index.ts';
import { buildClassifier, type HeadSpec } from '../../models/classifier.ts';
import { applyFreezing } from '../../models/freezing.ts';
import type { BaseName } from '../../models/names.ts';

type FreezePolicy = Parameters<typeof applyFreezing>[1];

/**
 * What a worker builds its replica from: plain JSON values, so it crosses the thread boundary as
 * is. Weights never travel in the spec: every replica is overwritten with the trainer's initial
 * weights, so initialiser randomness does not matter.
 */
export type ModelSpec =
  /** A project base (models/builders) inside the classifier, frozen as the policy says. */
  | {
      kind: 'classifier';
      base: BaseName;
      alpha?: number;
      inputSize: number;
      resize: ResizeMode;
      head: HeadSpec;
      freeze: FreezePolicy;
      numClasses: number;
      /** Raw image size the classifier takes (CIFAR-10: 32). */
      sourceSize?: number;
    }
  /** Any model a module builds: `(await import(module))[exportName](options)`; module is a file URL. */
  | { kind: 'module'; module: string; exportName: string; options?: unknown };

/** Builds the model a spec describes, in whichever thread calls it (the trainer's and each worker's). */
export async function buildSpecModel(spec: ModelSpec): Promise<tf.LayersModel> {
  if (spec.kind === 'module') {
    const mod = (await import(spec.module)) as Record<string, unknown>;
    const build = mod[spec.exportName];
    if (typeof build !== 'function')
      throw new Error(`model spec: ${spec.module} exports no function ${spec.exportName}`);
    return (await (build as (options: unknown) => tf.LayersModel | Promise<tf.LayersModel>)(
      spec.options,
    )) as tf.LayersModel;
  }
  const base = buildBase({
    name: spec.base,
    ...(spec.alpha !== undefined ? { alpha: spec.alpha } : {}),
    inputSize: spec.inputSize,
  });
  applyFreezing(base, spec.freeze);
  return buildClassifier(base, {
    inputSize: spec.inputSize,
    resize: spec.resize,
    head: spec.head,
    numClasses: spec.numClasses,
    ...(spec.sourceSize !== undefined ? { sourceSize: spec.sourceSize } : {}),
  });
}
