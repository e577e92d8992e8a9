import { activityAt, activityMax } from './activity.js';
import { buildBasket, priceBasket, type Basket } from './basket.js';
import type { ShopCalendar } from './calendar.js';
import type { Catalog, ProductDoc } from './catalog.js';
import type { SimCustomer } from './customers.js';
import { simulateEmail } from './emails.js';
import type { Rng } from '../../src/random.js';
import type { EventSink } from './simEventTypes.js';
import { DAY, type LocalClock } from './timezones.js';

/**
 * The part of a customer's life that decides the true outcomes: orders, dropout and email
 * responses, played forward past the end of recorded history to the truth horizon. Orders follow
 * BG/NBD: a Poisson process at rate λ (bent by season and time of day) until, after some order,
 * a coin with probability p says the customer has left for good. On top of that, consumables are
 * reordered when they run out, and an email click sometimes turns into an order.
 */

export type OrderKind = 'organic' | 'replenish' | 'email';

export interface PlannedOrder extends Basket {
  ms: number;
  kind: OrderKind;
  campaignId?: string;
  clickMs?: number;
}

export interface EmailClick {
  ms: number;
  campaignId: string;
}

export interface Timeline {
  orders: PlannedOrder[];
  /** When the customer dropped out (the time of their last order); null if still alive at the horizon. */
  deathMs: number | null;
  unsubscribedMs: number | null;
  /** Clicks that did not lead to an order; each still starts a browsing session. */
  clicks: EmailClick[];
  /** Real (not prefetched) opens after `fromMs`, for the send-time truth. */
  futureOpens: number[];
}

interface Pending {
  ms: number;
  kind: OrderKind;
  product?: ProductDoc;
  campaignId?: string;
  couponCode?: string;
  clickMs?: number;
}

const MINUTE = 60_000;

export function planTimeline(
  rng: Rng,
  customer: SimCustomer,
  catalog: Catalog,
  calendar: ShopCalendar,
  clock: LocalClock,
  sink: EventSink,
  horizonMs: number,
): Timeline {
  const t = customer.traits;
  const out: Timeline = { orders: [], deathMs: null, unsubscribedMs: null, clicks: [], futureOpens: [] };
  const pending: Pending[] = [];
  const schedule = (p: Pending) => {
    let i = pending.length;
    while (i > 0 && pending[i - 1]!.ms > p.ms) i--;
    pending.splice(i, 0, p);
  };

  // Thinning: candidates at the envelope rate, kept in proportion to season × time-of-day activity.
  const seasonMax = t.holidayBuyer ? 3 : 1.3;
  const envelope = (t.purchaseRate * seasonMax * activityMax(t.browsingPattern)) / DAY;
  const nextOrganic = (from: number): number => {
    for (let at = from; ;) {
      at += rng.exponential(envelope);
      if (at >= horizonMs) return Infinity;
      const month = new Date(at).getUTCMonth() + 1;
      const season = month >= 11 ? seasonMax : 1;
      if (
        rng.chance((season * activityAt(t.browsingPattern, clock, at)) / (seasonMax * activityMax(t.browsingPattern)))
      )
        return at;
    }
  };

  const placeOrder = (p: Pending) => {
    // Whole milliseconds, as stored: the dropout time must equal the stored order time exactly.
    const ms = Math.round(p.ms);
    const month = new Date(ms).getUTCMonth() + 1;
    const products = buildBasket(rng, t, catalog, month, p.product);
    const order: PlannedOrder = {
      ms,
      kind: p.kind,
      ...priceBasket(rng, t, products, p.couponCode, out.orders.length === 0),
    };
    if (p.campaignId) order.campaignId = p.campaignId;
    if (p.clickMs !== undefined) order.clickMs = p.clickMs;
    out.orders.push(order);
    for (const product of products) {
      if (
        product.replenishDays === undefined ||
        pending.some((q) => q.product === product) ||
        !rng.chance(t.replenishLoyalty)
      )
        continue;
      schedule({ ms: ms + product.replenishDays * DAY * rng.uniform(0.8, 1.25), kind: 'replenish', product });
    }
    if (rng.chance(t.dropoutProb)) {
      out.deathMs = ms;
      pending.length = 0;
    }
  };

  // Nobody buys in the minutes it takes to sign up; the first visit needs room before the order.
  let organicAt = nextOrganic(customer.signedUpMs + 10 * MINUTE);
  if (t.signupSource === 'post_purchase')
    schedule({ ms: customer.signedUpMs + rng.int(20 * MINUTE, 45 * MINUTE), kind: 'organic' });
  const emails = t.emailConsent ? calendar.emails : [];
  let ci = emails.findIndex((c) => c.sendMs > customer.signedUpMs);
  if (ci < 0) ci = emails.length;

  for (;;) {
    const alive = out.deathMs === null;
    const pendingAt = pending[0]?.ms ?? Infinity;
    const campaignAt = emails[ci]?.sendMs ?? Infinity;
    const organic = alive ? organicAt : Infinity;
    const at = Math.min(organic, pendingAt, campaignAt);
    if (at >= horizonMs) break;
    if (at === campaignAt) {
      const campaign = emails[ci++]!;
      const result = simulateEmail(rng, customer, campaign, alive, clock, sink);
      if (result.humanOpenMs !== undefined && result.humanOpenMs >= sink.endMs)
        out.futureOpens.push(result.humanOpenMs);
      if (result.unsubscribedMs !== undefined) out.unsubscribedMs = result.unsubscribedMs;
      if (result.stopSending) ci = emails.length;
      if (result.clickMs === undefined) continue;
      // Email earns orders of its own: engaged buyers sometimes buy straight from a click.
      if (alive && rng.chance(0.08 + 5 * t.purchaseRate)) {
        schedule({
          ms: result.clickMs + rng.int(3 * MINUTE, 15 * MINUTE),
          kind: 'email',
          campaignId: campaign.id,
          couponCode: campaign.couponCode,
          clickMs: result.clickMs,
        });
      } else {
        out.clicks.push({ ms: result.clickMs, campaignId: campaign.id });
      }
    } else if (at === pendingAt) {
      placeOrder(pending.shift()!);
    } else {
      placeOrder({ ms: organicAt, kind: 'organic' });
      organicAt = nextOrganic(organicAt);
    }
  }
  return out;
}
