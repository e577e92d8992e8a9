import { isUtf8 } from 'node:buffer';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import express, { type Request } from 'express';
import { z, type ZodObject, type ZodType } from 'zod';
import { config } from '../config.js';
import type { Database } from '../db/database.js';
import { findDelivery, recordDeliveries } from '../ingest/webhookDeliveries.js';
import type { WebhookPayload } from '../ingest/commerceEvents.js';
import { ingestEvents } from '../ingest/ingestEvents.js';
import type { EventSource } from '../ingest/storeEvents.js';
import { defineRoute, type RouteDefinition } from './defineRoute.js';
import { AppError } from './errors.js';
import { webhookTally, type WebhookTally } from './webhookTally.js';

/** What a shop platform's webhooks need besides the steps every signed delivery goes through. */
export interface WebhookConnector<T extends string> {
  source: Extract<EventSource, 'shopify' | 'woocommerce' | 'magento'>;
  /** Shown in errors: "WooCommerce webhooks are not configured". */
  label: string;
  path: string;
  summary: string;
  description: string;
  /** The headers the platform sends, for the OpenAPI document. */
  headers: ZodObject;
  /** The signing secret or key, read per delivery; unset: every delivery is refused. */
  key: () => string | undefined;
  keySetting: string;
  signatureHeader: string;
  verify: (raw: Buffer, signature: string, key: string) => boolean;
  /** An unsigned handshake answered 200 and not stored (the ping of a new WooCommerce webhook). */
  isPing?: (req: Request, raw: Buffer) => boolean;
  topics: readonly T[];
  /** The delivery's topic, from a header or from the signed body. */
  topicOf: (req: Request, payload: WebhookPayload) => string | undefined;
  /**
   * Topics outside `topics`: refused (a Shopify app subscribes to named topics, so another one is
   * a mistake to show), or acknowledged and counted (a shop owner can pick any topic; a refusal
   * would only make the platform retry and then disable the webhook).
   */
  unknownTopics: 'refuse' | 'acknowledge';
  /** What a body of the topic must hold: a body of another topic is refused naming the field. */
  schema?: (topic: T) => ZodType;
  /** The events a delivery means; validated afterwards like any other event. */
  toEvents: (topic: T, payload: WebhookPayload, database: Database) => Promise<unknown[]> | unknown[];
  /** Writes other than events (the product catalogue); returns how many documents it wrote. */
  apply?: (topic: T, payload: WebhookPayload, database: Database) => Promise<number>;
  /** Ids of this delivery or of the resource state it carries: any seen before means a redelivery. */
  deliveryKeys: (req: Request, topic: T, payload: WebhookPayload) => string[];
  /** When the resource last changed: a delivery older than WEBHOOK_MAX_AGE_HOURS is a replay. */
  changedAt?: (topic: T, payload: WebhookPayload) => { field: string; at: Date } | undefined;
  /** Fields the platform reads in every 200 answer (Adobe Commerce continues on `op: success`). */
  ack?: { op: 'success' };
}

export const webhookReplySchema = z.object({
  duplicate: z.boolean().describe('the delivery or the state it carries was received before: nothing stored'),
  stored: z.number().int(),
  duplicates: z.number().int().optional(),
  ignored: z
    .string()
    .optional()
    .describe('a topic Breadcrumb does not read: acknowledged, counted in /health (`webhooks`), nothing stored'),
  ping: z.boolean().optional().describe('the handshake of a new webhook: nothing stored'),
  op: z.literal('success').optional().describe('Adobe Commerce webhooks continue the operation on it'),
});
type WebhookReply = z.infer<typeof webhookReplySchema>;

