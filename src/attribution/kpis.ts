import { z } from 'zod';

const DAY = 86_400_000;

export const kpiDimensions = ['segment', 'flow', 'campaign', 'variant'] as const;
export type KpiDimension = (typeof kpiDimensions)[number];

export const kpiSettingsSchema = z.object({
  costPerSend: z.coerce.number().min(0).max(100).default(0.001).describe('cost of one email, for ROI'),
  /** An order counts for the last email the customer clicked or (really) opened within this many days. */
  attributionDays: z.coerce.number().min(0).max(90).default(5),
  /** Holdout comparison: revenue per recipient in this many days after enrolment. */
  holdoutDays: z.coerce.number().min(1).max(180).default(14),
});
export type KpiSettings = z.output<typeof kpiSettingsSchema>;

export interface MessageInfo {
  id: string;
  customerId: string;
  flowId?: string;
  campaignId?: string;
  variant?: string;
}

export interface EmailEvent {
  type: string;
  customerId: string;
  ts: Date;
  props: Record<string, unknown>;
}

export interface Order {
  customerId: string;
  ts: Date;
  revenue: number;
}

export interface EnrollmentInfo {
  flowId: string;
  customerId: string;
  status: string;
  enrolledAt: Date;
}

export interface KpiInput {
  from: Date;
  to: Date;
  messages: MessageInfo[];
  emailEvents: EmailEvent[];
  orders: Order[];
  enrollments: EnrollmentInfo[];
  /** Segments each customer belonged to during the period. */
  segmentsOf: Map<string, string[]>;
}

export const holdoutSchema = z.object({
  recipients: z.number(),
  holdout: z.number(),
  revenuePerRecipient: z.number(),
  revenuePerHoldout: z.number(),
  incrementalPerRecipient: z
    .number()
    .meta({ description: 'Difference of the two means, with a 95% normal-approximation (Welch) interval in ci95' }),
  ci95: z.tuple([z.number(), z.number()]),
  attributedPerRecipient: z.number(),
});
export type Holdout = z.infer<typeof holdoutSchema>;

const rate = z.number().nullable();
/** One group's KPIs: the type the reports store and the API's `KpiRow` schema, defined once. */
export const kpiRowSchema = z
  .object({
    key: z.string(),
    sends: z.number(),
    delivered: z.number(),
    opens: z.number().meta({ description: 'Messages opened by a person (machine opens excluded)' }),
    clicks: z.number(),
    unsubscribes: z.number(),
    complaints: z.number(),
    deliveryRate: rate,
    openRate: rate,
    clickRate: rate,
    clickToOpen: rate,
    unsubscribeRate: rate,
    complaintRate: rate,
    conversions: z.number(),
    revenue: z.number(),
    revenuePerEmail: rate,
    averageOrderValue: rate,
    cost: z.number(),
    roi: rate,
    readingTimeSec: rate,
    holdout: holdoutSchema.nullable().meta({
      description: 'Flows with held-out enrolments: incremental revenue per recipient next to the attributed',
    }),
  })
  .meta({ id: 'KpiRow' });
export type KpiRow = z.infer<typeof kpiRowSchema>;

