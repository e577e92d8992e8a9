import type { Database } from '../db/database.js';
import { eventSchema, eventTypes, findUnstorable, type IncomingEvent } from './eventSchemas.js';
import { storeEvents, type EventSource } from './storeEvents.js';
import { countRefused } from './tracking/countEvents.js';

export interface Rejection {
  index: number;
  field: string;
  reason: string;
}

export interface IngestSummary {
  received: number;
  stored: number;
  duplicates: number;
  /** Events queued to be stored in the background (a busy intake answers 202); stored and duplicates are counted then. */
  queued: number;
  rejected: Rejection[];
  /** eventId per input position; null where the event was rejected. */
  eventIds: (string | null)[];
}

export type IngestResult =
  | { ok: true; value: IngestSummary }
  | { ok: false; error: { type: 'validation_failed'; message: string; rejected: Rejection[] } };

export function validateEvent(
  raw: unknown,
  index: number,
): { ok: true; event: IncomingEvent } | { ok: false; rejections: Rejection[] } {
  const type = (raw as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !(eventTypes as string[]).includes(type)) {
    const reason =
      typeof type === 'string'
        ? `unknown event type "${type.slice(0, 100)}"; send it as type "custom" with properties.name`
        : 'type is required';
    return { ok: false, rejections: [{ index, field: 'type', reason }] };
  }
  const unstorable = findUnstorable(raw, []);
  if (unstorable)
    return { ok: false, rejections: [{ index, field: unstorable.path.join('.'), reason: unstorable.reason }] };
  const parsed = eventSchema.safeParse(raw);
  if (parsed.success) return { ok: true, event: parsed.data };
  return {
    ok: false,
    rejections: parsed.error.issues.map((i) => ({ index, field: i.path.join('.') || '(event)', reason: i.message })),
  };
}

/**
 * The edge of ingestion: validates every event; by default a batch with any bad event stores
 * nothing, with `partial` the valid ones are stored and the bad ones listed.
 */
export async function ingestEvents(
  database: Database,
  raw: unknown[],
  opts: { partial?: boolean; source?: EventSource; queue?: boolean } = {},
): Promise<IngestResult> {
  const valid: { index: number; event: IncomingEvent }[] = [];
  const rejected: Rejection[] = [];
  raw.forEach((r, index) => {
    const v = validateEvent(r, index);
    if (v.ok) valid.push({ index, event: v.event });
    else rejected.push(...v.rejections);
  });
  if (rejected.length) countRefused(database, opts.source ?? 'api', raw, rejected, { knownTypes: eventTypes });
  if (rejected.length && !opts.partial) {
    const bad = new Set(rejected.map((r) => r.index)).size;
    return {
      ok: false,
      error: {
        type: 'validation_failed',
        message: `${bad} of ${raw.length} events are invalid; nothing was stored (use ?partial=true to store the valid ones)`,
        rejected,
      },
    };
  }
  // Clients usually see their batch folded (profiles, consent, features) when the answer comes;
  // under load the answer does not wait longer than a quarter second for it (the fold carries on).
  const summary = await storeEvents(
    database,
    valid.map((v) => v.event),
    opts.source ?? 'api',
    new Date(),
    { fold: 'wait', maxWaitMs: 250, queue: opts.queue },
  );
  const eventIds: (string | null)[] = raw.map(() => null);
  valid.forEach((v, i) => (eventIds[v.index] = summary.eventIds[i]!));
  return {
    ok: true,
    value: {
      received: raw.length,
      stored: summary.stored,
      duplicates: summary.duplicates,
      queued: summary.queued,
      rejected,
      eventIds,
    },
  };
}
