import { z } from 'zod';
import { buildReports, storeReports } from '../src/attribution/report.js';
import { lookbackSchema } from '../src/attribution/touches.js';
import { kpiSettingsSchema } from '../src/attribution/kpis.js';
import { modelParamsSchema } from '../src/attribution/models.js';
import { defineJob } from '../src/jobs/core/defineJob.js';
import { runIfMain } from '../src/jobs/runFromCommandLine.js';

const DAY = 86_400_000;

/**
 * What the email earned in a period, two ways: the touch paths of every order (and of the
 * journeys that did not convert) credited by seven attribution models, and email KPIs by
 * segment, flow, campaign and variant with the holdout comparison. Both are stored as reports;
 * the API and the dashboard read the latest.
 */
const attributionReport = defineJob({
  name: 'attribution-report',
  description: 'attribution by seven models and email KPIs for a period, stored as reports',
  // Not a start-up pipeline stage: a report passes over all the period's events (minutes on a
  // FerretDB demo shop); the nightly run and on-demand API requests produce them.
  schedule: '0 3 * * *',
  options: z.object({
    from: z.coerce.date().optional().describe('start of the period (default: `to` minus `days`)'),
    to: z.coerce
      .date()
      .default(() => new Date(Math.floor(Date.now() / DAY) * DAY))
      .describe('end of the period, exclusive (default: today 00:00 UTC)'),
    days: z.coerce.number().int().min(1).max(366).default(30).describe('length of the period when `from` is not given'),
    // `--exclude-opens` arrives as true, `--exclude-opens no` as a string, Agenda's JSON as a boolean.
    excludeOpens: z.union([z.boolean(), z.stringbool()]).default(false).describe('leave email opens out of the paths'),
    emailClickDays: lookbackSchema.shape.emailClick,
    emailOpenDays: lookbackSchema.shape.emailOpen,
    emailSendDays: lookbackSchema.shape.emailSend,
    smsClickDays: lookbackSchema.shape.smsClick,
    smsSendDays: lookbackSchema.shape.smsSend,
    utmDays: lookbackSchema.shape.utm,
    paidDays: lookbackSchema.shape.paid,
    appDays: lookbackSchema.shape.app,
    socialDays: lookbackSchema.shape.social,
    halfLifeDays: modelParamsSchema.shape.halfLifeDays,
    markovOrder: modelParamsSchema.shape.markovOrder,
    costPerSend: kpiSettingsSchema.shape.costPerSend,
  }),
  async run({ database, progress, log }, o) {
    const from = o.from ?? new Date(o.to.getTime() - o.days * DAY);
    const options = {
      from,
      to: o.to,
      lookback: {
        emailClick: o.emailClickDays,
        emailOpen: o.excludeOpens ? 0 : o.emailOpenDays,
        emailSend: o.emailSendDays,
        smsClick: o.smsClickDays,
        smsSend: o.smsSendDays,
        utm: o.utmDays,
        paid: o.paidDays,
        app: o.appDays,
        social: o.socialDays,
      },
      models: { halfLifeDays: o.halfLifeDays, markovOrder: o.markovOrder },
      kpis: { costPerSend: o.costPerSend },
    };
    const reports = await buildReports(database, options, progress);
    const ids = await storeReports(database, options, reports);
    log.info({ ...ids, from, to: o.to }, 'attribution and KPI reports stored');
    const a = reports.attribution;
    return {
      orders: a.orders,
      journeys: a.journeys,
      convertingJourneys: a.convertingJourneys,
      distinctPaths: a.distinctPaths,
      channels: a.touches.length,
      untouchedOrders: a.untouched.orders,
    };
  },
});

export default attributionReport;
await runIfMain(import.meta.url, attributionReport);
