import type { Database } from '../../db/database.js';
import { config } from '../../config.js';
import { toTimelineEvent, type TimelineEvent } from './compact.js';
import { emptyFoldCounts, foldCustomers, foldInbox, type FoldCounts } from './foldInbox.js';
import { releaseFoldLease, waitForFoldLease } from './foldLease.js';

export interface RebuildOptions {
  /** Called with events read so far and the events collection's size. */
  progress?: (read: number, total: number) => void;
  signal?: AbortSignal;
  /** Events held in memory at once; beyond it partitions are read by further passes (≈ 0.5 KB each). */
  maxEventsInMemory?: number;
}

/**
 * Recomputes every timeline — and with them customers, suppressions, current features and the
 * partition counters — from the events collection, the system of record. The explicit, rare full
 * rebuild (`breadcrumb features rebuild`): one pass over the events (more only when they do not
 * fit `maxEventsInMemory`), holding every partition's fold lease so no fold runs meanwhile.
 * What was staged during or before it is folded afterwards (timelines skip eventIds they hold).
 */
export async function rebuildTimelines(
  database: Database,
  opts: RebuildOptions = {},
): Promise<FoldCounts & { eventsRead: number; passes: number }> {
  const partitions = Array.from({ length: config().PARTITIONS }, (_, p) => p);
  for (const p of partitions) await waitForFoldLease(database, p, 'rebuild', 120_000);
  const counts = { ...emptyFoldCounts(), eventsRead: 0, passes: 0 };
  try {
    const c = database.collections;
    await Promise.all([c.customerTimelines, c.foldStats, c.customers, c.features].map((col) => col.deleteMany({})));
    const total = await database.estimatedCount('events');
    const budget = opts.maxEventsInMemory ?? 2_000_000;
    const perPass = Math.max(1, Math.floor((partitions.length * budget) / Math.max(total, 1)));
    for (let from = 0; from < partitions.length && !opts.signal?.aborted; from += perPass) {
      const wave = partitions.slice(from, from + perPass);
      counts.passes++;
      const byPartition = new Map<number, Map<string, TimelineEvent[]>>(wave.map((p) => [p, new Map()]));
      const filter = wave.length === partitions.length ? {} : { partition: { $in: wave } };
      for await (const e of database.collections.events.find(filter, { batchSize: 5000, projection: { _id: 0 } })) {
        if (!e.customerId || e.partition === undefined) continue;
        const customers = byPartition.get(e.partition);
        if (!customers) continue;
        const list = customers.get(e.customerId);
        if (list) list.push(toTimelineEvent(e));
        else customers.set(e.customerId, [toTimelineEvent(e)]);
        if (++counts.eventsRead % 20_000 === 0) opts.progress?.(counts.eventsRead, total);
        if (opts.signal?.aborted) break;
      }
      for (const [p, customers] of byPartition) await foldCustomers(database, p, customers, counts, { fresh: true });
    }
    opts.progress?.(counts.eventsRead, counts.eventsRead);
  } finally {
    for (const p of partitions) await releaseFoldLease(database, p);
  }
  const staged = await foldInbox(database, opts.signal ? { signal: opts.signal } : {});
  return { ...counts, added: counts.added + staged.added, customers: counts.customers + staged.customers };
}
