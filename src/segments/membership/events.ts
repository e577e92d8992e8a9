import type { Document } from 'mongodb';
import type { Database } from '../../db/database.js';
import { recordEvents, type StoredEvent } from '../../ingest/storeEvents.js';
import type { MembershipChange } from './state.js';

/**
 * The id of a membership event: the stay (segment, customer, entry time) and which end of it.
 * Deterministic, so a re-run that finds the same change stores nothing twice (unique `eventId`).
 */
export function membershipEventId(
  change: Pick<MembershipChange, 'kind' | 'segmentId' | 'customerId' | 'enteredAt'>,
): string {
  const prefix = change.kind === 'entered' ? 'seg' : 'seg-exit';
  return `${prefix}:${change.segmentId}:${change.customerId}:${change.enteredAt.getTime()}`;
}

/** `segment_entered` / `segment_exited` events, as stored in `events`, for flows to trigger on. */
export function membershipEvent(change: MembershipChange, segmentName: string | undefined, receivedAt: Date): Document {
  const props: Document = { segmentId: change.segmentId };
  if (segmentName) props.segmentName = segmentName;
  if (change.kind === 'exited') props.enteredAt = change.enteredAt.toISOString();
  return {
    eventId: membershipEventId(change),
    type: change.kind === 'entered' ? 'segment_entered' : 'segment_exited',
    customerId: change.customerId,
    partition: change.partition,
    ts: change.at,
    receivedAt,
    source: 'system',
    props,
  };
}

/** Records events, ignoring those already stored (a re-run); returns how many were new. */
export async function insertEvents(database: Database, docs: Document[]): Promise<number> {
  return (await recordEvents(database, docs as StoredEvent[])).stored;
}
