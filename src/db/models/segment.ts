import { Schema } from 'mongoose';
import type { LifecycleStage, LifecycleTransition } from '../../segments/lifecycle.js';
import type { MemberPagesIndex, MemberRow } from '../../segments/membership/memberRows.js';

/** A customer's time in a segment (`customer_segments.current`). */
export interface Stay {
  segmentId: string;
  enteredAt: Date;
}

export interface PastStay extends Stay {
  exitedAt: Date;
}

export interface LifecycleState {
  stage: LifecycleStage;
  since: Date;
  cause: string;
  history: LifecycleTransition[];
}

/** A segment is data: a rule the segments compiler turns into a database filter. */
export const segmentSchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    description: String,
    kind: { type: String, enum: ['behavioural', 'predictive', 'seasonal', 'lifecycle', 'engagement', 'custom'], default: 'custom' },
    rule: { type: Schema.Types.Mixed, required: true },
    /** Built-ins: the library section (high-impact, cart abandonment, …). */
    group: String,
    builtIn: { type: Boolean, default: false },
    active: { type: Boolean, default: true },
    memberCount: { type: Number, default: 0 },
    refreshedAt: Date,
    /** Member pages by partition (`p<n>` → version, pages, count, previous version): see segments/membership/memberPages.ts. */
    memberPages: { type: Schema.Types.Mixed, default: {} },
    /** Why the last run thinks the segment is hard to act on (too small, too many segments). */
    warnings: { type: [String], default: [] },
  },
  { timestamps: true, collection: 'segments', minimize: false },
);

/**
 * A customer's segments, current and past, and lifecycle stage with its history (`_id` =
 * customer id). The membership job's state: on FerretDB only `{_id: …}` is looked up without a
 * scan, so everything a profile page or the next diff needs about one customer lives here,
 * rewritten whole (replaceById) only when something changed.
 */
export const customerSegmentsSchema = new Schema(
  {
    _id: { type: String, required: true },
    partition: { type: Number, required: true },
    current: { type: [{ _id: false, segmentId: String, enteredAt: Date }], default: [] },
    past: { type: [{ _id: false, segmentId: String, enteredAt: Date, exitedAt: Date }], default: [] },
    lifecycle: {
      stage: String,
      since: Date,
      cause: String,
      history: { type: [{ _id: false, from: String, to: String, at: Date, cause: String }], default: [] },
    },
    updatedAt: Date,
  },
  { collection: 'customer_segments', versionKey: false, minimize: false },
);
customerSegmentsSchema.index({ partition: 1 });

/** Size of a segment on a day, and how many entered and left that day (`_id` = `<segment>:<YYYY-MM-DD>`). */
export const segmentCountSchema = new Schema(
  {
    _id: { type: String, required: true },
    segmentId: { type: String, required: true },
    day: { type: String, required: true },
    size: { type: Number, required: true },
    entered: { type: Number, default: 0 },
    exited: { type: Number, default: 0 },
    at: Date,
  },
  { collection: 'segment_counts', versionKey: false },
);
segmentCountSchema.index({ segmentId: 1, day: 1 });

/**
 * One page (≤ 1,000 rows, sorted by customer id) of a segment's members as of one run
 * (`_id` = `<segment>:<version>:<index>`). Member reads and exports fetch pages by `_id`, the one
 * lookup FerretDB does without scanning, and a cursor stays on the version it started on.
 */
export const segmentMemberPageSchema = new Schema(
  {
    _id: { type: String, required: true },
    segmentId: { type: String, required: true },
    version: { type: Number, required: true },
    index: { type: Number, required: true },
    rows: { type: [Schema.Types.Mixed], default: [] },
  },
  { collection: 'segment_member_pages', versionKey: false, minimize: false },
);

/** One `segments` document (`_id` = the segment key). */
export interface SegmentDoc {
  _id: string;
  name: string;
  description?: string | null;
  kind?: string;
  rule: unknown;
  group?: string;
  builtIn?: boolean;
  active?: boolean;
  memberCount?: number;
  refreshedAt?: Date;
  memberPages?: MemberPagesIndex;
  warnings?: string[];
  createdAt?: Date;
  updatedAt?: Date;
}

/** One `customer_segments` document (`_id` = customer id): the membership job's state. */
export interface CustomerSegmentsDoc {
  _id: string;
  partition: number;
  current: Stay[];
  past: PastStay[];
  lifecycle: LifecycleState | null;
  updatedAt: Date;
}

/** One `segment_counts` document (`_id` = `<segment>:<YYYY-MM-DD>`). */
export interface SegmentCountDoc {
  _id: string;
  segmentId: string;
  day: string;
  size: number;
  entered: number;
  exited: number;
  at?: Date;
}

/** One `segment_member_pages` document: up to PAGE_ROWS rows of a segment × partition version. */
export interface MemberPageDoc {
  _id: string;
  segmentId: string;
  version: number;
  index: number;
  rows: MemberRow[];
}
