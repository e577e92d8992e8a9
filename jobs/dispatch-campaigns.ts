import { z } from 'zod';
import { dispatchCampaigns } from '../src/campaigns/dispatch/dispatchCampaigns.js';
import { createDispatchDeps } from '../src/campaigns/dispatch/dispatchDeps.js';
import { config } from '../src/config.js';
import { asOfOption, defineJob } from '../src/jobs/core/defineJob.js';
import { runIfMain } from '../src/jobs/runFromCommandLine.js';

const hour = (description: string, fallback: number) =>
  z.coerce.number().int().min(0).max(23).default(fallback).describe(description);

/**
 * Runs the campaign flows every minute (src/campaigns/dispatch): enrols customers on new
 * triggers, ends enrolments whose exit happened, sends due steps at each customer's best local
 * hour within the frequency budget, and settles sends a crash interrupted — exactly once.
 */
const dispatchCampaignsJob = defineJob({
  name: 'dispatch-campaigns',
  description:
    'enrol customers in flows, advance due steps and send them (best hour, quiet hours, budget, consent; exactly once)',
  schedule: '1 minute',
  options: z.object({
    asOf: asOfOption.describe('the dispatch clock: triggers up to it, steps due by it (default now)'),
    leaseSeconds: z.coerce
      .number()
      .min(0)
      .default(600)
      .describe('a claimed message older than this without a send record is settled by recovery'),
    maxSends: z.coerce
      .number()
      .int()
      .min(1)
      .default(5000)
      .describe('most steps sent in one run (the rest wait for the next run)'),
    concurrency: z.coerce
      .number()
      .int()
      .min(1)
      .max(200)
      .optional()
      .describe('messages in flight at once (default: twice the SMTP pool)'),
    quietStart: hour('local hour quiet hours begin', 21),
    quietEnd: hour('local hour quiet hours end', 8),
    scoreTriggerMinutes: z.coerce
      .number()
      .min(0)
      .default(60)
      .describe('how often date triggers (birthdays, anniversaries) are evaluated; score triggers arrive as events'),
    experimentMinutes: z.coerce
      .number()
      .min(0)
      .default(60)
      .describe('how often A/B results, winners and holdouts are recomputed'),
    confidence: z.coerce
      .number()
      .min(0.5)
      .max(0.9999)
      .default(0.95)
      .describe('confidence at which an A/B winner is chosen automatically'),
    minRecipients: z.coerce
      .number()
      .int()
      .min(1)
      .default(100)
      .describe('recipients every variant needs before a winner is chosen'),
    outbox: z
      .string()
      .min(1)
      .optional()
      .describe(
        "the local SMTP sink's .eml directory (default SMTP_OUTBOX, which npm start sets for its sink): lets recovery see which interrupted sends arrived (exactly once instead of at most once)",
      ),
  }),
  async run(ctx, options) {
    const c = config();
    const outbox = options.outbox ?? c.SMTP_OUTBOX;
    const deps = await createDispatchDeps(outbox ? { outbox } : {});
    try {
      return await dispatchCampaigns(
        ctx,
        {
          asOf: options.asOf,
          leaseSeconds: options.leaseSeconds,
          maxSends: options.maxSends,
          concurrency: options.concurrency ?? 2 * c.SMTP_POOL_SIZE,
          quiet: { start: options.quietStart, end: options.quietEnd },
          scoreTriggerMinutes: options.scoreTriggerMinutes,
          experimentMinutes: options.experimentMinutes,
          confidence: options.confidence,
          minRecipients: options.minRecipients,
        },
        deps,
      );
    } finally {
      await deps.mailer.close();
    }
  },
});

export default dispatchCampaignsJob;
await runIfMain(import.meta.url, dispatchCampaignsJob);
