import { z } from 'zod';
import { scoreWatchOf } from '../src/campaigns/flows/scoreWatch.js';
import { defineJob } from '../src/jobs/core/defineJob.js';
import { runIfMain } from '../src/jobs/runFromCommandLine.js';
import { SCORE_CUSTOMERS_JOB, scoreCustomers } from '../src/ml/scoring/scoreCustomers.js';

/**
 * Scores every customer with features using the active churn, LTV and send-time models: churn
 * risk, predicted LTV and P(purchase), expected next order date, best send hour and confidence,
 * the top drivers of each score and the model versions used. A model without a usable version is
 * skipped (counts `missing_<name>`); a corrupt active version falls back to the previous one
 * (counts `fallback_<name>`); the log says why. `--as-of D` scores from the features computed as of
 * D and stamps the scores with it. What changed since the previous scores (a churn threshold of a
 * flow crossed, a new LTV tier, a new expected next order) is written as prediction events for
 * the flows (counts `predictionEvents`).
 */
const scoreCustomersJob = defineJob({
  name: SCORE_CUSTOMERS_JOB,
  description: 'score every customer with the active churn, LTV and send-time models (one scores document each)',
  schedule: '1 day',
  stage: 20,
  options: z.object({
    drivers: z.coerce
      .number()
      .int()
      .min(0)
      .max(10)
      .default(3)
      .describe('top drivers written per score (0: none, faster)'),
    batchSize: z.coerce.number().int().min(1).max(65_536).default(8192).describe('customers per inference batch'),
    asOf: z.coerce
      .date()
      .optional()
      .describe(
        'score as of this date from features computed as of exactly it (feature_snapshots from build-features --as-of D --snapshot, else features from --as-of D --full); default: the current features',
      ),
  }),
  run: async (ctx, options) => scoreCustomers(ctx, { ...options, watch: await scoreWatchOf(ctx.database) }),
});

export default scoreCustomersJob;
await runIfMain(import.meta.url, scoreCustomersJob);
