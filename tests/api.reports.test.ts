import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { period, seedAttributionShop } from './attribution.fixture.js';
import { useTestDatabase } from './helpers/db.js';
import { openApiClient, type OpenApiClient } from './helpers/openApiClient.js';

const database = useTestDatabase();
let app: ReturnType<typeof buildApp>;
let api: OpenApiClient;
let key = '';
const get = (url: string) => api.get(url).set('Authorization', `Bearer ${key}`);
const q = `from=${period.from}&to=${period.to}`;

beforeAll(async () => {
  app = buildApp({ database: database() });
  api = await openApiClient(app);
  key = (await createApiKey(database().models, { role: 'marketer', name: 'm' })).key;
});

describe('report routes', () => {
  it('404 before any report, and a period needs both ends', async () => {
    expect((await get('/v1/reports/attribution')).status).toBe(404);
    const half = await get(`/v1/reports/attribution?from=${period.from}`);
    expect(half.status).toBe(400);
    expect(half.body.error.details.issues[0].path).toBe('query.to');
    const bad = await get('/v1/reports/kpis?by=weekday');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.issues[0].path).toBe('query.by');
  });

  it('computes and stores the period’s report on first request, then serves the stored one', async () => {
    await seedAttributionShop(database());
    const first = await get(`/v1/reports/attribution?${q}&model=markov`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      from: period.from,
      to: period.to,
      orders: 4,
      revenue: 210,
      untouched: { orders: 2, revenue: 70 },
    });
    expect(first.body.models).toHaveLength(1);
    const markov = Object.fromEntries(
      first.body.models[0].channels.map((c: { channel: string; conversions: number }) => [c.channel, c.conversions]),
    );
    expect(markov['email click · flow welcome']).toBeCloseTo(4 / 3, 9);
    const again = await get(`/v1/reports/attribution?from=2026-03-01&to=2026-03-31`);
    expect(again.body.reportId).toBe(first.body.reportId);
    expect(again.body.models.map((m: { model: string }) => m.model)).toEqual([
      'first_touch',
      'last_touch',
      'linear',
      'time_decay',
      'position_based',
      'markov',
      'shapley',
    ]);
    expect((await get('/v1/reports/attribution')).body.reportId).toBe(first.body.reportId);
  });

  it('serves CSV by format or Accept header', async () => {
    const csv = await get(`/v1/reports/attribution?${q}&model=last_touch&format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toBe('model,channel,conversions,value');
    expect(lines).toContain('last_touch,paid · google,1,100');
    const kpis = await get(`/v1/reports/kpis?${q}&by=flow`).set('Accept', 'text/csv');
    expect(kpis.headers['content-type']).toMatch(/text\/csv/);
    const [header, welcome] = kpis.text
      .trim()
      .split('\n')
      .map((l) => l.split(','));
    const row = Object.fromEntries(header!.map((h, i) => [h, welcome![i]]));
    expect(row).toMatchObject({
      key: 'welcome',
      sends: '2',
      revenue: '140',
      incrementalPerRecipient: '60',
      holdoutSize: '2',
    });
  });

  it('KPIs by each dimension as JSON', async () => {
    const flow = await get(`/v1/reports/kpis?${q}`);
    expect(flow.body.by).toBe('flow');
    expect(flow.body.items[0]).toMatchObject({ key: 'welcome', clicks: 2, holdout: { incrementalPerRecipient: 60 } });
    const segment = await get(`/v1/reports/kpis?${q}&by=segment`);
    expect(segment.body.items).toEqual([expect.objectContaining({ key: 'vip', sends: 2 })]);
  });

  it('dashboard data comes from the segments, scores and experiments collections', async () => {
    const { SegmentCount, Segment, Score, CustomerSegments, Experiment } = database().models;
    const today = new Date().toISOString().slice(0, 10);
    await Segment.collection.insertOne({ _id: 'vip' as never, name: 'VIPs', rule: {} });
    await SegmentCount.collection.insertMany([{ _id: `vip:${today}` as never, segmentId: 'vip', day: today, size: 7 }]);
    await Score.collection.insertMany([
      { _id: 'c1' as never, partition: 0, bestSendHour: 9, sendHourConfidence: 0.8 },
      { _id: 'c2' as never, partition: 0, bestSendHour: 9, sendHourConfidence: 0.1 },
    ]);
    await CustomerSegments.collection.updateOne(
      { _id: 'c1' as never },
      { $set: { lifecycle: { stage: 'active', history: [{ from: 'new', to: 'active' }] } } },
    );
    await Experiment.collection.insertOne({
      _id: 'subject-test' as never,
      name: 'Subject A/B',
      status: 'running',
      results: { A: { sends: 10 } },
    });
    const res = await get('/v1/reports/dashboard');
    expect(res.status).toBe(200);
    expect(res.body.segmentSizes).toEqual([{ segmentId: 'vip', name: 'VIPs', points: [{ day: today, size: 7 }] }]);
    expect(res.body.lifecycle).toEqual({
      stages: [{ stage: 'active', customers: 1 }],
      moves: [{ from: 'new', to: 'active', count: 1 }],
    });
    expect(res.body.sendHours.counts[0][9]).toBe(1);
    expect(res.body.sendHours.counts[2][9]).toBe(1);
    expect(res.body.experiments[0]).toMatchObject({ id: 'subject-test', results: { A: { sends: 10 } } });
  });

  it('draws the dashboard’s charts as PNG on the server', async () => {
    const png = (res: request.Response) => {
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('image/png');
      expect((res.body as Buffer).subarray(1, 4).toString()).toBe('PNG');
      return (res.body as Buffer).length;
    };
    expect(png(await get(`/v1/reports/attribution?${q}&format=png`))).toBeGreaterThan(10_000);
    expect(png(await get(`/v1/reports/kpis?${q}&by=variant&format=png`))).toBeGreaterThan(10_000);
    expect(png(await get('/v1/reports/dashboard?chart=sendHours'))).toBeGreaterThan(5_000);
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await request(app).get('/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/reports/attribution', '/v1/reports/kpis', '/v1/reports/dashboard']),
    );
    expect(doc.paths['/v1/reports/kpis'].get.parameters.map((p: { name: string }) => p.name)).toContain('by');
  });
});
