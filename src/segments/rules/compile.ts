import { categoriesInSeason, defaultCalendar, hemispheres, isOccasionActive } from '../calendar.js';
import { eventFieldOf, fieldType } from './fields.js';
import {
  parseRule,
  type Duration,
  type EventCondition,
  type FieldCondition,
  type PropFilter,
  type Rule,
} from './schema.js';
import type {
  CompileContext,
  CompiledSegment,
  EventQuery,
  MongoFilter,
  Profile,
  QuantileCutoffs,
  QuantileSpec,
  RuleResult,
} from './types.js';

/**
 * Rule → predicate tree → (MongoDB filter | in-memory test). Both outputs come from the same tree,
 * whose comparisons follow MongoDB's rules (null and missing fail ordered comparisons, `ne`/`nin`
 * match them, an array matches when an element does), so the two agree by construction.
 */

type CmpOp = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'nin' | 'exists' | 'missing';
type Scalar = string | number | boolean | Date;
type Pred =
  | { k: 'and' | 'or'; c: Pred[] }
  | { k: 'not'; c: Pred }
  | { k: 'cmp'; path: string; op: CmpOp; value?: Scalar; values?: Scalar[] }
  | { k: 'quantile'; path: string; id: string; side: 'top' | 'bottom' }
  | { k: 'const'; value: boolean };

const HOUR = 3_600_000;
const TRUE: Pred = { k: 'const', value: true };
const FALSE: Pred = { k: 'const', value: false };
/** A filter no document matches, for conditions that cannot hold (out of season, empty cut-off). */
const NEVER: MongoFilter = { _id: { $in: [] } };

const ms = (d: Duration) => ((d.days ?? 0) * 24 + (d.hours ?? 0)) * HOUR;

/** Validates untrusted input (see parseRule) and compiles it for the instant `ctx.now`. */
export function compileRule(input: unknown, ctx: CompileContext): RuleResult<CompiledSegment> {
  const parsed = parseRule(input);
  if (!parsed.ok) return parsed;
  const builder = new Builder(ctx);
  const pred = builder.build(parsed.value);
  return { ok: true, value: new Compiled(pred, builder.eventQueries, builder.quantiles, [...builder.fields]) };
}

class Builder {
  readonly eventQueries: EventQuery[] = [];
  readonly quantiles: QuantileSpec[] = [];
  readonly fields = new Set<string>();
  private readonly now: number;

  constructor(private readonly ctx: CompileContext) {
    this.now = ctx.now.getTime();
  }

  build(rule: Rule): Pred {
    if ('all' in rule) return { k: 'and', c: rule.all.map((r) => this.build(r)) };
    if ('any' in rule) return { k: 'or', c: rule.any.map((r) => this.build(r)) };
    if ('not' in rule) return { k: 'not', c: this.build(rule.not) };
    if ('field' in rule) return this.field(rule);
    if ('event' in rule) return this.event(rule);
    if ('quantile' in rule) {
      const { field, top, bottom } = rule.quantile;
      const spec: QuantileSpec = {
        id: `q${this.quantiles.length}`,
        field,
        side: top !== undefined ? 'top' : 'bottom',
        fraction: (top ?? bottom)!,
      };
      this.quantiles.push(spec);
      this.fields.add(field);
      return { k: 'quantile', path: field, id: spec.id, side: spec.side };
    }
    const calendar = this.ctx.calendar ?? defaultCalendar;
    this.fields.add('customer.hemisphere');
    if ('season' in rule) {
      const active = hemispheres.filter((h) => isOccasionActive(rule.season, this.ctx.now, h, calendar));
      return active.length === hemispheres.length
        ? TRUE
        : active.length === 0
          ? FALSE
          : { k: 'cmp', path: 'customer.hemisphere', op: 'in', values: active };
    }
    const path = rule.categoryInSeason;
    this.fields.add(path);
    return {
      k: 'or',
      c: hemispheres.map((h): Pred => {
        const cats = categoriesInSeason(this.ctx.now, h, calendar);
        if (cats.length === 0) return FALSE;
        return {
          k: 'and',
          c: [
            { k: 'cmp', path: 'customer.hemisphere', op: 'eq', value: h },
            { k: 'cmp', path, op: 'in', values: cats },
          ],
        };
      }),
    };
  }

