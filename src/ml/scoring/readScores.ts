import type { Document } from 'mongodb';
import { z } from 'zod';
import type { Database } from '../../db/database.js';
import {
  decodeCursor as decodeMemberPosition,
  encodeCursor as encodeMemberPosition,
  memberCount,
  readMembers,
  type Position,
} from '../../segments/membership/memberPages.js';
import { config } from '../../config.js';
import { getMemberIndex } from '../../segments/membership/segmentStore.js';

/**
 * Reading the latest scores in bulk (`GET /v1/scores`, `breadcrumb scores export`): every scored
 * customer, or the members of one segment, as pages or as one stream.
 */
export const scoreFields = [
  'customerId',
  'cohort',
  'churnRisk',
  'firstPurchaseProbability',
  'predictedLtv',
  'purchaseProbability',
  'expectedNextOrderAt',
  'bestSendHour',
  'sendHourConfidence',
  'featuresAsOf',
  'scoredAt',
] as const;
export type ScoreField = (typeof scoreFields)[number];
export type ScoreRow = Partial<Record<ScoreField, string | number | null>> & { customerId: string };

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : null);
const text = (v: unknown) => (typeof v === 'string' ? v : null);
const readers: Record<Exclude<ScoreField, 'customerId'>, (v: unknown) => string | number | null> = {
  cohort: text,
  churnRisk: num,
  firstPurchaseProbability: num,
  predictedLtv: num,
  purchaseProbability: num,
  expectedNextOrderAt: iso,
  bestSendHour: num,
  sendHourConfidence: num,
  featuresAsOf: iso,
  scoredAt: iso,
};

function rowOf(customerId: string, doc: Document | undefined, fields: readonly ScoreField[]): ScoreRow {
  const row: ScoreRow = { customerId };
  for (const f of fields) if (f !== 'customerId') row[f] = doc ? readers[f](doc[f]) : null;
  return row;
}

/** Only the requested fields travel: the `drivers` a scores document carries are most of its size. */
const projectionOf = (fields: readonly ScoreField[]) =>
  Object.fromEntries(fields.filter((f) => f !== 'customerId').map((f) => [f, 1]));

/**
 * Where the next page starts: after customer `a` (every scored customer, by id), or at member
 * position `m` of segment `s` (the members' own order, see memberPages.ts). Opaque to clients.
 */
const cursorSchema = z.union([z.strictObject({ a: z.string() }), z.strictObject({ s: z.string(), m: z.string() })]);
type Cursor = z.infer<typeof cursorSchema>;

const encode = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');

export type ScoresError = { type: 'not_found'; message: string } | { type: 'bad_cursor'; message: string };
export type ScoresResult<T> = { ok: true; value: T } | { ok: false; error: ScoresError };

export interface ScoresQuery {
  /** A segment key; every scored customer when absent. */
  segment?: string | undefined;
  fields: readonly ScoreField[];
}

function decode(cursor: string, segment: string | undefined): ScoresResult<Cursor> {
  let parsed: Cursor | undefined;
  try {
    parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))).data;
  } catch {
    // not JSON: the same answer as JSON of the wrong shape
  }
  if (!parsed) return { ok: false, error: { type: 'bad_cursor', message: 'not a cursor returned by this endpoint' } };
  if (('s' in parsed ? parsed.s : undefined) !== segment)
    return { ok: false, error: { type: 'bad_cursor', message: 'the cursor belongs to another segment= selection' } };
  return { ok: true, value: parsed };
}

async function segmentOf(database: Database, key: string) {
  const found = await getMemberIndex(database, key);
  if (!found.ok) return { ok: false as const, error: { type: 'not_found' as const, message: found.error.message } };
  return { ok: true as const, value: { id: key, index: found.value, partitions: config().PARTITIONS } };
}

/** Scores of these customers, in their order; a customer without scores gets a row of nulls. */
async function scoresOf(database: Database, ids: string[], fields: readonly ScoreField[]): Promise<ScoreRow[]> {
  if (ids.length === 0) return [];
  const docs = await database.collections.scores
    .find({ _id: { $in: ids } }, { projection: projectionOf(fields) })
    .toArray();
  const byId = new Map(docs.map((d) => [String(d._id), d]));
  return ids.map((id) => rowOf(id, byId.get(id), fields));
}

