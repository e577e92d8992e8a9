import os from 'node:os';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { log as rootLog } from '../log.js';
import type { Counts, JobDefinition } from './defineJob.js';

export type Trigger = 'schedule' | 'cli' | 'api' | 'startup' | 'test';

export interface RunOptions {
  database: Database;
  trigger: Trigger;
  runKey?: string;
  log?: Logger;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface JobRunResult {
  id: string;
  job: string;
  status: 'succeeded' | 'failed';
  counts: Counts;
  durationMs: number;
  error?: { type: string; message: string; stack?: string };
}

export type RunOutcome = { ok: true; value: JobRunResult } | { ok: false; error: { type: 'invalid_options'; message: string; issues: { path: string; message: string }[] } };

export const workerId = `${os.hostname()}:${process.pid}`;

/**
 * Validates options, records the run in `job_runs`, runs the job and records how it ended. A job
 * that throws is recorded as failed and reported, never rethrown: the caller (worker or CLI)
 * decides what a failure means for it.
 */
export async function runJob(def: JobDefinition, rawOptions: unknown, opts: RunOptions): Promise<RunOutcome> {
  const parsed = def.options.safeParse(rawOptions ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(options)', message: i.message }));
    return { ok: false, error: { type: 'invalid_options', message: `${def.name}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues } };
  }
  const { JobRun } = opts.database.models;
  const startedAt = new Date();
  const run = await JobRun.create({ job: def.name, status: 'running', trigger: opts.trigger, worker: workerId, options: parsed.data, startedAt });
  const log = (opts.log ?? rootLog).child({ job: def.name, runId: run.id });
  log.info({ options: parsed.data, trigger: opts.trigger }, 'job started');
  let lastLogged = 0;
  const progress = (done: number, total: number) => {
    opts.onProgress?.(done, total);
    if (!opts.onProgress && Date.now() - lastLogged > 5000) {
      lastLogged = Date.now();
      log.info({ done, total }, 'job progress');
    }
  };
  try {
    const counts = await def.run(
      { database: opts.database, log, runKey: opts.runKey ?? run.id, worker: workerId, progress, signal: opts.signal ?? new AbortController().signal },
      parsed.data,
    );
    const durationMs = Date.now() - startedAt.getTime();
    await JobRun.updateOne({ _id: run._id }, { status: 'succeeded', counts, endedAt: new Date(), durationMs });
    log.info({ counts, durationMs }, 'job succeeded');
    return { ok: true, value: { id: run.id, job: def.name, status: 'succeeded', counts, durationMs } };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    const error = { type: e.name, message: e.message, stack: e.stack };
    const durationMs = Date.now() - startedAt.getTime();
    await JobRun.updateOne({ _id: run._id }, { status: 'failed', error, endedAt: new Date(), durationMs });
    log.error({ err: e, durationMs }, 'job failed');
    return { ok: true, value: { id: run.id, job: def.name, status: 'failed', counts: {}, durationMs, error } };
  }
}
