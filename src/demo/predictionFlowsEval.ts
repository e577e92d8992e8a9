import { builtInFlows } from '../campaigns/flows/builtInFlows.js';
import { flowSchema, type PredictionTrigger } from '../campaigns/flows/flowSchema.js';
import { predictionKey, predictionStart } from '../campaigns/flows/predictionTriggers.js';
import type { ScoreDoc } from '../db/models/score.js';
import { buildFeatures } from '../features/buildFeatures.js';
import { DAY } from '../features/read.js';
import { probabilityNoPurchase } from '../ml/btyd/bgnbd.js';
import { btydSummary, btydValues, fitBtydParams, type BtydParams } from '../ml/btyd/btydInputs.js';
import { assignLtvTiers, lastOrderAtOf, predictionEvents, type PreviousScore } from '../ml/scoring/predictionEvents.js';
import { expectedNextOrderOf } from '../ml/scoring/scoreCustomers.js';
import { createShopContext, FIXED_SHOP_END, simulateCustomer } from './syntheticShop.js';

/**
 * How well the prediction triggers pick their moment and their customers on the synthetic shop,
 * whose truth holds each customer's real next order after the end of history E.
 *
 * Replenishment is measured as the system runs it, on buyers whose last order was in the 60 days
 * before E, without the churn-risk entry rule: the next-order event is written by the first
 * daily scoring after the customer's last order (features as of the next UTC midnight, BG/NBD
 * fitted 90 days before E as a trained model's parameters are), and the trigger's own code turns
 * it into the mail's start. The churn save offer and the VIP welcome compare two scorings (E − 7
 * days and E; E − 30 days and E) through the scoring run's own event code, with BG/NBD's
 * P(no order in 90 days) as the churn risk and BG/NBD + Gamma-Gamma's expected 365-day spend as
 * the predicted LTV (the trained networks take these as inputs; they are not trained here).
 */

export interface TimingFigures {
  /** Customers mailed (recent buyers with a date from the rule). */
  mailed: number;
  /** Share of mails sent before the customer's true next order (no next order: a miss). */
  before: number;
  /** Share sent in the 14 days before the true next order: the reminder comes when it is needed. */
  within14d: number;
  /** Median days from the mail to the true next order, over the mails that came before it. */
  medianLeadDays: number;
}

export interface PredictionFlowsEval {
  customers: number;
  /** Buyers whose last order was in the 60 days before E: the population both rules mail. */
  recentBuyers: number;
  /** The built-in flow's trigger first, then other settings of it, then the naive rule. */
  replenishment: { rule: string; figures: TimingFigures }[];
  /**
   * Churners among those who crossed 0.5 between the scorings (the save offer's recipients), among
   * all at or above 0.5 at the second (the old level rule), among those below it, and among all buyers.
   */
  saveOffer: { crossers: number; precision: number; levelPrecision: number; belowRate: number; baseRate: number };
  vipWelcome: { risers: number; precision: number; baseRate: number };
}

const WINDOW_DAYS = 60;

type Pair = { mailAt: number; nextOrderAt: number | null };

function timing(pairs: readonly Pair[]): TimingFigures {
  const before = pairs.filter((p) => p.nextOrderAt !== null && p.mailAt < p.nextOrderAt);
  const leads = before.map((p) => (p.nextOrderAt! - p.mailAt) / DAY).sort((a, b) => a - b);
  const share = (n: number) => (pairs.length ? n / pairs.length : 0);
  return {
    mailed: pairs.length,
    before: share(before.length),
    within14d: share(before.filter((p) => p.nextOrderAt! - p.mailAt <= 14 * DAY).length),
    medianLeadDays: leads.length ? leads[Math.floor(leads.length / 2)]! : NaN,
  };
}

function scoreDoc(id: string, asOf: Date, values: Record<string, unknown>, btyd: BtydParams): ScoreDoc {
  const v = btydValues(btyd, btydSummary(values));
  const s = btydSummary(values);
  return {
    _id: id,
    partition: 0,
    cohort: 'buyer',
    churnRisk: probabilityNoPurchase(btyd.bgnbd, 90, s.x, s.t_x, s.T),
    predictedLtv: v.btydExpectedPurchases * v.btydExpectedSpend,
    expectedNextOrderAt: expectedNextOrderOf(btyd, values, asOf),
    lastOrderAt: lastOrderAtOf(values, asOf),
    drivers: {},
    modelVersions: {},
    featuresAsOf: asOf,
    asOf,
    scoredAt: asOf,
  };
}

const builtInTrigger = (id: string) => builtInFlows.find((f) => f.id === id)!.trigger as PredictionTrigger;

/** A trigger as the flow schema parses it (defaults filled in). */
const parsedTrigger = (trigger: unknown) =>
  flowSchema.parse({
    id: 'eval',
    name: 'eval',
    trigger,
    steps: [{ id: 'a', delay: '0m', template: 'replenish_predicted' }],
  }).trigger as PredictionTrigger;

