import { Schema } from 'mongoose';
import type { MessageKind } from '../../campaigns/content/types.js';

/**
 * A message of a flow step, unique per (enrollmentId, stepId); its `_id` is derived from that key.
 * Dispatch claims the step first (an insert into `message_claims`, the one atomic claim both
 * MongoDB and FerretDB offer) and inserts this document with its outcome once it is known, so
 * `messages` is insert-only for dispatch (see src/campaigns/dispatch/sendMessages.ts).
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
    /** Wall-clock time of the claim (insert); a claim older than the lease without a send record is recovered. */
    claimedAt: Date,
    claimedBy: String,
    opens: { type: Number, default: 0 },
    clicks: { type: Number, default: 0 },
    /** Opens flagged as made by a machine (Apple MPP, scanners): kept apart from `opens`. */
    machineOpens: { type: Number, default: 0 },
    /** The step's template (`StepTemplateKey`) and whether it is transactional (exempt from marketing consent). */
    template: String,
    kind: { type: String, enum: ['marketing', 'transactional'], default: 'marketing' },
    /** Tracked links of the rendered message: `/c/:token` redirects only to these URLs (no open redirect). */
    links: { type: [{ id: String, url: String, _id: false }], default: undefined },
  },
  { timestamps: true, collection: 'messages' },
);
messageSchema.index({ enrollmentId: 1, stepId: 1 }, { unique: true });
messageSchema.index({ customerId: 1, sentAt: 1 });
messageSchema.index({ flowId: 1, sentAt: 1 });

/**
 * A send in progress (`_id` = the message id): inserted before the SMTP hand-off, deleted once the
 * message document with its outcome is inserted. Keeping the claim apart lets `messages` be
 * insert-only (on FerretDB each status update would scan the whole collection), and keeps this
 * collection small: what recovery scans is only what is in flight or was cut off by a crash.
 */
export const messageClaimSchema = new Schema(
  {
    _id: { type: String, required: true },
    enrollmentId: { type: String, required: true },
    stepId: { type: String, required: true },
    claimedAt: { type: Date, required: true },
    claimedBy: String,
    /** The message as it will be stored, so recovery can record it. */
    message: { type: Schema.Types.Mixed, required: true },
  },
  { collection: 'message_claims', versionKey: false, minimize: false },
);

/** A message as stored. */
export interface MessageDoc {
  _id: string;
  enrollmentId: string;
  stepId: string;
  flowId: string;
  customerId: string;
  partition: number;
  channel: 'email';
  template: string;
  kind: MessageKind;
  variant?: string;
  experimentId?: string;
  status: 'claimed' | 'sent' | 'failed' | 'suppressed' | 'deferred';
  /** When it goes out in the run's clock (the budget counts these). */
  scheduledFor: Date;
  claimedAt: Date;
  claimedBy: string;
  to?: string;
  subject?: string;
  links?: { id: string; url: string }[];
  sentAt?: Date;
  providerMessageId?: string;
  error?: string;
  opens?: number;
  clicks?: number;
  machineOpens?: number;
}

/** One `message_claims` document (`_id` = the message id). */
export interface ClaimDoc {
  _id: string;
  enrollmentId: string;
  stepId: string;
  claimedAt: Date;
  claimedBy: string;
  message: MessageDoc;
}
