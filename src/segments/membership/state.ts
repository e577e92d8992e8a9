import type { CustomerSegmentsDoc, LifecycleState, PastStay, Stay } from '../../db/models/segment.js';
import { lifecycleTransition, type LifecycleTransition, type StageAssessment } from '../lifecycle.js';

export type { LifecycleState, PastStay, Stay };

/**
 * The membership diff for one customer: which segments they entered and left since the last run,
 * and their lifecycle stage with its history, as the `customer_segments` document to store.
 * Pure functions; the job reads and writes the documents.
 */

export interface MembershipChange {
  kind: 'entered' | 'exited';
  segmentId: string;
  customerId: string;
  partition: number;
  /** When the stay began: with the segment and customer it names the stay (and its events' ids). */
  enteredAt: Date;
  at: Date;
}

/** Past stays kept per customer: enough for a profile page; the events keep the full record. */
export const MAX_PAST_STAYS = 100;
/** Lifecycle transitions kept per customer. */
export const MAX_LIFECYCLE_HISTORY = 50;

export interface DiffInput {
  previous: CustomerSegmentsDoc | undefined;
  customerId: string;
  partition: number;
  /** Segments the customer matches now. */
  matched: ReadonlySet<string>;
  /** The customer's lifecycle stage now and why, or null when no lifecycle is computed. */
  lifecycle: StageAssessment | null;
  at: Date;
}

export interface DiffResult {
  doc: CustomerSegmentsDoc;
  changes: MembershipChange[];
  /** The lifecycle transition this run recorded, if any. */
  transition: LifecycleTransition | null;
  /** Whether the stored document must be rewritten. */
  changed: boolean;
}

/**
 * Current stays the customer no longer matches end now (including stays in segments that were
 * deleted or deactivated: nobody stays in a segment nobody evaluates); matched segments without
 * a current stay begin one now. A stay that continues keeps its original `enteredAt`.
 */
export function diffCustomer({ previous, customerId, partition, matched, lifecycle, at }: DiffInput): DiffResult {
  const changes: MembershipChange[] = [];
  const current: Stay[] = [];
  const ended: PastStay[] = [];
  const still = new Set<string>();
  for (const stay of previous?.current ?? []) {
    if (matched.has(stay.segmentId) && !still.has(stay.segmentId)) {
      current.push(stay);
      still.add(stay.segmentId);
    } else if (!still.has(stay.segmentId)) {
      ended.push({ ...stay, exitedAt: at });
      changes.push({ kind: 'exited', segmentId: stay.segmentId, customerId, partition, enteredAt: stay.enteredAt, at });
    }
  }
  for (const segmentId of [...matched].sort()) {
    if (still.has(segmentId)) continue;
    current.push({ segmentId, enteredAt: at });
    changes.push({ kind: 'entered', segmentId, customerId, partition, enteredAt: at, at });
  }
  const past =
    ended.length > 0 ? [...ended, ...(previous?.past ?? [])].slice(0, MAX_PAST_STAYS) : (previous?.past ?? []);

  let state = previous?.lifecycle ?? null;
  const transition = lifecycle ? lifecycleTransition(state?.stage, lifecycle, at) : null;
  if (transition)
    state = {
      stage: transition.to,
      since: at,
      cause: transition.cause,
      history: [transition, ...(state?.history ?? [])].slice(0, MAX_LIFECYCLE_HISTORY),
    };
  const changed = !previous || changes.length > 0 || transition !== null || previous.partition !== partition;
  return {
    doc: { _id: customerId, partition, current, past, lifecycle: state, updatedAt: changed ? at : previous.updatedAt },
    changes,
    transition,
    changed,
  };
}
