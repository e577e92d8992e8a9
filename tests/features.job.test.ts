import { beforeAll, describe, expect, it } from 'vitest';
import job from '../jobs/build-features.js';
import { config } from '../src/config.js';
import { partitionOf } from '../src/db/partition.js';
import { buildFeatures, snapshotId } from '../src/features/index.js';
import { parsePartitionList } from '../src/features/refreshFeatures.js';
import { expireSnapshots } from '../src/features/store.js';
import { recordEvents } from '../src/ingest/storeEvents.js';
import { runJob } from '../src/jobs/runJob.js';
import { useTestDatabase } from './helpers/db.js';

const database = useTestDatabase();
const P = config().PARTITIONS;
const asOf = new Date('2024-03-01T00:00:00Z');
const anHourAgo = new Date(Date.now() - 3_600_000);
const timezones: Record<string, string> = { 'cust-ny': 'America/New_York', 'cust-syd': 'Australia/Sydney' };

interface Doc {
  eventId: string;
  type: string;
  customerId?: string;
  partition?: number;
  ts: Date;
  receivedAt: Date;
  source: string;
  channel: string;
  device: string;
  sessionId?: string;
  props: Record<string, unknown>;
}

let n = 0;
function event(
  customerId: string | undefined,
  type: string,
  iso: string,
  props: Record<string, unknown> = {},
  receivedAt = anHourAgo,
): Doc {
  const doc: Doc = {
    eventId: `ev-${++n}`,
    type,
    ts: new Date(iso),
    receivedAt,
    source: 'sim',
    channel: 'web',
    device: 'mobile',
    sessionId: `s-${iso.slice(0, 10)}`,
    props,
  };
  if (customerId) Object.assign(doc, { customerId, partition: partitionOf(customerId, P) });
  return doc;
}

function historyOf(customerId: string, month: number): Doc[] {
  const d = (day: number, h = 10) =>
    `2024-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}T${String(h).padStart(2, '0')}:00:00Z`;
  return [
    event(customerId, 'identify', d(1), { traits: { email: `${customerId}@example.com` } }),
    event(customerId, 'product_viewed', d(2), { productId: 'p1', category: 'shoes', price: 80, timeOnPageSec: 40 }),
    event(customerId, 'cart_item_added', d(2, 11), {
      cartId: `${customerId}-c1`,
      productId: 'p1',
      category: 'shoes',
      price: 80,
      quantity: 1,
    }),
    event(customerId, 'order_completed', d(3), {
      orderId: `${customerId}-o1`,
      revenue: 80,
      items: [{ productId: 'p1', category: 'shoes', price: 80, quantity: 1 }],
    }),
    event(customerId, 'email_sent', d(10), { messageId: `${customerId}-m1` }),
    event(customerId, 'email_opened', d(10, 14), { messageId: `${customerId}-m1` }),
    event(customerId, 'order_completed', d(20), { orderId: `${customerId}-o2`, revenue: 120, discount: 10 }),
    event(customerId, 'custom_quiz_taken', d(21), { name: 'quiz' }),
  ];
}

const events: Doc[] = [
  // time zones come from what the customers said (identify), as the fold derives profiles
  event('cust-ny', 'identify', '2023-12-01T00:00:00Z', { traits: { timezone: 'America/New_York' } }),
  event('cust-syd', 'identify', '2024-02-01T00:00:00Z', { traits: { timezone: 'Australia/Sydney' } }),
  ...historyOf('cust-ny', 1),
  ...historyOf('cust-syd', 2),
  ...historyOf('cust-nodoc', 1),
  // only after every as-of date used here: never gets features as of them
  ...historyOf('cust-future', 4),
  event(undefined, 'page_viewed', '2024-01-05T00:00:00Z', { path: '/' }),
];

function expected(customerId: string, at: Date, all = events) {
  const own = all.filter((e) => e.customerId === customerId).sort((a, b) => +a.ts - +b.ts);
  return buildFeatures(own, { asOf: at, timezone: timezones[customerId] ?? 'UTC' });
}

async function run(options: Record<string, unknown>) {
  const outcome = await runJob(job, options, { database: database(), trigger: 'test' });
  if (!outcome.ok) throw new Error(outcome.error.message);
  expect(outcome.value.error?.message).toBeUndefined();
  expect(outcome.value.status).toBe('succeeded');
  return outcome.value.counts;
}

async function currentFeatures() {
  const docs = await database().models.Feature.collection.find({}).sort({ _id: 1 }).toArray();
  return new Map(docs.map((d) => [String(d._id), d]));
}

beforeAll(async () => {
  await recordEvents(database(), events as never[]);
});

