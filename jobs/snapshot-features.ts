import { z } from 'zod';
import { refreshFeatures } from '../src/features/refreshFeatures.js';
import { expireSnapshots } from '../src/features/store.js';
import { defineJob } from '../src/jobs/core/defineJob.js';
import { runIfMain } from '../src/jobs/runFromCommandLine.js';

const DAY = 86_400_000;
const WEEK = 7 * DAY;

/** The latest Sunday 00:00 UTC at or before `t`: snapshots are weekly, on the same instants everywhere. */
export function weekStart(t: number): Date {
  const day = new Date(t);
  const midnight = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate());
  return new Date(midnight - new Date(midnight).getUTCDay() * DAY);
}

/**
 * Point-in-time features for training and backtests: every Sunday 00:00 UTC each customer's
 * features as of that instant go to `feature_snapshots` (docs/feature-snapshots.md), computed
 * from the timelines, never from the events. Training at such an instant reads them instead of
 * recomputing; notebooks load them as a table. Snapshots older than the retention are deleted.
 */
const snapshotFeatures = defineJob({
  name: 'snapshot-features',
  description:
    "store every customer's features as of the week's start (Sunday 00:00 UTC) in feature_snapshots; delete those past the retention",
  schedule: '5 0 * * 0',
  options: z.object({
    asOf: z.coerce.date().optional().describe('the snapshot instant (default: the latest Sunday 00:00 UTC)'),
    retentionWeeks: z.coerce
      .number()
      .int()
      .min(1)
      .max(520)
      .default(26)
      .describe('keep snapshots this many weeks (default 26)'),
    abandonHours: z.coerce
      .number()
      .positive()
      .max(24 * 30)
      .default(24)
      .describe('a cart or checkout without an order within this many hours is abandoned'),
  }),
  async run(ctx, { asOf, retentionWeeks, abandonHours }) {
    const at = asOf ?? weekStart(Date.now());
    const counts = await refreshFeatures(
      { ...ctx, runKey: `${ctx.runKey}:snapshot` },
      { asOf: at, snapshot: true, full: true, abandonHours, fullEveryHours: 0 },
    );
    const cutoff = new Date(Date.now() - retentionWeeks * WEEK);
    const expired = await expireSnapshots(ctx.database, cutoff);
    return { ...counts, asOf: at.getTime(), expired };
  },
});

export default snapshotFeatures;
await runIfMain(import.meta.url, snapshotFeatures);
