// `npm run bench -- readers [--customers 400] [--days 365] [--seed 7] [--changed 20] [--json]`
// The scheduled readers that used to scan the events collection, now reading customer timelines
// (src/ingest/timeline/readTimelines.ts), on a seeded shop: segment event facts for the built-in
// library, the dispatch trigger scan after --changed customers sent new events, the
// recommendation stats and a 30-day attribution report. Baseline, same run and server: the raw
// driver running the events query each reader used to run, only iterating the documents (no
// matching, no writes) — a lower bound of the old path's cost. Unit: runs/s, so ratio > 1 is faster.
import { parseArgs } from 'node:util';
import { FIXED_SHOP_END } from '../data/generator/seedShop.js';
import { buildReports } from '../src/attribution/report.js';
import { journeyEventTypes } from '../src/attribution/touches.js';
import { buildRecommendationStats } from '../src/campaigns/content/recommendationStats.js';
import { scanEvents } from '../src/campaigns/dispatch/collectTriggers.js';
import { builtInFlows } from '../src/campaigns/flows/builtInFlows.js';
import { exitEventTypes } from '../src/campaigns/flows/conditions.js';
import { triggerEventTypes } from '../src/campaigns/flows/triggers.js';
import { config } from '../src/config.js';
import { connectDatabase, type Database } from '../src/db/database.js';
import { partitionOf } from '../src/db/partition.js';
import { recordEvents, type StoredEvent } from '../src/ingest/storeEvents.js';
import { builtInSegments } from '../src/segments/library/index.js';
import { compileSegments, shareEventQueries } from '../src/segments/membership/evaluate.js';
import { resolveEventFacts } from '../src/segments/rules/index.js';
import { benchEnv, type Bench, type BenchResult } from './_harness.js';
import { ensureShop, timed } from './features.js';

export const usage = 'npm run bench -- readers [--customers 400] [--days 365] [--seed 7] [--changed 20] [--json]';

const DAY = 86_400_000;

/** Iterates what a filter returns through the raw driver: what the old reader made the server decode. */
async function rawScan(database: Database, filter: Record<string, unknown>): Promise<number> {
  let n = 0;
  for await (const _ of database.models.Event.collection.find(filter, { batchSize: 5000 })) n++;
  return n;
}

async function compare(
  name: string,
  ours: () => Promise<unknown>,
  baseline: () => Promise<unknown>,
): Promise<BenchResult & { oursSeconds: number; baselineSeconds: number }> {
  const a = await timed(`${name}: ours`, ours);
  const b = await timed(`${name}: baseline (raw events query)`, baseline);
  return {
    case: name,
    ours: 1 / a.seconds,
    baseline: 1 / b.seconds,
    unit: 'runs/s',
    ratio: b.seconds / a.seconds,
    oursSeconds: a.seconds,
    baselineSeconds: b.seconds,
  };
}

const bench: Bench = async (args) => {
  const { values } = parseArgs({
    args,
    strict: false,
    options: {
      customers: { type: 'string' },
      days: { type: 'string' },
      seed: { type: 'string' },
      changed: { type: 'string' },
    },
  });
  const customers = Number(values.customers ?? 400);
  const days = Number(values.days ?? 365);
  const seed = Number(values.seed ?? 7);
  const changed = Number(values.changed ?? 20);
  const asOf = FIXED_SHOP_END;
  const database = await connectDatabase({
    dbName: `bench_readers_c${customers}_d${days}_s${seed}`,
    status: (m) => process.stderr.write(`${m}\n`),
  });
  try {
    const shop = await ensureShop(database, { customers, days, seed });
    const results = [];

    // Segment event facts: every event query of the built-in library, the whole shop at once.
    const { compiled } = compileSegments(
      builtInSegments.map((s) => ({ id: s.key, rule: s.rule })),
      asOf,
    );
    const { queries } = shareEventQueries(compiled);
    const filters = queries.flatMap((q) => (q.anchor ? [q.filter, q.anchor.filter] : [q.filter]));
    const from = Math.min(...filters.map((f) => (f.ts as { $gte?: Date } | undefined)?.$gte?.getTime() ?? 0));
    results.push(
      await compare(
        `segment event facts (${queries.length} queries)`,
        () => resolveEventFacts(database, queries, {}),
        () =>
          rawScan(database, {
            type: { $in: [...new Set(filters.map((f) => f.type))] },
            ...(from ? { ts: { $gte: new Date(from) } } : {}),
          }),
      ),
    );

    // Dispatch: `changed` customers add to their carts now; the run reads what changed since its watermark.
    const now = new Date();
    const since = new Date(now.getTime() - 5 * 60_000);
    const ids = (
      await database.models.CustomerTimeline.collection
        .find({}, { projection: { _id: 1 } })
        .limit(changed)
        .toArray()
    ).map((d) => String(d._id));
    const stamp = now.getTime();
    await recordEvents(
      database,
      ids.map((id, k): StoredEvent => ({
        eventId: `bench-cart-${stamp}-${k}`,
        type: 'cart_item_added',
        customerId: id,
        partition: partitionOf(id, config().PARTITIONS),
        ts: now,
        receivedAt: now,
        source: 'api',
        props: { cartId: `bench-${stamp}-${k}`, productId: 'p1', price: 20 },
      })),
    );
    const lookbackHours = 48;
    const types = [
      ...new Set([
        ...triggerEventTypes(builtInFlows),
        ...exitEventTypes,
        'checkout_started',
        'checkout_step_viewed',
        'checkout_step_completed',
      ]),
    ];
    const asOfNow = new Date();
    results.push(
      await compare(
        `dispatch trigger scan (${changed} customers changed)`,
        () => scanEvents(database, builtInFlows, { asOf: asOfNow, since, lookbackHours }),
        () =>
          rawScan(database, {
            type: { $in: types },
            ts: { $gte: new Date(asOfNow.getTime() - lookbackHours * 3_600_000), $lte: asOfNow },
            $or: [{ receivedAt: { $gt: since } }, { ts: { $gt: since } }],
          }),
      ),
    );

    results.push(
      await compare(
        'build-recommendations (with its writes)',
        () => buildRecommendationStats(database, asOf),
        () => rawScan(database, { type: { $in: ['product_viewed', 'order_completed'] }, ts: { $lt: asOf } }),
      ),
    );

    const period = { from: new Date(asOf.getTime() - 30 * DAY), to: asOf };
    const reportTypes = [
      ...new Set([
        ...journeyEventTypes,
        'email_sent',
        'email_delivered',
        'email_bounced',
        'email_opened',
        'email_clicked',
        'email_unsubscribed',
        'email_complained',
      ]),
    ];
    results.push(
      await compare(
        'attribution + KPI report (30 days)',
        () => buildReports(database, period),
        () =>
          rawScan(database, {
            ts: { $gte: new Date(period.from.getTime() - 30 * DAY), $lt: period.to },
            type: { $in: reportTypes },
            customerId: { $type: 'string' },
          }),
      ),
    );
    return {
      bench: 'readers',
      results,
      env: benchEnv({
        customers,
        days,
        seed,
        events: shop.events,
        timelines: await database.estimatedCount('customer_timelines'),
        server: database.ferretdb ? 'embedded FerretDB (patched)' : 'MongoDB',
      }),
    };
  } finally {
    await database.close();
  }
};

export default bench;