describe('build-features job', () => {
  it('computes every customer with events before asOf from their timeline, in their timezone, and drops the others', async () => {
    const counts = await run({ asOf: asOf.toISOString(), full: true });
    // cust-future has nothing before asOf: its features (written as of now by the fold) go
    expect(counts).toMatchObject({ customers: 3, partitions: P, written: 3, staleDeleted: 1 });
    const docs = await currentFeatures();
    expect([...docs.keys()]).toEqual(['cust-nodoc', 'cust-ny', 'cust-syd']);
    for (const [id, doc] of docs) {
      expect(doc.values, id).toEqual(expected(id, asOf));
      expect(doc).toMatchObject({ partition: partitionOf(id, P), asOf, version: 1 });
    }
    expect(docs.get('cust-ny')!.values).toMatchObject({
      orders: 2,
      monetaryNet: 200,
      openHour_09: 1,
      discountOrderShare: 0.5,
    });
    // 10 Feb 14:00 UTC is 1 am on the 11th in Sydney
    expect(docs.get('cust-syd')!.values).toMatchObject({ orders: 2, openHour_01: 1, spendShareSummer: 1 });
  });

  it('writes snapshots keyed by (asOf, customerId) and leaves the current features alone', async () => {
    const before = await currentFeatures();
    const at = new Date('2024-02-01T00:00:00Z');
    const counts = await run({ asOf: at.toISOString(), snapshot: true });
    // cust-syd's history starts in February
    expect(counts).toMatchObject({ customers: 2, written: 2 });
    const snapshots = await database()
      .models.FeatureSnapshot.collection.find({ asOf: at })
      .sort({ customerId: 1 })
      .toArray();
    expect(snapshots.map((s) => s.customerId)).toEqual(['cust-nodoc', 'cust-ny']);
    for (const s of snapshots) {
      expect(s._id).toBe(snapshotId(at, s.customerId));
      expect(s.values).toEqual(expected(s.customerId, at));
    }
    // again: replaced, not duplicated
    await run({ asOf: at.toISOString(), snapshot: true });
    expect(await database().models.FeatureSnapshot.collection.countDocuments({ asOf: at })).toBe(2);
    const after = await currentFeatures();
    for (const [id, doc] of before) expect(after.get(id)!.computedAt).toEqual(doc.computedAt);
  });

  it('expires only the snapshots taken before the cutoff', async () => {
    const at = new Date('2024-02-01T00:00:00Z');
    expect(await database().models.FeatureSnapshot.collection.countDocuments({ asOf: at })).toBe(2);
    expect(await expireSnapshots(database(), at)).toBe(0);
    expect(await expireSnapshots(database(), new Date(at.getTime() + 1))).toBe(2);
    expect(await database().models.FeatureSnapshot.collection.countDocuments({})).toBe(0);
  });

  it('new events reach features through the fold, for their customer only, without any job', async () => {
    const before = await currentFeatures();
    const late = event(
      'cust-syd',
      'order_completed',
      '2024-02-25T10:00:00Z',
      { orderId: 'cust-syd-o3', revenue: 50 },
      new Date(),
    );
    await recordEvents(database(), [late as never]);
    const after = await currentFeatures();
    const syd = after.get('cust-syd')!;
    expect(syd.values).toEqual(expected('cust-syd', syd.asOf as Date, [...events, late]));
    expect(syd.values.orders).toBe(3);
    expect(+syd.computedAt).toBeGreaterThan(+before.get('cust-syd')!.computedAt);
    expect(after.get('cust-ny')!.computedAt).toEqual(before.get('cust-ny')!.computedAt);
  });

  it('recomputes everyone as of now once a day, and in between only folds what is staged', async () => {
    const first = await run({});
    expect(first).toMatchObject({ customers: 4, written: 4 });
    const again = await run({});
    expect(again).toMatchObject({ customers: 0, written: 0, folded: 0 });
    // a day later it is due again
    await database()
      .db.collection('feature_watermarks')
      .updateMany({}, { $set: { at: new Date(Date.now() - 25 * 3_600_000) } });
    expect(await run({})).toMatchObject({ customers: 4 });
  });

  it('restricts a run to some partitions', async () => {
    const p = partitionOf('cust-ny', P);
    const counts = await run({ asOf: asOf.toISOString(), full: true, partitions: String(p) });
    expect(counts.partitions).toBe(1);
    expect(counts.customers).toBe(['cust-ny', 'cust-syd', 'cust-nodoc'].filter((c) => partitionOf(c, P) === p).length);
  });

  it('refuses bad options before running', async () => {
    const outcome = await runJob(job, { partitions: `0-${P}` }, { database: database(), trigger: 'test' });
    expect(outcome).toMatchObject({ ok: false, error: { type: 'invalid_options', issues: [{ path: 'partitions' }] } });
    expect(parsePartitionList('0-3, 7,2', 16)).toEqual({ ok: true, value: [0, 1, 2, 3, 7] });
    expect(parsePartitionList('3-1', 16).ok).toBe(false);
    expect(parsePartitionList('x', 16).ok).toBe(false);
  });
});
