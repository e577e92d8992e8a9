import type {
  CountList,
  DayTallies,
  FindingKind,
  SkewBucket,
  Tally,
  TrackingExample,
} from '../../db/models/trackingDay.js';

/** Examples kept per finding and tally: enough to recognise a broken tag, small enough to rewrite the day's document often. */
export const EXAMPLES_KEPT = 5;
/** Distinct names or properties kept per tally; the rest are summed under `(other)` (a sender can invent any number). */
export const KEYS_KEPT = 50;
const DETAIL_CHARS = 200;

export const emptyTally = (): Tally => ({
  events: 0,
  hours: new Array<number>(24).fill(0),
  duplicates: 0,
  refused: 0,
  names: [],
  missing: [],
  invalid: [],
  skew: {},
  anonymous: 0,
  linked: 0,
  ordersWithoutViews: 0,
  examples: {},
});

/** The entry of `obj` under `key` if it is its own (a key such as `constructor` must not reach the prototype). */
export const own = <T>(obj: Record<string, T>, key: string): T | undefined =>
  Object.hasOwn(obj, key) ? obj[key] : undefined;

/** The tally of (source, type) in a day's tallies, created when missing. */
export function tallyOf(day: DayTallies, source: string, type: string): Tally {
  const bySource = own(day, source) ?? (day[source] = Object.create(null) as Record<string, Tally>);
  return own(bySource, type) ?? (bySource[type] = emptyTally());
}

export function countKey(list: CountList, k: string, n = 1): void {
  const found = list.find((e) => e.k === k);
  if (found) found.n += n;
  else if (list.length < KEYS_KEPT) list.push({ k, n });
  else countKey(list, '(other)', n);
}

export function addExample(t: Tally, kind: FindingKind, example: TrackingExample): void {
  const list = (t.examples[kind] ??= []);
  // Absent fields left out: the driver would store an `undefined` as null.
  const kept: TrackingExample = { at: example.at, detail: example.detail.slice(0, DETAIL_CHARS) };
  if (example.eventId !== undefined) kept.eventId = example.eventId;
  if (example.who !== undefined) kept.who = example.who;
  list.push(kept);
  if (list.length > EXAMPLES_KEPT) list.splice(0, list.length - EXAMPLES_KEPT);
}

/** Adds `b` into `a` (b's examples are the later ones). */
export function mergeTally(a: Tally, b: Tally): Tally {
  a.events += b.events;
  b.hours.forEach((n, h) => (a.hours[h] = (a.hours[h] ?? 0) + n));
  a.duplicates += b.duplicates;
  a.refused += b.refused;
  for (const field of ['names', 'missing', 'invalid'] as const) for (const e of b[field]) countKey(a[field], e.k, e.n);
  for (const [bucket, n] of Object.entries(b.skew) as [SkewBucket, number][])
    a.skew[bucket] = (a.skew[bucket] ?? 0) + n;
  a.anonymous += b.anonymous;
  a.linked += b.linked;
  a.ordersWithoutViews += b.ordersWithoutViews;
  for (const [kind, list] of Object.entries(b.examples) as [FindingKind, TrackingExample[]][])
    for (const e of list) addExample(a, kind, e);
  return a;
}

/** Adds a day's tallies into another's. */
export function mergeDay(into: DayTallies, from: DayTallies): DayTallies {
  for (const [source, types] of Object.entries(from))
    for (const [type, t] of Object.entries(types)) mergeTally(tallyOf(into, source, type), t);
  return into;
}

/** The bucket of a receipt-minus-event-time offset. */
export function skewBucketOf(lateMs: number): SkewBucket {
  const min = 60_000;
  if (lateMs < -5 * min) return 'ahead>5m';
  if (lateMs <= 5 * min) return 'within5m';
  if (lateMs <= 60 * min) return 'late5m-1h';
  if (lateMs <= 1440 * min) return 'late1h-1d';
  if (lateMs <= 7 * 1440 * min) return 'late1d-7d';
  return 'late>7d';
}

/** Buckets reported as clock skew: ahead of the server, or later than an hour (an offline app's batch stays under that). */
export const skewedBuckets: readonly SkewBucket[] = ['ahead>5m', 'late1h-1d', 'late1d-7d', 'late>7d'];

/**
 * Sources that deliver history by nature (files, the simulator): their timestamps are old and their
 * volume comes in one-off runs, so neither clock skew nor drops say anything about a tag there.
 */
export const historicalSources: readonly string[] = ['import', 'sim'];

export const utcDay = (d: Date) => d.toISOString().slice(0, 10);
