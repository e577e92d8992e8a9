import { Agenda } from 'agenda';
import { MongoBackend } from '@agendajs/mongo-backend';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { log as rootLog } from '../log.js';
import type { JobDefinition } from './core/defineJob.js';
import { runJob, type RetryPolicy } from './runJob.js';

export interface Worker {
  agenda: Agenda;
  start(): Promise<void>;
  /** Finishes running jobs (up to `graceMs`), then stops polling. */
  stop(graceMs?: number): Promise<void>;
}

export interface WorkerOptions {
  database: Database;
  jobs: JobDefinition[];
  log?: Logger;
  processEvery?: string | number;
  /** How runs ride out a database outage (default DEFAULT_RETRY). */
  retry?: Partial<RetryPolicy>;
  /**
   * Agenda's lock lifetime (default 10 min): a run renews its lock every third of it while it is
   * alive, so only a worker that died loses its jobs to another (see lockKeepAlive.ts).
   */
  lockLifetimeMs?: number;
}

/**
 * Agenda on the shared database: each job definition becomes an Agenda job whose handler goes
 * through runJob, so every scheduled run is validated and recorded like a CLI run, honours a
 * schedule hold (scheduleHold.ts) and keeps its Agenda lock for as long as it runs. A failed run
 * is reported to Agenda (for its fail count) and the worker carries on.
 */
export function buildWorker({
  database,
  jobs,
  log = rootLog,
  processEvery = '10 seconds',
  retry,
  lockLifetimeMs = 600_000,
}: WorkerOptions): Worker {
  const agenda = new Agenda({
    backend: new MongoBackend({ mongo: database.db, collection: 'agenda_jobs' }),
    name: 'breadcrumb-worker',
    processEvery,
    maxConcurrency: 4,
    defaultConcurrency: 1,
  });
  agenda.on('error', (err: Error) => log.error({ err }, 'agenda error'));

  for (const def of jobs) {
    agenda.define(
      def.name,
      async (job) => {
        const runKey = `${def.name}@${(job.attrs.lastRunAt ?? new Date()).toISOString()}`;
        const keepAlive = { touch: (percent?: number) => job.touch(percent), everyMs: Math.floor(lockLifetimeMs / 3) };
        const outcome = await runJob(def, job.attrs.data ?? {}, {
          database,
          trigger: 'schedule',
          runKey,
          log,
          retry,
          keepAlive,
        });
        if (!outcome.ok) throw new Error(outcome.error.message);
        if (outcome.value.status === 'failed') throw new Error(outcome.value.error?.message ?? 'job failed');
      },
      { lockLifetime: lockLifetimeMs },
    );
  }

  return {
    agenda,
    async start() {
      await agenda.start();
      for (const def of jobs) {
        // every() upserts one recurring job per name: calling it again on restart is a no-op.
        if (def.schedule) await agenda.every(def.schedule, def.name, {}, { skipImmediate: true });
      }
      log.info({ jobs: jobs.map((j) => j.name) }, 'worker started');
    },
    async stop(graceMs = 10_000) {
      await agenda.drain(graceMs);
      await agenda.stop();
    },
  };
}
