import os from 'node:os';
import { Types } from 'mongoose';
import type { Database } from '../db/database.js';
import { isDuplicateKey } from '../db/duplicateKey.js';

/**
 * A worker killed mid-run (SIGKILL, OOM, power) never writes how its run ended, so its
 * `job_runs` record would say "running" forever. Every run registers in `job_runs_running`
 * while it works; the next run on any worker settles the registrations whose worker is
 * certainly gone — a process on this host that no longer exists — and housekeeping settles the
 * rest by age (a worker on another host cannot be asked).
 */

export const ABANDONED = 'Abandoned';

export interface RunMarker {
  id: string;
  job: string;
  worker: string;
  startedAt: Date;
}

/** Whether `host:pid` names a process that is certainly gone: on this host, and no such pid. */
export function workerIsGone(worker: string, host = os.hostname()): boolean {
  const at = worker.lastIndexOf(':');
  const pid = Number(worker.slice(at + 1));
  if (at < 0 || worker.slice(0, at) !== host || !Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    // EPERM: it exists but belongs to someone else; only ESRCH says there is no such process.
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Marks failed (type `Abandoned`) the runs whose worker is gone, or that started before
 * `startedBefore` when given, and drops their registrations. Returns how many it settled.
 */
export async function settleAbandonedRuns(database: Database, opts: { startedBefore?: Date } = {}): Promise<number> {
  const { jobRuns, runningJobs } = database.collections;
  const markers = await runningJobs.find({}).toArray();
  const now = new Date();
  let settled = 0;
  for (const m of markers) {
    const gone = workerIsGone(String(m.worker));
    const old = opts.startedBefore !== undefined && m.startedAt instanceof Date && m.startedAt < opts.startedBefore;
    if (!gone && !old) continue;
    const why = gone
      ? `its worker ${m.worker} is gone`
      : `still running after ${Math.round((now.getTime() - (m.startedAt as Date).getTime()) / 3_600_000)} h: its worker stopped`;
    // Only a run still recorded as running: one that ended just now keeps its own outcome.
    const { modifiedCount } = await jobRuns.updateOne(
      { _id: new Types.ObjectId(String(m._id)), status: 'running' },
      { $set: { status: 'failed', endedAt: now, error: { type: ABANDONED, message: `abandoned: ${why}` } } },
    );
    await runningJobs.deleteOne({ _id: m._id });
    settled += modifiedCount;
  }
  return settled;
}

/** Registers a run as in progress, after settling the runs dead workers left behind. */
export async function markRunStarted(database: Database, run: RunMarker): Promise<number> {
  const settled = await settleAbandonedRuns(database);
  await database.collections.runningJobs
    .insertOne({ _id: run.id, job: run.job, worker: run.worker, startedAt: run.startedAt })
    // a retried insert whose first reply was lost
    .catch((err: unknown) => (isDuplicateKey(err) ? undefined : Promise.reject(err)));
  return settled;
}

export async function markRunEnded(database: Database, id: string): Promise<void> {
  await database.collections.runningJobs.deleteOne({ _id: id });
}
