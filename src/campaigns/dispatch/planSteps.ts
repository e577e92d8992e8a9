import type { Collection, Filter, WithId } from 'mongodb';
import type { Database } from '../../db/database.js';
import { engagementLevel } from '../content/personalisation.js';
import type { EngagementLevel } from '../content/types.js';
import { assignVariant, experimentId } from '../experiments/assign.js';
import type { Flow, FlowStep, Variant } from '../flows/flowSchema.js';
import { checkBudget, type FrequencyBudget } from './budget.js';
import { stepDueAt } from './enrollmentDoc.js';
import type { CustomerDoc } from '../../db/models/customer.js';
import type { EnrollmentDoc } from '../../db/models/flow.js';
import { DocumentWrites } from './documentWrites.js';
import { sendTimeFor, type QuietHours } from './schedule.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A step that is due, fits the budget and goes out in this run. */
export interface PlannedSend {
  enrollment: EnrollmentDoc;
  flow: Flow;
  step: FlowStep;
  variant: Variant | undefined;
  customer: CustomerDoc;
  engagement: EngagementLevel;
  /** The scheduled send time (≤ the run's clock). */
  sendAt: number;
}

export interface PlanOptions {
  asOf: Date;
  budget: FrequencyBudget;
  quiet: QuietHours;
  /** Most steps planned in one run; the rest stay due for the next. */
  limit: number;
}

export interface Plan {
  sends: PlannedSend[];
  counts: {
    due: number;
    rescheduled: number;
    deferred: number;
    completed: number;
    missingFlow: number;
    missingCustomer: number;
    /** Steps held because the customer is in a flow this one yields to (win-back behind the save offer). */
    yielded: number;
  };
}

async function byId<T extends { _id: string }>(
  collection: Collection<T>,
  ids: string[],
  projection: Record<string, 1>,
): Promise<Map<string, WithId<T>>> {
  const out = new Map<string, WithId<T>>();
  for (let i = 0; i < ids.length; i += 1000) {
    // A filter on `_id` of a generic document type is one TypeScript cannot check.
    const filter = { _id: { $in: ids.slice(i, i + 1000) } } as Filter<T>;
    for (const d of await collection.find(filter, { projection }).toArray()) out.set(d._id, d);
  }
  return out;
}

/**
 * Marketing send times of the customers in the budget window: messages sent, and claims still in
 * flight (another worker is sending them right now; they must count).
 */
async function recentSends(database: Database, customerIds: string[], since: Date): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  const add = (customerId: string, at: Date) => out.set(customerId, [...(out.get(customerId) ?? []), at.getTime()]);
  for (let i = 0; i < customerIds.length; i += 1000) {
    const ids = customerIds.slice(i, i + 1000);
    const cursor = database.collections.messages.find(
      { customerId: { $in: ids }, kind: 'marketing', status: 'sent', scheduledFor: { $gte: since } },
      { projection: { customerId: 1, scheduledFor: 1 } },
    );
    for await (const m of cursor) add(m.customerId as string, m.scheduledFor as Date);
    for await (const c of database.collections.messageClaims.find(
      { 'message.customerId': { $in: ids }, 'message.kind': 'marketing' },
      { projection: { message: 1 } },
    )) {
      const m = c.message as { customerId: string; scheduledFor: Date };
      add(m.customerId, m.scheduledFor);
    }
  }
  return out;
}

/**
 * The due enrolments that must wait for another flow (`yieldTo`), by `customer|flow`, with when
 * the flow they wait for is due to end (its last step's due time; it is re-checked then). One
 * read of the active enrolments of those customers in those flows.
 */
async function activeBlockers(
  database: Database,
  due: readonly EnrollmentDoc[],
  flowsById: ReadonlyMap<string, Flow>,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const waiting = due.filter((e) => flowsById.get(e.flowId)?.yieldTo.length);
  if (!waiting.length) return out;
  const firstFlows = [...new Set(waiting.flatMap((e) => flowsById.get(e.flowId)!.yieldTo))];
  const ends = new Map<string, number>();
  const customerIds = [...new Set(waiting.map((e) => e.customerId))];
  for (let i = 0; i < customerIds.length; i += 1000) {
    for await (const b of database.collections.enrollments.find({
      customerId: { $in: customerIds.slice(i, i + 1000) },
      flowId: { $in: firstFlows },
      status: 'active',
    })) {
      const flow = flowsById.get(b.flowId);
      if (!flow?.active) continue;
      const end = stepDueAt(b, flow.steps.at(-1)!);
      const key = `${b.customerId}|${b.flowId}`;
      ends.set(key, Math.max(end, ends.get(key) ?? 0));
    }
  }
  for (const e of waiting) {
    const until = flowsById
      .get(e.flowId)!
      .yieldTo.map((f) => ends.get(`${e.customerId}|${f}`))
      .filter((t): t is number => t !== undefined);
    if (until.length) out.set(`${e.customerId}|${e.flowId}`, Math.max(...until));
  }
  return out;
}

