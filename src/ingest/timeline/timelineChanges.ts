import type { Database } from '../../db/database.js';

const MINUTE = 60_000;
/** Change buckets are kept this long; a reader asking about earlier changes scans the timelines instead. */
export const CHANGES_RETENTION_MS = 2 * 86_400_000;

const bucketId = (partition: number, minute: number) => `p${partition}:${new Date(minute).toISOString()}`;

/** Records the customers a fold of `partition` changed (called by the partition's lease holder only). */
export async function recordTimelineChanges(
  database: Database,
  partition: number,
  customerIds: readonly string[],
  at: Date,
): Promise<void> {
  if (!customerIds.length) return;
  const minute = Math.floor(at.getTime() / MINUTE) * MINUTE;
  await database.collections.timelineChanges.updateOne(
    { _id: bucketId(partition, minute) },
    { $addToSet: { customers: { $each: [...customerIds] } }, $setOnInsert: { partition, minute: new Date(minute) } },
    { upsert: true },
  );
}

/**
 * Customers whose timelines changed after `since` (to the minute: a few earlier ones may come
 * too), read by bucket `_id`s; null when `since` is older than the retention (the caller scans).
 */
export async function changedCustomers(
  database: Database,
  since: Date,
  partitions: number,
  now = Date.now(),
): Promise<Set<string> | null> {
  if (now - since.getTime() > CHANGES_RETENTION_MS) return null;
  const ids: string[] = [];
  for (let minute = Math.floor(since.getTime() / MINUTE) * MINUTE; minute <= now; minute += MINUTE)
    for (let p = 0; p < partitions; p++) ids.push(bucketId(p, minute));
  const out = new Set<string>();
  for (let k = 0; k < ids.length; k += 5000) {
    for await (const doc of database.collections.timelineChanges.find({
      _id: { $in: ids.slice(k, k + 5000) },
    }))
      for (const id of (doc.customers as string[]) ?? []) out.add(id);
  }
  return out;
}

/** Drops buckets past the retention (housekeeping). */
export async function pruneTimelineChanges(database: Database, now = Date.now()): Promise<number> {
  return (
    await database.collections.timelineChanges.deleteMany({
      minute: { $lt: new Date(now - CHANGES_RETENTION_MS) },
    })
  ).deletedCount;
}
