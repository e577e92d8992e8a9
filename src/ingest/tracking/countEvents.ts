import type { Database } from '../../db/database.js';
import type { StoredEvent } from '../storedEvent.js';
import type { TimelineEvent } from '../timeline/compact.js';
import { pendingDay } from './trackingBuffer.js';
import { addExample, countKey, historicalSources, skewBucketOf, skewedBuckets, tallyOf, utcDay } from './tally.js';

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

/** Events as recordEvents stored them; `duplicates`: the indexes whose eventId was already stored. */
export function countRecorded(
  database: Database,
  docs: readonly (StoredEvent & { linkedFrom?: string })[],
  duplicates: ReadonlySet<number>,
): void {
  docs.forEach((d, i) => {
    const t = tallyOf(pendingDay(database, utcDay(d.receivedAt)), d.source, d.type);
    const example = { at: d.receivedAt.toISOString(), eventId: d.eventId, who: whoOf(d) };
    // An identity link's copy: the anonymous original was counted when it arrived (same receipt day).
    if (d.linkedFrom) {
      if (!duplicates.has(i)) t.linked++;
      return;
    }
    if (duplicates.has(i)) {
      t.duplicates++;
      addExample(t, 'duplicate', { ...example, detail: `eventId ${d.eventId} was already stored` });
      return;
    }
    t.events++;
    t.hours[d.receivedAt.getUTCHours()]!++;
    if (!d.customerId) {
      t.anonymous++;
      addExample(t, 'anonymous', { ...example, detail: `anonymousId ${d.anonymousId ?? '(none)'}, no customer yet` });
    }
    if (d.type === 'custom') {
      const name = String(d.props.name ?? '(no name)');
      countKey(t.names, name);
      addExample(t, 'unknownName', { ...example, detail: `stored as custom: "${name}"` });
    }
    if (historicalSources.includes(d.source)) return;
    const late = +d.receivedAt - +d.ts;
    const bucket = skewBucketOf(late);
    t.skew[bucket] = (t.skew[bucket] ?? 0) + 1;
    if (skewedBuckets.includes(bucket))
      addExample(t, 'clockSkew', { ...example, detail: `timestamp ${d.ts.toISOString()}, ${minutesText(late)}` });
  });
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
