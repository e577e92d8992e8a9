import { describe, expect, it } from 'vitest';
import { ingestEvents } from '../src/ingest/ingestEvents.js';
import { runJob } from '../src/jobs/runJob.js';
import linkIdentities from '../jobs/link-identities.js';
import { useTestDatabase } from './helpers/db.js';

const database = useTestDatabase();

const view = (i: number, extra: Record<string, unknown> = {}) => ({
  eventId: `view-${i}`,
  type: 'product_viewed',
  customerId: 'c-1',
  timestamp: `2026-01-0${1 + (i % 9)}T10:00:00Z`,
  properties: { productId: `p-${i}`, price: 20, timeOnPageSec: 30 },
  ...extra,
});

describe('ingestEvents', () => {
  it('refuses a whole batch with one bad event and stores nothing', async () => {
    const batch = [view(1), { ...view(2), properties: { price: -5 } }, view(3)];
    const result = await ingestEvents(database(), batch);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.rejected).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ index: 1, field: 'properties.productId' }),
        expect.objectContaining({ index: 1, field: 'properties.price' }),
      ]),
    );
    expect(await database().models.Event.countDocuments({ eventId: { $in: ['view-1', 'view-3'] } })).toBe(0);
  });

  it('stores the valid events of a partial batch and lists the rejected', async () => {
    const result = await ingestEvents(database(), [view(4), { type: 'teleported', customerId: 'c-1' }, view(5)], {
      partial: true,
    });
    expect(result).toMatchObject({
      ok: true,
      value: { received: 3, stored: 2, duplicates: 0, eventIds: ['view-4', null, 'view-5'] },
    });
    if (result.ok)
      expect(result.value.rejected[0]).toMatchObject({
        index: 1,
        field: 'type',
        reason: expect.stringContaining('unknown event type "teleported"'),
      });
  });

  it('stores nothing twice when a batch is retried, and says how many were duplicates', async () => {
    const batch = [view(6), view(7), view(6)];
    const first = await ingestEvents(database(), batch);
    expect(first).toMatchObject({ ok: true, value: { stored: 2, duplicates: 1 } });
    const retry = await ingestEvents(database(), batch);
    expect(retry).toMatchObject({ ok: true, value: { stored: 0, duplicates: 3 } });
    expect(await database().models.Event.countDocuments({ eventId: { $in: ['view-6', 'view-7'] } })).toBe(2);
  });

  it('generates an eventId when missing and reports it back', async () => {
    const { eventId: _omit, ...noId } = view(8);
    const result = await ingestEvents(database(), [noId]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const id = result.value.eventIds[0]!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await database().models.Event.countDocuments({ eventId: id })).toBe(1);
  });

  it('links anonymous events to the customer once identify arrives, and later anonymous events too', async () => {
    const anon = {
      type: 'product_viewed',
      anonymousId: 'anon-9',
      timestamp: '2026-02-01T09:00:00Z',
      properties: { productId: 'p-9' },
    };
    await ingestEvents(database(), [{ ...anon, eventId: 'anon-before' }]);
    expect(await database().models.Event.findOne({ eventId: 'anon-before' }).lean()).not.toHaveProperty('customerId');

    await ingestEvents(database(), [
      {
        eventId: 'identify-9',
        type: 'identify',
        customerId: 'c-9',
        anonymousId: 'anon-9',
        timestamp: '2026-02-01T09:05:00Z',
        properties: {
          traits: { email: 'Nine@Example.com', timezone: 'Europe/Paris', favouriteColour: 'green' },
          consent: { email: true },
        },
      },
    ]);
    const outcome = await runJob(linkIdentities, {}, { database: database(), trigger: 'test' });
    expect(outcome).toMatchObject({ ok: true, value: { status: 'succeeded', counts: { eventsCopied: 1 } } });
    const linked = await database().models.Event.findOne({ eventId: 'anon-before@c-9' }).lean();
    expect(linked).toMatchObject({
      customerId: 'c-9',
      anonymousId: 'anon-9',
      partition: expect.any(Number),
      props: { productId: 'p-9' },
    });
    // running again copies nothing twice
    expect(await runJob(linkIdentities, {}, { database: database(), trigger: 'test' })).toMatchObject({
      value: { counts: { eventsCopied: 0 } },
    });

    await ingestEvents(database(), [{ ...anon, eventId: 'anon-after', timestamp: '2026-02-02T09:00:00Z' }]);
    expect(await database().models.Event.findOne({ eventId: 'anon-after' }).lean()).toMatchObject({
      customerId: 'c-9',
    });

    const customer = await database().models.Customer.findById('c-9').lean();
    expect(customer).toMatchObject({
      email: 'nine@example.com',
      timezone: 'Europe/Paris',
      anonymousIds: ['anon-9'],
      traits: { favouriteColour: 'green' },
      consent: { email: { status: 'granted' } },
    });
  });

  it('records an unsubscribe as denied consent and a suppression; an older opt-in cannot undo it', async () => {
    await ingestEvents(database(), [
      {
        type: 'identify',
        customerId: 'c-10',
        timestamp: '2026-03-01T00:00:00Z',
        properties: { traits: { email: 'ten@example.com' }, consent: { email: true } },
      },
      {
        type: 'email_unsubscribed',
        customerId: 'c-10',
        timestamp: '2026-03-05T00:00:00Z',
        properties: { campaignId: 'spring' },
      },
    ]);
    await ingestEvents(database(), [
      {
        type: 'identify',
        customerId: 'c-10',
        timestamp: '2026-03-02T00:00:00Z',
        properties: { consent: { email: true } },
      },
    ]);
    const customer = await database().models.Customer.findById('c-10').lean();
    expect(customer!.consent!.email).toMatchObject({ status: 'denied' });
    expect(await database().models.Suppression.findOne({ address: 'ten@example.com' }).lean()).toMatchObject({
      reason: 'unsubscribe',
      customerId: 'c-10',
    });
  });

  it('recreates a customer erased since this process last saw it, on the next profile change', async () => {
    const identify = (email: string, ts: string) => ({
      type: 'identify',
      customerId: 'c-20',
      timestamp: ts,
      properties: { traits: { email, plan: 'gold' } },
    });
    await ingestEvents(database(), [identify('a@example.com', '2026-03-01T00:00:00Z')]);
    await database().models.Customer.deleteOne({ _id: 'c-20' });
    await ingestEvents(database(), [identify('b@example.com', '2026-03-02T00:00:00Z')]);
    expect(await database().models.Customer.findById('c-20').lean()).toMatchObject({
      email: 'b@example.com',
      partition: expect.any(Number),
      traits: { plan: 'gold' },
    });
  });

  it('refuses property keys that could act as operators or reach the prototype', async () => {
    for (const bad of [
      { $where: 'sleep(1000)' },
      { 'a.b': 1 },
      JSON.parse('{"__proto__": {"x": 1}}'),
      { nested: { $gt: '' } },
    ]) {
      const result = await ingestEvents(database(), [
        { type: 'custom', customerId: 'c-1', properties: { name: 'x', ...bad } },
      ]);
      expect(result.ok, JSON.stringify(bad)).toBe(false);
    }
  });

  it('refuses events without any identity, or from the far future', async () => {
    const result = await ingestEvents(database(), [
      { type: 'app_opened' },
      { type: 'app_opened', customerId: 'c-1', timestamp: '2099-01-01T00:00:00Z' },
    ]);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.error.rejected.map((r) => [r.index, r.field])).toEqual([
        [0, 'customerId'],
        [1, 'timestamp'],
      ]);
  });
});
