import { z } from 'zod';
import { findUnstorable, type EventType } from '../../ingest/eventSchemas.js';
import { occasions } from '../calendar.js';
import { eventEnums, eventFieldNames, eventFieldOf, fieldType, knownEventTypes, type FieldType } from './fields.js';
import type { RuleError, RulePath, RuleResult } from './types.js';

/**
 * The rule language. Each node is exactly one of: `{all: [...]}`, `{any: [...]}`, `{not: rule}`,
 * a field condition, an event condition, a quantile, a season, or a category-in-season condition.
 * Parsing dispatches on the node's key so an error names the exact path (`any.1.event.where.0.value`)
 * instead of "no union member matched".
 */

const MAX_DEPTH = 8;
const MAX_NODES = 200;

const scalar = z.union([z.string().max(200), z.number().finite(), z.boolean()]);
const amount = (max: number) => z.number().finite().min(0).max(max);
const durationShape = { days: amount(3650).optional(), hours: amount(87_600).optional() };
const duration = z
  .strictObject(durationShape)
  .refine((d) => d.days !== undefined || d.hours !== undefined, 'give days and/or hours');
export type Duration = z.infer<typeof duration>;

const field = z.string().min(3).max(120);
const fieldCondition = z.discriminatedUnion('op', [
  z.strictObject({ field, op: z.enum(['eq', 'ne', 'gt', 'gte', 'lt', 'lte']), value: scalar }),
  z.strictObject({
    field,
    op: z.literal('between'),
    min: z.union([z.number().finite(), z.string().max(40)]),
    max: z.union([z.number().finite(), z.string().max(40)]),
  }),
  z.strictObject({ field, op: z.enum(['in', 'nin']), values: z.array(scalar).min(1).max(500) }),
  z.strictObject({ field, op: z.enum(['exists', 'missing']) }),
  z
    .strictObject({ field, op: z.enum(['withinLast', 'moreThanAgo', 'withinNext']), ...durationShape })
    .refine((d) => d.days !== undefined || d.hours !== undefined, 'give days and/or hours'),
]);
export type FieldCondition = z.infer<typeof fieldCondition>;

const propFilter = z.discriminatedUnion('op', [
  z.strictObject({ field: z.string().max(60), op: z.enum(['eq', 'ne', 'gt', 'gte', 'lt', 'lte']), value: scalar }),
  z.strictObject({ field: z.string().max(60), op: z.enum(['in', 'nin']), values: z.array(scalar).min(1).max(500) }),
  z.strictObject({ field: z.string().max(60), op: z.enum(['exists', 'missing']) }),
]);
export type PropFilter = z.infer<typeof propFilter>;

const eventType = z.enum(knownEventTypes as [EventType, ...EventType[]]);
const eventSelector = {
  type: eventType,
  where: z.array(propFilter).max(20).optional(),
  within: duration.optional(),
  olderThan: duration.optional(),
};
const hour = z.number().int().min(0).max(24);
const eventCondition = z.strictObject({
  event: z.strictObject({
    ...eventSelector,
    /** Local time of day [fromHour, toHour) and weekdays (0 Sunday … 6 Saturday) in the customer's timezone. */
    localTime: z
      .strictObject({
        fromHour: hour,
        toHour: hour,
        weekdays: z.array(z.number().int().min(0).max(6)).min(1).max(7).optional(),
      })
      .optional(),
    /** Count only events after the customer's last event of this kind (which must lie in its window). */
    since: z.strictObject(eventSelector).optional(),
    count: z
      .strictObject({
        gte: z.number().int().min(0).max(1e6).optional(),
        lte: z.number().int().min(0).max(1e6).optional(),
      })
      .optional(),
  }),
});
export type EventCondition = z.infer<typeof eventCondition>;

const fraction = z.number().gt(0).max(1);
const quantileCondition = z.strictObject({
  quantile: z
    .strictObject({ field, top: fraction.optional(), bottom: fraction.optional() })
    .refine((q) => (q.top === undefined) !== (q.bottom === undefined), 'give exactly one of top or bottom'),
});
export type QuantileCondition = z.infer<typeof quantileCondition>;

const seasonCondition = z.strictObject({ season: z.enum(occasions) });
export type SeasonCondition = z.infer<typeof seasonCondition>;

const categoryInSeasonCondition = z.strictObject({ categoryInSeason: field });
export type CategoryInSeasonCondition = z.infer<typeof categoryInSeasonCondition>;

export type Rule =
  | { all: Rule[] }
  | { any: Rule[] }
  | { not: Rule }
  | FieldCondition
  | EventCondition
  | QuantileCondition
  | SeasonCondition
  | CategoryInSeasonCondition;