export async function evaluatePredictionFlows(opts: {
  customers: number;
  seed?: number;
}): Promise<PredictionFlowsEval> {
  const ctx = createShopContext({ seed: opts.seed ?? 7, days: 365, end: FIXED_SHOP_END, partitions: 1 });
  const E = ctx.endMs;
  const people = Array.from({ length: opts.customers }, (_, i) => simulateCustomer(ctx, i));
  const featuresAt = (p: (typeof people)[number], asOf: number) =>
    buildFeatures(p.events, { asOf, timezone: p.customer.timezone ?? 'UTC' }) as Record<string, unknown>;

  const fit = await fitBtydParams(
    people.map((p) => btydSummary(featuresAt(p, E - 90 * DAY))),
    90,
  );
  if (!fit.ok) throw new Error(`BG/NBD did not fit: ${fit.error.message}`);
  const btyd = fit.value;

  // Replenishment: one event per last order, at the first scoring after it.
  const rules: { rule: string; trigger: PredictionTrigger; pairs: Pair[] }[] = [
    { rule: 'built-in: model, 14 days before', trigger: builtInTrigger('replenishment'), pairs: [] },
    ...[3, 7].map((daysBefore) => ({
      rule: `model, ${daysBefore} days before`,
      trigger: parsedTrigger({ type: 'predicted_order', daysBefore }),
      pairs: [] as Pair[],
    })),
    {
      rule: 'interval, 14 days before',
      trigger: parsedTrigger({ type: 'predicted_order', daysBefore: 14, basis: 'interval' }),
      pairs: [],
    },
  ];
  const naivePairs: Pair[] = [];
  let recentBuyers = 0;
  for (const p of people) {
    const atEnd = featuresAt(p, E);
    const lastOrder = lastOrderAtOf(atEnd, new Date(E));
    if (!lastOrder || E - lastOrder.getTime() > WINDOW_DAYS * DAY) continue;
    recentBuyers++;
    const nextOrderAt = p.truth.outcomes.nextOrderAt?.getTime() ?? null;
    naivePairs.push({ mailAt: lastOrder.getTime() + 30 * DAY, nextOrderAt });
    const scoredAt = Math.floor(lastOrder.getTime() / DAY) * DAY + DAY;
    const doc = scoreDoc(p.customer._id, new Date(scoredAt), featuresAt(p, scoredAt), btyd);
    const [event] = predictionEvents(new Map(), [doc], [featuresAt(p, scoredAt)], { churnThresholds: [] }, doc.asOf);
    if (!event) continue;
    for (const { trigger, pairs } of rules) {
      if (predictionKey(trigger, event) === null) continue;
      pairs.push({ mailAt: Math.max(scoredAt, Date.parse(predictionStart(trigger, event)!)), nextOrderAt });
    }
  }

  // Churn save offer and VIP welcome: what two scorings' events say, against the truth.
  const scoringsAt = (from: number) => {
    const buyers = people.filter(
      (p) => p.orders > 0 && p.events.some((e) => e.type === 'order_completed' && +e.ts < from),
    );
    const docs = buyers.map((p) => scoreDoc(p.customer._id, new Date(E), featuresAt(p, from), btyd));
    const now = buyers.map((p) => scoreDoc(p.customer._id, new Date(E), featuresAt(p, E), btyd));
    assignLtvTiers(docs);
    assignLtvTiers(now);
    const previous = new Map<string, PreviousScore>(docs.map((d) => [d._id, d]));
    return { previous, now, values: buyers.map((p) => featuresAt(p, E)) };
  };
  const truth = new Map(people.map((p) => [p.customer._id, p.truth.outcomes]));
  const threshold = 0.5;
  const churn = scoringsAt(E - 7 * DAY);
  const crossed = predictionEvents(
    churn.previous,
    churn.now,
    churn.values,
    { churnThresholds: [threshold] },
    new Date(E),
  )
    .filter((e) => e.type === 'churn_risk_crossed' && e.props.direction === 'up')
    .map((e) => e.customerId!);
  const churned = (id: string) => truth.get(id)!.churned90;
  const level = churn.now.filter((d) => d.churnRisk! >= threshold).map((d) => d._id);
  const precision = (ids: readonly string[], hit: (id: string) => boolean) =>
    ids.length ? ids.filter(hit).length / ids.length : 0;

  const tiers = scoringsAt(E - 30 * DAY);
  const risers = predictionEvents(tiers.previous, tiers.now, tiers.values, { churnThresholds: [] }, new Date(E))
    .filter((e) => e.type === 'ltv_tier_changed' && e.props.to === 'top')
    .map((e) => e.customerId!);
  const revenue = tiers.now.map((d) => truth.get(d._id)!.futureRevenue365).sort((a, b) => b - a);
  const topRevenue = revenue[Math.max(0, Math.ceil(revenue.length * 0.1) - 1)] ?? Infinity;
  const isTop = (id: string) => truth.get(id)!.futureRevenue365 >= topRevenue && topRevenue > 0;

  return {
    customers: people.length,
    recentBuyers,
    replenishment: [
      ...rules.map(({ rule, pairs }) => ({ rule, figures: timing(pairs) })),
      { rule: 'naive: 30 days after the last order', figures: timing(naivePairs) },
    ],
    saveOffer: {
      crossers: crossed.length,
      precision: precision(crossed, churned),
      levelPrecision: precision(level, churned),
      belowRate: precision(
        churn.now.filter((d) => d.churnRisk! < threshold).map((d) => d._id),
        churned,
      ),
      baseRate: precision(
        churn.now.map((d) => d._id),
        churned,
      ),
    },
    vipWelcome: {
      risers: risers.length,
      precision: precision(risers, isTop),
      baseRate: precision(
        tiers.now.map((d) => d._id),
        isTop,
      ),
    },
  };
}
