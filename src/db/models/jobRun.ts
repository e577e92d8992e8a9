import type { ObjectId } from 'mongodb';
import { Schema } from 'mongoose';

export const jobRunStatuses = ['running', 'succeeded', 'failed', 'skipped'] as const;

export const jobRunSchema = new Schema(
  {
    job: { type: String, required: true },
    status: { type: String, enum: jobRunStatuses, required: true },
    trigger: { type: String, enum: ['schedule', 'cli', 'api', 'startup', 'test', 'pipeline'], default: 'schedule' },
    worker: String,
    options: { type: Schema.Types.Mixed, default: {} },
    counts: { type: Schema.Types.Mixed, default: {} },
    startedAt: { type: Date, required: true },
    endedAt: Date,
    durationMs: Number,
    error: { message: String, stack: String, type: { type: String } },
    /** What the job said about the run beyond its counts (see JobContext.note). */
    notes: { type: [String], default: undefined },
    /** Runs of the job, the first included; more than one when the database was unreachable (see runJob). */
    attempts: Number,
    retries: { type: [{ _id: false, at: Date, error: String, waitMs: Number }], default: undefined },
    /** The run this one was a step of (a pipeline run). */
    parentRunId: String,
    /** Runs this one made of other jobs, in order (see JobContext.step). */
    steps: {
      type: [{ _id: false, job: String, runId: String, status: String, durationMs: Number, options: Schema.Types.Mixed, counts: Schema.Types.Mixed, error: String }],
      default: undefined,
    },
  },
  { collection: 'job_runs', versionKey: false, minimize: false },
);
jobRunSchema.index({ job: 1, startedAt: -1 });
jobRunSchema.index({ startedAt: -1 });

/** One `job_runs` document (`_id` chosen by runJob, so a retried insert finds its own record). */
export interface JobRunDoc {
  _id: ObjectId;
  job: string;
  status: (typeof jobRunStatuses)[number];
  trigger: string;
  worker?: string;
  /** What the job's option schema parsed. */
  options?: unknown;
  counts?: Record<string, unknown>;
  startedAt: Date;
  endedAt?: Date;
  durationMs?: number;
  error?: { message?: string; stack?: string; type?: string };
  notes?: string[];
  attempts?: number;
  retries?: { at?: Date; error?: string; waitMs?: number }[];
  parentRunId?: string;
  steps?: {
    job?: string;
    runId?: string;
    status?: string;
    durationMs?: number;
    options?: Record<string, unknown>;
    counts?: Record<string, unknown>;
    error?: string;
  }[];
}

/**
 * A lease is inserted under a unique `_id` (job, run key, partition) before a partition is worked
 * on; a duplicate-key error means another worker has it. Safe on FerretDB, where
 * findAndModify is not compare-and-set.
 */
export const jobLeaseSchema = new Schema(
  {
    _id: { type: String, required: true },
    job: { type: String, required: true },
    runKey: { type: String, required: true },
    partition: { type: Number, required: true },
    worker: String,
    createdAt: { type: Date, default: () => new Date() },
  },
  { collection: 'job_leases', versionKey: false },
);
jobLeaseSchema.index({ job: 1, createdAt: 1 });

/** One `job_leases` document (`_id` = `<job>:<run key>:<partition>`). */
export interface JobLeaseDoc {
  _id: string;
  job: string;
  runKey: string;
  partition: number;
  worker?: string;
  createdAt: Date;
}
