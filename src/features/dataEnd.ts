import type { Database } from '../db/database.js';

/**
 * When the shop's data ends: the latest event time folded into any customer's timeline, from the
 * per-partition counters the fold keeps (`fold_stats`, one small document per partition), or null
 * when nothing is folded yet. Labels after this moment are unknown, so a training as-of T with
 * horizon H needs T + H ≤ dataEndsAt (see trainingSet.ts `checkLabelWindow`). Events without a
 * customer (anonymous until linked) do not count. Reads only; never a scan of the events.
 */
export async function dataEndsAt(database: Database): Promise<Date | null> {
  let last: Date | null = null;
  for (const s of await database.collections.foldStats.find({}, { projection: { lastEventAt: 1 } }).toArray()) {
    const at = s.lastEventAt;
    if (at instanceof Date && (!last || at > last)) last = at;
  }
  return last;
}
