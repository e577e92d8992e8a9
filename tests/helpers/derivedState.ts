import { decodeTimeline } from '../../src/ingest/timeline/compact.js';
import type { Database } from '../../src/db/database.js';

/**
 * Everything the fold derives from events, in a comparable form: timelines, customers,
 * suppressions, the kept counters (time bounds left out: they only widen; the last chunk's pending
 * list is bookkeeping) and current features
 * (without their computation time). Incremental work and a rebuild must give equal results.
 */
export async function derivedState(database: Database) {
  const m = database.models;
  const sortById = <T extends { _id: unknown }>(docs: T[]) =>
    docs.sort((a, b) => String(a._id).localeCompare(String(b._id)));
  const strip = (docs: Record<string, unknown>[], keys: string[]) =>
    docs.map((d) => Object.fromEntries(Object.entries(d).filter(([k]) => !keys.includes(k))));
  return {
    // Events as each timeline holds them, but for receivedAt: an event resent after a crash (stored
    // once, staged again by the resend) carries the resend's arrival in the timeline.
    timelines: sortById(await m.CustomerTimeline.collection.find({}).toArray()).map(
      ({ foldedAt: _f, derived: _d, events, ...t }) => ({
        ...t,
        events: decodeTimeline(events)?.map(({ r: _r, ...e }) => e),
      }),
    ),
    customers: sortById(await m.Customer.collection.find({}).toArray()),
    suppressions: (await m.Suppression.collection.find({}, { projection: { _id: 0, updatedAt: 0 } }).toArray())
      .map((x) => JSON.stringify(x))
      .sort(),
    stats: strip(sortById(await m.FoldStats.collection.find({ customers: { $gt: 0 } }).toArray()), [
      'updatedAt',
      'firstEventAt',
      'lastEventAt',
      'pending',
    ]),
    features: strip(sortById(await m.Feature.collection.find({}).toArray()), ['computedAt']),
  };
}
