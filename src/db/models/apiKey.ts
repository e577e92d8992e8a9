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
