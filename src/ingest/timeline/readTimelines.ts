import type { Filter } from 'mongodb';
import type { Database } from '../../db/database.js';
import type { CustomerTimelineDoc } from '../../db/models/timeline.js';
import type { StoredEvent } from '../storedEvent.js';
import { timelineEventsOf, toStoredEvent, type TimelineEvent } from './compact.js';
import { changedCustomers } from './timelineChanges.js';
import { timelineFromEvents } from './timelineStore.js';
import { config } from '../../config.js';

/** Which timelines: one partition, a list of customers, those changed since a time; none of them: all. */
export interface TimelineScope {
  partition?: number;
  customerIds?: readonly string[];
  /** Timelines folded after this time, or holding an event timestamped after it. */
  changedSince?: Date;
}

/** Which of a timeline's events are handed over: by type and by `ts` (`from` inclusive, `until` exclusive). */
export interface EventSelection {
  types?: readonly string[];
  from?: Date;
  until?: Date;
}

/** An event of a customer's timeline in the stored-event shape (what a read of `events` returned). */
export type CustomerEvent = StoredEvent & { customerId: string; partition: number };

export interface TimelineRead {
  customerId: string;
  partition: number;
  /** The selected events, in (ts, eventId) order. */
  events: CustomerEvent[];
  /** How many events the timeline holds (selected or not). */
  n: number;
}

/** Ids per `$in`: well below the patched FerretDB's pushdown bound (10,000). */
const IDS_PER_QUERY = 1000;

/**
 * Streams customers' timelines with their selected events: the per-customer input of every job
 * that used to rescan the events collection. One document per customer instead of one per event
 * (FerretDB decodes each returned document at ~8k/CPU-second, so ~200× fewer decodes on the
 * demo). A list of customers is read by `_id` alone (the only filter the patched FerretDB serves
 * from an index); partition and `changedSince` are then checked here. A document that fails its
 * schema is never served: its events are read back from the events collection, as `readTimeline` does.
 */
export async function* readTimelines(
  database: Database,
  scope: TimelineScope,
  select: EventSelection = {},
): AsyncGenerator<TimelineRead> {
  const keep = selector(select);
  for await (const doc of timelineDocs(database, scope)) {
    const customerId = String(doc._id);
    const partition = doc.partition as number;
    if ((scope.customerIds || scope.changedSince) && !inScope(doc, scope)) continue;
    const events = timelineEventsOf(doc) ?? (await timelineFromEvents(database, customerId));
    const selected: CustomerEvent[] = [];
    for (const e of events) if (keep(e)) selected.push(toStoredEvent(e, customerId, partition) as CustomerEvent);
    yield { customerId, partition, events: selected, n: events.length };
  }
}

async function* timelineDocs(database: Database, scope: TimelineScope): AsyncGenerator<CustomerTimelineDoc> {
  const collection = database.collections.customerTimelines;
  const options = { batchSize: 200 };
  if (scope.customerIds) {
    const ids = [...new Set(scope.customerIds)];
    for (let k = 0; k < ids.length; k += IDS_PER_QUERY) {
      yield* collection.find({ _id: { $in: ids.slice(k, k + IDS_PER_QUERY) } }, options);
    }
    return;
  }
  if (scope.changedSince) {
    // The fold's change buckets name the customers, read then by `_id`; older than they reach back: a scan.
    const changed = await changedCustomers(database, scope.changedSince, config().PARTITIONS);
    if (changed) {
      yield* timelineDocs(database, { ...scope, customerIds: [...changed] });
      return;
    }
  }
  const filter: Filter<CustomerTimelineDoc> = {};
  if (scope.partition !== undefined) filter.partition = scope.partition;
  if (scope.changedSince)
    filter.$or = [{ foldedAt: { $gt: scope.changedSince } }, { lastTs: { $gt: scope.changedSince } }];
  yield* collection.find(filter, options);
}

function inScope(doc: CustomerTimelineDoc, scope: TimelineScope): boolean {
  if (scope.partition !== undefined && doc.partition !== scope.partition) return false;
  if (!scope.changedSince) return true;
  const since = scope.changedSince.getTime();
  return (
    (doc.foldedAt instanceof Date && doc.foldedAt.getTime() > since) ||
    (doc.lastTs instanceof Date && doc.lastTs.getTime() > since)
  );
}

function selector(select: EventSelection): (e: TimelineEvent) => boolean {
  const types = select.types ? new Set(select.types) : null;
  const from = select.from?.getTime() ?? -Infinity;
  const until = select.until?.getTime() ?? Infinity;
  return (e) => e.s >= from && e.s < until && (!types || types.has(e.t));
}
