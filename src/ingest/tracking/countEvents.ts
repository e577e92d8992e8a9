import type { Database } from '../../db/database.js';
import type { DayTallies, FindingKind, Tally, TrackingExample } from '../../db/models/trackingDay.js';
import type { StoredEvent } from '../storedEvent.js';
import type { TimelineEvent } from '../timeline/compact.js';
import { pendingDay } from './trackingBuffer.js';
import {
  addExample,
  countKey,
  EXAMPLES_KEPT,
  historicalSources,
  skewBucketOf,
  skewedBuckets,
  tallyOf,
  utcDay,
} from './tally.js';

/**
 * The intake's counting hooks: each turns what the intake already holds (the batch, its refusals,
 * the duplicates its insert reported, a folded timeline) into counter increments in memory. None
 * reads the database; trackingBuffer.ts writes the sums.
 */

const whoOf = (e: { customerId?: unknown; anonymousId?: unknown }) =>
  typeof e.customerId === 'string' ? e.customerId : typeof e.anonymousId === 'string' ? e.anonymousId : undefined;

function minutesText(ms: number): string {
  const m = Math.round(Math.abs(ms) / 60_000);
  const text = m < 120 ? `${m} min` : m < 2880 ? `${Math.round(m / 60)} h` : `${Math.round(m / 1440)} days`;
  return ms < 0 ? `${text} ahead of receipt` : `${text} before receipt`;
}

/**
 * The last EXAMPLES_KEPT events per (tally, finding) of a batch, made into examples once at the
 * end: building an example for every event (dates and strings) cost more than all the counting
 * (measured: 16–30 µs an event and a 4–9% slower intake bench, against ~1.2 µs now).
 */
class LastPicks {
  private readonly picks = new Map<Tally, Map<FindingKind, number[]>>();

  note(t: Tally, kind: FindingKind, index: number): void {
    let byKind = this.picks.get(t);
    if (!byKind) this.picks.set(t, (byKind = new Map()));
    const list = byKind.get(kind);
    if (!list) byKind.set(kind, [index]);
    else if (list.push(index) > EXAMPLES_KEPT) list.shift();
  }

  addTo(example: (kind: FindingKind, index: number) => TrackingExample): void {
    for (const [t, byKind] of this.picks)
      for (const [kind, list] of byKind) for (const i of list) addExample(t, kind, example(kind, i));
  }
}

/** Events as recordEvents stored them; `duplicates`: the indexes whose eventId was already stored. */
export function countRecorded(
  database: Database,
  docs: readonly (StoredEvent & { linkedFrom?: string })[],
  duplicates: ReadonlySet<number>,
): void {
  const picks = new LastPicks();
  // A batch has one receipt time: its day is looked up once.
  let receivedMs = NaN;
  let day: DayTallies | undefined;
  docs.forEach((d, i) => {
    if (+d.receivedAt !== receivedMs || !day) {
      receivedMs = +d.receivedAt;
      day = pendingDay(database, utcDay(d.receivedAt));
    }
    const t = tallyOf(day, d.source, d.type);
    // An identity link's copy: the anonymous original was counted when it arrived (same receipt day).
    if (d.linkedFrom) {
      if (!duplicates.has(i)) t.linked++;
      return;
    }
    if (duplicates.has(i)) {
      t.duplicates++;
      picks.note(t, 'duplicate', i);
      return;
    }
    t.events++;
    t.hours[d.receivedAt.getUTCHours()]!++;
    if (!d.customerId) {
      t.anonymous++;
      picks.note(t, 'anonymous', i);
    }
    if (d.type === 'custom') {
      countKey(t.names, String(d.props.name ?? '(no name)'));
      picks.note(t, 'unknownName', i);
    }
    if (historicalSources.includes(d.source)) return;
    const bucket = skewBucketOf(receivedMs - +d.ts);
    t.skew[bucket] = (t.skew[bucket] ?? 0) + 1;
    if (skewedBuckets.includes(bucket)) picks.note(t, 'clockSkew', i);
  });
  picks.addTo((kind, i) => {
    const d = docs[i]!;
    return { at: d.receivedAt.toISOString(), eventId: d.eventId, who: whoOf(d), detail: recordedDetail(kind, d) };
  });
}

