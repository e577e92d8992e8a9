import { beforeAll, describe, expect, it } from 'vitest';
import buildFeaturesJob from '../jobs/build-features.js';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { runJob } from '../src/jobs/runJob.js';
import { useTestDatabase } from './helpers/db.js';
import { openApiClient, type OpenApiClient } from './helpers/openApiClient.js';

/** Weather through the real HTTP app: the table's import, context on events, features, segments. */
const database = useTestDatabase();
let api: OpenApiClient;
let admin = '';
const DAY = 86_400_000;
const today = Math.floor(Date.now() / DAY);
const dateOf = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);
/** Past days of the table on which it was 0 °C (10 °C on the others). */
const coldDays = [today - 30, today - 22, today - 15, today - 8];

const post = (body: string | object, type: string, query = '') =>
  api
    .post(`/v1/weather${query}`)
    .set('Authorization', `Bearer ${admin}`)
    .set('content-type', type)
    .send(typeof body === 'string' ? body : JSON.stringify(body));

function csv(fromDay: number, toDay: number, temp: (day: number) => number, region = 'Porto'): string {
  const lines = ['date,region,temperature,precipitation,condition'];
  for (let d = fromDay; d <= toDay; d++) lines.push(`${dateOf(d)},${region},${temp(d)},0.5,cloudy`);
  return lines.join('\n') + '\n';
}

beforeAll(async () => {
  api = await openApiClient(buildApp({ database: database() }));
  admin = (await createApiKey(database().models, { role: 'admin', name: 'a' })).key;
});

describe('POST /v1/weather', () => {
  it('refuses a file with bad rows, naming each by line, and stores nothing', async () => {
    const body = [
      'date,region,temperature,precipitation,condition',
      `${dateOf(today - 2)},Porto,12,0,clear`,
      `2026-13-40,Porto,12,0,clear`,
      `${dateOf(today - 1)},Porto,warm,0,clear`,
      `${dateOf(today - 1)},,12,0,clear`,
      `${dateOf(today - 2)},porto ,11,0,clear`,
      `${dateOf(today - 3)},Porto,12,0,clear,extra`,
    ].join('\n');
    const res = await post(body, 'text/csv');
    expect(res.status).toBe(400);
    expect(res.body.error.details.rejected).toEqual([
      { line: 3, field: 'date', reason: 'expected a date as YYYY-MM-DD' },
      { line: 4, field: 'temperature', reason: 'expected a number' },
      { line: 5, field: 'region', reason: expect.stringMatching(/>=1 characters/) },
      { line: 6, field: 'date', reason: `porto on ${dateOf(today - 2)} is also on line 2` },
      { line: 7, field: '(row)', reason: 'the row has 6 fields, the header 5' },
    ]);
    expect(await database().collections.weather.countDocuments()).toBe(0);
  });

  it('stores the table, marks days after today as forecasts, and a re-import changes nothing', async () => {
    const body = csv(today - 40, today + 3, (d) => (coldDays.includes(d) ? 0 : 10));
    const first = await post(body, 'text/csv');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ read: 44, inserted: 44, updated: 0, unchanged: 0, forecast: 3, rejected: [] });
    const again = await post(body, 'text/csv');
    expect(again.body).toMatchObject({ read: 44, inserted: 0, updated: 0, unchanged: 44 });
    expect(await database().collections.weather.countDocuments()).toBe(44);
    const doc = await database().collections.weather.findOne({ _id: `porto|${dateOf(today + 1)}` });
    expect(doc).toMatchObject({ region: 'Porto', tempC: 10, precipMm: 0.5, condition: 'cloudy', forecast: true });
  });

  it('takes NDJSON (a line that is not JSON named) and JSON rows', async () => {
    const bad = await post('{"date":"2026-01-01","region":"Lyon","temperature":3}\nnot json\n', 'application/x-ndjson');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.rejected).toEqual([{ line: 2, field: '(row)', reason: 'the line is not JSON' }]);
    const partial = await post(
      '{"date":"2026-01-01","region":"Lyon","temperature":3}\nnot json\n',
      'application/x-ndjson',
      '?partial=true',
    );
    expect(partial.body).toMatchObject({ read: 2, inserted: 1, rejected: [{ line: 2 }] });
    const json = await post([{ date: '2026-01-01', region: 'Lyon', temperature: 4, extra: 1 }], 'application/json');
    expect(json.status).toBe(400);
    expect(json.body.error.details.rejected).toEqual([
      { line: 1, field: '(row)', reason: expect.stringMatching(/extra/) },
    ]);
    const fixed = await post([{ date: '2026-01-01', region: 'Lyon', temperature: 4 }], 'application/json');
    expect(fixed.body).toMatchObject({ inserted: 0, updated: 1 });
    const other = await post('date,region\n', 'text/plain');
    expect(other.status).toBe(415);
  });
});

describe('events with context', () => {
  it('refuses a context out of bounds or with unknown keys, naming the field', async () => {
    const send = (context: unknown) =>
      api
        .post('/v1/events')
        .set('Authorization', `Bearer ${admin}`)
        .send({ type: 'app_opened', customerId: 'x', context });
    const hot = await send({ weather: { tempC: 500 } });
    expect(hot.status).toBe(400);
    expect(hot.body.error.details.rejected[0]).toMatchObject({ field: 'context.weather.tempC' });
    const odd = await send({ location: { street: 'Rua 1' } });
    expect(odd.body.error.details.rejected[0]).toMatchObject({ field: 'context.location' });
  });

  it('keeps Segment context.location (region, city, country) and drops its coordinates', async () => {
    const res = await api
      .post('/v1/segment/track')
      .set('Authorization', `Bearer ${admin}`)
      .send({
        userId: 'seg-1',
        event: 'App Opened',
        messageId: 'seg-ctx-1',
        context: { location: { region: 'Porto', country: 'PT', latitude: 41.1, speed: 0 } },
      });
    expect(res.status).toBe(200);
    const stored = await database().collections.events.findOne({ eventId: 'seg-ctx-1' });
    expect(stored?.props.context).toEqual({ location: { region: 'Porto', country: 'PT' } });
  });
});

