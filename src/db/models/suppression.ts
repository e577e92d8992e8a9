import { Schema } from 'mongoose';

/** Addresses that must never be mailed (per channel), whatever a customer's consent flag says. */
export const suppressionSchema = new Schema(
  {
    address: { type: String, required: true, lowercase: true, trim: true },
    channel: { type: String, enum: ['email', 'sms'], default: 'email' },
    customerId: String,
    reason: { type: String, enum: ['unsubscribe', 'bounce', 'complaint', 'manual', 'erasure'], required: true },
  },
  { timestamps: true, collection: 'suppressions' },
);
suppressionSchema.index({ address: 1, channel: 1 }, { unique: true });
suppressionSchema.index({ customerId: 1 });
