import { z } from 'zod';
import { config } from '../../config.js';
import {
  applyWooCommerceProduct,
  fromWooCommerce,
  wooCommerceChangedAt,
  wooCommerceSchema,
  wooCommerceStateKey,
  wooCommerceTopics,
  type WooCommerceTopic,
} from '../../ingest/woocommerce.js';
import { AppError } from '../errors.js';
import { signedWebhookRoute, verifyHmacBase64 } from '../signedWebhook.js';

/** The handshake WooCommerce sends when a webhook is saved active: a form body, no signature. */
const PING_BODY = /^webhook_id=\d{1,20}$/;

/**
 * `POST /v1/webhooks/woocommerce`: signed with the webhook's secret (base64 HMAC-SHA256 of the raw
 * body in X-WC-Webhook-Signature). A shop owner picks any topic for a webhook, and WooCommerce
 * disables a webhook after repeated failures, so topics not read here are acknowledged and counted.
 */
export const wooCommerceWebhookRoute = signedWebhookRoute<WooCommerceTopic>({
  source: 'woocommerce',
  label: 'WooCommerce',
  path: '/v1/webhooks/woocommerce',
  summary: 'WooCommerce webhook receiver',
  description: `Topics read: ${wooCommerceTopics.join(', ')}; others are acknowledged (200, \`ignored\`) and counted in /health. Authenticated by X-WC-Webhook-Signature (base64 HMAC-SHA256 of the raw body with WOOCOMMERCE_WEBHOOK_SECRET). The unsigned ping of a new webhook (\`webhook_id=N\`) is answered 200. See docs/connectors.md.`,
  headers: z.object({
    'x-wc-webhook-topic': z.string().meta({ example: 'order.updated' }),
    'x-wc-webhook-resource': z.string().optional(),
    'x-wc-webhook-event': z.string().optional(),
    'x-wc-webhook-signature': z.string(),
    'x-wc-webhook-id': z.string().optional(),
    'x-wc-webhook-delivery-id': z.string().optional(),
  }),
  key: () => config().WOOCOMMERCE_WEBHOOK_SECRET,
  keySetting: 'WOOCOMMERCE_WEBHOOK_SECRET',
  signatureHeader: 'X-WC-Webhook-Signature',
  verify: verifyHmacBase64,
  isPing: (req, raw) => !req.get('x-wc-webhook-signature') && raw.length < 64 && PING_BODY.test(raw.toString('latin1')),
  topics: wooCommerceTopics,
  topicOf: (req) => {
    const topic = req.get('x-wc-webhook-topic');
    const [resource, event] = [req.get('x-wc-webhook-resource'), req.get('x-wc-webhook-event')];
    // The headers are not signed; the three name one topic, or the delivery was altered.
    if (topic && ((resource && !topic.startsWith(`${resource}.`)) || (event && !topic.endsWith(`.${event}`))))
      throw new AppError('bad_request', `X-WC-Webhook-Topic "${topic}" disagrees with its resource/event headers`, {
        field: 'X-WC-Webhook-Topic',
        reason: 'inconsistent',
      });
    return topic;
  },
  unknownTopics: 'acknowledge',
  schema: wooCommerceSchema,
  toEvents: fromWooCommerce,
  apply: applyWooCommerceProduct,
  changedAt: wooCommerceChangedAt,
  // By the resource state, not X-WC-Webhook-Delivery-ID (see wooCommerceStateKey).
  deliveryKeys: (_req, topic, payload) => [wooCommerceStateKey(topic, payload)],
});
