import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import mergeDuplicatesJob from '../jobs/merge-duplicates.js';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { config } from '../src/config.js';
import { mergeCustomers } from '../src/customers/merge/mergeCustomers.js';
import { mergeEnrollments } from '../src/customers/merge/mergeEnrollments.js';
import { runMerge } from '../src/customers/merge/runMerge.js';
import type { MergeDoc } from '../src/db/models/merge.js';
import { partitionOf } from '../src/db/partition.js';
import { eventSchema } from '../src/ingest/eventSchemas.js';
import { storeEvents } from '../src/ingest/storeEvents.js';
import { readTimeline } from '../src/ingest/timeline/timelineStore.js';
import { runJob } from '../src/jobs/runJob.js';
import { useTestDatabase } from './helpers/db.js';

/**
 * Merges that must be refused with a clear error and nothing merged — an id with itself, a loop,
 * a repeat, an erased or unknown person, a bad body — and the ones that must converge: chains to
 * one survivor, and a merge re-run after a crash midway.
 */
const database = useTestDatabase();
let app: ReturnType<typeof buildApp>;
let admin: string;

let n = 0;
async function customer(id: string, email: string, orders = 1) {
  const events = [
    { eventId: `i-${++n}`, type: 'identify', customerId: id, properties: { traits: { email } } },
    ...Array.from({ length: orders }, (_, k) => ({
      eventId: `o-${++n}`,
      type: 'order_completed',
      customerId: id,
      timestamp: `2026-0${k + 1}-01T10:00:00Z`,
      properties: { orderId: `o-${n}`, revenue: 10 },
    })),
  ].map((e) => eventSchema.parse(e));
  await storeEvents(database(), events, 'api');
}

const merge = (merged: string, survivor: string) =>
  request(app).post('/v1/merges').set('Authorization', `Bearer ${admin}`).send({ merged, survivor });

/** Everything a refused merge must leave untouched. */
async function snapshot() {
  const c = database().collections;
  return {
    merges: await c.merges.countDocuments(),
    aliases: await c.mergeAliases.find().sort({ _id: 1 }).toArray(),
    customers: (await c.customers.find({}, { projection: { _id: 1 } }).toArray()).map((d) => d._id).sort(),
    events: await c.events.countDocuments(),
  };
}

/** A merge refused with this status and message, and nothing written. */
async function expectRefused(merged: string, survivor: string, status: number, message: string) {
  const before = await snapshot();
  const res = await merge(merged, survivor);
  expect(res.status).toBe(status);
  expect(res.body.error.message).toBe(message);
  expect(await snapshot()).toEqual(before);
}

const eventIdsOf = async (id: string) =>
  (await readTimeline(database(), id, partitionOf(id, config().PARTITIONS))).events.map((e) => e.i).sort();

beforeAll(async () => {
  app = buildApp({ database: database() });
  admin = (await createApiKey(database().models, { role: 'admin', name: 'admin', rateLimitPerMinute: 0 })).key;
});

describe('merges refused with a clear error, nothing merged', () => {
  it('refuses a body without ids, naming the field', async () => {
    const res = await merge('', 'x');
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('merged');
  });

  it('refuses merging a customer with itself', async () => {
    await customer('self', 'self@example.com');
    await expectRefused('self', 'self', 400, 'customer self cannot be merged with itself');
  });

  it('refuses a loop (A into B, then B into A) and a repeat', async () => {
    await customer('loop-a', 'loop-a@example.com');
    await customer('loop-b', 'loop-b@example.com');
    expect((await merge('loop-a', 'loop-b')).status).toBe(201);
    await expectRefused(
      'loop-b',
      'loop-a',
      409,
      'merging loop-b into loop-a would loop: loop-a is already merged into loop-b',
    );
    await expectRefused('loop-a', 'loop-b', 409, 'customer loop-a is already merged into loop-b');
  });

  it('refuses an erased person, as merged id or as survivor', async () => {
    await customer('erased', 'erased@example.com');
    await customer('alive', 'alive@example.com');
    const erase = await request(app).delete('/v1/privacy/customers/erased').set('Authorization', `Bearer ${admin}`);
    expect(erase.status).toBe(200);
    const message = 'customer erased is not known (never seen, or erased): nothing merged';
    await expectRefused('erased', 'alive', 404, message);
    await expectRefused('alive', 'erased', 404, message);
  });

  it('erases every id merged into an erased person, and the merge records with them', async () => {
    await customer('gone-a', 'gone@example.com');
    await customer('gone-b', 'gone@example.com');
    const found = await runJob(mergeDuplicatesJob, {}, { database: database(), trigger: 'test' });
    expect(found.ok && found.value.counts).toMatchObject({ merged: 1 });
    const c = database().collections;
    expect(await c.customerEmails.findOne({ _id: 'gone@example.com' })).toMatchObject({ customerId: 'gone-a' });
    const made = await c.merges.findOne({ merged: 'gone-b' });
    // Erasing by the merged id erases the person it became.
    const erase = await request(app).delete('/v1/privacy/customers/gone-b').set('Authorization', `Bearer ${admin}`);
    expect(erase.status).toBe(200);
    expect(await c.events.countDocuments({ customerId: { $in: ['gone-a', 'gone-b'] } })).toBe(0);
    expect(await c.merges.countDocuments({ $or: [{ survivor: 'gone-a' }, { merged: 'gone-b' }] })).toBe(0);
    expect(await c.mergeAliases.findOne({ _id: 'gone-b' })).toBeNull();
    expect(await c.customerEmails.findOne({ _id: 'gone@example.com' })).toBeNull();
    const undo = await request(app).post(`/v1/merges/${made!._id}/undo`).set('Authorization', `Bearer ${admin}`);
    expect(undo.status).toBe(404);
  });

  it('refuses an undo past the window, and one whose survivor was merged on since', async () => {
    await customer('old-a', 'old-a@example.com');
    await customer('old-b', 'old-b@example.com');
    const old = await mergeCustomers(database(), {
      merged: 'old-b',
      survivor: 'old-a',
      reason: 'manual',
      by: 'test',
      at: new Date(Date.now() - (config().MERGE_UNDO_DAYS + 1) * 86_400_000),
    });
    expect(old.ok).toBe(true);
    const expired = await request(app)
      .post(`/v1/merges/${old.ok && old.value._id}/undo`)
      .set('Authorization', `Bearer ${admin}`);
    expect(expired.status).toBe(409);
    expect(expired.body.error.message).toContain('undo window (MERGE_UNDO_DAYS): it is final');
  });
});

