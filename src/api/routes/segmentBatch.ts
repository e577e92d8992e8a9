import { z } from 'zod';
import type { Database } from '../../db/database.js';
import { ingestSegment } from '../../ingest/ingestSegment.js';
import { segmentBatchSchema } from '../../ingest/segmentSpec.js';
import { defineRoute, Reply } from '../defineRoute.js';
import { AppError } from '../errors.js';
import { ingestSummarySchema } from './events.js';

/**
 * Segment-compatible endpoints: point a Segment library (write key = a Breadcrumb ingest key,
 * sent as the basic-auth user) at `<host>/v1/segment/batch`. Like Segment's own API, a batch is
 * stored partially (see ingestSegment); what each spec event and field becomes is in
 * docs/segment-spec.md.
 */
const ingest = async (database: Database, messages: unknown[], queue = false) => ({
  success: true,
  ...(await ingestSegment(database, messages, { queue })),
});

/** One message by hand (curl, a test): when it is refused nothing was stored, and a 400 says why. */
async function ingestOne(database: Database, message: unknown) {
  const summary = await ingest(database, [message]);
  const [refusal] = summary.rejected;
  if (refusal)
    throw new AppError('validation_failed', `the message was not stored: ${refusal.field}: ${refusal.reason}`, {
      rejected: summary.rejected,
    });
  return summary;
}

const responseSchema = ingestSummarySchema.extend({ success: z.boolean() }).meta({ id: 'SegmentIngestSummary' });

const single = (type: 'track' | 'identify' | 'page' | 'screen' | 'alias') =>
  defineRoute({
    method: 'post',
    path: `/v1/segment/${type}`,
    summary: `Segment HTTP API: ${type}`,
    tags: ['segment'],
    roles: ['admin', 'ingest'],
    request: { body: z.looseObject({}) },
    responses: {
      200: { description: 'What was stored', schema: responseSchema },
      400: { description: 'The message was refused; `error.details.rejected` names the field and why' },
    },
    handler: ({ body, database }) => ingestOne(database, { ...body, type }),
  });

export const segmentBatchRoutes = [
  defineRoute({
    method: 'post',
    path: '/v1/segment/batch',
    summary: 'Segment HTTP API: batch',
    description:
      'Accepts `{batch: [...]}` as sent by analytics-node and the other Segment libraries; E-commerce Spec v2 and Email spec names map to Breadcrumb event types (docs/segment-spec.md). Stored partially: 200 with the refused messages listed by index, field and reason.',
    tags: ['segment'],
    roles: ['admin', 'ingest'],
    request: { body: segmentBatchSchema },
    responses: {
      200: { description: 'What was stored', schema: responseSchema },
      202: {
        description: 'Accepted while the intake was busy: the messages are queued durably and stored in the background',
        schema: responseSchema,
      },
    },
    handler: async ({ body, database, res }) => {
      const summary = await ingest(database, body.batch, res.locals.queueEvents === true);
      return summary.queued ? new Reply(202, summary) : summary;
    },
  }),
  ...(['track', 'identify', 'page', 'screen', 'alias'] as const).map(single),
];
