import { isUtf8 } from 'node:buffer';
import { z } from 'zod';
import { findUnstorable, unsafeKey } from './eventSchemas.js';
import { duplicateJsonKeys } from './duplicateJsonKeys.js';
import {
  GA4_LIMITS,
  longParamValues,
  namePattern,
  reservedEventNames,
  reservedParamNames,
  reservedPrefixes,
  reservedUserPropertyNames,
  type ValidationCode,
  type ValidationMessage,
} from './ga4Rules.js';

/**
 * A Measurement Protocol request body (web streams: `client_id`; app streams' `app_instance_id`
 * is not taken). Keys GA4 reads but we do not (`user_location`, `ip_override`, `user_data`, …)
 * are allowed and ignored. Parameter values are checked by `ga4RuleMessages`, which answers in
 * GA4's codes; this schema checks the envelope's types.
 */
const micros = z.union([z.number().int().min(0), z.string().regex(/^\d{1,17}$/)]).transform(Number);
const ga4EventSchema = z.looseObject({
  name: z.string(),
  params: z.record(z.string(), z.unknown()).optional(),
  timestamp_micros: micros.optional(),
});
export const ga4PayloadSchema = z.looseObject({
  client_id: z.string().min(1).max(GA4_LIMITS.userIdLength),
  user_id: z.string().min(1).max(GA4_LIMITS.userIdLength).optional(),
  timestamp_micros: micros.optional(),
  user_properties: z.record(z.string(), z.looseObject({ value: z.unknown() })).optional(),
  consent: z
    .looseObject({
      ad_user_data: z.enum(['GRANTED', 'DENIED']).optional(),
      ad_personalization: z.enum(['GRANTED', 'DENIED']).optional(),
    })
    .optional(),
  non_personalized_ads: z.boolean().optional(),
  device: z.looseObject({ category: z.string().max(100).optional() }).optional(),
  events: z.array(ga4EventSchema).min(1),
});
export type Ga4Payload = z.output<typeof ga4PayloadSchema>;
export type Ga4Event = z.output<typeof ga4EventSchema>;

/** `events[0].params.items[2]`: the path style GA4's messages use. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

const message = (path: readonly PropertyKey[], validationCode: ValidationCode, description: string) => ({
  fieldPath: fieldPath(path),
  description,
  validationCode,
});

function codeOf(issue: z.core.$ZodIssue): ValidationCode {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'VALUE_REQUIRED' : 'VALUE_INVALID';
    case 'too_small':
      return issue.origin === 'array' ? 'VALUE_REQUIRED' : 'VALUE_INVALID';
    case 'too_big':
      return 'VALUE_OUT_OF_BOUNDS';
    default:
      return 'VALUE_INVALID';
  }
}

/** Why a name breaks GA4's naming rules, or undefined when it does not. */
function nameProblem(
  name: string,
  maxLength: number,
  reserved: ReadonlySet<string>,
): { code: ValidationCode; why: string } | undefined {
  if (reservedPrefixes.some((p) => name.startsWith(p)) || reserved.has(name))
    return {
      code: 'NAME_RESERVED',
      why: `is reserved (GA4 reserves ${reservedPrefixes.join(', ')} and its own names)`,
    };
  if (name.length > maxLength) return { code: 'NAME_INVALID', why: `is longer than ${maxLength} characters` };
  if (!namePattern.test(name))
    return { code: 'NAME_INVALID', why: 'must start with a letter and hold only letters, digits and underscores' };
  return undefined;
}

function timestampMessages(path: PropertyKey[], micros: number | undefined, now: number): ValidationMessage[] {
  if (micros === undefined) return [];
  const ms = micros / 1000;
  if (ms < now - GA4_LIMITS.backdateMs)
    return [message(path, 'VALUE_OUT_OF_BOUNDS', 'is more than 72 hours in the past: GA4 does not take such events')];
  if (ms > now + 86_400_000) return [message(path, 'VALUE_OUT_OF_BOUNDS', 'is more than a day in the future')];
  return [];
}

/** A scalar parameter value's problem: GA4 takes strings (≤100 characters, a few longer) and numbers. */
function valueMessages(path: PropertyKey[], name: string, value: unknown): ValidationMessage[] {
  if (typeof value === 'number')
    return Number.isFinite(value) ? [] : [message(path, 'VALUE_INVALID', 'is not a finite number')];
  if (typeof value === 'boolean') return [];
  if (typeof value !== 'string')
    return [message(path, 'VALUE_INVALID', 'must be a string or a number (only `items` holds a list)')];
  const max = longParamValues[name] ?? GA4_LIMITS.paramValueLength;
  return value.length > max
    ? [message(path, 'VALUE_OUT_OF_BOUNDS', `is ${value.length} characters long; at most ${max}`)]
    : [];
}

function itemsMessages(path: PropertyKey[], items: unknown): ValidationMessage[] {
  if (!Array.isArray(items)) return [message(path, 'VALUE_INVALID', 'must be a list of item objects')];
  if (items.length > GA4_LIMITS.itemsPerEvent)
    return [message(path, 'EXCEEDED_MAX_ENTITIES', `holds ${items.length} items; at most ${GA4_LIMITS.itemsPerEvent}`)];
  return items.flatMap((item, j) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      return [message([...path, j], 'VALUE_INVALID', 'an item must be an object')];
    return Object.entries(item as Record<string, unknown>).flatMap(([k, v]) => {
      const bad = nameProblem(k, GA4_LIMITS.nameLength, reservedParamNames);
      if (bad) return [message([...path, j, k], bad.code, `item parameter name "${k.slice(0, 50)}" ${bad.why}`)];
      return valueMessages([...path, j, k], k, v);
    });
  });
}

