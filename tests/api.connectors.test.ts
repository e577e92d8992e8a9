import request, { type Response } from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from './helpers/db.js';
import { OpenApiChecker } from './helpers/openApiClient.js';
import {
  deliverMagento,
  deliverWoo,
  magentoEvent,
  magentoOrder,
  magentoTime,
  signMagento,
  useShopWebhookApp,
  wooCustomer,
  wooOrder,
  wooProduct,
  wooTime,
} from './helpers/shopWebhooks.js';

const database = useTestDatabase();
const shop = useShopWebhookApp(database);
const keys = shop.keys;
let app: ReturnType<typeof shop.app>;
let checker: OpenApiChecker;

beforeAll(async () => {
  app = shop.app();
  checker = new OpenApiChecker((await request(app).get('/openapi.json')).body);
});

/** Every answer is held to /openapi.json. */
async function checked(pending: PromiseLike<Response>): Promise<Response> {
  const res = await pending;
  checker.check(res);
  return res;
}
const events = (filter: Record<string, unknown>) => database().collections.events.find(filter).toArray();
const woo = (topic: string, payload: unknown) => checked(deliverWoo(app, topic, payload));
const magento = (payload: unknown) => {
  const body = JSON.stringify(payload);
  return checked(deliverMagento(app, payload, signMagento(body, keys.privateKey)));
};

