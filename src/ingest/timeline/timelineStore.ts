import type { Database } from '../../db/database.js';
import {
  compareTimelineEvents,
  encodeTimeline,
  TIMELINE_VERSION,
  timelineEventsOf,
  toTimelineEvent,
  type TimelineEvent,
} from './compact.js';

export interface Timeline {
  customerId: string;
  partition: number;
  events: TimelineEvent[];
  /** False when no document was stored yet. */
  stored: boolean;
  /** Hashes of what the stored events determined when they were folded (see DerivedHashes). */
  derived?: DerivedHashes;
}

/**
 * The hash of the profile a timeline determined at its last fold, kept on the timeline so the next
 * fold can tell whether the profile changed without deriving the old one again (a profile depends
 * on events only; current features depend on the day too, so they are compared by deriving them).
 */
export interface DerivedHashes {
  profile: string;
}

/**
 * A customer's timeline, read by `_id`. A document that fails its schema (or has another layout
 * version) is never served: it is rebuilt from the events collection, the system of record.
 */
export async function readTimeline(database: Database, customerId: string, partition: number): Promise<Timeline> {
  const doc = await database.collections.customerTimelines.findOne({ _id: customerId });
  if (!doc) return { customerId, partition, events: [], stored: false };
  const events = timelineEventsOf(doc);
  if (events) return { customerId, partition, events, stored: true, derived: doc.derived as DerivedHashes | undefined };
  return { customerId, partition, events: await timelineFromEvents(database, customerId), stored: true };
}

/** Rebuilds one customer's events from the events collection (a scan on FerretDB: only for damaged state). */
export async function timelineFromEvents(database: Database, customerId: string): Promise<TimelineEvent[]> {
  const docs = await database.collections.events.find({ customerId }).toArray();
  return dedupeSorted(docs.map((d) => toTimelineEvent(d)));
}

export function dedupeSorted(events: TimelineEvent[]): TimelineEvent[] {
  events.sort(compareTimelineEvents);
  return events.filter((e, k) => k === 0 || e.i !== events[k - 1]!.i);
}

export async function timelineDoc(
  customerId: string,
  partition: number,
  events: TimelineEvent[],
  derived: DerivedHashes,
  foldedAt: Date,
) {
  return {
    _id: customerId,
    partition,
    v: TIMELINE_VERSION,
    n: events.length,
    events: await encodeTimeline(events),
    lastTs: events.length ? new Date(events[events.length - 1]!.s) : null,
    derived,
    foldedAt,
  };
}