function eventMessages(event: Ga4Event, i: number, now: number): ValidationMessage[] {
  const at = ['events', i];
  const out: ValidationMessage[] = [];
  const bad = nameProblem(event.name, GA4_LIMITS.nameLength, reservedEventNames);
  if (bad) out.push(message([...at, 'name'], bad.code, `event name "${event.name.slice(0, 50)}" ${bad.why}`));
  out.push(...timestampMessages([...at, 'timestamp_micros'], event.timestamp_micros, now));
  const params = Object.entries(event.params ?? {});
  if (params.length > GA4_LIMITS.paramsPerEvent)
    out.push(
      message(
        [...at, 'params'],
        'EXCEEDED_MAX_ENTITIES',
        `event "${event.name.slice(0, 50)}" has ${params.length} parameters; at most ${GA4_LIMITS.paramsPerEvent}`,
      ),
    );
  for (const [name, value] of params) {
    const path = [...at, 'params', name];
    const badName = nameProblem(name, GA4_LIMITS.nameLength, reservedParamNames);
    if (badName) out.push(message(path, badName.code, `parameter name "${name.slice(0, 50)}" ${badName.why}`));
    else out.push(...(name === 'items' ? itemsMessages(path, value) : valueMessages(path, name, value)));
  }
  return out;
}

function userPropertyMessages(props: NonNullable<Ga4Payload['user_properties']>): ValidationMessage[] {
  const entries = Object.entries(props);
  const out: ValidationMessage[] = [];
  if (entries.length > GA4_LIMITS.userProperties)
    out.push(
      message(
        ['user_properties'],
        'EXCEEDED_MAX_ENTITIES',
        `${entries.length} user properties; at most ${GA4_LIMITS.userProperties}`,
      ),
    );
  for (const [name, { value }] of entries) {
    const path = ['user_properties', name];
    const bad = nameProblem(name, GA4_LIMITS.userPropertyNameLength, reservedUserPropertyNames);
    if (bad) out.push(message(path, bad.code, `user property name "${name.slice(0, 50)}" ${bad.why}`));
    else if (typeof value === 'string' && value.length > GA4_LIMITS.userPropertyValueLength)
      out.push(
        message([...path, 'value'], 'VALUE_OUT_OF_BOUNDS', `at most ${GA4_LIMITS.userPropertyValueLength} characters`),
      );
    else if (value !== null && !['string', 'number', 'boolean'].includes(typeof value))
      out.push(message([...path, 'value'], 'VALUE_INVALID', 'must be a string, a number or null'));
  }
  return out;
}

export type ParsedGa4 = { ok: true; value: Ga4Payload } | { ok: false; messages: ValidationMessage[] };

/**
 * Validates a Measurement Protocol body as GA4's validation server does, answering in its
 * messages: size, JSON, duplicate keys, the envelope's types, then GA4's naming rules and limits
 * on every event, parameter, item and user property.
 */
export function parseGa4Body(raw: Buffer, now = Date.now()): ParsedGa4 {
  if (raw.length >= GA4_LIMITS.bodyBytes)
    return {
      ok: false,
      messages: [
        message([], 'MAX_BODY_SIZE_EXCEEDED', `the body is ${raw.length} bytes; GA4 takes less than 130 kB (130,000)`),
      ],
    };
  // Decoding would turn invalid UTF-8 into U+FFFD and store it, as the JSON API refuses to.
  if (!isUtf8(raw)) return { ok: false, messages: [message([], 'VALUE_INVALID', 'the body is not valid UTF-8')] };
  const text = raw.toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, messages: [message([], 'VALUE_INVALID', 'the body is not valid JSON')] };
  }
  const duplicated = duplicateJsonKeys(text);
  if (duplicated.length)
    return {
      ok: false,
      messages: duplicated.map((p) =>
        message(p, 'NAME_DUPLICATED', `"${String(p.at(-1))}" is given twice in one object`),
      ),
    };
  const unstorable = findUnstorable(body, []);
  if (unstorable) {
    const last = unstorable.path.at(-1);
    const code = typeof last === 'string' && unsafeKey(last) ? 'NAME_INVALID' : 'VALUE_INVALID';
    return { ok: false, messages: [message(unstorable.path, code, unstorable.reason)] };
  }
  const parsed = ga4PayloadSchema.safeParse(body, { reportInput: true });
  if (!parsed.success)
    return { ok: false, messages: parsed.error.issues.map((i) => message(i.path, codeOf(i), i.message)) };
  const p = parsed.data;
  const messages = [
    ...(p.events.length > GA4_LIMITS.eventsPerRequest
      ? [
          message(
            ['events'],
            'EXCEEDED_MAX_ENTITIES',
            `${p.events.length} events; a request holds at most ${GA4_LIMITS.eventsPerRequest}`,
          ),
        ]
      : []),
    ...timestampMessages(['timestamp_micros'], p.timestamp_micros, now),
    ...userPropertyMessages(p.user_properties ?? {}),
    ...p.events.slice(0, GA4_LIMITS.eventsPerRequest).flatMap((e, i) => eventMessages(e, i, now)),
  ];
  return messages.length ? { ok: false, messages } : { ok: true, value: p };
}
