import { createHash } from 'node:crypto';
import type { Collection, Document, Filter, OptionalUnlessRequiredId } from 'mongodb';
import type { Database } from '../../db/database.js';
import { currentFeatureDoc } from '../../features/store.js';
import { featuresOfTimeline, FoldContexts } from '../../features/timelineFeatures.js';
import { holdOn } from '../../jobs/core/scheduleHold.js';
import { isDuplicateKey } from '../../db/duplicateKey.js';
import type { EventInboxDoc, PendingTimeline } from '../../db/models/timeline.js';
import { insertIgnoringDuplicates } from '../../db/insertIgnoringDuplicates.js';
import { mergeTimeline, type TimelineEvent } from './compact.js';
import { claimFoldLease, foldLeaseMs, releaseFoldLease, renewFoldLease, waitForFoldLease } from './foldLease.js';
import { QUEUED_PARTITION, settleQueued } from './intakeQueue.js';
import type { StagedEvent } from './stageEvents.js';
import { deriveProfile } from './profile.js';
import { recordTimelineChanges } from './timelineChanges.js';
import { readTimeline, timelineDoc, type Timeline } from './timelineStore.js';
import { countOrdersWithoutViews, ordersWithoutViews } from '../tracking/countEvents.js';

type IdDoc = Document & { _id: string };

/**
 * Staged events read per round (bounds memory while a large import is folded). Rounds are large on
 * purpose: a fold costs a read and a write per customer touched, so a backfill of small batches is
 * folded fastest when each round takes many of them together.
 */
const ROUND_EVENTS = 100_000;
/** Timelines read at once, and documents replaced at once: FerretDB serialises writes, a few in flight hide the reads. */
const READS_IN_FLIGHT = 8;
/** Customers derived, compressed and written together: bounds how long the event loop is held. */
const CHUNK = 64;
const WRITES_IN_FLIGHT = 4;

export interface FoldCounts {
  inboxDocs: number;
  events: number;
  /** Events new to their timeline (the rest were already folded: retries, copies staged twice). */
  added: number;
  customers: number;
  newCustomers: number;
  /** Partitions with work that another process was folding. */
  busy: number;
  /** Events of queued requests stored and staged (see intakeQueue.ts). */
  settled: number;
}

export const emptyFoldCounts = (): FoldCounts => ({
  inboxDocs: 0,
  events: 0,
  added: 0,
  customers: 0,
  newCustomers: 0,
  busy: 0,
  settled: 0,
});

/**
 * Folds staged events into customer timelines and everything derived from them: the customer
 * document (profile, consent), suppressions, current features and the partition's counters.
 * One process folds a partition at a time (a lease), so no update can be lost between concurrent
 * batches; each step is idempotent (timelines skip eventIds they hold, the rest is recomputed),
 * so a fold killed anywhere is finished by the next one and the inbox is deleted only after.
 */
export async function foldInbox(
  database: Database,
  opts: { signal?: AbortSignal; progress?: (done: number) => void } = {},
): Promise<FoldCounts> {
  const counts = emptyFoldCounts();
  const skip = new Set<number>();
  for (;;) {
    if (opts.signal?.aborted) break;
    const filter = skip.size ? { partition: { $nin: [...skip] } } : {};
    const docs: EventInboxDoc[] = [];
    let staged = 0;
    for await (const doc of database.collections.eventInbox.find(filter, { batchSize: 1000 })) {
      docs.push(doc);
      staged += doc.n ?? 1;
      if (staged >= ROUND_EVENTS) break;
    }
    if (docs.length === 0) break;
    const byPartition = new Map<number, EventInboxDoc[]>();
    for (const d of docs) {
      const list = byPartition.get(d.partition);
      if (list) list.push(d);
      else byPartition.set(d.partition, [d]);
    }
    // Queued requests first: settling them stages their events for this same loop's next round.
    for (const [partition, list] of [...byPartition].sort(([a], [b]) => a - b)) {
      if (!(await claimFoldLease(database, partition))) {
        skip.add(partition);
        counts.busy++;
        continue;
      }
      try {
        if (partition === QUEUED_PARTITION) counts.settled += await settleQueued(database, list);
        else await foldPartition(database, partition, list, counts);
      } finally {
        await releaseFoldLease(database, partition);
      }
      opts.progress?.(counts.events);
    }
  }
  return counts;
}

