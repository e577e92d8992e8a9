import type { Database } from '../../db/database.js';

/**
 * A schedule hold: while it exists, the scheduled runs of the jobs it names skip (recorded as
 * `skipped` with a note naming the hold) instead of overwriting what an as-of pipeline run wrote.
 * It lives in the database, not in a process, so every worker on the database honours it, it
 * survives restarts, and `breadcrumb pipeline release` on any machine lifts it. There is one hold
 * (`_id` "schedule"): a new pipeline run replaces it.
 */
export interface ScheduleHold {
  _id: 'schedule';
  /** The job run that placed it (the pipeline run), shown in GET /v1/jobs. */
  runId: string;
  asOf: Date;
  /** Jobs whose scheduled runs skip while it is held. */
  jobs: string[];
  since: Date;
  by: string;
}

const HOLD_ID = 'schedule';

const holds = (database: Database) => database.db.collection<ScheduleHold>('schedule_holds');

/** Places (or replaces) the hold. */
export async function placeHold(database: Database, hold: Omit<ScheduleHold, '_id' | 'since'>): Promise<ScheduleHold> {
  const doc: ScheduleHold = { _id: HOLD_ID, ...hold, since: new Date() };
  await holds(database).replaceOne({ _id: HOLD_ID }, doc, { upsert: true });
  return doc;
}

/** Lifts the hold; returns the one lifted, if there was one. */
export async function releaseHold(database: Database): Promise<ScheduleHold | null> {
  const hold = await currentHold(database);
  if (hold) await holds(database).deleteOne({ _id: HOLD_ID });
  return hold;
}

export async function currentHold(database: Database): Promise<ScheduleHold | null> {
  return holds(database).findOne({ _id: HOLD_ID });
}

/** The hold that stops a scheduled run of `job`, if any. */
export async function holdOn(database: Database, job: string): Promise<ScheduleHold | null> {
  const hold = await currentHold(database);
  return hold?.jobs.includes(job) ? hold : null;
}

/** One line naming the hold and how to lift it. */
export function describeHold(hold: ScheduleHold): string {
  return `the schedule is held by pipeline run ${hold.runId} (as of ${hold.asOf.toISOString()}, since ${hold.since.toISOString()}); \`breadcrumb pipeline release\` lifts it`;
}
