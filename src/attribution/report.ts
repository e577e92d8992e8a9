import { z } from 'zod';
import type { Database } from '../db/database.js';
import { readTimelines } from '../ingest/timeline/readTimelines.js';
import type { Attribution } from './credit.js';
import {
  computeKpis,
  kpiDimensions,
  kpiSettingsSchema,
  type EmailEvent,
  type KpiDimension,
  type KpiRow,
  type Order,
} from './kpis.js';
import { attribute, modelNames, modelParamsSchema, type ModelName } from './models.js';
import { buildPathSet, type Journey } from './paths.js';
import { customerJourneys, journeyEventTypes, lookbackSchema, type TouchEvent } from './touches.js';

const DAY = 86_400_000;

export const reportOptionsSchema = z.object({
  from: z.coerce.date(),
  to: z.coerce.date(),
  lookback: lookbackSchema.default(lookbackSchema.parse({})),
  models: modelParamsSchema.default(modelParamsSchema.parse({})),
  kpis: kpiSettingsSchema.default(kpiSettingsSchema.parse({})),
});
export type ReportOptions = z.input<typeof reportOptionsSchema>;

export interface AttributionResult {
  orders: number;
  revenue: number;
  journeys: number;
  convertingJourneys: number;
  distinctPaths: number;
  /** Orders with no touch in any window: direct or untracked. */
  untouched: { orders: number; revenue: number };
  /** Touches per channel over all journeys (an array: channel names may hold dots). */
  touches: { channel: string; touches: number }[];
  models: Record<ModelName, Attribution>;
}

export interface KpiResult {
  settings: z.output<typeof kpiSettingsSchema>;
  by: Record<KpiDimension, KpiRow[]>;
}

const EMAIL_EVENTS = [
  'email_sent',
  'email_delivered',
  'email_bounced',
  'email_opened',
  'email_clicked',
  'email_unsubscribed',
  'email_complained',
];

/**
 * Reads one period's touches, orders and email events in a single pass over the customer
 * timelines (one document per customer; each holds its events in time order), plus
 * the period's messages, enrolments and segment stays, and computes attribution and KPIs.
 */
export async function buildReports(
  database: Database,
  options: ReportOptions,
  progress?: (done: number, total: number) => void,
): Promise<{ attribution: AttributionResult; kpis: KpiResult }> {
  const o = reportOptionsSchema.parse(options);
  if (o.to <= o.from) throw new Error('the period is empty: `to` must be after `from`');
  const { messages: messageStore, enrollments: enrollmentStore, customerSegments } = database.collections;
  const since = new Date(o.from.getTime() - Math.max(...Object.values(o.lookback), o.kpis.attributionDays) * DAY);
  const byCustomer = new Map<string, TouchEvent[]>();
  const emailEvents: EmailEvent[] = [];
  const orders: Order[] = [];
  const types = [...new Set([...journeyEventTypes, ...EMAIL_EVENTS])];
  for await (const { customerId, events } of readTimelines(database, {}, { types, from: since, until: o.to })) {
    if (events.length === 0) continue;
    const list: TouchEvent[] = [];
    byCustomer.set(customerId, list);
    for (const { type, ts, props } of events) {
      list.push({ type, ts, props });
      if (type === 'order_completed') orders.push({ customerId, ts, revenue: Number(props.revenue) || 0 });
      else if (EMAIL_EVENTS.includes(type)) emailEvents.push({ type, customerId, ts, props });
    }
  }

  const journeys: Journey[] = [];
  const untouched = { orders: 0, revenue: 0 };
  const touchCounts = new Map<string, number>();
  let done = 0;
  for (const events of byCustomer.values()) {
    const c = customerJourneys(events, o.from, o.to, o.lookback);
    untouched.orders += c.untouchedOrders;
    untouched.revenue += c.untouchedRevenue;
    for (const j of c.journeys) {
      journeys.push(j);
      for (const t of j.touches) touchCounts.set(t.channel, (touchCounts.get(t.channel) ?? 0) + 1);
    }
    if (++done % 1000 === 0) progress?.(done, byCustomer.size);
  }
  progress?.(byCustomer.size, byCustomer.size);
  const paths = buildPathSet(journeys);
  const models = Object.fromEntries(modelNames.map((m) => [m, attribute(paths, m, o.models)])) as Record<
    ModelName,
    Attribution
  >;
  const converting = journeys.filter((j) => j.conversions > 0);
  const inPeriod = orders.filter((x) => x.ts >= o.from);
  const attribution: AttributionResult = {
    orders: inPeriod.length,
    revenue: inPeriod.reduce((a, x) => a + x.revenue, 0),
    journeys: journeys.length,
    convertingJourneys: converting.length,
    distinctPaths: paths.conversions.length,
    untouched,
    touches: [...touchCounts].map(([channel, touches]) => ({ channel, touches })).sort((a, b) => b.touches - a.touches),
    models,
  };

  const [messages, enrollments, stays] = await Promise.all([
    messageStore
      .find(
        { status: 'sent', sentAt: { $gte: o.from, $lt: o.to } },
        { projection: { _id: 1, customerId: 1, flowId: 1, campaignId: 1, variant: 1 } },
      )
      .toArray(),
    enrollmentStore
      .find(
        { enrolledAt: { $gte: o.from, $lt: o.to } },
        { projection: { _id: 0, flowId: 1, customerId: 1, status: 1, enrolledAt: 1 } },
      )
      .toArray(),
    customerSegments.find({}, { projection: { _id: 1, current: 1, past: 1 } }).toArray(),
  ]);
  const segmentsOf = new Map<string, string[]>();
  for (const s of stays) {
    const ids = [
      ...(s.current ?? []).filter((x) => x.enteredAt && x.enteredAt < o.to),
      ...(s.past ?? []).filter((x) => x.enteredAt && x.enteredAt < o.to && (!x.exitedAt || x.exitedAt >= o.from)),
    ].map((x) => String(x.segmentId));
    if (ids.length > 0) segmentsOf.set(String(s._id), [...new Set(ids)]);
  }
  const input = {
    from: o.from,
    to: o.to,
    messages: messages.map((m) => ({
      id: String(m._id),
      customerId: String(m.customerId),
      flowId: m.flowId ?? undefined,
      campaignId: (m as { campaignId?: string }).campaignId,
      variant: m.variant ?? undefined,
    })),
    emailEvents,
    orders,
    enrollments: enrollments.map((e) => ({
      flowId: String(e.flowId),
      customerId: String(e.customerId),
      status: String(e.status),
      enrolledAt: e.enrolledAt as Date,
    })),
    segmentsOf,
  };
  const by = Object.fromEntries(kpiDimensions.map((d) => [d, computeKpis(input, d, o.kpis)])) as Record<
    KpiDimension,
    KpiRow[]
  >;
  return { attribution, kpis: { settings: o.kpis, by } };
}

