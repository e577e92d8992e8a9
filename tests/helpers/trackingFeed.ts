import type { Database } from '../../src/db/database.js';
import type { IncomingEvent } from '../../src/ingest/eventSchemas.js';
import { storeEvents } from '../../src/ingest/storeEvents.js';
import { dayOffset } from '../../src/ingest/tracking/drops.js';

/** Events a day by weekday (Sunday first): a shop's weekly rhythm, which the drop baseline must absorb. */
const WEEKDAY_VOLUME = [60, 120, 120, 110, 120, 130, 70];
const feeds = [
  { source: 'segment', type: 'product_viewed', share: 1 },
  { source: 'segment', type: 'page_viewed', share: 1.5 },
  { source: 'api', type: 'product_viewed', share: 0.5 },
] as const;

/**
 * A synthetic tracking feed over `days` UTC days ending with `lastDay`, received in two deliveries
 * a day (10:00 and 18:00 UTC) through storeEvents, the path every intake takes: daily volume
 * follows the weekday with ±15% deterministic noise, and segment's `product_viewed` stops from
 * `stopDay` on (a broken tag). Returns the days, oldest first.
 */
export async function seedTrackingFeed(
  database: Database,
  o: { lastDay: string; days: number; stopDay: string },
): Promise<string[]> {
  const days = Array.from({ length: o.days }, (_, k) => dayOffset(o.lastDay, k - o.days + 1));
  for (const [k, day] of days.entries()) {
    const base = WEEKDAY_VOLUME[new Date(day).getUTCDay()]! * (1 + 0.15 * Math.sin(k * 1.7));
    for (const feed of feeds) {
      if (feed.source === 'segment' && feed.type === 'product_viewed' && day >= o.stopDay) continue;
      const n = Math.round(base * feed.share);
      for (const [half, hour] of [10, 18].entries()) {
        const receivedAt = new Date(`${day}T${hour}:00:00Z`);
        const events = Array.from({ length: half ? n - (n >> 1) : n >> 1 }, (_, i) => ({
          eventId: `${feed.source}-${feed.type}-${day}-${hour}-${i}`,
          type: feed.type,
          customerId: `u${i % 150}`,
          timestamp: new Date(+receivedAt - 60_000),
          properties: feed.type === 'product_viewed' ? { productId: `p${i % 40}` } : { path: '/' },
        })) as IncomingEvent[];
        await storeEvents(database, events, feed.source as 'segment' | 'api', receivedAt, { fold: 'none' });
      }
    }
  }
  return days;
}
