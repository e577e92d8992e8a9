import type { RouteDefinition } from '../defineRoute.js';
import { magentoWebhookRoute } from './magentoWebhook.js';
import { shopifyWebhookRoute } from './shopifyWebhook.js';
import { wooCommerceWebhookRoute } from './wooCommerceWebhook.js';

/** The shop platforms' signed webhooks: mounted ahead of the key check and the JSON parser (buildApp). */
export const webhookRoutes: readonly RouteDefinition[] = [
  shopifyWebhookRoute,
  wooCommerceWebhookRoute,
  magentoWebhookRoute,
];