/** Stores both reports of a period; the API and the dashboard read the latest of each kind. */
export async function storeReports(
  database: Database,
  options: ReportOptions,
  reports: { attribution: AttributionResult; kpis: KpiResult },
): Promise<{ attributionId: string; kpisId: string }> {
  const o = reportOptionsSchema.parse(options);
  const params = { lookback: o.lookback, models: o.models };
  const now = new Date();
  const stored = { from: o.from, to: o.to, createdAt: now, updatedAt: now };
  // Fields left undefined in a report are left out, not stored as null (as the model did).
  const { insertedIds } = await database.collections.reports.insertMany(
    [
      { kind: 'attribution', ...stored, params, result: reports.attribution },
      { kind: 'kpis', ...stored, params: o.kpis, result: reports.kpis },
    ],
    { ignoreUndefined: true },
  );
  return { attributionId: String(insertedIds[0]), kpisId: String(insertedIds[1]) };
}

/** The latest stored report of a kind, for exactly this period when one is given. */
export async function latestReport<T>(
  database: Database,
  kind: 'attribution' | 'kpis',
  period?: { from: Date; to: Date },
): Promise<{ id: string; from: Date; to: Date; params: unknown; result: T; createdAt: Date } | null> {
  const filter = period ? { kind, from: period.from, to: period.to } : { kind };
  // FerretDB sorts in memory after a full scan; reports are few, so that stays cheap.
  const doc = await database.collections.reports.findOne(filter, { sort: { createdAt: -1, _id: -1 } });
  if (!doc) return null;
  return {
    id: String(doc._id),
    from: doc.from,
    to: doc.to,
    params: doc.params,
    result: doc.result as T,
    createdAt: doc.createdAt,
  };
}

export type StoredReport<T> = NonNullable<Awaited<ReturnType<typeof latestReport<T>>>>;

/**
 * The latest stored report of the period, or one computed and stored now (null when no period is
 * given and none is stored). The attribution-report job precomputes the usual periods, so
 * computing here is the exception: a pass over every customer timeline.
 */
export async function reportFor<T>(
  database: Database,
  kind: 'attribution' | 'kpis',
  period?: { from: Date; to: Date },
): Promise<StoredReport<T> | null> {
  const stored = await latestReport<T>(database, kind, period);
  if (stored || !period) return stored;
  await storeReports(database, period, await buildReports(database, period));
  return latestReport<T>(database, kind, period);
}

/** What the API answers and the charts draw: the report with one model or all of them. */
export function attributionView(report: StoredReport<AttributionResult>, model?: ModelName) {
  const r = report.result;
  return {
    reportId: report.id,
    from: report.from.toISOString(),
    to: report.to.toISOString(),
    createdAt: report.createdAt.toISOString(),
    orders: r.orders,
    revenue: r.revenue,
    journeys: r.journeys,
    convertingJourneys: r.convertingJourneys,
    untouched: r.untouched,
    models: (model ? [model] : modelNames).map((m) => ({
      model: m,
      channels: r.models[m].channels,
      details: r.models[m].details,
    })),
  };
}