  private field(c: FieldCondition): Pred {
    if (c.field.startsWith('weather.')) return this.weather(c);
    this.fields.add(c.field);
    const isDate = fieldType(c.field) === 'date';
    const val = (v: string | number | boolean): Scalar => (isDate ? new Date(v as string) : v);
    const at = (offset: number) => new Date(this.now + offset);
    const cmp = (op: CmpOp, value?: Scalar): Pred => ({
      k: 'cmp',
      path: c.field,
      op,
      ...(value === undefined ? {} : { value }),
    });
    switch (c.op) {
      case 'between':
        return { k: 'and', c: [cmp('gte', val(c.min)), cmp('lte', val(c.max))] };
      case 'in':
      case 'nin':
        return { k: 'cmp', path: c.field, op: c.op, values: c.values.map(val) };
      case 'exists':
      case 'missing':
        return cmp(c.op);
      case 'withinLast':
        return { k: 'and', c: [cmp('gte', at(-ms(c))), cmp('lte', at(0))] };
      case 'moreThanAgo':
        return cmp('lt', at(-ms(c)));
      case 'withinNext':
        return { k: 'and', c: [cmp('gte', at(0)), cmp('lte', at(ms(c)))] };
      default:
        return cmp(c.op, val(c.value));
    }
  }

  /**
   * `weather.*` is the weather of the customer's region at `now`, the same for everyone there: the
   * condition is decided per region here, like a season per hemisphere, and becomes "the
   * customer's region is one of these". A customer whose region the table lacks matches none.
   */
  private weather(c: FieldCondition): Pred {
    const { field, ...rest } = c;
    const inner = this.field({ ...rest, field: `regionWeather.${field.slice('weather.'.length)}` } as FieldCondition);
    this.fields.delete(`regionWeather.${field.slice('weather.'.length)}`);
    const regions = [...(this.ctx.weather ?? [])]
      .filter(([, regionWeather]) => evaluate(inner, { regionWeather } as unknown as Profile, {}))
      .map(([region]) => region);
    this.fields.add('features.weatherRegion');
    return regions.length ? { k: 'cmp', path: 'features.weatherRegion', op: 'in', values: regions } : FALSE;
  }

  private event(c: EventCondition): Pred {
    const e = c.event;
    const id = `e${this.eventQueries.length}`;
    const path = `events.${id}`;
    this.fields.add(path);
    const query: EventQuery = { id, filter: {} };
    let since: Date | null = null;
    if (e.since) {
      const from = e.since.within ? new Date(this.now - ms(e.since.within)) : null;
      const to = e.since.olderThan ? new Date(this.now - ms(e.since.olderThan)) : null;
      // An anchor before `from` can never be the last one inside the window, so neither its events
      // nor the counted events before it need reading.
      query.anchor = { filter: selectorFilter(e.since.type, e.since.where, from, this.ctx.now), from, to };
      since = from;
    }
    const from = maxDate(e.within ? new Date(this.now - ms(e.within)) : null, since);
    // Events after `now` do not exist yet as far as the rule is concerned (as-of evaluation).
    query.filter = selectorFilter(
      e.type,
      e.where,
      from,
      e.olderThan ? new Date(this.now - ms(e.olderThan)) : this.ctx.now,
    );
    if (e.localTime)
      query.localTime = {
        fromHour: e.localTime.fromHour,
        toHour: e.localTime.toHour,
        weekdays: e.localTime.weekdays ?? [0, 1, 2, 3, 4, 5, 6],
      };
    this.eventQueries.push(query);
    const count = e.count ?? { gte: 1 };
    const preds: Pred[] = [];
    if (count.gte !== undefined) preds.push({ k: 'cmp', path, op: 'gte', value: count.gte });
    if (count.lte !== undefined) preds.push({ k: 'cmp', path, op: 'lte', value: count.lte });
    return preds.length === 1 ? preds[0]! : { k: 'and', c: preds };
  }
}

