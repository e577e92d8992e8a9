import type { Request, Response } from 'express';
import { z } from 'zod';
import { renderChartPng } from '../../charts/renderChartPng.js';
import { toCsv } from '../../attribution/csv.js';
import { kpiDimensions, kpiRowSchema, type KpiRow } from '../../attribution/kpis.js';
import { modelNameSchema } from '../../attribution/models.js';
import {
  attributionView,
  reportFor,
  type AttributionResult,
  type KpiResult,
  type StoredReport,
} from '../../attribution/report.js';
import { dashboardData } from '../dashboard/dashboardData.js';
import type { Database } from '../../db/database.js';
import {
  abChart,
  attributionChart,
  kpiChart,
  lifecycleChart,
  segmentSizesChart,
  sendHourChart,
} from '../../charts/chartConfigs.js';
import { defineRoute } from '../defineRoute.js';
import { AppError } from '../errors.js';

const instant = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);
const period = {
  from: instant
    .optional()
    .meta({ description: 'Start of the period: a date (UTC midnight) or ISO 8601 time; with `to`' }),
  to: instant.optional().meta({ description: 'End of the period, exclusive; with `from`' }),
  format: z.enum(['json', 'csv', 'png']).optional().meta({
    description: 'csv (or send `Accept: text/csv`), png (the dashboard’s chart, drawn on the server); json by default',
  }),
};

const creditSchema = z.object({ channel: z.string(), conversions: z.number(), value: z.number() });
const attributionSchema = z
  .object({
    reportId: z.string(),
    from: z.string(),
    to: z.string(),
    createdAt: z.string(),
    orders: z.number(),
    revenue: z.number(),
    journeys: z.number(),
    convertingJourneys: z.number(),
    untouched: z
      .object({ orders: z.number(), revenue: z.number() })
      .meta({ description: 'Orders with no touch in any lookback window' }),
    models: z.array(
      z.object({
        model: modelNameSchema,
        channels: z.array(creditSchema),
        details: z.record(z.string(), z.unknown()).optional(),
      }),
    ),
  })
  .meta({ id: 'AttributionReport' });

const wantsCsv = (req: Request, format: string | undefined) =>
  format === 'csv' || (format === undefined && req.accepts(['application/json', 'text/csv']) === 'text/csv');

function sendCsv(res: Response, name: string, csv: string): void {
  res
    .status(200)
    .type('text/csv; charset=utf-8')
    .setHeader('Content-Disposition', `attachment; filename="${name}.csv"`);
  res.send(csv);
}

function sendPng(res: Response, png: Buffer): void {
  res.status(200).type('image/png').send(png);
}

function periodOf(query: { from?: string; to?: string }): { from: Date; to: Date } | undefined {
  if (!query.from && !query.to) return undefined;
  if (!query.from || !query.to)
    throw new AppError('validation_failed', 'from and to go together', {
      issues: [{ path: `query.${query.from ? 'to' : 'from'}`, message: 'required with the other end of the period' }],
    });
  const p = { from: new Date(query.from), to: new Date(query.to) };
  if (p.to <= p.from)
    throw new AppError('validation_failed', 'the period is empty', {
      issues: [{ path: 'query.to', message: 'must be after from' }],
    });
  return p;
}

async function reportOrFail<T>(
  database: Database,
  kind: 'attribution' | 'kpis',
  p: { from: Date; to: Date } | undefined,
): Promise<StoredReport<T>> {
  const report = await reportFor<T>(database, kind, p);
  if (!report)
    throw new AppError(
      'not_found',
      'no report yet: run `npx breadcrumb job run attribution-report`, or ask for a period with from and to',
    );
  return report;
}

