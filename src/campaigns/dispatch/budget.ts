import type { EngagementLevel } from '../content/types.js';

const DAY = 86_400_000;

/** How many marketing messages a customer may get in a rolling window, by engagement level. */
export interface BudgetRule {
  max: number;
  days: number;
}

export type FrequencyBudget = Record<EngagementLevel, BudgetRule>;

/** Highly engaged readers welcome 2–3 a week, the rest a couple a week, low engaged 1–2 a month. */
export const defaultBudget: FrequencyBudget = {
  high: { max: 3, days: 7 },
  medium: { max: 2, days: 7 },
  low: { max: 2, days: 30 },
};

export type BudgetDecision = { ok: true } | { ok: false; retryAt: number };

/**
 * Whether one more marketing message fits at `at`, given the send times already counted (sent
 * before, and granted earlier in this run). When it does not, `retryAt` is when the oldest
 * send that blocks it leaves the window: the message is deferred to then, never dropped.
 */
export function checkBudget(rule: BudgetRule, sends: readonly number[], at: number): BudgetDecision {
  const windowStart = at - rule.days * DAY;
  const inWindow = sends.filter((t) => t > windowStart && t <= at).sort((a, b) => a - b);
  if (inWindow.length < rule.max) return { ok: true };
  // At exactly this instant the blocking send is out of the window (which excludes its start).
  return { ok: false, retryAt: inWindow[inWindow.length - rule.max]! + rule.days * DAY };
}