const maxDate = (a: Date | null, b: Date | null) => (a && b ? (a > b ? a : b) : (a ?? b));

/** An events-collection filter from whitelisted parts only (fields mapped through eventFieldOf). */
function selectorFilter(
  type: Parameters<typeof eventFieldOf>[0],
  where: PropFilter[] | undefined,
  from: Date | null,
  to: Date | null,
): MongoFilter {
  const filter: MongoFilter = { type };
  if (from || to) filter.ts = { ...(from ? { $gte: from } : {}), ...(to ? { $lt: to } : {}) };
  const parts = (where ?? []).map((f) => {
    const path = eventFieldOf(type, f.field)!.path;
    return cmpFilter({
      k: 'cmp',
      path,
      op: f.op,
      ...('value' in f ? { value: f.value } : {}),
      ...('values' in f ? { values: f.values } : {}),
    });
  });
  if (parts.length > 0) filter.$and = parts;
  return filter;
}

function cmpFilter(p: Extract<Pred, { k: 'cmp' }>): MongoFilter {
  switch (p.op) {
    case 'eq':
      return { [p.path]: p.value };
    case 'exists':
      return { [p.path]: { $ne: null } };
    case 'missing':
      return { [p.path]: null };
    case 'in':
    case 'nin':
      return { [p.path]: { [`$${p.op}`]: p.values } };
    default:
      return { [p.path]: { [`$${p.op}`]: p.value } };
  }
}

function toFilter(p: Pred, cutoffs: QuantileCutoffs): MongoFilter | boolean {
  switch (p.k) {
    case 'const':
      return p.value;
    case 'cmp':
      return cmpFilter(p);
    case 'quantile': {
      const cut = cutoffOrThrow(cutoffs, p.id);
      return cut === null ? false : { [p.path]: { [p.side === 'top' ? '$gte' : '$lte']: cut } };
    }
    case 'not': {
      const inner = toFilter(p.c, cutoffs);
      return typeof inner === 'boolean' ? !inner : { $nor: [inner] };
    }
    default: {
      const parts: MongoFilter[] = [];
      for (const child of p.c) {
        const f = toFilter(child, cutoffs);
        if (f === (p.k === 'or')) return f; // true in an `or`, false in an `and`, decides it
        if (typeof f !== 'boolean') parts.push(f);
      }
      if (parts.length === 0) return p.k === 'and';
      return parts.length === 1 ? parts[0]! : { [`$${p.k}`]: parts };
    }
  }
}

function cutoffOrThrow(cutoffs: QuantileCutoffs, id: string): number | null {
  const cut = cutoffs[id];
  if (cut === undefined) throw new Error(`quantile ${id}: cut-off not computed (see quantileCutoffs)`);
  return cut;
}

/** A value by whitelisted path, never through the prototype chain. */
export function valueAt(doc: object, path: string): unknown {
  return walk(doc, path.split('.'), 0);
}

/** A path through an array of documents gives the array of their values, as in MongoDB (`props.items.category`). */
function walk(v: unknown, keys: string[], i: number): unknown {
  if (i === keys.length) return v;
  if (Array.isArray(v)) return v.map((e) => walk(e, keys, i)).filter((e) => e !== undefined);
  const key = keys[i]!;
  if (v === null || typeof v !== 'object' || !Object.hasOwn(v, key)) return undefined;
  return walk((v as Record<string, unknown>)[key], keys, i + 1);
}

const comparable = (v: unknown): number | undefined =>
  typeof v === 'number' ? v : v instanceof Date ? v.getTime() : undefined;

function same(v: unknown, x: Scalar): boolean {
  if (x instanceof Date) return v instanceof Date && v.getTime() === x.getTime();
  return v === x;
}

