import { Schema } from 'mongoose';

/** A segment is data: a rule the segments compiler turns into a database filter. */
export const segmentSchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    description: String,
    kind: { type: String, enum: ['behavioural', 'predictive', 'seasonal', 'lifecycle', 'engagement', 'custom'], default: 'custom' },
    rule: { type: Schema.Types.Mixed, required: true },
    builtIn: { type: Boolean, default: false },
    active: { type: Boolean, default: true },
    memberCount: { type: Number, default: 0 },
    refreshedAt: Date,
  },
  { timestamps: true, collection: 'segments', minimize: false },
);

/** Membership with history: a row per stay in a segment; `exitedAt` is null while the customer is in. */
export const segmentMembershipSchema = new Schema(
  {
    segmentId: { type: String, required: true },
    customerId: { type: String, required: true },
    partition: { type: Number, required: true },
    enteredAt: { type: Date, required: true },
    exitedAt: { type: Date, default: null },
  },
  { collection: 'segment_memberships', versionKey: false },
);
segmentMembershipSchema.index({ segmentId: 1, customerId: 1, enteredAt: 1 }, { unique: true });
segmentMembershipSchema.index({ segmentId: 1, exitedAt: 1 });
segmentMembershipSchema.index({ customerId: 1 });
