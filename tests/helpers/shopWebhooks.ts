import { createHmac, createSign, generateKeyPairSync } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll } from 'vitest';
import { buildApp } from '../../src/api/buildApp.js';
import { resetConfig } from '../../src/config.js';
import type { Database } from '../../src/db/database.js';

/**
 * WooCommerce and Magento deliveries as the platforms send them: payloads in their REST v3 /
 * model-data shapes (trimmed to what a receiver reads plus some of what it does not), signed the
 * way each platform signs, posted to the real app.
 */

export const WOO_SECRET = 'woo-test-secret';

/** WooCommerce's GMT time without an offset, `minutesAgo` before now. */
export const wooTime = (minutesAgo = 0) => new Date(Date.now() - minutesAgo * 60_000).toISOString().slice(0, 19);
/** Magento's UTC time, `2026-03-22 16:28:02`. */
export const magentoTime = (minutesAgo = 0) => wooTime(minutesAgo).replace('T', ' ');

export function wooOrder(id: number, over: Record<string, unknown> = {}) {
  return {
    id,
    parent_id: 0,
    status: 'processing',
    currency: 'EUR',
    version: '9.4.1',
    prices_include_tax: false,
    date_created: wooTime(10),
    date_created_gmt: wooTime(10),
    date_modified_gmt: wooTime(1),
    date_paid_gmt: wooTime(9),
    discount_total: '5.00',
    shipping_total: '4.90',
    total: '59.90',
    total_tax: '0.00',
    customer_id: 31,
    order_key: `wc_order_${id}`,
    billing: { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com', country: 'GB' },
    payment_method: 'stripe',
    line_items: [
      {
        id: 315,
        name: 'Wool scarf',
        product_id: 93,
        variation_id: 0,
        quantity: 2,
        subtotal: '40.00',
        total: '35.00',
        sku: 'SCARF-1',
        price: 20,
      },
      {
        id: 316,
        name: 'Gloves',
        product_id: 94,
        variation_id: 0,
        quantity: 1,
        subtotal: '20.00',
        total: '20.00',
        sku: 'GLV-1',
        price: 20,
      },
    ],
    coupon_lines: [{ id: 1, code: 'winter5', discount: '5.00' }],
    refunds: [],
    ...over,
  };
}

export function wooCustomer(id: number, over: Record<string, unknown> = {}) {
  return {
    id,
    date_created_gmt: wooTime(60),
    date_modified_gmt: wooTime(1),
    email: 'grace@example.com',
    first_name: 'Grace',
    last_name: 'Hopper',
    role: 'customer',
    username: 'grace',
    billing: { country: 'US', email: 'grace@example.com' },
    is_paying_customer: false,
    ...over,
  };
}

export function wooProduct(id: number, over: Record<string, unknown> = {}) {
  return {
    id,
    name: 'Wool scarf',
    slug: 'wool-scarf',
    permalink: `https://shop.example/product/wool-scarf-${id}`,
    date_modified_gmt: wooTime(1),
    type: 'simple',
    status: 'publish',
    sku: 'SCARF-1',
    price: '20.00',
    regular_price: '24.00',
    stock_status: 'instock',
    categories: [{ id: 9, name: 'Outerwear', slug: 'outerwear' }],
    tags: [{ id: 3, name: 'winter', slug: 'winter' }],
    images: [{ id: 7, src: 'https://shop.example/scarf.jpg' }],
    ...over,
  };
}

export const signWoo = (body: string | Buffer, secret = WOO_SECRET) =>
  createHmac('sha256', secret).update(body).digest('base64');

let delivery = 0;
/** A WooCommerce delivery: the body as given (a string is sent byte for byte), signed unless told otherwise. */
export function deliverWoo(
  app: Express,
  topic: string,
  payload: unknown,
  opts: { secret?: string; headers?: Record<string, string>; signature?: string | null } = {},
) {
  const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
  const [resource, event] = topic.split('.');
  const signature = opts.signature === undefined ? signWoo(body, opts.secret) : opts.signature;
  return (
    request(app)
      .post('/v1/webhooks/woocommerce')
      .set({
        'Content-Type': 'application/json',
        'User-Agent': 'WooCommerce/9.4.1 Hookshot (WordPress/6.7)',
        'X-WC-Webhook-Source': 'https://shop.example/',
        'X-WC-Webhook-Topic': topic,
        'X-WC-Webhook-Resource': resource ?? '',
        'X-WC-Webhook-Event': event ?? '',
        'X-WC-Webhook-ID': '12',
        'X-WC-Webhook-Delivery-ID': `d${++delivery}`,
        ...(signature === null ? {} : { 'X-WC-Webhook-Signature': signature }),
        ...opts.headers,
      })
      // Byte for byte: supertest would otherwise send a Buffer as its JSON form.
      .serialize((b: unknown) => b as string)
      .send(body)
  );
}

/** The key pair made in the Commerce admin ("Regenerate key pair"); the receiver gets the public half. */
export function magentoKeys() {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKey,
  };
}

