import { predictionEventTypes } from '../../ml/scoring/predictionEvents.js';
import type { Flow } from './flowSchema.js';
import { scoreFell } from './predictionTriggers.js';
import type { TriggerContext, TriggerEvent } from './triggers.js';

/** Something a customer did that may end their enrolments. */
export interface ExitSignal {
  customerId: string;
  at: number;
  kind: 'ordered' | 'unsubscribed' | 'score_fell';
  /** For orders: the cart and checkout they complete, so the matching cart series ends as recovered. */
  cartIds: string[];
  checkoutIds: string[];
  /** For `score_fell`: the prediction event, which says which threshold or tier it went back below. */
  prediction?: { type: string; props: Record<string, unknown> };
}

/** Event types that can end an enrolment. */
export const exitEventTypes = [
  'order_completed',
  'email_unsubscribed',
  'email_complained',
  'identify',
  predictionEventTypes.churnCrossed,
  predictionEventTypes.tierChanged,
] as const;

/**
 * The exit signal in an event, if any. `cartOfCheckout` maps checkout ids to cart ids from the
 * checkouts seen alongside (orders carry the checkout id, checkouts carry the cart id).
 */
export function exitSignalOf(e: TriggerEvent, cartOfCheckout: ReadonlyMap<string, string>): ExitSignal | null {
  const base = { customerId: e.customerId, at: e.ts.getTime(), cartIds: [] as string[], checkoutIds: [] as string[] };
  if (e.type === 'order_completed') {
    const checkoutId = typeof e.props.checkoutId === 'string' ? e.props.checkoutId : undefined;
    const cartIds = [e.props.cartId, checkoutId && cartOfCheckout.get(checkoutId)].filter(
      (c): c is string => typeof c === 'string' && c !== '',
    );
    return { ...base, kind: 'ordered', cartIds, checkoutIds: checkoutId ? [checkoutId] : [] };
  }
  if (e.type === 'email_unsubscribed' || e.type === 'email_complained') return { ...base, kind: 'unsubscribed' };
  if (
    (e.type === predictionEventTypes.churnCrossed || e.type === predictionEventTypes.tierChanged) &&
    e.props.direction === 'down'
  )
    return { ...base, kind: 'score_fell', prediction: { type: e.type, props: e.props } };
  const consent = e.props.consent as { email?: unknown } | undefined;
  if (e.type === 'identify' && consent?.email === false) return { ...base, kind: 'unsubscribed' };
  return null;
}

export interface EnrollmentState {
  key: string;
  /** The latest trigger activity: only what happened after it can end the enrolment. */
  anchorAt: Date;
  context: TriggerContext;
}

/**
 * Why an enrolment ends given what its customer did since its trigger, or null to go on. A
 * recovered cart is told apart from any other order so reports can credit the series.
 */
export function exitReason(
  flow: Pick<Flow, 'exitOn' | 'trigger'>,
  enrollment: EnrollmentState,
  signals: readonly ExitSignal[],
): 'recovered' | 'ordered' | 'unsubscribed' | 'score_fell' | null {
  const after = signals.filter((s) => s.at >= enrollment.anchorAt.getTime());
  const checkouts = new Set(enrollment.context.checkoutIds ?? []);
  if (
    flow.exitOn.includes('recovered') &&
    after.some(
      (s) =>
        s.kind === 'ordered' && (s.cartIds.includes(enrollment.key) || s.checkoutIds.some((c) => checkouts.has(c))),
    )
  )
    return 'recovered';
  if (flow.exitOn.includes('ordered') && after.some((s) => s.kind === 'ordered')) return 'ordered';
  if (flow.exitOn.includes('unsubscribed') && after.some((s) => s.kind === 'unsubscribed')) return 'unsubscribed';
  if (
    flow.exitOn.includes('score_fell') &&
    after.some((s) => s.kind === 'score_fell' && s.prediction && scoreFell(flow.trigger, s.prediction))
  )
    return 'score_fell';
  return null;
}
