import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Types } from 'mongoose';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { isDuplicateKey } from '../db/duplicateKey.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { log as rootLog } from '../log.js';
import { markRunEnded, markRunStarted } from './abandonedRuns.js';
import type { Counts, JobContext, JobDefinition, JobStep } from './core/defineJob.js';
import { keepLockAlive, type LockKeepAlive } from './lockKeepAlive.js';
import { describeHold, holdOn } from './core/scheduleHold.js';

/** `pipeline`: a step of a pipeline run (its record names the run as `parentRunId`). */
export type Trigger = 'schedule' | 'cli' | 'api' | 'startup' | 'test' | 'pipeline';

/** Runs nobody asked for just now: these honour a schedule hold (see scheduleHold.ts); runs on demand do not. */
const HELD_TRIGGERS: readonly Trigger[] = ['schedule', 'startup'];

/**
 * How a run rides out a database outage: the job runs up to `attempts` times, `baseDelayMs ×
 * 2^(attempt-1)` apart (at most `maxDelayMs`). Only "database unreachable" errors are retried;
 * anything else is the job's own failure and retrying would only repeat it.
 */
export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** 2, 4, 8, 16 s apart: with the driver's 5 s server selection each, about a minute of outage is covered. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 2_000, maxDelayMs: 60_000 };

export interface RunOptions {
  database: Database;
  trigger: Trigger;
  runKey?: string;
  log?: Logger;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  retry?: Partial<RetryPolicy>;
  /** The run this one is a step of (a pipeline run); kept on the record. */
  parentRunId?: string;
  /** Renews the scheduler's lock while the run is alive (the worker passes Agenda's touch). */
  keepAlive?: LockKeepAlive;
}

export interface JobRunResult {
  id: string;
  job: string;
  /** `skipped`: a scheduled run that a schedule hold stopped before it began (its note names the hold). */
  status: 'succeeded' | 'failed' | 'skipped';
  counts: Counts;
  durationMs: number;
  /** Runs of the job, the first included (more than one after a database outage). */
  attempts: number;
  /** What the job said about its run beyond counts (e.g. a model file it refused, and why). */
  notes: string[];
  /** The runs this one made of other jobs, in order (a pipeline run's steps). */
  steps?: JobStep[];
  error?: { type: string; message: string; stack?: string };
}

export type RunOutcome =
  | { ok: true; value: JobRunResult }
  | { ok: false; error: { type: 'invalid_options'; message: string; issues: { path: string; message: string }[] } };

export const workerId = `${os.hostname()}:${process.pid}`;

const backoff = (policy: RetryPolicy, attempt: number) =>
  Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));

/** Waits, but wakes at once when the run is aborted (a shutdown should not sit out a backoff). */
const pause = (ms: number, signal: AbortSignal) => sleep(ms, undefined, { signal }).catch(() => undefined);

/**
 * Writes the run's own record. While the database is unreachable the write is retried like the
 * job; if it still cannot be written the run goes on unrecorded (logged), because a worker must
 * not die of an outage. Returns whether the record was written.
 */
async function writeRecord(
  write: () => Promise<unknown>,
  policy: RetryPolicy,
  signal: AbortSignal,
  log: Logger,
  what: string,
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await write();
      return true;
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
      if (attempt >= policy.attempts || signal.aborted) {
        log.error({ err, what }, 'job run record not written: the database is unreachable');
        return false;
      }
      await pause(backoff(policy, attempt), signal);
    }
  }
}

/**
 * Validates options, records the run in `job_runs`, runs the job and records how it ended. A job
 * that fails because the database is unreachable is run again with backoff (jobs are idempotent,
 * so a rerun from the start is safe); the attempts and their errors go on the run's record. A job
 * that throws anything else is recorded as failed and reported, never rethrown: the caller
 * (worker or CLI) decides what a failure means for it.
 */
