import { z } from 'zod';

/** Sweep names become queue names, run-folder suffixes and tags: no spaces, slashes or colons. */
export const SWEEP_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;

/** A definition key as `--set` takes it: a dotted path such as `optimizer.learningRate` or `model.head.dense.0.units`. */
const keyPath = z
  .string()
  .regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/, 'expected a dotted definition key such as optimizer.learningRate');

/** A value a definition key may hold, as YAML writes it. */
const value = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
  z.array(z.unknown()),
  z.record(z.string(), z.unknown()),
]);

const distributionSchema = z
  .discriminatedUnion(
    'distribution',
    [
      z.strictObject({
        distribution: z.literal('choice'),
        values: z.array(value).min(1, 'choice needs at least one value'),
      }),
      z.strictObject({ distribution: z.literal('uniform'), min: z.number(), max: z.number() }),
      z.strictObject({
        distribution: z.literal('log-uniform'),
        min: z.number().positive(),
        max: z.number().positive(),
      }),
      z.strictObject({ distribution: z.literal('int'), min: z.number().int(), max: z.number().int() }),
    ],
    { error: 'expected distribution: choice, uniform, log-uniform or int' },
  )
  .superRefine((d, ctx) => {
    if (d.distribution !== 'choice' && d.min > d.max) {
      ctx.addIssue({ code: 'custom', path: ['min'], message: `must be at most max (${d.min} > ${d.max})` });
    }
  });

export type Distribution = z.infer<typeof distributionSchema>;

const gridSchema = z
  .record(keyPath, z.array(value).min(1, 'a grid key needs at least one value'))
  .refine((g) => Object.keys(g).length > 0, { message: 'an empty grid: name at least one key and its values' });

const randomSchema = z.strictObject({
  /** Draws per grid cell (or in all, without a grid). */
  count: z.number().int().min(1),
  /** Seeds the draws, so the same file always expands into the same trials. */
  seed: z.number().int().min(0).default(0),
  params: z
    .record(keyPath, distributionSchema)
    .refine((p) => Object.keys(p).length > 0, { message: 'name at least one key and its distribution' }),
});

export const sweepSchema = z
  .strictObject({
    /** Default: the file's base name. */
    name: z
      .string()
      .regex(SWEEP_NAME_PATTERN, "use 1–40 letters, digits, '.', '_' or '-', starting with a letter or digit")
      .optional(),
    description: z.string().default(''),
    /** The parent experiment: a name in experiments/ or a path to a definition file (relative to the sweep file). */
    experiment: z.string().min(1),
    /** Overrides every trial shares, applied first. */
    set: z.record(keyPath, value).default({}),
    /** `grid:` with nothing under it is an empty grid (an error), not an absent one. */
    grid: z.preprocess((g) => (g === null ? {} : g), gridSchema).optional(),
    random: randomSchema.optional(),
    seeds: z
      .array(
        z
          .number()
          .int()
          .min(0)
          .max(2 ** 31 - 1),
      )
      .min(1, 'list at least one seed')
      .optional(),
    /** Seeds seed, seed+1, …, seed+N-1 from the parent's seed. */
    repeats: z.number().int().min(1).optional(),
    /** At most this many trials at once, whatever --parallel says. */
    maxParallel: z.number().int().min(1).optional(),
  })
  .superRefine((s, ctx) => {
    if (s.seeds !== undefined && s.repeats !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['repeats'], message: 'give seeds or repeats, not both' });
    }
    if (s.seeds && new Set(s.seeds).size !== s.seeds.length) {
      ctx.addIssue({ code: 'custom', path: ['seeds'], message: 'a seed is listed twice' });
    }
    for (const [section, keys] of [
      ['grid', Object.keys(s.grid ?? {})],
      ['random.params', Object.keys(s.random?.params ?? {})],
      ['set', Object.keys(s.set)],
    ] as const) {
      for (const key of keys) {
        if (key === 'seed')
          ctx.addIssue({
            code: 'custom',
            path: [...section.split('.'), key],
            message: 'the seed is swept with seeds: or repeats:, not as a key',
          });
      }
    }
    const gridKeys = new Set(Object.keys(s.grid ?? {}));
    for (const key of Object.keys(s.random?.params ?? {})) {
      if (gridKeys.has(key))
        ctx.addIssue({
          code: 'custom',
          path: ['random', 'params', key],
          message: 'also a grid key: sweep a key one way',
        });
    }
  });

export type SweepDefinition = z.infer<typeof sweepSchema>;
