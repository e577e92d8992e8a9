import type { AnyBulkWriteOperation } from 'mongodb';
import type { Database } from '../db/database.js';
import type { MemberPageDoc, SegmentDoc } from '../db/models/segment.js';
import type { Subject } from './subject.js';

/**
 * Every member page holding a row of the person: current and previous versions, and pages a run
 * that died before its commit left unreferenced, which no segment index points to (so they are
 * found by content, a scan of the pages on FerretDB, rather than through the segments).
 */
export async function memberPagesOf(database: Database, customerId: string): Promise<MemberPageDoc[]> {
  return database.collections.segmentMemberPages.find({ 'rows.customerId': customerId }).toArray();
}

/**
 * Takes the person out of the segments: their rows leave the member pages (each page rewritten
 * without them), the partition's member count and the segment's `memberCount` drop by one where
 * the page is the current version, so does the latest daily size in `segment_counts` of every
 * segment they were in, and their `customer_segments` state goes. Earlier daily counts are
 * aggregates with nothing personal in them and stay as they were.
 */
export async function eraseMemberships(
  database: Database,
  subject: Pick<Subject, 'customerId' | 'partition'>,
): Promise<{ memberPages: number; customerSegments: number }> {
  const { segmentCounts, segmentMemberPages, segments, customerSegments } = database.collections;
  const { customerId } = subject;
  const pages = await memberPagesOf(database, customerId);
  const key = `p${subject.partition}`;
  const segmentIds = [...new Set(pages.map((p) => p.segmentId))];
  const indexes = new Map(
    (segmentIds.length
      ? await segments.find({ _id: { $in: segmentIds } }, { projection: { memberPages: 1 } }).toArray()
      : []
    ).map((s) => [s._id, s.memberPages]),
  );
  const segmentUpdates: AnyBulkWriteOperation<SegmentDoc>[] = [];
  for (const page of pages) {
    const entry = indexes.get(page.segmentId)?.[key];
    if (entry?.version !== page.version) continue;
    segmentUpdates.push({
      updateOne: {
        filter: { _id: page.segmentId },
        update: { $inc: { [`memberPages.${key}.count`]: -1, memberCount: -1 } },
      },
    });
  }
  // Pages first, counts after: a retry after a crash in between finds no row to count again, so a
  // count can stay one too high but is never taken down twice.
  await database.replaceById(
    segmentMemberPages,
    pages.map((p) => ({ ...p, rows: p.rows.filter((r) => r.customerId !== customerId) })),
  );
  await database.bulkWrite(segments, segmentUpdates);

  // The state goes before the daily sizes drop: a retry after a crash in between finds no state
  // and leaves the sizes alone, where the other order could take the person off twice.
  const state = await customerSegments.findOne({ _id: customerId });
  const deleted = await customerSegments.deleteOne({ _id: customerId });
  const current = [...new Set((state?.current ?? []).map((s) => s.segmentId))];
  if (current.length) {
    const latest = new Map<string, { _id: string; day: string }>();
    for await (const c of segmentCounts.find(
      { segmentId: { $in: current } },
      { projection: { segmentId: 1, day: 1 } },
    )) {
      const seen = latest.get(c.segmentId);
      if (!seen || c.day > seen.day) latest.set(c.segmentId, { _id: c._id, day: c.day });
    }
    const countUpdates = [...latest.values()].map((c) => ({
      updateOne: { filter: { _id: c._id }, update: { $inc: { size: -1 } } },
    }));
    await database.bulkWrite(segmentCounts, countUpdates);
  }
  return { memberPages: pages.length, customerSegments: deleted.deletedCount };
}
