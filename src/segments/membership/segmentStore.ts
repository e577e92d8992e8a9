import type { Document } from 'mongodb';
import type { Database } from '../../db/database.js';
import { isDuplicateKey } from '../../db/duplicateKey.js';
import { compileRule, type RuleError } from '../rules/index.js';
import { dayOf, loadDailyCounts, type DailyCount } from './counts.js';
import { deletePages, memberCount, pageIdsOf, type MemberPagesIndex } from './memberPages.js';

/** Segments as the API shows them: definition, size, warnings and a 30-day trend. */
export interface SegmentSummary {
  key: string;
  name: string;
  kind: string;
  description: string | null;
  builtIn: boolean;
  active: boolean;
  size: number;
  refreshedAt: string | null;
  warnings: string[];
  trend: { day: string; size: number }[];
}

export type StoreError =
  | { type: 'not_found'; message: string }
  | { type: 'conflict'; message: string }
  | { type: 'read_only'; message: string }
  | { type: 'invalid_rule'; message: string; error: RuleError };
export type StoreResult<T> = { ok: true; value: T } | { ok: false; error: StoreError };

const TREND_DAYS = 30;

function summary(s: Document, trend: DailyCount[]): SegmentSummary {
  return {
    key: String(s._id),
    name: String(s.name),
    kind: String(s.kind ?? 'custom'),
    description: typeof s.description === 'string' ? s.description : null,
    builtIn: s.builtIn === true,
    active: s.active !== false,
    size: memberCount(s.memberPages as MemberPagesIndex | undefined),
    refreshedAt: s.refreshedAt instanceof Date ? s.refreshedAt.toISOString() : null,
    warnings: Array.isArray(s.warnings) ? (s.warnings as string[]) : [],
    trend: trend.map((c) => ({ day: c.day, size: c.size })),
  };
}

export async function listSegments(database: Database, now = new Date()): Promise<SegmentSummary[]> {
  const segments = await database.collections.segments.find({}).sort({ _id: 1 }).toArray();
  const trends = await loadDailyCounts(
    database,
    segments.map((s) => String(s._id)),
    dayOf(new Date(now.getTime() - TREND_DAYS * 86_400_000)),
  );
  return segments.map((s) => summary(s, trends.get(String(s._id)) ?? []));
}

/** One segment with its rule (and its member index, for reading members). */
export async function getSegment(
  database: Database,
  key: string,
): Promise<StoreResult<SegmentSummary & { rule: unknown; memberPages: MemberPagesIndex | undefined }>> {
  const s = await database.collections.segments.findOne({ _id: key });
  if (!s) return { ok: false, error: { type: 'not_found', message: `no segment "${key}"` } };
  const trend =
    (await loadDailyCounts(database, [key], dayOf(new Date(Date.now() - TREND_DAYS * 86_400_000)))).get(key) ?? [];
  return {
    ok: true,
    value: { ...summary(s, trend), rule: s.rule, memberPages: s.memberPages as MemberPagesIndex | undefined },
  };
}

/** Only what reading members needs: one lookup by `_id`, without the trend. */
export async function getMemberIndex(
  database: Database,
  key: string,
): Promise<StoreResult<MemberPagesIndex | undefined>> {
  const s = await database.collections.segments.findOne({ _id: key }, { projection: { memberPages: 1 } });
  if (!s) return { ok: false, error: { type: 'not_found', message: `no segment "${key}"` } };
  return { ok: true, value: s.memberPages as MemberPagesIndex | undefined };
}

function checkRule(rule: unknown): StoreError | null {
  const compiled = compileRule(rule, { now: new Date() });
  return compiled.ok
    ? null
    : {
        type: 'invalid_rule',
        message: `rule.${compiled.error.path.join('.')}: ${compiled.error.message}`,
        error: compiled.error,
      };
}

export interface SegmentInput {
  key: string;
  name: string;
  description?: string | undefined;
  rule: unknown;
  active?: boolean | undefined;
}

/** A custom segment; members appear at the next assign-segments run. */
export async function createSegment(database: Database, input: SegmentInput): Promise<StoreResult<SegmentSummary>> {
  const bad = checkRule(input.rule);
  if (bad) return { ok: false, error: bad };
  const now = new Date();
  const doc = {
    _id: input.key,
    name: input.name,
    description: input.description ?? null,
    kind: 'custom',
    rule: input.rule,
    builtIn: false,
    active: input.active ?? true,
    memberCount: 0,
    warnings: [],
    createdAt: now,
    updatedAt: now,
  };
  try {
    await database.collections.segments.insertOne(doc);
  } catch (err) {
    if (isDuplicateKey(err))
      return {
        ok: false,
        error: {
          type: 'conflict',
          message: `segment "${input.key}" already exists; PUT /v1/segments/${input.key} changes it`,
        },
      };
    throw err;
  }
  return { ok: true, value: summary(doc, []) };
}

async function customOnly(database: Database, key: string): Promise<StoreResult<Document>> {
  const s = await database.collections.segments.findOne({ _id: key }, { projection: { rule: 0 } });
  if (!s) return { ok: false, error: { type: 'not_found', message: `no segment "${key}"` } };
  if (s.builtIn === true)
    return {
      ok: false,
      error: {
        type: 'read_only',
        message: `"${key}" is a built-in segment and cannot be changed or deleted; create a custom segment from its rule instead`,
      },
    };
  return { ok: true, value: s };
}

export async function updateSegment(
  database: Database,
  key: string,
  patch: Partial<Omit<SegmentInput, 'key'>>,
): Promise<StoreResult<SegmentSummary>> {
  const found = await customOnly(database, key);
  if (!found.ok) return found;
  if (patch.rule !== undefined) {
    const bad = checkRule(patch.rule);
    if (bad) return { ok: false, error: bad };
  }
  const set: Document = { updatedAt: new Date() };
  for (const k of ['name', 'description', 'rule', 'active'] as const) if (patch[k] !== undefined) set[k] = patch[k];
  await database.collections.segments.updateOne({ _id: key }, { $set: set });
  const updated = await getSegment(database, key);
  if (!updated.ok) return updated;
  const { rule: _rule, memberPages: _pages, ...rest } = updated.value;
  return { ok: true, value: rest };
}

/**
 * Deletes a custom segment and its member pages. Its members' stays end at the next run (a stay in
 * a segment nobody evaluates ends), which also emits their `segment_exited` events.
 */
export async function deleteSegment(database: Database, key: string): Promise<StoreResult<{ key: string }>> {
  const found = await customOnly(database, key);
  if (!found.ok) return found;
  await database.collections.segments.deleteOne({ _id: key });
  await deletePages(database, pageIdsOf(key, found.value.memberPages as MemberPagesIndex | undefined));
  return { ok: true, value: { key } };
}
