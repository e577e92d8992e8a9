import type { Profile } from './rules/types.js';

/**
 * Lifecycle stages: prospect → first-time buyer → repeat → VIP, with at-risk (no engagement for
 * 60 days) and churned (none for 180) overriding them for buyers. A stage is a pure function of the
 * profile; the membership job compares it with the stored one and records each change with
 * `lifecycleTransition`.
 */

export const lifecycleStages = ['prospect', 'first_time_buyer', 'repeat', 'vip', 'at_risk', 'churned'] as const;
export type LifecycleStage = (typeof lifecycleStages)[number];

export interface LifecycleOptions {
  /** Net spend that makes a buyer a VIP. */
  vipSpend: number;
  /**
   * Predicted lifetime value at or above which a repeat buyer is a VIP (the top-LTV cut-off of the
   * population, e.g. `cutoffOf({side: 'top', fraction: 0.2}, ltvs)`); null: spend alone decides.
   */
  vipLtvCutoff: number | null;
  /** Days without engagement (any activity: visits, opens, clicks, orders) before a buyer is at risk. */
  atRiskDays: number;
  churnedDays: number;
}

export const defaultLifecycleOptions: LifecycleOptions = {
  vipSpend: 1000,
  vipLtvCutoff: null,
  atRiskDays: 60,
  churnedDays: 180,
};

export interface StageAssessment {
  stage: LifecycleStage;
  /** Why, in words a marketer reads on the customer page. */
  cause: string;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function lifecycleStage(
  profile: Pick<Profile, 'features' | 'scores'>,
  options: Partial<LifecycleOptions> = {},
): StageAssessment {
  const o = { ...defaultLifecycleOptions, ...options };
  const orders = num(profile.features.orders) ?? 0;
  if (orders === 0) return { stage: 'prospect', cause: 'no order yet' };
  // Engagement is any activity; a customer with an order but no recorded activity counts from the order.
  const idle = num(profile.features.daysSinceLastActivity) ?? num(profile.features.recencyDays) ?? 0;
  if (idle >= o.churnedDays)
    return { stage: 'churned', cause: `${Math.floor(idle)} days without engagement (churned at ${o.churnedDays})` };
  if (idle >= o.atRiskDays)
    return { stage: 'at_risk', cause: `${Math.floor(idle)} days without engagement (at risk from ${o.atRiskDays})` };
  const spend = num(profile.features.monetaryNet) ?? 0;
  if (spend >= o.vipSpend) return { stage: 'vip', cause: `net spend ${spend.toFixed(2)} ≥ ${o.vipSpend}` };
  const ltv = num(profile.scores.predictedLtv);
  if (orders >= 2 && o.vipLtvCutoff !== null && ltv !== null && ltv >= o.vipLtvCutoff)
    return { stage: 'vip', cause: `predicted LTV ${ltv.toFixed(2)} in the top tier (≥ ${o.vipLtvCutoff.toFixed(2)})` };
  if (orders >= 2) return { stage: 'repeat', cause: `${orders} orders` };
  return { stage: 'first_time_buyer', cause: 'first order' };
}

/** A stage change as the membership store records it (customer_segments.lifecycle.history). */
export interface LifecycleTransition {
  from: LifecycleStage | null;
  to: LifecycleStage;
  at: Date;
  cause: string;
}

/** The transition from the stored stage to a new assessment, or null when the stage did not change. */
export function lifecycleTransition(
  previous: LifecycleStage | null | undefined,
  next: StageAssessment,
  at: Date,
): LifecycleTransition | null {
  if (previous === next.stage) return null;
  const lapsed = previous === 'at_risk' || previous === 'churned';
  const back = lapsed && next.stage !== 'at_risk' && next.stage !== 'churned';
  return {
    from: previous ?? null,
    to: next.stage,
    at,
    cause: back ? `engaged again after being ${previous.replace('_', ' ')}; ${next.cause}` : next.cause,
  };
}
