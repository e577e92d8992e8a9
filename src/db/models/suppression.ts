import { Schema } from 'mongoose';

export const suppressionReasons = ['unsubscribe', 'bounce', 'complaint', 'manual', 'erasure'] as const;

/** Addresses that must never be mailed (per channel), whatever a customer's consent flag says. */
export const suppressionSchema = new Schema(
  {
    address: { type: String, required: true, lowercase: true, trim: true },
    channel: { type: String, enum: ['email', 'sms'], default: 'email' },
    customerId: String,
    reason: { type: String, enum: suppressionReasons, required: true },
  },
  { timestamps: true, collection: 'suppressions' },
);
suppressionSchema.index({ address: 1, channel: 1 }, { unique: true });
suppressionSchema.index({ customerId: 1 });

/** One `suppressions` document; an erased person's address is stored as its hash, without a customer id (src/privacy/addressHash.ts). */
export interface SuppressionDoc {
  address: string;
  channel: 'email' | 'sms';
  customerId?: string;
  reason: (typeof suppressionReasons)[number];
  createdAt: Date;
  updatedAt: Date;
}
