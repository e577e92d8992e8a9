import { createHmac } from 'node:crypto';
import request, { type Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetConfig } from '../src/config.js';
import { useTestDatabase } from './helpers/db.js';
import {
  deliverMagento,
  deliverWoo,
  magentoEvent,
  magentoKeys,
  magentoOrder,
  magentoTime,
  signMagento,
  signWoo,
  useShopWebhookApp,
  WOO_SECRET,
  wooCustomer,
  wooOrder,
  wooTime,
} from './helpers/shopWebhooks.js';

/**
 * Bad input at the WooCommerce and Magento webhooks: forged and mis-keyed signatures, bodies of
 * another topic, replays, broken JSON. Each is refused with a 4xx naming the field and reason, and
 * stores nothing: no event, no catalogue write, no delivery record.
 */

const database = useTestDatabase();
const shop = useShopWebhookApp(database);
const keys = shop.keys;
const otherKeys = magentoKeys();
let app: ReturnType<typeof shop.app>;
const refused: Record<string, number> = {};

beforeAll(() => {
  app = shop.app();
});
afterAll(() => {
  const total = Object.values(refused).reduce((a, b) => a + b, 0);
  console.log(
    `[reliability] connectors injection: ${total} hostile deliveries refused (${Object.entries(refused)
      .map(([g, n]) => `${g} ${n}`)
      .join(', ')}), 0 stored`,
  );
});

const stored = async () => {
  const { events, products, webhookDeliveries } = database().collections;
  return [
    await events.countDocuments({}),
    await products.countDocuments({}),
    await webhookDeliveries.countDocuments({}),
  ];
};

/** The refusal every case must be: the status, the error code, the field (and reason) named, nothing stored. */
async function refuse(
  group: string,
  pending: PromiseLike<Response>,
  want: { status: number; code: string; field?: string | RegExp; reason?: string },
): Promise<void> {
  const before = await stored();
  const res = await pending;
  const where = `${group}: ${JSON.stringify(res.body).slice(0, 400)}`;
  expect(res.status, where).toBe(want.status);
  expect(res.body.error.code, where).toBe(want.code);
  const details = res.body.error.details as { field?: string; reason?: string; issues?: { path: string }[] } | null;
  const fields = [details?.field, ...(details?.issues ?? []).map((i) => i.path)].filter(Boolean) as string[];
  if (want.field)
    expect(
      fields.some((f) => (typeof want.field === 'string' ? f === want.field : want.field!.test(f))),
      where,
    ).toBe(true);
  if (want.reason) expect(details?.reason, where).toBe(want.reason);
  expect(await stored(), `${group}: stored something`).toEqual(before);
  refused[group] = (refused[group] ?? 0) + 1;
}

describe('WooCommerce', () => {
  const order = wooOrder(5001);
  const body = JSON.stringify(order);
  const signature = { status: 401, code: 'unauthorized', field: 'X-WC-Webhook-Signature' };

  it('refuses forged, mis-keyed and missing signatures', async () => {
    const tampered = JSON.stringify({ ...order, total: '0.01' });
    await refuse('forged', deliverWoo(app, 'order.created', tampered, { signature: signWoo(body) }), {
      ...signature,
      reason: 'mismatch',
    });
    await refuse('forged', deliverWoo(app, 'order.created', order, { secret: 'not-the-secret' }), signature);
    await refuse('forged', deliverWoo(app, 'order.created', order, { signature: null }), {
      ...signature,
      reason: 'missing',
    });
    await refuse('forged', deliverWoo(app, 'order.created', order, { signature: '' }), signature);
    const hex = createHmac('sha256', WOO_SECRET).update(body).digest('hex');
    await refuse('forged', deliverWoo(app, 'order.created', order, { signature: hex }), signature);
    // Shaped like the unsigned ping but carrying a (wrong) signature: not a ping, a forgery.
    await refuse(
      'forged',
      request(app)
        .post('/v1/webhooks/woocommerce')
        .set({ 'Content-Type': 'application/x-www-form-urlencoded', 'X-WC-Webhook-Signature': 'AAAA' })
        .send('webhook_id=12'),
      signature,
    );
    // No secret configured: nothing verifies, not even a body signed with the empty key.
    delete process.env.WOOCOMMERCE_WEBHOOK_SECRET;
    resetConfig();
    try {
      await refuse('forged', deliverWoo(app, 'order.created', order, { secret: '' }), {
        status: 401,
        code: 'unauthorized',
        field: 'WOOCOMMERCE_WEBHOOK_SECRET',
        reason: 'unset',
      });
    } finally {
      process.env.WOOCOMMERCE_WEBHOOK_SECRET = WOO_SECRET;
      resetConfig();
    }
  });

  it('refuses a body of another topic, naming the field it lacks', async () => {
    const invalid = { status: 400, code: 'validation_failed' };
    await refuse('topic-swapped', deliverWoo(app, 'order.created', wooCustomer(60)), {
      ...invalid,
      field: 'body.line_items',
    });
    await refuse('topic-swapped', deliverWoo(app, 'customer.updated', order), { ...invalid, field: 'body.username' });
    // A deletion names the order only: a whole order under order.deleted would cancel it.
    await refuse('topic-swapped', deliverWoo(app, 'order.deleted', order), { ...invalid, field: /^body/ });
    await refuse('topic-swapped', deliverWoo(app, 'product.updated', order), { ...invalid, field: 'body.name' });
    // The unsigned headers must agree with each other.
    await refuse(
      'topic-swapped',
      deliverWoo(app, 'order.created', order, { headers: { 'X-WC-Webhook-Resource': 'customer' } }),
      { status: 400, code: 'bad_request', field: 'X-WC-Webhook-Topic', reason: 'inconsistent' },
    );
    // Wrong types where WooCommerce sends strings and integers.
    await refuse('wrong types', deliverWoo(app, 'order.updated', { ...order, total: 59.9 }), {
      ...invalid,
      field: 'body.total',
    });
    await refuse('wrong types', deliverWoo(app, 'order.updated', { ...order, id: '5001' }), {
      ...invalid,
      field: 'body.id',
    });
    await refuse('wrong types', deliverWoo(app, 'order.updated', { ...order, date_modified_gmt: 'yesterday' }), {
      ...invalid,
      field: 'body.date_modified_gmt',
    });
  });

  it('refuses a replay: a delivery of a resource changed too long ago, or a signed body resent under another topic', async () => {
    const old = wooOrder(5002, { date_modified_gmt: wooTime(3 * 24 * 60) });
    await refuse('replayed', deliverWoo(app, 'order.updated', old), {
      status: 401,
      code: 'unauthorized',
      field: 'body.date_modified_gmt',
      reason: 'replay',
    });
    // A body both an order and a customer could be: stored as the order, refused as the customer.
    const both = { ...wooOrder(5003), email: 'both@example.com', username: 'both' };
    expect((await deliverWoo(app, 'order.created', both)).body).toMatchObject({ stored: 2 });
    await refuse('replayed', deliverWoo(app, 'customer.updated', both), {
      status: 401,
      code: 'unauthorized',
      field: 'topic',
      reason: 'replay',
    });
  });

  it('refuses bodies that are not a UTF-8 JSON object', async () => {
    for (const [raw, code] of [
      ['{"id": 5004, "status": ', 'invalid_json'],
      ['', 'invalid_json'],
      ['[{"id": 5004}]', 'bad_request'],
      ['"order"', 'bad_request'],
      [Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), 'bad_request'],
    ] as const)
      await refuse('malformed', deliverWoo(app, 'order.created', raw), { status: 400, code });
  });
});

