/**
 * The segment rule interface — what the membership job, the segments API and the benchmark build on.
 *
 * A rule (`Rule`, validated by `ruleSchema` in ./schema.ts) is JSON: `all` / `any` / `not` over
 * conditions on one customer's *profile*:
 *
 *   Profile = { _id, customer: {…customer document, hemisphere}, features: {…feature values},
 *               scores: {…latest scores}, events: {…resolved event facts} }
 *
 * `compileRule(input, { now })` checks the raw input (unsafe keys, zod shape, every field against
 * the customer/feature/score whitelists, every value against the field's type) and returns
 * `{ ok: true, value: CompiledSegment }` or `{ ok: false, error: RuleError }` naming the path.
 * A CompiledSegment is evaluated in three steps:
 *
 *   1. `eventQueries`: per-customer facts from the customer's events ("did product_viewed with
 *      category = shoes ≥ 2 times in 7 days", "no order_completed since the last cart add").
 *      `resolveEventFacts(database, queries, scope)` answers them from the customer timelines as
 *      `Map<customerId, {[id]: number | null}>`; put each customer's record in `profile.events`. A customer absent from the map has no such
 *      events: `buildProfile` fills counts with 0 and anchored facts with null.
 *   2. `quantiles`: "top 20% by scores.predictedLtv" needs the population's cut-off first:
 *      `quantileCutoffs(compiled, profiles)` (or `cutoffOf(spec, values)` when values are streamed).
 *   3. `matches(profile, cutoffs)` in memory, or `filter(cutoffs)` — a MongoDB filter over
 *      profile-shaped documents (paths `customer.x`, `features.x`, `scores.x`, `events.eN`). Both
 *      have the same semantics (a test inserts profiles and compares). The filter is built only from
 *      whitelisted paths and operators; request values are type-checked scalars, never objects.
 *
 * Time is fixed at compile time (`ctx.now`): relative windows become absolute dates, and seasonal
 * conditions become hemisphere conditions for the season in force at `now`.
 */

/** Where in the request (rule) a problem is: `['all', 2, 'value']`. */
export type RulePath = (string | number)[];

export interface RuleError {
  type: 'invalid_rule';
  path: RulePath;
  message: string;
}

export type RuleResult<T> = { ok: true; value: T } | { ok: false; error: RuleError };

export type ProfileValue = string | number | boolean | Date | null | undefined;

/** One customer, as rules see it. Built by `buildProfile` from the stored documents. */
export interface Profile {
  _id: string;
  /** Customer document fields plus `hemisphere` ('north' | 'south', from the timezone). */
  customer: Record<string, unknown>;
  features: Record<string, ProfileValue>;
  scores: Record<string, ProfileValue>;
  /** Resolved event facts by `EventQuery.id`. */
  events: Record<string, number | null>;
}

/** A MongoDB filter over profile-shaped documents (or over stored events, as `matchesFilter` applies it). */
export type MongoFilter = Record<string, unknown>;

/**
 * A per-customer fact read from the customer's events. `filter` selects events (type, ts window,
 * `props.*`, channel, device) and never the customer: the resolver reads the scope's timelines
 * (partition / customer ids). The fact is
 *   - without `anchor`: the number of matching events;
 *   - with `anchor`: the number of matching events after the customer's last anchor event, or null
 *     when the customer has no anchor event or the last one lies outside [anchor.from, anchor.to).
 * `localTime` keeps only events at those local hours / weekdays (customer timezone; applied in Node,
 * as neither server has time-zone-aware date operators on FerretDB).
 */
export interface EventQuery {
  id: string;
  filter: MongoFilter;
  localTime?: { fromHour: number; toHour: number; weekdays: number[] };
  anchor?: { filter: MongoFilter; from: Date | null; to: Date | null };
}

/** "top 20% by scores.predictedLtv": `side: 'top', fraction: 0.2`. Nulls are never members. */
export interface QuantileSpec {
  id: string;
  field: string;
  side: 'top' | 'bottom';
  fraction: number;
}

/** Cut-off value per `QuantileSpec.id`; null when the population has no value (nobody matches). */
export type QuantileCutoffs = Record<string, number | null>;

export interface CompiledSegment {
  /** Profile paths the rule reads (e.g. for a projection). */
  readonly fields: readonly string[];
  readonly eventQueries: readonly EventQuery[];
  readonly quantiles: readonly QuantileSpec[];
  /** Throws if a quantile's cut-off is missing from `cutoffs` (a caller bug, not bad input). */
  filter(cutoffs?: QuantileCutoffs): MongoFilter;
  matches(profile: Profile, cutoffs?: QuantileCutoffs): boolean;
}

export interface CompileContext {
  now: Date;
  /** Season calendar; the default is northern meteorological seasons + holiday 15 Nov–31 Dec. */
  calendar?: import('../calendar.js').SeasonCalendar;
  /** Each region's weather at `now` (`weather.*` conditions); none: no region qualifies. */
  weather?: ReadonlyMap<string, import('../../weather/weatherTable.js').RegionWeather>;
}
