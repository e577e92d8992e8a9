import { Schema } from 'mongoose';

/**
 * One document per job run in progress (`_id` = the job run's id), deleted when the run ends.
 * Finding the runs a dead worker left "running" in `job_runs` would scan that whole collection
 * on FerretDB (tens of thousands of runs a month); this one holds only the live few, so every
 * run can afford to look (see src/jobs/abandonedRuns.ts).
 */
export const runningJobSchema = new Schema(
  {
    _id: { type: String, required: true },
    job: { type: String, required: true },
    /** `host:pid`, as in job_runs.worker. */
    worker: { type: String, required: true },
    startedAt: { type: Date, required: true },
  },
  { collection: 'job_runs_running', versionKey: false },
);

/** One `job_runs_running` document (`_id` = the job run's id). */
export interface RunningJobDoc {
  _id: string;
  job: string;
  worker: string;
  startedAt: Date;
}
