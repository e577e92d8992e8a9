import type { Document } from 'mongodb';
import type { Database } from '../db/database.js';
import type { FeatureDoc, FeatureSnapshotDoc } from '../db/models/feature.js';
import { FEATURE_VERSION, type FeatureValues } from './buildFeatures.js';
import { quantile, toNumber } from './read.js';

/**
 * Reading and writing what build-features needs: customer timezones, the shop's high-value
 * price, feature documents in chunks, and the per-partition watermarks of incremental runs.
 */

/** Timezone of each customer matching the filter; customers in UTC or without one are left out (they fold as UTC). */
export async function loadTimezones(database: Database, filter: Document): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const cursor = database.collections.customers.find(filter, { projection: { timezone: 1 }, batchSize: 5000 });
  for await (const c of cursor) {
    if (typeof c.timezone === 'string' && c.timezone !== '' && c.timezone !== 'UTC') out.set(String(c._id), c.timezone);
  }
  return out;
}

/** The 75th percentile of catalogue prices: above it a product is "high value"; null without products. */
export async function shopHighValuePrice(database: Database): Promise<number | null> {
  const prices: number[] = [];
  for await (const p of database.collections.products.find({}, { projection: { price: 1 }, batchSize: 5000 })) {
    const price = toNumber(p.price);
    if (price >= 0) prices.push(price);
  }
  if (prices.length === 0) return null;
  prices.sort((a, b) => a - b);
  return quantile(prices, 0.75);
}

/** A customer's current features (kept by the fold and build-features), or null. */
export async function currentFeatures(database: Database, customerId: string) {
  return database.collections.features.findOne({ _id: customerId });
}

/** A customer's current features document (`features`, keyed by customer id). */
export function currentFeatureDoc(customerId: string, partition: number, asOf: Date, values: FeatureValues) {
  return {
    _id: customerId,
    partition,
    asOf,
    computedAt: new Date(),
    version: FEATURE_VERSION,
    values: values as Document,
  };
}

export type FeatureTarget = { kind: 'current' } | { kind: 'snapshot' };

/** Deletes the feature snapshots taken before `cutoff`; returns how many. */
export async function expireSnapshots(database: Database, cutoff: Date): Promise<number> {
  return (await database.collections.featureSnapshots.deleteMany({ asOf: { $lt: cutoff } })).deletedCount;
}

/** `_id` of a snapshot: deterministic, so a re-run replaces it by `_id` like current features (unique with asOf + customerId). */
export function snapshotId(asOf: Date, customerId: string): string {
  return `${asOf.toISOString()}|${customerId}`;
}

/**
 * Buffers feature documents and replaces them by `_id`, a chunk at a time, through
 * `database.replaceById`: replaceOne upserts on MongoDB; on FerretDB, where a write by `_id`
 * scans the table and big update batches deadlock its pool, a deleteMany + insertMany per chunk
 * (a reader can miss a customer's features for that instant; a crash in between loses them until
 * the next run, which recomputes the whole partition: see FeatureRun.beginPartitions).
 */
export class FeatureWriter {
  written = 0;
  /** Time spent writing, in ms. */
  ms = 0;
  private current: FeatureDoc[] = [];
  private snapshots: FeatureSnapshotDoc[] = [];

  constructor(
    private readonly database: Database,
    private readonly target: FeatureTarget,
    private readonly asOf: Date,
    private readonly chunkSize = 1000,
  ) {}

  async add(customerId: string, partition: number, values: FeatureValues): Promise<void> {
    const { _id, ...doc } = currentFeatureDoc(customerId, partition, this.asOf, values);
    if (this.target.kind === 'current') this.current.push({ _id, ...doc });
    else this.snapshots.push({ _id: snapshotId(this.asOf, customerId), customerId, ...doc });
    if (this.current.length + this.snapshots.length >= this.chunkSize) await this.flush();
  }

  async flush(): Promise<void> {
    const { current, snapshots } = this;
    this.current = [];
    this.snapshots = [];
    const { features, featureSnapshots } = this.database.collections;
    const t0 = performance.now();
    if (current.length) this.written += await this.database.replaceById(features, current);
    if (snapshots.length) this.written += await this.database.replaceById(featureSnapshots, snapshots);
    this.ms += performance.now() - t0;
  }
}
