import type { Logger } from 'pino';
import { z } from 'zod';
import type { Database } from '../../db/database.js';

export type Counts = Record<string, number>;

/** A run one job made of another (a pipeline run's step), kept on the outer run's record. */
export interface JobStep {
  job: string;
  runId: string;
  status: string;
  durationMs: number;
  options: Record<string, unknown>;
  counts: Counts;
  error?: string;
}

export interface JobContext {
  database: Database;
  log: Logger;
  /** This run's `job_runs` id (runs it starts of other jobs name it as their parent). Hand-built contexts may leave it out. */
  runId?: string;
  /** Identifies this run's occurrence; workers sharing one occurrence share partition leases. */
  runKey: string;
  worker: string;
  /** Long work reports progress; the CLI shows it as a bar, the worker logs it. */
  progress(done: number, total: number): void;
  signal: AbortSignal;
  /**
   * Says something about the run that counts cannot (which model file was refused, and why);
   * runJob keeps these on the job run. Contexts built by hand (tests, benchmarks) may leave it out.
   */
  note?(message: string): void;
  /** Records a run of another job made by this one; runJob keeps the steps on the run. */
  step?(step: JobStep): void;
}

export interface JobDefinition<S extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  /** Agenda interval ('1 minute') or cron expression; null for jobs only run on demand. */
  schedule: string | null;
  /** Position in the data flow; jobs with a stage run in this order when the pipeline runs once. */
  stage?: number;
  /** Validates options before the job runs: Agenda itself checks nothing at runtime. */
  options: S;
  run(ctx: JobContext, options: z.output<S>): Promise<Counts>;
}

export function defineJob<S extends z.ZodType>(definition: JobDefinition<S>): JobDefinition<S> {
  return definition;
}

/** Options most data jobs take: the as-of date (defaults to now). */
export const asOfOption = z.coerce
  .date()
  .default(() => new Date())
  .describe('as-of date: only data before it is used');

export function isJobDefinition(value: unknown): value is JobDefinition {
  const v = value as Partial<JobDefinition> | undefined;
  return typeof v?.name === 'string' && typeof v.run === 'function' && v.options instanceof z.ZodType;
}
