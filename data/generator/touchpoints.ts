import type { SmsCampaign } from './calendar.js';
import type { SimCustomer } from './customers.js';
import type { Rng } from '../../src/random.js';
import type { SessionBuilder } from './sessions.js';
import type { EventSink } from './simEventTypes.js';
import type { Timeline } from './timeline.js';
import { orderIdOf } from './visits.js';
import { DAY, HOUR } from './timezones.js';

/**
 * Contacts outside the shop's pages: SMS blasts, social engagement, support tickets after orders
 * and the refunds that some of them lead to. None of these change the true outcomes.
 */

const MINUTE = 60_000;
const networks = ['instagram', 'facebook', 'tiktok', 'pinterest'] as const;
const socialActions = ['like', 'comment', 'share', 'follow', 'story_view'] as const;
const ticketTopics = ['shipping_delay', 'return', 'sizing', 'damaged', 'billing'] as const;

export function simulateTouchpoints(
  rng: Rng,
  customer: SimCustomer,
  timeline: Timeline,
  sms: readonly SmsCampaign[],
  sessions: SessionBuilder,
  sink: EventSink,
): void {
  const t = customer.traits;
  const death = timeline.deathMs ?? Infinity;
  const start = customer.signedUpMs + 1000;

  if (t.smsConsent) {
    for (const campaign of sms) {
      if (campaign.sendMs <= start || campaign.sendMs >= sink.endMs) continue;
      const sentMs = campaign.sendMs + rng.int(0, 10 * MINUTE);
      sink.emit(sentMs, 'sms_sent', 'sms', 'mobile', { campaignId: campaign.id });
      if (!rng.chance(t.smsClickProb * (sentMs <= death ? 1 : 0.3))) continue;
      const clickMs = sentMs + rng.int(MINUTE, 90 * MINUTE);
      sink.emit(clickMs, 'sms_clicked', 'sms', 'mobile', { campaignId: campaign.id });
      sessions.browse(clickMs + rng.int(2_000, 10_000), {
        utmSource: 'sms',
        utmMedium: 'sms',
        utmCampaign: campaign.id,
        path: '/sale',
      });
    }
  }

  if (t.socialEngager) {
    // Followers keep liking posts for a while after they stop buying, less often.
    for (let at = start + rng.exponential(0.04 / DAY); at < sink.endMs; at += rng.exponential(0.04 / DAY)) {
      if (at > death && !rng.chance(0.3)) continue;
      sink.emit(at, 'social_engaged', 'social', 'mobile', {
        network: rng.pick(networks),
        action: rng.pick(socialActions),
      });
      if (rng.chance(0.15))
        sessions.browse(at + rng.int(10_000, 5 * MINUTE), { utmSource: rng.pick(networks), utmMedium: 'social' });
    }
  }

  timeline.orders.forEach((order, n) => {
    if (order.ms >= sink.endMs) return;
    const orderId = orderIdOf(customer.id, n);
    let refundChance = 0.025;
    let after = order.ms + rng.uniform(3 * DAY, 10 * DAY);
    if (rng.chance(0.06)) {
      const ticketId = `${customer.id}-t${n + 1}`;
      const topic = rng.pick(ticketTopics);
      const openedMs = order.ms + rng.uniform(1 * DAY, 12 * DAY);
      sink.emit(openedMs, 'support_ticket_opened', 'support', t.devicePreference, { ticketId, topic });
      const resolvedMs = openedMs + rng.uniform(2 * HOUR, 72 * HOUR);
      sink.emit(resolvedMs, 'support_ticket_resolved', 'support', t.devicePreference, { ticketId, topic });
      if (topic === 'return' || topic === 'damaged') refundChance = 0.6;
      after = resolvedMs + rng.uniform(HOUR, 3 * DAY);
    }
    if (!rng.chance(refundChance)) return;
    // Most refunds return one item; some return the whole order.
    const item = rng.pick(order.items);
    const amount =
      rng.chance(0.35) || order.items.length === 1
        ? order.revenue
        : Math.min(order.revenue, item.price * item.quantity);
    sink.emit(after, 'order_refunded', 'support', t.devicePreference, {
      orderId,
      amount: Math.round(amount * 100) / 100,
    });
  });
}
