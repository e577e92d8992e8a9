import { describe, expect, it, vi } from 'vitest';
import { storeEvents } from '../src/ingest/storeEvents.js';
import { recentEvents } from '../src/customers/recentEvents.js';
import { useTestDatabase } from './helpers/db.js';

const database = useTestDatabase();

describe('recentEvents (customer profiles)', () => {
  it('reads each customer their own newest events from the timeline, by _id, without touching the events collection', async () => {
    const at = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 60_000);
    // c-1's events arrive shuffled in two batches: the timeline keeps them in time order.
    const docs = [
      ...Array.from({ length: 300 }, (_, i) => ({
        eventId: `a-${i}`,
        type: 'product_viewed' as const,
        customerId: 'c-1',
        timestamp: at((i * 7919) % 300),
        properties: { i },
      })),
      ...Array.from({ length: 4 }, (_, i) => ({
        eventId: `b-${i}`,
        type: 'page_viewed' as const,
        customerId: 'c-2',
        timestamp: at(i),
        properties: {},
      })),
      { eventId: 'anon', type: 'page_viewed' as const, anonymousId: 'x', timestamp: at(999), properties: {} },
    ];
    await storeEvents(database(), docs.slice(150), 'api');
    await storeEvents(database(), docs.slice(0, 150), 'api');
    const newest = (prefix: string, n: number) =>
      docs
        .filter((d) => d.eventId.startsWith(prefix))
        .sort((a, b) => +b.timestamp - +a.timestamp)
        .slice(0, n)
        .map((d) => d.eventId);

    const find = vi.spyOn(database().models.Event.collection, 'find');
    const [c1Few, c1More, c2, nobody] = await Promise.all([
      recentEvents(database(), 'c-1', 5),
      recentEvents(database(), 'c-1', 20),
      recentEvents(database(), 'c-2', 10),
      recentEvents(database(), 'c-404', 10),
    ]);
    expect(c1Few.map((e) => e.eventId)).toEqual(newest('a-', 5));
    expect(c1More.map((e) => e.eventId)).toEqual(newest('a-', 20));
    expect(c2.map((e) => e.eventId)).toEqual(newest('b-', 10));
    expect(nobody).toEqual([]);
    expect(find).not.toHaveBeenCalled();
    expect(c1Few[0]).toMatchObject({ type: 'product_viewed', ts: at(299) });
  });
});
