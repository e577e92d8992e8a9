import { z } from 'zod';
import { mlpMetaShape } from '../mlp.js';
import { columnSpecSchema } from '../metaSchemas.js';
import { HOURS } from './hours.js';

const hourVector = z.array(z.number()).length(HOURS);
const fitQuality = z.object({ logLoss: z.number(), hit1h: z.number(), hit2h: z.number() });

/** The two ways of shrinking a customer's opens toward a shared pattern (see shrinkage.ts, preferredHour.ts). */
const baseSchema = z.discriminatedUnion('method', [
  z.object({
    method: z.literal('dirichlet'),
    /** Shop-wide distribution of open hours. */
    prior: hourVector,
    segmentPriors: z.record(z.string(), hourVector).optional(),
    k: z.number().positive(),
    bandwidth: z.number().min(0),
  }),
  z.object({
    method: z.literal('preferredHour'),
    /** Shop-wide distribution of customers' preferred hours (π). */
    prior: hourVector,
    segmentPriors: z.record(z.string(), hourVector).optional(),
    sigma: z.number().positive(),
    epsilon: z.number().min(0).max(1),
  }),
]);
export type SendTimeBase = z.infer<typeof baseSchema>;
export type ShrinkageMethod = SendTimeBase['method'];

export const sendTimeMetaSchema = z.object({
  kind: z.literal('sendTime'),
  base: baseSchema,
  radius: z.number().int().min(0),
  network: z
    .object({
      featureDim: z.number().int().min(0),
      featureNames: z.array(z.string()).optional(),
      /** means/stds standardise [log1p(opens), ...features]. */
      ...mlpMetaShape,
    })
    .optional(),
  /** Held-out customers' next opens under each candidate, which is how the model was chosen. */
  validation: z.object({
    customers: z.number().int(),
    dirichlet: fitQuality.optional(),
    preferredHour: fitQuality.optional(),
    network: fitQuality.extend({ kept: z.boolean() }).optional(),
  }),
});
export type SendTimeMeta = z.infer<typeof sendTimeMetaSchema>;
const metric = z.number().nullable();
const hitRates = z.object({ hit1h: metric, hit2h: metric });

/** The send-time model's meta.json plus what the registry, the API and scoring need. */
export const sendTimeRegistryMetaSchema = sendTimeMetaSchema.extend({
  featureVersion: z.number(),
  asOf: z.string(),
  horizonDays: z.number(),
  /** How the network's feature inputs are encoded (when it has them). */
  columns: z.array(columnSpecSchema),
  metrics: hitRates.extend({
    logLoss: metric,
    /** Test customers with an open in the horizon (the label). */
    customers: z.number(),
    baselines: z.object({ shopWideHour: hitRates.extend({ hour: z.number() }), mostFrequentPastHour: hitRates }),
  }),
  training: z.object({ durationMs: z.number(), customers: z.number(), seed: z.number() }),
  backend: z.string(),
  trainedAt: z.string(),
});
export type SendTimeRegistryMeta = z.infer<typeof sendTimeRegistryMetaSchema>;