/** Base64 HMAC-SHA256 of the raw body (Shopify, WooCommerce), compared in constant time. */
export function verifyHmacBase64(raw: Buffer, signature: string, secret: string): boolean {
  const expected = createHmac('sha256', secret).update(raw).digest();
  const given = Buffer.from(signature, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function parseObject(raw: Buffer): WebhookPayload {
  // Decoding would turn invalid UTF-8 into U+FFFD and store it: refuse it, as the JSON API does.
  if (!isUtf8(raw)) throw new AppError('bad_request', 'the body is not valid UTF-8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new AppError('invalid_json', 'the body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new AppError('bad_request', 'the body must be a JSON object');
  return parsed as WebhookPayload;
}

/** The signature over the exact bytes, before anything reads them. */
function requireSignature<T extends string>(
  connector: WebhookConnector<T>,
  req: Request,
  raw: Buffer,
  tally: WebhookTally,
): void {
  const { source, label, signatureHeader } = connector;
  const key = connector.key();
  if (!key)
    throw new AppError('unauthorized', `${label} webhooks are not configured: set ${connector.keySetting}`, {
      field: connector.keySetting,
      reason: 'unset',
    });
  const signature = req.get(signatureHeader);
  if (!signature || !connector.verify(raw, signature, key)) {
    tally.count(source, 'forged');
    throw new AppError('unauthorized', `${signatureHeader} does not match the body`, {
      field: signatureHeader,
      reason: signature ? 'mismatch' : 'missing',
    });
  }
}

/**
 * A signed delivery can still be a replay: of a resource state older than the window, or of a body
 * received before under another topic. Returns the body's record, to be written once it is stored.
 */
async function refuseReplays<T extends string>(
  connector: WebhookConnector<T>,
  database: Database,
  topic: T,
  payload: WebhookPayload,
  raw: Buffer,
  tally: WebhookTally,
): Promise<{ bodyId: string; seen: boolean }> {
  const { source } = connector;
  const changed = connector.changedAt?.(topic, payload);
  const maxAgeMs = config().WEBHOOK_MAX_AGE_HOURS * 3_600_000;
  if (changed && Date.now() - changed.at.getTime() > maxAgeMs) {
    tally.count(source, 'replayed');
    throw new AppError(
      'unauthorized',
      `a replayed delivery: ${changed.field} is ${changed.at.toISOString()}, more than ${config().WEBHOOK_MAX_AGE_HOURS} h ago`,
      { field: `body.${changed.field}`, reason: 'replay' },
    );
  }
  // The signature covers the body only, so anyone holding one signed delivery could resend it
  // under another topic (an order as a cancellation becomes a refund). Each signed body is
  // remembered with its topic; a resend under a topic that reads it differently is refused.
  const bodyId = `${source}-body:${createHash('sha256').update(raw).digest('hex')}`;
  const seen = await findDelivery(database, bodyId);
  const seenTopic = seen?.topic as T | undefined;
  if (
    seenTopic &&
    seenTopic !== topic &&
    !isDeepStrictEqual(
      await connector.toEvents(seenTopic, payload, database),
      await connector.toEvents(topic, payload, database),
    )
  ) {
    tally.count(source, 'replayed');
    throw new AppError(
      'unauthorized',
      `this signed body was delivered as ${seenTopic}; it is not accepted again as ${topic}`,
      { field: 'topic', reason: 'replay' },
    );
  }
  return { bodyId, seen: Boolean(seen) };
}

/**
 * One receiver for every platform's signed webhooks, in the order that keeps a forged or replayed
 * delivery from storing anything: the signature over the exact bytes before the body is parsed,
 * then the topic, the body's shape for that topic, its age, a topic swap, a redelivery; delivery
 * records are written only after the events are stored, so a delivery that failed half-way is
 * processed again on the platform's retry.
 */
async function receive<T extends string>(
  connector: WebhookConnector<T>,
  database: Database,
  req: Request,
): Promise<WebhookReply> {
  const { source, label } = connector;
  const tally = webhookTally(req.app);
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const reply = (r: WebhookReply): WebhookReply => ({ ...r, ...connector.ack });
  if (connector.isPing?.(req, raw)) {
    tally.count(source, 'ping');
    return reply({ duplicate: false, stored: 0, ping: true });
  }
  requireSignature(connector, req, raw, tally);
  const payload = parseObject(raw);
  const named = connector.topicOf(req, payload);
  if (!named || !(connector.topics as readonly string[]).includes(named)) {
    if (connector.unknownTopics === 'refuse')
      throw new AppError(
        'bad_request',
        `unsupported ${label} topic "${named ?? ''}"; supported: ${connector.topics.join(', ')}`,
      );
    tally.count(source, `ignored:${(named ?? '(none)').slice(0, 100)}`);
    req.log.info({ source, topic: named }, 'webhook topic not read: acknowledged, nothing stored');
    return reply({ duplicate: false, stored: 0, ignored: named ?? '' });
  }
  const topic = named as T;
  const shape = connector.schema?.(topic).safeParse(payload);
  if (shape && !shape.success)
    throw new AppError('validation_failed', `the body is not a ${label} ${topic} payload`, {
      issues: shape.error.issues.map((i) => ({ path: ['body', ...i.path.map(String)].join('.'), message: i.message })),
    });
  const { bodyId, seen } = await refuseReplays(connector, database, topic, payload, raw, tally);
  const keys = connector.deliveryKeys(req, topic, payload);
  if (keys.length && (await findDelivery(database, keys))) {
    tally.count(source, 'redelivered');
    return reply({ duplicate: true, stored: 0 });
  }
  const result = await ingestEvents(database, await connector.toEvents(topic, payload, database), { source });
  if (!result.ok) throw new AppError('validation_failed', result.error.message, { rejected: result.error.rejected });
  const written = (await connector.apply?.(topic, payload, database)) ?? 0;
  const receivedAt = new Date();
  const events = result.value.stored + written;
  const records = [
    ...(seen ? [] : [{ _id: bodyId, source, topic, receivedAt }]),
    ...keys.map((_id) => ({ _id, source, topic, receivedAt, events })),
  ];
  if (records.length) await recordDeliveries(database, records);
  tally.count(source, 'processed');
  return reply({ duplicate: false, stored: events, duplicates: result.value.duplicates });
}

/**
 * The route of a platform's webhooks: public (the signature stands in for a key), reading the raw
 * body itself because the signature covers the exact bytes. Mount it ahead of the key check and
 * the JSON parser (buildApp does).
 */
export function signedWebhookRoute<T extends string>(connector: WebhookConnector<T>): RouteDefinition {
  const route = defineRoute({
    method: 'post',
    path: connector.path,
    summary: connector.summary,
    description: connector.description,
    tags: ['ingest'],
    roles: 'public',
    signedBy: connector.signatureHeader,
    responses: {
      200: {
        description: 'Stored, or recognised as a redelivery, a ping or an unread topic',
        schema: webhookReplySchema,
      },
      400: {
        description:
          'A body that is not a UTF-8 JSON object or not the topic’s payload (details.issues names the field), or events that do not validate',
      },
      401: {
        description:
          'Signature missing or wrong, the secret unset, or a replay (a resource changed too long ago, a signed body under another topic); details name the field and reason',
      },
    },
    handler: ({ database, req }) => receive(connector, database, req),
  });
  return {
    ...route,
    openapi: {
      ...route.openapi,
      request: {
        headers: connector.headers,
        body: { required: true, content: { 'application/json': { schema: z.looseObject({}) } } },
      },
    },
    handlers: (database) => [
      express.raw({ type: () => true, limit: config().BODY_LIMIT }),
      ...route.handlers(database),
    ],
  };
}
