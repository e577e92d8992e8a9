import { activityAt, activityMax } from './activity.js';
import type { EmailCampaign } from './calendar.js';
import type { SimCustomer } from './customers.js';
import type { Rng } from '../../src/random.js';
import type { SessionBuilder, TrafficSource } from './sessions.js';
import type { PlannedOrder, Timeline } from './timeline.js';
import { DAY, HOUR, type LocalClock } from './timezones.js';

/**
 * Every site or app visit of one customer up to the end of recorded history: the visit behind
 * each order, the abandoned carts that came before some of them, a visit per email click, and
 * background browsing whose rate follows the purchase rate and fades after dropout.
 */

export const orderIdOf = (customerId: string, n: number): string => `${customerId}-o${n + 1}`;

/** After dropout, browsing decays towards a trickle over about a month. */
const AFTERLIFE_DAYS = 30;
const AFTERLIFE_FLOOR = 0.12;
/** How long before an order its abandoned carts can come. */
const ABANDON_LEAD_DAYS = 5;

export function simulateVisits(
  rng: Rng,
  customer: SimCustomer,
  timeline: Timeline,
  sessions: SessionBuilder,
  clock: LocalClock,
  campaigns: ReadonlyMap<string, EmailCampaign>,
  endMs: number,
): void {
  const t = customer.traits;
  const earliest = customer.signedUpMs + 1000;
  const emailSource = (campaignId: string): TrafficSource => ({
    utmSource: 'newsletter',
    utmMedium: 'email',
    utmCampaign: campaignId,
    path: campaigns.get(campaignId)!.kind === 'newsletter' ? '/journal' : '/sale',
  });

  timeline.orders.forEach((order, n) => {
    if (order.ms >= endMs) return;
    if (order.kind === 'email') {
      sessions.order(
        order,
        orderIdOf(customer.id, n),
        emailSource(order.campaignId!),
        order.clickMs! + rng.int(2_000, 10_000),
      );
      return;
    }
    sessions.order(order, orderIdOf(customer.id, n), sessions.randomSource(), earliest);
    abandonBefore(rng, customer, sessions, order, endMs);
  });

  for (const click of timeline.clicks) {
    if (click.ms < endMs) sessions.browse(click.ms + rng.int(2_000, 10_000), emailSource(click.campaignId));
  }

  // Background browsing: a thinned Poisson process, heavier for frequent buyers.
  const rate = t.browseRate + 3 * t.purchaseRate;
  const envelope = (rate * activityMax(t.browsingPattern)) / DAY;
  const death = timeline.deathMs ?? Infinity;
  for (let at = earliest + rng.exponential(envelope); at < endMs; at += rng.exponential(envelope)) {
    const fade =
      at <= death ? 1 : AFTERLIFE_FLOOR + (1 - AFTERLIFE_FLOOR) * Math.exp(-(at - death) / (AFTERLIFE_DAYS * DAY));
    if (!rng.chance((fade * activityAt(t.browsingPattern, clock, at)) / activityMax(t.browsingPattern))) continue;
    if (at <= death && rng.chance(t.abandonPropensity * 0.15)) sessions.abandon(at, sessions.randomSource());
    else sessions.browse(at, sessions.randomSource());
  }
}

/**
 * An order just after the end has its abandoned carts before the end, still open there, so the
 * last days of history hold as many open carts as any others. Run after every other draw of the
 * visit stream (touchpoints included), so these carts change no other draw.
 */
export function simulateCartsOpenAtEnd(
  rng: Rng,
  customer: SimCustomer,
  timeline: Timeline,
  sessions: SessionBuilder,
  endMs: number,
): void {
  for (const order of timeline.orders) {
    if (order.kind !== 'email' && order.ms >= endMs && order.ms < endMs + ABANDON_LEAD_DAYS * DAY)
      abandonBefore(rng, customer, sessions, order, endMs);
  }
}

/** How far before a first order its consideration visits can start. */
const CONSIDERATION_MAX_DAYS = 45;

/**
 * Nobody's first order comes out of the blue: in the weeks before it the customer comes back to
 * look, more often as the day nears, and sometimes leaves a cart. Without this a prospect's first
 * order was a Poisson draw that no behaviour before it announced (a first-purchase model measured
 * AUC 0.60 here against 0.63 for the 30-day session count alone). Repeat orders keep their
 * background browsing only. Run after every other draw of the visit stream, so it changes no
 * other draw; like simulateCartsOpenAtEnd it covers first orders just after the end of history.
 */
export function simulateFirstOrderJourney(
  rng: Rng,
  customer: SimCustomer,
  timeline: Timeline,
  sessions: SessionBuilder,
  endMs: number,
): void {
  const first = timeline.orders[0];
  // A post-purchase sign-up's first order is the one they signed up at; an email order follows a click.
  if (!first || first.kind === 'email' || customer.traits.signupSource === 'post_purchase') return;
  const earliest = customer.signedUpMs + 1000;
  const span = rng.uniform(7, CONSIDERATION_MAX_DAYS) * DAY;
  const visits = 2 + rng.poisson(4);
  for (let k = 0; k < visits; k++) {
    // u² puts most visits close to the order.
    const at = first.ms - HOUR - span * rng.next() ** 2;
    if (at > earliest && at < endMs) sessions.browse(at, sessions.randomSource());
  }
  const cartAt = first.ms - rng.uniform(2 * HOUR, span);
  if (rng.chance(0.6) && cartAt > earliest && cartAt < endMs) sessions.abandon(cartAt, sessions.randomSource());
}

/** Abandoned carts often precede a purchase: the same customer came back and finished. */
function abandonBefore(
  rng: Rng,
  customer: SimCustomer,
  sessions: SessionBuilder,
  order: PlannedOrder,
  endMs: number,
): void {
  const earliest = customer.signedUpMs + 1000;
  for (let k = 0; k < 3 && rng.chance(customer.traits.abandonPropensity * 0.8); k++) {
    const at = order.ms - rng.uniform(2 * HOUR, ABANDON_LEAD_DAYS * DAY);
    if (at > earliest && at < endMs) sessions.abandon(at, sessions.randomSource());
  }
}