export const reportRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/reports/attribution',
    summary: 'Conversions and revenue credited to channels by each attribution model',
    description:
      'Models: first_touch, last_touch, linear, time_decay (7-day half-life), position_based (40/20/40), markov (removal effect, solved exactly) and shapley. Without a period, the latest report; with one, the stored report of that period or one computed now.',
    tags: ['reports'],
    roles: ['admin', 'marketer'],
    request: {
      query: z.object({
        ...period,
        model: modelNameSchema.optional().meta({ description: 'One model; all by default' }),
      }),
    },
    responses: {
      200: {
        description: 'The report (CSV: model,channel,conversions,value; PNG: the models side by side)',
        schema: attributionSchema,
      },
      404: { description: 'No report yet' },
    },
    handler: async ({ database, query, req, res }) => {
      const view = attributionView(
        await reportOrFail<AttributionResult>(database, 'attribution', periodOf(query)),
        query.model,
      );
      if (query.format === 'png') return sendPng(res, renderChartPng(attributionChart(view)));
      if (wantsCsv(req, query.format)) {
        return sendCsv(
          res,
          'attribution',
          toCsv(
            view.models.flatMap((m) => m.channels.map((c) => ({ model: m.model, ...c }))),
            ['model', 'channel', 'conversions', 'value'],
          ),
        );
      }
      return view;
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/reports/kpis',
    summary: 'Email KPIs by segment, flow, campaign or variant, with holdout comparisons',
    tags: ['reports'],
    roles: ['admin', 'marketer'],
    request: { query: z.object({ ...period, by: z.enum(kpiDimensions).default('flow') }) },
    responses: {
      200: {
        description: 'One row per group (CSV: the same columns, holdout flattened)',
        schema: z.object({
          reportId: z.string(),
          from: z.string(),
          to: z.string(),
          by: z.enum(kpiDimensions),
          items: z.array(kpiRowSchema),
        }),
      },
      404: { description: 'No report yet' },
    },
    handler: async ({ database, query, req, res }) => {
      const report = await reportOrFail<KpiResult>(database, 'kpis', periodOf(query));
      const items: KpiRow[] = report.result.by[query.by] ?? [];
      if (query.format === 'png')
        return sendPng(res, renderChartPng((query.by === 'variant' ? abChart : kpiChart)({ by: query.by, items })));
      if (wantsCsv(req, query.format)) {
        const flat = items.map(({ holdout, ...r }) => ({
          ...r,
          holdoutRecipients: holdout?.recipients,
          holdoutSize: holdout?.holdout,
          incrementalPerRecipient: holdout?.incrementalPerRecipient,
          incrementalCiLow: holdout?.ci95[0],
          incrementalCiHigh: holdout?.ci95[1],
          attributedPerRecipient: holdout?.attributedPerRecipient,
        }));
        const columns = Object.keys(kpiRowSchema.shape).filter((k) => k !== 'holdout') as (keyof (typeof flat)[number] &
          string)[];
        return sendCsv(
          res,
          `kpis-${query.by}`,
          toCsv(flat, [
            ...columns,
            'holdoutRecipients',
            'holdoutSize',
            'incrementalPerRecipient',
            'incrementalCiLow',
            'incrementalCiHigh',
            'attributedPerRecipient',
          ]),
        );
      }
      return { reportId: report.id, from: report.from.toISOString(), to: report.to.toISOString(), by: query.by, items };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/reports/dashboard',
    summary:
      'What the dashboard draws besides reports and models: segment sizes over time, lifecycle stages and moves, best send hours',
    tags: ['reports'],
    roles: ['admin', 'marketer'],
    request: {
      query: z.object({
        days: z.coerce
          .number()
          .int()
          .min(1)
          .max(730)
          .default(90)
          .meta({ description: 'Segment sizes for this many days back' }),
        chart: z
          .enum(['segmentSizes', 'lifecycle', 'sendHours'])
          .optional()
          .meta({ description: 'Answer with this chart as a PNG instead of the JSON' }),
      }),
    },
    responses: {
      200: {
        description: 'Chart data',
        schema: z.object({
          segmentSizes: z.array(
            z.object({
              segmentId: z.string(),
              name: z.string(),
              points: z.array(z.object({ day: z.string(), size: z.number() })),
            }),
          ),
          lifecycle: z.object({
            stages: z.array(z.object({ stage: z.string(), customers: z.number() })),
            moves: z.array(z.object({ from: z.string(), to: z.string(), count: z.number() })),
          }),
          sendHours: z.object({
            bands: z.array(z.string()),
            counts: z
              .array(z.array(z.number()))
              .meta({ description: 'Per confidence band, customers per best send hour 0–23' }),
          }),
          experiments: z.array(
            z.object({ id: z.string(), name: z.string(), status: z.string(), results: z.unknown() }),
          ),
        }),
      },
    },
    handler: async ({ database, query, res }) => {
      const data = await dashboardData(database, query.days);
      if (!query.chart) return data;
      const config = {
        segmentSizes: () => segmentSizesChart(data.segmentSizes),
        lifecycle: () => lifecycleChart(data.lifecycle),
        sendHours: () => sendHourChart(data.sendHours),
      }[query.chart]();
      return sendPng(res, renderChartPng(config));
    },
  }),
];