describe('chains and re-runs converge on one survivor', () => {
  it('resolves A into B, then B into C, to C holding all three histories; undone in reverse order only', async () => {
    for (const id of ['chain-a', 'chain-b', 'chain-c']) await customer(id, `${id}@example.com`);
    const own = await Promise.all(['chain-a', 'chain-b', 'chain-c'].map(eventIdsOf));
    const first = await merge('chain-a', 'chain-b');
    const second = await merge('chain-b', 'chain-c');
    expect(second.body).toMatchObject({ merged: 'chain-b', survivor: 'chain-c' });
    // Naming the first id again acts on the person it became: already merged.
    expect((await merge('chain-a', 'chain-c')).status).toBe(409);
    const held = (await eventIdsOf('chain-c')).map((id) => id.split('@')[0]!);
    expect(new Set(held)).toEqual(new Set(own.flat()));
    expect(held).toHaveLength(own.flat().length);
    const view = await request(app).get('/v1/customers/chain-a').set('Authorization', `Bearer ${admin}`);
    expect(view.body.customerId).toBe('chain-c');
    expect(view.body.features.values.orders).toBe(3);

    const early = await request(app).post(`/v1/merges/${first.body.id}/undo`).set('Authorization', `Bearer ${admin}`);
    expect(early.status).toBe(409);
    expect(early.body.error.message).toBe(
      `chain-b was merged into chain-c afterwards: undo merge ${second.body.id} first`,
    );
    for (const id of [second.body.id, first.body.id]) {
      const res = await request(app).post(`/v1/merges/${id}/undo`).set('Authorization', `Bearer ${admin}`);
      expect(res.status).toBe(200);
    }
    expect(await Promise.all(['chain-a', 'chain-b', 'chain-c'].map(eventIdsOf))).toEqual(own);
  });

  it('finishes a merge stopped by a crash midway, and a second run changes nothing', async () => {
    await customer('crash-a', 'crash@example.com', 2);
    await customer('crash-b', 'crash@example.com', 1);
    // A merge killed after its record, its alias and the enrolments: what mergeCustomers had written by then.
    const started: MergeDoc = {
      _id: 'crashed-merge',
      survivor: 'crash-a',
      merged: 'crash-b',
      reason: 'email',
      status: 'started',
      at: new Date(),
      by: 'test',
      moved: {},
    };
    const c = database().collections;
    await c.merges.insertOne(started);
    await c.mergeAliases.insertOne({ _id: 'crash-b', survivor: 'crash-a', mergeId: started._id });
    await mergeEnrollments(database(), started, partitionOf('crash-a', config().PARTITIONS));

    const outcome = await runJob(mergeDuplicatesJob, {}, { database: database(), trigger: 'test' });
    expect(outcome.ok && outcome.value.counts).toMatchObject({ resumed: 1 });
    const done = await c.merges.findOne({ _id: started._id });
    expect(done).toMatchObject({ status: 'done', moved: { events: 2 } });
    expect(await c.customers.findOne({ _id: 'crash-b' })).toBeNull();
    const events = await c.events.countDocuments();
    const timeline = await eventIdsOf('crash-a');
    expect((await c.features.findOne({ _id: 'crash-a' }))?.values).toMatchObject({ orders: 3 });

    await runMerge(database(), done!);
    expect(await c.events.countDocuments()).toBe(events);
    expect(await eventIdsOf('crash-a')).toEqual(timeline);
    expect(await c.merges.findOne({ _id: started._id })).toMatchObject({ status: 'done', moved: { events: 2 } });
  });
});
