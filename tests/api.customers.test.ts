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
/** `days` before today's UTC midnight, plus `hours`: current features are as of now, so the story ends now. */
const today = new Date(new Date().toISOString().slice(0, 10));
const at = (days: number, hours = 0) => new Date(+today - days * 86_400_000 + hours * 3_600_000);
const firstRun = at(2, 2);
const secondRun = at(1, 2);
let app: ReturnType<typeof buildApp>;
let api: OpenApiClient;
let key = '';

beforeAll(async () => {
  const db = database();
  app = buildApp({ database: db });
  api = await openApiClient(app);
  key = (await createApiKey(db.models, { role: 'marketer', name: 'm' })).key;
  // Profile, consent and features derive from the customer's events (an identify, three orders).
  await addCustomers(db, [
    {
      id: 'c-1',
      email: 'ana@example.com',
      firstName: 'Ana',
      consent: { email: true },
      traits: { vipTier: 'gold' },
      at: at(30),
    },
  ]);
  const orders = [20, 15, 10].map((days, i) => ({
    type: 'order_completed',
    customerId: 'c-1',
    timestamp: at(days, 10).toISOString(),
    properties: { orderId: `o-${i + 1}`, revenue: 30 },
  }));
  await storeEvents(
    db,
    orders.map((e) => eventSchema.parse(e)),
    'api',
  );
  await db.models.Score.collection.insertOne({
    _id: 'c-1' as never,
    partition: partitionOf('c-1', config().PARTITIONS),
    churnRisk: 0.8,
    drivers: { churnRisk: [{ feature: 'recencyDays', effect: 0.4 }] },
    modelVersions: { churn: 'v2' },
    scoredAt: at(2, 1),
  });
  await db.models.Segment.collection.insertOne({
    _id: 'at-risk' as never,
    name: 'At risk',
    kind: 'custom',
    builtIn: false,
    active: true,
    rule: { field: 'scores.churnRisk', op: 'gte', value: 0.5 },
  });
  for (const asOf of [firstRun, secondRun]) {
    if (asOf === secondRun)
      await db.models.Score.collection.updateOne({ _id: 'c-1' as never }, { $set: { churnRisk: 0.1 } });
    const outcome = await runJob(assignSegmentsJob, { asOf: asOf.toISOString() }, { database: db, trigger: 'test' });
    expect(outcome.ok && outcome.value.status).toBe('succeeded');
  }
});

describe('GET /v1/customers/:id', () => {
  it('shows profile, consent, features, scores with drivers and versions, past segments and recent events', async () => {
    const res = await api.get('/v1/customers/c-1').set('Authorization', `Bearer ${key}`);
    expect(res.status).toBe(200);
    const features = await database().models.Feature.collection.findOne({ _id: 'c-1' as never });
    expect(res.body).toMatchObject({
      customerId: 'c-1',
      profile: { email: 'ana@example.com', firstName: 'Ana', traits: { vipTier: 'gold' } },
      consent: { email: { status: 'granted', updatedAt: at(30).toISOString(), source: 'api' } },
      features: { asOf: features!.asOf.toISOString(), values: { orders: 3 } },
      scores: {
        values: { churnRisk: 0.1 },
        drivers: { churnRisk: [{ feature: 'recencyDays', effect: 0.4 }] },
        modelVersions: { churn: 'v2' },
      },
      // 3 orders: a repeat customer (lifecycle stage and the built-in segment)
      lifecycle: {
        stage: 'repeat',
        since: firstRun.toISOString(),
        history: [{ from: null, to: 'repeat', at: firstRun.toISOString() }],
      },
    });
    expect(res.body.segments.current).toContainEqual({
      segmentId: 'repeat-customers',
      name: 'Repeat customers',
      enteredAt: firstRun.toISOString(),
      exitedAt: null,
    });
    expect(res.body.segments.past).toContainEqual({
      segmentId: 'at-risk',
      name: 'At risk',
      enteredAt: firstRun.toISOString(),
      exitedAt: secondRun.toISOString(),
    });
    const mine = res.body.recentEvents.filter(
      (e: { type: string; properties: { segmentId?: string } }) =>
        e.type === 'order_completed' || e.properties.segmentId === 'at-risk',
    );
    expect(mine.map((e: { type: string }) => e.type)).toEqual([
      'segment_exited',
      'segment_entered',
      'order_completed',
      'order_completed',
      'order_completed',
    ]);
  });

  it('says which scores apply to the customer and why the others are absent', async () => {
    const db = database();
    await addCustomers(db, [{ id: 'c-2', email: 'bo@example.com', at: at(5) }]);
    const partition = partitionOf('c-2', config().PARTITIONS);
    await db.models.Score.collection.insertOne({
      _id: 'c-2' as never,
      partition,
      cohort: 'prospect',
      firstPurchaseProbability: 0.4,
      predictedLtv: 12,
      drivers: {},
      modelVersions: { 'first-purchase': 'v1' },
      scoredAt: at(1),
    });
    await db.models.Score.collection.updateOne({ _id: 'c-1' as never }, { $set: { cohort: 'buyer' } });
    const prospect = (await api.get('/v1/customers/c-2').set('Authorization', `Bearer ${key}`)).body;
    expect(prospect.scores).toMatchObject({
      cohort: 'prospect',
      values: { firstPurchaseProbability: 0.4, predictedLtv: 12 },
    });
    expect(prospect.scores.values.churnRisk).toBeUndefined();
    expect(Object.keys(prospect.scores.notApplicable).sort()).toEqual(['churnRisk', 'expectedNextOrderAt']);
    expect(prospect.scores.notApplicable.churnRisk).toMatch(/no order before the as-of date/);
    const buyer = (await api.get('/v1/customers/c-1').set('Authorization', `Bearer ${key}`)).body;
    expect(buyer.scores).toMatchObject({
      cohort: 'buyer',
      notApplicable: { firstPurchaseProbability: expect.stringMatching(/has ordered/) },
    });
  });

  it('answers 404 for an unknown customer', async () => {
    expect((await api.get('/v1/customers/nobody').set('Authorization', `Bearer ${key}`)).status).toBe(404);
  });
});
