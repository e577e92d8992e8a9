import { z } from 'zod';
import { ingestEvents } from '../../ingest/ingestEvents.js';
import { fromSegment, segmentBatchSchema, segmentMessageSchema } from '../../ingest/segmentSpec.js';
import type { Database } from '../../db/database.js';
import { defineRoute } from '../defineRoute.js';
import { AppError } from '../errors.js';
import { ingestSummarySchema } from './events.js';

/**
 * Segment-compatible endpoints: point a Segment library (write key = a Breadcrumb ingest key,
 * sent as the basic-auth user) at `<host>/v1/segment/batch`. Like Segment's own API, a batch is
 * stored partially: valid messages are kept and invalid ones reported, since the libraries do
 * not retry a 4xx and would drop the whole batch.
 */
async function ingestSegment(database: Database, messages: unknown[]) {
  const events: unknown[] = [];
  for (const raw of messages) {
    const parsed = segmentMessageSchema.safeParse(raw);
    // An unparseable message is passed on as-is so that validation reports it with its index.
    events.push(parsed.success ? (fromSegment(parsed.data) ?? { type: 'custom', ...(raw as object), properties: { name: `segment ${parsed.data.type}` } }) : raw);
  }
  const result = await ingestEvents(database, events, { partial: true, source: 'segment' });
  if (!result.ok) throw new AppError('validation_failed', result.error.message, { rejected: result.error.rejected });
  return { success: true, ...result.value };
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
    responses: { 200: { description: 'What was stored', schema: responseSchema } },
    handler: ({ body, database }) => ingestSegment(database, [{ ...body, type }]),
  });

export const segmentRoutes = [
  defineRoute({
    method: 'post',
    path: '/v1/segment/batch',
    summary: 'Segment HTTP API: batch',
    description: 'Accepts `{batch: [...]}` as sent by analytics-node and the other Segment libraries; E-commerce Spec v2 names map to Breadcrumb event types.',
    tags: ['segment'],
    roles: ['admin', 'ingest'],
    request: { body: segmentBatchSchema },
    responses: { 200: { description: 'What was stored', schema: responseSchema } },
    handler: ({ body, database }) => ingestSegment(database, body.batch),
  }),
  ...(['track', 'identify', 'page', 'screen', 'alias'] as const).map(single),
];