describe('weather features and segments', () => {
  const viewsOn = (customerId: string, days: number[], category: string, context?: object) =>
    days.map((d, i) => ({
      type: 'product_viewed',
      customerId,
      timestamp: new Date(d * DAY + 12 * 3_600_000 + i).toISOString(),
      properties: { productId: `${category}-${i}`, category },
      ...(context ? { context } : {}),
    }));
  const normalDays = [35, 33, 29, 27, 25, 20, 18, 12, 10, 5, 3].map((n) => today - n);
  const rule = {
    all: [
      { field: 'weather.coldSnap', op: 'eq', value: true },
      { field: 'features.weatherLift.outerwear', op: 'gte', value: 1.5 },
    ],
  };
  const preview = (r: unknown) =>
    api.post('/v1/segments/preview').set('Authorization', `Bearer ${admin}`).send({ rule: r, sample: 10 });

  beforeAll(async () => {
    const events = [
      // Region from the context of an event: outerwear on every cold day, other things on normal days.
      ...viewsOn('cold-buyer', coldDays, 'outerwear', { location: { region: ' PORTO ', country: 'PT' } }),
      ...viewsOn('cold-buyer', normalDays, 'shoes'),
      // Region from the profile's address: outerwear once, on a cold day: too little to tell.
      { type: 'identify', customerId: 'once', properties: { traits: { address: { state: 'Porto' } } } },
      ...viewsOn('once', coldDays.slice(0, 1), 'outerwear'),
      ...viewsOn('once', normalDays, 'shoes'),
      // Outerwear whatever the weather.
      { type: 'identify', customerId: 'steady', properties: { traits: { region: 'Porto' } } },
      ...viewsOn('steady', [...coldDays.slice(0, 1), ...normalDays], 'outerwear'),
    ];
    const res = await api.post('/v1/events').set('Authorization', `Bearer ${admin}`).send(events);
    expect(res.status).toBe(200);
    const outcome = await runJob(buildFeaturesJob, { full: true }, { database: database(), trigger: 'test' });
    expect(outcome.ok && outcome.value.status).toBe('succeeded');
  });

  const features = async (id: string) =>
    (await api.get(`/v1/customers/${id}/features`).set('Authorization', `Bearer ${admin}`)).body.values;

  it('learns the region and a cold-day lift for outerwear, with a minimum support', async () => {
    const cold = await features('cold-buyer');
    expect(cold.weatherRegion).toBe('porto');
    expect(cold.weatherLift.outerwear).toBeGreaterThan(2);
    expect(cold.weatherLift.shoes).toBeLessThan(1);
    const once = await features('once');
    expect(once.weatherRegion).toBe('porto');
    expect(once.weatherLift.outerwear).toBeUndefined();
    const steady = await features('steady');
    expect(steady.weatherLift.outerwear).toBeGreaterThan(0.8);
    expect(steady.weatherLift.outerwear).toBeLessThan(1.2);
  });

  it('the segment is empty without a cold snap and activates when one is forecast', async () => {
    const before = await preview(rule);
    expect(before.status).toBe(200);
    expect(before.body.count).toBe(0);
    const snap = await post(
      csv(today + 1, today + 2, () => -1),
      'text/csv',
    );
    expect(snap.body).toMatchObject({ updated: 2, forecast: 2 });
    const weather = await api.get('/v1/weather').set('Authorization', `Bearer ${admin}`);
    expect(weather.body.regions).toContainEqual(expect.objectContaining({ region: 'porto', coldSnap: true }));
    const after = await preview(rule);
    expect(after.body.count).toBe(1);
    expect(after.body.sample.map((m: { customerId: string }) => m.customerId)).toEqual(['cold-buyer']);
    const warmOnly = await preview({ field: 'weather.tempC', op: 'gte', value: 20 });
    expect(warmOnly.body.count).toBe(0);
  });

  it('refuses weather rules that name no field or the wrong type, by path', async () => {
    const cases: [unknown, string, RegExp][] = [
      [{ field: 'weather.humidity', op: 'gt', value: 3 }, 'body.rule.field', /unknown field "weather.humidity"/],
      [{ field: 'weather.coldSnap', op: 'eq', value: 'yes' }, 'body.rule.value', /boolean/],
      [{ field: 'weather.tempC', op: 'withinLast', days: 2 }, 'body.rule.op', /does not apply/],
      [{ field: 'features.weatherLift', op: 'gte', value: 1 }, 'body.rule.field', /unknown field/],
      [{ field: 'features.weatherLift.$where', op: 'gte', value: 1 }, 'body.rule.field', /unknown field/],
      [{ field: 'features.weatherLift.outerwear', op: 'eq', value: 'high' }, 'body.rule.value', /number/],
    ];
    for (const [r, path, message] of cases) {
      const res = await preview(r);
      expect(res.status, JSON.stringify(r)).toBe(400);
      const issue = res.body.error.details.issues[0];
      expect(issue.path).toBe(path);
      expect(issue.message).toMatch(message);
    }
  });
});
