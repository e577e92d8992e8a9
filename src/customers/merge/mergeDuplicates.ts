import { config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { survivorsOf } from '../../ingest/identity.js';
import { changedCustomers } from '../../ingest/timeline/timelineChanges.js';
import { findDuplicates, type DuplicatePair } from './findDuplicates.js';
import { mergeCustomers } from './mergeCustomers.js';
import { runMerge } from './runMerge.js';
import { undoMerge } from './undoMerge.js';

const STATE_ID = 'merge-duplicates';
export const MERGE_JOB_ACTOR = 'job:merge-duplicates';

export interface MergeDuplicatesOptions {
  dryRun: boolean;
  /** Look at every customer, not only those changed since the last run (the first run does). */
  all: boolean;
  progress?: (done: number, total: number) => void;
}

export interface MergeDuplicatesResult {
  counts: Record<string, number>;
  pairs: DuplicatePair[];
}

/**
 * The `merge-duplicates` job: finishes merges and undos a crash left midway, folds merged ids
 * that got a timeline again into their survivors, then finds duplicates among the customers whose
 * timelines changed since the last run (timeline_changes: identifies, email changes and links all
 * arrive as events) and merges each pair, or with `dryRun` only lists them. The first run, or one
 * after more than the change buckets' retention, looks at every customer once.
 */
export async function mergeDuplicates(
  database: Database,
  opts: MergeDuplicatesOptions,
): Promise<MergeDuplicatesResult> {
  const counts: Record<string, number> = { resumed: 0, refolded: 0, pairs: 0, merged: 0, refused: 0 };
  const startedAt = new Date();
  const { campaignState, merges, customers } = database.collections;
  if (!opts.dryRun) {
    for (const m of await merges.find({ status: { $in: ['started', 'undoing'] } }).toArray()) {
      if (m.status === 'started') await runMerge(database, m);
      else await undoMerge(database, m._id, m.undoneBy ?? MERGE_JOB_ACTOR);
      counts.resumed!++;
    }
  }
  const state = (await campaignState.findOne({ _id: STATE_ID }))?.value as { until?: Date } | undefined;
  const changed = !opts.all && state?.until ? await changedCustomers(database, state.until, config().PARTITIONS) : null;
  const ids = changed
    ? [...changed]
    : (await customers.find({}, { projection: { _id: 1 } }).toArray()).map((c) => c._id);
  counts.customers = ids.length;

  // A merged id with a customer document again: its timeline came back (a rebuild from the events,
  // an event that raced the alias); the merge's steps fold it into the survivor once more.
  const survivors = await survivorsOf(database, ids);
  const returned = ids.filter((id) => survivors.has(id));
  if (!opts.dryRun && returned.length) {
    const aliases = await database.collections.mergeAliases.find({ _id: { $in: returned } }).toArray();
    const byId = new Map(
      (await merges.find({ _id: { $in: aliases.map((a) => a.mergeId) } }).toArray()).map((m) => [m._id, m]),
    );
    for (const a of aliases) {
      const m = byId.get(a.mergeId);
      if (m?.status === 'done') {
        await runMerge(database, m);
        counts.refolded!++;
      }
    }
  }
  const pairs = await findDuplicates(
    database,
    ids.filter((id) => !survivors.has(id)),
  );
  counts.pairs = pairs.length;
  if (!opts.dryRun) {
    let done = 0;
    for (const p of pairs) {
      const result = await mergeCustomers(database, { ...p, by: MERGE_JOB_ACTOR });
      if (result.ok) counts.merged!++;
      else counts.refused!++;
      opts.progress?.(++done, pairs.length);
    }
    await campaignState.replaceOne(
      { _id: STATE_ID },
      { value: { until: startedAt }, updatedAt: new Date() },
      { upsert: true },
    );
  }
  return { counts, pairs };
}
