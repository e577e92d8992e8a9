import { createHmac } from 'node:crypto';
import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { startHttpServer, type HttpServer } from '../src/api/httpServer.js';
import { resetConfig } from '../src/config.js';
import { useTestDatabase } from './helpers/db.js';
import { openApiClient, type OpenApiClient } from './helpers/openApiClient.js';

const database = useTestDatabase();
const SECRET = 'shopify-test-secret';
let app: ReturnType<typeof buildApp>;
let api: OpenApiClient;
const keys = { admin: '', marketer: '', ingest: '' };

beforeAll(async () => {
  process.env.SHOPIFY_WEBHOOK_SECRET = SECRET;
  resetConfig();
  app = buildApp({ database: database() });
  api = await openApiClient(app);
  for (const role of ['admin', 'marketer', 'ingest'] as const)
    keys[role] = (await createApiKey(database().models, { role, name: role })).key;
});
afterAll(() => {
  delete process.env.SHOPIFY_WEBHOOK_SECRET;
  resetConfig();
});

const post = (body: unknown, key = keys.ingest, query = '') =>
  api
    .post(`/v1/events${query}`)
    .set('Authorization', `Bearer ${key}`)
    .send(body as object);
const event = (i: number) => ({
  eventId: `api-${i}`,
  type: 'product_viewed',
  customerId: 'api-c1',
  timestamp: '2026-05-01T12:00:00Z',
  properties: { productId: `p${i}`, price: 10 },
});

describe('POST /v1/events', () => {
  it('stores a batch, and a retry stores nothing twice', async () => {
    const first = await post([event(1), event(2)]);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ received: 2, stored: 2, duplicates: 0, eventIds: ['api-1', 'api-2'] });
    const retry = await post([event(1), event(2)]);
    expect(retry.body).toMatchObject({ stored: 0, duplicates: 2 });
  });

  it('accepts a single event object', async () => {
    expect((await post(event(3))).body).toMatchObject({ received: 1, stored: 1 });
  });

  it('refuses a batch with a bad event: 400 with index, field and reason, nothing stored', async () => {
    const res = await post([event(4), { ...event(5), properties: { productId: 'p5', price: 'cheap' } }]);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.rejected).toEqual([expect.objectContaining({ index: 1, field: 'properties.price' })]);
    expect(await database().models.Event.countDocuments({ eventId: { $in: ['api-4', 'api-5'] } })).toBe(0);
  });

  it('stores the valid part with ?partial=true', async () => {
    const res = await post(
      [event(6), { type: 'order_completed', customerId: 'x', properties: {} }],
      keys.ingest,
      '?partial=true',
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ stored: 1, eventIds: ['api-6', null] });
    expect(res.body.rejected.map((r: { field: string }) => r.field)).toEqual(
      expect.arrayContaining(['properties.orderId', 'properties.revenue']),
    );
  });

  it('refuses more than 1,000 events and non-ingest roles', async () => {
    expect((await post(Array.from({ length: 1001 }, (_, i) => event(10_000 + i)))).status).toBe(400);
    expect((await post([event(7)], keys.marketer)).status).toBe(403);
  });
});

