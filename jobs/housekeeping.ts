import { z } from 'zod';
import { ABANDONED, settleAbandonedRuns } from '../src/jobs/abandonedRuns.js';
import { defineJob } from '../src/jobs/core/defineJob.js';
import { runIfMain } from '../src/jobs/runFromCommandLine.js';
import { sweepOrphanPages } from '../src/segments/membership/memberPages.js';
import { pruneTimelineChanges } from '../src/ingest/timeline/timelineChanges.js';

/** Keeps the bookkeeping collections small: old job runs, spent partition leases, orphaned member pages. */
const housekeeping = defineJob({
  name: 'housekeeping',
  description:
    'mark abandoned runs failed; delete job runs, partition leases and timeline change buckets older than their retention and member pages no segment points at',
  schedule: '0 4 * * *',
  options: z.object({
    jobRunDays: z.coerce.number().int().min(1).default(30).describe('keep job runs for this many days'),
    leaseHours: z.coerce.number().min(1).default(48).describe('keep partition leases for this many hours'),
    abandonedHours: z.coerce
      .number()
      .min(1)
      .default(24)
      .describe('a run still "running" after this many hours died with its worker'),
  }),
  async run({ database }, { jobRunDays, leaseHours, abandonedHours }) {
    const { JobRun, JobLease } = database.models;
    const cutoff = new Date(Date.now() - abandonedHours * 3_600_000);
    // Registered runs: those of dead local workers at once, the others by age.
    const settled = await settleAbandonedRuns(database, { startedBefore: cutoff });
    // Runs recorded without a registration (an outage at their start) are found by age alone.
    const abandoned = await JobRun.updateMany(
      { status: 'running', startedAt: { $lt: cutoff } },
      {
        status: 'failed',
        endedAt: new Date(),
        error: { type: ABANDONED, message: `still running after ${abandonedHours} h: its worker stopped` },
      },
    );
    const runs = await JobRun.deleteMany({
      startedAt: { $lt: new Date(Date.now() - jobRunDays * 86_400_000) },
      status: { $ne: 'running' },
    });
    const leases = await JobLease.deleteMany({ createdAt: { $lt: new Date(Date.now() - leaseHours * 3_600_000) } });
    // Member pages of assign-segments runs that died before pointing their segments at them.
    const orphanPages = await sweepOrphanPages(database, cutoff);
    const changeBuckets = await pruneTimelineChanges(database);
    return {
      abandonedRuns: settled + abandoned.modifiedCount,
      jobRunsDeleted: runs.deletedCount,
      leasesDeleted: leases.deletedCount,
      orphanPagesDeleted: orphanPages,
      changeBucketsDeleted: changeBuckets,
    };
  },
});

export default housekeeping;
await runIfMain(import.meta.url, housekeeping);
