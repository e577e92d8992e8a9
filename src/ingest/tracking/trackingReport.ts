import type { Database } from '../../db/database.js';
import { log } from '../../log.js';
import { skewBuckets, type Tally, type TrackingDayDoc, type TrackingExample } from '../../db/models/trackingDay.js';
import { dayOffset, dropOn } from './drops.js';
import { emptyTally, mergeTally, own, skewedBuckets, utcDay } from './tally.js';
import { flushTracking } from './trackingBuffer.js';
import type { TrackingFinding, TrackingReport, TrackingRow } from './trackingReportSchema.js';

export interface TrackingQuery {
  /** First UTC day, inclusive. */
  from: string;
  /** Last UTC day, exclusive. */
  to: string;
  source?: string;
  type?: string;
  by: 'day' | 'hour';
}

/** Days before the window read for drop baselines: four weeks of the same weekday. */
const BASELINE_DAYS = 28;
const READS_IN_FLIGHT = 8;

export const windowDays = (q: { from: string; to: string }) =>
  Math.round((Date.parse(q.to) - Date.parse(q.from)) / 86_400_000);

/**
 * The tracking-quality report of a window: this process's pending counters are written first, then
 * one document per day is read by `_id` (the window and four weeks before it, for the drop
 * baselines). No event is read.
 */
export async function trackingReport(database: Database, q: TrackingQuery, now = new Date()): Promise<TrackingReport> {
  // A lease held past the wait (a holder that died keeps it two minutes) delays this process's
  // counts, not the report: they stay pending for the next flush.
  await flushTracking(database, { wait: true }).catch((err: unknown) =>
    log.warn({ err }, 'pending tracking counters not written; the report shows what is stored'),
  );
  const ids = Array.from({ length: windowDays(q) + BASELINE_DAYS }, (_, k) => dayOffset(q.from, k - BASELINE_DAYS));
  const docs = new Map<string, TrackingDayDoc>();
  for (let k = 0; k < ids.length; k += READS_IN_FLIGHT)
    for (const doc of await Promise.all(
      ids.slice(k, k + READS_IN_FLIGHT).map((_id) => database.collections.trackingDays.findOne({ _id })),
    ))
      if (doc) docs.set(doc._id, doc);
  return buildTrackingReport(docs, q, now);
}

/** The report from the day documents (pure: the tests and the dashboard's numbers come from here). */
export function buildTrackingReport(docs: Map<string, TrackingDayDoc>, q: TrackingQuery, now: Date): TrackingReport {
  const window = Array.from({ length: windowDays(q) }, (_, k) => dayOffset(q.from, k));
  const keys = new Map<string, { source: string; type: string }>();
  for (const doc of docs.values())
    for (const [source, types] of Object.entries(doc.sources))
      for (const type of Object.keys(types))
        if ((!q.source || q.source === source) && (!q.type || q.type === type))
          keys.set(`${source}\n${type}`, { source, type });
  const tallyOn = (day: string, source: string, type: string): Tally | undefined => {
    const doc = docs.get(day);
    return doc ? own(own(doc.sources, source) ?? {}, type) : undefined;
  };
  const rows = [...keys.values()]
    .sort((a, b) => a.source.localeCompare(b.source) || a.type.localeCompare(b.type))
    .map(({ source, type }) => rowOf(source, type, window, tallyOn, docs, q, now))
    .filter((r) => r.events + r.refused + r.duplicates + r.linked + r.ordersWithoutViews > 0 || r.drops.length);
  return {
    from: q.from,
    to: q.to,
    by: q.by,
    generatedAt: now.toISOString(),
    rows,
    findings: rows.flatMap(findingsOf).sort((a, b) => +(b.kind === 'drop') - +(a.kind === 'drop') || b.count - a.count),
  };
}

