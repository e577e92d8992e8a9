import { config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { partitionOf } from '../../db/partition.js';
import { readTimelines } from '../../ingest/timeline/readTimelines.js';
import type { Counts } from '../../jobs/core/defineJob.js';

const DAY = 86_400_000;
/** Kept per customer and per product: enough for a mail's product lists, bounded in memory. */
const VIEWED_KEPT = 10;
const PURCHASES_KEPT = 20;
const PAIRS_KEPT = 8;
/** Orders with more lines say little about what goes together (and cost n² pairs). */
const MAX_ORDER_LINES_FOR_PAIRS = 20;

interface CustomerAcc {
  viewed: Map<string, number>;
  bought: Map<string, number>;
}

function keepLatest(map: Map<string, number>, productId: string, ts: number, limit: number): void {
  if ((map.get(productId) ?? -Infinity) < ts) map.set(productId, ts);
  // Trim lazily to twice the limit: a sort per event would dominate the scan.
  if (map.size > limit * 2) {
    const kept = [...map].sort((a, b) => b[1] - a[1]).slice(0, limit);
    map.clear();
    for (const [k, v] of kept) map.set(k, v);
  }
}

const latest = (map: Map<string, number>, limit: number) => [...map].sort((a, b) => b[1] - a[1]).slice(0, limit);

/**
 * One pass over the customer timelines, views and orders before `asOf`: per product, units sold in
 * the last 30 days and co-purchase counts (distinct products in the same order); per customer, the
 * most recently viewed products and the last purchase of each product (for replenishment).
 * Recomputed whole each run from one document per customer (the product figures need every
 * order anyway: a 30-day window slides, pair counts are kept only as the top few); mail-time
 * personalisation then reads these documents by `_id` only. Events that never got a customer
 * (anonymous, never linked) have no timeline and count nowhere; a linked one counts once, as
 * its customer's copy.
 */
export async function buildRecommendationStats(
  database: Database,
  asOf: Date,
  progress: (done: number, total: number) => void = () => undefined,
): Promise<Counts> {
  const { productStats, customerRecos, products } = database.collections;
  const since30d = asOf.getTime() - 30 * DAY;
  const customers = new Map<string, CustomerAcc>();
  const sold = new Map<string, number>();
  const pairs = new Map<string, Map<string, number>>();
  const total = await database.estimatedCount('customer_timelines');
  let timelines = 0;
  let eventsRead = 0;
  for await (const timeline of readTimelines(
    database,
    {},
    { types: ['product_viewed', 'order_completed'], until: asOf },
  )) {
    if (++timelines % 500 === 0) progress(timelines, total);
    if (timeline.events.length === 0) continue;
    const acc: CustomerAcc = { viewed: new Map(), bought: new Map() };
    customers.set(timeline.customerId, acc);
    for (const e of timeline.events) {
      eventsRead++;
      const ts = e.ts.getTime();
      const props = e.props as { productId?: string; items?: { productId?: string; quantity?: number }[] };
      if (e.type === 'product_viewed') {
        if (props.productId) keepLatest(acc.viewed, props.productId, ts, VIEWED_KEPT);
        continue;
      }
      const ids = [...new Set((props.items ?? []).map((i) => i.productId).filter((id): id is string => Boolean(id)))];
      for (const item of props.items ?? []) {
        if (!item.productId) continue;
        keepLatest(acc.bought, item.productId, ts, PURCHASES_KEPT);
        if (ts >= since30d) sold.set(item.productId, (sold.get(item.productId) ?? 0) + (item.quantity ?? 1));
      }
      if (ids.length < 2 || ids.length > MAX_ORDER_LINES_FOR_PAIRS) continue;
      for (const a of ids) {
        let row = pairs.get(a);
        if (!row) pairs.set(a, (row = new Map()));
        for (const b of ids) if (a !== b) row.set(b, (row.get(b) ?? 0) + 1);
      }
    }
  }
  progress(total, total);

  const categoryOf = new Map<string, string>();
  for await (const p of products.find({}, { projection: { category: 1 } })) categoryOf.set(p._id, p.category);
  const productIds = new Set([...sold.keys(), ...pairs.keys(), ...categoryOf.keys()]);
  const productDocs = [...productIds].map((id) => ({
    _id: id,
    category: categoryOf.get(id),
    sold30d: sold.get(id) ?? 0,
    boughtWith: [...(pairs.get(id) ?? [])]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, PAIRS_KEPT)
      .map(([productId, count]) => ({ productId, count })),
    asOf,
  }));
  const partitions = config().PARTITIONS;
  const customerDocs = [...customers].map(([id, acc]) => ({
    _id: id,
    partition: partitionOf(id, partitions),
    recentlyViewed: latest(acc.viewed, VIEWED_KEPT).map(([productId]) => productId),
    purchases: latest(acc.bought, PURCHASES_KEPT).map(([productId, at]) => ({ productId, at: new Date(at) })),
    asOf,
  }));
  await database.replaceById(productStats, productDocs);
  await database.replaceById(customerRecos, customerDocs);
  return { timelines, eventsRead, products: productDocs.length, customers: customerDocs.length };
}
