import type { Database } from '../../db/database.js';
import type { Collections } from '../../db/collections.js';
import { readTimelines, type EventSelection } from '../../ingest/timeline/readTimelines.js';
import { localDay, localHour, offsetFnFor } from '../../features/time.js';
import { matchesFilter } from './compile.js';
import { scopeFilter, type ProfileScope } from './profile.js';
import type { EventQuery, MongoFilter } from './types.js';

export type EventFacts = Map<string, Record<string, number | null>>;

/**
 * Answers event queries for the customers of a scope: `customerId → {[query id]: value}`.
 *
 * One pass over the scope's customer timelines for all queries (one document per customer, where
 * the events collection holds hundreds: FerretDB decodes every document it reads). Each timeline
 * hands over the events of the queries' types and time span (see `envelope`) and each query's own
 * filter is applied with `matchesFilter`, the same matching on the same generated filters. The
 * per-customer "last anchor" and local-time windows (customer timezone) need Node anyway.
 */
export async function resolveEventFacts(
  database: Database,
  queries: readonly EventQuery[],
  scope: ProfileScope,
): Promise<EventFacts> {
  const { customers } = database.collections;
  const facts: EventFacts = new Map();
  if (queries.length === 0) return facts;
  const filters: MongoFilter[] = queries.flatMap((q) => (q.anchor ? [q.filter, q.anchor.filter] : [q.filter]));
  const zones = queries.some((q) => q.localTime) ? await timezones(customers, scope) : undefined;
  const inWindow = queries.map((q) => (q.localTime ? localTimeTest(q.localTime, zones!) : undefined));

  /** Per anchored query: customer → last anchor time, and the times of counted events. */
  const anchors = queries.map(() => new Map<string, number>());
  const counted = queries.map(() => new Map<string, number[]>());
  // Each event is tested only against the queries (and anchors) of its type.
  const byType = new Map<unknown, { i: number; anchor: boolean }[]>();
  const add = (type: unknown, entry: { i: number; anchor: boolean }) =>
    byType.set(type, [...(byType.get(type) ?? []), entry]);
  queries.forEach((q, i) => {
    add(q.filter.type, { i, anchor: false });
    if (q.anchor) add(q.anchor.filter.type, { i, anchor: true });
  });
  for await (const { customerId, events } of readTimelines(database, scope, envelope(filters))) {
    for (const e of events) {
      const t = e.ts.getTime();
      for (const { i, anchor } of byType.get(e.type)!) {
        const q = queries[i]!;
        if (anchor) {
          if (matchesFilter(e, q.anchor!.filter) && t > (anchors[i]!.get(customerId) ?? -Infinity))
            anchors[i]!.set(customerId, t);
          continue;
        }
        if (!matchesFilter(e, q.filter) || (inWindow[i] && !inWindow[i]!(customerId, t))) continue;
        let times = counted[i]!.get(customerId);
        if (!times) counted[i]!.set(customerId, (times = []));
        times.push(t);
      }
    }
  }

  const set = (customerId: string, id: string, value: number) => {
    let rec = facts.get(customerId);
    if (!rec) facts.set(customerId, (rec = {}));
    rec[id] = value;
  };
  queries.forEach((q, i) => {
    if (!q.anchor) {
      for (const [customerId, times] of counted[i]!) set(customerId, q.id, times.length);
      return;
    }
    const to = q.anchor.to?.getTime() ?? Infinity;
    for (const [customerId, anchorAt] of anchors[i]!) {
      // A last anchor later than `to` is too recent: the fact stays null (the condition fails).
      if (anchorAt >= to) continue;
      set(customerId, q.id, (counted[i]!.get(customerId) ?? []).filter((t) => t > anchorAt).length);
    }
  });
  return facts;
}

/** What every query's events pass: their types and the widest time window (the rest is `matchesFilter`). */
function envelope(filters: MongoFilter[]): EventSelection {
  const bounds = filters.map((f) => (f.ts ?? {}) as { $gte?: Date; $lt?: Date });
  return {
    types: [...new Set(filters.map((f) => f.type as string))],
    ...(bounds.every((b) => b.$gte) ? { from: new Date(Math.min(...bounds.map((b) => b.$gte!.getTime()))) } : {}),
    ...(bounds.every((b) => b.$lt) ? { until: new Date(Math.max(...bounds.map((b) => b.$lt!.getTime()))) } : {}),
  };
}

async function timezones(customers: Collections['customers'], scope: ProfileScope): Promise<Map<string, string>> {
  const rows = await customers.find(scopeFilter(scope), { projection: { timezone: 1 } }).toArray();
  return new Map(rows.map((r) => [String(r._id), typeof r.timezone === 'string' ? r.timezone : 'UTC']));
}

function localTimeTest(w: NonNullable<EventQuery['localTime']>, zones: Map<string, string>) {
  const days = new Set(w.weekdays);
  return (customerId: string, t: number) => {
    const offsetAt = offsetFnFor(zones.get(customerId) ?? 'UTC');
    const hour = localHour(t, offsetAt);
    // Day 0 (1970-01-01) was a Thursday.
    return hour >= w.fromHour && hour < w.toHour && days.has((localDay(t, offsetAt) + 4) % 7);
  };
}
