import type { Collection } from 'mongodb';
import { config } from '../../src/config.js';
import type { Database } from '../../src/db/database.js';
import { recordEvents, type StoredEvent } from '../../src/ingest/storeEvents.js';
import { sameDocument } from './sameDocument.js';
import { createShopContext, simulateCustomer } from './simulate.js';
import type { TruthDoc } from './truth.js';
import { BatchWriter } from './writer.js';

export { simEventTypes, type SimEventType } from './simEventTypes.js';
export { createShopContext, simulateCustomer, type ShopContext, type SimulatedCustomer } from './simulate.js';

/**
 * Seeds a synthetic shop: products, customers' events up to `end`, and the hidden truth (traits
 * and future outcomes) in `sim_truth`. Events enter as any others do (recordEvents), so customer
 * documents, timelines and current features are the fold's, as in production. The same seed,
 * size and end give identical documents; a second run into the same database stores nothing twice.
 */

export interface SeedShopOptions {
  customers: number;
  days: number;
  seed: number;
  /** End of recorded history (exclusive). Fixed by default so a seed always means the same shop. */
  end?: Date;
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
  /** Documents actually stored by this run (fewer than generated when re-running a seed). */
  inserted: { customers: number; products: number; events: number; truth: number };
}

export const DEFAULT_SEED_END = new Date('2026-10-01T00:00:00Z');
export const DEFAULT_SEED_BATCH = 1_000;

/** Events recorded at once: large enough to amortise round trips, small enough for the server. */
const EVENT_CHUNK = 5_000;

export async function seedShop(database: Database, opts: SeedShopOptions): Promise<SeedSummary> {
  const { customers, days, seed } = opts;
  const end = opts.end ?? DEFAULT_SEED_END;
  const batchSize = opts.batchSize ?? DEFAULT_SEED_BATCH;
  if (!Number.isInteger(customers) || customers < 0) throw new RangeError(`customers must be a whole number ≥ 0, got ${customers}`);
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`days must be a whole number ≥ 1, got ${days}`);
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`seed must be a whole number ≥ 0, got ${seed}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a whole number ≥ 1, got ${batchSize}`);
  if (Number.isNaN(end.getTime())) throw new RangeError('end must be a valid date');

  const started = performance.now();
  const ctx = createShopContext({ seed, days, end, partitions: config().PARTITIONS });
  const { Customer, Product, SimTruth } = database.models;
  const productWriter = new BatchWriter(Product.collection);
  const truthWriter = new BatchWriter(SimTruth.collection);
  const customersBefore = await Customer.collection.countDocuments();
  let eventsInserted = 0;
  let buffered: StoredEvent[] = [];
  /** Records buffered events; `fold`: wait until the batch is folded into customers and features. */
  const recordBuffered = async (fold: 'none' | 'wait') => {
    eventsInserted += (await recordEvents(database, buffered, { fold })).stored;
    buffered = [];
  };

  await productWriter.add(ctx.catalog.products);
  await productWriter.flush();

  let events = 0;
  let orders = 0;
  // While earlier batches turn out to be stored already (a re-run, or resuming a stopped run), skip their writes.
  let resuming = true;
  for (let from = 0; from < customers; from += batchSize) {
    const to = Math.min(customers, from + batchSize);
    const stored: boolean = resuming && (await batchStored(SimTruth.collection, simulateCustomer(ctx, to - 1).truth));
    resuming = stored;
    const batchTruth = [];
    for (let index = from; index < to; index++) {
      const sim = simulateCustomer(ctx, index);
      events += sim.events.length;
      orders += sim.orders;
      if (stored) continue;
      batchTruth.push(sim.truth);
      buffered.push(...sim.events);
      if (buffered.length >= EVENT_CHUNK) await recordBuffered('none');
    }
    // Truth goes last: a stored truth document then proves its customer and all earlier ones are complete.
    if (!stored) await recordBuffered('wait');
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
    inserted: { customers: (await Customer.collection.countDocuments()) - customersBefore, products: productWriter.inserted, events: eventsInserted, truth: truthWriter.inserted },
  };
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
    throw new Error(`the database already holds a different synthetic shop (customer ${expected._id} differs): seed it with the same --seed, --days and end, or use an empty database`);
  }
  return true;
}
