import type { Database } from '../../db/database.js';
import type { ExperimentDoc } from '../../db/models/experiment.js';
import { readTimelines } from '../../ingest/timeline/readTimelines.js';
import type { Flow } from '../flows/flowSchema.js';
import { experimentId } from './assign.js';
import { decideWinner, type WinnerDecision } from './significance.js';

const DAY = 86_400_000;

export interface VariantStats {
  name: string;
  recipients: number;
  opens: number;
  clicks: number;
  conversions: number;
  revenue: number;
}

export interface GroupStats {
  customers: number;
  converters: number;
  revenue: number;
  revenuePerCustomer: number;
}

export interface EvaluateOptions {
  asOf: Date;
  /** Confidence at which a winner is chosen automatically (e.g. 0.95). */
  confidence: number;
  minRecipients: number;
  /** An order within this many days after a message (or an enrolment, for holdouts) counts as a conversion. */
  attributionDays: number;
  /** Enrolments and messages this recent are evaluated. */
  windowDays: number;
}

const rate = (n: number, d: number) => (d ? n / d : 0);

/**
 * Per-variant opens (people, not privacy proxies), clicks and conversions of every A/B-tested
 * step, the automatic winner once the leader is significant, and for every flow the revenue per
 * customer of those enrolled against its holdout group (who got nothing). One read of the
 * messages, the enrolments and the timelines of their customers; results are stored in `experiments`.
 */
export async function evaluateExperiments(
  database: Database,
  flows: readonly Flow[],
  opts: EvaluateOptions,
): Promise<{ experiments: number; winners: number }> {
  const since = new Date(opts.asOf.getTime() - opts.windowDays * DAY);
  const { messages: messageStore, enrollments: enrollmentStore, experiments } = database.collections;
  const messages = await messageStore
    .find(
      { status: 'sent', sentAt: { $gte: since }, experimentId: { $exists: true } },
      { projection: { experimentId: 1, variant: 1, customerId: 1, sentAt: 1 } },
    )
    .toArray();
  const enrollments = await enrollmentStore
    .find({ enrolledAt: { $gte: since } }, { projection: { flowId: 1, customerId: 1, status: 1, enrolledAt: 1 } })
    .toArray();

  const opened = new Set<string>();
  const clicked = new Set<string>();
  const orders = new Map<string, { at: number; revenue: number }[]>();
  // Opens and clicks are stored on the recipient's timeline, orders on the customer's: only the
  // timelines of those messaged or enrolled are read, by `_id`.
  const customerIds = [...new Set([...messages, ...enrollments].map((x) => x.customerId))];
  const types = ['email_opened', 'email_clicked', 'order_completed'];
  for await (const { customerId, events } of readTimelines(database, { customerIds }, { types, from: since })) {
    for (const e of events) {
      if (e.type === 'order_completed') {
        orders.set(customerId, [
          ...(orders.get(customerId) ?? []),
          { at: e.ts.getTime(), revenue: Number(e.props.revenue) || 0 },
        ]);
      } else if (typeof e.props.messageId === 'string') {
        if (e.type === 'email_clicked') clicked.add(e.props.messageId);
        if (e.type === 'email_clicked' || e.props.machineOpen !== true) opened.add(e.props.messageId);
      }
    }
  }
  const orderAfter = (customerId: string, at: number) =>
    (orders.get(customerId) ?? []).filter((o) => o.at >= at && o.at < at + opts.attributionDays * DAY);

  const stored = new Map(
    (await experiments.find({}, { projection: { results: 1 } }).toArray()).map((x) => [x._id, x.results]),
  );
  const docs: ExperimentDoc[] = [];
  let winners = 0;
  for (const flow of flows) {
    for (const step of flow.steps.filter((s) => s.variants.length >= 2)) {
      const id = experimentId(flow.id, step.id);
      const stats = new Map<string, VariantStats>(
        step.variants.map((v) => [
          v.name,
          { name: v.name, recipients: 0, opens: 0, clicks: 0, conversions: 0, revenue: 0 },
        ]),
      );
      for (const m of messages.filter((x) => x.experimentId === id)) {
        const s = m.variant === undefined ? undefined : stats.get(m.variant);
        if (!s) continue;
        const converted = orderAfter(m.customerId, (m.sentAt as Date).getTime());
        s.recipients++;
        s.opens += Number(opened.has(String(m._id)));
        s.clicks += Number(clicked.has(String(m._id)));
        s.conversions += Number(converted.length > 0);
        s.revenue += converted.reduce((sum, o) => sum + o.revenue, 0);
      }
      const variants = [...stats.values()];
      const successes = (v: VariantStats) =>
        step.goal === 'open' ? v.opens : step.goal === 'click' ? v.clicks : v.conversions;
      const decision: WinnerDecision = decideWinner(
        variants.map((v) => ({ name: v.name, successes: successes(v), trials: v.recipients })),
        { confidence: opts.confidence, minRecipients: opts.minRecipients },
      );
      // A chosen winner stays chosen: everyone since got it, so later counts no longer compare.
      const winner = stored.get(id)?.winner ?? decision.winner ?? undefined;
      if (winner) winners++;
      docs.push({
        _id: id,
        name: `${flow.name}: ${step.id}`,
        flowId: flow.id,
        stepId: step.id,
        variants: step.variants.map((v) => ({ name: v.name, weight: v.weight })),
        holdoutShare: 0,
        status: winner ? 'stopped' : 'running',
        results: {
          goal: step.goal,
          confidence: opts.confidence,
          variants: variants.map((v) => ({
            ...v,
            openRate: rate(v.opens, v.recipients),
            clickRate: rate(v.clicks, v.recipients),
            conversionRate: rate(v.conversions, v.recipients),
          })),
          decision,
          ...(winner ? { winner } : {}),
          evaluatedAt: opts.asOf,
        },
      });
    }

    // Holdout: revenue per customer after enrolment, enrolled (mailed) against held out.
    const group = (held: boolean): GroupStats => {
      const members = enrollments.filter((e) => e.flowId === flow.id && (e.status === 'holdout') === held);
      let converters = 0;
      let revenue = 0;
      for (const e of members) {
        const converted = orderAfter(e.customerId, e.enrolledAt.getTime());
        converters += Number(converted.length > 0);
        revenue += converted.reduce((sum, o) => sum + o.revenue, 0);
      }
      return { customers: members.length, converters, revenue, revenuePerCustomer: rate(revenue, members.length) };
    };
    const treated = group(false);
    const holdout = group(true);
    docs.push({
      _id: `${flow.id}:holdout`,
      name: `${flow.name}: holdout`,
      flowId: flow.id,
      holdoutShare: flow.holdoutShare,
      status: 'running',
      results: {
        treated,
        holdout,
        revenueLiftPerCustomer: treated.revenuePerCustomer - holdout.revenuePerCustomer,
        attributionDays: opts.attributionDays,
        evaluatedAt: opts.asOf,
      },
    });
  }
  await database.bulkWrite(
    experiments,
    docs.map((d) => ({
      replaceOne: {
        filter: { _id: d._id },
        replacement: { ...d, updatedAt: opts.asOf },
        upsert: true,
      },
    })),
  );
  return { experiments: docs.length, winners };
}