export async function runJob(def: JobDefinition, rawOptions: unknown, opts: RunOptions): Promise<RunOutcome> {
  const parsed = def.options.safeParse(rawOptions ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(options)', message: i.message }));
    return {
      ok: false,
      error: {
        type: 'invalid_options',
        message: `${def.name}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
        issues,
      },
    };
  }
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...opts.retry };
  const signal = opts.signal ?? new AbortController().signal;
  const { jobRuns } = opts.database.collections;
  const startedAt = new Date();
  // The id is ours, so an insert retried after a lost reply finds its own record (duplicate key).
  const _id = new Types.ObjectId();
  const id = _id.toHexString();
  const log = (opts.log ?? rootLog).child({ job: def.name, runId: id });
  const record = {
    job: def.name,
    status: 'running' as const,
    trigger: opts.trigger,
    worker: workerId,
    options: parsed.data,
    startedAt,
    ...(opts.parentRunId && { parentRunId: opts.parentRunId }),
  };
  let abandoned = 0;
  const created = await writeRecord(
    () =>
      jobRuns
        .insertOne({ _id, ...record })
        .catch((err: unknown) => (isDuplicateKey(err) ? undefined : Promise.reject(err)))
        .then(
          async () =>
            void (abandoned = await markRunStarted(opts.database, { id, job: def.name, worker: workerId, startedAt })),
        ),
    policy,
    signal,
    log,
    'start',
  );
  log.info({ options: parsed.data, trigger: opts.trigger, recorded: created }, 'job started');
  if (abandoned > 0) log.warn({ abandoned }, 'job runs of workers that died marked failed');
  let lastLogged = 0;
  const lock = opts.keepAlive ? keepLockAlive(opts.keepAlive, log) : undefined;
  const progress = (done: number, total: number) => {
    lock?.progress(done, total);
    opts.onProgress?.(done, total);
    if (!opts.onProgress && Date.now() - lastLogged > 5000) {
      lastLogged = Date.now();
      log.info({ done, total }, 'job progress');
    }
  };
  const retries: { at: Date; error: string; waitMs: number }[] = [];
  const finish = async (
    result: Omit<JobRunResult, 'id' | 'job' | 'durationMs' | 'attempts'>,
  ): Promise<JobRunResult> => {
    const durationMs = Date.now() - startedAt.getTime();
    const attempts = retries.length + 1;
    const fields = {
      status: result.status,
      counts: result.counts,
      notes: result.notes,
      attempts,
      retries,
      endedAt: new Date(),
      durationMs,
      ...(result.steps && { steps: result.steps }),
      ...(result.error ? { error: result.error } : {}),
    };
    // An upsert, so a run whose first record was lost to the outage still ends up recorded.
    await writeRecord(
      () =>
        jobRuns
          .updateOne(
            { _id },
            {
              $set: fields,
              $setOnInsert: { job: def.name, trigger: opts.trigger, worker: workerId, options: parsed.data, startedAt },
            },
            { upsert: true },
          )
          .then(() => markRunEnded(opts.database, id)),
      policy,
      signal,
      log,
      'end',
    );
    return { id, job: def.name, durationMs, attempts, ...result };
  };

  try {
    return await runAttempts();
  } finally {
    await lock?.stop();
  }

  async function runAttempts(): Promise<RunOutcome> {
    for (let attempt = 1; ; attempt++) {
      const notes: string[] = [];
      const steps: JobStep[] = [];
      // A fresh run key per attempt: partition leases taken by the failed attempt would otherwise
      // make the retry skip the partitions it never finished.
      const runKey = attempt === 1 ? (opts.runKey ?? id) : `${opts.runKey ?? id}#${attempt}`;
      const ctx: JobContext = {
        database: opts.database,
        log,
        runId: id,
        runKey,
        worker: workerId,
        progress,
        signal,
        note: (message) => void notes.push(message),
        step: (s) => void steps.push(s),
      };
      try {
        const hold = HELD_TRIGGERS.includes(opts.trigger) ? await holdOn(opts.database, def.name) : null;
        if (hold) {
          const value = await finish({ status: 'skipped', counts: {}, notes: [`skipped: ${describeHold(hold)}`] });
          log.info({ hold: hold.runId }, 'job skipped: the schedule is held');
          return { ok: true, value };
        }
        const counts = await def.run(ctx, parsed.data);
        const value = await finish({ status: 'succeeded', counts, notes, ...(steps.length > 0 && { steps }) });
        log.info({ counts, attempts: attempt, durationMs: value.durationMs }, 'job succeeded');
        return { ok: true, value };
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        if (isDatabaseUnavailable(e) && attempt < policy.attempts && !signal.aborted) {
          const waitMs = backoff(policy, attempt);
          retries.push({ at: new Date(), error: `${e.name}: ${e.message}`.slice(0, 500), waitMs });
          log.warn({ err: e, attempt, waitMs }, 'job: database unreachable, retrying');
          await pause(waitMs, signal);
          continue;
        }
        const error = { type: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
        log.error({ err: e, attempts: attempt }, 'job failed');
        return {
          ok: true,
          value: await finish({ status: 'failed', counts: {}, notes, ...(steps.length > 0 && { steps }), error }),
        };
      }
    }
  }
}
