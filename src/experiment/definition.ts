// The experiment definition: what a YAML file under experiments/ may say, validated by zod.
// src/experiment/ owns the definition, its loader (extends, --set), the names it is checked against and
// where things are (locations.ts); it imports only download's cache root and zod/yaml.
import { z } from 'zod';
import { RESIZE_MODES } from '../data/modes.ts';
import { BASE_NAMES } from '../models/names.ts';

const ACTIVATIONS = ['relu', 'relu6', 'elu', 'selu', 'tanh', 'sigmoid', 'swish', 'linear'] as const;

const rate = z.number().min(0).max(0.95);
const positiveInt = z.number().int().min(1);

const denseLayerSchema = z.strictObject({
  units: positiveInt.max(65536),
  activation: z.enum(ACTIVATIONS).default('relu'),
  dropout: rate.default(0),
});

const headSchema = z.strictObject({
  pooling: z.enum(['avg', 'max', 'flatten']).default('avg'),
  dense: z.array(denseLayerSchema).max(8).default([]),
  /** Dropout right after pooling, before the first dense layer (each dense layer has its own). */
  dropout: rate.default(0),
  /**
   * Frozen bases: base layers (Keras names) whose pooled outputs are joined to the pooled output of the
   * base, from the same forward pass: mid-level features that transfer better than the last layer alone.
   */
  joinLayers: z.array(z.string().min(1)).max(16).default([]),
  /** Frozen bases: standardise the pooled features (Keras Normalization, adapted on the training features). */
  normalize: z.boolean().default(false),
});

const freezeSchema = z.union(
  [z.enum(['none', 'all']), z.strictObject({ last: positiveInt }), z.strictObject({ from: z.string().min(1) })],
  { error: 'expected none, all, { last: N } or { from: <layer name> }' },
);

/** `imagenet`, `none`, `pretrained:<model id>` (tfjs layers model in the models dir) or a path to a Keras .h5 file. */
const weightsSchema = z
  .string()
  .min(1)
  .refine((w) => !w.startsWith('pretrained:') || /^pretrained:[A-Za-z0-9_.-]+$/.test(w), {
    message: 'pretrained weights look like pretrained:<model id>, e.g. pretrained:mobilenet_v1_0.25_224',
  });

const modelSchema = z
  .strictObject({
    base: z.enum(BASE_NAMES),
    alpha: z.number().positive().max(2).optional(),
    weights: weightsSchema.default('imagenet'),
    inputSize: z.number().int().min(32).max(512),
    /** Frozen bases: pooled features at each of these sizes, joined (the base is built at inputSize, one of them). */
    inputSizes: z.array(z.number().int().min(32).max(512)).min(2).max(4).optional(),
    resize: z.enum(RESIZE_MODES).default('bilinear'),
    freeze: freezeSchema.default('none'),
    head: headSchema.default({ pooling: 'avg', dense: [], dropout: 0, joinLayers: [], normalize: false }),
  })
  .superRefine((m, ctx) => {
    if (m.base !== 'mobilenetv1' && m.weights.startsWith('pretrained:')) {
      ctx.addIssue({
        code: 'custom',
        path: ['weights'],
        message: `pretrained:<id> models are tfjs layers models for base mobilenetv1, not ${m.base}`,
      });
    }
    if (m.inputSizes) checkInputSizes(m, ctx);
    checkJoinedHead(m, ctx);
  });

/** Tapped layers and normalisation belong to cached features of a frozen base. */
function checkJoinedHead(
  m: { freeze: unknown; head: { pooling: string; joinLayers: string[]; normalize: boolean } },
  ctx: z.RefinementCtx,
): void {
  const { joinLayers, normalize, pooling } = m.head;
  if (new Set(joinLayers).size !== joinLayers.length)
    ctx.addIssue({ code: 'custom', path: ['head', 'joinLayers'], message: 'layers must differ' });
  for (const [field, on] of [
    ['joinLayers', joinLayers.length > 0],
    ['normalize', normalize],
  ] as const) {
    if (!on) continue;
    const problem =
      m.freeze !== 'all'
        ? 'needs a frozen base (freeze: all): it belongs to cached features'
        : field === 'joinLayers' && pooling === 'flatten'
          ? 'needs avg or max pooling'
          : null;
    if (problem) ctx.addIssue({ code: 'custom', path: ['head', field], message: problem });
  }
}

function checkInputSizes(
  m: { inputSize: number; inputSizes?: number[] | undefined; freeze: unknown; head: { pooling: string } },
  ctx: z.RefinementCtx,
): void {
  const sizes = m.inputSizes!;
  const problem =
    new Set(sizes).size !== sizes.length
      ? 'sizes must differ'
      : !sizes.includes(m.inputSize)
        ? `must include model.inputSize (${m.inputSize})`
        : m.freeze !== 'all'
          ? 'joined multi-resolution features need a frozen base (freeze: all)'
          : m.head.pooling === 'flatten'
            ? 'joined multi-resolution features need avg or max pooling'
            : null;
  if (problem) ctx.addIssue({ code: 'custom', path: ['inputSizes'], message: problem });
}

const augmentSchema = z.strictObject({
  flip: z.boolean().default(false),
  /** Random crop after zero-padding by this many pixels (true = 4); false/0 = off. */
  crop: z
    .union([z.boolean(), z.number().int().min(0).max(16)], {
      error: 'expected true, false or a padding of 0–16 pixels',
    })
    .default(false),
  /** Cached-feature runs: random-crop copies of each training image cached beside the original (with crop on). */
  cropCopies: z.number().int().min(1).max(8).default(1),
});

