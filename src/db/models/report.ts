import { Schema } from 'mongoose';

export const reportSchema = new Schema(
  {
    kind: { type: String, required: true },
    from: Date,
    to: Date,
    params: { type: Schema.Types.Mixed, default: {} },
    result: { type: Schema.Types.Mixed, default: {} },
  },
  { timestamps: true, collection: 'reports', minimize: false },
);
reportSchema.index({ kind: 1, createdAt: -1 });
