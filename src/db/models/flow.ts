import { Schema } from 'mongoose';
import type { Flow } from '../../campaigns/flows/flowSchema.js';
import type { TriggerContext } from '../../campaigns/flows/triggers.js';

/** A flow is data: a trigger and steps with delays and conditions, validated by `src/campaigns/flows/flowSchema.ts`. */
export const flowSchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    trigger: { type: Schema.Types.Mixed, required: true },
    steps: { type: [Schema.Types.Mixed], default: [] },
    description: String,
    /** Exit conditions re-checked before every step (`ordered`, `recovered`, `unsubscribed`). */
    exitOn: { type: [String], default: undefined },
    maxTriggerAgeHours: Number,
    holdoutShare: { type: Number, default: 0.1, min: 0, max: 1 },
    priority: { type: Number, default: 0 },
    active: { type: Boolean, default: true },
    builtIn: { type: Boolean, default: false },
  },
  { timestamps: true, collection: 'flows', minimize: false },
);

/** A customer's way through a flow. `key` separates parallel runs (e.g. one per abandoned cart). */
export const enrollmentSchema = new Schema(
  {
    flowId: { type: String, required: true },
    customerId: { type: String, required: true },
    partition: { type: Number, required: true },
    key: { type: String, default: '' },
    status: { type: String, enum: ['active', 'completed', 'exited', 'holdout'], default: 'active' },
    stepIndex: { type: Number, default: 0 },
    nextStepAt: Date,
    enrolledAt: { type: Date, default: () => new Date() },
    endedAt: Date,
    exitReason: String,
    context: { type: Schema.Types.Mixed, default: {} },
    /** The latest trigger activity; step delays count from it (a cart is abandoned after its last change). */
    anchorAt: Date,
    /** Set while the current step waits for the frequency budget; deferred, never dropped. */
    deferredUntil: Date,
    deferrals: { type: Number, default: 0 },
    /** Transient SMTP failures of the current step, for the backoff. */
    sendAttempts: { type: Number, default: 0 },
  },
  { collection: 'enrollments', versionKey: false, minimize: false },
);
enrollmentSchema.index({ flowId: 1, customerId: 1, key: 1 }, { unique: true });
enrollmentSchema.index({ partition: 1, status: 1 });
enrollmentSchema.index({ customerId: 1 });

/** Small named state of the campaign jobs (`_id` = name), e.g. the event watermark of dispatch. */
export const campaignStateSchema = new Schema(
  {
    _id: { type: String, required: true },
    value: { type: Schema.Types.Mixed, default: {} },
    updatedAt: Date,
  },
  { collection: 'campaign_state', versionKey: false, minimize: false },
);

/** A flow as stored: the flow with `id` as `_id`, plus bookkeeping. */
export interface FlowDoc extends Omit<Flow, 'id'> {
  _id: string;
  builtIn: boolean;
  createdAt?: Date;
  updatedAt?: Date;
}

/** An enrolment as stored. */
export interface EnrollmentDoc {
  _id: string;
  flowId: string;
  customerId: string;
  partition: number;
  key: string;
  status: 'active' | 'completed' | 'exited' | 'holdout';
  stepIndex: number;
  /** Earliest time the current step may go (its due time; scheduling may move it later). */
  nextStepAt: Date | null;
  enrolledAt: Date;
  triggeredAt: Date;
  anchorAt: Date;
  endedAt?: Date;
  exitReason?: string;
  context: TriggerContext & { replenishDays?: number };
  deferredUntil?: Date | null;
  deferrals: number;
  sendAttempts: number;
  /** The customer merge (src/customers/merge) that made, ended or advanced this enrolment. */
  mergeId?: string;
  /** A merge's copy: the merged id's enrolment it continues under the survivor. */
  mergedFrom?: string;
  /** What a merge changed here, put back by its undo. */
  beforeMerge?: EnrollmentProgress;
}

/** Where an enrolment is on its way through the flow (what a merge moves and its undo restores). */
export type EnrollmentProgress = Pick<
  EnrollmentDoc,
  'status' | 'stepIndex' | 'nextStepAt' | 'deferredUntil' | 'endedAt' | 'exitReason'
>;

/** One `campaign_state` document (`_id` = the state's name). */
export interface CampaignStateDoc {
  _id: string;
  value: unknown;
  updatedAt?: Date;
}
