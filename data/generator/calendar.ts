import { Rng } from '../../src/random.js';
import { DAY, HOUR } from './timezones.js';

/**
 * The shop's marketing calendar, shared by every customer: a Tuesday newsletter, a Friday promo
 * most weeks, extra holiday sends from mid-November, and an SMS blast every other Thursday. All go
 * out at one UTC time, so the hour a customer opens says something about them, not the send.
 */

export type CampaignKind = 'newsletter' | 'promo' | 'holiday';

export interface EmailCampaign {
  id: string;
  kind: CampaignKind;
  sendMs: number;
  subject: string;
  url: string;
  couponCode?: string;
}

export interface SmsCampaign {
  id: string;
  sendMs: number;
}

export interface ShopCalendar {
  emails: EmailCampaign[];
  sms: SmsCampaign[];
}

const subjects: Record<CampaignKind, readonly string[]> = {
  newsletter: [
    'New in this week',
    'Our editors’ picks',
    'Fresh arrivals for you',
    'Stories from the roastery',
    'What we are loving now',
  ],
  promo: [
    '20% off ends Sunday',
    'Free shipping this weekend',
    'Last chance: spring sale',
    'Members get early access',
    'A little something off',
  ],
  holiday: [
    'Gifts they will actually love',
    'Order by Dec 18 for delivery',
    'Black Friday starts now',
    'Stocking stuffers under $25',
    'Last-minute gift cards',
  ],
};

const EMAIL_SEND_HOUR_UTC = 15;
const SMS_SEND_HOUR_UTC = 17;

const dateKey = (ms: number): string => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');

/** Campaigns sent strictly after `fromMs` and before `toMs` (the simulated future included). */
export function buildCalendar(seed: number, fromMs: number, toMs: number): ShopCalendar {
  const rng = new Rng(seed, 'calendar');
  const emails: EmailCampaign[] = [];
  const sms: SmsCampaign[] = [];
  let smsWeek = false;
  for (let day = Math.floor(fromMs / DAY); day * DAY < toMs; day++) {
    const date = new Date(day * DAY);
    const weekday = date.getUTCDay();
    const month = date.getUTCMonth() + 1;
    const holidaySeason = (month === 11 && date.getUTCDate() >= 15) || (month === 12 && date.getUTCDate() <= 22);
    const kind: CampaignKind | undefined =
      weekday === 2
        ? 'newsletter'
        : weekday === 5 && rng.chance(0.55)
          ? 'promo'
          : weekday === 0 && holidaySeason
            ? 'holiday'
            : undefined;
    const sendMs = day * DAY + EMAIL_SEND_HOUR_UTC * HOUR;
    if (kind && sendMs > fromMs && sendMs < toMs) {
      const id = `camp-${dateKey(sendMs)}-${kind}`;
      emails.push({
        id,
        kind,
        sendMs,
        subject: rng.pick(subjects[kind]),
        url: `https://shop.example.com/${kind === 'newsletter' ? 'journal' : 'sale'}?utm_source=newsletter&utm_medium=email&utm_campaign=${id}`,
        ...(kind === 'newsletter' ? {} : { couponCode: kind === 'holiday' ? 'HOLIDAY15' : 'SAVE20' }),
      });
    }
    if (weekday === 4) {
      smsWeek = !smsWeek;
      const smsMs = day * DAY + SMS_SEND_HOUR_UTC * HOUR;
      if (smsWeek && smsMs > fromMs && smsMs < toMs) sms.push({ id: `sms-${dateKey(smsMs)}`, sendMs: smsMs });
    }
  }
  return { emails, sms };
}
