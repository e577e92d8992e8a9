import { describe, expect, it } from 'vitest';
import { scanEvents } from '../src/campaigns/dispatch/collectTriggers.js';
import { builtInFlows } from '../src/campaigns/flows/builtInFlows.js';
import { config } from '../src/config.js';
import { partitionOf } from '../src/db/partition.js';
import { recordEvents, type StoredEvent } from '../src/ingest/storeEvents.js';
import { foldNow } from '../src/ingest/timeline/folder.js';
import { readTimelines, type TimelineScope } from '../src/ingest/timeline/readTimelines.js';
import { useTestDatabase } from './helpers/db.js';

/** The jobs that used to rescan the events collection read customer timelines through readTimelines. */
const database = useTestDatabase();
const H = 3_600_000;
const t0 = Date.UTC(2026, 5, 1);

const event = (
  eventId: string,
  type: string,
  customerId: string | undefined,
  at: number,
  props: Record<string, unknown> = {},
): StoredEvent => ({
  eventId,
  type,
  ...(customerId ? { customerId, partition: partitionOf(customerId, config().PARTITIONS) } : { anonymousId: 'anon-1' }),
  ts: new Date(t0 + at),
  receivedAt: new Date(),
  source: 'api',
  channel: 'web',
  props,
});

async function read(scope: TimelineScope, select: Parameters<typeof readTimelines>[2] = {}) {
  const out: Record<string, string[]> = {};
  for await (const t of readTimelines(database(), scope, select)) out[t.customerId] = t.events.map((e) => e.eventId);
  return out;
}

describe('readTimelines', () => {
  it('hands over each customer’s selected events in the stored-event shape, by scope', async () => {
    await recordEvents(database(), [
      event('a2', 'order_completed', 'rt-a', 2 * H, { orderId: 'o1', revenue: 10 }),
      event('a1', 'product_viewed', 'rt-a', 1 * H, { productId: 'p1' }),
      event('a3', 'product_viewed', 'rt-a', 5 * H, { productId: 'p2' }),
      event('b1', 'product_viewed', 'rt-b', 1 * H, { productId: 'p1' }),
      event('x1', 'product_viewed', undefined, 1 * H, { productId: 'p1' }),
    ]);
    // Time order whatever the arrival order; anonymous events have no timeline.
    expect(await read({})).toEqual({ 'rt-a': ['a1', 'a2', 'a3'], 'rt-b': ['b1'] });
    expect(await read({}, { types: ['product_viewed'], from: new Date(t0 + H), until: new Date(t0 + 5 * H) })).toEqual({
      'rt-a': ['a1'],
      'rt-b': ['b1'],
    });
    expect(await read({ customerIds: ['rt-b', 'nobody'] })).toEqual({ 'rt-b': ['b1'] });
    expect(Object.keys(await read({ partition: partitionOf('rt-a', config().PARTITIONS) }))).toContain('rt-a');
    const reads = [];
    for await (const t of readTimelines(database(), { customerIds: ['rt-a'] }, { types: ['order_completed'] }))
      reads.push(t);
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatchObject({ customerId: 'rt-a', n: 3 });
    expect(reads[0]!.events).toEqual([
      {
        eventId: 'a2',
        type: 'order_completed',
        customerId: 'rt-a',
        partition: partitionOf('rt-a', config().PARTITIONS),
        ts: new Date(t0 + 2 * H),
        receivedAt: expect.any(Date),
        source: 'api',
        channel: 'web',
        props: { orderId: 'o1', revenue: 10 },
      },
    ]);
  });

  it('finds the timelines changed since a time: folded after it, or holding a later event', async () => {
    await recordEvents(database(), [
      event('c1', 'product_viewed', 'rt-c', H),
      event('d1', 'product_viewed', 'rt-d', H),
      event('f1', 'product_viewed', 'rt-f', 100 * 24 * H),
    ]);
    const since = new Date(t0 + 50 * 24 * H);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const folded = new Date();
    await recordEvents(database(), [event('d2', 'product_viewed', 'rt-d', 2 * H)]);
    for (const scope of [{ changedSince: folded }, { changedSince: folded, customerIds: ['rt-c', 'rt-d', 'rt-f'] }]) {
      const changed = await read(scope);
      expect(changed['rt-d']).toEqual(['d1', 'd2']);
      expect(changed).not.toHaveProperty('rt-c');
    }
    // rt-f holds an event timestamped after `since` (a run as of a past date sees it arrive).
    expect(Object.keys(await read({ changedSince: since }))).toEqual(expect.arrayContaining(['rt-c', 'rt-d', 'rt-f']));
  });

  it('never serves a damaged timeline: its events come from the events collection', async () => {
    await recordEvents(database(), [
      event('g1', 'product_viewed', 'rt-g', H),
      event('g2', 'product_viewed', 'rt-g', 2 * H),
    ]);
    await database().models.CustomerTimeline.collection.updateOne(
      { _id: 'rt-g' as never },
      { $set: { events: '[{"i":"bogus"}]' } },
    );
    expect(await read({ customerIds: ['rt-g'] })).toEqual({ 'rt-g': ['g1', 'g2'] });
  });
});

describe('dispatch triggers from timelines', () => {
  it('sees an event whose fold lagged behind the watermark', async () => {
    const asOf = new Date(t0 + 10 * H);
    const lookbackHours = 48;
    // Stored, not yet folded: the events collection has it, no timeline does.
    await recordEvents(
      database(),
      [event('cart-1', 'cart_item_added', 'rt-h', 9 * H, { cartId: 'k1', productId: 'p1', price: 20 })],
      { fold: 'none' },
    );
    const before = new Date();
    const first = await scanEvents(database(), builtInFlows, {
      asOf,
      since: new Date(before.getTime() - 60_000),
      lookbackHours,
    });
    expect(first.hits.filter((h) => h.customerId === 'rt-h')).toEqual([]);
    // Folded after the next run's watermark although received before it: the run still sees it.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const watermark = new Date();
    await foldNow(database());
    const next = await scanEvents(database(), builtInFlows, { asOf, since: watermark, lookbackHours });
    expect(next.hits.filter((h) => h.customerId === 'rt-h')).toMatchObject([{ flowId: 'abandoned-cart', key: 'k1' }]);
    // A run with nothing folded since reads no timeline.
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await scanEvents(database(), builtInFlows, { asOf, since: new Date(), lookbackHours })).eventsRead).toBe(0);
  });
});
