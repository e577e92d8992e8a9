import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import assignSegmentsJob from '../jobs/assign-segments.js';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { runJob } from '../src/jobs/runJob.js';
import { useTestDatabase } from './helpers/db.js';

const database = useTestDatabase();
let app: ReturnType<typeof buildApp>;
let key = '';

beforeAll(async () => {
  const db = database();
  app = buildApp({ database: db });
  key = (await createApiKey(db.models, { role: 'marketer', name: 'm' })).key;
  await db.models.Customer.collection.insertOne({ _id: 'c-1' as never, partition: 2, email: 'ana@example.com', firstName: 'Ana', consent: { email: { status: 'granted', updatedAt: new Date('2026-09-01T00:00:00Z'), source: 'identify' } }, traits: { vipTier: 'gold' } });
  await db.models.Feature.collection.insertOne({ _id: 'c-1' as never, partition: 2, asOf: new Date('2026-10-01T00:00:00Z'), values: { orders: 3 } });
  await db.models.Score.collection.insertOne({ _id: 'c-1' as never, partition: 2, churnRisk: 0.8, drivers: { churnRisk: [{ feature: 'recencyDays', effect: 0.4 }] }, modelVersions: { churn: 'v2' }, scoredAt: new Date('2026-10-01T01:00:00Z') });
  await db.models.Event.collection.insertOne({ eventId: 'e-1', type: 'order_completed', customerId: 'c-1', partition: 2, ts: new Date('2026-09-20T10:00:00Z'), props: { orderId: 'o-1', revenue: 30 } });
  await db.models.Segment.collection.insertOne({ _id: 'at-risk' as never, name: 'At risk', kind: 'custom', builtIn: false, active: true, rule: { field: 'scores.churnRisk', op: 'gte', value: 0.5 } });
  for (const asOf of ['2026-10-01T02:00:00Z', '2026-10-02T02:00:00Z']) {
    if (asOf.startsWith('2026-10-02')) await db.models.Score.collection.updateOne({ _id: 'c-1' as never }, { $set: { churnRisk: 0.1 } });
    const outcome = await runJob(assignSegmentsJob, { asOf }, { database: db, trigger: 'test' });
    expect(outcome.ok && outcome.value.status).toBe('succeeded');
  }
});

describe('GET /v1/customers/:id', () => {
  it('shows profile, consent, features, scores with drivers and versions, past segments and recent events', async () => {
    const res = await request(app).get('/v1/customers/c-1').set('Authorization', `Bearer ${key}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      customerId: 'c-1',
      profile: { email: 'ana@example.com', firstName: 'Ana', traits: { vipTier: 'gold' } },
      consent: { email: { status: 'granted', updatedAt: '2026-09-01T00:00:00.000Z', source: 'identify' } },
      features: { asOf: '2026-10-01T00:00:00.000Z', values: { orders: 3 } },
      scores: { values: { churnRisk: 0.1 }, drivers: { churnRisk: [{ feature: 'recencyDays', effect: 0.4 }] }, modelVersions: { churn: 'v2' } },
      // 3 orders: a repeat customer (lifecycle stage and the built-in segment)
      lifecycle: { stage: 'repeat', since: '2026-10-01T02:00:00.000Z', history: [{ from: null, to: 'repeat', at: '2026-10-01T02:00:00.000Z' }] },
    });
    expect(res.body.segments.current).toContainEqual({ segmentId: 'repeat-customers', name: 'Repeat customers', enteredAt: '2026-10-01T02:00:00.000Z', exitedAt: null });
    expect(res.body.segments.past).toContainEqual({ segmentId: 'at-risk', name: 'At risk', enteredAt: '2026-10-01T02:00:00.000Z', exitedAt: '2026-10-02T02:00:00.000Z' });
    const mine = res.body.recentEvents.filter((e: { type: string; properties: { segmentId?: string } }) => e.type === 'order_completed' || e.properties.segmentId === 'at-risk');
    expect(mine.map((e: { type: string }) => e.type)).toEqual(['segment_exited', 'segment_entered', 'order_completed']);
  });

  it('answers 404 for an unknown customer', async () => {
    expect((await request(app).get('/v1/customers/nobody').set('Authorization', `Bearer ${key}`)).status).toBe(404);
  });
});
