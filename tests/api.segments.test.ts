import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import assignSegmentsJob from '../jobs/assign-segments.js';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { config } from '../src/config.js';
import { partitionOf } from '../src/db/partition.js';
import { eventSchema } from '../src/ingest/eventSchemas.js';
import { storeEvents } from '../src/ingest/storeEvents.js';
import { runJob } from '../src/jobs/runJob.js';
import { addCustomers } from './helpers/customers.js';
import { useTestDatabase } from './helpers/db.js';
import { openApiClient, type OpenApiClient } from './helpers/openApiClient.js';

const database = useTestDatabase();
let app: ReturnType<typeof buildApp>;
let api: OpenApiClient;
let admin = '';
let marketer = '';
const N = 2000;
const ids = Array.from({ length: N }, (_, i) => `c-${String(i).padStart(5, '0')}`);
const get = (path: string, key = marketer) => api.get(path).set('Authorization', `Bearer ${key}`);

beforeAll(async () => {
  const db = database();
  app = buildApp({ database: db });
  api = await openApiClient(app);
  admin = (await createApiKey(db.models, { role: 'admin', name: 'a' })).key;
  marketer = (await createApiKey(db.models, { role: 'marketer', name: 'm' })).key;
  const P = config().PARTITIONS;
  await addCustomers(
    db,
    ids.map((id, i) => ({
      id,
      email: `${id}@example.com`,
      firstName: i === 7 ? '=cmd()' : `F,"${i}"`,
      consent: { email: true },
      at: new Date('2026-01-01'),
    })),
  );
  await db.models.Score.collection.insertMany(
    ids.map((id, i) => ({
      _id: id as never,
      partition: partitionOf(id, P),
      churnRisk: (i % 100) / 100,
      predictedLtv: i,
      drivers: { churnRisk: [{ feature: 'recencyDays', effect: 0.3 }] },
      modelVersions: { churn: 'v3' },
    })),
  );
  await db.models.Segment.collection.insertMany([
    {
      _id: 'everyone' as never,
      name: 'Everyone',
      kind: 'custom',
      builtIn: false,
      active: true,
      rule: { field: 'scores.churnRisk', op: 'gte', value: 0 },
    },
    {
      _id: 'top-ltv' as never,
      name: 'Top LTV',
      kind: 'custom',
      builtIn: false,
      active: true,
      rule: { quantile: { field: 'scores.predictedLtv', top: 0.2 } },
    },
  ]);
  const outcome = await runJob(assignSegmentsJob, { asOf: '2026-10-01T00:00:00Z' }, { database: db, trigger: 'test' });
  expect(outcome.ok && outcome.value.status).toBe('succeeded');
});

