import { predictionEventTypes, tierRank } from '../../ml/scoring/predictionEvents.js';
import type { PredictionTrigger, Trigger } from './flowSchema.js';

const DAY = 86_400_000;

/** The prediction event a prediction trigger listens to (written by score-customers). */
export const predictionEventOf: Record<PredictionTrigger['type'], string> = {
  predicted_order: predictionEventTypes.nextOrder,
  churn_risk: predictionEventTypes.churnCrossed,
  ltv_tier: predictionEventTypes.tierChanged,
};

export const isPredictionTrigger = (t: Trigger): t is PredictionTrigger => t.type in predictionEventOf;

interface PredictionEvent {
  type: string;
  props: Record<string, unknown>;
}

const day = (iso: unknown): string => (typeof iso === 'string' ? iso.slice(0, 10) : 'none');

/** The date the expected next order falls on for this trigger's basis, in ms; NaN when unknown. */
function expectedOrderAt(trigger: Extract<PredictionTrigger, { type: 'predicted_order' }>, e: PredictionEvent): number {
  const { intervalAt, expectedAt } = e.props;
  return Date.parse(String(trigger.basis === 'interval' && typeof intervalAt === 'string' ? intervalAt : expectedAt));
}

/**
 * The enrolment key a prediction event gives for a prediction trigger, or null when it does not
 * fire it. Keys make each trigger fire once per what it is about: the expected next order once per
 * last order, the churn save offer once per lapse (the day of the last order: only a new order
 * re-arms it), a tier once per customer.
 */
export function predictionKey(trigger: PredictionTrigger, e: PredictionEvent): string | null {
  if (e.type !== predictionEventOf[trigger.type]) return null;
  const p = e.props;
  if (trigger.type === 'predicted_order') {
    if (!Number.isFinite(expectedOrderAt(trigger, e))) return null;
    if (trigger.maxChurnRisk !== undefined && typeof p.churnRisk === 'number' && p.churnRisk > trigger.maxChurnRisk)
      return null;
    return `next:${day(p.lastOrderAt)}`;
  }
  if (trigger.type === 'churn_risk')
    return p.direction === 'up' && p.threshold === trigger.threshold ? `lapse:${day(p.lastOrderAt)}` : null;
  return p.direction === 'up' && p.to === trigger.to ? `tier:${trigger.to}` : null;
}

/** Where a predicted-order flow's steps count from: the expected order less `daysBefore` (ISO). */
export function predictionStart(trigger: PredictionTrigger, e: PredictionEvent): string | undefined {
  if (trigger.type !== 'predicted_order') return undefined;
  return new Date(expectedOrderAt(trigger, e) - trigger.daysBefore * DAY).toISOString();
}

/** Whether a prediction event says the score behind this trigger went back (the `score_fell` exit). */
export function scoreFell(trigger: Trigger, e: PredictionEvent): boolean {
  if (e.props.direction !== 'down') return false;
  if (trigger.type === 'churn_risk')
    return e.type === predictionEventTypes.churnCrossed && e.props.threshold === trigger.threshold;
  if (trigger.type === 'ltv_tier')
    return e.type === predictionEventTypes.tierChanged && tierRank(String(e.props.to)) < tierRank(trigger.to);
  return false;
}
