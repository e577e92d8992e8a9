import type { Database } from '../db/database.js';
import { partitionOf } from '../db/partition.js';
import { config } from '../config.js';
import { readTimeline } from '../ingest/timeline/timelineStore.js';

/**
 * A customer's newest events (up to `limit`), newest first, from their timeline: one read by
 * `_id` on either server. (A query by `customerId` would scan every event on FerretDB: 7.9–35 s
 * per profile under load, measured before timelines.) Events staged but not yet folded — at most
 * the last moment's — are not shown.
 */
export async function recentEvents(database: Database, customerId: string, limit: number) {
  const { events } = await readTimeline(database, customerId, partitionOf(customerId, config().PARTITIONS));
  const out = [];
  for (let k = events.length - 1; k >= 0 && out.length < limit; k--) {
    const e = events[k]!;
    out.push({ customerId, eventId: e.i, type: e.t, ts: new Date(e.s), ...(e.c ? { channel: e.c } : {}), props: e.p });
  }
  return out;
}
