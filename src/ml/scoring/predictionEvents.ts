import type { StoredEvent } from '../../db/models/event.js';
import type { ScoreDoc } from '../../db/models/score.js';

const DAY = 86_400_000;

/**
 * Prediction events: what changed between a customer's previous scores and the new ones, written
 * by the scoring run as events (source `system`) so flows trigger on them the way they trigger on
 * `segment_entered` — dispatch reads the timelines that changed, never the whole `scores`
 * collection. Only changes are written: a churn-risk threshold crossed (either way), a new
 * predicted-LTV tier, and a new expected next order once per last order.
 */
export const predictionEventTypes = {
  churnCrossed: 'churn_risk_crossed',
  tierChanged: 'ltv_tier_changed',
  nextOrder: 'next_order_predicted',
} as const;

/** Predicted-LTV tiers, lowest first: the top 10 % of a run's customers by predicted LTV, the next 40 %, the rest. */
export const ltvTiers = ['low', 'mid', 'top'] as const;
export type LtvTier = (typeof ltvTiers)[number];
const TOP_SHARE = 0.1;
const MID_SHARE = 0.4;

export const tierRank = (tier: string | null | undefined): number => ltvTiers.indexOf(tier as LtvTier);

/** Which scores a run watches: the churn thresholds some flow triggers on (read from the flows by the job). */
export interface ScoreWatch {
  churnThresholds: number[];
}

/** What a run needs of a customer's previous scores. */
export type PreviousScore = Pick<ScoreDoc, 'churnRisk' | 'ltvTier' | 'lastOrderAt'>;

/** Sets `ltvTier` on every document with a predicted LTV, by its rank among this run's. */
export function assignLtvTiers(docs: readonly ScoreDoc[]): void {
  const values = docs.flatMap((d) => (d.predictedLtv === undefined ? [] : [d.predictedLtv])).sort((a, b) => b - a);
  if (!values.length) return;
  const at = (share: number) => values[Math.min(values.length - 1, Math.max(0, Math.ceil(values.length * share) - 1))]!;
  const top = at(TOP_SHARE);
  const mid = at(TOP_SHARE + MID_SHARE);
  for (const d of docs) {
    if (d.predictedLtv === undefined) continue;
    d.ltvTier = d.predictedLtv >= top ? 'top' : d.predictedLtv >= mid ? 'mid' : 'low';
  }
}

/** The last order before the features' as-of date, from their recency; null without orders. */
export function lastOrderAtOf(values: Record<string, unknown>, asOf: Date): Date | null {
  const recency = values.recencyDays;
  return typeof recency === 'number' && Number.isFinite(recency) ? new Date(asOf.getTime() - recency * DAY) : null;
}

const isoDay = (d: Date): string => d.toISOString().slice(0, 10);

/**
 * The prediction events of one run. `previous` holds the customers' scores before this run
 * (absent: never scored, so a churn risk counts as rising from 0, as the old "at or above" rule
 * found them; a tier needs a previous tier to change from). Event ids are derived
 * from what they describe and the features' as-of date, so a run repeated after a crash stores
 * nothing twice. `values` are the features each document was scored from.
 */
export function predictionEvents(
  previous: ReadonlyMap<string, PreviousScore>,
  docs: readonly ScoreDoc[],
  values: readonly Record<string, unknown>[],
  watch: ScoreWatch,
  receivedAt: Date,
): StoredEvent[] {
  const out: StoredEvent[] = [];
  docs.forEach((doc, i) => {
    const prev = previous.get(doc._id);
    const asOfMs = doc.featuresAsOf.getTime();
    const event = (id: string, type: string, props: Record<string, unknown>) =>
      out.push({
        eventId: `pred:${id}:${doc._id}:${asOfMs}`,
        type,
        customerId: doc._id,
        partition: doc.partition,
        ts: doc.asOf,
        receivedAt,
        source: 'system',
        props,
      });
    const lastOrderAt = doc.lastOrderAt?.toISOString() ?? null;

    if (doc.churnRisk !== undefined) {
      const before = prev?.churnRisk ?? 0;
      for (const threshold of watch.churnThresholds) {
        const direction =
          before < threshold && doc.churnRisk >= threshold
            ? 'up'
            : prev?.churnRisk !== undefined && before >= threshold && doc.churnRisk < threshold
              ? 'down'
              : null;
        if (direction)
          event(`churn:${threshold}:${direction}`, predictionEventTypes.churnCrossed, {
            threshold,
            direction,
            from: prev?.churnRisk ?? null,
            to: doc.churnRisk,
            lastOrderAt,
          });
      }
    }

    // A tier changes only from a previous one: a first scoring would otherwise write one event per customer.
    if (doc.ltvTier && prev?.ltvTier && doc.ltvTier !== prev.ltvTier)
      event(`tier:${doc.ltvTier}`, predictionEventTypes.tierChanged, {
        from: prev.ltvTier,
        to: doc.ltvTier,
        direction: tierRank(doc.ltvTier) > tierRank(prev.ltvTier) ? 'up' : 'down',
        predictedLtv: doc.predictedLtv ?? null,
      });

    const lastOrder = doc.lastOrderAt;
    const expected = doc.expectedNextOrderAt;
    if (lastOrder && expected && (!prev?.lastOrderAt || isoDay(prev.lastOrderAt) !== isoDay(lastOrder))) {
      const gap = values[i]?.orderGapMeanDays;
      out.push({
        eventId: `pred:next:${doc._id}:${lastOrder.getTime()}`,
        type: predictionEventTypes.nextOrder,
        customerId: doc._id,
        partition: doc.partition,
        ts: doc.asOf,
        receivedAt,
        source: 'system',
        props: {
          expectedAt: expected.toISOString(),
          intervalAt:
            typeof gap === 'number' && Number.isFinite(gap) && gap > 0
              ? new Date(lastOrder.getTime() + gap * DAY).toISOString()
              : null,
          lastOrderAt,
          churnRisk: doc.churnRisk ?? null,
        },
      });
    }
  });
  return out;
}
