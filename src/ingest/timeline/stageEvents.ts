import { randomUUID } from 'node:crypto';
import type { Database } from '../../db/database.js';
import type { StoredEvent } from '../storedEvent.js';
import { toTimelineEvent, type TimelineEvent } from './compact.js';

/** One staged event: a timeline event plus the customer it belongs to. */
export type StagedEvent = TimelineEvent & { cid: string };

/**
 * Stages stored events for the fold: one inbox document per partition of the batch, so staging
 * a batch costs a handful of inserts whatever its size. Events without a customer (anonymous
 * until an identity link copies them to one) have no timeline and are not staged.
 */
export async function stageEvents(
  database: Database,
  docs: (StoredEvent & { linkedFrom?: string })[],
): Promise<number> {
  const byPartition = new Map<number, StagedEvent[]>();
  for (const d of docs) {
    if (!d.customerId || d.partition === undefined) continue;
    const staged: StagedEvent = { ...toTimelineEvent(d), cid: d.customerId };
    const list = byPartition.get(d.partition);
    if (list) list.push(staged);
    else byPartition.set(d.partition, [staged]);
  }
  if (byPartition.size === 0) return 0;
  const createdAt = new Date();
  const inbox = [...byPartition].map(([partition, events]) => ({
    _id: randomUUID(),
    partition,
    n: events.length,
    events: JSON.stringify(events),
    createdAt,
  }));
  await database.collections.eventInbox.insertMany(inbox, { ordered: false });
  return inbox.length;
}
