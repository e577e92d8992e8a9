import { Schema } from 'mongoose';

export const modelStatuses = ['candidate', 'active', 'retired', 'rejected'] as const;
export type ModelStatus = (typeof modelStatuses)[number];

/** Model registry: one document per trained version; the files live in models/<name>/<version>/. */
export const modelVersionSchema = new Schema(
  {
    name: { type: String, required: true },
    version: { type: String, required: true },
    status: { type: String, enum: modelStatuses, default: 'candidate' },
    asOf: Date,
    horizonDays: Number,
    featureSchema: { type: [String], default: [] },
    metrics: { type: Schema.Types.Mixed, default: {} },
    backend: String,
    codeVersion: String,
    path: String,
    /** SHA-256 of weights.bin at registration: scoring refuses files that changed since. */
    weightsSha256: String,
    promotedAt: Date,
    notes: String,
  },
  { timestamps: true, collection: 'model_versions', minimize: false },
);
modelVersionSchema.index({ name: 1, version: 1 }, { unique: true });
modelVersionSchema.index({ name: 1, status: 1 });

/** One `model_versions` document as stored; fields added over time may be missing on old ones (registry.ts toRecord fills them). */
export interface ModelVersionDoc {
  name: string;
  version: string;
  status: ModelStatus;
  asOf?: Date | null;
  horizonDays?: number | null;
  featureSchema?: string[];
  metrics?: Record<string, unknown>;
  backend?: string | null;
  codeVersion?: string | null;
  path: string;
  weightsSha256?: string | null;
  promotedAt?: Date | null;
  notes?: string | null;
  createdAt?: Date;
  updatedAt?: Date;
}