type Fail = { ok: false; error: RuleError };
const fail = (path: RulePath, message: string): Fail => ({ ok: false, error: { type: 'invalid_rule', path, message } });

function zodFail(error: z.ZodError, path: RulePath): Fail {
  const issue = error.issues[0]!;
  return fail([...path, ...(issue.path as (string | number)[])], issue.message);
}

const leafSchemas = {
  event: eventCondition,
  quantile: quantileCondition,
  season: seasonCondition,
  categoryInSeason: categoryInSeasonCondition,
} as const;
const nodeKeys = ['all', 'any', 'not', 'field', ...Object.keys(leafSchemas)];

/**
 * Checks untrusted input and returns the rule, or the first problem with its path. Unsafe keys
 * (`$where`, `__proto__`, dotted keys) are looked for before anything reads the rule.
 */
export function parseRule(input: unknown): RuleResult<Rule> {
  // The whole rule at once, before any node is read: a rule at its limits nests about 20 levels,
  // well inside what findUnstorable walks (deeper input is refused there).
  const unstorable = findUnstorable(input, []);
  if (unstorable) return fail(unstorable.path, unstorable.reason);
  const counter = { nodes: 0 };
  return parseNode(input, [], 0, counter);
}

function parseNode(raw: unknown, path: RulePath, depth: number, counter: { nodes: number }): RuleResult<Rule> {
  if (depth > MAX_DEPTH) return fail(path, `rules nest at most ${MAX_DEPTH} levels deep`);
  if (++counter.nodes > MAX_NODES) return fail(path, `a rule has at most ${MAX_NODES} conditions`);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return fail(path, 'expected a rule object');
  const keys = Object.keys(raw).filter((k) => nodeKeys.includes(k));
  if (keys.length !== 1) return fail(path, `a rule node has exactly one of: ${nodeKeys.join(', ')}`);
  const key = keys[0]!;
  const node = raw as Record<string, unknown>;

  if (key === 'all' || key === 'any') {
    if (Object.keys(node).length !== 1) return fail(path, `"${key}" stands alone in its object`);
    const list = node[key];
    if (!Array.isArray(list) || list.length === 0) return fail([...path, key], 'expected a non-empty array of rules');
    const rules: Rule[] = [];
    for (let i = 0; i < list.length; i++) {
      const r = parseNode(list[i], [...path, key, i], depth + 1, counter);
      if (!r.ok) return r;
      rules.push(r.value);
    }
    return { ok: true, value: key === 'all' ? { all: rules } : { any: rules } };
  }
  if (key === 'not') {
    if (Object.keys(node).length !== 1) return fail(path, '"not" stands alone in its object');
    const r = parseNode(node.not, [...path, 'not'], depth + 1, counter);
    return r.ok ? { ok: true, value: { not: r.value } } : r;
  }
  if (key === 'field') {
    const parsed = fieldCondition.safeParse(raw);
    if (!parsed.success) return zodFail(parsed.error, path);
    return checkFieldCondition(parsed.data, path);
  }
  const parsed = leafSchemas[key as keyof typeof leafSchemas].safeParse(raw);
  if (!parsed.success) return zodFail(parsed.error, path);
  const value = parsed.data;
  if ('event' in value) return checkEventCondition(value, path);
  if ('quantile' in value) {
    const t = fieldType(value.quantile.field);
    if (t !== 'number')
      return fail(
        [...path, 'quantile', 'field'],
        t ? 'quantiles need a numeric field' : unknownField(value.quantile.field),
      );
  }
  if ('categoryInSeason' in value) {
    const t = fieldType(value.categoryInSeason);
    if (t !== 'string')
      return fail(
        [...path, 'categoryInSeason'],
        t ? 'expected a text field holding a category' : unknownField(value.categoryInSeason),
      );
  }
  return { ok: true, value };
}

const unknownField = (name: string) =>
  `unknown field "${name}": use customer.<field>, customer.traits.<name>, features.<feature> (see the features catalogue; features.weatherLift.<category>), scores.<score> or weather.<coldSnap, tempC, anomalyC, minTempC7d, condition, forecast>`;

/** Which operators each type allows: text has no order, dates compare as ISO strings or relative windows. */
const opsByType: Record<FieldType, readonly string[]> = {
  number: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'nin', 'exists', 'missing'],
  string: ['eq', 'ne', 'in', 'nin', 'exists', 'missing'],
  boolean: ['eq', 'ne', 'exists', 'missing'],
  date: ['gt', 'gte', 'lt', 'lte', 'between', 'exists', 'missing', 'withinLast', 'moreThanAgo', 'withinNext'],
  scalar: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'nin', 'exists', 'missing'],
};