describe('WooCommerce webhooks', () => {
  it('answers the ping of a new webhook with 200 and stores nothing', async () => {
    const res = await checked(
      request(app)
        .post('/v1/webhooks/woocommerce')
        .set('Content-Type', 'application/x-www-form-urlencoded')
        .send('webhook_id=12'),
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ duplicate: false, stored: 0, ping: true });
    expect(await database().collections.webhookDeliveries.countDocuments({})).toBe(0);
  });

  it('stores one order from order.created and its order.updated deliveries, and a redelivery adds nothing', async () => {
    // Created at checkout while awaiting payment: not a sale yet.
    const pending = wooOrder(4001, { status: 'pending', date_paid_gmt: null, date_modified_gmt: wooTime(3) });
    expect((await woo('order.created', pending)).body).toMatchObject({ duplicate: false, stored: 0 });
    const paid = wooOrder(4001);
    expect((await woo('order.updated', paid)).body).toMatchObject({ duplicate: false, stored: 2 });
    const completed = wooOrder(4001, { status: 'completed', date_modified_gmt: wooTime(0) });
    expect((await woo('order.updated', completed)).body).toMatchObject({ duplicate: false, stored: 0 });
    // The same state again under a new delivery id (WooCommerce's ids repeat within a second anyway).
    expect((await woo('order.updated', completed)).body).toEqual({ duplicate: true, stored: 0 });

    const orders = await events({ type: 'order_completed', source: 'woocommerce' });
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({
      eventId: 'woocommerce:order:4001',
      customerId: '31',
      props: {
        orderId: '4001',
        revenue: 59.9,
        discount: 5,
        shipping: 4.9,
        currency: 'EUR',
        couponCode: 'winter5',
        items: [
          { productId: '93', name: 'Wool scarf', price: 20, quantity: 2 },
          { productId: '94', name: 'Gloves', price: 20, quantity: 1 },
        ],
      },
    });
    expect(orders[0]!.ts.toISOString()).toBe(`${paid.date_created_gmt}.000Z`);
  });

  it('turns a refund into a refund event linked to the order and its customer, once', async () => {
    const refunded = wooOrder(4001, {
      status: 'refunded',
      date_modified_gmt: wooTime(0),
      refunds: [{ id: 4107, reason: 'too small', total: '-20.00' }],
    });
    expect((await woo('order.updated', refunded)).body).toMatchObject({ stored: 1 });
    // A partial refund later: only the new refund record is new.
    const again = { ...refunded, refunds: [...refunded.refunds, { id: 4108, reason: '', total: '-5.00' }] };
    expect((await woo('order.updated', again)).body).toMatchObject({ stored: 1 });
    const refunds = await events({ type: 'order_refunded', 'props.orderId': '4001' });
    expect(refunds.map((e) => [e.eventId, e.customerId, e.props.amount]).sort()).toEqual([
      ['woocommerce:refund:4107', '31', 20],
      ['woocommerce:refund:4108', '31', 5],
    ]);
  });

  it('cancels a placed order, ignores the cancellation of one never paid, and reverses a deleted one', async () => {
    await woo('order.created', wooOrder(4002, { date_modified_gmt: wooTime(2) }));
    expect((await woo('order.updated', wooOrder(4002, { status: 'cancelled' }))).body).toMatchObject({ stored: 1 });
    const unpaid = wooOrder(4003, { status: 'cancelled', date_paid_gmt: null });
    expect((await woo('order.updated', unpaid)).body).toMatchObject({ stored: 0 });
    await woo('order.created', wooOrder(4004));
    expect((await woo('order.deleted', { id: 4004 })).body).toMatchObject({ stored: 1 });
    expect((await woo('order.deleted', { id: 4004 })).body).toEqual({ duplicate: true, stored: 0 });

    const reversals = await events({ type: 'order_refunded', 'props.orderId': { $in: ['4002', '4003', '4004'] } });
    expect(reversals.map((e) => [e.eventId, e.props.amount, e.props.reason]).sort()).toEqual([
      ['woocommerce:order:4002:cancelled', 59.9, 'cancelled'],
      ['woocommerce:order:4004:deleted', 59.9, 'deleted'],
    ]);
    // The deletion names the order only; the order's link identity brings it to the customer.
    const deleted = reversals.find((e) => e.eventId.endsWith(':deleted'))!;
    expect(deleted.anonymousId).toBe('woocommerce-order:4004');
    expect(await database().collections.identities.findOne({ _id: 'woocommerce-order:4004' })).toMatchObject({
      customerId: '31',
    });
  });

  it('records customers and keeps the product catalogue', async () => {
    expect((await woo('customer.created', wooCustomer(52))).body).toMatchObject({ stored: 1 });
    const [identify] = await events({ customerId: '52', type: 'identify' });
    expect(identify!.props).toMatchObject({
      traits: { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper', country: 'US' },
    });

    expect((await woo('product.created', wooProduct(93))).body).toMatchObject({ stored: 1 });
    const updated = wooProduct(93, { price: '18.00', date_modified_gmt: wooTime(0) });
    expect((await woo('product.updated', updated)).body).toMatchObject({ stored: 1 });
    expect(await database().collections.products.findOne({ _id: '93' })).toMatchObject({
      name: 'Wool scarf',
      category: 'Outerwear',
      price: 18,
      tags: ['winter'],
      inStock: true,
    });
    await woo('product.deleted', { id: 93 });
    expect(await database().collections.products.findOne({ _id: '93' })).toMatchObject({ inStock: false });
  });

  it('acknowledges a topic it does not read, stores nothing, and counts it in /health', async () => {
    const before = await database().estimatedCount('events');
    const res = await woo('coupon.created', { id: 719, code: 'summer', amount: '10.00' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ duplicate: false, stored: 0, ignored: 'coupon.created' });
    expect(await database().estimatedCount('events')).toBe(before);
    const health = await checked(request(app).get('/health'));
    expect(health.body.webhooks.woocommerce).toMatchObject({ 'ignored:coupon.created': 1, ping: 1, redelivered: 2 });
  });
});