function recordedDetail(kind: FindingKind, d: StoredEvent): string {
  if (kind === 'duplicate') return `eventId ${d.eventId} was already stored`;
  if (kind === 'anonymous') return `anonymousId ${d.anonymousId ?? '(none)'}, no customer yet`;
  if (kind === 'unknownName') return `stored as custom: "${String(d.props.name ?? '(no name)')}"`;
  return `timestamp ${d.ts.toISOString()}, ${minutesText(+d.receivedAt - +d.ts)}`;
}

interface Refusal {
  index: number;
  field: string;
  reason: string;
}

function valueAt(raw: unknown, path: string[]): unknown {
  let v = raw;
  for (const k of path) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, k)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/**
 * Events refused at validation, counted under their source and type — `(unknown)` for a type we do
 * not know (its name counted), or `typeOf`'s answer — a missing required property by its path
 * (array positions as `*`), anything else by field.
 */
export function countRefused(
  database: Database,
  source: string,
  raw: readonly unknown[],
  refusals: readonly Refusal[],
  opts: { knownTypes: readonly string[]; receivedAt?: Date; typeOf?: (raw: unknown) => string },
): void {
  const at = opts.receivedAt ?? new Date();
  const day = pendingDay(database, utcDay(at));
  const byIndex = new Map<number, Refusal[]>();
  for (const r of refusals) byIndex.set(r.index, [...(byIndex.get(r.index) ?? []), r]);
  for (const [index, list] of byIndex) {
    const event = raw[index] as Record<string, unknown> | null | undefined;
    const rawType = event && typeof event === 'object' ? event.type : undefined;
    const known = typeof rawType === 'string' && opts.knownTypes.includes(rawType);
    const type = opts.typeOf?.(event) ?? (known ? (rawType as string) : '(unknown)');
    const t = tallyOf(day, source, type);
    const example = {
      at: at.toISOString(),
      eventId: typeof event?.eventId === 'string' ? event.eventId : undefined,
      who: event && typeof event === 'object' ? whoOf(event) : undefined,
    };
    t.refused++;
    for (const r of list) {
      const path = r.field.split('.');
      if (r.field === 'type' && typeof rawType === 'string' && !known) {
        countKey(t.names, rawType.slice(0, 100));
        addExample(t, 'unknownName', { ...example, detail: `refused: ${r.reason}` });
      } else if (path[0] === 'properties' && path.length > 1 && valueAt(event, path) === undefined) {
        const property = path
          .slice(1)
          .map((k) => (/^\d+$/.test(k) ? '*' : k))
          .join('.');
        countKey(t.missing, property);
        addExample(t, 'missingProperty', { ...example, detail: `${property} is missing` });
      } else {
        countKey(t.invalid, r.field.replace(/\.\d+(?=\.|$)/g, '.*'));
        addExample(t, 'invalid', { ...example, detail: `${r.field}: ${r.reason}` });
      }
    }
  }
}

const isView = (e: TimelineEvent) => e.t.endsWith('_viewed');

/** Orders new to a timeline (not in `before`) with no `*_viewed` event before them in the merged one. */
export function ordersWithoutViews(
  before: readonly TimelineEvent[],
  merged: readonly TimelineEvent[],
): TimelineEvent[] {
  if (merged.length === before.length) return [];
  const orders = merged.filter((e) => e.t === 'order_completed');
  if (orders.length === 0) return [];
  const known = new Set(before.map((e) => e.i));
  const firstView = merged.find(isView)?.s ?? Infinity;
  return orders.filter((o) => !known.has(o.i) && !(firstView < o.s));
}

/** Counts orders folded without a prior view (see ordersWithoutViews), by their receipt day and source. */
export function countOrdersWithoutViews(
  database: Database,
  orders: readonly { cid: string; e: TimelineEvent }[],
): void {
  for (const { cid, e } of orders) {
    const t = tallyOf(pendingDay(database, utcDay(new Date(e.r))), e.o, e.t);
    t.ordersWithoutViews++;
    addExample(t, 'orderWithoutView', {
      at: new Date(e.r).toISOString(),
      eventId: e.i,
      who: cid,
      detail: `order ${String(e.p.orderId ?? e.i)}: no view in the customer's timeline before it`,
    });
  }
}
