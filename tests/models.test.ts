import { describe, expect, it } from 'vitest';
import { partitionOf } from '../src/db/partition.js';
import { useTestDatabase } from './helpers/db.js';

const database = useTestDatabase();

describe('model indexes', () => {
  it('rejects a duplicate eventId', async () => {
    const { Event } = database().models;
    await Event.collection.insertOne({ eventId: 'e-1', type: 'product_viewed', ts: new Date() });
    await expect(
      Event.collection.insertOne({ eventId: 'e-1', type: 'product_viewed', ts: new Date() }),
    ).rejects.toMatchObject({ code: 11000 });
    expect(await Event.countDocuments({ eventId: 'e-1' })).toBe(1);
  });

  it('keeps the rest of an unordered batch when one eventId repeats', async () => {
    const { Event } = database().models;
    const docs = ['b-1', 'b-2', 'e-1', 'b-3'].map((eventId) => ({ eventId, type: 'page_viewed', ts: new Date() }));
    await expect(Event.collection.insertMany(docs, { ordered: false })).rejects.toMatchObject({ code: 11000 });
    expect(await Event.countDocuments({ eventId: { $in: ['b-1', 'b-2', 'b-3'] } })).toBe(3);
  });

  it('allows one message per (enrollment, step)', async () => {
    const { Message } = database().models;
    const claim = { enrollmentId: 'en-1', stepId: 'reminder-1h', customerId: 'c1' };
    await Message.create(claim);
    await expect(Message.create(claim)).rejects.toMatchObject({ code: 11000 });
    await Message.create({ ...claim, stepId: 'urgency-24h' });
    expect(await Message.countDocuments({ enrollmentId: 'en-1' })).toBe(2);
  });

  it('allows one enrollment per (flow, customer, key)', async () => {
    const { Enrollment } = database().models;
    await Enrollment.create({ flowId: 'cart', customerId: 'c1', partition: 1, key: 'cart-9' });
    await expect(
      Enrollment.create({ flowId: 'cart', customerId: 'c1', partition: 1, key: 'cart-9' }),
    ).rejects.toMatchObject({ code: 11000 });
  });

  it('keeps one lease per (job, run, partition)', async () => {
    const { JobLease } = database().models;
    await JobLease.collection.insertOne({ _id: 'x:run:3' as never, job: 'x', runKey: 'run', partition: 3 });
    await expect(
      JobLease.collection.insertOne({ _id: 'x:run:3' as never, job: 'x', runKey: 'run', partition: 3 }),
    ).rejects.toMatchObject({ code: 11000 });
  });
});

describe('partitionOf', () => {
  it('is the contract every language can compute, and spreads ids over every partition', () => {
    // From `printf customer-42 | md5sum` (cd8e59ee… → 0xcd8e59ee = 3,448,658,414) and the same for the others.
    expect(partitionOf('customer-42', 16)).toBe(3_448_658_414 % 16);
    expect(partitionOf('customer-42', 64)).toBe(46);
    expect(partitionOf('c0', 16)).toBe(3);
    expect(partitionOf('alice', 64)).toBe(50);
    const counts = new Array(16).fill(0);
    for (let i = 0; i < 16_000; i++) counts[partitionOf(`c${i}`, 16)]++;
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
  });
});
