import { Schema } from 'mongoose';

/**
 * A message is inserted under the unique (enrollmentId, stepId) key *before* it is sent: the
 * insert is the one atomic claim both MongoDB and FerretDB offer, so a step can never send twice.
 */
export const messageSchema = new Schema(
  {
    enrollmentId: { type: String, required: true },
    stepId: { type: String, required: true },
    flowId: String,
    customerId: { type: String, required: true },
    partition: Number,
    channel: { type: String, default: 'email' },
    to: String,
    subject: String,
    variant: String,
    status: { type: String, enum: ['claimed', 'sent', 'failed', 'suppressed', 'deferred'], default: 'claimed' },
    scheduledFor: Date,
    sentAt: Date,
    providerMessageId: String,
    error: String,
    opens: { type: Number, default: 0 },
    clicks: { type: Number, default: 0 },
  },
  { timestamps: true, collection: 'messages' },
);
messageSchema.index({ enrollmentId: 1, stepId: 1 }, { unique: true });
messageSchema.index({ customerId: 1, sentAt: 1 });
messageSchema.index({ flowId: 1, sentAt: 1 });