const dataSchema = z.strictObject({
  /** Stratified subset of the training images (after the validation split); all when absent. */
  trainPerClass: positiveInt.max(5000).optional(),
  validationSize: z.number().int().min(0).max(25000).default(5000),
  testPerClass: positiveInt.max(1000).optional(),
  augment: augmentSchema.default({ flip: false, crop: false, cropCopies: 1 }),
});

const scheduleSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('cosine'),
    warmupEpochs: z.number().min(0).default(0),
    minLearningRate: z.number().min(0).default(0),
  }),
  z.strictObject({
    kind: z.literal('step'),
    everyEpochs: z.number().positive(),
    factor: z.number().positive().max(1).default(0.1),
  }),
  z.strictObject({
    kind: z.literal('exponential'),
    /** Multiplier per epoch (applied smoothly per step). */
    ratePerEpoch: z.number().positive().max(1),
  }),
]);

const optimizerSchema = z
  .strictObject({
    name: z.enum(['adam', 'rmsprop', 'sgd']),
    learningRate: z.number().positive().max(10),
    momentum: z.number().min(0).max(0.999).optional(),
    beta1: z.number().min(0).max(0.9999).optional(),
    beta2: z.number().min(0).max(0.99999).optional(),
    epsilon: z.number().positive().optional(),
    rho: z.number().min(0).max(0.9999).optional(),
    schedule: scheduleSchema.optional(),
  })
  .superRefine((o, ctx) => {
    const allowed: Record<string, string[]> = {
      adam: ['beta1', 'beta2', 'epsilon'],
      rmsprop: ['rho', 'momentum', 'epsilon'],
      sgd: ['momentum'],
    };
    for (const key of ['momentum', 'beta1', 'beta2', 'epsilon', 'rho'] as const) {
      if (o[key] !== undefined && !allowed[o.name]!.includes(key)) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `${o.name} takes no ${key} (it takes ${allowed[o.name]!.join(', ')})`,
        });
      }
    }
  });

const trainSchema = z
  .strictObject({
    epochs: positiveInt.max(1000),
    batchSize: positiveInt.max(4096),
    /** Images per forward/backward pass; gradients are accumulated up to batchSize. */
    microBatch: positiveInt.optional(),
    logEveryBatches: positiveInt.default(50),
    featureCache: z.enum(['auto', 'off']).default('auto'),
    /** Weight histograms every N epochs, as Keras' `histogram_freq` (0: none). */
    histogramFreq: z.number().int().min(0).max(1000).default(0),
    /**
     * Fine-tuning: epochs of the head alone on the pretrained base's cached features before every
     * trainable layer trains (LP-FT); 0: none.
     */
    probeEpochs: z.number().int().min(0).max(100).default(0),
  })
  .superRefine((t, ctx) => {
    if (t.microBatch !== undefined && t.microBatch > t.batchSize) {
      ctx.addIssue({
        code: 'custom',
        path: ['microBatch'],
        message: `must be at most train.batchSize (${t.batchSize})`,
      });
    }
  });

export const definitionSchema = z
  .strictObject({
    description: z.string().default(''),
    tags: z
      .array(
        z
          .string()
          .min(1)
          .regex(/^[^\s,]+$/, 'tags have no spaces or commas'),
      )
      .default([]),
    notes: z.string().default(''),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(42),
    model: modelSchema,
    data: dataSchema.default({ validationSize: 5000, augment: { flip: false, crop: false, cropCopies: 1 } }),
    /** Test-time augmentation: `flip` averages the softmax of each validation/test image and its mirror. */
    eval: z.strictObject({ tta: z.enum(['none', 'flip']).default('none') }).default({ tta: 'none' }),
    optimizer: optimizerSchema,
    train: trainSchema,
  })
  .superRefine((d, ctx) => {
    if (d.train.probeEpochs > 0 && (d.model.freeze === 'all' || d.train.featureCache === 'off')) {
      ctx.addIssue({
        code: 'custom',
        path: ['train', 'probeEpochs'],
        message:
          d.model.freeze === 'all'
            ? 'probes the head before fine-tuning: a frozen base has nothing to fine-tune'
            : 'trains the head on cached features: it needs train.featureCache: auto',
      });
    }
    if (d.model.head.normalize && d.train.featureCache === 'off') {
      ctx.addIssue({
        code: 'custom',
        path: ['model', 'head', 'normalize'],
        message: 'is adapted on the cached training features: it needs train.featureCache: auto',
      });
    }
  });

export type ExperimentDefinition = z.infer<typeof definitionSchema>;
type FreezeSpec = ExperimentDefinition['model']['freeze'];
export type OptimizerSpec = ExperimentDefinition['optimizer'];

/** Resolved definition → the models module's freezing policy. */
export function freezePolicy(
  freeze: FreezeSpec,
): { kind: 'none' } | { kind: 'all' } | { kind: 'last'; n: number } | { kind: 'from'; layer: string } {
  if (freeze === 'none' || freeze === 'all') return { kind: freeze };
  if ('last' in freeze) return { kind: 'last', n: freeze.last };
  return { kind: 'from', layer: freeze.from };
}

/** Pixels of zero padding for random-crop augmentation (0 = off). */
export function cropPadding(crop: boolean | number): number {
  return crop === true ? 4 : crop === false ? 0 : crop;
}

export function augmentationOn(def: ExperimentDefinition): boolean {
  return def.data.augment.flip || cropPadding(def.data.augment.crop) > 0;
}