describe('Magento / Adobe Commerce', () => {
  const payload = magentoEvent('observer.sales_order_save_after', { order: magentoOrder(950) });
  const body = JSON.stringify(payload);
  const signature = { status: 401, code: 'unauthorized', field: 'x-adobe-commerce-webhook-signature' };

  it('refuses signatures by another key, of another body, missing or not signatures at all', async () => {
    await refuse('forged', deliverMagento(app, payload, signMagento(body, otherKeys.privateKey)), {
      ...signature,
      reason: 'mismatch',
    });
    const tampered = JSON.stringify(magentoEvent('observer.sales_order_save_after', { order: magentoOrder(951) }));
    await refuse('forged', deliverMagento(app, null, signMagento(body, keys.privateKey), tampered), signature);
    await refuse('forged', deliverMagento(app, payload, null), { ...signature, reason: 'missing' });
    await refuse('forged', deliverMagento(app, payload, 'not-a-signature'), signature);
    // The public key is public: an HMAC keyed with it proves nothing.
    const hmac = createHmac('sha256', keys.publicPem).update(Buffer.from(body).toString('base64')).digest('base64');
    await refuse('forged', deliverMagento(app, payload, hmac), signature);
    delete process.env.MAGENTO_WEBHOOK_PUBLIC_KEY;
    resetConfig();
    try {
      await refuse('forged', deliverMagento(app, payload, signMagento(body, keys.privateKey)), {
        status: 401,
        code: 'unauthorized',
        field: 'MAGENTO_WEBHOOK_PUBLIC_KEY',
      });
    } finally {
      process.env.MAGENTO_WEBHOOK_PUBLIC_KEY = keys.publicPem; // multi-line PEM: read as is too
      resetConfig();
    }
  });

  const signed = (p: unknown) => {
    const raw = JSON.stringify(p);
    return deliverMagento(app, p, signMagento(raw, keys.privateKey));
  };

  it('refuses an object of another event, wrong types and replays', async () => {
    const invalid = { status: 400, code: 'validation_failed' };
    const customer = { id: '80', email: 'x@example.com', created_at: magentoTime(9), updated_at: magentoTime(1) };
    await refuse(
      'topic-swapped',
      signed(magentoEvent('observer.sales_order_save_after', { customer_data_object: customer })),
      {
        ...invalid,
        field: 'body.data.order',
      },
    );
    await refuse(
      'topic-swapped',
      signed(magentoEvent('observer.sales_order_creditmemo_save_after', { order: magentoOrder(952) })),
      {
        ...invalid,
        field: 'body.data.creditmemo',
      },
    );
    await refuse(
      'wrong types',
      signed(magentoEvent('observer.sales_order_save_after', { order: magentoOrder(953, { grand_total: 'lots' }) })),
      {
        ...invalid,
        field: 'body.data.order.grand_total',
      },
    );
    await refuse(
      'replayed',
      signed(
        magentoEvent('observer.sales_order_save_after', {
          order: magentoOrder(954, { updated_at: magentoTime(3 * 24 * 60) }),
        }),
      ),
      {
        status: 401,
        code: 'unauthorized',
        field: 'body.data.order.updated_at',
        reason: 'replay',
      },
    );
    const broken = '{"eventName": "observer.sales_order_save_after", "data": ';
    await refuse('malformed', deliverMagento(app, null, signMagento(broken, keys.privateKey), broken), {
      status: 400,
      code: 'invalid_json',
    });
  });
});