async function foldPartition(
  database: Database,
  partition: number,
  docs: EventInboxDoc[],
  counts: FoldCounts,
): Promise<void> {
  const byCustomer = new Map<string, TimelineEvent[]>();
  for (const doc of docs) {
    const staged = JSON.parse(doc.events as string) as StagedEvent[];
    counts.inboxDocs++;
    counts.events += staged.length;
    for (const { cid, ...e } of staged) {
      const list = byCustomer.get(cid);
      if (list) list.push(e);
      else byCustomer.set(cid, [e]);
    }
  }
  const renew = setInterval(() => void renewFoldLease(database, partition).catch(() => undefined), foldLeaseMs() / 4);
  try {
    await foldCustomers(database, partition, byCustomer, counts, { fresh: false });
  } finally {
    clearInterval(renew);
  }
  await database.collections.eventInbox.deleteMany({ _id: { $in: docs.map((d) => d._id) } });
}

/**
 * Merges each customer's new events into their timeline and rewrites what derives from it, a chunk
 * of customers at a time: deriving and compressing thousands of timelines in one go held the
 * event loop for seconds, past the timeouts of the HTTP clients it serves meanwhile.
 * `fresh`: the caller knows no timeline exists yet (seeding, rebuild), so none is read and
 * documents are inserted in bulk (an existing one, found by its duplicate key, is replaced).
 */
export async function foldCustomers(
  database: Database,
  partition: number,
  byCustomer: Map<string, TimelineEvent[]>,
  counts: FoldCounts,
  opts: { fresh: boolean },
): Promise<void> {
  if (byCustomer.size === 0) return;
  const now = new Date();
  const contexts = await FoldContexts.forShop(database, now.getTime());
  const stats = await readStats(database, partition);
  // While a pipeline run holds the schedule, current features stay as of its date (build-features
  // catches them up after the release); timelines, profiles and consent never wait.
  const holdFeatures = (await holdOn(database, 'build-features')) !== null;
  const ids = [...byCustomer.keys()];
  // `fresh` callers may be resuming (a seed stopped midway): timelines that exist after all are merged, not replaced.
  const existing = opts.fresh ? await existingIds(database, ids) : null;
  const featuresBefore = new Map<string, string>();
  for (let k = 0; k < ids.length; k += CHUNK) {
    const timelines: Timeline[] = [];
    const pending: PendingTimeline[] = [];
    const unviewed: { cid: string; e: TimelineEvent }[] = [];
    for (let r = k; r < Math.min(k + CHUNK, ids.length); r += READS_IN_FLIGHT) {
      const read = await Promise.all(
        ids
          .slice(r, Math.min(r + READS_IN_FLIGHT, k + CHUNK))
          .map((id) =>
            existing && !existing.has(id)
              ? { customerId: id, partition, events: [], stored: false }
              : readTimeline(database, id, partition),
          ),
      );
      for (const timeline of read) {
        const incoming = byCustomer.get(timeline.customerId)!;
        const merged = mergeTimeline(timeline.events, incoming);
        if (merged.added === 0 && timeline.stored) continue;
        counts.customers++;
        counts.added += merged.added;
        stats.events += merged.added;
        if (!timeline.stored) {
          counts.newCustomers++;
          stats.customers++;
        }
        pending.push({
          id: timeline.customerId,
          before: timeline.stored ? timeline.events.length : null,
          after: merged.events.length,
        });
        for (const e of incoming) {
          if (stats.firstEventAt === null || e.s < stats.firstEventAt) stats.firstEventAt = e.s;
          if (stats.lastEventAt === null || e.s > stats.lastEventAt) stats.lastEventAt = e.s;
        }
        // Current features are time-relative: what the old events give today is the state to compare
        // with (a hash from the last fold would differ by the time passed, and rewrite as-of features).
        if (timeline.stored) featuresBefore.set(timeline.customerId, deriveAll(timeline, contexts).hashes.features);
        timelines.push({ ...timeline, events: merged.events });
        // Tracking quality: a rebuild or seed (`fresh`) refolds old orders, which were counted when new.
        if (!opts.fresh)
          for (const e of ordersWithoutViews(timeline.events, merged.events))
            unviewed.push({ cid: timeline.customerId, e });
      }
    }
    if (!timelines.length) continue;
    // Counters and change buckets go first, counting the chunk as folded and naming its timelines as
    // pending: a fold killed before they land finds the events unfolded and counts them again, so
    // the next readStats takes back what did not land (written after, a kill in between lost them).
    const changed = timelines.map((t) => t.customerId);
    await writeStats(database, partition, stats, now, pending);
    await recordTimelineChanges(database, partition, changed, now);
    await writeFolded(database, partition, timelines, contexts, { holdFeatures, now, featuresBefore });
    // Again once they landed: a reader whose cursor passed the first bucket's minute meanwhile sees them.
    await recordTimelineChanges(database, partition, changed, new Date());
    countOrdersWithoutViews(database, unviewed);
  }
}

