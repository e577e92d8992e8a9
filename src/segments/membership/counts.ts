import type { Database } from '../../db/database.js';
import type { PastStay, Stay } from './state.js';

/** A segment's size on a day and the moves that day (`segment_counts`). */
export interface DailyCount {
  day: string;
  size: number;
  entered: number;
  exited: number;
}

export const dayOf = (d: Date) => d.toISOString().slice(0, 10);

/**
 * Records each segment's size today and its entries and exits so far today (by `_id`
 * `<segment>:<day>`, a lookup, not a scan, on FerretDB). The moves are whole-day totals tallied
 * from the stored stays, not this run's moves added to the earlier runs': a run killed after
 * storing some partitions' stays but before getting here would otherwise lose those moves, and
 * the run after it, finding nothing left to change, would never count them.
 */
export async function recordDailyCounts(
  database: Database,
  at: Date,
  bySegment: Map<string, { size: number; entered: number; exited: number }>,
): Promise<void> {
  const day = dayOf(at);
  const docs = [...bySegment].map(([segmentId, c]) => ({
    _id: `${segmentId}:${day}`,
    segmentId,
    day,
    size: c.size,
    entered: c.entered,
    exited: c.exited,
    at,
  }));
  await database.replaceById(database.collections.segmentCounts, docs);
}

/** One customer's stays tallied into `moves` (by segment): entries and exits dated `day`. */
export function tallyDayMoves(
  moves: Map<string, { entered: number; exited: number }>,
  day: string,
  stays: { current: Stay[]; past: PastStay[] },
): void {
  for (const stay of [...stays.current, ...stays.past]) {
    const m = moves.get(stay.segmentId);
    if (m && dayOf(stay.enteredAt) === day) m.entered++;
  }
  for (const stay of stays.past) {
    const m = moves.get(stay.segmentId);
    if (m && dayOf(stay.exitedAt) === day) m.exited++;
  }
}

/** Daily counts of the given segments since `fromDay` (inclusive), oldest first, by segment. */
export async function loadDailyCounts(
  database: Database,
  segmentIds: string[],
  fromDay: string,
): Promise<Map<string, DailyCount[]>> {
  const out = new Map<string, DailyCount[]>(segmentIds.map((id) => [id, []]));
  const cursor = database.collections.segmentCounts.find(
    { segmentId: segmentIds.length === 1 ? segmentIds[0] : { $in: segmentIds }, day: { $gte: fromDay } },
    { projection: { segmentId: 1, day: 1, size: 1, entered: 1, exited: 1 } },
  );
  for await (const c of cursor)
    out.get(String(c.segmentId))?.push({
      day: String(c.day),
      size: Number(c.size),
      entered: Number(c.entered ?? 0),
      exited: Number(c.exited ?? 0),
    });
  for (const list of out.values()) list.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  return out;
}

/**
 * Whether a segment is shrinking: its latest size is at least `drop` (20%) below its size
 * `days` earlier (the first count on or after that day), among segments that had at least 10.
 */
export function isDeclining(counts: DailyCount[], days = 30, drop = 0.2): boolean {
  const last = counts.at(-1);
  if (!last) return false;
  const since = dayOf(new Date(Date.parse(last.day) - days * 86_400_000));
  const first = counts.find((c) => c.day >= since);
  return !!first && first !== last && first.size >= 10 && last.size <= first.size * (1 - drop);
}
