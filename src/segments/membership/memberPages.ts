import type { Document } from 'mongodb';
import { z } from 'zod';
import type { Database } from '../../db/database.js';
import type { MemberPageDoc } from '../../db/models/segment.js';
import { parseFieldList } from '../../rowExport.js';
import {
  memberFields,
  type DayMoves,
  type MemberField,
  type MemberPagesIndex,
  type MemberRow,
  type PartitionPages,
} from './memberRows.js';

/**
 * A segment's current members, stored as pages per partition: `segment_member_pages` documents
 * `<segment>:<partition>:<version>:<index>` of up to PAGE_ROWS rows sorted by customer id, with the
 * fields a marketer pulls (contact, lifecycle, scores) copied in. Why: on FerretDB any query but
 * `{_id: …}` scans its whole collection, so a page of members found by `segmentId` would cost a
 * scan of every membership; fetched by `_id` it costs one lookup, on MongoDB too. Each partition is
 * rewritten by the run that evaluates it (insert the new version, then point the segment at it,
 * then delete the version before the previous one), so a cursor opened on a version keeps working
 * through the next run, and workers that split a run's partitions never touch each other's pages.
 */
export const PAGE_ROWS = 1000;

/** Fields a member row can carry; `fields=` selects among them (the whitelist). */
export { memberFields, type DayMoves, type MemberField, type MemberPagesIndex, type MemberRow, type PartitionPages };

/** `email,churnRisk` → the columns, customerId first; unknown names are an error (the whitelist). */
export const parseMemberFields = (spec: string | undefined) => parseFieldList(spec, memberFields, 'customerId');

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : null);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);

/** The row of a member, without `enteredAt` (which depends on the segment). */
export function memberRow(
  customerId: string,
  customer: Document | undefined,
  scores: Document | null | undefined,
  lifecycleStage: string | null,
): MemberRow {
  return {
    customerId,
    email: text(customer?.email),
    firstName: text(customer?.firstName),
    lastName: text(customer?.lastName),
    country: text(customer?.country),
    timezone: text(customer?.timezone),
    lifecycleStage,
    churnRisk: num(scores?.churnRisk),
    predictedLtv: num(scores?.predictedLtv),
    purchaseProbability: num(scores?.purchaseProbability),
    expectedNextOrderAt: iso(scores?.expectedNextOrderAt),
    bestSendHour: num(scores?.bestSendHour),
  };
}

const pageId = (segmentId: string, partition: number, version: number, index: number) =>
  `${segmentId}:${partition}:${version}:${index}`;

/**
 * Writes one run's member pages: `writePartition` inserts a partition's pages (a new version, so
 * readers still see the old one), `commit` then points each segment at the new versions with one
 * update per segment and deletes the versions before the previous one. A run that dies before
 * `commit` leaves only unreferenced pages behind; the old members stay readable.
 */
export class MemberPagesWriter {
  private readonly entries = new Map<string, Record<string, PartitionPages>>();
  private readonly stale: string[] = [];

  private constructor(
    private readonly database: Database,
    private readonly version: number,
    private readonly old: Map<string, MemberPagesIndex | undefined>,
  ) {}

  static async open(database: Database, version: number, segmentIds: string[]): Promise<MemberPagesWriter> {
    const segments = await database.collections.segments
      .find({ _id: { $in: segmentIds } }, { projection: { memberPages: 1 } })
      .toArray();
    return new MemberPagesWriter(database, version, new Map(segments.map((s) => [s._id, s.memberPages])));
  }

