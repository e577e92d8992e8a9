import type { Database } from '../../db/database.js';
import { forEachProfilePartition, type ScanMode, type StoredProfile } from '../profiles.js';
import {
  buildProfile,
  compileRule,
  populationCutoffs,
  quantileCutoffs,
  resolveEventFacts,
  type CompiledSegment,
  type CompileContext,
  type EventFacts,
  type EventQuery,
  type Profile,
  type QuantileCutoffs,
  type QuantileSpec,
  type RuleError,
} from '../rules/index.js';

/** A segment to evaluate: its key and stored rule. */
export interface SegmentRule {
  id: string;
  rule: unknown;
}

export interface PreparedSegment {
  id: string;
  compiled: CompiledSegment;
  cutoffs: QuantileCutoffs;
  /** This segment's event query id → the id in the shared query list. */
  eventIds: [own: string, shared: string][];
}

/** What a partition's evaluation hands on: each profile with the segments it matches. */
export interface EvaluatedProfile {
  stored: StoredProfile;
  profile: Profile;
  matched: Set<string>;
  /** Event facts by shared query id (see PreparedSegment.eventIds). */
  facts: Record<string, number | null> | undefined;
}

export interface EvaluateOptions {
  asOf: Date;
  partitions: number[];
  /** Whether `partitions` is every partition (quantile cut-offs are then taken from the profiles loaded). */
  everyPartition: boolean;
  scan: ScanMode;
  signal?: AbortSignal;
  /** Population cut-offs wanted besides the segments' own (e.g. the lifecycle's top-LTV tier), by spec id. */
  extraQuantiles?: readonly QuantileSpec[];
}

/**
 * Compiles each segment for `asOf`. A stored rule that no longer compiles (the rule language or
 * the feature set changed under it) is reported, not fatal: the other segments still run.
 */
export function compileSegments(
  segments: SegmentRule[],
  asOf: Date,
  weather?: CompileContext['weather'],
): { compiled: { id: string; compiled: CompiledSegment }[]; invalid: { id: string; error: RuleError }[] } {
  const compiled: { id: string; compiled: CompiledSegment }[] = [];
  const invalid: { id: string; error: RuleError }[] = [];
  for (const s of segments) {
    const result = compileRule(s.rule, { now: asOf, weather });
    if (result.ok) compiled.push({ id: s.id, compiled: result.value });
    else invalid.push({ id: s.id, error: result.error });
  }
  return { compiled, invalid };
}

/**
 * Event queries of every segment as one list, identical queries merged: rules compile their
 * queries as e0, e1… each, so ids are renamed (`f<n>`) and each segment keeps its mapping.
 */
export function shareEventQueries(segments: { id: string; compiled: CompiledSegment }[]): {
  queries: EventQuery[];
  mapping: Map<string, [string, string][]>;
} {
  const queries: EventQuery[] = [];
  const byShape = new Map<string, string>();
  const mapping = new Map<string, [string, string][]>();
  for (const s of segments) {
    const own: [string, string][] = [];
    for (const q of s.compiled.eventQueries) {
      const { id, ...shape } = q;
      const key = JSON.stringify(shape);
      let shared = byShape.get(key);
      if (!shared) {
        shared = `f${queries.length}`;
        byShape.set(key, shared);
        queries.push({ ...shape, id: shared });
      }
      own.push([id, shared]);
    }
    mapping.set(s.id, own);
  }
  return { queries, mapping };
}

/**
 * Evaluates segments over the profiles of `partitions`, calling `visit` per partition with every
 * customer and the segments they match. Order of work: event facts (all queries at once, for all
 * partitions in collection mode), quantile cut-offs over the whole population, then matching in
 * memory (`CompiledSegment.matches`, the same semantics as its MongoDB filter).
 */
export async function evaluateSegments(
  database: Database,
  segments: { id: string; compiled: CompiledSegment }[],
  opts: EvaluateOptions,
  visit: (partition: number, profiles: EvaluatedProfile[], extraCutoffs: QuantileCutoffs) => Promise<void>,
): Promise<{ segments: PreparedSegment[] }> {
  const { collections } = database;
  const { queries, mapping } = shareEventQueries(segments);
  const prepared: PreparedSegment[] = segments.map((s) => ({ ...s, cutoffs: {}, eventIds: mapping.get(s.id)! }));
  const extra = {
    id: '',
    compiled: { quantiles: opts.extraQuantiles ?? [] } as Pick<CompiledSegment, 'quantiles'>,
    cutoffs: {} as QuantileCutoffs,
  };
  const withQuantiles = [...prepared, extra].filter((s) => s.compiled.quantiles.length > 0);
  // Quantiles rank the whole population: from the loaded profiles when they are all loaded, else streamed.
  if (!(opts.scan === 'collection' && opts.everyPartition)) {
    for (const s of withQuantiles) s.cutoffs = await populationCutoffs(collections, s.compiled);
  }
  let facts: EventFacts | null = null;
  // One resolution for the whole shop where it is read as a whole; else per partition, below.
  if (opts.scan === 'collection' && opts.everyPartition && queries.length > 0)
    facts = await resolveEventFacts(database, queries, {});

  await forEachProfilePartition(
    database,
    {
      partitions: opts.partitions,
      scan: opts.scan,
      signal: opts.signal,
      prepare:
        opts.scan === 'collection' && opts.everyPartition && withQuantiles.length > 0
          ? (all) => {
              const profiles = all.map((p) => buildProfile(p));
              for (const s of withQuantiles) s.cutoffs = quantileCutoffs(s.compiled, profiles);
            }
          : undefined,
    },
    async (partition, stored) => {
      // By the partition's customer ids: read by `_id`, where a partition filter scans every timeline on FerretDB.
      const customerIds = stored.map((s) => String(s.customer._id));
      const partitionFacts =
        facts ??
        (queries.length > 0 && customerIds.length > 0
          ? await resolveEventFacts(database, queries, { customerIds })
          : new Map());
      const out: EvaluatedProfile[] = [];
      for (const s of stored) {
        const shared = partitionFacts.get(String(s.customer._id));
        const profile = buildProfile(s);
        const matched = new Set<string>();
        for (const seg of prepared) {
          const events: Record<string, number | null> = {};
          for (const [own, id] of seg.eventIds) {
            const q = queries[Number(id.slice(1))]!;
            events[own] = shared?.[id] ?? (q.anchor ? null : 0);
          }
          profile.events = events;
          if (seg.compiled.matches(profile, seg.cutoffs)) matched.add(seg.id);
        }
        profile.events = {};
        out.push({ stored: s, profile, matched, facts: shared });
      }
      await visit(partition, out, extra.cutoffs);
    },
  );
  return { segments: prepared };
}
