import { Schema } from 'mongoose';

const consentSchema = new Schema(
  {
    status: { type: String, enum: ['granted', 'denied', 'unknown'], default: 'unknown' },
    updatedAt: Date,
    source: String,
  },
  { _id: false },
);

/** One document per known customer; `_id` is the store's customer id. */
export const customerSchema = new Schema(
  {
    _id: { type: String, required: true },
    partition: { type: Number, required: true },
    email: { type: String, lowercase: true, trim: true },
    firstName: String,
    lastName: String,
    timezone: { type: String, default: 'UTC' },
    country: String,
    signupSource: String,
    signedUpAt: Date,
    consent: {
      email: { type: consentSchema, default: () => ({}) },
      sms: { type: consentSchema, default: () => ({}) },
    },
    anonymousIds: { type: [String], default: [] },
    traits: { type: Schema.Types.Mixed, default: {} },
  },
  { timestamps: true, collection: 'customers', minimize: false },
);
customerSchema.index({ partition: 1 });
customerSchema.index({ email: 1 }, { sparse: true });
customerSchema.index({ anonymousIds: 1 });

interface ConsentDoc {
  status?: 'granted' | 'denied' | 'unknown';
  updatedAt?: Date;
  source?: string;
}

/** One `customers` document. */
export interface CustomerDoc {
  _id: string;
  partition: number;
  email?: string | null;
  firstName?: string;
  lastName?: string;
  timezone?: string | null;
  country?: string;
  signupSource?: string;
  signedUpAt?: Date;
  consent?: { email?: ConsentDoc | null; sms?: ConsentDoc | null } | null;
  anonymousIds?: string[];
  traits?: Record<string, unknown>;
  createdAt?: Date;
  updatedAt?: Date;
}
