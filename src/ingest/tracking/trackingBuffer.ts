import type { Database } from '../../db/database.js';
import { log } from '../../log.js';
import { claimFoldLease, releaseFoldLease, waitForFoldLease } from '../timeline/foldLease.js';
import type { DayTallies } from '../../db/models/trackingDay.js';
import { mergeDay } from './tally.js';

/**
 * The lease that serialises writes of the day documents, across processes: a fold lease under a
 * pseudo-partition no inbox document carries (the queue uses -1), the one write atomic on FerretDB.
 */
const TRACKING_LEASE = -2;
/**
 * Counters wait in memory this long before being written: one write per interval whatever the
 * intake rate. A flush (lease, read, replace, release) of a 32 KB day took 80–190 ms under this
 * machine's load: every 2 s that held FerretDB's only writer ~7% of the time, every 10 s ~1.5%.
 */
const FLUSH_MS = 10_000;

interface Pending {
  days: Map<string, DayTallies>;
  timer: NodeJS.Timeout | null;
  /** The flush running now: flushes of one process run one after another. */
  flushing: Promise<void>;
}

const pendingOf = new WeakMap<Database, Pending>();

function stateOf(database: Database): Pending {
  let s = pendingOf.get(database);
  if (!s) pendingOf.set(database, (s = { days: new Map(), timer: null, flushing: Promise.resolve() }));
  return s;
}

/**
 * This process's not yet written tallies of a UTC day, to add counts to; they are written within
 * FLUSH_MS. Counting costs the intake no database work: a kill loses at most the last interval's
 * counts (the events themselves are stored as ever).
 */
export function pendingDay(database: Database, day: string): DayTallies {
  const state = stateOf(database);
  let tallies = state.days.get(day);
  if (!tallies) state.days.set(day, (tallies = Object.create(null) as DayTallies));
  schedule(database, state);
  return tallies;
}

function schedule(database: Database, state: Pending): void {
  if (state.timer) return;
  state.timer = setTimeout(() => {
    state.timer = null;
    flushTracking(database).catch((err: unknown) =>
      log.warn({ err }, 'tracking counters not written; kept for the next flush'),
    );
  }, FLUSH_MS);
  state.timer.unref();
}

/**
 * Writes this process's pending counters into the day documents, under the tracking lease. With
 * `wait` (a report, a closing process) it waits for the lease; otherwise a busy lease leaves the
 * counts pending for the next interval. Counts whose day was not written are kept, never dropped.
 */
export function flushTracking(database: Database, opts: { wait?: boolean } = {}): Promise<void> {
  const state = stateOf(database);
  const run = state.flushing.then(() => writePending(database, state, opts.wait ?? false));
  // The caller gets the failure; the next flush still runs after this one.
  state.flushing = run.catch(() => undefined);
  return run;
}

async function writePending(database: Database, state: Pending, wait: boolean): Promise<void> {
  if (state.days.size === 0) return;
  if (wait) await waitForFoldLease(database, TRACKING_LEASE, 'tracking counters', 30_000);
  else if (!(await claimFoldLease(database, TRACKING_LEASE))) return schedule(database, state);
  const taken = state.days;
  state.days = new Map();
  try {
    const days = database.collections.trackingDays;
    for (const [day, tallies] of [...taken].sort(([a], [b]) => a.localeCompare(b))) {
      const doc = await days.findOne({ _id: day });
      const sources = mergeDay(doc?.sources ?? (Object.create(null) as DayTallies), tallies);
      await days.replaceOne({ _id: day }, { sources, updatedAt: new Date() }, { upsert: true });
      taken.delete(day);
    }
  } finally {
    // What was not written goes back (merged with what arrived meanwhile).
    for (const [day, tallies] of taken) mergeDay(pendingDay(database, day), tallies);
    await releaseFoldLease(database, TRACKING_LEASE);
  }
}

/**
 * Erasure: drops every kept example that names one of these strings (a person's ids, addresses),
 * first from this process's pending tallies, then, under the tracking lease, from the day
 * documents. The counts stay: they name no one. Returns how many examples went.
 */
export async function eraseTrackingExamples(database: Database, needles: readonly string[]): Promise<number> {
  if (!needles.length) return 0;
  const names = (x: unknown) => {
    const text = JSON.stringify(x);
    return needles.some((n) => text.includes(n));
  };
  const strip = (sources: DayTallies) => {
    let removed = 0;
    for (const types of Object.values(sources))
      for (const tally of Object.values(types))
        for (const [kind, list] of Object.entries(tally.examples)) {
          const kept = list.filter((e) => !names(e));
          removed += list.length - kept.length;
          tally.examples[kind as keyof typeof tally.examples] = kept;
        }
    return removed;
  };
  for (const tallies of stateOf(database).days.values()) strip(tallies);
  await waitForFoldLease(database, TRACKING_LEASE, 'erasure', 30_000);
  try {
    let removed = 0;
    const days = database.collections.trackingDays;
    for await (const doc of days.find({})) {
      if (!names(doc.sources)) continue;
      removed += strip(doc.sources);
      await days.replaceOne({ _id: doc._id }, { sources: doc.sources, updatedAt: new Date() });
    }
    return removed;
  } finally {
    await releaseFoldLease(database, TRACKING_LEASE);
  }
}
