import { Schema } from 'mongoose';

/**
 * Anonymous id → customer id, keyed by the anonymous id so the lookup is an `_id` read (the one
 * query FerretDB answers without a scan). The first link wins: a shared device keeps its first
 * customer. `backfilled` turns true once earlier anonymous events carry the customer id.
 */
export const identitySchema = new Schema(
  {
    _id: { type: String, required: true },
    customerId: { type: String, required: true },
    linkedAt: { type: Date, required: true },
    backfilled: { type: Boolean, default: false },
  },
  { collection: 'identities', versionKey: false },
);
identitySchema.index({ backfilled: 1 });

/** One `identities` document (`_id` = the anonymous id). */
export interface IdentityDoc {
  _id: string;
  customerId: string;
  linkedAt: Date;
  backfilled?: boolean;
}
