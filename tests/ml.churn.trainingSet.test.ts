import { beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_VERSION } from '../src/features/buildFeatures.js';
import {
  buildTrainingSet,
  encodeRows,
  numericColumns,
  rowsOf,
  splitOf,
  trainingSetFromEvents,
  type TrainingSet,
} from '../src/ml/trainingSet.js';
import { recordEvents } from '../src/ingest/storeEvents.js';
import { rebuildTimelines } from '../src/ingest/timeline/rebuild.js';
import { useTestDatabase } from './helpers/db.js';

const database = useTestDatabase();

const T = new Date('2026-03-01T00:00:00Z');
const DAY = 86_400_000;
const at = (days: number) => new Date(T.getTime() + days * DAY);
let seq = 0;
const event = (
  customerId: string,
  type: string,
  ts: Date,
  props: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
) => ({
  eventId: `e-${++seq}`,
  customerId,
  partition: 0,
  type,
  ts,
  props,
  receivedAt: ts,
  source: 'api' as const,
  device: 'mobile',
  sessionId: `s-${customerId}-${Math.floor(ts.getTime() / DAY)}`,
  ...extra,
});
const order = (customerId: string, ts: Date, orderId: string, revenue: number) =>
  event(customerId, 'order_completed', ts, { orderId, revenue });

/** Four customers: a regular buyer, a lapsed one, one who buys only after T, one who never buys. */
function history() {
  return [
    event('alice', 'product_viewed', at(-40), { productId: 'p1', price: 30 }),
    order('alice', at(-30), 'a1', 40),
    event('alice', 'email_opened', at(-20), { messageId: 'm1' }),
    order('alice', at(-5), 'a2', 60),
    order('alice', at(10), 'a3', 25),
    event('bob', 'page_viewed', at(-200)),
    order('bob', at(-190), 'b1', 100),
    event('carol', 'product_viewed', at(-3), { productId: 'p2', price: 12 }),
    order('carol', at(20), 'c1', 12),
    event('dave', 'page_viewed', at(-1)),
  ];
}

const build = () => buildTrainingSet(database(), { asOf: T, horizonDays: 90 });

function row(set: TrainingSet, customerId: string): { x: number[]; churned: number; revenue: number } {
  const i = set.customerIds.indexOf(customerId);
  if (i < 0) throw new Error(`${customerId} not in the training set`);
  const d = set.featureNames.length;
  return {
    x: Array.from(set.X.subarray(i * d, (i + 1) * d)),
    churned: set.churned[i]!,
    revenue: set.futureRevenue[i]!,
  };
}

let before: TrainingSet;

beforeAll(async () => {
  await recordEvents(database(), [
    event('alice', 'identify', at(-400), { traits: { timezone: 'Europe/Paris' } }),
    ...history(),
  ]);
  before = await build();
});

