import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildReports } from '../src/attribution/report.js';
import { foldNow } from '../src/ingest/timeline/folder.js';
import { useGa4Sender } from './helpers/ga4Sender.js';

const { database, app, key, url } = useGa4Sender();

const HOUR = 3_600_000;
const micros = (msAgo: number) => (Date.now() - msAgo) * 1000;
const collect = (body: object, secret = key(), path = '/mp/collect') =>
  request(app())
    .post(url(path, 'G-TEST123', secret))
    .send(body);
const eventsOf = (filter: object) =>
  database()
    .models.Event.find({ source: 'ga4', ...filter })
    .sort({ eventId: 1 })
    .lean();

const item = (id: string, price: number, quantity = 1) => ({
  item_id: id,
  item_name: `Name ${id}`,
  item_category: 'shoes',
  item_brand: 'Acme',
  price,
  quantity,
});

describe('GA4 Measurement Protocol: each event becomes the Breadcrumb event it means', () => {
  it('maps the e-commerce funnel, page_view and a custom event with their fields', async () => {
    const at = micros(2 * HOUR);
    const res = await collect({
      client_id: '555.111',
      user_id: 'ga-c1',
      timestamp_micros: at,
      events: [
        { name: 'page_view', params: { page_location: 'https://shop.example/shoes?x=1', page_title: 'Shoes' } },
        { name: 'view_item_list', params: { item_list_name: 'Running', items: [item('sku-1', 50)] } },
        { name: 'view_item', params: { currency: 'EUR', value: 50, items: [item('sku-1', 50)] } },
        {
          name: 'add_to_cart',
          params: { currency: 'EUR', value: 80, items: [item('sku-1', 50), item('sku-2', 15, 2)] },
        },
        { name: 'remove_from_cart', params: { currency: 'EUR', value: 15, items: [item('sku-2', 15)] } },
        {
          name: 'begin_checkout',
          params: { session_id: 's-9', currency: 'EUR', value: 65, items: [item('sku-1', 50)] },
        },
        { name: 'add_shipping_info', params: { session_id: 's-9', shipping_tier: 'express' } },
        { name: 'add_payment_info', params: { session_id: 's-9', payment_type: 'card' } },
        {
          name: 'purchase',
          params: {
            transaction_id: 'T-100',
            currency: 'eur',
            value: 72.5,
            shipping: 7.5,
            tax: 3,
            coupon: 'SPRING',
            items: [item('sku-1', 50), item('sku-2', 15)],
          },
        },
        { name: 'refund', params: { transaction_id: 'T-100', currency: 'EUR', value: 15 } },
        { name: 'search', params: { search_term: 'trail shoes' } },
        { name: 'newsletter_signup', params: { placement: 'footer', engagement_time_msec: 120 } },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ received: 12, mapped: 13, custom: 1, stored: 13, duplicates: 0 });

    const stored = await eventsOf({ customerId: 'ga-c1' });
    const byType = (t: string) => stored.filter((e) => e.type === t);
    for (const e of stored) {
      expect(e).toMatchObject({ anonymousId: '555.111', channel: 'web' });
      expect(e.props.measurementId).toBe('G-TEST123');
      expect(e.ts.getTime()).toBe(Math.floor(at / 1000));
    }
    expect(byType('page_viewed')[0]!.props).toMatchObject({ path: '/shoes', title: 'Shoes' });
    expect(byType('category_viewed')[0]!.props).toMatchObject({ category: 'Running' });
    expect(byType('product_viewed')[0]!.props).toMatchObject({ productId: 'sku-1', category: 'shoes', price: 50 });
    const added = byType('cart_item_added').map((e) => e.props);
    expect(added).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ cartId: 'default', productId: 'sku-1', price: 50, quantity: 1 }),
        expect.objectContaining({ cartId: 'default', productId: 'sku-2', price: 15, quantity: 2 }),
      ]),
    );
    expect(byType('cart_item_removed')[0]!.props).toMatchObject({ productId: 'sku-2', quantity: 1 });
    expect(byType('checkout_started')[0]!.props).toMatchObject({ checkoutId: 's-9', value: 65, itemCount: 1 });
    expect(byType('checkout_started')[0]!.sessionId).toBe('s-9');
    expect(
      byType('checkout_step_completed')
        .map((e) => [e.props.step, e.props.checkoutId])
        .sort(),
    ).toEqual([
      ['payment', 's-9'],
      ['shipping', 's-9'],
    ]);
    const order = byType('order_completed')[0]!;
    expect(order.eventId).toBe('ga4:G-TEST123:purchase:T-100');
    expect(order.props).toMatchObject({
      orderId: 'T-100',
      revenue: 72.5,
      shipping: 7.5,
      tax: 3,
      currency: 'EUR',
      couponCode: 'SPRING',
    });
    expect(order.props.items).toEqual([
      expect.objectContaining({
        productId: 'sku-1',
        name: 'Name sku-1',
        category: 'shoes',
        price: 50,
        quantity: 1,
        item_brand: 'Acme',
      }),
      expect.objectContaining({ productId: 'sku-2', price: 15, quantity: 1 }),
    ]);
    expect(byType('order_refunded')[0]!.props).toMatchObject({ orderId: 'T-100', amount: 15 });
    expect(byType('products_searched')[0]!.props).toMatchObject({ query: 'trail shoes' });
    expect(byType('custom')[0]!.props).toMatchObject({
      name: 'newsletter_signup',
      placement: 'footer',
      engagement_time_msec: 120,
    });
  });

  it('stores a retried purchase once, even with another timestamp, and a retried request not at all', async () => {
    const body = (msAgo: number) => ({
      client_id: '777.1',
      user_id: 'ga-c2',
      timestamp_micros: micros(msAgo),
      events: [
        { name: 'page_view', params: { page_location: 'https://shop.example/' } },
        { name: 'purchase', params: { transaction_id: 'T-200', currency: 'USD', value: 40, items: [item('a', 40)] } },
      ],
    });
    const first = body(HOUR);
    expect((await collect(first)).body).toMatchObject({ stored: 2, duplicates: 0 });
    expect((await collect(first)).body).toMatchObject({ stored: 0, duplicates: 2 });
    expect((await collect(body(HOUR / 2))).body).toMatchObject({ stored: 1, duplicates: 1 });
    expect(await eventsOf({ type: 'order_completed', 'props.orderId': 'T-200' })).toHaveLength(1);
  });

  it('keeps a client_id without user_id anonymous, and links it when the user_id comes', async () => {
    await collect({
      client_id: '888.1',
      events: [{ name: 'page_view', params: { page_location: 'https://shop.example/a' } }],
    }).expect(200);
    const [anonymous] = await eventsOf({ anonymousId: '888.1' });
    expect(anonymous).toBeDefined();
    expect(anonymous!.customerId).toBeUndefined();
    await collect({ client_id: '888.1', user_id: 'ga-c3', events: [{ name: 'login', params: {} }] }).expect(200);
    expect(await database().collections.identities.findOne({ _id: '888.1' })).toMatchObject({ customerId: 'ga-c3' });
  });

  it('turns user_properties into an identify with those traits', async () => {
    await collect({
      client_id: '999.1',
      user_id: 'ga-c4',
      user_properties: { loyalty_tier: { value: 'gold' }, unset_one: { value: null } },
      events: [{ name: 'page_view', params: { page_location: 'https://shop.example/' } }],
    }).expect(200);
    const [identify] = await eventsOf({ customerId: 'ga-c4', type: 'identify' });
    expect(identify!.props).toEqual({ traits: { loyalty_tier: 'gold' } });
  });

  it('gives attribution the channel of a page_view: campaign parameters, utm_* in the URL, a gclid, a referrer', async () => {
    const view = (params: object, msAgo: number) => ({ name: 'page_view', params, timestamp_micros: micros(msAgo) });
    const res = await collect({
      client_id: '321.1',
      user_id: 'ga-c5',
      events: [
        view(
          { page_location: 'https://shop.example/?utm_source=facebook&utm_medium=social&utm_campaign=spring' },
          5 * HOUR,
        ),
        view(
          { page_location: 'https://shop.example/b', campaign_source: 'newsletter', campaign_medium: 'partner' },
          4 * HOUR,
        ),
        view({ page_location: 'https://shop.example/c?gclid=abc' }, 3 * HOUR),
        view({ page_location: 'https://shop.example/d', page_referrer: 'https://www.google.de/' }, 2 * HOUR),
        view({ page_location: 'https://shop.example/e', page_referrer: 'https://shop.example/d' }, 90 * 60_000),
        {
          name: 'purchase',
          timestamp_micros: micros(HOUR),
          params: { transaction_id: 'T-500', currency: 'USD', value: 99, items: [item('z', 99)] },
        },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const views = await eventsOf({ customerId: 'ga-c5', type: 'page_viewed' });
    expect(views.map((v) => [v.props.path, v.props.utmSource, v.props.utmMedium, v.props.trafficFrom])).toEqual(
      expect.arrayContaining([
        ['/', 'facebook', 'social', 'campaign'],
        ['/b', 'newsletter', 'partner', 'campaign'],
        ['/c', 'google', 'cpc', 'gclid'],
        ['/d', 'google', 'organic', 'referrer'],
        ['/e', undefined, undefined, undefined],
      ]),
    );
    await foldNow(database());
    const { attribution } = await buildReports(database(), {
      from: new Date(Date.now() - 6 * HOUR),
      to: new Date(Date.now() + 60_000),
    });
    const channels = attribution.touches.map((t) => t.channel);
    expect(channels).toEqual(
      expect.arrayContaining([
        'utm · facebook/social',
        'utm · newsletter/partner',
        'paid · google',
        'utm · google/organic',
      ]),
    );
  });
});

describe('GA4 Measurement Protocol: who may send', () => {
  const body = { client_id: 'sec.1', user_id: 'ga-sec', events: [{ name: 'page_view', params: {} }] };

  it('refuses a wrong, missing or read-only secret and stores nothing', async () => {
    const marketer = (await createApiKey(database().models, { role: 'marketer', name: 'm' })).key;
    expect((await collect(body, 'bc_AAAAAAAA_' + 'x'.repeat(43))).status).toBe(401);
    expect((await collect(body, 'not-a-key')).status).toBe(401);
    expect((await request(app()).post('/mp/collect?measurement_id=G-TEST123').send(body)).status).toBe(401);
    expect((await collect(body, marketer)).status).toBe(403);
    expect((await collect(body, 'not-a-key', '/debug/mp/collect')).status).toBe(401);
    expect(await eventsOf({ customerId: 'ga-sec' })).toHaveLength(0);
  });

  it('takes the key as Authorization: Bearer too, keeping it out of the URL', async () => {
    const res = await request(app())
      .post('/mp/collect?measurement_id=G-TEST123')
      .set('authorization', `Bearer ${key()}`)
      .send({ ...body, user_id: 'ga-header' });
    expect(res.status).toBe(200);
    expect(await eventsOf({ customerId: 'ga-header' })).toHaveLength(1);
  });

  it('answers the debug endpoint with no messages for a valid request and stores nothing', async () => {
    const res = await collect(body, key(), '/debug/mp/collect');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ validationMessages: [] });
    expect(await eventsOf({ customerId: 'ga-sec' })).toHaveLength(0);
  });
});
