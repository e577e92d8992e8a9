import { createHash } from 'node:crypto';
import type { Database } from '../db/database.js';
import { devices } from './eventSchemas.js';
import { checkExtras } from './extraProperties.js';
import { ga4Mappings } from './ga4Ecommerce.js';
import { pageViewProperties, pageViewReads } from './ga4PageView.js';
import { fieldPath, parseGa4Body, type Ga4Payload } from './ga4Payload.js';
import type { ValidationMessage } from './ga4Rules.js';
import { ingestEvents, validateEvent } from './ingestEvents.js';
import { scalarText as str } from './payloadValues.js';

type Params = Record<string, unknown>;

/** What a Measurement Protocol request became. */
export interface Ga4Summary {
  /** GA4 events in the request. */
  received: number;
  /** Breadcrumb events they map to (a cart event per item, an identify for user_properties). */
  mapped: number;
  /** GA4 events with no mapping, kept as `custom` events under their GA4 name. */
  custom: number;
  stored: number;
  duplicates: number;
  queued: number;
}

export type Ga4Result = { ok: true; value: Ga4Summary } | { ok: false; messages: ValidationMessage[] };

export const measurementIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

const digest = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('base64url').slice(0, 32);
const sortedEntries = (o: Params) => Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * The eventId of a GA4 event, derived from what was sent so a retried request stores nothing
 * twice: a purchase is identified by its order (transaction_id: a purchase sent twice is one
 * order, whatever its timestamp), any other event by its stream, ids, time, position and
 * parameters (two identical events without a timestamp_micros collapse into one: docs/ga4.md).
 */
function eventIdOf(m: string, body: Ga4Payload, i: number, micros: number | undefined): string {
  const e = body.events[i]!;
  const p = e.params ?? {};
  if (e.name === 'purchase') return `ga4:${m}:purchase:${str(p.transaction_id)}`;
  return `ga4:${digest([m, body.client_id, body.user_id ?? null, micros ?? null, i, e.name, sortedEntries(p)])}`;
}

interface Mapped {
  /** The GA4 event (index) each Breadcrumb event came from; -1 for the identify of user_properties. */
  from: number[];
  events: Params[];
  custom: number;
}

/** The GA4 events of a valid request as Breadcrumb events, or the messages saying why they cannot be. */
function fromGa4(
  body: Ga4Payload,
  measurementId: string,
): { ok: true; value: Mapped } | { ok: false; messages: ValidationMessage[] } {
  const category = body.device?.category;
  const base: Params = {
    customerId: body.user_id,
    anonymousId: body.client_id,
    channel: 'web',
    device: (devices as readonly string[]).includes(category ?? '') ? category : undefined,
  };
  const out: Mapped = { from: [], events: [], custom: 0 };
  const messages: ValidationMessage[] = [];
  body.events.forEach((e, i) => {
    const p = e.params ?? {};
    const at = ['events', i, 'params'];
    const mapping = ga4Mappings[e.name];
    const reads = e.name === 'page_view' ? pageViewReads : (mapping?.reads ?? []);
    const required = mapping?.requires(p, at) ?? [];
    const extras = Object.fromEntries(
      Object.entries(p).filter(([k]) => !reads.includes(k) && (!mapping || k !== 'items')),
    );
    const bad = checkExtras(extras, ['params']);
    if (bad)
      required.push({
        fieldPath: fieldPath(['events', i, ...bad.path]),
        description: bad.reason,
        validationCode: 'VALUE_OUT_OF_BOUNDS',
      });
    if (required.length) return void messages.push(...required);
    const micros = e.timestamp_micros ?? body.timestamp_micros;
    const kept = { ...extras, measurementId };
    const produced =
      e.name === 'page_view'
        ? [{ type: 'page_viewed', properties: pageViewProperties(p) }]
        : mapping
          ? mapping.map(p)
          : [{ type: 'custom', properties: { name: e.name } }];
    if (!mapping && e.name !== 'page_view') out.custom++;
    const id = eventIdOf(measurementId, body, i, micros);
    produced.forEach((ev, k) => {
      out.from.push(i);
      out.events.push({
        ...base,
        eventId: produced.length > 1 ? `${id}:${k}` : id,
        timestamp: micros === undefined ? undefined : Math.floor(micros / 1000),
        sessionId: str(p.session_id),
        type: ev.type,
        properties: { ...kept, ...ev.properties },
      });
    });
  });
  const traits = Object.fromEntries(
    Object.entries(body.user_properties ?? {})
      .filter(([, v]) => v.value !== null && v.value !== undefined)
      .map(([k, v]) => [k, v.value]),
  );
  if (Object.keys(traits).length) {
    out.from.push(-1);
    out.events.push({
      ...base,
      eventId: `ga4:${digest([measurementId, body.client_id, body.user_id ?? null, body.timestamp_micros ?? null, sortedEntries(traits)])}`,
      timestamp: body.timestamp_micros === undefined ? undefined : Math.floor(body.timestamp_micros / 1000),
      type: 'identify',
      properties: { traits },
    });
  }
  return messages.length ? { ok: false, messages } : { ok: true, value: out };
}

/**
 * A Measurement Protocol request, end to end: GA4's validation (ga4Payload.ts), our mapping's
 * needs (ga4Ecommerce.ts), then the events endpoint's own validation of every mapped event. Any
 * message refuses the whole request and nothing is stored; with `dryRun` (the debug endpoint)
 * nothing is stored either way, so a request the debug endpoint passes is one /mp/collect stores.
 */
export async function ingestGa4(
  database: Database,
  input: { measurementId: unknown; raw: Buffer },
  opts: { dryRun?: boolean; queue?: boolean } = {},
): Promise<Ga4Result> {
  const parsed = parseGa4Body(input.raw);
  const idMessages: ValidationMessage[] =
    typeof input.measurementId === 'string' && measurementIdPattern.test(input.measurementId)
      ? []
      : [
          {
            fieldPath: 'measurement_id',
            description: 'the measurement_id query parameter is required: 1–64 letters, digits, "_" or "-"',
            validationCode: input.measurementId === undefined ? 'VALUE_REQUIRED' : 'VALUE_INVALID',
          },
        ];
  if (!parsed.ok || idMessages.length)
    return { ok: false, messages: [...idMessages, ...(parsed.ok ? [] : parsed.messages)] };
  const mapped = fromGa4(parsed.value, input.measurementId as string);
  if (!mapped.ok) return mapped;
  const { events, from, custom } = mapped.value;
  const messages = events.flatMap((e, k) => {
    const v = validateEvent(e, k);
    if (v.ok) return [];
    const at = from[k]! < 0 ? 'user_properties' : `events[${from[k]}]`;
    return v.rejections.map((r) => ({
      fieldPath: at,
      description: `maps to a ${String(e.type)} event whose ${r.field} is refused: ${r.reason}`,
      validationCode: 'VALUE_INVALID' as const,
    }));
  });
  if (messages.length) return { ok: false, messages };
  const summary = { received: parsed.value.events.length, mapped: events.length, custom };
  if (opts.dryRun) return { ok: true, value: { ...summary, stored: 0, duplicates: 0, queued: 0 } };
  const result = await ingestEvents(database, events, { source: 'ga4', queue: opts.queue });
  // Every event passed validateEvent above, so the batch cannot be refused here.
  if (!result.ok) throw new Error(`ingestGa4: validated events were refused: ${result.error.message}`);
  const { stored, duplicates, queued } = result.value;
  return { ok: true, value: { ...summary, stored, duplicates, queued } };
}
