import type { HiddenTraits, SimCustomer } from './customers.js';
import type { Timeline } from './timeline.js';
import { DAY, type LocalClock } from './timezones.js';

/**
 * What really happened, for scoring models: the hidden traits and the outcomes of the 90- and
 * 365-day future after the end of recorded history (the future's events are never written).
 */

export const TRUTH_HORIZON_DAYS = 365;

export interface TruthOutcomes {
  ordersObserved: number;
  revenueObserved: number;
  futureOrders90: number;
  futureRevenue90: number;
  futureOrders365: number;
  futureRevenue365: number;
  /** Not yet dropped out at the end of history (BG/NBD's P(alive)). */
  aliveAtEnd: boolean;
  /** No order in the 90 days after the end of history. */
  churned90: boolean;
  /** The moment of dropout (the last order), or null if still alive at the horizon. */
  deathAt: Date | null;
  nextOrderAt: Date | null;
  unsubscribedAt: Date | null;
  preferredOpenHour: number;
  /** The first real open after the end of history, and its local hour. */
  nextOpenAt: Date | null;
  nextOpenLocalHour: number | null;
}

export interface TruthDoc {
  _id: string;
  /** End of recorded history: the outcomes are counted from here, and the demo's as-of dates back from it. */
  historyEnd: Date;
  traits: HiddenTraits;
  outcomes: TruthOutcomes;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

export function buildTruth(customer: SimCustomer, timeline: Timeline, clock: LocalClock, endMs: number): TruthDoc {
  const sum = (from: number, to: number) => {
    const orders = timeline.orders.filter((o) => o.ms >= from && o.ms < to);
    return { count: orders.length, revenue: round2(orders.reduce((s, o) => s + o.revenue, 0)) };
  };
  const past = sum(-Infinity, endMs);
  const next90 = sum(endMs, endMs + 90 * DAY);
  const next365 = sum(endMs, endMs + TRUTH_HORIZON_DAYS * DAY);
  const nextOrder = timeline.orders.find((o) => o.ms >= endMs);
  // A late open of one campaign can come after an early open of the next: take the earliest.
  const nextOpen = timeline.futureOpens.length > 0 ? Math.min(...timeline.futureOpens) : undefined;
  return {
    _id: customer.id,
    historyEnd: new Date(endMs),
    traits: customer.traits,
    outcomes: {
      ordersObserved: past.count,
      revenueObserved: past.revenue,
      futureOrders90: next90.count,
      futureRevenue90: next90.revenue,
      futureOrders365: next365.count,
      futureRevenue365: next365.revenue,
      aliveAtEnd: timeline.deathMs === null || timeline.deathMs >= endMs,
      churned90: next90.count === 0,
      deathAt: timeline.deathMs === null ? null : new Date(timeline.deathMs),
      nextOrderAt: nextOrder ? new Date(nextOrder.ms) : null,
      unsubscribedAt: timeline.unsubscribedMs === null ? null : new Date(timeline.unsubscribedMs),
      preferredOpenHour: customer.traits.preferredOpenHour,
      nextOpenAt: nextOpen === undefined ? null : new Date(nextOpen),
      nextOpenLocalHour: nextOpen === undefined ? null : clock.localHour(nextOpen),
    },
  };
}
