import { Schema } from 'mongoose';

/** Model registry: one document per trained version; the files live in models/<name>/<version>/. */
export const modelVersionSchema = new Schema(
  {
    name: { type: String, required: true },
    version: { type: String, required: true },
    status: { type: String, enum: ['candidate', 'active', 'retired', 'rejected'], default: 'candidate' },
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
