import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import express, { type Request, type Router } from 'express';
import { z } from 'zod';
import { config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { ga4PayloadSchema } from '../../ingest/ga4Payload.js';
import { validationCodes, type ValidationMessage } from '../../ingest/ga4Rules.js';
import { ingestGa4 } from '../../ingest/ingestGa4.js';
import { authenticate, authorizationHeader, authorize, type KeyLocation } from '../auth.js';
import { AppError, errorBodySchema, type ErrorType } from '../errors.js';
import { BEARER_SCHEME } from '../openapi.js';

export const GA4_COLLECT_PATH = '/mp/collect';
export const GA4_DEBUG_PATH = '/debug/mp/collect';
const GA4_ROLES = ['admin', 'ingest'] as const;
const API_SECRET_SCHEME = 'ga4ApiSecret';

/**
 * GA4 sends its secret in the URL. Ours is a Breadcrumb ingest key (hashed at rest, revocable,
 * rate-limited, role-checked like every key: src/api/apiKeys.ts), not a secret per measurement id
 * in the environment: a shop points its server-side tag at us with a key it can revoke without
 * a restart. The URL is logged with the secret masked (buildApp); a sender that can set headers
 * may send the key as `Authorization: Bearer` instead and keep it out of URLs altogether.
 */
const apiSecret: KeyLocation = {
  keyOf: (req) => (typeof req.query.api_secret === 'string' && req.query.api_secret) || authorizationHeader.keyOf(req),
  missing: 'missing api_secret: send a Breadcrumb ingest key as ?api_secret=<key> (or Authorization: Bearer <key>)',
};

/** /mp/collect's error for a refused request: a body-level problem is no field's, a too-large body is a 413. */
function refusalType(first: ValidationMessage): ErrorType {
  if (first.validationCode === 'MAX_BODY_SIZE_EXCEEDED') return 'payload_too_large';
  return first.fieldPath ? 'validation_failed' : 'bad_request';
}

const summarySchema = z.object({
  received: z.number().int().describe('GA4 events in the request'),
  mapped: z
    .number()
    .int()
    .describe('Breadcrumb events they became (a cart event per item; an identify for user_properties)'),
  custom: z.number().int().describe('GA4 events with no mapping, kept as custom events under their GA4 name'),
  stored: z.number().int(),
  duplicates: z.number().int().describe('events already stored (a retried request)'),
  queued: z.number().int().describe('events queued while the intake was busy (status 202), stored in the background'),
});

const validationSchema = z.object({
  validationMessages: z.array(
    z.object({ fieldPath: z.string(), description: z.string(), validationCode: z.enum(validationCodes) }),
  ),
});

const bodyOf = (req: Request) => (Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));

/**
 * `POST /mp/collect` and `POST /debug/mp/collect`: GA4's Measurement Protocol, so a shop tagging
 * for GA4 sends the same events here from its server (sGTM, a backend). Mounted ahead of the JSON
 * parser: the body is read raw, as GA4 reads any content type, and checked against GA4's 130 kB.
 *
 * GA4 answers 2xx even when it drops a payload; /mp/collect answers 400 with our error shape
 * (details.validationMessages in GA4's format) and stores nothing, so a broken tag is seen the
 * day it breaks. /debug/mp/collect answers GA4's validation format and never stores.
 */
export function ga4Router(database: Database): Router {
  const router = express.Router();
  const guard = [
    authenticate(database.models, apiSecret),
    authorize(GA4_ROLES, 'post'),
    express.raw({ type: () => true, limit: config().BODY_LIMIT }),
  ];
  router.post(GA4_COLLECT_PATH, ...guard, async (req, res) => {
    const result = await ingestGa4(
      database,
      { measurementId: req.query.measurement_id, raw: bodyOf(req) },
      { queue: res.locals.queueEvents === true },
    );
    if (!result.ok) {
      const [first, ...more] = result.messages;
      throw new AppError(
        refusalType(first!),
        `nothing was stored: ${first!.fieldPath || '(body)'}: ${first!.description}${more.length ? ` (and ${more.length} more)` : ''}`,
        { validationMessages: result.messages },
      );
    }
    // The unmapped (custom) count per request, for whoever watches the tag's health.
    req.log.info({ ...result.value, measurementId: req.query.measurement_id }, 'ga4 events received');
    res.status(result.value.queued ? 202 : 200).json(result.value);
  });
  router.post(GA4_DEBUG_PATH, ...guard, async (req, res) => {
    const input = { measurementId: req.query.measurement_id, raw: bodyOf(req) };
    const result = await ingestGa4(database, input, { dryRun: true });
    res.json({ validationMessages: result.ok ? [] : result.messages } satisfies z.infer<typeof validationSchema>);
  });
  return router;
}

export function documentGa4(registry: OpenAPIRegistry): void {
  const query = z.object({
    measurement_id: z.string().describe('the GA4 stream this comes from (G-XXXXXXX): kept on each event'),
    api_secret: z
      .string()
      .optional()
      .describe('a Breadcrumb API key with role ingest or admin (or send it as Authorization: Bearer)'),
  });
  registry.registerComponent('securitySchemes', API_SECRET_SCHEME, {
    type: 'apiKey',
    in: 'query',
    name: 'api_secret',
    description: 'A Breadcrumb API key in GA4’s `api_secret` query parameter (or the bearer scheme instead).',
  });
  const common = {
    tags: ['ga4'],
    // Either scheme: the access tests walk the document by `x-roles`, so these paths are checked too.
    security: [BEARER_SCHEME, API_SECRET_SCHEME].map((scheme): Record<string, string[]> => ({ [scheme]: [] })),
    'x-roles': [...GA4_ROLES],
    request: {
      query,
      body: { content: { 'application/json': { schema: ga4PayloadSchema } } },
    },
  };
  const errors = {
    401: {
      description: 'api_secret missing or not a live key',
      content: { 'application/json': { schema: errorBodySchema } },
    },
    403: { description: 'the key’s role may not ingest', content: { 'application/json': { schema: errorBodySchema } } },
  };
  registry.registerPath({
    method: 'post',
    path: GA4_COLLECT_PATH,
    summary: 'GA4 Measurement Protocol intake',
    description:
      'A GA4 Measurement Protocol request (docs/ga4.md): e-commerce events, page_view with campaign and referrer, custom events. Idempotent: a retried request stores nothing twice; a purchase is one order per transaction_id. Any invalid event refuses the whole request (400, nothing stored).',
    ...common,
    responses: {
      200: { description: 'What was stored', content: { 'application/json': { schema: summarySchema } } },
      202: {
        description: 'Accepted while the intake was busy: queued, stored in the background',
        content: { 'application/json': { schema: summarySchema } },
      },
      400: {
        description: 'Refused, nothing stored: error.details.validationMessages lists each problem in GA4’s format',
        content: { 'application/json': { schema: errorBodySchema } },
      },
      ...errors,
      413: {
        description: 'The body is 130 kB or more (GA4’s limit)',
        content: { 'application/json': { schema: errorBodySchema } },
      },
    },
  });
  registry.registerPath({
    method: 'post',
    path: GA4_DEBUG_PATH,
    summary: 'GA4 Measurement Protocol validation',
    description:
      'Validates like /mp/collect, stores nothing, and answers GA4’s validation server format: an empty list means /mp/collect would store the request.',
    ...common,
    responses: {
      200: { description: 'GA4 validation messages', content: { 'application/json': { schema: validationSchema } } },
      ...errors,
    },
  });
}
