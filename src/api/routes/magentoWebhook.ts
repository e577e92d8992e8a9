import { createVerify } from 'node:crypto';
import { z } from 'zod';
import { config } from '../../config.js';
import {
  fromMagento,
  magentoChangedAt,
  magentoSchema,
  magentoStateKey,
  magentoTopicOf,
  magentoTopics,
  type MagentoTopic,
} from '../../ingest/magento.js';
import { signedWebhookRoute } from '../signedWebhook.js';

/**
 * Adobe Commerce signs a webhook with the private half of the key pair made in its admin: an
 * RSA-SHA256 signature of the base64-encoded raw body, base64 in the header. Only the public key
 * is configured here, so nothing on our side can sign.
 */
export function verifyAdobeCommerceSignature(raw: Buffer, signature: string, publicKey: string): boolean {
  try {
    return createVerify('sha256').update(raw.toString('base64')).verify(publicKey, signature, 'base64');
  } catch {
    return false; // a header that is no signature at all (wrong length for the key)
  }
}

/**
 * `POST /v1/webhooks/magento`: Adobe Commerce Webhooks (or the small observer of
 * docs/connectors.md on Magento Open Source) posting observer events. The event name is in the
 * signed body, so a topic cannot be swapped; events not read here are acknowledged and counted,
 * and every 200 says `op: success` so the Commerce operation goes on.
 */
export const magentoWebhookRoute = signedWebhookRoute<MagentoTopic>({
  source: 'magento',
  label: 'Magento',
  path: '/v1/webhooks/magento',
  summary: 'Magento 2 / Adobe Commerce webhook receiver',
  description: `Events read: ${magentoTopics.map((t) => `observer.${t}`).join(', ')}; others are acknowledged (200, \`ignored\`) and counted in /health. Authenticated by x-adobe-commerce-webhook-signature (RSA-SHA256 of the base64 raw body, verified with MAGENTO_WEBHOOK_PUBLIC_KEY). See docs/connectors.md.`,
  headers: z.object({ 'x-adobe-commerce-webhook-signature': z.string() }),
  key: () => config().MAGENTO_WEBHOOK_PUBLIC_KEY,
  keySetting: 'MAGENTO_WEBHOOK_PUBLIC_KEY',
  signatureHeader: 'x-adobe-commerce-webhook-signature',
  verify: verifyAdobeCommerceSignature,
  topics: magentoTopics,
  topicOf: (_req, payload) => magentoTopicOf(payload),
  unknownTopics: 'acknowledge',
  schema: magentoSchema,
  toEvents: fromMagento,
  changedAt: magentoChangedAt,
  deliveryKeys: (_req, topic, payload) => [magentoStateKey(topic, payload)],
  ack: { op: 'success' },
});
