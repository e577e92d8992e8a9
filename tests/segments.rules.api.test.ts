import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { defineRoute } from '../src/api/defineRoute.js';
import { config } from '../src/config.js';
import { partitionOf } from '../src/db/partition.js';
import { recordEvents, type StoredEvent } from '../src/ingest/storeEvents.js';
import { addCustomers } from './helpers/customers.js';
import { useTestDatabase } from './helpers/db.js';
import { openApiClient, type OpenApiClient } from './helpers/openApiClient.js';

const database = useTestDatabase();
const P = config().PARTITIONS;
const asOf = '2026-06-15T12:00:00.000Z';
const keys: Record<'admin' | 'marketer' | 'ingest', string> = { admin: '', marketer: '', ingest: '' };
let app: ReturnType<typeof buildApp>;
let api: OpenApiClient;

/** Ten customers: c0…c9 with i orders, i × 50 spent; the even ones viewed shoes twice this week. */
beforeAll(async () => {
  app = buildApp({ database: database() });
  api = await openApiClient(app);
  for (const role of ['admin', 'marketer', 'ingest'] as const)
    keys[role] = (await createApiKey(database().models, { role, name: role })).key;
  const ids = Array.from({ length: 10 }, (_, i) => `c${i}`);
  await addCustomers(
    database(),
    ids.map((id, i) => ({
      id,
      email: `${id}@example.com`,
      country: i < 5 ? 'PT' : 'AU',
      timezone: i < 5 ? 'Europe/Lisbon' : 'Australia/Sydney',
      at: new Date('2026-01-01'),
    })),
  );
  // Features follow from the events: c<i> placed i orders of 50.
  const orders = ids.flatMap((id, i) =>
    Array.from({ length: i }, (_, k) => ({
      eventId: `o-${id}-${k}`,
      type: 'order_completed',
      customerId: id,
      partition: partitionOf(id, P),
      ts: new Date(Date.parse(asOf) - (10 + k) * 86_400_000),
      receivedAt: new Date(asOf),
      source: 'api',
      props: { orderId: `o-${id}-${k}`, revenue: 50 },
    })),
  );
  const views = ids
    .filter((_, i) => i % 2 === 0)
    .flatMap((id, i) =>
      [1, 2].map((d) => ({
        eventId: `v-${id}-${d}`,
        type: 'product_viewed',
        customerId: id,
        partition: partitionOf(id, P),
        ts: new Date(Date.parse(asOf) - d * 86_400_000),
        receivedAt: new Date(asOf),
        source: 'api',
        props: { productId: `p${i}`, category: 'shoes' },
      })),
    );
  await recordEvents(database(), [...orders, ...views] as StoredEvent[]);
});

const preview = (role: keyof typeof keys, body: unknown) =>
  api
    .post('/v1/segments/preview')
    .set('Authorization', `Bearer ${keys[role]}`)
    .set('content-type', 'application/json')
    .send(typeof body === 'string' ? body : JSON.stringify(body));

describe('POST /v1/segments/preview', () => {
  it('counts and samples for marketers and admins, and saves nothing', async () => {
    const rule = {
      all: [
        { field: 'features.orders', op: 'gte', value: 3 },
        { field: 'customer.country', op: 'eq', value: 'AU' },
      ],
    };
    for (const role of ['marketer', 'admin'] as const) {
      const res = await preview(role, { rule, sample: 2, asOf });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ count: 5, customers: 10, evaluatedAt: asOf });
      expect(res.body.sample).toHaveLength(2);
      for (const row of res.body.sample) {
        expect(row.email).toBe(`${row.customerId}@example.com`);
        expect(row.country).toBe('AU');
        expect(Number(row.customerId.slice(1))).toBeGreaterThanOrEqual(5);
      }
    }
    expect(await database().models.Segment.collection.estimatedDocumentCount()).toBe(0);
  });

  it('resolves event conditions and quantiles over the whole shop', async () => {
    const shoes = {
      event: {
        type: 'product_viewed',
        where: [{ field: 'category', op: 'eq', value: 'shoes' }],
        within: { days: 7 },
        count: { gte: 2 },
      },
    };
    expect((await preview('marketer', { rule: shoes, asOf })).body.count).toBe(5);
    const top = { quantile: { field: 'features.monetaryNet', top: 0.2 } };
    const res = await preview('marketer', { rule: { all: [top, shoes] }, asOf, sample: 10 });
    expect(res.body.sample.map((r: { customerId: string }) => r.customerId)).toEqual(['c8']);
  });

  it('is a POST marketers may call only because it is declared read-only', () => {
    const route = (readOnly: boolean) =>
      defineRoute({
        method: 'post',
        path: '/v1/x',
        summary: 'x',
        roles: ['marketer'],
        readOnly,
        responses: { 200: { description: 'ok' } },
        handler: () => undefined,
      }).handlers(database());
    expect(() => route(false)).toThrow(/read-only marketer/);
    expect(route(true).length).toBeGreaterThan(0);
  });

  it('refuses ingest keys', async () => {
    expect((await preview('ingest', { rule: { field: 'features.orders', op: 'exists' } })).status).toBe(403);
  });

  it.each([
    ['$where', { rule: { $where: 'sleep(100)' } }, 'body.rule.$where'],
    [
      'an operator object as a value',
      { rule: { field: 'features.orders', op: 'eq', value: { $gt: '' } } },
      'body.rule.value.$gt',
    ],
    ['__proto__', '{"rule": {"any": [{"__proto__": {"isAdmin": true}}]}}', 'body.rule.any.0.__proto__'],
    ['an unknown field', { rule: { field: 'customer.password', op: 'eq', value: 'x' } }, 'body.rule.field'],
    [
      'a text value for a number',
      { rule: { all: [{ field: 'features.orders', op: 'gt', value: '1' }] } },
      'body.rule.all.0.value',
    ],
  ])('answers 400 naming the path for %s', async (_name, body, path) => {
    const res = await preview('marketer', body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.issues[0].path).toBe(path);
  });

  it('is in the OpenAPI document', async () => {
    const res = await request(app).get('/openapi.json');
    expect(res.body.paths['/v1/segments/preview'].post.requestBody).toBeDefined();
  });
});
