import { isUtf8 } from 'node:buffer';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import express, { type Router } from 'express';
import { z } from 'zod';
import { config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { ingestEvents } from '../../ingest/ingestEvents.js';
import { fromShopify, shopifyTopics, type ShopifyTopic } from '../../ingest/shopify.js';
import { findDelivery, recordDeliveries } from '../../ingest/webhookDeliveries.js';
import { AppError, errorBodySchema } from '../errors.js';

export const SHOPIFY_WEBHOOK_PATH = '/v1/webhooks/shopify';

const shopifyWebhookReplySchema = z.object({
  duplicate: z.boolean().describe('a delivery id seen before: nothing stored'),
  stored: z.number().int(),
  duplicates: z.number().int().optional(),
});
type ShopifyWebhookReply = z.infer<typeof shopifyWebhookReplySchema>;

/** Shopify signs the raw body: base64 HMAC-SHA256 with the app's shared secret. */
export function verifyShopifyHmac(rawBody: Buffer, header: string | undefined, secret: string): boolean {
  if (!header) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  const given = Buffer.from(header, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * `POST /v1/webhooks/shopify`: authenticated by the HMAC signature rather than an API key, so it
 * is mounted ahead of the key check with its own raw-body parser (the signature covers the exact
 * bytes). Deliveries are deduplicated by `X-Shopify-Webhook-Id`, recorded only after the events
 * are stored, so a delivery that failed half-way is processed again on Shopify's retry.
 */
export function shopifyWebhookRouter(database: Database): Router {
  const router = express.Router();
  router.post(SHOPIFY_WEBHOOK_PATH, express.raw({ type: () => true, limit: config().BODY_LIMIT }), async (req, res) => {
    const secret = config().SHOPIFY_WEBHOOK_SECRET;
    if (!secret) throw new AppError('unauthorized', 'Shopify webhooks are not configured: set SHOPIFY_WEBHOOK_SECRET');
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!verifyShopifyHmac(raw, req.get('x-shopify-hmac-sha256'), secret))
      throw new AppError('unauthorized', 'X-Shopify-Hmac-Sha256 does not match the body');
    const topic = req.get('x-shopify-topic') as ShopifyTopic | undefined;
    if (!topic || !shopifyTopics.includes(topic))
      throw new AppError(
        'bad_request',
        `unsupported X-Shopify-Topic "${topic ?? ''}"; supported: ${shopifyTopics.join(', ')}`,
      );
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
    const payload = parsed as Record<string, unknown>;
    // The signature covers the body only, so anyone holding one signed delivery could resend it
    // under another topic (an order as `orders/cancelled` becomes a refund). Each signed body is
    // remembered with its topic; a resend under a topic that reads it differently is refused.
    const bodyId = `shopify-body:${createHash('sha256').update(raw).digest('hex')}`;
    const seen = await findDelivery(database, bodyId);
    const seenTopic = seen?.topic as ShopifyTopic | undefined;
    if (
      seenTopic &&
      seenTopic !== topic &&
      !isDeepStrictEqual(fromShopify(seenTopic, payload), fromShopify(topic, payload))
    ) {
      throw new AppError(
        'unauthorized',
        `this signed body was delivered as ${seenTopic}; it is not accepted again as ${topic}`,
      );
    }
    const deliveryId = req.get('x-shopify-webhook-id');
    if (deliveryId && (await findDelivery(database, `shopify:${deliveryId}`))) {
      res.json({ duplicate: true, stored: 0 } satisfies ShopifyWebhookReply);
      return;
    }
    const result = await ingestEvents(database, fromShopify(topic, payload), { source: 'shopify' });
    if (!result.ok) throw new AppError('validation_failed', result.error.message, { rejected: result.error.rejected });
    const receivedAt = new Date();
    const records = [
      ...(seen ? [] : [{ _id: bodyId, source: 'shopify', topic, receivedAt }]),
      ...(deliveryId
        ? [{ _id: `shopify:${deliveryId}`, source: 'shopify', topic, receivedAt, events: result.value.stored }]
        : []),
    ];
    if (records.length) await recordDeliveries(database, records);
    res.json({
      duplicate: false,
      stored: result.value.stored,
      duplicates: result.value.duplicates,
    } satisfies ShopifyWebhookReply);
  });
  return router;
}

export function documentShopifyWebhook(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: SHOPIFY_WEBHOOK_PATH,
    summary: 'Shopify webhook receiver',
    description: `Topics: ${shopifyTopics.join(', ')}. Authenticated by X-Shopify-Hmac-Sha256 (HMAC-SHA256 of the raw body with SHOPIFY_WEBHOOK_SECRET), not by an API key; deduplicated by X-Shopify-Webhook-Id.`,
    tags: ['ingest'],
    request: {
      headers: z.object({
        'x-shopify-topic': z.enum(shopifyTopics),
        'x-shopify-hmac-sha256': z.string(),
        'x-shopify-webhook-id': z.string().optional(),
      }),
    },
    responses: {
      200: {
        description: 'Stored (or recognised as a repeated delivery)',
        content: { 'application/json': { schema: shopifyWebhookReplySchema } },
      },
      400: {
        description: 'Unsupported topic, a body that is not a UTF-8 JSON object, or events that do not validate',
        content: { 'application/json': { schema: errorBodySchema } },
      },
      401: {
        description: 'Signature missing or wrong, or a signed body resent under a topic that reads it differently',
        content: { 'application/json': { schema: errorBodySchema } },
      },
      default: {
        description: 'Any other error: 413, 429 (Retry-After), 500, 503 (Retry-After)',
        content: { 'application/json': { schema: errorBodySchema } },
      },
    },
  });
}