function rowOf(
  source: string,
  type: string,
  window: string[],
  tallyOn: (day: string, source: string, type: string) => Tally | undefined,
  docs: Map<string, TrackingDayDoc>,
  q: TrackingQuery,
  now: Date,
): TrackingRow {
  const t = window.reduce((sum, day) => {
    const on = tallyOn(day, source, type);
    return on ? mergeTally(sum, structuredClone(on)) : sum;
  }, emptyTally());
  const volume = window.flatMap((day) => {
    const hours = tallyOn(day, source, type)?.hours ?? new Array<number>(24).fill(0);
    return q.by === 'day'
      ? [{ at: day, events: hours.reduce((a, b) => a + b, 0) }]
      : hours.map((events, h) => ({ at: `${day}T${String(h).padStart(2, '0')}:00:00.000Z`, events }));
  });
  const hoursOf = (day: string) =>
    docs.has(day) ? (tallyOn(day, source, type)?.hours ?? new Array<number>(24).fill(0)) : undefined;
  const drops = window.flatMap((day) => dropOn(day, hoursOf, now) ?? []);
  return {
    source,
    type,
    events: t.events,
    duplicates: t.duplicates,
    refused: t.refused,
    anonymous: t.anonymous,
    linked: t.linked,
    anonymousOnly: Math.max(0, t.anonymous - t.linked),
    ordersWithoutViews: t.ordersWithoutViews,
    skewed: skewedBuckets.reduce((n, b) => n + (t.skew[b] ?? 0), 0),
    volume,
    unknownNames: t.names.map((e) => ({ name: e.k, count: e.n })).sort((a, b) => b.count - a.count),
    missingProperties: t.missing.map((e) => ({ property: e.k, count: e.n })).sort((a, b) => b.count - a.count),
    invalid: t.invalid.map((e) => ({ field: e.k, count: e.n })).sort((a, b) => b.count - a.count),
    clockSkew: skewBuckets.map((bucket) => ({ bucket, count: t.skew[bucket] ?? 0 })),
    drops,
    examples: t.examples,
  };
}

/** The three largest of a count list, as `name (count)`: the list is sorted by count. */
const top = <K extends string>(list: ({ count: number } & Record<K, string>)[], name: K) =>
  list
    .slice(0, 3)
    .map((e) => `${e[name]} (${e.count})`)
    .join(', ');
const total = (list: { count: number }[]) => list.reduce((n, e) => n + e.count, 0);

function findingsOf(r: TrackingRow): TrackingFinding[] {
  const out: TrackingFinding[] = [];
  const at = (kind: TrackingFinding['kind'], count: number, detail: string, examples: TrackingExample[] = []) => {
    // A drop's count is the day's (low, often zero) volume; the other findings are counts of problems.
    if (count > 0 || kind === 'drop') out.push({ kind, source: r.source, type: r.type, count, detail, examples });
  };
  for (const d of r.drops)
    at(
      'drop',
      d.events,
      `${d.day}: ${d.events} events${d.hours < 24 ? ` in its first ${d.hours} h` : ''} vs a median of ${d.baseline} on the same weekday of ${d.baselineDays} earlier weeks, ${Math.round(d.ratio * 100)}%`,
    );
  at('unknownName', total(r.unknownNames), `names: ${top(r.unknownNames, 'name')}`, r.examples.unknownName);
  at(
    'missingProperty',
    total(r.missingProperties),
    `missing: ${top(r.missingProperties, 'property')}`,
    r.examples.missingProperty,
  );
  at('invalid', total(r.invalid), `fields: ${top(r.invalid, 'field')}`, r.examples.invalid);
  at('clockSkew', r.skewed, `${r.skewed} of ${r.events} timestamps far from receipt`, r.examples.clockSkew);
  at(
    'anonymousOnly',
    r.anonymousOnly,
    `${r.anonymousOnly} of ${r.events} events without a customer that never linked`,
    r.examples.anonymous,
  );
  at(
    'orderWithoutView',
    r.ordersWithoutViews,
    `${r.ordersWithoutViews} orders from customers with no view before them`,
    r.examples.orderWithoutView,
  );
  at('duplicate', r.duplicates, `${r.duplicates} deliveries of an eventId already stored`, r.examples.duplicate);
  return out;
}

/** The default end of the window: tomorrow (UTC), so today is in. */
export const defaultEnd = (now = new Date()) => dayOffset(utcDay(now), 1);
