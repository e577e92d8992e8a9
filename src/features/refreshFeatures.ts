import { config } from '../config.js';
import type { Database } from '../db/database.js';
import { timelineEventsOf } from '../ingest/timeline/compact.js';
import { foldInbox } from '../ingest/timeline/foldInbox.js';
import { deriveProfile } from '../ingest/timeline/profile.js';
import { timelineFromEvents } from '../ingest/timeline/timelineStore.js';
import type { Counts, JobContext } from '../jobs/core/defineJob.js';
import { forEachPartition } from '../jobs/core/partitions.js';
import { FeatureWriter } from './store.js';
import { featuresOfTimeline, FoldContexts } from './timelineFeatures.js';

export const BUILD_FEATURES_JOB = 'build-features';

export interface RefreshOptions {
  asOf: Date;
  /** Write `feature_snapshots` (asOf, customerId) instead of the current `features`; always complete. */
  snapshot: boolean;
  /** Recompute every customer from their timeline, not only those with new events. */
  full: boolean;
  partitions?: number[];
  abandonHours: number;
  /** A run recomputes everyone when the last full recompute is older than this (0: only with --full). */
  fullEveryHours: number;
}

/** An as-of this close to now is "now": the run keeps the current features current. */
const NOW_TOLERANCE_MS = 5 * 60_000;
const lastFullId = 'timelines-full';

/**
 * Brings features up to date without reading the events collection. New events reach features
 * through the fold (src/ingest/timeline), which recomputes each customer it touches; this job
 * first finishes any fold left staged, then — once a day, or when asked for a full run, a past
 * as-of or a snapshot — recomputes everyone from their timelines, since time-relative features
 * (recency, 30-day windows) move with the clock, not with events. Timelines are one document per
 * customer read in one pass (on FerretDB any filter but `_id` is a scan anyway); partitions are
 * leased first so several workers share the pass on MongoDB.
 */
export async function refreshFeatures(ctx: JobContext, options: RefreshOptions): Promise<Counts> {
  const { database } = ctx;
  const started = Date.now();
  const fold = await foldInbox(database, { signal: ctx.signal });
  const counts = {
    folded: fold.added,
    foldedCustomers: fold.customers,
    customers: 0,
    written: 0,
    partitions: 0,
    staleDeleted: 0,
  };
  const current = !options.snapshot && Math.abs(options.asOf.getTime() - started) < NOW_TOLERANCE_MS;
  if (current && !options.full && !(await fullDue(database, options.fullEveryHours, started)))
    return { ...counts, durationMs: Date.now() - started };

  const claimed: number[] = [];
  await forEachPartition(
    { ...ctx, progress: () => undefined },
    BUILD_FEATURES_JOB,
    async (p) => void claimed.push(p),
    options.partitions,
  );
  counts.partitions = claimed.length;
  if (claimed.length === 0) return counts;
  const total = await customerCount(database, claimed);
  const writer = new FeatureWriter(database, { kind: options.snapshot ? 'snapshot' : 'current' }, options.asOf);
  const contexts = await FoldContexts.forShop(database, options.asOf.getTime(), options.abandonHours);
  let done = 0;
  for await (const doc of database.collections.customerTimelines.find(partitionFilter(claimed), {
    batchSize: 1000,
  })) {
    if (ctx.signal.aborted) break;
    const customerId = String(doc._id);
    const partition = doc.partition as number;
    // Damaged or older state is never served: recomputed from the events of that customer.
    const events = timelineEventsOf(doc) ?? (await timelineFromEvents(database, customerId));
    const { profile } = deriveProfile(customerId, partition, events);
    const values = featuresOfTimeline(events, contexts.of(profile.timezone));
    if (values) {
      await writer.add(customerId, partition, values);
      counts.customers++;
    }
    if (++done % 500 === 0) ctx.progress(done, Math.max(total, done));
  }
  await writer.flush();
  counts.written = writer.written;
  // A full current run also drops the features of customers with nothing before its as-of (erased
  // or merged since, or only later events): what was not rewritten by this run.
  if (!options.snapshot && !ctx.signal.aborted) {
    const stale = { ...partitionFilter(claimed), computedAt: { $lt: new Date(started) } };
    counts.staleDeleted = (await database.collections.features.deleteMany(stale)).deletedCount;
  }
  ctx.progress(done, done);
  if (current && !ctx.signal.aborted && claimed.length === config().PARTITIONS) await markFull(database, started);
  return { ...counts, durationMs: Date.now() - started };
}

function partitionFilter(partitions: number[]) {
  if (partitions.length === config().PARTITIONS) return {};
  return partitions.length === 1 ? { partition: partitions[0] } : { partition: { $in: partitions } };
}

/** Customers in these partitions, from the fold's kept counters (no count by scanning). */
export async function customerCount(database: Database, partitions: number[]): Promise<number> {
  const stats = await database.collections.foldStats.find({}).toArray();
  return stats
    .filter((s) => partitions.includes(s.partition as number))
    .reduce((sum, s) => sum + ((s.customers as number) ?? 0), 0);
}

async function fullDue(database: Database, everyHours: number, now: number): Promise<boolean> {
  if (everyHours <= 0) return false;
  const doc = await database.db
    .collection<{ _id: string; at?: Date }>('feature_watermarks')
    .findOne({ _id: lastFullId });
  return !doc?.at || now - doc.at.getTime() > everyHours * 3_600_000;
}

/** Makes the next build-features run recompute everyone (after a pipeline run's as-of features are released). */
export async function forgetFullRecompute(database: Database): Promise<void> {
  await database.db.collection<{ _id: string }>('feature_watermarks').deleteOne({ _id: lastFullId });
}

async function markFull(database: Database, at: number): Promise<void> {
  await database.db
    .collection<{ _id: string }>('feature_watermarks')
    .replaceOne({ _id: lastFullId }, { at: new Date(at) }, { upsert: true });
}

/** "0-3,7" → [0, 1, 2, 3, 7]; an error message for anything outside 0 … partitions − 1. */
export function parsePartitionList(
  spec: string,
  partitions: number,
): { ok: true; value: number[] } | { ok: false; error: string } {
  const out = new Set<number>();
  for (const part of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const match = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!match) return { ok: false, error: `"${part}" is not a partition number or range like 0-3` };
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (to < from) return { ok: false, error: `range "${part}" is reversed` };
    if (to >= partitions)
      return { ok: false, error: `partition ${to} does not exist (there are ${partitions}: 0-${partitions - 1})` };
    for (let p = from; p <= to; p++) out.add(p);
  }
  if (out.size === 0) return { ok: false, error: 'no partition given' };
  return { ok: true, value: [...out].sort((a, b) => a - b) };
}
