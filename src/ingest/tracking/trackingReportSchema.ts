import { z } from 'zod';
import { findingKinds, skewBuckets } from '../../db/models/trackingDay.js';

const count = z.number().int().min(0);
const exampleSchema = z.object({
  at: z.string(),
  eventId: z.string().optional(),
  who: z.string().optional(),
  detail: z.string(),
});

const dropSchema = z.object({
  day: z.string(),
  hours: z.number().int().meta({ description: 'Hours of the day compared: 24, or today’s complete hours' }),
  events: count,
  baseline: z.number().meta({ description: 'Median of the same hours on the baseline days' }),
  ratio: z.number(),
  baselineDays: z.number().int().meta({ description: 'How many of the four previous same weekdays the median is of' }),
});

export const trackingRowSchema = z.object({
  source: z.string(),
  type: z.string().meta({
    description:
      'Event type; `(unknown)` for refused unknown types, `(invalid message)` for Segment messages refused before mapping',
  }),
  events: count.meta({ description: 'Events stored (new)' }),
  duplicates: count.meta({ description: 'Deliveries refused because their eventId was already stored' }),
  refused: count,
  anonymous: count.meta({ description: 'Stored with no customer id' }),
  linked: count.meta({ description: 'Of the anonymous ones, copied to a customer by a later identity link' }),
  anonymousOnly: count.meta({ description: 'anonymous − linked: traffic that never linked to a customer' }),
  ordersWithoutViews: count,
  skewed: count.meta({ description: 'Events more than 5 min ahead of receipt or more than 1 h behind' }),
  volume: z.array(z.object({ at: z.string(), events: count })),
  unknownNames: z.array(z.object({ name: z.string(), count })),
  missingProperties: z.array(z.object({ property: z.string(), count })),
  invalid: z.array(z.object({ field: z.string(), count })),
  clockSkew: z.array(z.object({ bucket: z.enum(skewBuckets), count })),
  drops: z.array(dropSchema),
  examples: z.partialRecord(z.enum(findingKinds), z.array(exampleSchema)),
});

export const trackingFindingKinds = [
  'drop',
  ...findingKinds.filter((k) => k !== 'anonymous'),
  'anonymousOnly',
] as const;

export const trackingReportSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    by: z.enum(['day', 'hour']),
    generatedAt: z.string(),
    rows: z.array(trackingRowSchema),
    findings: z
      .array(
        z.object({
          kind: z.enum(trackingFindingKinds),
          source: z.string(),
          type: z.string(),
          count: z.number(),
          detail: z.string(),
          examples: z.array(exampleSchema),
        }),
      )
      .meta({ description: 'What needs a look, drops first, then by count' }),
  })
  .meta({ id: 'TrackingReport' });

export type TrackingRow = z.infer<typeof trackingRowSchema>;
export type TrackingReport = z.infer<typeof trackingReportSchema>;
export type TrackingFinding = TrackingReport['findings'][number];

/** The report's options, as the API's query and the CLI's flags give them. */
export const trackingQuerySchema = z.object({
  from: z.iso.date().optional().meta({ description: 'First UTC day (inclusive); default: six days before today' }),
  to: z.iso.date().optional().meta({ description: 'Last UTC day (exclusive); default: tomorrow, so today is in' }),
  source: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .meta({ description: 'Only this source (api, segment, shopify, import, …)' }),
  type: z.string().min(1).max(100).optional().meta({ description: 'Only this event type' }),
  by: z
    .enum(['day', 'hour'])
    .default('day')
    .meta({ description: 'Volume per day or per hour (hour: 14 days at most)' }),
});

export const MAX_DAYS = 92;
export const MAX_HOUR_DAYS = 14;
