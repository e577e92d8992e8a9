import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/buildApp.js';
import { useGa4Sender } from './helpers/ga4Sender.js';

/**
 * Malformed GA4 Measurement Protocol payloads: the debug endpoint names each problem with GA4's
 * validation code, /mp/collect refuses the request with a 4xx naming the same field, and nothing
 * is stored by either.
 */
const { database, app, key, url } = useGa4Sender();
// GA4 reads the body whatever its content type; superagent would serialise a Buffer sent as JSON.
const post = (path: string, body: string | Buffer, measurementId?: string) =>
  request(app())
    .post(url(path, measurementId))
    .set('content-type', typeof body === 'string' ? 'application/json' : 'application/octet-stream')
    .send(body);

const ok = (events: object[], extra: object = {}) => ({ client_id: 'inj.1', user_id: 'inj-c', ...extra, events });
const params = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, i]));
const view = { name: 'page_view', params: { page_location: 'https://shop.example/' } };

interface Case {
  name: string;
  body: string | Buffer;
  code: string;
  fieldPath: string;
  measurementId?: string;
  /** /mp/collect's status: 400 unless said. */
  status?: number;
}
const json = (v: unknown) => JSON.stringify(v);

const cases: Case[] = [
  { name: 'missing client_id', body: json({ events: [view] }), code: 'VALUE_REQUIRED', fieldPath: 'client_id' },
  { name: 'no events', body: json({ client_id: 'x', events: [] }), code: 'VALUE_REQUIRED', fieldPath: 'events' },
  {
    name: 'client_id a number',
    body: json({ client_id: 5, events: [view] }),
    code: 'VALUE_INVALID',
    fieldPath: 'client_id',
  },
  {
    name: 'events an object',
    body: json({ client_id: 'x', events: { a: 1 } }),
    code: 'VALUE_INVALID',
    fieldPath: 'events',
  },
  { name: 'event name a number', body: json(ok([{ name: 7 }])), code: 'VALUE_INVALID', fieldPath: 'events[0].name' },
  {
    name: 'param value an object',
    body: json(ok([{ name: 'x_event', params: { nested: { a: 1 } } }])),
    code: 'VALUE_INVALID',
    fieldPath: 'events[0].params.nested',
  },
  {
    name: 'price a word',
    body: json(ok([{ name: 'add_to_cart', params: { items: [{ item_id: 'a', price: 'cheap' }] } }])),
    code: 'VALUE_INVALID',
    fieldPath: 'events[0].params.items[0].price',
  },
  {
    name: 'consent not GRANTED/DENIED',
    body: json(ok([view], { consent: { ad_user_data: 'yes' } })),
    code: 'VALUE_INVALID',
    fieldPath: 'consent.ad_user_data',
  },
  {
    name: '26 params',
    body: json(ok([{ name: 'x_event', params: params(26) }])),
    code: 'EXCEEDED_MAX_ENTITIES',
    fieldPath: 'events[0].params',
  },
  {
    name: '26 events',
    body: json(ok(Array.from({ length: 26 }, () => view))),
    code: 'EXCEEDED_MAX_ENTITIES',
    fieldPath: 'events',
  },
  {
    name: '201 items',
    body: json(
      ok([{ name: 'view_item_list', params: { items: Array.from({ length: 201 }, () => ({ item_id: 'a' })) } }]),
    ),
    code: 'EXCEEDED_MAX_ENTITIES',
    fieldPath: 'events[0].params.items',
  },
  {
    name: '26 user properties',
    body: json(
      ok([view], {
        user_properties: Object.fromEntries(Array.from({ length: 26 }, (_, i) => [`u${i}`, { value: 1 }])),
      }),
    ),
    code: 'EXCEEDED_MAX_ENTITIES',
    fieldPath: 'user_properties',
  },
  {
    name: 'reserved event name',
    body: json(ok([{ name: 'session_start' }])),
    code: 'NAME_RESERVED',
    fieldPath: 'events[0].name',
  },
  {
    name: 'reserved event prefix',
    body: json(ok([{ name: 'google_thing' }])),
    code: 'NAME_RESERVED',
    fieldPath: 'events[0].name',
  },
  {
    name: 'reserved param prefix',
    body: json(ok([{ name: 'x_event', params: { ga_session: 1 } }])),
    code: 'NAME_RESERVED',
    fieldPath: 'events[0].params.ga_session',
  },
  {
    name: 'reserved user property',
    body: json(ok([view], { user_properties: { first_visit_time: { value: 1 } } })),
    code: 'NAME_RESERVED',
    fieldPath: 'user_properties.first_visit_time',
  },
  {
    name: 'event name with a leading underscore',
    body: json(ok([{ name: '_bad' }])),
    code: 'NAME_INVALID',
    fieldPath: 'events[0].name',
  },
  {
    name: 'event name with a space',
    body: json(ok([{ name: 'add to cart' }])),
    code: 'NAME_INVALID',
    fieldPath: 'events[0].name',
  },
  {
    name: 'event name of 41 characters',
    body: json(ok([{ name: 'a'.repeat(41) }])),
    code: 'NAME_INVALID',
    fieldPath: 'events[0].name',
  },
  {
    name: 'param name with a dollar',
    body: json(ok([{ name: 'x_event', params: { $where: 1 } }])),
    code: 'NAME_INVALID',
    fieldPath: 'events[0].params.$where',
  },
  {
    name: 'param value of 101 characters',
    body: json(ok([{ name: 'x_event', params: { note: 'n'.repeat(101) } }])),
    code: 'VALUE_OUT_OF_BOUNDS',
    fieldPath: 'events[0].params.note',
  },
  {
    name: 'user property value of 37 characters',
    body: json(ok([view], { user_properties: { tier: { value: 't'.repeat(37) } } })),
    code: 'VALUE_OUT_OF_BOUNDS',
    fieldPath: 'user_properties.tier.value',
  },
  {
    name: 'a timestamp four days old',
    body: json(ok([view], { timestamp_micros: (Date.now() - 4 * 86_400_000) * 1000 })),
    code: 'VALUE_OUT_OF_BOUNDS',
    fieldPath: 'timestamp_micros',
  },
  {
    name: 'a negative value',
    body: json(ok([{ name: 'purchase', params: { transaction_id: 'T', currency: 'USD', value: -5 } }])),
    code: 'VALUE_OUT_OF_BOUNDS',
    fieldPath: 'events[0].params.value',
  },
  {
    name: 'a purchase without transaction_id',
    body: json(ok([{ name: 'purchase', params: { currency: 'USD', value: 5 } }])),
    code: 'VALUE_REQUIRED',
    fieldPath: 'events[0].params.transaction_id',
  },
  {
    name: 'value without currency',
    body: json(ok([{ name: 'begin_checkout', params: { value: 5 } }])),
    code: 'VALUE_REQUIRED',
    fieldPath: 'events[0].params.currency',
  },
  {
    name: 'add_to_cart without items',
    body: json(ok([{ name: 'add_to_cart', params: {} }])),
    code: 'VALUE_REQUIRED',
    fieldPath: 'events[0].params.items',
  },
  {
    name: 'a param given twice',
    body: '{"client_id":"x","events":[{"name":"purchase","params":{"value":1,"value":1000}}]}',
    code: 'NAME_DUPLICATED',
    fieldPath: 'events[0].params.value',
  },
  {
    name: 'a body of 130 kB',
    body: json(ok([{ name: 'x_event', params: { pad: 'p'.repeat(131_000) } }])),
    code: 'MAX_BODY_SIZE_EXCEEDED',
    fieldPath: '',
    status: 413,
  },
  { name: 'not JSON', body: '{"client_id": "x", events: [', code: 'VALUE_INVALID', fieldPath: '' },
  {
    name: 'invalid UTF-8',
    body: Buffer.concat([Buffer.from('{"client_id":"'), Buffer.from([0xff, 0xfe]), Buffer.from('","events":[]}')]),
    code: 'VALUE_INVALID',
    fieldPath: '',
  },
  {
    name: 'a __proto__ key',
    body: '{"client_id":"x","events":[{"name":"x_event","params":{"__proto__":{"admin":true}}}]}',
    code: 'NAME_INVALID',
    fieldPath: 'events[0].params.__proto__',
  },
  {
    name: 'an array in an array',
    body: json(ok([{ name: 'x_event', params: { items: [[1]] } }])),
    code: 'VALUE_INVALID',
    fieldPath: 'events[0].params.items[0]',
  },
  {
    name: 'nesting 40 levels deep',
    body: `{"client_id":"x","events":[{"name":"x_event","params":{"deep":${'['.repeat(40)}${']'.repeat(40)}}}]}`,
    code: 'VALUE_INVALID',
    fieldPath: 'events[0].params.deep',
  },
  {
    name: 'no measurement_id',
    body: json(ok([view])),
    code: 'VALUE_INVALID',
    fieldPath: 'measurement_id',
    measurementId: '',
  },
  {
    name: 'a measurement_id with a slash',
    body: json(ok([view])),
    code: 'VALUE_INVALID',
    fieldPath: 'measurement_id',
    measurementId: 'G-1%2F2',
  },
];

