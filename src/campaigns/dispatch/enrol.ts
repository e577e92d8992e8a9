import { config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { partitionOf } from '../../db/partition.js';
import { insertIgnoringDuplicates } from '../../db/insertIgnoringDuplicates.js';
import { inHoldout } from '../experiments/assign.js';
import { exitReason, type ExitSignal } from '../flows/conditions.js';
import type { Flow } from '../flows/flowSchema.js';
import { mergeContext, type TriggerHit } from '../flows/triggers.js';
import { enrollmentIdOf, firstStepDue } from './enrollmentDoc.js';
import type { EnrollmentDoc } from '../../db/models/flow.js';
import { DocumentWrites } from './documentWrites.js';

export interface EnrolCounts {
  enrolled: number;
  holdout: number;
  /** Repeated triggers that moved a not-yet-sent first step later (a cart changed again). */
  restarted: number;
  tooOld: number;
}

/** The ordered products' shortest replenishment period, for post-purchase replenishment steps. */
async function replenishDaysOf(database: Database, productIds: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!productIds.length) return out;
  for (const p of await database.collections.products
    .find({ _id: { $in: productIds }, replenishDays: { $gt: 0 } }, { projection: { replenishDays: 1 } })
    .toArray()) {
    out.set(String(p._id), p.replenishDays as number);
  }
  return out;
}

/**
 * Enrols customers for their trigger hits. The insert under the enrolment's unique key is the
 * exactly-once step: a hit seen twice (a re-read, a second worker) finds the key taken. Held-out
 * customers (by a hash of flow and customer, so the same people every time) are enrolled with
 * status `holdout` and never mailed: they are the comparison group of the flow's revenue.
 */
export async function enrol(
  database: Database,
  flowsById: ReadonlyMap<string, Flow>,
  hits: readonly TriggerHit[],
  asOf: Date,
): Promise<EnrolCounts> {
  const counts: EnrolCounts = { enrolled: 0, holdout: 0, restarted: 0, tooOld: 0 };
  const grouped = new Map<
    string,
    { flow: Flow; first: TriggerHit; last: TriggerHit; context: EnrollmentDoc['context'] }
  >();
  for (const hit of hits) {
    const flow = flowsById.get(hit.flowId);
    if (!flow?.active) continue;
    if (hit.at.getTime() < asOf.getTime() - flow.maxTriggerAgeHours * 3_600_000) {
      counts.tooOld++;
      continue;
    }
    const id = enrollmentIdOf(hit.flowId, hit.customerId, hit.key);
    const seen = grouped.get(id);
    if (seen) {
      seen.last = hit;
      seen.context = mergeContext(seen.context, hit.context);
    } else grouped.set(id, { flow, first: hit, last: hit, context: { ...hit.context } });
  }
  if (!grouped.size) return counts;

  const needReplenish = [...grouped.values()].filter((g) => g.flow.steps.some((s) => s.delayFromReplenishment));
  const replenish = await replenishDaysOf(database, [
    ...new Set(needReplenish.flatMap((g) => g.context.productIds ?? [])),
  ]);
  for (const g of needReplenish) {
    const days = (g.context.productIds ?? []).map((p) => replenish.get(p)).filter((d): d is number => d !== undefined);
    if (days.length) g.context.replenishDays = Math.min(...days);
  }

  const partitions = config().PARTITIONS;
  const docs: EnrollmentDoc[] = [...grouped.entries()].map(([id, g]) => {
    const held = inHoldout(g.flow.id, g.first.customerId, g.flow.holdoutShare);
    const anchorAt = g.flow.trigger.type === 'event' && g.flow.trigger.restartOnRepeat ? g.last.at : g.first.at;
    return {
      _id: id,
      flowId: g.flow.id,
      customerId: g.first.customerId,
      partition: partitionOf(g.first.customerId, partitions),
      key: g.first.key,
      status: held ? 'holdout' : 'active',
      stepIndex: 0,
      nextStepAt: held ? null : firstStepDue(g.flow, anchorAt, g.context),
      enrolledAt: asOf,
      triggeredAt: g.first.at,
      anchorAt,
      context: g.context,
      deferrals: 0,
      sendAttempts: 0,
    };
  });
  const duplicates = await insertIgnoringDuplicates(database.collections.enrollments, docs);
  docs.forEach((d, i) => !duplicates.has(i) && (d.status === 'holdout' ? counts.holdout++ : counts.enrolled++));

  // Known enrolments: a repeated trigger may move the first step later and adds what it tells
  // (another checkout of the same cart, so an order through it counts as recovery).
  const updates = new DocumentWrites<EnrollmentDoc>();
  const Enrollment = database.collections.enrollments;
  const known = docs.filter((_, i) => duplicates.has(i));
  const stored = await Promise.all(known.map((d) => Enrollment.findOne({ _id: d._id })));
  known.forEach((d, i) => {
    const current = stored[i];
    if (!current || current.status !== 'active') return;
    const context = mergeContext(current.context, d.context);
    const set: Partial<EnrollmentDoc> = {};
    if (JSON.stringify(context) !== JSON.stringify(current.context)) set.context = context;
    const flow = grouped.get(d._id)!.flow;
    if (
      flow.trigger.type === 'event' &&
      flow.trigger.restartOnRepeat &&
      current.stepIndex === 0 &&
      d.anchorAt > current.anchorAt
    ) {
      set.anchorAt = d.anchorAt;
      set.nextStepAt = firstStepDue(flow, d.anchorAt, context);
      counts.restarted++;
    }
    if (Object.keys(set).length) updates.add(current, set);
  });
  await updates.apply(database, Enrollment);
  return counts;
}

/**
 * Ends active enrolments whose exit condition happened after their trigger: an order (or the
 * recovery of the very cart), an unsubscribe. Run after enrolling, so an order that arrives in
 * the same batch as its cart never lets the cart series start.
 */
export async function applyExits(
  database: Database,
  flowsById: ReadonlyMap<string, Flow>,
  signals: readonly ExitSignal[],
  asOf: Date,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  if (!signals.length) return counts;
  const byCustomer = new Map<string, ExitSignal[]>();
  for (const s of signals) byCustomer.set(s.customerId, [...(byCustomer.get(s.customerId) ?? []), s]);
  const Enrollment = database.collections.enrollments;
  const ids = [...byCustomer.keys()];
  const updates = new DocumentWrites<EnrollmentDoc>();
  for (let i = 0; i < ids.length; i += 1000) {
    for await (const e of Enrollment.find({ customerId: { $in: ids.slice(i, i + 1000) }, status: 'active' })) {
      const flow = flowsById.get(e.flowId);
      const reason = flow && exitReason(flow, e, byCustomer.get(e.customerId) ?? []);
      if (!reason) continue;
      counts[reason] = (counts[reason] ?? 0) + 1;
      updates.add(e, { status: 'exited', exitReason: reason, endedAt: asOf, nextStepAt: null });
    }
  }
  await updates.apply(database, Enrollment);
  return counts;
}