/**
 * Writes what the merged timelines determine, then the timelines. Derived documents come first:
 * a fold killed in between finds the events still missing from the timelines and redoes both;
 * the other order could leave them stale.
 */
async function writeFolded(
  database: Database,
  partition: number,
  timelines: Timeline[],
  contexts: FoldContexts,
  o: { holdFeatures: boolean; now: Date; featuresBefore: Map<string, string> },
): Promise<void> {
  const stored = new Set(timelines.filter((t) => t.stored).map((t) => t.customerId));
  const derived = timelines.map((t) => deriveAll(t, contexts));
  const c = database.collections;

  await upsertMany(
    c.customers,
    derived.filter((d, k) => timelines[k]!.derived?.profile !== d.hashes.profile).map((d) => d.profile),
    stored,
  );
  if (!o.holdFeatures) {
    const features = derived.flatMap((d, k) =>
      d.features && o.featuresBefore.get(timelines[k]!.customerId) !== d.hashes.features ? [d.features] : [],
    );
    await upsertMany(c.features, features, stored);
  }
  await insertIgnoringDuplicates(
    database.collections.suppressions,
    derived.flatMap((d) => d.suppressions),
  );
  const docs = await Promise.all(
    timelines.map((t, k) =>
      timelineDoc(t.customerId, partition, t.events, { profile: derived[k]!.hashes.profile }, o.now),
    ),
  );
  await upsertMany(c.customerTimelines, docs, stored);
}

/**
 * replaceOne with upsert, once more on a duplicate key: build-features' full recompute writes
 * features by delete + insert, and an upsert landing between the two collides with its insert.
 */
async function replaceUpserting<T extends IdDoc>(collection: Collection<T>, doc: T): Promise<void> {
  // An `_id` filter on a generic document type is beyond TypeScript's check of Filter<T>.
  const byId = { _id: doc._id } as Filter<T>;
  try {
    await collection.replaceOne(byId, doc, { upsert: true });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    await collection.replaceOne(byId, doc, { upsert: true });
  }
}

/** Which of these customers have a timeline: one indexed `_id $in` read per thousand. */
async function existingIds(database: Database, ids: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (let k = 0; k < ids.length; k += 1000) {
    const docs = await database.collections.customerTimelines
      .find({ _id: { $in: ids.slice(k, k + 1000) } }, { projection: { _id: 1 } })
      .toArray();
    for (const d of docs) out.add(String(d._id));
  }
  return out;
}

/** Everything a customer's timeline determines: profile, suppressions and current features, with the hashes kept on the timeline. */
function deriveAll(t: Timeline, contexts: FoldContexts) {
  const { profile, suppressions } = deriveProfile(t.customerId, t.partition, t.events);
  const values = featuresOfTimeline(t.events, contexts.of(profile.timezone));
  const updatedAt = new Date();
  return {
    profile,
    features: values ? currentFeatureDoc(t.customerId, t.partition, new Date(contexts.asOf), values) : null,
    suppressions: suppressions.map((s) => ({
      address: s.address,
      channel: 'email' as const,
      customerId: t.customerId,
      reason: s.reason,
      createdAt: s.at,
      updatedAt,
    })),
    hashes: { profile: hashOf(profile), features: hashOf(values) },
  };
}

