import { Schema } from 'mongoose';

export const experimentSchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    flowId: String,
    stepId: String,
    variants: { type: [{ name: String, weight: Number, _id: false }], default: [] },
    holdoutShare: { type: Number, default: 0 },
    status: { type: String, enum: ['draft', 'running', 'stopped'], default: 'draft' },
    startedAt: Date,
    endedAt: Date,
    results: { type: Schema.Types.Mixed, default: {} },
  },
  { timestamps: true, collection: 'experiments', minimize: false },
);
