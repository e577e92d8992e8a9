import type { InputRecord } from './records.js';

/** What a format makes of its input: events to validate and store, rows refused, rows skipped. */
export type Converted =
  | { kind: 'event'; line: number; event: Record<string, unknown> }
  | { kind: 'reject'; line: number; reason: string }
  | { kind: 'skip'; line: number; reason: string };

export type Converter<T> = (records: AsyncIterable<InputRecord<T>>) => AsyncGenerator<Converted>;

const idFields = new Set([
  'productId',
  'orderId',
  'cartId',
  'checkoutId',
  'ticketId',
  'campaignId',
  'messageId',
  'flowId',
  'couponCode',
  'query',
  'path',
  'category',
  'name',
]);

/** NDJSON: one event per line, in the `POST /v1/events` shape. */
export const ndjsonEvents: Converter<string> = async function* (records) {
  for await (const { line, value } of records) {
    try {
      yield { kind: 'event', line, event: JSON.parse(value) as Record<string, unknown> };
    } catch (err) {
      yield { kind: 'reject', line, reason: `invalid JSON: ${(err as Error).message}` };
    }
  }
};

/**
 * CSV of events: columns eventId, type, customerId, anonymousId, timestamp, channel, device,
 * sessionId; properties as a JSON `properties` column and/or `properties.<key>` columns, whose
 * values are read as JSON numbers/booleans when they look like one (ids always stay strings).
 * A row with more or fewer fields than the header is refused: its values may sit under the wrong names.
 */
export const csvEvents: Converter<Record<string, string>> = async function* (records) {
  for await (const { line, value, ragged } of records) {
    if (ragged) {
      yield { kind: 'reject', line, reason: ragged };
      continue;
    }
    const event: Record<string, unknown> = {};
    let properties: Record<string, unknown> = {};
    try {
      if (value.properties) properties = JSON.parse(value.properties) as Record<string, unknown>;
    } catch (err) {
      yield { kind: 'reject', line, reason: `properties: invalid JSON: ${(err as Error).message}` };
      continue;
    }
    for (const [key, raw] of Object.entries(value)) {
      if (raw === '' || key === 'properties') continue;
      if (key.startsWith('properties.')) {
        const prop = key.slice('properties.'.length);
        properties[prop] = idFields.has(prop) ? raw : scalar(raw);
      } else event[key] = key === 'timestamp' && /^\d+$/.test(raw) ? Number(raw) : raw;
    }
    event.properties = properties;
    yield { kind: 'event', line, event };
  }
};

function scalar(raw: string): unknown {
  if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  if (raw === 'true' || raw === 'false') return raw === 'true';
  return raw;
}