/**
 * One page of at most `limit` rows after `cursor`, and the cursor of the next page (null at the
 * end). Every customer: by `_id` after the last one sent — an index range on MongoDB; on FerretDB
 * each page is a scan of `scores` (only `{_id: v}` is pushed down there), so bulk readers should
 * take a stream. A segment: its member pages (read by `_id`) give the next ids, then their scores.
 */
export async function readScorePage(
  database: Database,
  query: ScoresQuery & { cursor?: string | undefined; limit: number },
): Promise<ScoresResult<{ items: ScoreRow[]; nextCursor: string | null }>> {
  const at = query.cursor ? decode(query.cursor, query.segment) : null;
  if (at && !at.ok) return at;
  if (query.segment === undefined) {
    const after = at?.ok && 'a' in at.value ? at.value.a : undefined;
    const docs = await database.collections.scores
      // One row more than asked tells whether another page follows, without a last, empty page (a scan on FerretDB).
      .find(after === undefined ? {} : { _id: { $gt: after } }, {
        projection: projectionOf(query.fields),
        sort: { _id: 1 },
        limit: query.limit + 1,
      })
      .toArray();
    const items = docs.slice(0, query.limit).map((d) => rowOf(String(d._id), d, query.fields));
    return {
      ok: true,
      value: { items, nextCursor: docs.length > query.limit ? encode({ a: items.at(-1)!.customerId }) : null },
    };
  }
  const segment = await segmentOf(database, query.segment);
  if (!segment.ok) return segment;
  let from: Position | null = null;
  if (at?.ok && 'm' in at.value) {
    const position = decodeMemberPosition(at.value.m);
    if (!position.ok) return { ok: false, error: { type: 'bad_cursor', message: position.error } };
    from = position.value;
  }
  const ids: string[] = [];
  const read = await readMembers(database, segment.value, from, query.limit, (r) => void ids.push(r.customerId));
  if (!read.ok)
    return {
      ok: false,
      error: {
        type: 'bad_cursor',
        message: 'the cursor is from a segment run before the last two; start again without it',
      },
    };
  const next = read.value.next;
  return {
    ok: true,
    value: {
      items: await scoresOf(database, ids, query.fields),
      nextCursor: next ? encode({ s: query.segment, m: encodeMemberPosition(next) }) : null,
    },
  };
}

/**
 * Every row in one pass over `scores` (no sort: on FerretDB a sort decodes and orders the whole
 * collection before the first row). A segment's members are read first from their pages (by
 * `_id`) and the pass keeps theirs; members without scores follow with nulls, so the export lists
 * every member once. Opening checks the selection, so a caller can answer an error before it
 * starts writing. `total` is what to expect (for progress: the collection's estimated count, or
 * the segment's size); `run` streams, calling `emit` per row (`emit` may wait: backpressure), and
 * resolves to the number of rows.
 */
export async function openScoreStream(
  database: Database,
  query: ScoresQuery,
): Promise<ScoresResult<{ total: number; run: (emit: (row: ScoreRow) => void | Promise<void>) => Promise<number> }>> {
  const segment = query.segment === undefined ? undefined : await segmentOf(database, query.segment);
  if (segment && !segment.ok) return segment;
  const total = segment ? memberCount(segment.value.index) : await database.estimatedCount('scores');
  const run = async (emit: (row: ScoreRow) => void | Promise<void>) => {
    let members: Set<string> | undefined;
    if (segment) {
      members = new Set();
      await readMembers(database, segment.value, null, Infinity, (r) => void members!.add(r.customerId));
    }
    let rows = 0;
    if (members?.size !== 0) {
      for await (const doc of database.collections.scores.find(
        {},
        { projection: projectionOf(query.fields), batchSize: 2000 },
      )) {
        const id = String(doc._id);
        if (members && !members.delete(id)) continue;
        await emit(rowOf(id, doc, query.fields));
        rows++;
      }
    }
    for (const id of members ?? []) {
      await emit(rowOf(id, undefined, query.fields));
      rows++;
    }
    return rows;
  };
  return { ok: true, value: { total, run } };
}
