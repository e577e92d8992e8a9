import type { EmailCampaign } from './calendar.js';
import type { SimCustomer } from './customers.js';
import type { Rng } from '../../src/random.js';
import type { EventSink, SimDevice } from './simEventTypes.js';
import { DAY, HOUR, type LocalClock } from './timezones.js';

/** What one campaign email did for one customer; times may lie in the unrecorded future. */
export interface EmailResult {
  /** A hard bounce or an unsubscribe: no more sends. */
  stopSending: boolean;
  unsubscribedMs?: number;
  /** When the person (not a mail client's prefetch) opened it. */
  humanOpenMs?: number;
  clickMs?: number;
}

const MINUTE = 60_000;

/**
 * Sends one campaign email and plays out the customer's response. Real opens land near the
 * customer's preferred local hour (normal noise, plus a uniform share for "opened whenever");
 * after dropout a customer mostly ignores the shop's mail.
 */
export function simulateEmail(
  rng: Rng,
  customer: SimCustomer,
  campaign: EmailCampaign,
  alive: boolean,
  clock: LocalClock,
  sink: EventSink,
): EmailResult {
  const t = customer.traits;
  const messageId = `${campaign.id}-${customer.id}`;
  const base = { messageId, campaignId: campaign.id };
  const device: SimDevice = rng.chance(0.65) ? 'mobile' : t.devicePreference;
  // A large send takes a while to go out; each recipient lands somewhere in the first 20 minutes.
  const sentMs = campaign.sendMs + rng.int(0, 20 * MINUTE);
  sink.emit(sentMs, 'email_sent', 'email', t.devicePreference, { ...base, subject: campaign.subject });
  if (t.badAddress) {
    sink.emit(sentMs + rng.int(1_000, 30_000), 'email_bounced', 'email', t.devicePreference, {
      ...base,
      bounceType: 'hard',
    });
    return { stopSending: true };
  }
  if (rng.chance(0.004)) {
    sink.emit(sentMs + rng.int(1_000, 60_000), 'email_bounced', 'email', t.devicePreference, {
      ...base,
      bounceType: 'soft',
    });
    return { stopSending: false };
  }
  const deliveredMs = sentMs + rng.int(1_000, 60_000);
  sink.emit(deliveredMs, 'email_delivered', 'email', t.devicePreference, base);
  if (t.machineOpener && rng.chance(0.95)) {
    sink.emit(deliveredMs + rng.int(MINUTE, 15 * MINUTE), 'email_opened', 'email', device, {
      ...base,
      machineOpen: true,
    });
  }
  if (!rng.chance(t.emailOpenProb * (alive ? 1 : 0.3))) return { stopSending: false };

  const humanOpenMs = openTime(rng, customer, clock, deliveredMs);
  // A prefetching client already fired the pixel: the real open is invisible.
  if (!t.machineOpener) sink.emit(humanOpenMs, 'email_opened', 'email', device, { ...base, machineOpen: false });
  const result: EmailResult = { stopSending: false, humanOpenMs };
  const clickBoost = campaign.kind === 'newsletter' ? 1 : 1.3;
  if (rng.chance(Math.min(0.9, t.emailClickProb * clickBoost))) {
    result.clickMs = humanOpenMs + rng.int(10_000, 5 * MINUTE);
    sink.emit(result.clickMs, 'email_clicked', 'email', device, { ...base, url: campaign.url });
  }
  // Unengaged readers and customers who have already left are the ones who unsubscribe.
  const unsubscribe = (0.006 + 0.015 * (1 - t.emailOpenProb)) * (alive ? 1 : 2.5);
  if (rng.chance(unsubscribe)) {
    result.unsubscribedMs = (result.clickMs ?? humanOpenMs) + rng.int(20_000, 3 * MINUTE);
    result.stopSending = true;
    sink.emit(result.unsubscribedMs, 'email_unsubscribed', 'email', device, base);
  }
  return result;
}

/**
 * Most opens happen at the next occurrence of the preferred local hour (± the customer's own
 * spread), sometimes a day or two late; 15% happen whenever the customer glanced at the phone.
 */
function openTime(rng: Rng, customer: SimCustomer, clock: LocalClock, deliveredMs: number): number {
  if (rng.chance(0.15)) return deliveredMs + rng.int(2 * MINUTE, 36 * HOUR);
  const localNow = clock.toLocal(deliveredMs);
  const hour = customer.traits.preferredOpenHour + 0.5 + rng.normal(0, customer.traits.openHourSd);
  let target = Math.floor(localNow / DAY) * DAY + Math.round(hour * HOUR);
  while (target <= localNow + MINUTE) target += DAY;
  while (rng.chance(0.25)) target += DAY;
  return Math.max(deliveredMs + MINUTE, clock.toUtc(target));
}