  /**
   * One partition's members of each segment (every evaluated segment, empty or not: nobody left
   * shows no one), and its moves that day per segment.
   */
  async writePartition(
    partition: number,
    members: Map<string, { row: MemberRow; enteredAt: Date }[]>,
    moves: Map<string, DayMoves>,
  ): Promise<void> {
    const key = `p${partition}`;
    const pages: MemberPageDoc[] = [];
    for (const [segmentId, list] of members) {
      list.sort((a, b) => (a.row.customerId < b.row.customerId ? -1 : a.row.customerId > b.row.customerId ? 1 : 0));
      let index = 0;
      for (let i = 0; i < list.length; i += PAGE_ROWS, index++) {
        const rows = list
          .slice(i, i + PAGE_ROWS)
          .map(({ row, enteredAt }) => ({ ...row, enteredAt: enteredAt.toISOString() }));
        pages.push({
          _id: pageId(segmentId, partition, this.version, index),
          segmentId,
          version: this.version,
          index,
          rows,
        });
      }
      const old = this.old.get(segmentId)?.[key];
      if (old?.previous)
        for (let i = 0; i < old.previous.pages; i++)
          this.stale.push(pageId(segmentId, partition, old.previous.version, i));
      let entries = this.entries.get(segmentId);
      if (!entries) this.entries.set(segmentId, (entries = {}));
      const day = moves.get(segmentId);
      entries[key] = {
        version: this.version,
        pages: index,
        count: list.length,
        previous: old ? { version: old.version, pages: old.pages } : null,
        ...(day ? { moves: day } : {}),
      };
    }
    // A few pages per insert: each is up to ~250 KB.
    for (let i = 0; i < pages.length; i += 8)
      await this.database.collections.segmentMemberPages.insertMany(pages.slice(i, i + 8), { ordered: false });
  }

  async commit(): Promise<void> {
    const updates = [...this.entries].map(([segmentId, entries]) => ({
      updateOne: {
        filter: { _id: segmentId },
        update: { $set: Object.fromEntries(Object.entries(entries).map(([k, v]) => [`memberPages.${k}`, v])) },
      },
    }));
    await this.database.bulkWrite(this.database.collections.segments, updates);
    await deletePages(this.database, this.stale);
  }
}

/** Every stored page of a segment (current and previous versions of each partition). */
export function pageIdsOf(segmentId: string, index: MemberPagesIndex | undefined): string[] {
  const ids: string[] = [];
  for (const [key, entry] of Object.entries(index ?? {})) {
    const partition = Number(key.slice(1));
    for (let i = 0; i < entry.pages; i++) ids.push(pageId(segmentId, partition, entry.version, i));
    for (let i = 0; i < (entry.previous?.pages ?? 0); i++)
      ids.push(pageId(segmentId, partition, entry.previous!.version, i));
  }
  return ids;
}

export async function deletePages(database: Database, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500)
    await database.collections.segmentMemberPages.deleteMany({ _id: { $in: ids.slice(i, i + 500) } });
}

/**
 * Deletes pages no segment points at, written by runs that began before `before` (a page's
 * version is its run's start time): a run killed before `commit` leaves its pages unreferenced,
 * and nothing else would ever delete them. Pages of a run still working are younger. Reads every
 * page's id once (a scan on FerretDB), so it belongs in housekeeping. Returns how many it deleted.
 */
export async function sweepOrphanPages(database: Database, before: Date): Promise<number> {
  const referenced = new Set<string>();
  for await (const s of database.collections.segments.find({}, { projection: { memberPages: 1 } })) {
    for (const [key, entry] of Object.entries((s.memberPages ?? {}) as MemberPagesIndex)) {
      referenced.add(`${String(s._id)}:${key.slice(1)}:${entry.version}`);
      if (entry.previous) referenced.add(`${String(s._id)}:${key.slice(1)}:${entry.previous.version}`);
    }
  }
  const orphans: string[] = [];
  for await (const page of database.collections.segmentMemberPages.find({}, { projection: { _id: 1, version: 1 } })) {
    const id = String(page._id);
    // `<segment>:<partition>:<version>:<index>`; a segment id may itself hold colons
    const partitionVersion = id.slice(0, id.lastIndexOf(':'));
    if (!referenced.has(partitionVersion) && Number(page.version) < before.getTime()) orphans.push(id);
  }
  await deletePages(database, orphans);
  return orphans.length;
}

/** A position in a segment's member list; the opaque cursor is its base64url JSON. */
const positionSchema = z.strictObject({
  p: z.number().int().min(0),
  v: z.number().int().min(0),
  i: z.number().int().min(0),
  o: z.number().int().min(0),
});
export type Position = z.infer<typeof positionSchema>;

export function encodeCursor(pos: Position): string {
  return Buffer.from(JSON.stringify(pos)).toString('base64url');
}

export function decodeCursor(cursor: string): { ok: true; value: Position } | { ok: false; error: string } {
  try {
    const parsed = positionSchema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success) return { ok: true, value: parsed.data };
  } catch {
    // not JSON: the same answer as JSON of the wrong shape
  }
  return { ok: false, error: 'not a cursor returned by this endpoint' };
}

