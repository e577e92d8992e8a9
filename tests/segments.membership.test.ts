import { beforeAll, describe, expect, it } from 'vitest';
import assignSegmentsJob from '../jobs/assign-segments.js';
import { config } from '../src/config.js';
import { partitionOf } from '../src/db/partition.js';
import { eventSchema } from '../src/ingest/eventSchemas.js';
import { storeEvents } from '../src/ingest/storeEvents.js';
import { runJob } from '../src/jobs/runJob.js';
import { isDeclining } from '../src/segments/membership/counts.js';
import { readMembers, type MemberRow } from '../src/segments/membership/memberPages.js';
import { maxUsefulSegments, segmentWarnings } from '../src/segments/membership/warnings.js';
import { addCustomers } from './helpers/customers.js';
import { useTestDatabase } from './helpers/db.js';

const database = useTestDatabase();
const P = config().PARTITIONS;
const N = 60;
const ids = Array.from({ length: N }, (_, i) => `c-${String(i).padStart(3, '0')}`);

async function setChurn(risk: (i: number) => number): Promise<void> {
  const docs = ids.map((id, i) => ({
    _id: id,
    partition: partitionOf(id, P),
    churnRisk: risk(i),
    predictedLtv: i * 10,
    drivers: {},
    modelVersions: { churn: 'v1' },
    scoredAt: new Date(),
  }));
  await database().replaceById(database().models.Score.collection as never, docs as never[]);
}

async function run(asOf: string, scan: 'auto' | 'partition' = 'auto') {
  const outcome = await runJob(assignSegmentsJob, { asOf, scan }, { database: database(), trigger: 'test' });
  if (!outcome.ok) throw new Error(outcome.error.message);
  expect(outcome.value.error).toBeUndefined();
  return outcome.value.counts;
}

async function members(segment: string): Promise<MemberRow[]> {
  const seg = await database().models.Segment.collection.findOne({ _id: segment as never });
  const rows: MemberRow[] = [];
  const read = await readMembers(
    database(),
    { id: segment, index: seg?.memberPages, partitions: P },
    null,
    Infinity,
    (r) => void rows.push(r),
  );
  expect(read.ok).toBe(true);
  return rows;
}