describe('GA4 bad input: GA4 validation codes on the debug endpoint, refusals on /mp/collect, nothing stored', () => {
  it.each(cases)('$name → $code at "$fieldPath"', async (c) => {
    const debug = await post('/debug/mp/collect', c.body, c.measurementId);
    expect(debug.status).toBe(200);
    const messages = debug.body.validationMessages as { fieldPath: string; validationCode: string }[];
    expect(messages, JSON.stringify(messages)).toContainEqual(
      expect.objectContaining({
        fieldPath: expect.stringMatching(new RegExp(`^${escape(c.fieldPath)}`)),
        validationCode: c.code,
      }),
    );

    const res = await post('/mp/collect', c.body, c.measurementId);
    expect(res.status, JSON.stringify(res.body)).toBe(c.status ?? 400);
    expect(res.body.error.details.validationMessages).toEqual(messages);
    expect(res.body.error.message).toContain('nothing was stored');
    expect(await database().models.Event.countDocuments({})).toBe(0);
  });

  it('refuses the whole request when one event of many is bad', async () => {
    const res = await post('/mp/collect', json(ok([view, view, { name: 'first_visit' }])));
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^nothing was stored: events\[2\]\.name: /);
    expect(await database().models.Event.countDocuments({})).toBe(0);
  });

  it('masks api_secret in the request log', async () => {
    const lines: string[] = [];
    const { pino } = await import('pino');
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
    const logged = buildApp({ database: database(), log });
    await request(logged)
      .post(url('/debug/mp/collect'))
      .send(ok([view]));
    expect(lines.join('')).toContain('api_secret=***');
    expect(lines.join('')).not.toContain(key());
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
