import { beforeAll, describe, expect, it, inject } from 'vitest';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { connectDatabase } from '../src/db/database.js';
import { ingestEvents } from '../src/ingest/ingestEvents.js';
import { linkAnonymousEvents } from '../src/ingest/linkAnonymousEvents.js';
import { foldNow } from '../src/ingest/timeline/folder.js';
import { countRecorded } from '../src/ingest/tracking/countEvents.js';
import { flushTracking } from '../src/ingest/tracking/trackingBuffer.js';
import type { TrackingReport, TrackingRow } from '../src/ingest/tracking/trackingReportSchema.js';
import { useTestDatabase } from './helpers/db.js';
import { openApiClient, type OpenApiClient } from './helpers/openApiClient.js';

const database = useTestDatabase();
let api: OpenApiClient;
const keys = { marketer: '', ingest: '' };
const now = Date.now();
const ago = (ms: number) => new Date(now - ms).toISOString();
const HOUR = 3_600_000;

beforeAll(async () => {
  api = await openApiClient(buildApp({ database: database() }));
  for (const role of ['marketer', 'ingest'] as const)
    keys[role] = (await createApiKey(database().models, { role, name: role })).key;
});

const postEvents = (body: unknown[], query = '?partial=true') =>
  api.post(`/v1/events${query}`).set('Authorization', `Bearer ${keys.ingest}`).send(body);

