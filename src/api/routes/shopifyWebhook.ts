import { createHmac, timingSafeEqual } from 'node:crypto';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import express, { type Router } from 'express';
import { z } from 'zod';
import { config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { ingestEvents } from '../../ingest/ingestEvents.js';
import { fromShopify, shopifyTopics, type ShopifyTopic } from '../../ingest/shopify.js';
import { AppError } from '../errors.js';

export const SHOPIFY_WEBHOOK_PATH = '/v1/webhooks/shopify';

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
    if (!verifyShopifyHmac(raw, req.get('x-shopify-hmac-sha256'), secret)) throw new AppError('unauthorized', 'X-Shopify-Hmac-Sha256 does not match the body');
    const topic = req.get('x-shopify-topic') as ShopifyTopic | undefined;
    if (!topic || !shopifyTopics.includes(topic)) throw new AppError('bad_request', `unsupported X-Shopify-Topic "${topic ?? ''}"; supported: ${shopifyTopics.join(', ')}`);
    const deliveryId = req.get('x-shopify-webhook-id');
    const { WebhookDelivery } = database.models;
    if (deliveryId && (await WebhookDelivery.collection.findOne({ _id: `shopify:${deliveryId}` as never }))) {
      res.json({ duplicate: true, stored: 0 });
      return;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new AppError('invalid_json', 'the body is not valid JSON');
    }
    const result = await ingestEvents(database, fromShopify(topic, payload as Record<string, unknown>), { source: 'shopify' });
    if (!result.ok) throw new AppError('validation_failed', result.error.message, { rejected: result.error.rejected });
    if (deliveryId) {
      await WebhookDelivery.collection.insertOne({ _id: `shopify:${deliveryId}` as never, source: 'shopify', topic, receivedAt: new Date(), events: result.value.stored }).catch((err: { code?: number }) => {
        if (err.code !== 11000) throw err;
      });
    }
    res.json({ duplicate: false, stored: result.value.stored, duplicates: result.value.duplicates });
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
    request: { headers: z.object({ 'x-shopify-topic': z.enum(shopifyTopics), 'x-shopify-hmac-sha256': z.string(), 'x-shopify-webhook-id': z.string().optional() }) },
    responses: { 200: { description: 'Stored (or recognised as a repeated delivery)' }, 401: { description: 'Signature missing or wrong' } },
  });
}