describe('Magento / Adobe Commerce webhooks', () => {
  const quote = {
    entity_id: '501',
    customer_id: '77',
    customer_email: 'linus@example.com',
    is_active: '1',
    updated_at: magentoTime(6),
    items: [{ item_id: '9', product_id: '11', sku: 'MJ01', name: 'Rain jacket', price: '80.0000', qty: '1.0000' }],
  };

  it('turns quote saves into cart events, stored once per cart state', async () => {
    const res = await magento(magentoEvent('observer.sales_quote_save_after', { quote }));
    expect(res.body).toEqual({ duplicate: false, stored: 2, duplicates: 0, op: 'success' });
    expect((await magento(magentoEvent('observer.sales_quote_save_after', { quote }))).body).toEqual({
      duplicate: true,
      stored: 0,
      op: 'success',
    });
    const cart = await events({ anonymousId: 'magento-quote:501' });
    expect(cart.map((e) => e.type).sort()).toEqual(['cart_item_added', 'cart_viewed']);
    expect(cart.every((e) => e.customerId === '77')).toBe(true);
  });

  it('stores a placed order once over its saves, and links a credit memo and a cancellation to it', async () => {
    const placed = magentoOrder(900);
    expect((await magento(magentoEvent('observer.sales_order_place_after', { order: placed }))).body).toMatchObject({
      stored: 2,
      op: 'success',
    });
    const invoiced = { ...placed, state: 'processing', status: 'processing', updated_at: magentoTime(0) };
    expect((await magento(magentoEvent('observer.sales_order_save_after', { order: invoiced }))).body).toMatchObject({
      duplicate: false,
      stored: 0,
    });
    const [order] = await events({ eventId: 'magento:order:900' });
    expect(order).toMatchObject({
      customerId: '77',
      anonymousId: 'magento-quote:501',
      props: {
        orderNumber: '00000900',
        revenue: 84.5,
        discount: 5,
        shipping: 9.5,
        currency: 'EUR',
        couponCode: 'SPRING5',
        // The configurable's child row carries no price: the parent row is the item.
        items: [{ productId: '11', name: 'Rain jacket', price: 80, quantity: 1 }],
      },
    });

    const creditmemo = {
      entity_id: '31',
      order_id: '900',
      grand_total: '30.0000',
      created_at: magentoTime(0),
      updated_at: magentoTime(0),
      items: [{ product_id: '11', sku: 'MJ01', name: 'Rain jacket', price: '30.0000', qty: '1.0000' }],
    };
    await magento(magentoEvent('observer.sales_order_creditmemo_save_after', { creditmemo }));
    const [refund] = await events({ eventId: 'magento:creditmemo:31' });
    expect(refund).toMatchObject({ type: 'order_refunded', customerId: '77', props: { orderId: '900', amount: 30 } });

    await magento(magentoEvent('observer.sales_order_place_after', { order: magentoOrder(901) }));
    const canceled = magentoOrder(901, { state: 'canceled', status: 'canceled', updated_at: magentoTime(0) });
    expect((await magento(magentoEvent('observer.sales_order_save_after', { order: canceled }))).body).toMatchObject({
      stored: 1,
    });
    const unplaced = magentoOrder(902, { state: 'canceled', status: 'canceled' });
    expect((await magento(magentoEvent('observer.sales_order_save_after', { order: unplaced }))).body).toMatchObject({
      stored: 0,
    });
    expect((await events({ type: 'order_refunded', 'props.reason': 'canceled' })).map((e) => e.eventId)).toEqual([
      'magento:order:901:canceled',
    ]);
  });

  it('records a customer save with its newsletter consent', async () => {
    const customer = {
      id: '78',
      email: 'margaret@example.com',
      firstname: 'Margaret',
      lastname: 'Hamilton',
      created_at: magentoTime(600),
      updated_at: magentoTime(0),
      extension_attributes: { is_subscribed: true },
    };
    await magento(magentoEvent('observer.customer_save_after_data_object', { customer_data_object: customer }));
    const [identify] = await events({ customerId: '78', type: 'identify' });
    expect(identify!.props).toMatchObject({
      traits: { email: 'margaret@example.com', firstName: 'Margaret', lastName: 'Hamilton' },
      consent: { email: true },
    });
  });

  it('acknowledges an event it does not read with op success, stores nothing, and counts it', async () => {
    const before = await database().estimatedCount('events');
    const res = await magento(magentoEvent('observer.catalog_product_save_after', { product: { entity_id: '5' } }));
    expect(res.body).toEqual({ duplicate: false, stored: 0, ignored: 'catalog_product_save_after', op: 'success' });
    expect(await database().estimatedCount('events')).toBe(before);
    const health = await request(app).get('/health');
    expect(health.body.webhooks.magento).toMatchObject({ 'ignored:catalog_product_save_after': 1 });
  });
});
