import type { Document } from 'mongodb';
import type { JobContext } from '../jobs/defineJob.js';
import { forEachPartition } from '../jobs/partitions.js';
import type { EventDoc, FeatureRun } from './featureRun.js';
import { loadTimezones } from './store.js';

/**
 * One partition at a time, leased just before it is read, so several workers share a run. The
 * server returns the partition sorted by (customerId, ts) — on MongoDB straight from the
 * `{partition, customerId, ts}` index — and each customer is folded as soon as their last event
 * has gone by, so memory holds one customer. An incremental partition first finds the customers
 * with events received since its watermark, then reads only theirs.
 */
export async function refreshByPartition(ctx: JobContext, run: FeatureRun, job: string): Promise<void> {
  const events = run.database.models.Event.collection;
  await forEachPartition(
    ctx,
    job,
    async (partition) => {
      const plan = run.planFor(partition);
      await run.beginPartitions([partition]);
      const readStart = new Date();
      const timezones = await loadTimezones(run.database, { partition });
      let filters: Document[] = [{ partition }];
      if (plan.since) {
        const changed = new Set<string>();
        for await (const e of events.find({ partition, receivedAt: { $gte: plan.since } }, { projection: { customerId: 1 }, batchSize: 5000 })) {
          if (typeof e.customerId === 'string' && e.customerId) changed.add(e.customerId);
        }
        const ids = [...changed].sort();
        filters = [];
        for (let i = 0; i < ids.length; i += 1000) filters.push({ partition, customerId: { $in: ids.slice(i, i + 1000) } });
      }
      for (const filter of filters) {
        run.counts.scans++;
        let current: string | null = null;
        let list: EventDoc[] = [];
        const seen = new Set<string>();
        for await (const e of events.find(filter, { batchSize: 5000 }).sort({ customerId: 1, ts: 1 })) {
          run.counts.eventsRead++;
          const customerId = e.customerId;
          if (typeof customerId !== 'string' || customerId === '') continue;
          if (customerId !== current) {
            if (current !== null) await run.foldCustomer(current, partition, list, timezones.get(current));
            // a customer folded twice would be written twice, the second time with part of their events
            if (seen.has(customerId)) throw new Error(`build-features: the server did not sort partition ${partition} by customerId`);
            seen.add(customerId);
            current = customerId;
            list = [];
          }
          list.push(e as unknown as EventDoc);
        }
        if (current !== null) await run.foldCustomer(current, partition, list, timezones.get(current));
      }
      await run.finishPartitions([plan], readStart);
      ctx.log.debug({ partition, incremental: plan.since !== null }, 'partition features built');
    },
    run.options.partitions,
  );
}