describe('segments API', () => {
  it('lists segments with size and trend', async () => {
    const res = await get('/v1/segments');
    expect(res.status).toBe(200);
    const byKey = Object.fromEntries(res.body.items.map((s: { key: string }) => [s.key, s]));
    expect(byKey.everyone).toMatchObject({ name: 'Everyone', builtIn: false, size: N });
    expect(byKey['top-ltv']).toMatchObject({ builtIn: false, size: N * 0.2 });
    // the built-in library is seeded by the run, read-only
    expect(byKey.vip).toMatchObject({ builtIn: true });
  });

  it('pages through members with an opaque cursor, no duplicates and no gaps', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(
        `/v1/segments/everyone/members?limit=700&fields=churnRisk${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      for (const row of res.body.items) {
        expect(Object.keys(row).sort()).toEqual(['churnRisk', 'customerId']);
        seen.push(row.customerId);
      }
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(Math.ceil(N / 700));
    expect(new Set(seen).size).toBe(N);
    expect([...seen].sort()).toEqual(ids);
  });

  it('streams every member as CSV and NDJSON', async () => {
    const csv = await get('/v1/segments/everyone/members?format=csv&fields=email,firstName,churnRisk');
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const lines = csv.text.trimEnd().split('\n');
    expect(lines[0]).toBe('customerId,email,firstName,churnRisk');
    expect(lines.length).toBe(N + 1);
    expect(lines).toContain(`c-00001,c-00001@example.com,"F,""1""",0.01`);
    expect(lines).toContain(`c-00007,c-00007@example.com,'=cmd(),0.07`);

    const nd = await get('/v1/segments/top-ltv/members?format=ndjson')
      .buffer(true)
      .parse((res, cb) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => cb(null, text));
      });
    const rows = (nd.body as string)
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.length).toBe(N * 0.2);
    expect(Math.min(...rows.map((r) => r.predictedLtv))).toBe(N * 0.8);
  });

  it('refuses unknown fields and foreign cursors', async () => {
    expect((await get('/v1/segments/everyone/members?fields=email,password')).status).toBe(400);
    const bad = await get('/v1/segments/everyone/members?cursor=eyJwIjoxfQ');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.issues[0].path).toBe('query.cursor');
  });

  it('creates, changes and deletes custom segments; built-ins are read-only; rules are validated', async () => {
    const post = (body: unknown, key = admin) =>
      api
        .post('/v1/segments')
        .set('Authorization', `Bearer ${key}`)
        .send(body as object);
    expect(
      (
        await post(
          { key: 'risky', name: 'Risky', rule: { field: 'scores.churnRisk', op: 'gte', value: 0.9 } },
          marketer,
        )
      ).status,
    ).toBe(403);
    const created = await post({
      key: 'risky',
      name: 'Risky',
      rule: { field: 'scores.churnRisk', op: 'gte', value: 0.9 },
    });
    expect(created.status).toBe(201);
    expect(
      (await post({ key: 'risky', name: 'Again', rule: { field: 'scores.churnRisk', op: 'gte', value: 0.9 } })).status,
    ).toBe(409);

    const injected = await post({
      key: 'evil',
      name: 'Evil',
      rule: { all: [{ field: 'scores.churnRisk', op: 'gte', value: 0 }, { $where: 'sleep(1000)' }] },
    });
    expect(injected.status).toBe(400);
    expect(injected.body.error.details.issues[0].path).toMatch(/^body\.rule\.all\.1/);
    const unknownField = await post({
      key: 'evil',
      name: 'Evil',
      rule: { field: 'customer.password', op: 'eq', value: 'x' },
    });
    expect(unknownField.body.error.details.issues[0].path).toBe('body.rule.field');

    const put = (key: string, body: object) =>
      api.put(`/v1/segments/${key}`).set('Authorization', `Bearer ${admin}`).send(body);
    expect((await put('risky', { name: 'Very risky' })).body).toMatchObject({ key: 'risky', name: 'Very risky' });
    const builtIn = await put('vip', { name: 'Mine now' });
    expect(builtIn.status).toBe(403);
    expect(builtIn.body.error.message).toMatch(/built-in/);
    expect((await api.delete('/v1/segments/vip').set('Authorization', `Bearer ${admin}`)).status).toBe(403);
    expect((await api.delete('/v1/segments/risky').set('Authorization', `Bearer ${admin}`)).status).toBe(204);
    expect((await get('/v1/segments/risky')).status).toBe(404);
  });

  it('reports size over time and flags no decline on a flat segment', async () => {
    const res = await get('/v1/segments/everyone/performance');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ key: 'everyone', declining: false, email: null });
    expect(res.body.sizes).toEqual([{ day: '2026-10-01', size: N, entered: N, exited: 0 }]);
  });

  it('reports opens, clicks, unsubscribes and revenue per recipient once email was sent', async () => {
    const { Message } = database().models;
    const sentAt = new Date(Date.now() - 10 * 86_400_000);
    const at = (hours: number) => new Date(sentAt.getTime() + hours * 3_600_000);
    const { insertedId } = await Message.collection.insertOne({
      enrollmentId: 'en-1',
      stepId: 's1',
      customerId: 'c-00001',
      status: 'sent',
      sentAt,
    });
    await Message.collection.insertOne({
      enrollmentId: 'en-2',
      stepId: 's1',
      customerId: 'c-00002',
      status: 'sent',
      sentAt,
    });
    const messageId = String(insertedId);
    const event = (eventId: string, type: string, customerId: string, ts: Date, properties: Record<string, unknown>) =>
      eventSchema.parse({ eventId, type, customerId, timestamp: ts.getTime(), properties });
    await storeEvents(
      database(),
      [
        event('p-1', 'email_opened', 'c-00001', at(1), { messageId }),
        event('p-2', 'email_clicked', 'c-00001', at(2), { messageId }),
        event('p-3', 'order_completed', 'c-00001', at(3), { orderId: 'o-1', revenue: 50 }),
        // outside the 7-day window, and from someone who got no email: not credited
        event('p-4', 'order_completed', 'c-00001', at(24 * 8), { orderId: 'o-2', revenue: 70 }),
        event('p-5', 'order_completed', 'c-00003', at(3), { orderId: 'o-3', revenue: 90 }),
      ],
      'api',
    );
    const res = await get('/v1/segments/everyone/performance');
    expect(res.body.email).toEqual({
      recipients: 2,
      messages: 2,
      opens: 1,
      clicks: 1,
      unsubscribes: 0,
      revenue: 50,
      revenuePerRecipient: 25,
      openRate: 0.5,
      clickRate: 0.5,
    });
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await request(app).get('/openapi.json')).body;
    for (const path of [
      '/v1/segments',
      '/v1/segments/{key}',
      '/v1/segments/{key}/members',
      '/v1/segments/{key}/performance',
      '/v1/customers/{id}',
    ])
      expect(doc.paths[path]).toBeDefined();
  });
});
