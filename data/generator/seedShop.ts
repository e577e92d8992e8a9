import type { StoredEvent } from '../../src/ingest/storeEvents.js';
import { toTimelineEvent, type TimelineEvent } from '../../src/ingest/timeline/compact.js';
import { emptyFoldCounts, foldCustomers } from '../../src/ingest/timeline/foldInbox.js';
import type { Collection } from 'mongodb';
import { config } from '../../src/config.js';
import type { Database } from '../../src/db/database.js';
import { importWeather } from '../../src/weather/importWeather.js';
import { sameDocument } from './sameDocument.js';
import { outerwearProducts } from './weather.js';
import { createShopContext, simulateCustomer } from './simulate.js';
import type { TruthDoc } from './truth.js';
import { BatchWriter } from './writer.js';

export { simEventTypes, type SimEventType } from './simEventTypes.js';
export { createShopContext, simulateCustomer, type ShopContext, type SimulatedCustomer } from './simulate.js';

/**
 * Seeds a synthetic shop: products, customers, their events up to `end`, and the hidden truth
 * (traits and future outcomes) in `sim_truth`. The same seed, size and end give identical
 * documents; a second run into the same database stores nothing twice. A seed not given an end
 * ends now (defaultSeedEnd), so the demo's recent-behaviour segments have members the day it is shown.
 */

export interface SeedShopOptions {
  customers: number;
  days: number;
  seed: number;
  /** End of recorded history (exclusive): with the seed, it fixes the shop. See defaultSeedEnd. */
  end: Date;
  /** Give the shop a weather table and weather-driven outerwear buyers (data/generator/weather.ts); default off. */
  weather?: boolean;
  /** Customers generated and written per batch; memory is bounded by one batch. */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface SeedSummary {
  customers: number;
  products: number;
  events: number;
  /** Orders in recorded history. */
  orders: number;
  truth: number;
  durationMs: number;
  /** End of recorded history: pass it as `--end` to seed the same shop again. */
  end: Date;
  /** Documents actually stored by this run (fewer than generated when re-running a seed). */
  inserted: { customers: number; products: number; events: number; truth: number };
}

/**
 * An end that never moves, for what must be the same on every day it runs: in-memory datasets,
 * benches and tests that name dates. It was the default end while truth had no `historyEnd`, so
 * shops seeded then end here.
 */
export const FIXED_SHOP_END = new Date('2026-10-01T00:00:00Z');
export const DEFAULT_SEED_BATCH = 1_000;

/** Events per insertMany: large enough to amortise round trips, small enough for the server. */
const EVENT_CHUNK = 5_000;
/** Generation is synchronous; yielding this often lets in-flight inserts make progress. */
const YIELD_EVERY = 50;

export async function seedShop(database: Database, opts: SeedShopOptions): Promise<SeedSummary> {
  const { customers, days, seed, end } = opts;
  const batchSize = opts.batchSize ?? DEFAULT_SEED_BATCH;
  if (!Number.isInteger(customers) || customers < 0)
    throw new RangeError(`customers must be a whole number ≥ 0, got ${customers}`);
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`days must be a whole number ≥ 1, got ${days}`);
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`seed must be a whole number ≥ 0, got ${seed}`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batchSize must be a whole number ≥ 1, got ${batchSize}`);
  if (Number.isNaN(end.getTime())) throw new RangeError('end must be a valid date');

  const started = performance.now();
  const ctx = createShopContext({ seed, days, end, partitions: config().PARTITIONS, weather: opts.weather });
  const { Event, Product, SimTruth } = database.models;
  const productWriter = new BatchWriter(Product.collection);
  const folded = emptyFoldCounts();
  const truthWriter = new BatchWriter(SimTruth.collection);
  const eventWriter = new BatchWriter(Event.collection, EVENT_CHUNK);

  await productWriter.add(ctx.weather ? [...ctx.catalog.products, ...outerwearProducts()] : ctx.catalog.products);
  await productWriter.flush();
  // Before the customers: their folded features read the table. Days after the end are forecasts.
  if (ctx.weather) {
    const imported = await importWeather(
      database,
      ctx.weather.rows().map((value, i) => ({ line: i + 1, value })),
      { now: end },
    );
    if (!imported.ok) throw new Error(`synthetic weather refused: ${imported.error.message}`);
  }

  let events = 0;
  let orders = 0;
  // While earlier batches turn out to be stored already (a re-run, or resuming a stopped run), skip their writes.
  let resuming = true;
  for (let from = 0; from < customers; from += batchSize) {
    const to = Math.min(customers, from + batchSize);
    const stored: boolean = resuming && (await batchStored(SimTruth.collection, simulateCustomer(ctx, to - 1).truth));
    resuming = stored;
    // Each customer's whole history is at hand: their timeline (and the profile and features it
    // determines) is written at once, with no fold reading the events back.
    const batchTimelines = new Map<number, Map<string, TimelineEvent[]>>();
    const batchTruth = [];
    for (let index = from; index < to; index++) {
      const sim = simulateCustomer(ctx, index);
      events += sim.events.length;
      orders += sim.orders;
      if (stored) continue;
      const partition = sim.customer.partition;
      if (!batchTimelines.has(partition)) batchTimelines.set(partition, new Map());
      batchTimelines.get(partition)!.set(
        sim.customer._id,
        sim.events.map((e) => toTimelineEvent(e as unknown as StoredEvent)),
      );
      batchTruth.push(sim.truth);
      await eventWriter.add(sim.events);
      if ((index - from) % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((resolve) => setImmediate(resolve));
    }
    // Truth goes last: a stored truth document then proves its customer and all earlier ones are complete.
    await eventWriter.flush();
    for (const [partition, timelines] of batchTimelines)
      await foldCustomers(database, partition, timelines, folded, { fresh: true });
    await truthWriter.add(batchTruth);
    await truthWriter.flush();
    opts.onProgress?.(to, customers);
  }

  return {
    customers,
    products: ctx.catalog.products.length,
    events,
    orders,
    truth: customers,
    durationMs: Math.round(performance.now() - started),
    end,
    inserted: {
      customers: folded.newCustomers,
      products: productWriter.inserted,
      events: eventWriter.inserted,
      truth: truthWriter.inserted,
    },
  };
}

/** Where the shop in this database ends (its truth says), or null when it holds no generated shop. */
export async function storedShopEnd(database: Database): Promise<Date | null> {
  const truth = await database.models.SimTruth.collection.findOne({}, { projection: { historyEnd: 1 } });
  if (truth === null) return null;
  return truth.historyEnd instanceof Date ? truth.historyEnd : FIXED_SHOP_END;
}

/**
 * The end of a seed not given one: the end of the shop already in the database, so a stopped
 * seed resumes it rather than clashing with it, else now, so the shop's last events are minutes old.
 */
export async function defaultSeedEnd(database: Database): Promise<Date> {
  return (await storedShopEnd(database)) ?? new Date();
}

/**
 * Whether a batch is already in the database, judged by the truth of its last customer: truth is
 * written after everything else and batches run in order, so its presence means the whole
 * prefix is there. A different document under the same id means another shop was seeded here.
 */
async function batchStored(truth: Collection, expected: TruthDoc): Promise<boolean> {
  const found = await truth.findOne({ _id: expected._id as never });
  if (found === null) return false;
  if (!sameDocument(found, expected)) {
    throw new Error(
      `the database already holds a different synthetic shop (customer ${expected._id} differs): seed it with the same --seed, --days and --end, or use an empty database`,
    );
  }
  return true;
}
