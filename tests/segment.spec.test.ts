import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { EXTRA_LIMITS } from '../src/ingest/extraProperties.js';
import { useTestDatabase } from './helpers/db.js';

const database = useTestDatabase();
let app: ReturnType<typeof buildApp>;
let key = '';

beforeAll(async () => {
  app = buildApp({ database: database() });
  key = (await createApiKey(database().models, { role: 'ingest', name: 'segment' })).key;
});

// The write key as the basic-auth user, as the Segment libraries send it.
const batch = (messages: object[]) => request(app).post('/v1/segment/batch').auth(key, '').send({ batch: messages });
const stored = (messageId: string) => database().models.Event.findOne({ eventId: messageId }).lean();
const at = '2026-06-01T12:00:00.000Z';

describe('Segment spec fidelity: what a message says reaches the stored event', () => {
  it('maps time on page to timeOnPageSec and keeps the properties the spec does not name', async () => {
    const res = await batch([
      {
        type: 'track',
        messageId: 'dw-1',
        userId: 'dw-c',
        timestamp: at,
        event: 'Product Viewed',
        properties: {
          product_id: 'sku-1',
          price: 20,
          brand: 'Acme',
          variant: 'red',
          time_on_page_ms: 45_500,
          image: { url: 'https://x/y.png', width: 300 },
        },
      },
      {
        type: 'page',
        messageId: 'dw-2',
        userId: 'dw-c',
        timestamp: at,
        name: 'Home',
        properties: {
          path: '/',
          url: 'https://shop.example/',
          title: 'Shop',
          referrer: 'https://search.example/',
          time_on_page_sec: 12,
        },
      },
      {
        type: 'track',
        messageId: 'dw-3',
        userId: 'dw-c',
        timestamp: at,
        event: 'Product List Viewed',
        properties: { list_id: 'shoes', products: [{ product_id: 'a' }, { product_id: 'b' }], time_on_page_ms: 900 },
      },
      {
        type: 'track',
        messageId: 'dw-4',
        userId: 'dw-c',
        timestamp: at,
        event: 'Order Completed',
        properties: {
          order_id: 'o-1',
          revenue: 30,
          tax: 2.5,
          affiliation: 'store-7',
          products: [{ product_id: 'sku-1', price: 30 }],
        },
      },
      {
        type: 'track',
        messageId: 'dw-5',
        userId: 'dw-c',
        timestamp: at,
        event: 'Wishlist Shared',
        properties: { list: 'summer', time_on_page_ms: 10 },
      },
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ received: 5, stored: 5, rejected: [] });
    expect((await stored('dw-1'))!.props).toEqual({
      productId: 'sku-1',
      price: 20,
      quantity: 1,
      timeOnPageSec: 45.5,
      brand: 'Acme',
      variant: 'red',
      image: { url: 'https://x/y.png', width: 300 },
    });
    expect(await stored('dw-2')).toMatchObject({
      type: 'page_viewed',
      channel: 'web',
      props: {
        path: '/',
        url: 'https://shop.example/',
        title: 'Shop',
        referrer: 'https://search.example/',
        timeOnPageSec: 12,
      },
    });
    expect((await stored('dw-3'))!.props).toEqual({
      category: 'shoes',
      timeOnPageSec: 0.9,
      products: [{ product_id: 'a' }, { product_id: 'b' }],
    });
    // translated properties are not kept twice; untranslated ones are
    const order = (await stored('dw-4'))!.props as Record<string, unknown>;
    expect(order).toMatchObject({
      orderId: 'o-1',
      revenue: 30,
      tax: 2.5,
      affiliation: 'store-7',
      items: [{ productId: 'sku-1', price: 30 }],
    });
    expect(Object.keys(order)).not.toContain('order_id');
    expect(Object.keys(order)).not.toContain('products');
    // a custom event has no page, so a time on page stays as sent
    expect((await stored('dw-5'))!.props).toEqual({ name: 'Wishlist Shared', list: 'summer', time_on_page_ms: 10 });
  });

  it('identify: createdAt is the signup date; context time zone and locale fill in for the traits', async () => {
    const res = await batch([
      {
        type: 'identify',
        messageId: 'id-1',
        userId: 'id-c1',
        timestamp: at,
        traits: { email: 'A@Example.com', createdAt: '2024-03-05T08:00:00Z' },
        context: { timezone: 'Europe/Berlin', locale: 'de-DE' },
      },
      {
        type: 'identify',
        messageId: 'id-2',
        userId: 'id-c2',
        timestamp: at,
        traits: { timezone: 'America/Chicago', created_at: 1_700_000_000_000 },
        context: { timezone: 'Europe/Paris', locale: 'pt_BR' },
      },
      {
        type: 'identify',
        messageId: 'id-3',
        userId: 'id-c3',
        timestamp: at,
        traits: {},
        context: { timezone: 'Mars/Olympus', locale: 'not a locale!' },
      },
    ]);
    expect(res.body).toMatchObject({ stored: 3, rejected: [] });
    const first = (await stored('id-1'))!.props as { traits: Record<string, unknown> };
    expect(first.traits).toEqual({
      email: 'A@Example.com',
      signedUpAt: new Date('2024-03-05T08:00:00Z'),
      timezone: 'Europe/Berlin',
      locale: 'de-DE',
    });
    expect(((await stored('id-2'))!.props as { traits: Record<string, unknown> }).traits).toEqual({
      timezone: 'America/Chicago',
      signedUpAt: new Date(1_700_000_000_000),
      locale: 'pt-BR',
    });
    // a library's context that is no zone or locale is left out rather than refusing the customer's identify
    expect(((await stored('id-3'))!.props as { traits: Record<string, unknown> }).traits).toEqual({});
    // the profile takes the time zone and locale today; signedUpAt waits for customerUpdates to read traits.signedUpAt
    expect(await database().models.Customer.findById('id-c1').lean()).toMatchObject({
      email: 'a@example.com',
      timezone: 'Europe/Berlin',
      traits: { locale: 'de-DE' },
    });
  });

  it('Email spec events become email events; Unsubscribed withdraws consent, a soft bounce suppresses no one', async () => {
    const email = (messageId: string, event: string, properties: object = {}) => ({
      type: 'track',
      messageId,
      userId: 'em-c',
      timestamp: at,
      event,
      properties: { email_id: 'm-1', campaign_id: 'spring', email_subject: 'Hello', ...properties },
    });
    await batch([
      {
        type: 'identify',
        messageId: 'em-0',
        userId: 'em-c',
        timestamp: '2026-05-01T00:00:00Z',
        traits: { email: 'em@example.com' },
      },
    ]);
    const res = await batch([
      email('em-1', 'Email Delivered'),
      email('em-2', 'Email Opened', { email_client: 'Apple Mail' }),
      email('em-3', 'Email Link Clicked', { link_url: 'https://shop.example/sale' }),
      email('em-4', 'Email Bounced', { bounce_type: 'soft' }),
      email('em-5', 'Email Marked as Spam'),
      email('em-6', 'Unsubscribed', { list_id: 'news' }),
    ]);
    expect(res.body).toMatchObject({ stored: 6, rejected: [] });
    const events = await Promise.all(['em-1', 'em-2', 'em-3', 'em-4', 'em-5', 'em-6'].map(stored));
    expect(events.map((e) => e!.type)).toEqual([
      'email_delivered',
      'email_opened',
      'email_clicked',
      'email_bounced',
      'email_complained',
      'email_unsubscribed',
    ]);
    expect(events[1]!.props).toEqual({
      messageId: 'm-1',
      campaignId: 'spring',
      subject: 'Hello',
      email_client: 'Apple Mail',
    });
    expect(events[2]!.props).toMatchObject({ url: 'https://shop.example/sale' });
    expect(events[3]!.props).toMatchObject({ bounceType: 'soft' });
    expect(events[5]!.props).toMatchObject({ list_id: 'news' });
    const customer = await database().models.Customer.findById('em-c').lean();
    expect(customer!.consent).toMatchObject({ email: { status: 'denied' } });
    expect(await database().models.Suppression.countDocuments({ address: 'em@example.com' })).toBe(1);
    // a customer who only soft-bounced stays mailable
    await batch([
      {
        type: 'identify',
        messageId: 'em-soft-0',
        userId: 'em-soft',
        timestamp: at,
        traits: { email: 'soft@example.com' },
      },
      { ...email('em-soft-1', 'Email Bounced', { bounce_type: 'soft' }), userId: 'em-soft' },
    ]);
    expect(await database().models.Suppression.countDocuments({ address: 'soft@example.com' })).toBe(0);
  });

  it('keeps group messages as custom events', async () => {
    const res = await batch([
      {
        type: 'group',
        messageId: 'gr-1',
        userId: 'gr-c',
        timestamp: at,
        groupId: 'acme',
        traits: { name: 'Acme Inc', employees: 40 },
      },
    ]);
    expect(res.body).toMatchObject({ stored: 1 });
    expect(await stored('gr-1')).toMatchObject({
      type: 'custom',
      props: { name: 'Group', groupId: 'acme', traits: { name: 'Acme Inc', employees: 40 } },
    });
  });
});