describe('training set', () => {
  it('holds customers with an order before T, labelled from orders in (T, T + H]', () => {
    expect(before.customerIds).toEqual(['alice', 'bob']);
    expect(row(before, 'alice')).toMatchObject({ churned: 0, revenue: 25 });
    expect(row(before, 'bob')).toMatchObject({ churned: 1, revenue: 0 });
    expect(before.X).toHaveLength(2 * before.featureNames.length);
    expect(before.featureNames).toContain('recencyDays');
    expect(before.featureNames).not.toContain('topCategory1');
    // Features really are the ones of the events before T: alice last ordered 5 days before T.
    expect(row(before, 'alice').x[before.featureNames.indexOf('recencyDays')]).toBeCloseTo(Math.log1p(5), 5);
    expect(before.raw.recencyDays![0]).toBeCloseTo(5, 9);
  });

  it('lets no event at or after T reach the features, while labels follow the future', async () => {
    const { Event } = database().models;
    await recordEvents(database(), [
      // Bob comes back after T (so is no longer churned) and is very active exactly at T.
      order('bob', at(30), 'b2', 500),
      event('bob', 'product_viewed', T, { productId: 'p9', price: 999 }),
      event('bob', 'email_opened', T, { messageId: 'm2' }),
      event('bob', 'order_refunded', at(1), { orderId: 'b1', amount: 100 }),
      // An order exactly at T is on neither side.
      order('alice', T, 'a-at-T', 1000),
      // Carol's first order moves to exactly T: still no order *before* T.
      order('carol', T, 'c0', 7),
      event('dave', 'cart_item_added', at(2), { productId: 'p1', price: 30 }),
    ]);
    // Altering a future event (in the system of record, then rebuilt from it) changes nothing on the feature side either.
    await Event.collection.updateOne({ 'props.orderId': 'a3' }, { $set: { 'props.revenue': 9999 } });
    await rebuildTimelines(database());
    const after = await build();

    expect(after.customerIds).toEqual(before.customerIds);
    expect(after.featureNames).toEqual(before.featureNames);
    expect(Array.from(after.X)).toEqual(Array.from(before.X));
    expect(row(after, 'bob')).toMatchObject({ churned: 0, revenue: 500 });
    expect(row(after, 'alice')).toMatchObject({ churned: 0, revenue: 9999 });
  });

  it('counts an order id once, on the side where it first happened', () => {
    const set = trainingSetFromEvents(
      [
        order('erin', at(-10), 'x1', 10),
        order('erin', at(5), 'x1', 10),
        order('erin', at(6), 'x2', 3),
        order('erin', at(7), 'x2', 3),
      ],
      { asOf: T, horizonDays: 90 },
    );
    expect(set.futureOrders[0]).toBe(1);
    expect(set.futureRevenue[0]).toBe(3);
  });

  it('ends the label window at T + H, inclusive', () => {
    const events = [
      order('finn', at(-10), 'f1', 10),
      order('finn', at(90), 'f2', 10),
      order('gail', at(-10), 'g1', 10),
      order('gail', new Date(at(90).getTime() + 1), 'g2', 10),
    ];
    const set = trainingSetFromEvents(events, { asOf: T, horizonDays: 90 });
    expect(Array.from(set.churned)).toEqual([0, 1]);
  });

  it('reads the same rows from the database as from the events in memory', async () => {
    const docs = await database().models.Event.collection.find({}).toArray();
    const memory = trainingSetFromEvents(
      docs as never,
      { asOf: T, horizonDays: 90 },
      { timezones: new Map([['alice', 'Europe/Paris']]) },
    );
    const stored = await build();
    expect(memory.customerIds).toEqual(stored.customerIds);
    expect(Array.from(memory.X)).toEqual(Array.from(stored.X));
    expect(Array.from(memory.churned)).toEqual(Array.from(stored.churned));
  });

  it('takes the features from feature_snapshots stored for exactly T', async () => {
    const values = { orders: 42, recencyDays: 1, preferredDevice: 'tablet' };
    await database().models.FeatureSnapshot.collection.insertOne({
      customerId: 'bob',
      partition: 0,
      asOf: T,
      version: FEATURE_VERSION,
      values,
    });
    const set = await build();
    expect(set.sources).toEqual({ events: 1, snapshots: 1 });
    expect(row(set, 'bob').x).toEqual(Array.from(encodeRows([values], set.columns)));
    expect(row(set, 'bob').churned).toBe(0);
    const ignored = await buildTrainingSet(database(), { asOf: T, horizonDays: 90, useSnapshots: false });
    expect(ignored.sources).toEqual({ events: 2, snapshots: 0 });
  });

  it('encodes nulls as 0 plus a missing flag, counts on a log scale, the device one-hot', () => {
    const rows = [
      { orders: 3, orderGapMeanDays: 12, preferredDevice: 'mobile', emailOpenRate30d: 0.5 },
      { orders: 1, orderGapMeanDays: null, preferredDevice: null, emailOpenRate30d: 0.25 },
    ];
    const columns = numericColumns(rows);
    const names = columns.map((c) => c.name);
    expect(names).toContain('orderGapMeanDays_missing');
    expect(names).toContain('preferredDevice=mobile');
    expect(names).not.toContain('bgnbdTWeeks');
    const X = encodeRows(rows, columns);
    const get = (r: number, name: string) => X[r * columns.length + names.indexOf(name)];
    expect(get(0, 'orders')).toBeCloseTo(Math.log1p(3), 6);
    expect(get(0, 'emailOpenRate30d')).toBeCloseTo(0.5, 6);
    expect([get(1, 'orderGapMeanDays'), get(1, 'orderGapMeanDays_missing')]).toEqual([0, 1]);
    expect([get(0, 'preferredDevice=mobile'), get(1, 'preferredDevice=mobile')]).toEqual([1, 0]);
  });

  it('splits customers deterministically, about 70/15/15', () => {
    const counts = { train: 0, validation: 0, test: 0 };
    for (let i = 0; i < 10_000; i++) counts[splitOf(`cust-${i}`)]++;
    expect(counts.train / 10_000).toBeCloseTo(0.7, 1);
    expect(counts.validation / 10_000).toBeCloseTo(0.15, 1);
    expect(splitOf('cust-1')).toBe(splitOf('cust-1'));
    const set = trainingSetFromEvents(
      Array.from({ length: 200 }, (_, i) => order(`c${i}`, at(-3), `o${i}`, 5)),
      { asOf: T, horizonDays: 30 },
    );
    const sizes = (['train', 'validation', 'test'] as const).map((s) => rowsOf(set, s).rows);
    expect(sizes.reduce((a, b) => a + b)).toBe(200);
    expect(rowsOf(set, 'test').customerIds.every((id) => splitOf(id) === 'test')).toBe(true);
  });
});