beforeAll(async () => {
  await addCustomers(
    database(),
    ids.map((id, i) => ({
      id,
      email: `${id}@example.com`,
      firstName: `F${i}`,
      timezone: 'UTC',
      at: new Date('2026-01-01'),
    })),
  );
  // c-<i> placed i % 4 orders in the last days (current features are as of now).
  const orders = ids.flatMap((id, i) =>
    Array.from({ length: i % 4 }, (_, k) =>
      eventSchema.parse({
        type: 'order_completed',
        customerId: id,
        timestamp: Date.now() - (k + 1) * 86_400_000,
        properties: { orderId: `o-${id}-${k}`, revenue: 20 },
      }),
    ),
  );
  await storeEvents(database(), orders, 'api');
  await database().models.Segment.collection.insertMany([
    {
      _id: 'at-risk' as never,
      name: 'At risk',
      kind: 'custom',
      builtIn: false,
      active: true,
      rule: { field: 'scores.churnRisk', op: 'gte', value: 0.5 },
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
});

describe('assign-segments', () => {
  it('records entries, exits and re-entries with history, events, counts and member pages across runs', async () => {
    // run 1: the first 10 are at risk
    await setChurn((i) => (i < 10 ? 0.9 : 0.1));
    const first = await run('2026-10-01T06:00:00Z');
    expect(first).toMatchObject({ customers: N, exited: 0 });
    expect(first.seeded).toBeGreaterThan(20);
    // pages go partition by partition, sorted by customer id within each
    expect((await members('at-risk')).map((r) => r.customerId).sort()).toEqual(ids.slice(0, 10));
    expect((await members('top-ltv')).map((r) => r.customerId).sort()).toEqual(ids.slice(N - 12));
    expect((await members('at-risk')).find((r) => r.customerId === 'c-000')).toMatchObject({
      email: 'c-000@example.com',
      churnRisk: 0.9,
      enteredAt: '2026-10-01T06:00:00.000Z',
    });

    // a cursor opened now survives the next run (previous version kept), not the one after
    const index = async () =>
      (await database().models.Segment.collection.findOne({ _id: 'at-risk' as never }))?.memberPages;
    const opened = await readMembers(
      database(),
      { id: 'at-risk', index: await index(), partitions: P },
      null,
      3,
      () => undefined,
    );
    if (!opened.ok || !opened.value.next) throw new Error('no cursor');
    const cursor = opened.value.next;
    const rest = async () => {
      const rows: string[] = [];
      const read = await readMembers(
        database(),
        { id: 'at-risk', index: await index(), partitions: P },
        cursor,
        Infinity,
        (r) => void rows.push(r.customerId),
      );
      return read.ok ? rows.length : read.error;
    };

    // a re-run with the same data changes nothing and emits nothing — read partition by partition
    // (MongoDB's way) it must find exactly what the one-scan (FerretDB) run found
    const again = await run('2026-10-01T06:30:00Z', 'partition');
    expect(again).toMatchObject({ seeded: 0, entered: 0, exited: 0, events: 0, stateWrites: 0 });

    expect(await rest()).toBe(7);
    // run 2: c-000 is no longer at risk
    await setChurn((i) => (i < 10 && i !== 0 ? 0.9 : 0.1));
    await run('2026-10-02T06:00:00Z');
    expect(await rest()).toBe('cursor_expired');
    // run 3: c-000 is back
    await setChurn((i) => (i < 10 ? 0.9 : 0.1));
    await run('2026-10-03T06:00:00Z');

    const state = await database().models.CustomerSegments.collection.findOne({ _id: 'c-000' as never });
    const stays = (doc: typeof state, key: keyof NonNullable<typeof state>) =>
      (doc?.[key] as { segmentId: string }[]).filter((s) => s.segmentId === 'at-risk');
    expect(stays(state, 'current')).toEqual([{ segmentId: 'at-risk', enteredAt: new Date('2026-10-03T06:00:00Z') }]);
    expect(stays(state, 'past')).toEqual([
      { segmentId: 'at-risk', enteredAt: new Date('2026-10-01T06:00:00Z'), exitedAt: new Date('2026-10-02T06:00:00Z') },
    ]);
    // c-001 stayed the whole time: its stay keeps the first entry time
    expect(
      stays(await database().models.CustomerSegments.collection.findOne({ _id: 'c-001' as never }), 'current'),
    ).toEqual([{ segmentId: 'at-risk', enteredAt: new Date('2026-10-01T06:00:00Z') }]);

    const events = await database()
      .models.Event.collection.find({ customerId: 'c-000', 'props.segmentId': 'at-risk' })
      .sort({ ts: 1 })
      .toArray();
    expect(events.map((e) => [e.type, e.eventId])).toEqual([
      ['segment_entered', `seg:at-risk:c-000:${Date.parse('2026-10-01T06:00:00Z')}`],
      ['segment_exited', `seg-exit:at-risk:c-000:${Date.parse('2026-10-01T06:00:00Z')}`],
      ['segment_entered', `seg:at-risk:c-000:${Date.parse('2026-10-03T06:00:00Z')}`],
    ]);

    const counts = await database()
      .models.SegmentCount.collection.find({ segmentId: 'at-risk' })
      .sort({ day: 1 })
      .toArray();
    expect(counts.map((c) => [c.day, c.size, c.entered, c.exited])).toEqual([
      ['2026-10-01', 10, 10, 0],
      ['2026-10-02', 9, 0, 1],
      ['2026-10-03', 10, 1, 0],
    ]);
    const seg = await database().models.Segment.collection.findOne({ _id: 'at-risk' as never });
    expect(seg?.memberCount).toBe(10);
    // 60 customers: 10 is too small to act on, and the built-ins with members are more than 5
    expect(seg?.warnings).toEqual([
      expect.stringContaining('too small'),
      expect.stringMatching(/segments have members but a list of 60 customers supports about 5/),
    ]);
  });
});

describe('segment health', () => {
  const day = (n: number) => new Date(Date.UTC(2026, 8, 1 + n)).toISOString().slice(0, 10);
  it('flags a segment that shrank by a fifth or more within 30 days', () => {
    const series = (sizes: number[]) => sizes.map((size, i) => ({ day: day(i * 10), size, entered: 0, exited: 0 }));
    expect(isDeclining(series([100, 90, 79]))).toBe(true);
    expect(isDeclining(series([100, 95, 85]))).toBe(false);
    // the drop from 200 is older than 30 days
    expect(isDeclining(series([200, 100, 100, 95, 90]))).toBe(false);
    expect(isDeclining(series([5, 1]))).toBe(false);
  });

  it('warns about small segments and about more segments than the list supports', () => {
    expect(maxUsefulSegments(999)).toBe(5);
    expect(maxUsefulSegments(4000)).toBe(11);
    const sizes = new Map(Array.from({ length: 6 }, (_, i) => [`s${i}`, i === 0 ? 0 : i * 100] as [string, number]));
    const w = segmentWarnings(sizes, 800, 150);
    expect(w.nonEmpty).toBe(5);
    expect(w.overall).toBeNull();
    expect([...w.bySegment.keys()]).toEqual(['s1']);
    expect(segmentWarnings(new Map([...sizes, ['s6', 700]]), 800, 150).overall).toMatch(
      /6 segments have members but a list of 800 customers supports about 5/,
    );
  });
});