async function report(query = ''): Promise<TrackingReport> {
  const res = await api.get(`/v1/reports/tracking${query}`).set('Authorization', `Bearer ${keys.marketer}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as TrackingReport;
}
const rowOf = (r: TrackingReport, source: string, type: string): TrackingRow => {
  const row = r.rows.find((x) => x.source === source && x.type === type);
  if (!row) throw new Error(`no row ${source}/${type} in ${r.rows.map((x) => `${x.source}/${x.type}`).join(', ')}`);
  return row;
};

describe('tracking-quality counters written at intake', () => {
  it('counts refusals, unknown names, clock skew, anonymous traffic and duplicates exactly, with examples', async () => {
    const viewed = (i: number, extra: object = {}) => ({
      eventId: `v${i}`,
      type: 'product_viewed',
      customerId: `c${i}`,
      properties: { productId: `p${i}` },
      ...extra,
    });
    const first = await postEvents([
      viewed(1),
      viewed(2, { timestamp: ago(3 * HOUR) }), // late 1 h – 1 d
      viewed(3, { timestamp: ago(2 * 24 * HOUR) }), // late 1 – 7 days
      viewed(4, { timestamp: ago(-10 * 60_000) }), // 10 min ahead
      { eventId: 'bad1', type: 'product_viewed', customerId: 'c9', properties: {} }, // productId missing
      { eventId: 'bad2', type: 'product_viewed', customerId: 'c9', properties: { price: 5 } }, // productId missing
      { eventId: 'bad3', type: 'order_completed', customerId: 'c9', properties: { orderId: 'o9' } }, // revenue missing
      { eventId: 'bad4', type: 'Product Viewd', customerId: 'c9' }, // unknown type
      { eventId: 'bad5', type: 'Product Viewd', customerId: 'c9' },
      { eventId: 'cu1', type: 'custom', customerId: 'c1', properties: { name: 'promo_banner_click' } },
      { eventId: 'an1', type: 'page_viewed', anonymousId: 'anon-1', properties: { path: '/' } },
      { eventId: 'an2', type: 'page_viewed', anonymousId: 'anon-2', properties: { path: '/' } },
    ]);
    expect(first.status).toBe(200);
    expect(first.body.rejected).toHaveLength(5);
    // Two of them delivered again, plus one new event.
    const again = await postEvents([viewed(1), viewed(2, { timestamp: ago(3 * HOUR) }), viewed(5)]);
    expect(again.body).toMatchObject({ stored: 1, duplicates: 2 });

    const r = await report();
    const pv = rowOf(r, 'api', 'product_viewed');
    expect(pv).toMatchObject({ events: 5, duplicates: 2, refused: 2, anonymous: 0, skewed: 3 });
    expect(pv.missingProperties).toEqual([{ property: 'productId', count: 2 }]);
    expect(Object.fromEntries(pv.clockSkew.map((b) => [b.bucket, b.count]))).toEqual({
      'ahead>5m': 1,
      within5m: 2,
      'late5m-1h': 0,
      'late1h-1d': 1,
      'late1d-7d': 1,
      'late>7d': 0,
    });
    expect(pv.examples.duplicate!.map((e) => e.eventId)).toEqual(['v1', 'v2']);
    expect(pv.examples.missingProperty!.map((e) => e.eventId)).toEqual(['bad1', 'bad2']);
    expect(pv.examples.clockSkew!.map((e) => e.eventId).sort()).toEqual(['v2', 'v3', 'v4']);
    expect(pv.volume.reduce((n, v) => n + v.events, 0)).toBe(5);

    expect(rowOf(r, 'api', 'order_completed')).toMatchObject({
      refused: 1,
      missingProperties: [{ property: 'revenue', count: 1 }],
    });
    const unknown = rowOf(r, 'api', '(unknown)');
    expect(unknown).toMatchObject({ refused: 2, unknownNames: [{ name: 'Product Viewd', count: 2 }] });
    expect(unknown.examples.unknownName!.map((e) => e.eventId)).toEqual(['bad4', 'bad5']);
    expect(rowOf(r, 'api', 'custom')).toMatchObject({
      events: 1,
      unknownNames: [{ name: 'promo_banner_click', count: 1 }],
    });
    expect(rowOf(r, 'api', 'page_viewed')).toMatchObject({ events: 2, anonymous: 2, linked: 0, anonymousOnly: 2 });

    const kinds = r.findings.map((f) => `${f.kind} ${f.source}/${f.type} ${f.count}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'missingProperty api/product_viewed 2',
        'duplicate api/product_viewed 2',
        'clockSkew api/product_viewed 3',
        'unknownName api/(unknown) 2',
        'anonymousOnly api/page_viewed 2',
      ]),
    );
  });

  it('subtracts anonymous events an identity link later copied to a customer', async () => {
    await postEvents([{ eventId: 'id1', type: 'identify', customerId: 'cust-a', anonymousId: 'anon-1' }]);
    await linkAnonymousEvents(database(), { chunk: 100, progress: () => undefined });
    expect(rowOf(await report(), 'api', 'page_viewed')).toMatchObject({ anonymous: 2, linked: 1, anonymousOnly: 1 });
  });

  it('counts orders whose customer had no view before them, once, in the fold', async () => {
    const order = (id: string, customerId: string, ts: string) => ({
      eventId: id,
      type: 'order_completed',
      customerId,
      timestamp: ts,
      properties: { orderId: id, revenue: 20 },
    });
    const view = (id: string, customerId: string, ts: string) => ({
      eventId: id,
      type: 'product_viewed',
      customerId,
      timestamp: ts,
      properties: { productId: 'p1' },
    });
    await postEvents([view('ov1', 'buyer-viewed', ago(HOUR)), order('o1', 'buyer-viewed', ago(HOUR / 2))]);
    await postEvents([order('o2', 'buyer-blind', ago(HOUR / 2)), order('o3', 'buyer-blind', ago(HOUR / 4))]);
    // A view after the order does not make it viewed; a redelivered order is not counted again.
    await postEvents([view('ov2', 'buyer-blind', ago(HOUR / 8)), order('o2', 'buyer-blind', ago(HOUR / 2))]);
    const row = rowOf(await report(), 'api', 'order_completed');
    expect(row.ordersWithoutViews).toBe(2);
    expect(row.examples.orderWithoutView!.map((e) => [e.eventId, e.who])).toEqual([
      ['o2', 'buyer-blind'],
      ['o3', 'buyer-blind'],
    ]);
  });

  it('counts Segment messages refused before they map to an event', async () => {
    const res = await api
      .post('/v1/segment/batch')
      .auth(keys.ingest, '')
      .send({
        batch: [
          { type: 'track', event: 'Product Viewed', userId: 'seg-1', properties: { product_id: 'p1' } },
          { type: 'launch', userId: 'seg-1' }, // no Segment call type
        ],
      });
    expect(res.status).toBe(200);
    const r = await report('?source=segment');
    expect(r.rows.every((x) => x.source === 'segment')).toBe(true);
    expect(rowOf(r, 'segment', 'product_viewed').events).toBe(1);
    expect(rowOf(r, 'segment', '(invalid message)').refused).toBe(1);
  });

  it('counts queued requests when the fold settles them, where their duplicates become known', async () => {
    const events = ['q1', 'q2', 'v5'].map((eventId) => ({
      eventId,
      type: 'cart_viewed',
      customerId: 'queued-1',
      properties: { cartId: 'k1' },
    }));
    const queued = await ingestEvents(database(), events, { queue: true });
    expect(queued.ok && queued.value.queued).toBe(3);
    await foldNow(database());
    // v5 was stored before as a product_viewed: its eventId is what makes it a duplicate.
    expect(rowOf(await report(), 'api', 'cart_viewed')).toMatchObject({ events: 2, duplicates: 1 });
  });

  it('keeps every count when processes flush at once ($inc would not: FerretDB v1 loses concurrent increments)', async () => {
    const uri = new URL(inject('mongoUri'));
    uri.pathname = `/${database().db.databaseName}`;
    const others = await Promise.all([0, 1, 2].map(() => connectDatabase({ uri: uri.toString(), skipIndexes: true })));
    const receivedAt = new Date(Date.UTC(2026, 0, 5, 10));
    try {
      await Promise.all(
        others.map(async (db, p) => {
          for (let round = 0; round < 5; round++) {
            const docs = Array.from({ length: 40 }, (_, i) => ({
              eventId: `conc-${p}-${round}-${i}`,
              type: 'cart_viewed',
              customerId: 'c',
              ts: receivedAt,
              receivedAt,
              source: 'api' as const,
              props: {},
            }));
            countRecorded(db, docs, new Set([0]));
            await flushTracking(db, { wait: true });
          }
        }),
      );
    } finally {
      await Promise.all(others.map((db) => db.close()));
    }
    const row = rowOf(await report('?from=2026-01-05&to=2026-01-06'), 'api', 'cart_viewed');
    expect(row).toMatchObject({ events: 3 * 5 * 39, duplicates: 3 * 5 });
    expect(row.examples.duplicate).toHaveLength(5);
  });

  it('refuses a window it cannot serve with the field and reason', async () => {
    const res = await api
      .get('/v1/reports/tracking?from=2026-01-01&to=2026-12-01')
      .set('Authorization', `Bearer ${keys.marketer}`);
    expect(res.status).toBe(400);
    expect(res.body.error.details.issues[0]).toMatchObject({ path: 'query.from' });
    const hourly = await api
      .get('/v1/reports/tracking?from=2026-01-01&to=2026-02-01&by=hour')
      .set('Authorization', `Bearer ${keys.marketer}`);
    expect(hourly.status).toBe(400);
    expect(hourly.body.error.details.issues[0]).toMatchObject({ path: 'query.by' });
  });
});
