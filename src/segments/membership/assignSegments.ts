import type { AnyBulkWriteOperation, Document } from 'mongodb';
import { config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { isDuplicateKey } from '../../db/duplicateKey.js';
import type { Counts, JobContext } from '../../jobs/core/defineJob.js';
import { forEachPartition } from '../../jobs/core/partitions.js';
import type { SegmentDefinition } from '../library/index.js';
import { lifecycleStage } from '../lifecycle.js';
import type { QuantileSpec } from '../rules/index.js';
import type { ScanMode } from '../profiles.js';
import { regionWeatherAt } from '../../weather/weatherCache.js';
import { dayOf, recordDailyCounts, tallyDayMoves } from './counts.js';
import { compileSegments, evaluateSegments } from './evaluate.js';
import { insertEvents, membershipEvent } from './events.js';
import {
  dayMoves,
  memberCount,
  memberRow,
  MemberPagesWriter,
  type DayMoves,
  type MemberPagesIndex,
  type MemberRow,
} from './memberPages.js';
import type { CustomerSegmentsDoc, SegmentDoc } from '../../db/models/segment.js';
import { diffCustomer } from './state.js';
import { segmentWarnings } from './warnings.js';

export const ASSIGN_SEGMENTS_JOB = 'assign-segments';

export interface AssignOptions {
  asOf: Date;
  partitions?: number[] | undefined;
  scan: 'auto' | ScanMode;
  /** A segment with fewer members (but some) is flagged as too small to act on. */
  minSize: number;
}

/** The lifecycle's "top LTV" tier: a repeat buyer in the top 20% by predicted LTV is a VIP. */
const VIP_LTV: QuantileSpec = { id: 'vipLtv', field: 'scores.predictedLtv', side: 'top', fraction: 0.2 };

/**
 * Makes `segments` hold every built-in with its current definition: missing ones are inserted
 * (active), changed definitions updated; whether an admin deactivated one is kept. Idempotent.
 */
export async function seedBuiltIns(database: Database, builtIns: readonly SegmentDefinition[]): Promise<number> {
  const collection = database.collections.segments;
  const existing = new Map((await collection.find({ builtIn: true }).toArray()).map((s) => [String(s._id), s]));
  const now = new Date();
  const inserts: SegmentDoc[] = [];
  const updates: AnyBulkWriteOperation<SegmentDoc>[] = [];
  for (const b of builtIns) {
    const definition = { name: b.name, description: b.description, kind: b.kind, group: b.group, rule: b.rule };
    const old = existing.get(b.key);
    if (!old)
      inserts.push({
        _id: b.key,
        ...definition,
        builtIn: true,
        active: true,
        memberCount: 0,
        warnings: [],
        createdAt: now,
        updatedAt: now,
      });
    else if (
      JSON.stringify({
        name: old.name,
        description: old.description,
        kind: old.kind,
        group: old.group,
        rule: old.rule,
      }) !== JSON.stringify(definition)
    ) {
      updates.push({ updateOne: { filter: { _id: b.key }, update: { $set: { ...definition, updatedAt: now } } } });
    }
  }
  if (inserts.length > 0) {
    try {
      await collection.insertMany(inserts, { ordered: false });
    } catch (err) {
      // Another worker seeding at the same moment inserted some: what is left is theirs.
      if (!isDuplicateKey(err) && !(err as { writeErrors?: unknown }).writeErrors) throw err;
    }
  }
  if (updates.length > 0) await database.bulkWrite(collection, updates);
  return inserts.length + updates.length;
}

/**
 * One run of assign-segments (see jobs/assign-segments.ts): evaluates every active segment for
 * the partitions this worker claims and diffs against each customer's stored memberships. Per
 * partition it writes the events first, then the changed customers' state, then the member pages
 * (made visible by one commit at the end). A re-run finds nothing to change and stores nothing
 * (event ids name the stay); a run that dies between a partition's events and its state emits
 * those changes again at the next run, stamped with that run's time: at-least-once, never lost.
 */
export async function assignSegments(
  ctx: JobContext,
  options: AssignOptions,
  deps: { builtIns: readonly SegmentDefinition[] },
): Promise<Counts> {
  const { database } = ctx;
  const { customerSegments, segments } = database.collections;
  const counts = {
    seeded: 0,
    segments: 0,
    invalidSegments: 0,
    partitions: 0,
    customers: 0,
    entered: 0,
    exited: 0,
    events: 0,
    transitions: 0,
    stateWrites: 0,
    warnings: 0,
    evaluateMs: 0,
    writeMs: 0,
  };
  const started = performance.now();
  counts.seeded = await seedBuiltIns(database, deps.builtIns);

  const stored = await segments.find({ active: true }, { projection: { rule: 1, name: 1 } }).toArray();
  const names = new Map(stored.map((s) => [String(s._id), String(s.name)]));
  const { compiled, invalid } = compileSegments(
    stored.map((s) => ({ id: String(s._id), rule: s.rule })),
    options.asOf,
    await regionWeatherAt(database, options.asOf),
  );
  for (const bad of invalid)
    ctx.log.warn(
      { segment: bad.id, error: bad.error },
      'assign-segments: stored rule no longer compiles; segment skipped',
    );
  counts.segments = compiled.length;
  counts.invalidSegments = invalid.length;

  const claimed: number[] = [];
  await forEachPartition(
    { ...ctx, progress: () => undefined },
    ASSIGN_SEGMENTS_JOB,
    async (p) => void claimed.push(p),
    options.partitions,
  );
  if (claimed.length === 0) return counts;
  const everyPartition = claimed.length === config().PARTITIONS;
  const scan: ScanMode = options.scan === 'auto' ? (database.ferretdb ? 'collection' : 'partition') : options.scan;

  // Collection mode reads the whole state at once (one scan); partition mode per partition.
  let state: Map<string, CustomerSegmentsDoc> | null = null;
  if (scan === 'collection') {
    state = new Map();
    const filter = everyPartition ? {} : { partition: { $in: claimed } };
    for await (const d of customerSegments.find(filter)) state.set(d._id, d);
  }

  const pagesWriter = await MemberPagesWriter.open(
    database,
    Date.now(),
    compiled.map((s) => s.id),
  );
  const at = options.asOf;
  const day = dayOf(at);
  let done = 0;
  await evaluateSegments(
    database,
    compiled,
    { asOf: at, partitions: claimed, everyPartition, scan, signal: ctx.signal, extraQuantiles: [VIP_LTV] },
    async (partition, profiles, extra) => {
      const vipLtvCutoff = extra[VIP_LTV.id] ?? null;
      const writeStart = performance.now();
      const partState = state ?? new Map((await customerSegments.find({ partition }).toArray()).map((d) => [d._id, d]));
      const events: Document[] = [];
      const writes: CustomerSegmentsDoc[] = [];
      const members = new Map<string, { row: MemberRow; enteredAt: Date }[]>(compiled.map((s) => [s.id, []]));
      const moves = new Map<string, DayMoves>(compiled.map((s) => [s.id, { day, entered: 0, exited: 0 }]));
      const receivedAt = new Date();
      for (const { stored: s, profile, matched } of profiles) {
        const customerId = profile._id;
        const diff = diffCustomer({
          previous: partState.get(customerId),
          customerId,
          partition,
          matched,
          lifecycle: lifecycleStage(profile, { vipLtvCutoff }),
          at,
        });
        partState.delete(customerId);
        for (const change of diff.changes) {
          events.push(membershipEvent(change, names.get(change.segmentId), receivedAt));
          counts[change.kind]++;
        }
        if (diff.transition) counts.transitions++;
        if (diff.changed) writes.push(diff.doc);
        tallyDayMoves(moves, day, diff.doc);
        if (diff.doc.current.length > 0) {
          const row = memberRow(customerId, s.customer, s.scores, diff.doc.lifecycle?.stage ?? null);
          for (const stay of diff.doc.current) members.get(stay.segmentId)?.push({ row, enteredAt: stay.enteredAt });
        }
      }
      counts.events += await insertEvents(database, events);
      await database.replaceById(customerSegments, writes);
      counts.stateWrites += writes.length;
      await pagesWriter.writePartition(partition, members, moves);
      counts.writeMs += performance.now() - writeStart;
      counts.customers += profiles.length;
      counts.partitions++;
      ctx.progress(++done, claimed.length);
    },
  );

  const commitStart = performance.now();
  await pagesWriter.commit();
  counts.writeMs += performance.now() - commitStart;
  counts.evaluateMs = Math.round(performance.now() - started - counts.writeMs);
  counts.writeMs = Math.round(counts.writeMs);
  // Sizes and the day's moves come from the member index, so partitions other workers (or an
  // earlier run killed before this point) evaluated count too.
  const totals = await segments
    .find({ _id: { $in: compiled.map((s) => s.id) } }, { projection: { memberPages: 1 } })
    .toArray();
  const indexes = new Map(totals.map((s) => [String(s._id), s.memberPages as MemberPagesIndex | undefined]));
  const sizes = new Map(compiled.map((s) => [s.id, memberCount(indexes.get(s.id))]));
  await recordDailyCounts(
    database,
    at,
    new Map(compiled.map((s) => [s.id, { size: sizes.get(s.id)!, ...dayMoves(indexes.get(s.id), day) }])),
  );
  const customers = await database.estimatedCount('customers');
  const warnings = segmentWarnings(sizes, customers, options.minSize);
  const refreshedAt = new Date();
  const updates = compiled.map((s) => ({
    updateOne: {
      filter: { _id: s.id },
      update: {
        $set: { memberCount: sizes.get(s.id) ?? 0, refreshedAt, warnings: warnings.bySegment.get(s.id) ?? [] },
      },
    },
  }));
  await database.bulkWrite(segments, updates);
  for (const [segment, list] of warnings.bySegment)
    for (const w of list)
      if (w !== warnings.overall) ctx.log.warn({ segment, size: sizes.get(segment) }, `assign-segments: ${w}`);
  if (warnings.overall)
    ctx.log.warn({ customers, segments: warnings.nonEmpty }, `assign-segments: ${warnings.overall}`);
  counts.warnings = [...warnings.bySegment.values()].reduce((n, l) => n + l.length, 0) + (warnings.overall ? 1 : 0);
  return counts;
}
