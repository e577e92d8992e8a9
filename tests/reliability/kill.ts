import { spawn } from 'node:child_process';
import os from 'node:os';
import { inject } from 'vitest';
import { projectRoot } from '../../src/config.js';
import type { Database } from '../../src/db/database.js';
import type { JobDefinition } from '../../src/jobs/core/defineJob.js';
import { runJob } from '../../src/jobs/runJob.js';

/**
 * Worker-kill faults (issue #8, item 3): a job runs as its own process (`node --import tsx
 * jobs/<job>.ts --json`, as a worker would run it) on a test database and gets SIGKILL once the
 * test sees it in the middle of its work; a new worker then runs the job again.
 */

export interface KilledRun {
  pid: number;
  /** The signal that ended the process: SIGKILL unless it finished (or died) before the kill. */
  signal: NodeJS.Signals | null;
  /** Whether `midWork` was seen before the kill (else the kill came at the time limit). */
  midWork: boolean;
  stderr: string;
  /** From spawn to the kill. */
  ms: number;
}

/** The URI of `database` on the run's shared server, for a child process. */
export function childUri(database: Database): string {
  const uri = new URL(inject('mongoUri'));
  uri.pathname = `/${database.db.databaseName}`;
  return uri.toString();
}

/**
 * Starts `jobs/<job>.ts <args> --json` on `database` and SIGKILLs it as soon as `midWork()` is
 * true (polled every `pollMs`), or after `timeoutMs`. Resolves once the process is gone.
 */
export async function killMidWork(
  database: Database,
  job: string,
  args: string[],
  opts: {
    midWork: () => boolean | Promise<boolean>;
    env?: Record<string, string>;
    pollMs?: number;
    timeoutMs?: number;
  },
): Promise<KilledRun> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', `jobs/${job}.ts`, ...args, '--json'], {
    cwd: projectRoot,
    env: { ...process.env, LOG_LEVEL: 'silent', ...opts.env, MONGODB_URI: childUri(database) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  const deadline = started + (opts.timeoutMs ?? 90_000);
  let midWork = false;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    if (await opts.midWork()) {
      midWork = true;
      break;
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 25));
  }
  const ms = Date.now() - started;
  child.kill('SIGKILL');
  return { pid: child.pid!, signal: await exited, midWork, stderr, ms };
}

/** The killed process's record in `job_runs` (its worker id is `host:pid`). */
export async function killedRunRecord(database: Database, pid: number) {
  return database.models.JobRun.collection.findOne({ worker: `${os.hostname()}:${pid}` });
}

/** Runs a job in this process (the "new worker") and returns its counts; a failed run throws. */
export async function runToEnd(
  database: Database,
  job: JobDefinition,
  options: Record<string, unknown>,
): Promise<Record<string, number>> {
  const outcome = await runJob(job, options, { database, trigger: 'test' });
  if (!outcome.ok) throw new Error(outcome.error.message);
  if (outcome.value.status !== 'succeeded')
    throw new Error(`${job.name}: ${outcome.value.error?.stack ?? outcome.value.error?.message}`);
  return outcome.value.counts;
}

/** Prints a scenario's figures in the form the README table is built from. */
export function report(scenario: string, figures: string): void {
  console.log(`[reliability] ${scenario}: ${figures}`);
}
