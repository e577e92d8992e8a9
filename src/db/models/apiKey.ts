import type { ObjectId } from 'mongodb';
import { Schema } from 'mongoose';

export const roles = ['admin', 'marketer', 'ingest'] as const;
export type Role = (typeof roles)[number];

/** Only a SHA-256 of the secret is stored; `prefix` finds the row without scanning. */
export const apiKeySchema = new Schema(
  {
    name: { type: String, required: true },
    role: { type: String, enum: roles, required: true },
    prefix: { type: String, required: true },
    hash: { type: String, required: true },
    /** Requests per minute for this key; unset: the server default (API_RATE_LIMIT_PER_MINUTE); 0 = unlimited. */
    rateLimitPerMinute: { type: Number, min: 0 },
    lastUsedAt: Date,
    revokedAt: Date,
  },
  { timestamps: true, collection: 'api_keys' },
);
apiKeySchema.index({ prefix: 1 }, { unique: true });

/** One `api_keys` document; created through the model (defaults, `enum` and `min` checks), read through the collection. */
export interface ApiKeyDoc {
  _id: ObjectId;
  name: string;
  role: Role;
  prefix: string;
  hash: string;
  rateLimitPerMinute?: number;
  lastUsedAt?: Date;
  revokedAt?: Date | null;
  createdAt: Date;
  updatedAt: Date;
}
