import { z } from 'zod';
import { btydParamsSchema } from '../btyd/btydInputs.js';
import { columnSpecSchema, driverImportanceSchema } from '../metaSchemas.js';

/** A metric that may be undefined for its data (no positives in a split): JSON has no NaN, so null. */
export const metric = z.number().nullable();

export const calibrationBinSchema = z.object({
  bin: z.number(),
  lo: z.number(),
  hi: z.number(),
  count: z.number(),
  meanPredicted: z.number(),
  observedRate: z.number(),
});

export const scoreMetricsSchema = z.object({ auc: metric, prAuc: metric, brier: metric, logLoss: metric });

export const churnMetricsSchema = z.object({
  /** On the test split, from calibrated probabilities. */
  auc: metric,
  prAuc: metric,
  brier: metric,
  logLoss: metric,
  calibrationTable: z.array(calibrationBinSchema),
  /** The same test rows scored by σ(logit) before Platt scaling. */
  uncalibrated: z.object({ brier: metric, logLoss: metric }),
  /** Early stopping and calibration were fitted here. */
  validation: z.object({ auc: metric, logLoss: metric }),
  rows: z.object({ train: z.number(), validation: z.number(), test: z.number() }),
  churnRate: z.object({ train: metric, test: metric }),
  baselines: z.object({
    /** Every customer gets the training churn rate. */
    constant: scoreMetricsSchema,
    /** Logistic regression on log(1 + days since the last order). */
    recency: scoreMetricsSchema,
    /** BG/NBD fitted on the training rows: P(no order in the horizon) = 1 − P(alive)·(1 − ((α+T)/(α+T+H))^(r+x)). */
    bgnbd: scoreMetricsSchema.extend({ error: z.string().optional() }),
  }),
});
export type ChurnMetrics = z.infer<typeof churnMetricsSchema>;

export const churnMetaSchema = z.object({
  kind: z.literal('churn'),
  featureVersion: z.number(),
  asOf: z.string(),
  horizonDays: z.number(),
  columns: z.array(columnSpecSchema),
  featureNames: z.array(z.string()),
  means: z.array(z.number()),
  stds: z.array(z.number()),
  calibration: z.object({ method: z.literal('platt'), a: z.number(), b: z.number() }),
  /** Parameters of the `btyd*` input columns, applied to current features at scoring; absent when the model has none. */
  btyd: btydParamsSchema.nullable().optional(),
  metrics: churnMetricsSchema,
  /** Mean |gradient × input| per catalogue feature on the test rows, largest first. */
  drivers: z.array(driverImportanceSchema),
  training: z.object({
    epochs: z.number(),
    bestEpoch: z.number(),
    batchSize: z.number(),
    learningRate: z.number(),
    hidden: z.array(z.number()),
    l2: z.number(),
    classWeights: z.tuple([z.number(), z.number()]),
    seed: z.number(),
    durationMs: z.number(),
    rowsPerSecond: z.number(),
  }),
  backend: z.string(),
  trainedAt: z.string(),
});
export type ChurnMeta = z.infer<typeof churnMetaSchema>;