/** Whether a request value fits a field's type; dates are given as ISO 8601 strings. */
function fits(type: FieldType, value: unknown): boolean {
  if (type === 'number') return typeof value === 'number';
  if (type === 'string') return typeof value === 'string';
  if (type === 'boolean') return typeof value === 'boolean';
  if (type === 'date')
    return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(Date.parse(value));
  return true;
}

const expected = (type: FieldType) =>
  type === 'date'
    ? 'an ISO 8601 date'
    : type === 'scalar'
      ? 'a text, number or boolean'
      : `a ${type === 'string' ? 'text' : type}`;

function checkValues(
  type: FieldType,
  c: { op: string } & Record<string, unknown>,
  path: RulePath,
  enumValues?: readonly string[],
): Fail | undefined {
  const checks: [string | number, unknown][] = [];
  if ('value' in c) checks.push(['value', c.value]);
  if ('min' in c) checks.push(['min', c.min], ['max', c.max]);
  if ('values' in c) (c.values as unknown[]).forEach((v, i) => checks.push([i, v]));
  for (const [at, v] of checks) {
    const where = typeof at === 'number' ? [...path, 'values', at] : [...path, at];
    if (!fits(type, v)) return fail(where, `expected ${expected(type)}`);
    if (type === 'scalar' && typeof v !== 'number' && ['gt', 'gte', 'lt', 'lte', 'between'].includes(c.op))
      return fail(where, 'expected a number');
    if (enumValues && !enumValues.includes(v as string)) return fail(where, `expected one of ${enumValues.join(', ')}`);
  }
  return undefined;
}

function checkFieldCondition(c: FieldCondition, path: RulePath): RuleResult<Rule> {
  const type = fieldType(c.field);
  if (!type) return fail([...path, 'field'], unknownField(c.field));
  if (!opsByType[type].includes(c.op))
    return fail(
      [...path, 'op'],
      `"${c.op}" does not apply to ${c.field} (${type}); use one of ${opsByType[type].join(', ')}`,
    );
  const bad = checkValues(type, c, path);
  if (bad) return bad;
  if (
    c.op === 'between' &&
    (type === 'date' ? Date.parse(String(c.min)) > Date.parse(String(c.max)) : Number(c.min) > Number(c.max))
  )
    return fail([...path, 'max'], 'max is below min');
  return { ok: true, value: c };
}

function checkSelector(s: { type: EventType; where?: PropFilter[] | undefined }, path: RulePath): Fail | undefined {
  for (const [i, f] of (s.where ?? []).entries()) {
    const at = [...path, 'where', i];
    const ef = eventFieldOf(s.type, f.field);
    if (!ef)
      return fail(
        [...at, 'field'],
        `unknown field "${f.field}" for ${s.type}: use one of ${eventFieldNames(s.type).join(', ')}`,
      );
    // "No line is X" means different things to MongoDB and FerretDB v1 (measured); `not` says it plainly.
    if (ef.path.startsWith('props.items.') && ['ne', 'nin', 'missing'].includes(f.op))
      return fail([...at, 'op'], `"${f.op}" does not apply to order lines; wrap the event condition in "not" instead`);
    if (ef.type === 'string' || ef.type === 'boolean') {
      if (['gt', 'gte', 'lt', 'lte'].includes(f.op))
        return fail([...at, 'op'], `"${f.op}" does not apply to ${f.field} (${ef.type})`);
    }
    const bad = checkValues(ef.type, f, at, eventEnums[f.field]);
    if (bad) return bad;
  }
  return undefined;
}

function checkEventCondition(c: EventCondition, path: RulePath): RuleResult<Rule> {
  const at = [...path, 'event'];
  const bad =
    checkSelector(c.event, at) ?? (c.event.since ? checkSelector(c.event.since, [...at, 'since']) : undefined);
  if (bad) return bad;
  const { count, localTime } = c.event;
  if (count && count.gte === undefined && count.lte === undefined) return fail([...at, 'count'], 'give gte and/or lte');
  if (count?.gte !== undefined && count.lte !== undefined && count.gte > count.lte)
    return fail([...at, 'count'], 'gte is above lte');
  if (localTime && localTime.fromHour >= localTime.toHour)
    return fail([...at, 'localTime', 'toHour'], 'toHour must be after fromHour');
  return { ok: true, value: c };
}

/**
 * The zod face of the rule language, for request bodies: it runs parseRule, so a bad rule answers
 * 400 with the failing path (`rule.any.0.field`), and gives the `Rule` type.
 */
export const ruleSchema = z
  .unknown()
  .transform((input, ctx): Rule => {
    const r = parseRule(input);
    if (r.ok) return r.value;
    ctx.addIssue({ code: 'custom', message: r.error.message, path: r.error.path, input });
    return z.NEVER;
  })
  .meta({
    description:
      'A segment rule: all/any/not over field, event, quantile and season conditions (see docs/segments.md, "Rules")',
  });
