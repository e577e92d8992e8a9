import type { Database } from '../db/database.js';
import { ingestEvents, type IngestSummary, type Rejection } from './ingestEvents.js';
import { fromSegment, segmentMessageSchema } from './segmentSpec.js';
import { countRefused } from './tracking/countEvents.js';

/**
 * Stores Segment messages the way Segment's own API does: partially. Valid messages are kept and
 * invalid ones listed with their index, field and reason, since the libraries do not retry a 4xx
 * and would drop the whole batch. A message is refused when it is not a Segment message, when
 * what it says cannot be stored (properties beyond the bounds, a `createdAt` that is no date), or
 * when the event it maps to fails the events endpoint's validation.
 */
export async function ingestSegment(
  database: Database,
  messages: unknown[],
  opts: { queue?: boolean } = {},
): Promise<IngestSummary> {
  const events: unknown[] = [];
  const positions: number[] = [];
  const rejected: Rejection[] = [];
  messages.forEach((raw, index) => {
    const parsed = segmentMessageSchema.safeParse(raw);
    if (!parsed.success) {
      rejected.push(
        ...parsed.error.issues.map((i) => ({ index, field: i.path.join('.') || '(message)', reason: i.message })),
      );
      return;
    }
    const mapped = fromSegment(parsed.data);
    if (!mapped.ok) {
      rejected.push({ index, ...mapped.error });
      return;
    }
    positions.push(index);
    events.push(mapped.value);
  });
  // Messages refused before they map to an event have no event type yet.
  if (rejected.length)
    countRefused(database, 'segment', messages, rejected, { knownTypes: [], typeOf: () => '(invalid message)' });
  const eventIds: (string | null)[] = messages.map(() => null);
  if (events.length === 0)
    return { received: messages.length, stored: 0, duplicates: 0, queued: 0, rejected, eventIds };
  const result = await ingestEvents(database, events, { partial: true, source: 'segment', queue: opts.queue });
  // With `partial`, invalid events are listed rather than failing the batch.
  if (!result.ok) throw new Error(`ingestSegment: a partial ingest failed: ${result.error.message}`);
  result.value.eventIds.forEach((id, i) => (eventIds[positions[i]!] = id));
  rejected.push(...result.value.rejected.map((r) => ({ ...r, index: positions[r.index]! })));
  rejected.sort((a, b) => a.index - b.index);
  return {
    received: messages.length,
    stored: result.value.stored,
    duplicates: result.value.duplicates,
    queued: result.value.queued,
    rejected,
    eventIds,
  };
}
