import { setTimeout as sleep } from 'node:timers/promises';
import { dataEndsAt } from '../features/dataEnd.js';
import { dataCoveredUntil } from '../ml/trainingSet.js';
import type { Counts, JobContext, JobDefinition } from './core/defineJob.js';
import { loadJobs } from './loadJobs.js';
import { runJob } from './runJob.js';
import { describeHold, placeHold, releaseHold } from './core/scheduleHold.js';

export const PIPELINE_JOB = 'pipeline';

/** The scheduled jobs that would overwrite what a pipeline run writes; the hold names them. */
export const HELD_JOBS = ['build-features', 'score-customers', 'assign-segments'] as const;

const DAY = 86_400_000;

export interface PipelineOptions {
  asOf: Date;
  /** Label horizons (days) of the models; each trains at as-of D − horizon, so its labels end at D. */
  horizons: { churn: number; 'first-purchase': number; ltv: number; 'send-time': number };
  skipTraining: boolean;
  epochs?: number;
  modelsDir?: string;
  /** How long to wait for scheduled runs of the held jobs that started before the hold. */
  waitMinutes: number;
}

interface Step {
  job: string;
  options: Record<string, unknown>;
}

/** Features → training (churn, first purchase, LTV, send time) → scoring → segments, all as of D. */
function stepsOf(o: PipelineOptions): Step[] {
  const training: Step[] = o.skipTraining
    ? []
    : Object.entries(o.horizons).map(([model, horizon]) => ({
        job: `train-${model}`,
        options: {
          asOf: new Date(o.asOf.getTime() - horizon * DAY),
          horizon,
          ...(o.epochs && { epochs: o.epochs }),
          ...(o.modelsDir && { modelsDir: o.modelsDir }),
        },
      }));
  return [
    { job: 'build-features', options: { asOf: o.asOf, full: true } },
    ...training,
    { job: 'score-customers', options: { asOf: o.asOf } },
    { job: 'assign-segments', options: { asOf: o.asOf } },
  ];
}

/** Training as of D needs the labels up to D: the data must reach D. */
async function checkDataReaches(ctx: JobContext, asOf: Date): Promise<void> {
  const end = await dataEndsAt(ctx.database);
  if (end === null) throw new Error('no events stored: there is nothing to run the pipeline on');
  if (asOf > dataCoveredUntil(end)) {
    throw new Error(
      `training as of ${asOf.toISOString()} needs labels up to that date, but the data's last event is ${end.toISOString()}: ` +
        `choose --as-of ${dataCoveredUntil(end).toISOString().slice(0, 10)} or earlier, or --skip-training`,
    );
  }
}

/**
 * Waits until no run of the held jobs is in progress (one a scheduled occurrence started before
 * the hold could otherwise finish after our step and overwrite it).
 */
async function waitForRunningRuns(ctx: JobContext, minutes: number): Promise<void> {
  const deadline = Date.now() + minutes * 60_000;
  for (;;) {
    const running = await ctx.database.collections.runningJobs.findOne({ job: { $in: [...HELD_JOBS] } });
    if (!running) return;
    if (Date.now() > deadline)
      throw new Error(
        `a ${running.job} run (worker ${running.worker}, since ${(running.startedAt as Date).toISOString()}) is still running after ${minutes} min; try again when it has ended`,
      );
    ctx.log.info({ job: running.job, worker: running.worker }, 'pipeline: waiting for a running run of a held job');
    await sleep(1000, undefined, { signal: ctx.signal });
  }
}

/**
 * One pipeline run as of D. It first holds the schedule (scheduleHold.ts) so scheduled runs of
 * build-features, score-customers and assign-segments skip instead of overwriting what it writes,
 * until `breadcrumb pipeline release` or the next pipeline run. Each step is a run of the step's
 * own job through runJob (its own record, retries and progress, `parentRunId` naming this run) and
 * is listed in this run's `steps`. A failed step ends the run; the hold stays, because the steps
 * before it already wrote as-of-D outputs that the schedule would silently mix with today's.
 */
export async function runPipeline(
  ctx: JobContext,
  o: PipelineOptions,
  jobs?: readonly JobDefinition[],
): Promise<Counts> {
  if (!ctx.runId) throw new Error('pipeline: runs only through runJob (its steps name the run as their parent)');
  const definitions = jobs ?? (await loadJobs());
  const steps = stepsOf(o);
  const defs = steps.map((s) => {
    const def = definitions.find((d) => d.name === s.job);
    if (!def) throw new Error(`pipeline: job ${s.job} not found in jobs/`);
    return def;
  });
  if (!o.skipTraining) await checkDataReaches(ctx, o.asOf);

  const hold = await placeHold(ctx.database, { runId: ctx.runId, asOf: o.asOf, jobs: [...HELD_JOBS], by: ctx.worker });
  ctx.note?.(describeHold(hold));
  try {
    await waitForRunningRuns(ctx, o.waitMinutes);
  } catch (err) {
    await releaseHold(ctx.database);
    throw err;
  }

  const counts: Counts = { steps: steps.length };
  const scale = 1000;
  for (const [i, step] of steps.entries()) {
    ctx.signal.throwIfAborted();
    ctx.progress(i * scale, steps.length * scale);
    const onProgress = (done: number, total: number) =>
      ctx.progress(
        i * scale + (total > 0 ? Math.floor((scale * Math.min(done, total)) / total) : 0),
        steps.length * scale,
      );
    const outcome = await runJob(defs[i]!, step.options, {
      database: ctx.database,
      trigger: 'pipeline',
      parentRunId: ctx.runId,
      log: ctx.log,
      signal: ctx.signal,
      onProgress,
    });
    if (!outcome.ok) throw new Error(`pipeline step ${step.job}: ${outcome.error.message}`);
    const run = outcome.value;
    ctx.step?.({
      job: step.job,
      runId: run.id,
      status: run.status,
      durationMs: run.durationMs,
      options: step.options,
      counts: run.counts,
      ...(run.error && { error: run.error.message }),
    });
    if (run.status !== 'succeeded') {
      throw new Error(
        `pipeline step ${step.job} ${run.status}${run.error ? `: ${run.error.message}` : ''} (run ${run.id}); the schedule stays held: \`breadcrumb pipeline release\` lifts it`,
      );
    }
    if (step.job === 'score-customers') counts.customersScored = run.counts.customers ?? 0;
    if (step.job.startsWith('train-')) counts.modelsTrained = (counts.modelsTrained ?? 0) + 1;
  }
  ctx.progress(steps.length * scale, steps.length * scale);
  return counts;
}
