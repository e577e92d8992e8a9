import type { Binary } from 'mongodb';
import { Schema } from 'mongoose';

export interface CustomerTimelineDoc {
  _id: string;
  partition: number;
  v: number;
  n: number;
  events: Binary | string;
  lastTs: Date | null;
  derived?: { profile: string };
  foldedAt: Date;
}

export interface EventInboxDoc {
  _id: string;
  partition: number;
  n: number;
  events: string | Binary;
  createdAt: Date;
}

export interface FoldLeaseDoc {
  _id: string;
  owner: string;
  expiresAt: Date;
}

/** A timeline the counters already count, whose write may not have landed (`n` before and after; before null: new). */
export interface PendingTimeline {
  id: string;
  before: number | null;
  after: number;
}

export interface FoldStatsDoc {
  _id: string;
  partition: number;
  customers: number;
  events: number;
  firstEventAt: Date | null;
  lastEventAt: Date | null;
  /** The last chunk's timelines (see readStats in foldInbox.ts). */
  pending?: PendingTimeline[];
  updatedAt: Date;
}

export interface TimelineChangeDoc {
  _id: string;
  partition: number;
  minute: Date;
  customers: string[];
}

/**
 * One document per customer holding every event of theirs, sorted by (ts, eventId), as one deflated
 * JSON value (see src/ingest/timeline/compact.ts). It is the fold state everything per customer is
 * derived from — profile, consent, features, recent events — read and written by `_id` only.
 * FerretDB decodes every returned document at ~8k/CPU-second whatever its size, so one string per
 * customer costs one decode where a customer's events cost hundreds.
 */
export const customerTimelineSchema = new Schema(
  {
    _id: { type: String, required: true },
    partition: { type: Number, required: true },
    /** Layout version of `events`; a document of another version is rebuilt from `events`. */
    v: { type: Number, required: true },
    n: { type: Number, required: true },
    /** Deflated JSON of the events (src/ingest/timeline/compact.ts). */
    events: { type: Buffer, required: true },
    lastTs: Date,
    /** Hashes of the profile and features these events determined (src/ingest/timeline/timelineStore.ts). */
    derived: { profile: String },
    foldedAt: Date,
  },
  { collection: 'customer_timelines', versionKey: false },
);
customerTimelineSchema.index({ partition: 1 });

/**
 * Events stored but not yet folded into timelines: one document per (stored batch, partition),
 * inserted right after the batch's events and deleted once folded. A run consumes it whole; it
 * stays small, so scanning it (all FerretDB can do) is cheap.
 */
export const eventInboxSchema = new Schema(
  {
    _id: { type: String, required: true },
    partition: { type: Number, required: true },
    /** JSON of the staged events, or BSON of a queued request's events (src/ingest/timeline/intakeQueue.ts). */
    events: { type: Schema.Types.Mixed, required: true },
    n: { type: Number, required: true },
    createdAt: { type: Date, required: true },
  },
  { collection: 'event_inbox', versionKey: false },
);
eventInboxSchema.index({ partition: 1 });

/**
 * Who folds a partition: inserted under `fold:<partition>` (the one write that is atomic on
 * FerretDB too), so one writer at a time changes a partition's timelines and customers, and no
 * concurrent batch can lose another's update. Expired leases (a crashed holder) are taken over.
 */
export const foldLeaseSchema = new Schema(
  {
    _id: { type: String, required: true },
    owner: { type: String, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'fold_leases', versionKey: false },
);

/**
 * Kept counters per partition, written only by the partition's lease holder (so never lost): the
 * customer and event counts are exact; the time bounds only widen (an erasure does not narrow them).
 */
export const foldStatsSchema = new Schema(
  {
    _id: { type: String, required: true },
    partition: { type: Number, required: true },
    customers: { type: Number, required: true },
    events: { type: Number, required: true },
    firstEventAt: Date,
    lastEventAt: Date,
    pending: [{ _id: false, id: String, before: Number, after: Number }],
    updatedAt: Date,
  },
  { collection: 'fold_stats', versionKey: false },
);

/**
 * Which customers' timelines a fold changed, per partition and UTC minute (`_id` `p<partition>:<minute ISO>`):
 * readers that want "changed since T" (flow triggers) compute the bucket ids from T to now and read
 * them by `_id`, instead of scanning every timeline. Written by the partition's lease holder only.
 */
export const timelineChangeSchema = new Schema(
  {
    _id: { type: String, required: true },
    partition: { type: Number, required: true },
    minute: { type: Date, required: true },
    customers: { type: [String], default: [] },
  },
  { collection: 'timeline_changes', versionKey: false },
);
timelineChangeSchema.index({ minute: 1 });
