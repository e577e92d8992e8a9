import { promisify } from 'node:util';
import { deflateRaw, inflateRawSync } from 'node:zlib';
import { Binary } from 'mongodb';
import type { EventSource, StoredEvent } from '../storedEvent.js';

/** Layout version of a timeline's `events` string; bump when TimelineEvent changes meaning. */
export const TIMELINE_VERSION = 2;

/**
 * One event as a timeline keeps it: the stored event without what the timeline already says
 * (customer id, partition), with short keys because the timeline is rewritten on every fold.
 */
export interface TimelineEvent {
  /** eventId */
  i: string;
  /** type */
  t: string;
  /** ts, epoch ms */
  s: number;
  /** receivedAt, epoch ms */
  r: number;
  /** source */
  o: string;
  /** props */
  p: Record<string, unknown>;
  /** anonymousId */
  a?: string;
  /** channel */
  c?: string;
  /** device */
  d?: string;
  /** sessionId */
  ss?: string;
  /** the eventId an identity link copied */
  l?: string;
}

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
  const out: StoredEvent = {
    eventId: e.i,
    type: e.t,
    customerId,
    partition,
    ts: new Date(e.s),
    receivedAt: new Date(e.r),
    source: e.o as EventSource,
    props: e.p,
  };
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
export function mergeTimeline(
  current: TimelineEvent[],
  incoming: TimelineEvent[],
): { events: TimelineEvent[]; added: number } {
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
  if (current.length > 0 && compareTimelineEvents(current[current.length - 1]!, fresh[0]!) > 0)
    events.sort(compareTimelineEvents);
  return { events, added: fresh.length };
}

const deflateRawAsync = promisify(deflateRaw);

/**
 * A timeline's events as stored: JSON, deflated. FerretDB's cost grows with the bytes it parses
 * and writes on every fold; the deflated string is about a fifth of the JSON, and one binary value
 * costs it next to nothing to decode. Deflated on libuv's threads: a fold compresses thousands of
 * timelines, which on the event loop held HTTP requests past their clients' timeouts.
 */
export async function encodeTimeline(events: TimelineEvent[]): Promise<Binary> {
  return new Binary(await deflateRawAsync(JSON.stringify(events), { level: 1 }));
}

/**
 * Parses a stored `events` value (deflated JSON; plain JSON strings of older documents too);
 * anything that fails the layout is `null`, and the caller rebuilds the timeline from the events
 * collection rather than serve or extend damaged state. The check is by hand: it runs on every
 * profile read and fold, where a schema library's cost per event would show.
 */
export function decodeTimeline(stored: unknown): TimelineEvent[] | null {
  let text: string;
  try {
    if (typeof stored === 'string') text = stored;
    else if (stored instanceof Binary) text = inflateRawSync(stored.buffer).toString('utf8');
    else if (stored instanceof Uint8Array) text = inflateRawSync(stored).toString('utf8');
    else return null;
    const events: unknown = JSON.parse(text);
    if (!Array.isArray(events)) return null;
    for (let k = 0; k < events.length; k++) {
      if (!isTimelineEvent(events[k])) return null;
      if (k > 0 && compareTimelineEvents(events[k - 1] as TimelineEvent, events[k] as TimelineEvent) >= 0) return null;
    }
    return events as TimelineEvent[];
  } catch {
    return null;
  }
}

const optionalText = (v: unknown) => v === undefined || typeof v === 'string';

function isTimelineEvent(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return (
    typeof e.i === 'string' &&
    typeof e.t === 'string' &&
    typeof e.s === 'number' &&
    Number.isFinite(e.s) &&
    typeof e.r === 'number' &&
    typeof e.o === 'string' &&
    typeof e.p === 'object' &&
    e.p !== null &&
    !Array.isArray(e.p) &&
    optionalText(e.a) &&
    optionalText(e.c) &&
    optionalText(e.d) &&
    optionalText(e.ss) &&
    optionalText(e.l)
  );
}

/** The events of a stored timeline document, or null when it is damaged or of another layout version. */
export function timelineEventsOf(doc: { _id?: unknown; v?: unknown; events?: unknown }): TimelineEvent[] | null {
  return doc.v === TIMELINE_VERSION ? decodeTimeline(doc.events) : null;
}
