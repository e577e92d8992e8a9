import { z } from 'zod';
import { btydParamsSchema } from '../btyd/btydInputs.js';
import { mlpMetaShape } from '../mlp.js';
import { columnSpecSchema, driverImportanceSchema } from '../metaSchemas.js';

/** What the ZILN network saves beside its weights: architecture and standardisation. */
export const ltvMetaSchema = z.object({
  kind: z.literal('ziln'),
  inputDim: z.number().int().positive(),
  featureNames: z.array(z.string()).optional(),
  ...mlpMetaShape,
  valLoss: z.number(),
});
export type LtvMeta = z.infer<typeof ltvMetaSchema>;

const metric = z.number().nullable();
export const ltvMetricsSchema = z.object({
  gini: metric,
  spearman: metric,
  decileMape: metric,
  top20Capture: metric,
  totalRatio: metric,
  customers: z.number(),
});

/** The ZILN network's meta.json plus what the registry, the API and scoring need. */
export const ltvRegistryMetaSchema = ltvMetaSchema.extend({
  featureVersion: z.number(),
  asOf: z.string(),
  horizonDays: z.number(),
  columns: z.array(columnSpecSchema),
  featureNames: z.array(z.string()),
  btyd: btydParamsSchema.nullable(),
  metrics: ltvMetricsSchema.extend({
    rows: z.object({ train: z.number(), validation: z.number(), test: z.number() }),
    /** BG/NBD expected purchases × Gamma-Gamma expected spend on the same test rows (null without a fit). */
    baselines: z.object({ btyd: ltvMetricsSchema.nullable() }),
  }),
  /** Mean |gradient × input| of log expected value per feature on the test rows. */
  drivers: z.array(driverImportanceSchema),
  training: z.object({ durationMs: z.number(), rowsPerSecond: z.number(), seed: z.number() }),
  backend: z.string(),
  trainedAt: z.string(),
});
export type LtvRegistryMeta = z.infer<typeof ltvRegistryMetaSchema>;
