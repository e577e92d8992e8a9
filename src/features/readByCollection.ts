import v8 from 'node:v8';
import { config } from '../config.js';
import type { JobContext } from '../jobs/defineJob.js';
import { forEachPartition } from '../jobs/partitions.js';
import type { EventDoc, FeatureRun, Plan } from './featureRun.js';
import { loadEventCount, loadTimezones, saveEventCount } from './store.js';

/** A stored event as the raw driver returns it takes about 0.77 KB of heap (measured on the synthetic shop). */
const BYTES_PER_EVENT = 800;

/** How many events a collection scan may hold at once: half the V8 heap limit. */
export function defaultEventBudget(): number {
  return Math.floor((v8.getHeapStatistics().heap_size_limit * 0.5) / BYTES_PER_EVENT);
}

/**
 * For FerretDB v1 (SQLite), which pushes down no filter but `{_id: …}`: `find({partition: p})`
 * there scans the whole collection, so reading partition by partition would scan it once per
 * partition (measured: 16 partitions, 16 scans of 8–15k events/s each). Instead this claims its
 * partitions up front (FerretDB runs one worker), reads the collection once, groups events by
 * customer in Maps and folds each customer after the scan; sorting in FerretDB would only add
 * to its work (~13% measured) since events have to be grouped here anyway. If the events held
 * pass the memory budget, the last partitions of the wave are dropped and read by another scan.
 */
export async function refreshByCollectionScan(ctx: JobContext, run: FeatureRun, job: string): Promise<Record<string, number>> {
  const { database, options, counts } = run;
  const claimed: number[] = [];
  await forEachPartition({ ...ctx, progress: () => undefined }, job, async (p) => void claimed.push(p), options.partitions);
  if (claimed.length === 0) return {};
  const total = config().PARTITIONS;
  const plans = new Map(claimed.map((p) => [p, run.planFor(p)]));
  const everyPartition = claimed.length === total;

  // Nothing to recompute when no event arrived since the last all-partition read.
  const eventCount = everyPartition ? await database.estimatedCount('events') : null;
  if (eventCount !== null && [...plans.values()].every((p) => p.since !== null) && (await loadEventCount(database)) === eventCount) {
    counts.partitions = claimed.length;
    counts.incrementalPartitions = claimed.length;
    ctx.progress(claimed.length, claimed.length);
    return { unchanged: 1 };
  }

  await run.beginPartitions(claimed);
  const timezones = await loadTimezones(database, everyPartition ? {} : { partition: { $in: claimed } });
  const budget = options.maxEventsInMemory ?? defaultEventBudget();
  const events = database.models.Event.collection;
  let pending = claimed;
  let done = 0;
  while (pending.length > 0 && !ctx.signal.aborted) {
    const wave = pending;
    pending = [];
    const readStart = new Date();
    const byPartition = new Map<number, Map<string, EventDoc[]>>(wave.map((p) => [p, new Map()]));
    const heldBy = new Map<number, number>(wave.map((p) => [p, 0]));
    const changed = new Map<number, Set<string>>();
    const active = [...wave];
    let held = 0;
    let lastLog = Date.now();
    counts.scans++;
    const filter = wave.length === total ? {} : { partition: wave.length === 1 ? wave[0] : { $in: wave } };
    for await (const doc of events.find(filter, { batchSize: 5000 })) {
      counts.eventsRead++;
      const e = doc as unknown as EventDoc;
      const partition = e.partition;
      const customers = typeof partition === 'number' ? byPartition.get(partition) : undefined;
      const customerId = e.customerId;
      if (!customers || typeof customerId !== 'string' || customerId === '') continue;
      let list = customers.get(customerId);
      if (!list) customers.set(customerId, (list = []));
      list.push(e);
      const since = plans.get(partition as number)!.since;
      if (since && e.receivedAt instanceof Date && e.receivedAt >= since) {
        let set = changed.get(partition as number);
        if (!set) changed.set(partition as number, (set = new Set()));
        set.add(customerId);
      }
      heldBy.set(partition as number, heldBy.get(partition as number)! + 1);
      if (++held > budget && active.length > 1) {
        const dropped = active.pop()!;
        held -= heldBy.get(dropped)!;
        byPartition.delete(dropped);
        pending.unshift(dropped);
      }
      if (Date.now() - lastLog > 30_000) {
        lastLog = Date.now();
        ctx.log.info({ eventsRead: counts.eventsRead, held }, 'build-features: reading events');
      }
    }
    const finished: Plan[] = [];
    for (const partition of active) {
      const plan = plans.get(partition)!;
      const only = plan.since ? (changed.get(partition) ?? new Set<string>()) : null;
      for (const [customerId, list] of byPartition.get(partition)!) {
        if (only && !only.has(customerId)) continue;
        await run.foldCustomer(customerId, partition, list, timezones.get(customerId));
      }
      byPartition.delete(partition);
      finished.push(plan);
      ctx.progress(++done, claimed.length);
    }
    await run.finishPartitions(finished, readStart);
  }
  if (eventCount !== null && !ctx.signal.aborted && !options.snapshot) await saveEventCount(database, eventCount);
  return {};
}
