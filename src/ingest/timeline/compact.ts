import { z } from 'zod';
import type { EventSource, StoredEvent } from '../storeEvents.js';

/** Layout version of a timeline's `events` string; bump when TimelineEvent changes meaning. */
export const TIMELINE_VERSION = 1;

/**
 * One event as a timeline keeps it: the stored event without what the timeline already says
 * (customer id, partition), with short keys because the string is rewritten on every fold.
 */
const timelineEventSchema = z.object({
  /** eventId */
  i: z.string(),
  /** type */
  t: z.string(),
  /** ts, epoch ms */
  s: z.number(),
  /** receivedAt, epoch ms */
  r: z.number(),
  /** source */
  o: z.string(),
  /** props */
  p: z.record(z.string(), z.unknown()),
  /** anonymousId, channel, device, sessionId, the eventId an identity link copied */
  a: z.string().optional(),
  c: z.string().optional(),
  d: z.string().optional(),
  ss: z.string().optional(),
  l: z.string().optional(),
});
export type TimelineEvent = z.infer<typeof timelineEventSchema>;
const timelineEventsSchema = z.array(timelineEventSchema);

export function toTimelineEvent(e: StoredEvent & { linkedFrom?: string }): TimelineEvent {
  const out: TimelineEvent = { i: e.eventId, t: e.type, s: +e.ts, r: +e.receivedAt, o: e.source, p: e.props ?? {} };
  if (e.anonymousId) out.a = e.anonymousId;
  if (e.channel) out.c = e.channel;
  if (e.device) out.d = e.device;
  if (e.sessionId) out.ss = e.sessionId;
  if (e.linkedFrom) out.l = e.linkedFrom;
  return out;
}

export function toStoredEvent(e: TimelineEvent, customerId: string, partition: number): StoredEvent {
  const out: StoredEvent = { eventId: e.i, type: e.t, customerId, partition, ts: new Date(e.s), receivedAt: new Date(e.r), source: e.o as EventSource, props: e.p };
  if (e.a) out.anonymousId = e.a;
  if (e.c) out.channel = e.c;
  if (e.d) out.device = e.d;
  if (e.ss) out.sessionId = e.ss;
  return out;
}

/** The order every timeline keeps: time, then eventId, so equal inputs give equal strings. */
export function compareTimelineEvents(a: TimelineEvent, b: TimelineEvent): number {
  return a.s - b.s || (a.i < b.i ? -1 : a.i > b.i ? 1 : 0);
}

/**
 * Adds events to a sorted timeline: an eventId already there is skipped (retried batches, copies
 * staged twice), late and out-of-order events land in their place. Returns how many were new.
 */
export function mergeTimeline(current: TimelineEvent[], incoming: TimelineEvent[]): { events: TimelineEvent[]; added: number } {
  const seen = new Set(current.map((e) => e.i));
  const fresh: TimelineEvent[] = [];
  for (const e of incoming) {
    if (seen.has(e.i)) continue;
    seen.add(e.i);
    fresh.push(e);
  }
  if (fresh.length === 0) return { events: current, added: 0 };
  // Usually the new events are the latest: then only they need sorting.
  fresh.sort(compareTimelineEvents);
  const events = current.concat(fresh);
  if (current.length > 0 && compareTimelineEvents(current[current.length - 1]!, fresh[0]!) > 0) events.sort(compareTimelineEvents);
  return { events, added: fresh.length };
}

export function encodeTimeline(events: TimelineEvent[]): string {
  return JSON.stringify(events);
}

/**
 * Parses a stored `events` string; anything that fails the schema is `null` (the caller rebuilds
 * the timeline from the events collection rather than serve or extend damaged state).
 */
export function decodeTimeline(text: unknown): TimelineEvent[] | null {
  if (typeof text !== 'string') return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = timelineEventsSchema.safeParse(value);
  if (!parsed.success) return null;
  const events = parsed.data;
  for (let k = 1; k < events.length; k++) if (compareTimelineEvents(events[k - 1]!, events[k]!) >= 0) return null;
  return events;
}
