import type { Database } from '../db/database.js';
import type { Counts } from '../jobs/defineJob.js';
import { buildFeatures, foldContext } from './buildFeatures.js';
import type { FoldContext, FoldEvent } from './defineFold.js';
import { FeatureWriter, loadWatermarks, saveWatermark, shopHighValuePrice, type Watermark } from './store.js';

/**
 * How far before a partition's read began the next incremental run looks again. An event's
 * `receivedAt` is stamped when its request arrives, a little before it is committed, and workers'
 * clocks differ: re-reading a few minutes costs little, missing an event would keep a customer
 * stale until the next full run.
 */
export const WATERMARK_MARGIN_MS = 5 * 60_000;

export interface RefreshOptions {
  asOf: Date;
  /** Write `feature_snapshots` (asOf, customerId) instead of the current `features`; always complete. */
  snapshot: boolean;
  /** Recompute every customer, not only those with new events. */
  full: boolean;
  partitions?: number[];
  /** 'partition': one sorted query per partition (MongoDB); 'collection': one scan, grouped in Node (FerretDB). */
  scan: 'auto' | 'partition' | 'collection';
  /** Collection scan: events held in memory at once; beyond it partitions wait for another scan. Default: half the heap. */
  maxEventsInMemory?: number;
  abandonHours: number;
  /** An incremental run recomputes a whole partition when its last full recompute is older than this (0: never). */
  fullEveryHours: number;
}

/** A stored event as the raw driver returns it. */
export interface EventDoc extends FoldEvent {
  customerId?: unknown;
  partition?: unknown;
  receivedAt?: unknown;
}

/** How a partition is refreshed: everyone (`since` null), or customers with events received since `since`. */
export interface Plan {
  partition: number;
  since: Date | null;
  lastFullAt: Date | null;
}

/** State shared by one run, whichever way it reads events: plans, folding, writing, counts. */
export class FeatureRun {
  readonly started = Date.now();
  readonly counts = { customers: 0, events: 0, eventsRead: 0, partitions: 0, incrementalPartitions: 0, scans: 0, staleDeleted: 0 };
  readonly writer: FeatureWriter;
  private foldMs = 0;
  private cleanupMs = 0;
  private readonly contexts = new Map<string, FoldContext>();

  private constructor(
    readonly database: Database,
    readonly options: RefreshOptions,
    private readonly watermarks: Map<number, Watermark>,
    private readonly highValuePrice: number | null,
  ) {
    this.writer = new FeatureWriter(database, { kind: options.snapshot ? 'snapshot' : 'current' }, options.asOf);
  }

  static async start(database: Database, options: RefreshOptions): Promise<FeatureRun> {
    const watermarks = options.snapshot ? new Map<number, Watermark>() : await loadWatermarks(database);
    return new FeatureRun(database, options, watermarks, await shopHighValuePrice(database));
  }

  planFor(partition: number): Plan {
    const { options } = this;
    const w = this.watermarks.get(partition);
    const fullDue = !w?.lastFullAt || (options.fullEveryHours > 0 && this.started - w.lastFullAt.getTime() > options.fullEveryHours * 3_600_000);
    if (options.snapshot || options.full || !w || fullDue) return { partition, since: null, lastFullAt: null };
    return { partition, since: w.readFrom, lastFullAt: w.lastFullAt };
  }

  /**
   * Called before a partition's features are rewritten: its watermark loses `lastFullAt`, so if
   * this run dies before finishPartitions the next run, even an incremental one, recomputes the
   * whole partition. Without it a killed run would leave customers whose features were deleted
   * but not yet re-inserted (FeatureWriter's delete-then-insert chunks on FerretDB), and a killed
   * full run the rest of the partition as stale as before, until the next daily full run.
   */
  async beginPartitions(partitions: number[]): Promise<void> {
    if (this.options.snapshot) return;
    for (const partition of partitions) {
      const w = this.watermarks.get(partition);
      if (w?.lastFullAt) await saveWatermark(this.database, { ...w, lastFullAt: null });
    }
  }

  /** Folds one customer's events (any order) and queues the features; nothing before asOf, nothing written. */
  async foldCustomer(customerId: string, partition: number, events: EventDoc[], timezone = 'UTC'): Promise<void> {
    const t0 = performance.now();
    sortByTs(events);
    const values = buildFeatures(events, this.contextFor(timezone));
    this.foldMs += performance.now() - t0;
    // nothing known before asOf: the customer did not exist yet
    if (values.tenureDays === null) return;
    this.counts.customers++;
    this.counts.events += events.length;
    await this.writer.add(customerId, partition, values);
  }

  /** After partitions' features are written: drop stale documents, then move their watermarks. */
  async finishPartitions(plans: Plan[], readStart: Date): Promise<void> {
    await this.writer.flush();
    const t0 = performance.now();
    const { database, options, counts } = this;
    const full = plans.filter((p) => p.since === null).map((p) => p.partition);
    if (!options.snapshot && full.length > 0) {
      // customers with no events before asOf any more (deleted or merged) lose their features
      const filter = { partition: full.length === 1 ? full[0] : { $in: full }, computedAt: { $lt: readStart } };
      counts.staleDeleted += (await database.models.Feature.collection.deleteMany(filter)).deletedCount;
    }
    for (const plan of plans) {
      counts.partitions++;
      if (plan.since) counts.incrementalPartitions++;
      if (options.snapshot) continue;
      // Events received before this but dated at or after asOf were left out and are not read again
      // until the next full run: with asOf = now, only events dated ahead of their arrival.
      const readFrom = new Date(readStart.getTime() - WATERMARK_MARGIN_MS);
      await saveWatermark(database, { partition: plan.partition, readFrom, lastFullAt: plan.since ? plan.lastFullAt : readStart });
    }
    this.cleanupMs += performance.now() - t0;
  }

  result(extra: Counts = {}): Counts {
    const durationMs = Date.now() - this.started;
    const foldMs = Math.round(this.foldMs);
    const writeMs = Math.round(this.writer.ms + this.cleanupMs);
    // readMs is everything else: reading events and customers, grouping them
    return { ...this.counts, ...extra, written: this.writer.written, durationMs, readMs: Math.max(0, durationMs - foldMs - writeMs), foldMs, writeMs };
  }

  private contextFor(timezone: string): FoldContext {
    let c = this.contexts.get(timezone);
    if (!c) {
      c = foldContext({ asOf: this.options.asOf, timezone, abandonAfterHours: this.options.abandonHours, highValuePrice: this.highValuePrice });
      this.contexts.set(timezone, c);
    }
    return c;
  }
}

/** Sorts a customer's events by time unless they already are (the usual case: an O(n) check). */
function sortByTs(events: EventDoc[]): void {
  for (let i = 1; i < events.length; i++) {
    if (+events[i]!.ts < +events[i - 1]!.ts) {
      events.sort((a, b) => +a.ts - +b.ts);
      return;
    }
  }
}