describe('Segment properties beyond the spec are bounded', () => {
  const track = (messageId: string, properties: object, event = 'Product Viewed') => ({
    type: 'track',
    messageId,
    userId: 'bd-c',
    timestamp: at,
    event,
    properties: { product_id: 'p', ...properties },
  });
  const deep = (n: number): unknown => (n === 0 ? 'x' : { a: deep(n - 1) });

  it.each([
    [
      'too many keys',
      { ...Object.fromEntries(Array.from({ length: EXTRA_LIMITS.keys + 1 }, (_, i) => [`k${i}`, i])) },
      'properties',
      'more than 100',
    ],
    ['a dotted key', { 'a.b': 1 }, 'properties.a.b', 'property name'],
    ['an operator nested inside', { meta: { ok: { $where: 'x' } } }, 'properties.meta.ok.$where', '"$"'],
    ['nesting too deep', { meta: deep(EXTRA_LIMITS.depth) }, 'properties.meta.a.a.a.a', 'nested more than'],
    ['too large', { blob: 'x'.repeat(EXTRA_LIMITS.bytes) }, 'properties', 'bytes'],
    [
      'a time on page that is no duration',
      { time_on_page_ms: -5 },
      'properties.time_on_page_ms',
      'between 0 and 86400000',
    ],
    [
      'a time on page of more than a day',
      { time_on_page_sec: 90_000 },
      'properties.time_on_page_sec',
      'between 0 and 86400',
    ],
  ])('%s: the batch stores the rest and names the field', async (name, properties, field, reason) => {
    const id = `bd-${name.replaceAll(' ', '-')}`;
    const res = await batch([track(`${id}-ok`, { brand: 'Acme' }), track(id, properties)]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ stored: 1, eventIds: [`${id}-ok`, null] });
    expect(res.body.rejected).toEqual([{ index: 1, field, reason: expect.stringContaining(reason) }]);
    expect(await stored(id)).toBeNull();
  });

  it('a createdAt that is no date refuses the identify, naming it', async () => {
    const res = await batch([
      { type: 'identify', messageId: 'bd-created', userId: 'bd-c', traits: { createdAt: 'last spring' } },
    ]);
    expect(res.body.rejected).toEqual([
      { index: 0, field: 'traits.createdAt', reason: expect.stringContaining('ISO 8601') },
    ]);
  });

  it('one message sent alone (/v1/segment/track) is answered 400 naming the field, and nothing is stored', async () => {
    const res = await request(app)
      .post('/v1/segment/track')
      .auth(key, '')
      .send({
        messageId: 'bd-single',
        userId: 'bd-c',
        event: 'Product Viewed',
        properties: { product_id: 'p', 'bad.key': 1 },
      });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.message).toContain('properties.bad.key');
    expect(res.body.error.details.rejected).toEqual([
      expect.objectContaining({ index: 0, field: 'properties.bad.key' }),
    ]);
    expect(await stored('bd-single')).toBeNull();
  });
});
