import { resolveTrackingQuery } from '../../ingest/tracking/trackingQuery.js';
import { trackingReport } from '../../ingest/tracking/trackingReport.js';
import { trackingQuerySchema, trackingReportSchema } from '../../ingest/tracking/trackingReportSchema.js';
import { defineRoute } from '../defineRoute.js';
import { AppError } from '../errors.js';

export const reportsTrackingRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/reports/tracking',
    summary: 'Tracking quality per source and event type: volume and sudden drops, refusals, clock skew, duplicates',
    description:
      'Built from counters kept as events arrive (one document per day), never by reading events: volume per day or hour with drops flagged (under half the median of the same weekday over four weeks), unknown event names, missing required properties, clock skew, anonymous-only traffic, orders without a prior view and duplicate deliveries, each with the last few examples. See docs/tracking-quality.md.',
    tags: ['reports'],
    roles: ['admin', 'marketer'],
    request: { query: trackingQuerySchema },
    responses: { 200: { description: 'The report of the window', schema: trackingReportSchema } },
    handler: async ({ database, query }) => {
      const q = resolveTrackingQuery(query);
      if (!q.ok)
        throw new AppError('validation_failed', q.error.message, {
          issues: [{ path: `query.${q.error.field}`, message: q.error.message }],
        });
      return trackingReport(database, q.value);
    },
  }),
];
