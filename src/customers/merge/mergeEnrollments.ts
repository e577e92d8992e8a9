import type { Database } from '../../db/database.js';
import type { EnrollmentDoc, EnrollmentProgress } from '../../db/models/flow.js';
import type { MergeDoc } from '../../db/models/merge.js';
import { insertIgnoringDuplicates } from '../../db/insertIgnoringDuplicates.js';
import { enrollmentIdOf } from '../../campaigns/dispatch/enrollmentDoc.js';

/** The fields of an enrolment's progress, present or not (an unset field is restored as unset). */
export function progressOf(e: EnrollmentDoc): EnrollmentProgress {
  return {
    status: e.status,
    stepIndex: e.stepIndex,
    nextStepAt: e.nextStepAt ?? null,
    deferredUntil: e.deferredUntil ?? null,
    ...(e.endedAt ? { endedAt: e.endedAt } : {}),
    ...(e.exitReason ? { exitReason: e.exitReason } : {}),
  };
}

/**
 * Moves the merged id's enrolments to the survivor, so the person goes on through each flow once.
 * Each becomes the survivor's under its own key (`flow|survivor|key`, inserted: the unique key is
 * the exactly-once claim); where the survivor already has that enrolment (both ids were welcomed),
 * the survivor's continues, taken to the further step of the two, and the merged id's ends
 * (`exited`, reason `merged`). Every changed document carries the merge id and what it was, for
 * the undo. Moving enrolments comes before the events: the merged id's trigger events, folded
 * into the survivor's timeline, then find the enrolment taken and start nothing again.
 *
 * Idempotent: an enrolment already ended by this merge is skipped, and a copy inserted before a
 * crash is recognised as this merge's own.
 */
export async function mergeEnrollments(
  database: Database,
  merge: MergeDoc,
  survivorPartition: number,
): Promise<{ moved: number; ended: number }> {
  const { enrollments } = database.collections;
  const counts = { moved: 0, ended: 0 };
  const own = await enrollments.find({ customerId: merge.merged }).toArray();
  for (const e of own) {
    if (e.mergeId === merge._id) continue;
    const copyId = enrollmentIdOf(e.flowId, merge.survivor, e.key);
    const { _id, mergeId: _m, mergedFrom: _f, beforeMerge: _b, ...rest } = e;
    const copy: EnrollmentDoc = {
      ...rest,
      _id: copyId,
      customerId: merge.survivor,
      partition: survivorPartition,
      mergeId: merge._id,
      mergedFrom: _id,
    };
    const taken = (await insertIgnoringDuplicates(enrollments, [copy])).size > 0;
    const existing = taken ? await enrollments.findOne({ _id: copyId }) : null;
    if (!existing || (existing.mergeId === merge._id && existing.mergedFrom === _id)) counts.moved++;
    else {
      counts.ended++;
      if (existing.status === 'active' && e.stepIndex > existing.stepIndex)
        await enrollments.updateOne(
          { _id: copyId },
          {
            $set: {
              stepIndex: e.stepIndex,
              nextStepAt: e.nextStepAt,
              mergeId: merge._id,
              beforeMerge: progressOf(existing),
            },
          },
        );
    }
    await enrollments.updateOne(
      { _id },
      {
        $set: {
          status: e.status === 'active' ? 'exited' : e.status,
          ...(e.status === 'active' ? { exitReason: 'merged', endedAt: merge.at } : {}),
          nextStepAt: null,
          mergeId: merge._id,
          beforeMerge: progressOf(e),
        },
      },
    );
  }
  return counts;
}