interface Tally {
  /** Sent in the period (a message record, or an `email_sent` event). */
  sent: boolean;
  /** Any send record at all, in the period or before it. */
  sendSeen: boolean;
  deliveredInPeriod: boolean;
  delivered: boolean;
  bounced: boolean;
  opened: boolean;
  clicked: boolean;
  unsubscribed: boolean;
  complained: boolean;
  reading: number[];
  conversions: number;
  revenue: number;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

/** Messages are known by id; an event without one stands for the customer's message of that flow or campaign. */
function messageKey(customerId: string, p: Record<string, unknown>): string {
  return str(p.messageId) ?? `${customerId}|${str(p.flowId) ?? ''}|${str(p.campaignId) ?? ''}`;
}

/**
 * Email KPIs grouped by segment, flow, campaign or variant, from what each message went through
 * (counted once per message: a second open is not a second open rate), with the orders that
 * followed a real open or a click within `attributionDays` credited to the last such message.
 * Flows with holdout enrolments also get the holdout comparison: what a recipient spent after
 * enrolment against what a held-out customer spent, so attributed and incremental revenue sit
 * side by side.
 */
export function computeKpis(input: KpiInput, by: KpiDimension, settings: Partial<KpiSettings> = {}): KpiRow[] {
  const s = kpiSettingsSchema.parse(settings);
  const info = new Map<string, MessageInfo>(input.messages.map((m) => [m.id, m]));
  const tallies = new Map<string, Tally>();
  const tally = (key: string): Tally => {
    let t = tallies.get(key);
    if (!t)
      tallies.set(
        key,
        (t = {
          sent: false,
          sendSeen: false,
          deliveredInPeriod: false,
          delivered: false,
          bounced: false,
          opened: false,
          clicked: false,
          unsubscribed: false,
          complained: false,
          reading: [],
          conversions: 0,
          revenue: 0,
        }),
      );
    return t;
  };
  for (const m of input.messages) Object.assign(tally(m.id), { sent: true, sendSeen: true });
  const engagements = new Map<string, { t: number; key: string }[]>();
  for (const e of input.emailEvents) {
    const key = messageKey(e.customerId, e.props);
    if (!info.has(key))
      info.set(key, {
        id: key,
        customerId: e.customerId,
        flowId: str(e.props.flowId),
        campaignId: str(e.props.campaignId),
        variant: str(e.props.variant),
      });
    const t = tally(key);
    const inPeriod = e.ts >= input.from && e.ts < input.to;
    switch (e.type) {
      case 'email_sent':
        t.sendSeen = true;
        if (inPeriod) t.sent = true;
        break;
      case 'email_delivered':
        t.delivered = true;
        if (inPeriod) t.deliveredInPeriod = true;
        break;
      case 'email_bounced':
        t.bounced = true;
        break;
      case 'email_opened':
        if (e.props.machineOpen === true) break;
        t.opened = true;
        if (typeof e.props.readingTimeSec === 'number') t.reading.push(e.props.readingTimeSec);
        pushEngagement(engagements, e, key);
        break;
      case 'email_clicked':
        t.clicked = true;
        pushEngagement(engagements, e, key);
        break;
      case 'email_unsubscribed':
        t.unsubscribed = true;
        break;
      case 'email_complained':
        t.complained = true;
        break;
    }
  }
  for (const o of input.orders) {
    if (o.ts < input.from || o.ts >= input.to) continue;
    const key = lastEngagement(engagements.get(o.customerId), o.ts.getTime(), s.attributionDays * DAY);
    if (key === undefined) continue;
    const t = tally(key);
    t.conversions++;
    t.revenue += o.revenue;
  }

  const groups = new Map<string, Tally[]>();
  for (const [key, t] of tallies) {
    // Reports go by send date: a message sent before the period (opened or bought from in it)
    // belongs to the earlier period. Without any send record (an ESP that reports deliveries
    // only), the delivery dates the message.
    if (!t.sent && (t.sendSeen || !t.deliveredInPeriod)) continue;
    t.sent = true;
    const m = info.get(key);
    if (!m) continue;
    for (const g of groupsOf(m, by, input.segmentsOf)) {
      let list = groups.get(g);
      if (!list) groups.set(g, (list = []));
      list.push(t);
    }
  }
  const holdouts = by === 'flow' ? holdoutComparison(input, s.holdoutDays, tallies, info) : new Map<string, Holdout>();
  return [...groups]
    .map(([key, list]) => row(key, list, s.costPerSend, holdouts.get(key) ?? null))
    .sort((a, b) => b.sends - a.sends || a.key.localeCompare(b.key));
}

function pushEngagement(into: Map<string, { t: number; key: string }[]>, e: EmailEvent, key: string): void {
  let list = into.get(e.customerId);
  if (!list) into.set(e.customerId, (list = []));
  list.push({ t: e.ts.getTime(), key });
}

function lastEngagement(
  list: { t: number; key: string }[] | undefined,
  at: number,
  window: number,
): string | undefined {
  let best: { t: number; key: string } | undefined;
  for (const x of list ?? []) if (x.t <= at && at - x.t <= window && (!best || x.t > best.t)) best = x;
  return best?.key;
}

function groupsOf(m: MessageInfo, by: KpiDimension, segmentsOf: Map<string, string[]>): string[] {
  switch (by) {
    case 'flow':
      return m.flowId ? [m.flowId] : [];
    case 'campaign':
      return m.campaignId ? [m.campaignId] : [];
    case 'variant':
      return m.variant ? [`${m.flowId ?? m.campaignId ?? '-'}:${m.variant}`] : [];
    case 'segment':
      return segmentsOf.get(m.customerId) ?? [];
  }
}

function row(key: string, list: Tally[], costPerSend: number, holdout: Holdout | null): KpiRow {
  const count = (f: (t: Tally) => boolean) => list.filter(f).length;
  const sends = count((t) => t.sent);
  // Without delivery receipts (a plain SMTP relay sends none) a message counts as delivered unless it bounced.
  const hasReceipts = list.some((t) => t.delivered);
  const delivered = hasReceipts ? count((t) => t.delivered) : count((t) => t.sent && !t.bounced);
  const opens = count((t) => t.opened);
  const clicks = count((t) => t.clicked);
  const unsubscribes = count((t) => t.unsubscribed);
  const complaints = count((t) => t.complained);
  const conversions = list.reduce((a, t) => a + t.conversions, 0);
  const revenue = list.reduce((a, t) => a + t.revenue, 0);
  const reading = list.flatMap((t) => t.reading);
  const cost = sends * costPerSend;
  return {
    key,
    sends,
    delivered,
    opens,
    clicks,
    unsubscribes,
    complaints,
    deliveryRate: ratio(delivered, sends),
    openRate: ratio(opens, delivered),
    clickRate: ratio(clicks, delivered),
    clickToOpen: ratio(clicks, opens),
    unsubscribeRate: ratio(unsubscribes, delivered),
    complaintRate: ratio(complaints, delivered),
    conversions,
    revenue,
    revenuePerEmail: ratio(revenue, sends),
    averageOrderValue: ratio(revenue, conversions),
    cost,
    roi: cost > 0 ? (revenue - cost) / cost : null,
    readingTimeSec: reading.length > 0 ? reading.reduce((a, b) => a + b, 0) / reading.length : null,
    holdout,
  };
}

/** Per flow with held-out enrolments in the period: revenue per customer in the days after enrolment, both groups. */
function holdoutComparison(
  input: KpiInput,
  days: number,
  tallies: Map<string, Tally>,
  info: Map<string, MessageInfo>,
): Map<string, Holdout> {
  const ordersOf = new Map<string, Order[]>();
  for (const o of input.orders) {
    let list = ordersOf.get(o.customerId);
    if (!list) ordersOf.set(o.customerId, (list = []));
    list.push(o);
  }
  const spend = (customerId: string, since: Date) => {
    const end = Math.min(since.getTime() + days * DAY, input.to.getTime());
    return (ordersOf.get(customerId) ?? []).reduce(
      (a, o) => (o.ts >= since && o.ts.getTime() < end ? a + o.revenue : a),
      0,
    );
  };
  const byFlow = new Map<string, { treated: number[]; held: number[] }>();
  for (const e of input.enrollments) {
    if (e.enrolledAt < input.from || e.enrolledAt >= input.to) continue;
    let g = byFlow.get(e.flowId);
    if (!g) byFlow.set(e.flowId, (g = { treated: [], held: [] }));
    (e.status === 'holdout' ? g.held : g.treated).push(spend(e.customerId, e.enrolledAt));
  }
  const attributed = new Map<string, number>();
  for (const [key, t] of tallies) {
    const flow = info.get(key)?.flowId;
    if (flow) attributed.set(flow, (attributed.get(flow) ?? 0) + t.revenue);
  }
  const out = new Map<string, Holdout>();
  for (const [flowId, { treated, held }] of byFlow) {
    if (held.length === 0 || treated.length === 0) continue;
    const [a, b] = [meanVar(treated), meanVar(held)];
    const diff = a.mean - b.mean;
    const se = Math.sqrt(a.variance / treated.length + b.variance / held.length);
    out.set(flowId, {
      recipients: treated.length,
      holdout: held.length,
      revenuePerRecipient: a.mean,
      revenuePerHoldout: b.mean,
      incrementalPerRecipient: diff,
      ci95: [diff - 1.96 * se, diff + 1.96 * se],
      attributedPerRecipient: (attributed.get(flowId) ?? 0) / treated.length,
    });
  }
  return out;
}

function meanVar(xs: number[]): { mean: number; variance: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.length > 1 ? xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1) : 0;
  return { mean, variance };
}