/** One value against one operator, with MongoDB's semantics for the scalar case. */
function test(v: unknown, op: CmpOp, value: Scalar | undefined, values: Scalar[] | undefined): boolean {
  switch (op) {
    case 'exists':
      return v !== null && v !== undefined;
    case 'missing':
      return v === null || v === undefined;
    case 'eq':
      return Array.isArray(v) ? v.some((e) => same(e, value!)) : same(v, value!);
    case 'ne':
      return !test(v, 'eq', value, undefined);
    case 'in':
      return values!.some((x) => test(v, 'eq', x, undefined));
    case 'nin':
      return !test(v, 'in', undefined, values);
    default: {
      if (Array.isArray(v)) return v.some((e) => test(e, op, value, values));
      const a = comparable(v);
      const b = comparable(value);
      // Ordered comparisons only hold within a type: numbers with numbers, dates with dates.
      if (a === undefined || b === undefined || (typeof v === 'number') !== (typeof value === 'number')) return false;
      return op === 'gt' ? a > b : op === 'gte' ? a >= b : op === 'lt' ? a < b : a <= b;
    }
  }
}

/**
 * Whether a document passes a filter this compiler generated (events-collection filters): the
 * in-memory twin of the server's matching, for the operators `cmpFilter` and `selectorFilter` emit.
 */
export function matchesFilter(doc: unknown, filter: MongoFilter): boolean {
  for (const [key, cond] of Object.entries(filter)) {
    if (key === '$and') {
      if (!(cond as MongoFilter[]).every((f) => matchesFilter(doc, f))) return false;
    } else if (key === '$or') {
      if (!(cond as MongoFilter[]).some((f) => matchesFilter(doc, f))) return false;
    } else if (key === '$nor') {
      if ((cond as MongoFilter[]).some((f) => matchesFilter(doc, f))) return false;
    } else {
      const v = valueAt(doc as object, key);
      if (cond === null) {
        if (!test(v, 'missing', undefined, undefined)) return false;
      } else if (typeof cond === 'object' && !(cond instanceof Date)) {
        for (const [op, arg] of Object.entries(cond as Record<string, unknown>)) {
          const name = op.slice(1) as CmpOp;
          const ok =
            arg === null && name === 'ne'
              ? test(v, 'exists', undefined, undefined)
              : Array.isArray(arg)
                ? test(v, name, undefined, arg as Scalar[])
                : test(v, name, arg as Scalar, undefined);
          if (!ok) return false;
        }
      } else if (!test(v, 'eq', cond as Scalar, undefined)) return false;
    }
  }
  return true;
}

function evaluate(p: Pred, profile: Profile, cutoffs: QuantileCutoffs): boolean {
  switch (p.k) {
    case 'const':
      return p.value;
    case 'and':
      return p.c.every((c) => evaluate(c, profile, cutoffs));
    case 'or':
      return p.c.some((c) => evaluate(c, profile, cutoffs));
    case 'not':
      return !evaluate(p.c, profile, cutoffs);
    case 'cmp':
      return test(valueAt(profile, p.path), p.op, p.value, p.values);
    case 'quantile': {
      const cut = cutoffOrThrow(cutoffs, p.id);
      return cut !== null && test(valueAt(profile, p.path), p.side === 'top' ? 'gte' : 'lte', cut, undefined);
    }
  }
}

class Compiled implements CompiledSegment {
  constructor(
    private readonly pred: Pred,
    readonly eventQueries: readonly EventQuery[],
    readonly quantiles: readonly QuantileSpec[],
    readonly fields: readonly string[],
  ) {}

  filter(cutoffs: QuantileCutoffs = {}): MongoFilter {
    const f = toFilter(this.pred, cutoffs);
    return f === true ? {} : f === false ? NEVER : f;
  }

  matches(profile: Profile, cutoffs: QuantileCutoffs = {}): boolean {
    return evaluate(this.pred, profile, cutoffs);
  }
}
