import { describe, expect, it, vi } from 'vitest';
import { recentEvents } from '../src/segments/membership/recentEvents.js';
import { useTestDatabase } from './helpers/db.js';

const database = useTestDatabase();

describe('recentEvents (customer profiles)', () => {
  it('answers concurrent reads for several customers in one pass, each with its own newest events and limit', async () => {
    const at = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 60_000);
    // c-1's history is long enough that the pass trims it while reading (more than 2 × limit + 100).
    const docs = [
      ...Array.from({ length: 300 }, (_, i) => ({ eventId: `a-${i}`, type: 'product_viewed', customerId: 'c-1', ts: at((i * 7919) % 300), props: { i } })),
      ...Array.from({ length: 4 }, (_, i) => ({ eventId: `b-${i}`, type: 'page_viewed', customerId: 'c-2', ts: at(i), props: {} })),
      { eventId: 'anon', type: 'page_viewed', anonymousId: 'x', ts: at(999), props: {} },
    ];
    await database().models.Event.collection.insertMany(docs);
    const newest = (prefix: string, n: number) => docs.filter((d) => d.eventId.startsWith(prefix)).sort((a, b) => +b.ts - +a.ts).slice(0, n).map((d) => d.eventId);

    // A spy that calls through: counts the passes over the events collection.
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
    // FerretDB (the embedded server) scans for any filter but _id: one pass serves all four reads; MongoDB has an index.
    expect(find).toHaveBeenCalledTimes(database().ferretdb ? 1 : 4);
    expect(c1Few[0]).toMatchObject({ type: 'product_viewed', ts: at(299) });
  });
});
