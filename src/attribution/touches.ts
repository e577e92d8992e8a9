import { z } from 'zod';
import type { Journey, Touch } from './paths.js';

const DAY = 86_400_000;

/**
 * How long before an order each kind of touch still counts, in days (0 leaves the kind out), as
 * in Klaviyo's attribution settings. Machine opens (Apple Mail privacy prefetch and the like)
 * never count: nobody saw the email.
 */
export const lookbackSchema = z.object({
  emailClick: z.coerce.number().min(0).max(90).default(5).describe('email clicks count this many days before an order'),
  emailOpen: z.coerce
    .number()
    .min(0)
    .max(90)
    .default(5)
    .describe('email opens (never machine opens): days; 0 leaves them out'),
  emailSend: z.coerce.number().min(0).max(90).default(0).describe('email sends: days (0: sends are not touches)'),
  smsClick: z.coerce.number().min(0).max(90).default(5).describe('SMS clicks: days'),
  smsSend: z.coerce.number().min(0).max(90).default(0).describe('SMS sends: days (0: not touches)'),
  /** Page views that carry UTM parameters. */
  utm: z.coerce.number().min(0).max(90).default(5).describe('page views with UTM parameters: days'),
  paid: z.coerce
    .number()
    .min(0)
    .max(90)
    .default(5)
    .describe('page views with a paid UTM medium (cpc, display, …): days'),
  app: z.coerce.number().min(0).max(90).default(1).describe('app opens: days'),
  social: z.coerce.number().min(0).max(90).default(5).describe('social engagement: days'),
});
export type Lookback = z.output<typeof lookbackSchema>;
export type TouchKind = keyof Lookback;

/** The event fields journeys are built from. */
export interface TouchEvent {
  type: string;
  ts: Date;
  props?: Record<string, unknown> | null;
}

const PAID_MEDIUMS = new Set([
  'cpc',
  'ppc',
  'paid',
  'paidsearch',
  'paid_search',
  'paidsocial',
  'paid_social',
  'display',
  'cpm',
  'retargeting',
]);

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Which flow or campaign an email or SMS belongs to, as a channel label. */
function sourceOf(p: Record<string, unknown>): string {
  const flow = str(p.flowId);
  const campaign = str(p.campaignId);
  return flow ? `flow ${flow}` : campaign ? `campaign ${campaign}` : 'other';
}

/** The touch an event stands for, or null when it is none (or opens are left out). */
export function touchOf(e: TouchEvent): { kind: TouchKind; channel: string } | null {
  const p = e.props ?? {};
  switch (e.type) {
    case 'email_clicked':
      return { kind: 'emailClick', channel: `email click · ${sourceOf(p)}` };
    case 'email_opened':
      return p.machineOpen === true ? null : { kind: 'emailOpen', channel: `email open · ${sourceOf(p)}` };
    case 'email_sent':
      return { kind: 'emailSend', channel: `email send · ${sourceOf(p)}` };
    case 'sms_clicked':
      return { kind: 'smsClick', channel: `sms click · ${sourceOf(p)}` };
    case 'sms_sent':
      return { kind: 'smsSend', channel: `sms send · ${sourceOf(p)}` };
    case 'app_opened':
      return { kind: 'app', channel: 'app' };
    case 'social_engaged':
      return { kind: 'social', channel: `social · ${str(p.network) ?? 'other'}` };
    case 'page_viewed': {
      const source = str(p.utmSource);
      if (!source) return null;
      const medium = (str(p.utmMedium) ?? '').toLowerCase();
      return PAID_MEDIUMS.has(medium)
        ? { kind: 'paid', channel: `paid · ${source}` }
        : { kind: 'utm', channel: `utm · ${source}${medium ? `/${medium}` : ''}` };
    }
    default:
      return null;
  }
}

/** Event types that can be touches or orders: what the report reads. */
export const journeyEventTypes = [
  'email_clicked',
  'email_opened',
  'email_sent',
  'sms_clicked',
  'sms_sent',
  'app_opened',
  'social_engaged',
  'page_viewed',
  'order_completed',
];

export interface CustomerJourneys {
  journeys: Journey[];
  /** Orders in the period with no touch in their windows (direct or untracked). */
  untouchedOrders: number;
  untouchedRevenue: number;
}

/**
 * One customer's journeys in [from, to): for each order in the period, the touches since the
 * previous order that lie inside their kind's lookback window (a touch serves one order at most);
 * then, if touches in the period follow the last order, one journey that did not convert.
 * `events` must be sorted by time.
 */
export function customerJourneys(
  events: readonly TouchEvent[],
  from: Date,
  to: Date,
  lookback: Lookback,
): CustomerJourneys {
  const out: CustomerJourneys = { journeys: [], untouchedOrders: 0, untouchedRevenue: 0 };
  let pending: { kind: TouchKind; channel: string; t: number }[] = [];
  const [start, end] = [from.getTime(), to.getTime()];
  for (const e of events) {
    const t = e.ts.getTime();
    if (t >= end) break;
    if (e.type !== 'order_completed') {
      const touch = touchOf(e);
      if (touch && lookback[touch.kind] > 0) pending.push({ ...touch, t });
      continue;
    }
    if (t >= start) {
      const touches: Touch[] = pending
        .filter((x) => t - x.t <= lookback[x.kind] * DAY)
        .map((x) => ({ channel: x.channel, ageDays: (t - x.t) / DAY }));
      const revenue = Number(e.props?.revenue ?? 0) || 0;
      if (touches.length > 0) out.journeys.push({ touches, conversions: 1, value: revenue, nulls: 0 });
      else {
        out.untouchedOrders++;
        out.untouchedRevenue += revenue;
      }
    }
    pending = [];
  }
  const open = pending.filter((x) => x.t >= start);
  if (open.length > 0)
    out.journeys.push({
      touches: open.map((x) => ({ channel: x.channel, ageDays: (end - x.t) / DAY })),
      conversions: 0,
      value: 0,
      nulls: 1,
    });
  return out;
}
