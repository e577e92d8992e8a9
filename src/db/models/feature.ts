import { Schema } from 'mongoose';

/** Current features of a customer (`_id` = customer id), replaced on each run of build-features. */
export const featureSchema = new Schema(
  {
    _id: { type: String, required: true },
    partition: { type: Number, required: true },
    asOf: { type: Date, required: true },
    computedAt: { type: Date, default: () => new Date() },
    version: { type: Number, default: 1 },
    values: { type: Schema.Types.Mixed, default: {} },
  },
  { collection: 'features', versionKey: false, minimize: false },
);
featureSchema.index({ partition: 1 });

/** Features frozen at a past as-of date, the inputs of a training set. */
export const featureSnapshotSchema = new Schema(
  {
    customerId: { type: String, required: true },
    partition: { type: Number, required: true },
    asOf: { type: Date, required: true },
    computedAt: { type: Date, default: () => new Date() },
    version: { type: Number, default: 1 },
    values: { type: Schema.Types.Mixed, default: {} },
  },
  { collection: 'feature_snapshots', versionKey: false, minimize: false },
);
featureSnapshotSchema.index({ asOf: 1, customerId: 1 }, { unique: true });
featureSnapshotSchema.index({ asOf: 1, partition: 1 });

/** One `features` document: a customer's current feature values. */
export interface FeatureDoc {
  _id: string;
  partition: number;
  asOf: Date;
  computedAt?: Date;
  version?: number;
  values: Record<string, unknown>;
}

/** One `feature_snapshots` document (`_id` = `<as-of ISO>|<customer id>`, see features/store.ts snapshotId). */
export interface FeatureSnapshotDoc extends Omit<FeatureDoc, '_id'> {
  _id: string;
  customerId: string;
}
