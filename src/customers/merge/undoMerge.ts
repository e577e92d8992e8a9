import { config } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { EnrollmentDoc, EnrollmentProgress } from '../../db/models/flow.js';
import type { MergeDoc } from '../../db/models/merge.js';
import { partitionOf } from '../../db/partition.js';
import type { StoredEvent } from '../../ingest/storeEvents.js';
import { eraseTimeline } from '../../ingest/timeline/foldInbox.js';
import { foldNow } from '../../ingest/timeline/folder.js';
import { stageEvents } from '../../ingest/timeline/stageEvents.js';
import { progressOf } from './mergeEnrollments.js';

const DAY = 86_400_000;

export type UndoError =
  | { type: 'not_found'; message: string }
  | { type: 'not_undoable'; message: string }
  | { type: 'expired'; message: string }
  | { type: 'later_merge'; message: string; mergeId: string };

export type UndoResult = { ok: true; value: MergeDoc } | { ok: false; error: UndoError };

/**
 * Undoes a merge within MERGE_UNDO_DAYS, giving the two ids their separate histories back.
 * Refused: a merge unknown (or erased with the person), not done, past the window, or whose
 * survivor has since been merged on (undo that one first: its copies hold this one's events).
 *
 * Steps, each idempotent and keyed by the merge id, under status `undoing` (an undo stopped by a
 * crash is finished by `merge-duplicates`, or by asking again):
 * 1. the alias goes: the merged id's new events are its own again;
 * 2. its messages go back, and its enrolments take back the progress their copies made (or what
 *    they had, where the survivor's own enrolment continued), copies deleted;
 * 3. the events this merge wrote (copies and the consent statement) are deleted, and both
 *    timelines are folded afresh from the events collection: one read of it for both ids (a
 *    scan on FerretDB, acceptable for a rare admin action). Events the merged id sent after the
 *    merge were filed under the survivor and stay there.
 * Scores and segment memberships of the merged id come back with the next scoring and
 * segment runs, which see its timeline change.
 */
export async function undoMerge(
  database: Database,
  mergeId: string,
  by: string,
  now = new Date(),
): Promise<UndoResult> {
  const { merges, mergeAliases } = database.collections;
  const merge = await merges.findOne({ _id: mergeId });
  if (!merge) return fail('not_found', `no merge ${mergeId} (never made, or erased with the person)`);
  if (merge.status !== 'done' && merge.status !== 'undoing')
    return fail('not_undoable', `merge ${mergeId} is ${merge.status}; only a done merge can be undone`);
  const days = config().MERGE_UNDO_DAYS;
  if (merge.status === 'done' && now.getTime() - merge.at.getTime() > days * DAY)
    return fail('expired', `merge ${mergeId} is older than the ${days}-day undo window (MERGE_UNDO_DAYS): it is final`);
  const onward = await mergeAliases.findOne({ _id: merge.survivor });
  if (onward)
    return {
      ok: false,
      error: {
        type: 'later_merge',
        message: `${merge.survivor} was merged into ${onward.survivor} afterwards: undo merge ${onward.mergeId} first`,
        mergeId: onward.mergeId,
      },
    };
  await merges.updateOne({ _id: mergeId }, { $set: { status: 'undoing', undoneBy: by } });
  await mergeAliases.deleteOne({ _id: merge.merged, mergeId });
  await database.collections.messages.updateMany(
    { mergeId },
    { $set: { customerId: merge.merged }, $unset: { mergeId: '', mergedFrom: '' } },
  );
  await restoreEnrollments(database, mergeId);
  await restoreTimelines(database, merge);
  const undoneAt = new Date();
  await merges.updateOne({ _id: mergeId }, { $set: { status: 'undone', undoneAt } });
  return { ok: true, value: { ...merge, status: 'undone', undoneAt, undoneBy: by } };
}

async function restoreEnrollments(database: Database, mergeId: string): Promise<void> {
  const { enrollments } = database.collections;
  const changed = await enrollments.find({ mergeId }).toArray();
  // Copies first: their progress goes back to the enrolment they continued.
  for (const copy of changed.filter((e) => e.mergedFrom)) {
    await setProgress(database, copy.mergedFrom!, progressOf(copy));
    await enrollments.deleteOne({ _id: copy._id });
  }
  for (const e of changed.filter((x) => !x.mergedFrom && x.beforeMerge)) {
    const copied = changed.some((c) => c.mergedFrom === e._id);
    if (!copied) await setProgress(database, e._id, e.beforeMerge!);
  }
}

/** Puts an enrolment at `progress` and clears what the merge noted on it. */
async function setProgress(database: Database, id: string, progress: EnrollmentProgress): Promise<void> {
  const unset: Partial<Record<keyof EnrollmentDoc, ''>> = { mergeId: '', beforeMerge: '' };
  if (progress.endedAt === undefined) unset.endedAt = '';
  if (progress.exitReason === undefined) unset.exitReason = '';
  await database.collections.enrollments.updateOne({ _id: id }, { $set: progress, $unset: unset });
}

async function restoreTimelines(database: Database, merge: MergeDoc): Promise<void> {
  const { events } = database.collections;
  const kept = new Map<string, StoredEvent[]>([
    [merge.survivor, []],
    [merge.merged, []],
  ]);
  const written: unknown[] = [];
  for await (const e of events.find({ customerId: { $in: [merge.survivor, merge.merged] } }, { batchSize: 5000 })) {
    if ((e as { mergeId?: string }).mergeId === merge._id) written.push(e._id);
    else kept.get(e.customerId!)!.push(e);
  }
  for (let k = 0; k < written.length; k += 1000)
    await events.deleteMany({ _id: { $in: written.slice(k, k + 1000) as never[] } });
  const partitions = config().PARTITIONS;
  for (const [customerId, list] of kept) {
    await eraseTimeline(database, customerId, partitionOf(customerId, partitions));
    await stageEvents(database, list);
  }
  await foldNow(database);
}

const fail = (type: Exclude<UndoError['type'], 'later_merge'>, message: string): UndoResult => ({
  ok: false,
  error: { type, message },
});
