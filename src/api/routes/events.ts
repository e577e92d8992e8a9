import { z } from 'zod';
import { eventTypes } from '../../ingest/eventSchemas.js';
import { ingestEvents } from '../../ingest/ingestEvents.js';
import { defineRoute, Reply } from '../defineRoute.js';
import { AppError } from '../errors.js';

const rejectionSchema = z
  .object({ index: z.number().int(), field: z.string(), reason: z.string() })
  .meta({ id: 'EventRejection' });

export const ingestSummarySchema = z
  .object({
    received: z.number().int(),
    stored: z.number().int(),
    duplicates: z.number().int().meta({ description: 'events whose eventId was already stored (a retried batch)' }),
    queued: z.number().int().meta({
      description:
        'events queued to be stored in the background (status 202, a busy intake); stored and duplicates are counted then',
    }),
    rejected: z.array(rejectionSchema),
    eventIds: z
      .array(z.string().nullable())
      .meta({ description: 'eventId per input position, generated where none was sent; null where rejected' }),
  })
  .meta({ id: 'IngestSummary' });

/** The body is one event or an array; each is validated by the domain so errors carry their index. */
const eventsBody = z.union([z.array(z.unknown()).min(1).max(1000), z.looseObject({ type: z.string() })]).meta({
  id: 'EventBatch',
  description: `one event, or an array of up to 1,000 events (1 MB at most): {eventId?, type, customerId | anonymousId, timestamp?, channel?, device?, sessionId?, properties}; type is one of ${eventTypes.join(', ')}; docs/api.md lists each type's properties. Property keys may not start with $, contain a dot, or be __proto__/constructor/prototype; properties nest at most 32 levels, and an array may not directly hold arrays`,
});

export const eventRoutes = [
  defineRoute({
    method: 'post',
    path: '/v1/events',
    summary: 'Send one event or a batch',
    description:
      'Idempotent by eventId: a retried batch stores nothing twice and reports the duplicates. By default a batch with any invalid event is refused whole (400, nothing stored); with `?partial=true` the valid events are stored and the invalid listed.',
    tags: ['ingest'],
    roles: ['admin', 'ingest'],
    request: { body: eventsBody, query: z.object({ partial: z.enum(['true', 'false']).default('false') }) },
    responses: {
      200: { description: 'What was stored', schema: ingestSummarySchema },
      202: {
        description: 'Accepted while the intake was busy: the events are queued durably and stored in the background',
        schema: ingestSummarySchema,
      },
      400: { description: 'Invalid events: details.rejected lists index, field and reason; nothing was stored' },
    },
    handler: async ({ body, query, database, res }) => {
      const raw = Array.isArray(body) ? body : [body];
      const result = await ingestEvents(database, raw, {
        partial: query.partial === 'true',
        source: 'api',
        queue: res.locals.queueEvents === true,
      });
      if (!result.ok)
        throw new AppError('validation_failed', result.error.message, { rejected: result.error.rejected });
      return result.value.queued ? new Reply(202, result.value) : result.value;
    },
  }),
];
