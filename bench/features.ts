// `npm run bench -- features [--customers 20000] [--days 365] [--seed 7] [--baseline-partitions 2] [--json]`
// Events/s folded by a full build-features run vs raw driver scans of the same events, all in one
// run on the same server and synthetic shop (seeded once per size into its own database and
// reused while its marker matches).
import { parseArgs } from 'node:util';
import { FIXED_SHOP_END, seedShop } from '../data/generator/seedShop.js';
import buildFeaturesJob from '../jobs/build-features.js';
import { config } from '../src/config.js';
import { connectDatabase, type Database } from '../src/db/database.js';
import { buildFeatures, foldContext } from '../src/features/buildFeatures.js';
import type { FoldEvent } from '../src/features/defineFold.js';
import { runJob } from '../src/jobs/runJob.js';
import { benchEnv, type Bench } from './_harness.js';

interface ShopMarker {
  _id: string;
  customers: number;
  days: number;
  seed: number;
  events: number;
}

/** Seeds the shop unless this database already holds it whole (the marker is written last). */
export async function ensureShop(database: Database, shop: Omit<ShopMarker, '_id' | 'events'>): Promise<ShopMarker> {
  const meta = database.db.collection<ShopMarker>('bench_meta');
  const marker = await meta.findOne({ _id: 'shop' });
  if (marker && marker.customers === shop.customers && marker.days === shop.days && marker.seed === shop.seed)
    return marker;
  process.stderr.write(
    `seeding a ${shop.customers}-customer shop (${shop.days} days, seed ${shop.seed}); later runs reuse it…\n`,
  );
  let last = 0;
  const summary = await seedShop(database, {
    ...shop,
    end: FIXED_SHOP_END,
    onProgress: (done, total) => {
      if (Date.now() - last > 5000 || done === total) {
        last = Date.now();
        process.stderr.write(`  ${done}/${total} customers\n`);
      }
    },
  });
  const fresh = { _id: 'shop', ...shop, events: summary.events };
  await meta.replaceOne({ _id: 'shop' }, fresh, { upsert: true });
  return fresh;
}

export async function timed<T>(what: string, work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  process.stderr.write(`${what}…\n`);
  const t0 = performance.now();
  const value = await work();
  const seconds = (performance.now() - t0) / 1000;
  process.stderr.write(`  ${seconds.toFixed(1)} s\n`);
  return { value, seconds };
}

const bench: Bench = async (args) => {
  const { values } = parseArgs({
    args,
    strict: false,
    options: {
      customers: { type: 'string' },
      days: { type: 'string' },
      seed: { type: 'string' },
      'baseline-partitions': { type: 'string' },
    },
  });
  const customers = Number(values.customers ?? 20_000);
  const days = Number(values.days ?? 365);
  const seed = Number(values.seed ?? 7);
  const partitions = config().PARTITIONS;
  const baselinePartitions = Math.min(partitions, Number(values['baseline-partitions'] ?? 2));
  const database = await connectDatabase({
    dbName: `bench_features_c${customers}_d${days}_s${seed}`,
    status: (m) => process.stderr.write(`${m}\n`),
  });
  try {
    const shop = await ensureShop(database, { customers, days, seed });
    const events = database.models.Event.collection;

    // (b) baseline 1: the whole collection once, just iterating; partition 0's events are kept for the fold-only case
    const sample = new Map<string, FoldEvent[]>();
    const scan = await timed('raw scan of the whole collection', async () => {
      let n = 0;
      for await (const e of events.find({}, { batchSize: 5000 })) {
        n++;
        if (e.partition === 0 && typeof e.customerId === 'string') {
          let list = sample.get(e.customerId);
          if (!list) sample.set(e.customerId, (list = []));
          list.push(e as unknown as FoldEvent);
        }
      }
      return n;
    });

    // (a) ours: a full build-features run
    const run = await timed('build-features, full run', async () => {
      const outcome = await runJob(
        buildFeaturesJob,
        { asOf: FIXED_SHOP_END.toISOString(), full: true },
        { database, trigger: 'cli' },
      );
      if (!outcome.ok) throw new Error(outcome.error.message);
      if (outcome.value.status !== 'succeeded')
        throw new Error(`build-features failed: ${outcome.value.error?.message}`);
      return outcome.value.counts;
    });

    // (b) baseline 2, as the job's per-partition reads would be: find({partition: p}). Each is a full
    // table scan on FerretDB, so by default only a few partitions are timed; the rate is what counts.
    const perPartition = await timed(
      `raw per-partition scans (${baselinePartitions} of ${partitions} partitions)`,
      async () => {
        let n = 0;
        for (let p = 0; p < baselinePartitions; p++)
          for await (const _ of events.find({ partition: p }, { batchSize: 5000 })) n++;
        return n;
      },
    );

    // the fold alone, in memory, on partition 0's customers
    const sampleLists = [...sample.values()].map((l) => l.sort((a, b) => +a.ts - +b.ts));
    const sampleEvents = sampleLists.reduce((n, l) => n + l.length, 0);
    const ctx = foldContext({ asOf: FIXED_SHOP_END, timezone: 'America/New_York' });
    let foldSeconds = Infinity;
    for (let round = 0; round < 5; round++) {
      const t0 = performance.now();
      for (const list of sampleLists) buildFeatures(list, ctx);
      foldSeconds = Math.min(foldSeconds, (performance.now() - t0) / 1000);
    }

    // A full run recomputes every customer from their timeline: it covers every event with a customer.
    const foldedEvents = scan.value;
    const ours = foldedEvents / run.seconds;
    const scanRate = scan.value / scan.seconds;
    const perPartitionRate = perPartition.value / perPartition.seconds;
    const foldRate = sampleEvents / foldSeconds;
    return {
      bench: 'features',
      results: [
        {
          case: 'build-features full run vs per-partition raw scans',
          ours,
          baseline: perPartitionRate,
          unit: 'events/s',
          ratio: ours / perPartitionRate,
        },
        {
          case: 'build-features full run vs one raw collection scan',
          ours,
          baseline: scanRate,
          unit: 'events/s',
          ratio: ours / scanRate,
        },
        {
          case: 'fold alone (in memory) vs one raw collection scan',
          ours: foldRate,
          baseline: scanRate,
          unit: 'events/s',
          ratio: foldRate / scanRate,
        },
      ],
      env: benchEnv({
        backend: database.serverVersion,
        dataset: `${shop.customers} customers, ${scan.value} events, ${days} days (seed ${seed})`,
        partitions,
        featureCustomers: run.value.customers,
        jobSeconds: +run.seconds.toFixed(2),
        collectionScanSeconds: +scan.seconds.toFixed(2),
        perPartitionScanSeconds: +perPartition.seconds.toFixed(2),
        perPartitionScanEvents: perPartition.value,
        foldSampleEvents: sampleEvents,
      }),
    };
  } finally {
    await database.close();
  }
};

export default bench;