/** As Adobe Commerce signs: RSA-SHA256 over the base64 of the body, base64. */
export const signMagento = (body: string, privateKey: ReturnType<typeof magentoKeys>['privateKey']) =>
  createSign('sha256').update(Buffer.from(body).toString('base64')).sign(privateKey, 'base64');

export function deliverMagento(app: Express, payload: unknown, signature: string | null, rawBody?: string) {
  const body = rawBody ?? JSON.stringify(payload);
  return request(app)
    .post('/v1/webhooks/magento')
    .set({
      'Content-Type': 'application/json',
      ...(signature === null ? {} : { 'x-adobe-commerce-webhook-signature': signature }),
    })
    .send(body);
}

export function magentoOrder(id: number, over: Record<string, unknown> = {}) {
  return {
    entity_id: String(id),
    increment_id: `00000${id}`,
    state: 'new',
    status: 'pending',
    quote_id: '501',
    customer_id: '77',
    customer_email: 'linus@example.com',
    customer_firstname: 'Linus',
    customer_is_guest: '0',
    grand_total: '84.5000',
    subtotal: '80.0000',
    discount_amount: '-5.0000',
    shipping_amount: '9.5000',
    order_currency_code: 'EUR',
    coupon_code: 'SPRING5',
    created_at: magentoTime(5),
    updated_at: magentoTime(1),
    items: [
      {
        item_id: '1',
        product_id: '11',
        sku: 'MJ01',
        name: 'Rain jacket',
        product_type: 'configurable',
        price: '80.0000',
        qty_ordered: '1.0000',
      },
      {
        item_id: '2',
        parent_item_id: '1',
        product_id: '12',
        sku: 'MJ01-M',
        name: 'Rain jacket M',
        product_type: 'simple',
        price: '0.0000',
        qty_ordered: '1.0000',
      },
    ],
    ...over,
  };
}

export const magentoEvent = (eventName: string, data: Record<string, unknown>) => ({ eventName, data });

/**
 * The real app with both platforms configured (the Magento key given on one line with `\n`
 * escapes, as an env file holds it), and the settings removed afterwards.
 */
export function useShopWebhookApp(database: () => Database) {
  const keys = magentoKeys();
  let app: Express | undefined;
  beforeAll(() => {
    process.env.WOOCOMMERCE_WEBHOOK_SECRET = WOO_SECRET;
    process.env.MAGENTO_WEBHOOK_PUBLIC_KEY = keys.publicPem.trim().replaceAll('\n', '\\n');
    resetConfig();
    app = buildApp({ database: database() });
  });
  afterAll(() => {
    delete process.env.WOOCOMMERCE_WEBHOOK_SECRET;
    delete process.env.MAGENTO_WEBHOOK_PUBLIC_KEY;
    resetConfig();
  });
  return {
    keys,
    app: () => {
      if (!app) throw new Error('useShopWebhookApp(): the app exists only inside tests and hooks');
      return app;
    },
  };
}
