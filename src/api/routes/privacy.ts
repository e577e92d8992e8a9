import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import type { Actor } from '../../privacy/audit.js';
import { eraseCustomer } from '../../privacy/eraseCustomer.js';
import { EXPORT_FORMAT, exportCustomer } from '../../privacy/exportCustomer.js';
import type { ApiKeyPrincipal } from '../apiKeys.js';
import { defineRoute } from '../defineRoute.js';
import { AppError } from '../errors.js';

const params = z.object({ id: z.string().min(1).max(200).meta({ description: 'The customer id' }) });
const docs = z.array(z.record(z.string(), z.unknown()));
const doc = z.record(z.string(), z.unknown()).nullable();

const exportSchema = z
  .object({
    format: z.literal(EXPORT_FORMAT),
    customerId: z.string(),
    exportedAt: z.string(),
    identifiers: z.object({ anonymousIds: z.array(z.string()), emails: z.array(z.string()) }),
    customer: doc.meta({ description: 'The customer record, with consent per channel' }),
    suppressions: docs,
    identities: docs,
    features: doc,
    featureSnapshots: docs,
    scores: doc,
    segments: z.object({
      state: doc,
      memberRows: z.array(
        z.object({
          segmentId: z.string(),
          version: z.number(),
          page: z.number(),
          row: z.record(z.string(), z.unknown()),
        }),
      ),
    }),
    enrollments: docs,
    messages: docs.meta({ description: 'With address, subject and tracked links' }),
    messageClaims: docs,
    recommendations: doc,
    simTruth: doc,
    events: docs.meta({ description: 'Their events and those of anonymous ids linked to them, oldest first' }),
    counts: z.record(z.string(), z.number()),
  })
  .meta({ id: 'PrivacyExport' });

const erasureSchema = z
  .object({
    customerId: z.string(),
    erased: z.literal(true),
    counts: z.record(z.string(), z.number()).meta({ description: 'Documents deleted or anonymised, by collection' }),
  })
  .meta({ id: 'PrivacyErasure' });

/** A guarded route always has a key; the audit log names it by id. */
const actorOf = (apiKey: ApiKeyPrincipal | undefined): Actor => ({ type: 'api_key', id: apiKey!.id });

/** The reader hung up mid-export: nothing to answer, and not our failure. */
const isPrematureClose = (err: unknown) => (err as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE';

export const privacyRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/privacy/customers/:id/export',
    summary: 'Everything held about a person, as one JSON document (right of access)',
    description:
      'Streamed: the records first, then the events from a cursor, then counts per section. Found by customer id, anonymous ids linked to it and every address they used. Each export is recorded in the audit log (key id and time, nothing about the person).',
    tags: ['privacy'],
    roles: ['admin'],
    request: { params },
    responses: {
      200: { description: 'The export', schema: exportSchema },
      404: { description: 'Nothing is held about this customer' },
    },
    handler: async ({ database, params, apiKey, res }) => {
      const result = await exportCustomer(database, params.id, actorOf(apiKey));
      if (!result.ok) throw new AppError('not_found', result.error.message);
      res.status(200).setHeader('Content-Type', 'application/json; charset=utf-8');
      res.setHeader('Content-Disposition', 'attachment; filename="privacy-export.json"');
      try {
        await pipeline(Readable.from(result.value), res);
      } catch (err) {
        if (!isPrematureClose(err)) throw err;
      }
      return undefined;
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/v1/privacy/customers/:id',
    summary: 'Erase a person (right to erasure)',
    description:
      'Deletes their events (and those of linked anonymous ids), identities, features, scores, segment memberships, enrolments and recommendations, anonymises their messages (reports keep counting them) and keeps their addresses only as SHA-256 hashes on the suppression list, so they are never mailed again. Idempotent: once erased, the answer is 404. Recorded in the audit log (key id and time, nothing about the person).',
    tags: ['privacy'],
    roles: ['admin'],
    request: { params },
    responses: {
      200: { description: 'Erased', schema: erasureSchema },
      404: { description: 'Nothing is held about this customer (never was, or already erased)' },
    },
    handler: async ({ database, params, apiKey }) => {
      const result = await eraseCustomer(database, params.id, actorOf(apiKey));
      if (!result.ok) throw new AppError('not_found', result.error.message);
      return { customerId: params.id, erased: true as const, counts: result.value.counts };
    },
  }),
];
