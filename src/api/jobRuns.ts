import { ObjectId, type Filter } from 'mongodb';
import { z } from 'zod';
import type { Database } from '../db/database.js';
import { jobRunStatuses, type JobRunDoc } from '../db/models/jobRun.js';
import { objectId } from './validate.js';

export interface JobRunView {
  id: string;
  job: string;
  status: (typeof jobRunStatuses)[number];
  trigger: string;
  worker: string | null;
  options: Record<string, unknown>;
  counts: Record<string, unknown>;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  error: { type: string | null; message: string | null; stack?: string | null } | null;
  notes: string[];
  attempts: number;
  retries: { at: string; error: string; waitMs: number }[];
  parentRunId: string | null;
  steps: {
    job: string;
    runId: string;
    status: string;
    durationMs: number | null;
    options: Record<string, unknown>;
    counts: Record<string, unknown>;
    error: string | null;
  }[];
}

export interface ListJobRunsInput {
  job?: string;
  status?: (typeof jobRunStatuses)[number];
  limit: number;
  /** `nextCursor` of the previous page; stable while new runs are being added, unlike offset. */
  cursor?: string;
  offset?: number;
  /** Stack traces are for operators; other callers get the type and message. */
  includeStack?: boolean;
}

export type ListJobRunsResult =
  | { ok: true; value: { items: JobRunView[]; nextCursor: string | null } }
  | { ok: false; error: { type: 'invalid_cursor'; message: string } };

/** A position in newest-first order: start time, then id to break ties between runs started together. */
const cursorSchema = z.tuple([z.iso.datetime(), objectId]);

function encodeCursor(run: JobRunView): string {
  return Buffer.from(JSON.stringify([run.startedAt, run.id])).toString('base64url');
}

function decodeCursor(cursor: string): [Date, ObjectId] | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined; // not JSON: the caller reports an invalid cursor
  }
  const parsed = cursorSchema.safeParse(raw);
  return parsed.success ? [new Date(parsed.data[0]), new ObjectId(parsed.data[1])] : undefined;
}

function toView(row: JobRunDoc, includeStack: boolean): JobRunView {
  const error = row.error && (row.error.message || row.error.type) ? row.error : undefined;
  return {
    id: row._id.toString(),
    job: row.job,
    status: row.status,
    trigger: row.trigger,
    worker: row.worker ?? null,
    options: (row.options ?? {}) as Record<string, unknown>,
    counts: (row.counts ?? {}) as Record<string, unknown>,
    startedAt: row.startedAt.toISOString(),
    endedAt: row.endedAt?.toISOString() ?? null,
    durationMs: row.durationMs ?? null,
    error: error
      ? {
          type: error.type ?? null,
          message: error.message ?? null,
          ...(includeStack && { stack: error.stack ?? null }),
        }
      : null,
    notes: row.notes ?? [],
    attempts: row.attempts ?? 1,
    retries: (row.retries ?? []).map((r) => ({
      at: r.at?.toISOString() ?? row.startedAt.toISOString(),
      error: r.error ?? '',
      waitMs: r.waitMs ?? 0,
    })),
    parentRunId: row.parentRunId ?? null,
    steps: (row.steps ?? []).map((s) => ({
      job: s.job ?? '',
      runId: s.runId ?? '',
      status: s.status ?? '',
      durationMs: s.durationMs ?? null,
      options: (s.options ?? {}) as Record<string, unknown>,
      counts: (s.counts ?? {}) as Record<string, unknown>,
      error: s.error ?? null,
    })),
  };
}

/** Recent runs, newest first, filtered by job and status, paged by cursor or offset. */
export async function listJobRuns(database: Database, input: ListJobRunsInput): Promise<ListJobRunsResult> {
  const filter: Filter<JobRunDoc> = {};
  if (input.job) filter.job = input.job;
  if (input.status) filter.status = input.status;
  if (input.cursor) {
    const after = decodeCursor(input.cursor);
    if (!after) return { ok: false, error: { type: 'invalid_cursor', message: 'cursor is not one this API returned' } };
    const [startedAt, id] = after;
    filter.$or = [{ startedAt: { $lt: startedAt } }, { startedAt, _id: { $lt: id } }];
  }
  // One extra row says whether there is a next page without a second query.
  const rows = await database.collections.jobRuns
    .find(filter)
    .sort({ startedAt: -1, _id: -1 })
    .skip(input.offset ?? 0)
    .limit(input.limit + 1)
    .toArray();
  const items = rows.slice(0, input.limit).map((row) => toView(row, input.includeStack ?? false));
  const last = items.at(-1);
  return { ok: true, value: { items, nextCursor: rows.length > input.limit && last ? encodeCursor(last) : null } };
}

export async function getJobRun(database: Database, id: string, includeStack = false): Promise<JobRunView | undefined> {
  if (!ObjectId.isValid(id)) return undefined;
  const row = await database.collections.jobRuns.findOne({ _id: new ObjectId(id) });
  return row ? toView(row, includeStack) : undefined;
}
