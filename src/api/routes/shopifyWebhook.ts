import { z } from 'zod';
import { config } from '../../config.js';
import { fromShopify, shopifyTopics, type ShopifyTopic } from '../../ingest/shopify.js';
import { signedWebhookRoute, verifyHmacBase64 } from '../signedWebhook.js';

/**
 * `POST /v1/webhooks/shopify`: signed with the app's shared secret (base64 HMAC-SHA256 of the raw
 * body in X-Shopify-Hmac-Sha256), deduplicated by X-Shopify-Webhook-Id. A Shopify app subscribes to
 * named topics, so another topic is refused as a mistake rather than acknowledged.
 */
export const shopifyWebhookRoute = signedWebhookRoute<ShopifyTopic>({
  source: 'shopify',
  label: 'Shopify',
  path: '/v1/webhooks/shopify',
  summary: 'Shopify webhook receiver',
  description: `Topics: ${shopifyTopics.join(', ')}. Authenticated by X-Shopify-Hmac-Sha256 (HMAC-SHA256 of the raw body with SHOPIFY_WEBHOOK_SECRET), not by an API key; deduplicated by X-Shopify-Webhook-Id.`,
  headers: z.object({
    'x-shopify-topic': z.enum(shopifyTopics),
    'x-shopify-hmac-sha256': z.string(),
    'x-shopify-webhook-id': z.string().optional(),
  }),
  key: () => config().SHOPIFY_WEBHOOK_SECRET,
  keySetting: 'SHOPIFY_WEBHOOK_SECRET',
  signatureHeader: 'X-Shopify-Hmac-Sha256',
  verify: verifyHmacBase64,
  topics: shopifyTopics,
  topicOf: (req) => req.get('x-shopify-topic'),
  unknownTopics: 'refuse',
  toEvents: (topic, payload) => fromShopify(topic, payload),
  deliveryKeys: (req) => {
    const id = req.get('x-shopify-webhook-id');
    return id ? [`shopify:${id}`] : [];
  },
});
