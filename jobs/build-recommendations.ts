import { z } from 'zod';
import { buildRecommendationStats } from '../src/campaigns/content/recommendationStats.js';
import { asOfOption, defineJob } from '../src/jobs/core/defineJob.js';
import { runIfMain } from '../src/jobs/runFromCommandLine.js';

/**
 * Rebuilds what email personalisation reads by `_id`: per product, sales in the last 30 days and
 * co-purchase counts (frequently bought together); per customer, recent views and last purchases
 * (recently viewed, replenishment). One scan of views and orders serves every customer.
 */
const buildRecommendations = defineJob({
  name: 'build-recommendations',
  description:
    'recompute product co-purchase counts, best sellers and per-customer recent views and purchases for email personalisation',
  schedule: '1 hour',
  stage: 15,
  options: z.object({ asOf: asOfOption }),
  run: ({ database, progress }, { asOf }) => buildRecommendationStats(database, asOf, progress),
});

export default buildRecommendations;
await runIfMain(import.meta.url, buildRecommendations);
