// `npm run bench -- timelines [--customers 5000] [--days 365] [--seed 7] [--new-events 10000] [--readers 50] [--json]`
// The incremental data layer against raw driver work on the same server and shop, in one run:
// the full rebuild and the training sets against one raw scan of the events; folding 10,000 new
// events against inserting them raw; profile reads (a customer's recent events from the timeline)
// by 50 concurrent readers against raw findOne by _id.
import { parseArgs } from 'node:util';
import { customerIdOf } from '../data/generator/customers.js';
import { FIXED_SHOP_END } from '../data/generator/seedShop.js';
import { config } from '../src/config.js';
import { connectDatabase } from '../src/db/database.js';
import { partitionOf } from '../src/db/partition.js';
import { recordEvents, type StoredEvent } from '../src/ingest/storeEvents.js';
import { rebuildTimelines } from '../src/ingest/timeline/rebuild.js';
import { buildTrainingSets } from '../src/ml/trainingSet.js';
import { recentEvents } from '../src/customers/recentEvents.js';
import { benchEnv, type Bench } from './_harness.js';
import { ensureShop, timed } from './features.js';

const DAY = 86_400_000;

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export const usage =
  'npm run bench -- timelines [--customers 5000] [--days 365] [--seed 7] [--new-events 10000] [--readers 50] [--json]';

const bench: Bench = async (args) => {
  const { values } = parseArgs({
    args,
    strict: false,
    options: {
      customers: { type: 'string' },
      days: { type: 'string' },
      seed: { type: 'string' },
      'new-events': { type: 'string' },
      readers: { type: 'string' },
    },
  });
  const customers = Number(values.customers ?? 5000);
  const days = Number(values.days ?? 365);
  const seed = Number(values.seed ?? 7);
  const newEvents = Number(values['new-events'] ?? 10_000);
  const readers = Number(values.readers ?? 50);
  const database = await connectDatabase({
    dbName: `bench_timelines_c${customers}_d${days}_s${seed}`,
    status: (m) => process.stderr.write(`${m}\n`),
  });
  try {
    const shop = await ensureShop(database, { customers, days, seed });
    const events = database.models.Event.collection;
    const scan = await timed('baseline: one raw driver scan of the events', async () => {
      let n = 0;
      for await (const _ of events.find({}, { batchSize: 5000 })) n++;
      return n;
    });
    const rebuild = await timed('ours: full rebuild from the events (timelines, customers, features)', () =>
      rebuildTimelines(database),
    );
    const end = FIXED_SHOP_END.getTime();
    const sets = await timed('ours: churn, LTV and send-time training sets from timelines, one pass', () =>
      buildTrainingSets(database, [
        { asOf: new Date(end - 90 * DAY), horizonDays: 90 },
        { asOf: new Date(end - 180 * DAY), horizonDays: 180 },
        { asOf: new Date(end - 30 * DAY), horizonDays: 30, population: 'all' },
      ]),
    );

    // 10,000 new events for existing customers (views and orders), then the fold that absorbs them.
    const at = Date.now();
    const docs = (prefix: string): StoredEvent[] =>
      Array.from({ length: newEvents }, (_, k) => {
        const real = customerIdOf((k * 7919) % customers);
        return {
          eventId: `${prefix}-${k}`,
          type: k % 25 ? 'product_viewed' : 'order_completed',
          customerId: real,
          partition: partitionOf(real, config().PARTITIONS),
          ts: new Date(at + k),
          receivedAt: new Date(at),
          source: 'api',
          props: k % 25 ? { productId: `p${k % 40}`, price: 20 } : { orderId: `bench-o-${k}`, revenue: 30 },
        };
      });
    const raw = database.db.collection('bench_raw_events');
    await raw.deleteMany({});
    const rawInsert = await timed(`baseline: raw insertMany of ${newEvents} events`, async () => {
      const d = docs(`raw-${at}`);
      for (let i = 0; i < d.length; i += 500) await raw.insertMany(d.slice(i, i + 500).map((e) => ({ ...e })));
    });
    const incremental = await timed(`ours: record and fold ${newEvents} new events (batches of 500)`, async () => {
      const d = docs(`inc-${at}`);
      for (let i = 0; i < d.length; i += 500) await recordEvents(database, d.slice(i, i + 500));
    });

    // Profile reads: `readers` concurrent clients, each reading random customers' recent events.
    const customerIds = (
      await database.models.Customer.collection
        .find({}, { projection: { _id: 1 } })
        .limit(2000)
        .toArray()
    ).map((c) => String(c._id));
    const readLatencies = async (read: (id: string) => Promise<unknown>) => {
      const ms: number[] = [];
      await Promise.all(
        Array.from({ length: readers }, async (_, r) => {
          for (let k = 0; k < 10; k++) {
            const t0 = performance.now();
            await read(customerIds[(r * 31 + k * 7) % customerIds.length]!);
            ms.push(performance.now() - t0);
          }
        }),
      );
      return ms.sort((a, b) => a - b);
    };
    const ours = await readLatencies((id) => recentEvents(database, id, 20));
    const base = await readLatencies((id) => database.models.Customer.collection.findOne({ _id: id as never }));

    const eventsRate = (n: number, s: number) => n / s;
    return {
      bench: 'timelines',
      results: [
        {
          case: 'full rebuild vs one raw events scan',
          ours: eventsRate(scan.value, rebuild.seconds),
          baseline: eventsRate(scan.value, scan.seconds),
          unit: 'events/s',
          ratio: scan.seconds / rebuild.seconds,
        },
        {
          case: 'three training sets (one pass) vs one raw events scan',
          ours: sets.seconds,
          baseline: scan.seconds,
          unit: 's (lower is better)',
          ratio: scan.seconds / sets.seconds,
        },
        {
          case: `fold ${newEvents} new events vs raw insertMany`,
          ours: incremental.seconds,
          baseline: rawInsert.seconds,
          unit: 's (lower is better)',
          ratio: rawInsert.seconds / incremental.seconds,
        },
        {
          case: `profile recent events p99, ${readers} readers, vs raw findOne by _id`,
          ours: percentile(ours, 0.99),
          baseline: percentile(base, 0.99),
          unit: 'ms (lower is better)',
          ratio: percentile(base, 0.99) / percentile(ours, 0.99),
        },
        {
          case: `profile recent events p50, ${readers} readers, vs raw findOne by _id`,
          ours: percentile(ours, 0.5),
          baseline: percentile(base, 0.5),
          unit: 'ms (lower is better)',
          ratio: percentile(base, 0.5) / percentile(ours, 0.5),
        },
      ],
      env: benchEnv({
        backend: database.serverVersion,
        dataset: `${shop.customers} customers, ${scan.value} events, ${days} days (seed ${seed})`,
        rebuildCustomers: rebuild.value.customers,
        rebuildPasses: rebuild.value.passes,
        trainingRows: sets.value.map((s) => s.rows),
        ratioNote: 'ratio > 1 means ours is faster (for seconds and ms: baseline / ours)',
      }),
    };
  } finally {
    await database.close();
  }
};

export default bench;
