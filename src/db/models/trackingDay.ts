import { Schema } from 'mongoose';

/** Receipt-time offsets (receivedAt − timestamp) the clock-skew histogram counts in. */
export const skewBuckets = ['ahead>5m', 'within5m', 'late5m-1h', 'late1h-1d', 'late1d-7d', 'late>7d'] as const;
export type SkewBucket = (typeof skewBuckets)[number];

/** What a tally keeps examples of (the last few each). */
export const findingKinds = [
  'duplicate',
  'unknownName',
  'missingProperty',
  'invalid',
  'clockSkew',
  'anonymous',
  'orderWithoutView',
] as const;
export type FindingKind = (typeof findingKinds)[number];

export interface TrackingExample {
  /** When it was received (ISO 8601). */
  at: string;
  eventId?: string;
  /** customerId or anonymousId. */
  who?: string;
  detail: string;
}

/** Counts by a key that comes from the sender (event names, property paths): a list, so no sender's string becomes a field name. */
export type CountList = { k: string; n: number }[];

/** One (day, source, event type)'s counters. */
export interface Tally {
  /** Events stored (new ones: duplicates and identity-link copies are counted apart). */
  events: number;
  /** Of them, per UTC hour of receipt. */
  hours: number[];
  duplicates: number;
  refused: number;
  /** Unknown event names: refused types (type `(unknown)`) or names of stored `custom` events. */
  names: CountList;
  /** Required properties missing (refused), by property path. */
  missing: CountList;
  /** Other refusals, by field. */
  invalid: CountList;
  skew: Partial<Record<SkewBucket, number>>;
  /** Stored without a customer id. */
  anonymous: number;
  /** Anonymous events later copied to a customer by an identity link. */
  linked: number;
  /** Orders folded into a timeline that held no `*_viewed` event before them. */
  ordersWithoutViews: number;
  examples: Partial<Record<FindingKind, TrackingExample[]>>;
}

/** A day's tallies by source, then event type. */
export type DayTallies = Record<string, Record<string, Tally>>;

export interface TrackingDayDoc {
  /** The UTC day of receipt, `YYYY-MM-DD`. */
  _id: string;
  sources: DayTallies;
  updatedAt: Date;
}

/**
 * Tracking-quality counters, one document per UTC day of receipt holding every source and event
 * type seen that day (src/ingest/tracking/). The report reads a window's days by `_id`, never the
 * events. Written only by the holder of the tracking lease, read-modified-written whole: `$inc`
 * loses updates on FerretDB v1 (measured: 507 of 900 concurrent increments kept).
 */
export const trackingDaySchema = new Schema(
  {
    _id: { type: String, required: true },
    sources: { type: Schema.Types.Mixed, required: true },
    updatedAt: Date,
  },
  { collection: 'tracking_days', versionKey: false, minimize: false },
);
