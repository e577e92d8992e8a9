import { z } from 'zod';
import { config } from '../src/config.js';
import { BUILD_FEATURES_JOB, parsePartitionList, refreshFeatures } from '../src/features/refreshFeatures.js';
import { asOfOption, defineJob } from '../src/jobs/core/defineJob.js';
import { runIfMain } from '../src/jobs/runFromCommandLine.js';

/** A yes/no option from the CLI (`--full`, `--full false`) or from JSON (`true`). */
const flag = (description: string) =>
  z
    .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
    .default(false)
    .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes')
    .describe(description);

export const partitionsOption = z
  .union([z.string(), z.number().int(), z.array(z.coerce.number().int())])
  .optional()
  .transform((v, ctx) => {
    if (v === undefined) return undefined;
    const parsed = parsePartitionList(Array.isArray(v) ? v.join(',') : String(v), config().PARTITIONS);
    if (!parsed.ok) {
      ctx.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    }
    return parsed.value;
  })
  .describe('only these partitions, e.g. "0-3,7" (default: all)');

/**
 * Folds each customer's events into their behavioural features (src/features). Every 15 minutes
 * it recomputes the customers with new events; once a day, per partition, everyone (see
 * refreshFeatures for why and for how events are read on FerretDB and on MongoDB).
 */
const buildFeaturesJob = defineJob({
  name: BUILD_FEATURES_JOB,
  description:
    'compute customer features as of a date from their events (incremental, or full, or as a training snapshot)',
  schedule: '15 minutes',
  stage: 10,
  options: z.object({
    asOf: asOfOption,
    snapshot: flag('write feature_snapshots keyed (asOf, customerId) instead of the current features'),
    full: flag('recompute every customer from their timeline (default: fold what is staged; everyone once a day)'),
    partitions: partitionsOption,
    abandonHours: z.coerce
      .number()
      .positive()
      .max(24 * 30)
      .default(24)
      .describe('a cart or checkout without an order within this many hours is abandoned'),
    fullEveryHours: z.coerce
      .number()
      .min(0)
      .default(24)
      .describe('recompute everyone when the last full run is older than this (0: only with --full)'),
  }),
  run: (ctx, options) => refreshFeatures(ctx, options),
});

export default buildFeaturesJob;
await runIfMain(import.meta.url, buildFeaturesJob);