/**
 * Decides what goes out now. Each due step is scheduled in the customer's local time (best
 * hour, quiet hours; see schedule.ts); steps not yet at their send time get it as their new
 * `nextStepAt`. Those that are at it compete for the frequency budget in priority order —
 * transactional first (they never count), then by flow priority, then oldest first — and the
 * ones that do not fit are deferred to when the budget frees up: deferred, never dropped.
 */
export async function planDueSteps(
  database: Database,
  flowsById: ReadonlyMap<string, Flow>,
  opts: PlanOptions,
): Promise<Plan> {
  const Enrollment = database.collections.enrollments;
  const now = opts.asOf.getTime();
  const counts: Plan['counts'] = {
    due: 0,
    rescheduled: 0,
    deferred: 0,
    completed: 0,
    missingFlow: 0,
    missingCustomer: 0,
    yielded: 0,
  };
  const due = await Enrollment.find({ status: 'active', nextStepAt: { $lte: opts.asOf } })
    .sort({ nextStepAt: 1 })
    .limit(opts.limit)
    .toArray();
  counts.due = due.length;
  if (!due.length) return { sends: [], counts };

  const customerIds = [...new Set(due.map((e) => e.customerId))];
  const longestWindow = Math.max(...Object.values(opts.budget).map((r) => r.days));
  const [customers, scores, features, sends, experiments, blockers] = await Promise.all([
    byId(database.collections.customers, customerIds, { email: 1, timezone: 1, consent: 1 }),
    byId(database.collections.scores, customerIds, { bestSendHour: 1 }),
    byId(database.collections.features, customerIds, { 'values.emailOpenRate90d': 1, 'values.emailClickRate90d': 1 }),
    recentSends(database, customerIds, new Date(now - longestWindow * DAY)),
    database.collections.experiments.find({}, { projection: { 'results.winner': 1 } }).toArray(),
    activeBlockers(database, due, flowsById),
  ]);
  const winners = new Map(experiments.map((x) => [x._id, x.results?.winner]));

  const updates = new DocumentWrites<EnrollmentDoc>();
  const set = (doc: EnrollmentDoc, fields: Partial<EnrollmentDoc>, inc?: { deferrals: number }) =>
    updates.add(doc, fields, inc);

  const ready: PlannedSend[] = [];
  for (const enrollment of due) {
    const flow = flowsById.get(enrollment.flowId);
    if (!flow?.active) {
      counts.missingFlow++;
      continue;
    }
    const blockedUntil = blockers.get(`${enrollment.customerId}|${enrollment.flowId}`);
    if (blockedUntil !== undefined) {
      set(enrollment, { nextStepAt: new Date(Math.max(blockedUntil, now + HOUR)) });
      counts.yielded++;
      continue;
    }
    const step = flow.steps[enrollment.stepIndex];
    if (!step) {
      set(enrollment, { status: 'completed', endedAt: opts.asOf, nextStepAt: null });
      counts.completed++;
      continue;
    }
    const customer = customers.get(enrollment.customerId);
    if (!customer) {
      set(enrollment, { status: 'exited', exitReason: 'unknown_customer', endedAt: opts.asOf, nextStepAt: null });
      counts.missingCustomer++;
      continue;
    }
    const variant = assignVariant(
      flow.id,
      step.id,
      step.variants,
      customer._id,
      winners.get(experimentId(flow.id, step.id)),
    );
    const dueAt = Math.max(stepDueAt(enrollment, step), enrollment.deferredUntil?.getTime() ?? 0);
    const sendAt = sendTimeFor({
      due: dueAt,
      timezone: customer.timezone ?? 'UTC',
      bestHour: scores.get(customer._id)?.bestSendHour,
      immediate: variant?.sendTime ? variant.sendTime === 'immediate' : step.urgent,
      transactional: step.transactional,
      quiet: opts.quiet,
    });
    if (sendAt > now) {
      set(enrollment, { nextStepAt: new Date(sendAt) });
      counts.rescheduled++;
      continue;
    }
    ready.push({
      enrollment,
      flow,
      step,
      variant,
      customer,
      engagement: engagementLevel(features.get(customer._id)?.values),
      sendAt,
    });
  }

  ready.sort(
    (a, b) =>
      Number(b.step.transactional) - Number(a.step.transactional) ||
      b.flow.priority - a.flow.priority ||
      a.sendAt - b.sendAt,
  );
  const planned: PlannedSend[] = [];
  for (const p of ready) {
    if (!p.step.transactional) {
      const history = sends.get(p.customer._id) ?? [];
      const decision = checkBudget(opts.budget[p.engagement], history, now);
      if (!decision.ok) {
        // The deferral is rescheduled like any due step: the best hour after the budget frees up.
        const retry = sendTimeFor({
          due: decision.retryAt,
          timezone: p.customer.timezone ?? 'UTC',
          bestHour: scores.get(p.customer._id)?.bestSendHour,
          immediate: false,
          transactional: false,
          quiet: opts.quiet,
        });
        set(p.enrollment, { deferredUntil: new Date(decision.retryAt), nextStepAt: new Date(retry) }, { deferrals: 1 });
        counts.deferred++;
        continue;
      }
      sends.set(p.customer._id, [...history, now]);
    }
    planned.push(p);
  }
  await updates.apply(database, Enrollment);
  return { sends: planned, counts };
}
