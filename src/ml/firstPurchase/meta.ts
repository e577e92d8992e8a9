import { z } from 'zod';
import { churnMetaSchema, churnMetricsSchema, metric, scoreMetricsSchema } from '../churn/meta.js';

/**
 * The first-purchase model is the churn network trained on prospects with the opposite label
 * (ordered within the horizon), so its meta is churn's with its own kind, rate and baselines.
 */
export const firstPurchaseMetricsSchema = churnMetricsSchema.omit({ churnRate: true, baselines: true }).extend({
  /** Share of prospects who placed a first order in (T, T + H]. */
  purchaseRate: z.object({ train: metric, test: metric }),
  baselines: z.object({
    /** Every prospect gets the training purchase rate. */
    constant: scoreMetricsSchema,
    /** One raw feature each (see NAIVE_FEATURES), by feature name. */
    naive: z.record(z.string(), scoreMetricsSchema),
    /** The naive feature with the highest test AUC: the bar the model has to clear. */
    best: z.object({ feature: z.string(), auc: metric }),
  }),
});
export type FirstPurchaseMetrics = z.infer<typeof firstPurchaseMetricsSchema>;

export const firstPurchaseMetaSchema = churnMetaSchema.extend({
  kind: z.literal('first_purchase'),
  metrics: firstPurchaseMetricsSchema,
});
export type FirstPurchaseMeta = z.infer<typeof firstPurchaseMetaSchema>;