describe('Segment compatibility (the official analytics-node client, unchanged)', () => {
  let server: HttpServer;
  beforeAll(async () => {
    server = await startHttpServer(app, { port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => server.close(1000));

  it('maps E-commerce Spec v2 events and keeps unknown names as custom events', async () => {
    const errors: unknown[] = [];
    const analytics = new Analytics({
      writeKey: keys.ingest,
      host: server.url,
      path: '/v1/segment/batch',
      flushAt: 20,
      maxRetries: 0,
    });
    analytics.on('error', (e) => errors.push(e));
    analytics.identify({
      userId: 'seg-1',
      anonymousId: 'seg-anon-1',
      traits: { email: 'Seg@Example.com', first_name: 'Sam', plan: 'gold' },
    });
    analytics.page({
      anonymousId: 'seg-anon-1',
      name: 'Home',
      properties: { path: '/' },
      context: { campaign: { name: 'spring', source: 'newsletter', medium: 'email', term: '', content: '' } },
    });
    analytics.track({
      userId: 'seg-1',
      event: 'Product Viewed',
      properties: { product_id: 'sku-1', category: 'shoes', price: 59.5 },
    });
    analytics.track({
      userId: 'seg-1',
      event: 'Product Added',
      properties: { cart_id: 'cart-9', product_id: 'sku-1', price: 59.5, quantity: 2 },
    });
    analytics.track({
      userId: 'seg-1',
      event: 'Checkout Step Completed',
      properties: { checkout_id: 'co-9', step: 2 },
    });
    analytics.track({
      userId: 'seg-1',
      event: 'Order Completed',
      properties: {
        order_id: 'ord-9',
        checkout_id: 'co-9',
        total: 130,
        revenue: 119,
        shipping: 11,
        discount: 0,
        coupon: 'SPRING',
        currency: 'eur',
        products: [{ product_id: 'sku-1', price: 59.5, quantity: 2, category: 'shoes' }],
      },
    });
    analytics.track({ userId: 'seg-1', event: 'Wishlist Shared', properties: { list: 'summer' } });
    await analytics.closeAndFlush({ timeout: 10_000 });
    expect(errors).toEqual([]);

    const events = await database().models.Event.find({ source: 'segment' }).sort({ ts: 1 }).lean();
    const byType = Object.fromEntries(
      events.map((e) => [e.type === 'custom' ? `custom:${(e.props as { name: string }).name}` : e.type, e]),
    );
    expect(Object.keys(byType).sort()).toEqual([
      'cart_item_added',
      'checkout_step_completed',
      'custom:Wishlist Shared',
      'identify',
      'order_completed',
      'page_viewed',
      'product_viewed',
    ]);
    expect(byType.product_viewed!.props).toMatchObject({ productId: 'sku-1', category: 'shoes', price: 59.5 });
    expect(byType.cart_item_added!.props).toMatchObject({ cartId: 'cart-9', quantity: 2 });
    expect(byType.checkout_step_completed!.props).toMatchObject({ checkoutId: 'co-9', step: 'shipping', stepIndex: 2 });
    expect(byType.order_completed!.props).toMatchObject({
      orderId: 'ord-9',
      revenue: 119,
      shipping: 11,
      couponCode: 'SPRING',
      currency: 'EUR',
      items: [{ productId: 'sku-1', quantity: 2 }],
    });
    expect(byType.page_viewed).toMatchObject({
      customerId: 'seg-1',
      props: { path: '/', utmSource: 'newsletter', utmMedium: 'email' },
    });
    expect(byType['custom:Wishlist Shared']!.props).toMatchObject({ list: 'summer' });
    expect(await database().models.Customer.findById('seg-1').lean()).toMatchObject({
      email: 'seg@example.com',
      firstName: 'Sam',
      traits: { plan: 'gold' },
    });
  });

  it('refuses a write key that is not an API key', async () => {
    const res = await api.post('/v1/segment/track').auth('nope', '').send({ userId: 'x', event: 'Product Viewed' });
    expect(res.status).toBe(401);
  });
});

describe('Shopify webhooks', () => {
  const sign = (body: string, secret = SECRET) => createHmac('sha256', secret).update(body).digest('base64');
  const deliver = (topic: string, payload: unknown, webhookId: string, secret = SECRET) => {
    const body = JSON.stringify(payload);
    return api
      .post('/v1/webhooks/shopify')
      .set({
        'Content-Type': 'application/json',
        'X-Shopify-Topic': topic,
        'X-Shopify-Hmac-Sha256': sign(body, secret),
        'X-Shopify-Webhook-Id': webhookId,
        'X-Shopify-Shop-Domain': 'example.myshopify.com',
      })
      .send(body);
  };
  // Shaped like the examples in Shopify's webhook reference (trimmed to the fields we read).
  const order = {
    id: 820982911946154500,
    email: 'jon@example.com',
    created_at: '2026-04-01T12:00:00-05:00',
    total_price: '199.65',
    subtotal_price: '189.65',
    total_discounts: '10.00',
    total_shipping_price_set: { shop_money: { amount: '20.00', currency_code: 'USD' } },
    currency: 'USD',
    cart_token: 'cart-shop-1',
    checkout_token: 'co-shop-1',
    discount_codes: [{ code: 'TENOFF', amount: '10.00', type: 'fixed_amount' }],
    customer: { id: 115310627314723950, email: 'jon@example.com', first_name: 'Jon', last_name: 'Snow' },
    line_items: [
      {
        id: 866550311766439000,
        product_id: 632910392,
        variant_id: 808950810,
        title: 'IPod Nano - 8GB',
        price: '199.00',
        quantity: 1,
        sku: 'IPOD2008PINK',
        product_type: 'electronics',
      },
    ],
  };

  it('stores an order with its line items, once per order even when orders/paid follows', async () => {
    expect((await deliver('orders/create', order, 'wh-1')).body).toMatchObject({ duplicate: false, stored: 2 });
    expect((await deliver('orders/paid', order, 'wh-2')).body).toMatchObject({ duplicate: false, stored: 0 });
    const stored = await database()
      .models.Event.findOne({ eventId: `shopify:order:${order.id}` })
      .lean();
    expect(stored).toMatchObject({
      type: 'order_completed',
      customerId: '115310627314723950',
      source: 'shopify',
      props: {
        revenue: 199.65,
        discount: 10,
        shipping: 20,
        couponCode: 'TENOFF',
        items: [{ productId: '632910392', price: 199, quantity: 1, category: 'electronics' }],
      },
    });
    expect(stored!.ts.toISOString()).toBe('2026-04-01T17:00:00.000Z');
  });

  it('refuses a wrong signature and deduplicates by X-Shopify-Webhook-Id', async () => {
    const bad = await deliver('orders/create', order, 'wh-3', 'wrong-secret');
    expect(bad.status).toBe(401);
    expect((await deliver('orders/create', order, 'wh-1')).body).toEqual({ duplicate: true, stored: 0 });
  });

  it('links a refund to the customer of its order', async () => {
    const refund = {
      id: 509562969,
      order_id: order.id,
      created_at: '2026-04-03T10:00:00-05:00',
      transactions: [{ kind: 'refund', amount: '41.94', status: 'success' }],
      refund_line_items: [{ quantity: 1, line_item: order.line_items[0] }],
    };
    expect((await deliver('refunds/create', refund, 'wh-4')).status).toBe(200);
    expect(await database().models.Event.findOne({ eventId: 'shopify:refund:509562969' }).lean()).toMatchObject({
      type: 'order_refunded',
      customerId: '115310627314723950',
      props: { orderId: String(order.id), amount: 41.94 },
    });
  });

  it('turns a checkout without an order into step events, so the abandonment is visible', async () => {
    const checkout = {
      id: 901414060,
      token: 'co-abandoned-1',
      cart_token: 'cart-abandoned-1',
      email: 'bob@example.com',
      created_at: '2026-04-05T09:00:00Z',
      updated_at: '2026-04-05T09:04:00Z',
      completed_at: null,
      total_price: '398.00',
      shipping_address: { country: 'Canada' },
      shipping_line: null,
      customer: { id: 207119551, email: 'bob@example.com' },
      line_items: [{ product_id: 632910392, variant_id: 39072856, title: 'IPod Nano', price: '199.00', quantity: 2 }],
    };
    await deliver('checkouts/create', checkout, 'wh-5');
    await deliver('checkouts/update', { ...checkout, updated_at: '2026-04-05T09:06:00Z' }, 'wh-6');
    const events = await database().models.Event.find({ 'props.checkoutId': 'co-abandoned-1' }).lean();
    expect(events.map((e) => `${e.type}:${(e.props as { step?: string }).step ?? ''}`).sort()).toEqual([
      'checkout_started:',
      'checkout_step_completed:contact',
      'checkout_step_viewed:shipping',
    ]);
    expect(events.every((e) => e.customerId === '207119551')).toBe(true);
  });

  it('records customers/update traits and marketing consent', async () => {
    const customer = {
      id: 706405506930370000,
      email: 'bob@biller.com',
      first_name: 'Bob',
      last_name: 'Biller',
      updated_at: '2026-04-06T10:00:00-04:00',
      email_marketing_consent: { state: 'unsubscribed' },
      default_address: { country: 'Canada' },
    };
    expect((await deliver('customers/update', customer, 'wh-7')).status).toBe(200);
    expect(await database().models.Customer.findById('706405506930370000').lean()).toMatchObject({
      email: 'bob@biller.com',
      firstName: 'Bob',
      country: 'Canada',
      consent: { email: { status: 'denied' } },
    });
  });
});
