import type { Counts, JobContext } from '../jobs/defineJob.js';
import { FeatureRun, type RefreshOptions } from './featureRun.js';
import { refreshByCollectionScan } from './readByCollection.js';
import { refreshByPartition } from './readByPartition.js';

export { WATERMARK_MARGIN_MS, type RefreshOptions } from './featureRun.js';
export { defaultEventBudget } from './readByCollection.js';

export const BUILD_FEATURES_JOB = 'build-features';

/**
 * Recomputes features for the partitions this worker claims and returns the run's counts.
 *
 * How events are read depends on the server (measured on FerretDB v1.24.2 with SQLite, see
 * readByCollection.ts): on MongoDB one sorted, indexed query per partition, streamed customer by
 * customer (readByPartition.ts); on FerretDB one scan of the whole collection grouped in Node.
 *
 * Incremental runs (the default, every 15 minutes) recompute only customers with an event
 * received since their partition's watermark (`feature_watermarks`, moved after the partition's
 * features are written). Time-relative features (recency, 30-day windows, …) of the other
 * customers then lag behind: each document keeps the `asOf` it was computed at, and once a
 * partition's last full recompute is older than `fullEveryHours` (24 h) the next run recomputes
 * all of it, so no value is more than a day stale. On FerretDB an incremental run still scans
 * every event unless none arrived at all (the collection's count is unchanged); it saves the
 * folding and the writes.
 */
export async function refreshFeatures(ctx: JobContext, options: RefreshOptions): Promise<Counts> {
  const run = await FeatureRun.start(ctx.database, options);
  const scan = options.scan === 'auto' ? (ctx.database.ferretdb ? 'collection' : 'partition') : options.scan;
  if (scan === 'partition') {
    await refreshByPartition(ctx, run, BUILD_FEATURES_JOB);
    return run.result();
  }
  return run.result(await refreshByCollectionScan(ctx, run, BUILD_FEATURES_JOB));
}

/** "0-3,7" → [0, 1, 2, 3, 7]; an error message for anything outside 0 … partitions − 1. */
export function parsePartitionList(spec: string, partitions: number): { ok: true; value: number[] } | { ok: false; error: string } {
  const out = new Set<number>();
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const match = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!match) return { ok: false, error: `"${part}" is not a partition number or range like 0-3` };
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (to < from) return { ok: false, error: `range "${part}" is reversed` };
    if (to >= partitions) return { ok: false, error: `partition ${to} does not exist (there are ${partitions}: 0-${partitions - 1})` };
    for (let p = from; p <= to; p++) out.add(p);
  }
  if (out.size === 0) return { ok: false, error: 'no partition given' };
  return { ok: true, value: [...out].sort((a, b) => a - b) };
}
