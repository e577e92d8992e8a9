import { Schema } from 'mongoose';

/**
 * One merge of a duplicate customer into another (`_id` = the merge id). The record is written
 * before any step and each step is keyed by its id, so a merge (or undo) stopped anywhere is
 * finished by running it again (src/customers/merge/).
 */
export const mergeSchema = new Schema(
  {
    _id: { type: String, required: true },
    survivor: { type: String, required: true },
    merged: { type: String, required: true },
    reason: { type: String, enum: ['email', 'link', 'manual'], required: true },
    /** The normalised address both ids carried (reason `email`). */
    email: String,
    status: { type: String, enum: ['started', 'done', 'undoing', 'undone', 'abandoned'], required: true },
    at: { type: Date, required: true },
    by: { type: String, required: true },
    moved: { type: Schema.Types.Mixed, default: {} },
    undoneAt: Date,
    undoneBy: String,
  },
  { collection: 'merges', versionKey: false, minimize: false },
);
mergeSchema.index({ survivor: 1 });
mergeSchema.index({ merged: 1 });

/**
 * A merged id → its survivor (`_id` = the merged id). Inserting it is the merge's claim on the
 * id (a unique `_id`: the one write atomic on FerretDB too), and intake reads it by `_id` to file
 * later events of the merged id under the survivor.
 */
export const mergeAliasSchema = new Schema(
  {
    _id: { type: String, required: true },
    survivor: { type: String, required: true },
    mergeId: { type: String, required: true },
  },
  { collection: 'merge_aliases', versionKey: false },
);

/** Normalised email → the customer that holds it (`_id` = the address): the duplicate finder's index. */
export const customerEmailSchema = new Schema(
  {
    _id: { type: String, required: true },
    customerId: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { collection: 'customer_emails', versionKey: false },
);

export type MergeReason = 'email' | 'link' | 'manual';
export type MergeStatus = 'started' | 'done' | 'undoing' | 'undone' | 'abandoned';

/** One `merges` document. */
export interface MergeDoc {
  _id: string;
  survivor: string;
  merged: string;
  reason: MergeReason;
  email?: string;
  status: MergeStatus;
  at: Date;
  /** Who merged: `job:merge-duplicates`, `api_key:<id>` or `cli:<user>`. */
  by: string;
  /** What moved, per step (counts, and the moved event ids). */
  moved: MergeMoved;
  undoneAt?: Date;
  undoneBy?: string;
}

export interface MergeMoved {
  enrollments?: { moved: number; ended: number };
  events?: number;
  consent?: string[];
  derived?: Record<string, number>;
  messages?: number;
}

/** One `merge_aliases` document. */
export interface MergeAliasDoc {
  _id: string;
  survivor: string;
  mergeId: string;
}

/** One `customer_emails` document. */
export interface CustomerEmailDoc {
  _id: string;
  customerId: string;
  at: Date;
}
