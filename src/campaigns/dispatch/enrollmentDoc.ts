import { createHash } from 'node:crypto';
import { durationMs, type Flow, type FlowStep } from '../flows/flowSchema.js';
import type { EnrollmentDoc } from '../../db/models/flow.js';

const DAY = 86_400_000;

/**
 * The enrolment's `_id` is its unique key spelled out: inserting it is the exactly-once claim,
 * and reading it back by `_id` is the one lookup FerretDB does without a scan.
 */
export const enrollmentIdOf = (flowId: string, customerId: string, key: string): string =>
  `${flowId}|${customerId}|${key}`;

/**
 * A message's id is derived from (enrolment, step), so a retry of the same step always carries
 * the same id, and so the same SMTP Message-ID: a duplicate, were one ever sent, would be
 * recognisable at the receiver and in the outbox.
 */
export function messageIdOf(enrollmentId: string, stepId: string): string {
  return `m${createHash('sha256').update(enrollmentId).update('\0').update(stepId).digest('hex').slice(0, 24)}`;
}

/**
 * When a step falls due: its delay (or the ordered products' replenishment period) after the
 * anchor, or after the context's `startAt` when the trigger names one (a predicted order less
 * `daysBefore`). Exits still count from the anchor, so an order placed before that start ends it.
 */
export function stepDueAt(enrollment: Pick<EnrollmentDoc, 'anchorAt' | 'context'>, step: FlowStep): number {
  const replenish = step.delayFromReplenishment ? enrollment.context.replenishDays : undefined;
  const start = enrollment.context.startAt ? Date.parse(enrollment.context.startAt) : NaN;
  const base = Number.isFinite(start) ? start : enrollment.anchorAt.getTime();
  return base + (replenish ? replenish * DAY : durationMs(step.delay));
}

export function firstStepDue(flow: Flow, anchorAt: Date, context: EnrollmentDoc['context']): Date {
  return new Date(stepDueAt({ anchorAt, context }, flow.steps[0]!));
}