const hashOf = (value: unknown) =>
  createHash('sha1')
    .update(JSON.stringify(value ?? null))
    .digest('base64url');

/**
 * Writes documents by `_id`: those of customers not known to be stored are inserted in one
 * batch (cheap everywhere), the rest — and any insert that hit an existing `_id` — replaced one
 * by one, a few in flight (on FerretDB only a single-`_id` filter reaches its index).
 */
async function upsertMany<T extends IdDoc>(collection: Collection<T>, docs: T[], stored: Set<string>): Promise<void> {
  const fresh = docs.filter((d) => !stored.has(d._id));
  const duplicates = await insertIgnoringDuplicates(collection, fresh as OptionalUnlessRequiredId<T>[]);
  const replace = docs.filter((d) => stored.has(d._id)).concat(fresh.filter((_, i) => duplicates.has(i)));
  for (let k = 0; k < replace.length; k += WRITES_IN_FLIGHT) {
    await Promise.all(replace.slice(k, k + WRITES_IN_FLIGHT).map((d) => replaceUpserting(collection, d)));
  }
}

interface Stats {
  customers: number;
  events: number;
  firstEventAt: number | null;
  lastEventAt: number | null;
}

/**
 * The partition's counters, with the last chunk's timelines that did not land taken back: those
 * are counted again when their events are folded anew (the time bounds only widen, so they stay).
 */
async function readStats(database: Database, partition: number): Promise<Stats> {
  const doc = await database.collections.foldStats.findOne({ _id: `p${partition}` });
  const stats = {
    customers: doc?.customers ?? 0,
    events: doc?.events ?? 0,
    firstEventAt: doc?.firstEventAt ? +doc.firstEventAt : null,
    lastEventAt: doc?.lastEventAt ? +doc.lastEventAt : null,
  };
  const pending = doc?.pending ?? [];
  if (!pending.length) return stats;
  const landed = new Map<string, number>();
  const docs = database.collections.customerTimelines.find(
    { _id: { $in: pending.map((p) => p.id) } },
    { projection: { n: 1 } },
  );
  for await (const t of docs) landed.set(t._id, t.n);
  for (const p of pending) {
    if (landed.get(p.id) === p.after) continue;
    stats.events -= p.after - (p.before ?? 0);
    if (p.before === null) stats.customers--;
  }
  return stats;
}

async function writeStats(
  database: Database,
  partition: number,
  s: Stats,
  now: Date,
  pending: PendingTimeline[] = [],
): Promise<void> {
  await database.collections.foldStats.replaceOne(
    { _id: `p${partition}` },
    {
      partition,
      customers: s.customers,
      events: s.events,
      firstEventAt: s.firstEventAt === null ? null : new Date(s.firstEventAt),
      lastEventAt: s.lastEventAt === null ? null : new Date(s.lastEventAt),
      pending,
      updatedAt: now,
    },
    { upsert: true },
  );
}

/**
 * Removes a customer's timeline (erasure): what is staged is folded first, so none of their
 * events is left in the inbox to bring the timeline back; the partition's lease is held while
 * its counters are corrected, so no fold writes them at the same time.
 */
export async function eraseTimeline(
  database: Database,
  customerId: string,
  partition: number,
): Promise<{ timelines: number; inbox: number }> {
  await foldInbox(database);
  await waitForFoldLease(database, partition, 'erasure', 60_000);
  try {
    const doc = await database.collections.customerTimelines.findOne({ _id: customerId }, { projection: { n: 1 } });
    if (!doc) return { timelines: 0, inbox: 0 };
    // Read while the timeline is there: readStats takes back a pending timeline that is missing.
    const stats = await readStats(database, partition);
    await database.collections.customerTimelines.deleteOne({ _id: customerId });
    await database.collections.timelineChanges.updateMany(
      { partition, customers: customerId },
      { $pull: { customers: customerId } },
    );
    await writeStats(
      database,
      partition,
      {
        ...stats,
        customers: Math.max(0, stats.customers - 1),
        events: Math.max(0, stats.events - ((doc.n as number) ?? 0)),
      },
      new Date(),
    );
    return { timelines: 1, inbox: 0 };
  } finally {
    await releaseFoldLease(database, partition);
  }
}