/** Total current members from the index (sum over partitions). */
export function memberCount(index: MemberPagesIndex | undefined): number {
  return Object.values(index ?? {}).reduce((sum, p) => sum + p.count, 0);
}

/** Entries and exits on `day` from the index (sum over the partitions last evaluated that day). */
export function dayMoves(index: MemberPagesIndex | undefined, day: string): { entered: number; exited: number } {
  let entered = 0;
  let exited = 0;
  for (const p of Object.values(index ?? {})) {
    if (p.moves?.day !== day) continue;
    entered += p.moves.entered;
    exited += p.moves.exited;
  }
  return { entered, exited };
}

export type ReadResult = { ok: true; value: { next: Position | null } } | { ok: false; error: 'cursor_expired' };

/** Pages fetched at once: a small segment spreads over every partition, a page or two each. */
const PREFETCH = 8;

/**
 * Streams member rows from `from` (the start by default) in order, calling `emit` per row until
 * `limit` rows went out; `emit` may wait (backpressure). The index says how many rows each page
 * holds, so the pages a read needs are known up front and fetched up to PREFETCH at a time (memory:
 * that many pages). Returns where the next read starts, or null at the end. A cursor whose version
 * has been deleted (two runs later) is expired.
 */
export async function readMembers(
  database: Database,
  segment: { id: string; index: MemberPagesIndex | undefined; partitions: number },
  from: Position | null,
  limit: number,
  emit: (row: MemberRow) => void | Promise<void>,
): Promise<ReadResult> {
  const pagesCollection = database.collections.segmentMemberPages;
  /** Rows in page `i` of a partition version with `count` rows. */
  const rowsIn = (count: number, i: number) => Math.min(PAGE_ROWS, count - i * PAGE_ROWS);
  const startOf = (p: number): Position | null => {
    for (let q = p; q < segment.partitions; q++) {
      const entry = segment.index?.[`p${q}`];
      if (entry && entry.pages > 0) return { p: q, v: entry.version, i: 0, o: 0 };
    }
    return null;
  };
  /** The version's page count and rows, or null when the cursor's version is gone. */
  const versionOf = (pos: Position): { pages: number; count: number } | null => {
    const entry = segment.index?.[`p${pos.p}`];
    if (entry?.version === pos.v) return entry;
    // A previous version's row count is not kept: its pages are read until one comes back short.
    if (entry?.previous?.version === pos.v)
      return { pages: entry.previous.pages, count: entry.previous.pages * PAGE_ROWS };
    return null;
  };
  let pos = from ?? startOf(0);
  if (pos && !versionOf(pos)) return { ok: false, error: 'cursor_expired' };
  let sent = 0;
  while (pos && sent < limit) {
    // Plan the next pages: enough rows for what is left of `limit`.
    const plan: Position[] = [];
    let planned = 0;
    let at: Position | null = pos;
    while (at && plan.length < PREFETCH && sent + planned < limit) {
      const version = versionOf(at);
      if (!version) return { ok: false, error: 'cursor_expired' };
      if (at.i >= version.pages) {
        at = startOf(at.p + 1);
        continue;
      }
      plan.push(at);
      planned += rowsIn(version.count, at.i) - at.o;
      at = at.i + 1 < version.pages ? { ...at, i: at.i + 1, o: 0 } : startOf(at.p + 1);
    }
    const pages = await Promise.all(
      plan.map((q) => pagesCollection.findOne({ _id: pageId(segment.id, q.p, q.v, q.i) })),
    );
    for (const [k, page] of pages.entries()) {
      if (!page) return { ok: false, error: 'cursor_expired' };
      const q = plan[k]!;
      const rows = page.rows;
      let o = q.o;
      while (o < rows.length && sent < limit) {
        await emit(rows[o++]!);
        sent++;
      }
      const version = versionOf(q)!;
      pos = o < rows.length ? { ...q, o } : q.i + 1 < version.pages ? { ...q, i: q.i + 1, o: 0 } : startOf(q.p + 1);
      if (sent >= limit) break;
    }
  }
  return { ok: true, value: { next: pos } };
}
