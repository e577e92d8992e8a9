import { beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { useTestDatabase } from './helpers/db.js';
import { openApiClient, type OpenApiClient } from './helpers/openApiClient.js';

/** Operators, prototype keys and odd shapes sent as weather rows, context or weather rules: refused, nothing stored. */
const database = useTestDatabase();
let api: OpenApiClient;
let admin = '';

beforeAll(async () => {
  api = await openApiClient(buildApp({ database: database() }));
  admin = (await createApiKey(database().models, { role: 'admin', name: 'a' })).key;
});

describe('weather bad input', () => {
  it('refuses operator objects and extra keys in weather rows', async () => {
    const rows = [
      { date: '2026-01-01', region: { $gt: '' }, temperature: 1 },
      { date: { $ne: null }, region: 'Oslo', temperature: 1 },
      { date: '2026-01-01', region: 'Oslo', temperature: { $where: 'sleep(1000)' } },
      { date: '2026-01-01', region: 'Oslo', temperature: 1, $set: { forecast: true } },
      [1, 2],
      null,
    ];
    const res = await api
      .post('/v1/weather')
      .set('Authorization', `Bearer ${admin}`)
      .set('content-type', 'application/json')
      .send(JSON.stringify(rows));
    expect(res.status).toBe(400);
    expect(res.body.error.details.rejected.map((r: { line: number }) => r.line)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await database().collections.weather.countDocuments()).toBe(0);
  });

  it('refuses __proto__ in a weather body and in event context', async () => {
    const proto = await api
      .post('/v1/weather')
      .set('Authorization', `Bearer ${admin}`)
      .set('content-type', 'application/json')
      .send('[{"date":"2026-01-01","region":"Oslo","temperature":1,"__proto__":{"forecast":true}}]');
    expect(proto.status).toBe(400);
    const context = await api
      .post('/v1/events')
      .set('Authorization', `Bearer ${admin}`)
      .set('content-type', 'application/json')
      .send('{"type":"app_opened","customerId":"x","context":{"location":{"__proto__":{"region":"Oslo"}}}}');
    expect(context.status).toBe(400);
    expect(await database().collections.weather.countDocuments()).toBe(0);
    expect(await database().collections.events.countDocuments()).toBe(0);
  });

  it('refuses operator-shaped weather rule values and lift keys', async () => {
    const preview = (rule: unknown) =>
      api.post('/v1/segments/preview').set('Authorization', `Bearer ${admin}`).send({ rule });
    for (const rule of [
      { field: 'weather.tempC', op: 'gt', value: { $gt: -100 } },
      { field: 'weather.condition', op: 'in', values: [{ $regex: '.*' }] },
      { field: 'features.weatherLift.__proto__', op: 'gte', value: 1 },
      { field: 'features.weatherLift.a.b', op: 'gte', value: 1 },
    ])
      expect((await preview(rule)).status, JSON.stringify(rule)).toBe(400);
  });
});
