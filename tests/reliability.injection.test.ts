import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { importFile } from '../src/ingest/import/importFile.js';
import {
  namedFields,
  send,
  SHOPIFY_SECRET,
  useFuzzServer,
  type FuzzRequest,
  type FuzzResponse,
} from './reliability/fuzz.js';

/**
 * Item 8 of the reliability suite: operators, prototype keys, extreme numbers and strings, deep
 * nesting, wrong content types, oversized and mis-encoded bodies, damaged imports. Each case is
 * refused with a 4xx (never a 5xx), stores nothing, and leaves Object.prototype alone.
 */

const server = useFuzzServer();
const refused: Record<string, number> = {};
afterAll(() => {
  const total = Object.values(refused).reduce((a, b) => a + b, 0);
  console.log(
    `[reliability] injection: ${total} hostile requests and files refused cleanly (${Object.entries(refused)
      .map(([g, n]) => `${g} ${n}`)
      .join(', ')}), 0 5xx, Object.prototype untouched`,
  );
});

const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort().join(',');
const prototypeIntact = () =>
  (({}) as Record<string, unknown>).polluted === undefined &&
  Object.getOwnPropertyNames(Object.prototype).sort().join(',') === prototypeBefore;

let n = 0;
const ev = (over: Record<string, unknown> = {}) => ({
  eventId: `inj-${++n}`,
  type: 'product_viewed',
  customerId: 'inj-c',
  timestamp: '2026-01-01T00:00:00Z',
  properties: { productId: 'p1', price: 10 },
  ...over,
});
const eventsJson = (props: string) =>
  `{"eventId":"inj-raw-${++n}","type":"custom","customerId":"inj-c","properties":{"name":"n",${props}}}`;
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** Sends and checks what every refusal must hold: the status, a named field, no event stored, the prototype intact. */
async function refuse(group: string, req: FuzzRequest, status: number, field?: string): Promise<FuzzResponse> {
  const before = await server().database.estimatedCount('events');
  const res = await send(server(), req);
  expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(status);
  expect((res.body as { error?: { code?: unknown } }).error?.code).toEqual(expect.any(String));
  if (field)
    expect(
      namedFields(res.body).some((f) => f.startsWith(field)),
      JSON.stringify(res.body).slice(0, 300),
    ).toBe(true);
  expect(await server().database.estimatedCount('events')).toBe(before);
  expect(prototypeIntact()).toBe(true);
  refused[group] = (refused[group] ?? 0) + 1;
  return res;
}

/** A request with exactly these bytes and headers (fetch would add a Content-Type of its own). */
function rawRequest(pathname: string, body: Buffer, headers: Record<string, string>): Promise<FuzzResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      server().url + pathname,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${server().key}`, 'content-length': String(body.length), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function refuseRaw(
  group: string,
  body: Buffer,
  headers: Record<string, string>,
  status: number,
): Promise<FuzzResponse> {
  const before = await server().database.estimatedCount('events');
  const res = await rawRequest('/v1/events', body, headers);
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(await server().database.estimatedCount('events')).toBe(before);
  refused[group] = (refused[group] ?? 0) + 1;
  return res;
}

const post = (p: string, body: unknown): FuzzRequest => ({ method: 'POST', path: p, body });
const rawPost = (p: string, raw: string | Buffer): FuzzRequest => ({ method: 'POST', path: p, raw });

describe('MongoDB operators and $where/$function in any field', () => {
  const operators = [
    { $ne: null },
    { $gt: '' },
    { $where: 'sleep(1000) || true' },
    { $function: { body: 'function () { return true }', args: [], lang: 'js' } },
  ];

  it.each(operators.map((op) => [JSON.stringify(op), op]))(
    'events refuse %s as an id, a property value and a property',
    async (_name, op) => {
      await refuse('operators', post('/v1/events', ev({ eventId: op })), 400, 'eventId');
      await refuse('operators', post('/v1/events', ev({ customerId: op })), 400, 'customerId');
      await refuse(
        'operators',
        post('/v1/events', ev({ properties: { productId: op, price: 1 } })),
        400,
        'properties.productId',
      );
      await refuse(
        'operators',
        post('/v1/events', ev({ type: 'custom', properties: { name: 'n', note: op } })),
        400,
        'properties.note.$',
      );
      await refuse(
        'operators',
        post('/v1/segments/preview', { rule: { field: 'customer.country', op: 'eq', value: op } }),
        400,
        'body.rule.value',
      );
      await refuse('operators', post('/v1/segments/preview', { rule: op }), 400, 'body.rule');
      await refuse(
        'operators',
        post('/v1/signups', { customerId: op, email: 'a@b.com', source: 'checkout' }),
        400,
        'body.customerId',
      );
      await refuse('operators', post('/v1/keys', { role: 'admin', name: op }), 400, 'body.name');
      await refuse('operators', post('/v1/flows', { id: op }), 400, 'body.id');
    },
  );

  it('refuses an operator nested 12 levels down (the key check used to stop at 8)', async () => {
    const nested = (depth: number): unknown => (depth === 0 ? { $where: 'true' } : { a: nested(depth - 1) });
    const res = await refuse(
      'operators',
      post('/v1/events', ev({ type: 'custom', properties: { name: 'n', deep: nested(12) } })),
      400,
      'properties.deep.a.a',
    );
    expect(namedFields(res.body)[0]!.endsWith('$where')).toBe(true);
  });

  it('keeps Segment messages with operators out (a Segment batch is stored partially: 200 listing the rejected)', async () => {
    const before = await server().database.estimatedCount('events');
    const res = await send(
      server(),
      post('/v1/segment/batch', {
        batch: [
          { type: 'track', userId: { $ne: null }, event: 'X' },
          { type: 'track', userId: 'inj-s', event: 'X', properties: { $where: 'true' } },
        ],
      }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ stored: 0, rejected: [{ index: 0 }, { index: 1, field: 'properties.$where' }] });
    expect(await server().database.estimatedCount('events')).toBe(before);
    refused.operators = (refused.operators ?? 0) + 2;
  });

  it('reads `?id[$ne]=x` as a plain key: express 5 parses query strings flat, so no operator can form and the key is ignored', async () => {
    const plain = await send(server(), { method: 'GET', path: '/v1/jobs' });
    for (const q of [
      'job[$ne]=x',
      'job[$regex]=.*',
      'status[$in][]=running',
      '__proto__[polluted]=yes',
      'constructor[prototype][polluted]=yes',
    ]) {
      const res = await send(server(), { method: 'GET', path: `/v1/jobs?${q}` });
      expect(res).toEqual(plain);
    }
    expect(prototypeIntact()).toBe(true);
    // A repeated key is an array, which no query schema takes: refused, naming it.
    await refuse('operators', { method: 'GET', path: '/v1/jobs?job=a&job=b' }, 400, 'query.job');
    // An id that spells an operator is only a string: no such customer.
    await refuse('operators', { method: 'GET', path: `/v1/customers/${encodeURIComponent('{"$ne":null}')}` }, 404);
  });
});

describe('prototype-pollution keys', () => {
  // `__proto__` is refused in any body before its schema runs (validate.ts: a copy would make it a
  // prototype), so it is named under `body.`; the others reach the event checks, which name them.
  const where = (key: string, field: string) => (key === '__proto__' ? `body.${field}` : field);

  it.each(['__proto__', 'constructor', 'prototype'])(
    'refuses %s as a property, a nested key and an event field, and stores nothing',
    async (key) => {
      await refuse(
        'prototype keys',
        rawPost('/v1/events', eventsJson(`"${key}":{"polluted":"yes"}`)),
        400,
        where(key, `properties.${key}`),
      );
      await refuse(
        'prototype keys',
        rawPost('/v1/events', eventsJson(`"items":[{"${key}":{"prototype":{"polluted":"yes"}}}]`)),
        400,
        where(key, `properties.items.0.${key}`),
      );
      await refuse(
        'prototype keys',
        rawPost('/v1/events', `{"type":"app_opened","customerId":"inj-c","${key}":{"polluted":"yes"}}`),
        400,
        where(key, key),
      );
      await refuse(
        'prototype keys',
        rawPost(
          '/v1/segments/preview',
          `{"rule":{"${key}":{"polluted":"yes"},"field":"customer.country","op":"exists"}}`,
        ),
        400,
        `body.rule.${key}`,
      );
    },
  );

  it('refuses __proto__ in Segment messages and fixed-shape bodies too; nothing stored carries any of them', async () => {
    await refuse(
      'prototype keys',
      rawPost('/v1/segment/track', '{"userId":"inj-proto","event":"X","__proto__":{"polluted":"yes"}}'),
      400,
      'body.__proto__',
    );
    await refuse(
      'prototype keys',
      rawPost('/v1/keys', '{"role":"marketer","name":"inj","__proto__":{"role":"admin"}}'),
      400,
      'body.__proto__',
    );
    // `constructor` at the top of a Segment message is just an unknown field: the message is stored without it.
    const segment = await send(
      server(),
      rawPost('/v1/segment/track', '{"userId":"inj-proto","event":"X","constructor":{"prototype":{"polluted":"yes"}}}'),
    );
    expect(segment).toMatchObject({ status: 200, body: { stored: 1 } });
    expect(prototypeIntact()).toBe(true);
    const hasKey = (v: unknown, depth = 0): boolean =>
      depth < 40 &&
      v !== null &&
      typeof v === 'object' &&
      Object.entries(v).some(
        ([k, c]) => ['__proto__', 'constructor', 'prototype', 'polluted'].includes(k) || hasKey(c, depth + 1),
      );
    for (const collection of ['events', 'customers', 'apikeys', 'flows', 'segments']) {
      const docs = await server().database.db.collection(collection).find({}).toArray();
      expect(
        docs.filter((d) => hasKey(d)).map((d) => d._id),
        collection,
      ).toEqual([]);
    }
  });
});

describe('huge numbers and strings', () => {
  it.each([
    ['price 1e308', { properties: { productId: 'p', price: 1e308 } }, 'properties.price'],
    ['price "NaN"', { properties: { productId: 'p', price: 'NaN' } }, 'properties.price'],
    ['price "1e308"', { properties: { productId: 'p', price: '1e308' } }, 'properties.price'],
    ['price -1', { properties: { productId: 'p', price: -1 } }, 'properties.price'],
    ['timestamp beyond MAX_SAFE_INTEGER', { timestamp: Number.MAX_SAFE_INTEGER + 2 }, 'timestamp'],
    ['timestamp 1e308', { timestamp: 1e308 }, 'timestamp'],
    ['eventId of 100,000 characters', { eventId: 'x'.repeat(100_000) }, 'eventId'],
    ['customerId of 900,000 characters', { customerId: 'x'.repeat(900_000) }, 'customerId'],
  ])('refuses %s, naming the field', async (_name, over, field) => {
    await refuse('numbers and strings', post('/v1/events', ev(over)), 400, field);
  });

  it('refuses 1e400 (Infinity once parsed) and query numbers out of range', async () => {
    await refuse(
      'numbers and strings',
      rawPost(
        '/v1/events',
        '{"type":"cart_item_added","customerId":"c","properties":{"cartId":"c","productId":"p","price":1,"quantity":1e400}}',
      ),
      400,
      'properties.quantity',
    );
    for (const limit of ['1e308', '99999999999999999999', 'NaN', '-0', 'Infinity'])
      await refuse('numbers and strings', { method: 'GET', path: `/v1/jobs?limit=${limit}` }, 400, 'query.limit');
  });

  it('accepts -0 as a price (it is zero), and stores it as a number', async () => {
    const res = await send(
      server(),
      post('/v1/events', ev({ eventId: 'inj-minus-zero', properties: { productId: 'p', price: -0 } })),
    );
    expect(res).toMatchObject({ status: 200, body: { stored: 1 } });
    expect(
      (
        (await server().database.models.Event.findOne({ eventId: 'inj-minus-zero' }).lean()) as {
          props: { price: number };
        }
      ).props.price,
    ).toBe(0);
  });

  it('answers a 100 KB URL with 431 from the HTTP parser, and keeps serving', async () => {
    const res = await fetch(`${server().url}/v1/jobs?job=${'x'.repeat(100_000)}`, {
      headers: { authorization: `Bearer ${server().key}` },
    });
    expect(res.status).toBe(431);
    refused['numbers and strings'] = (refused['numbers and strings'] ?? 0) + 1;
    expect((await send(server(), { method: 'GET', path: '/health' })).status).toBe(200);
  });
});

describe('deeply nested JSON', () => {
  it('refuses properties nested 10,000 levels deep with a clean 400 naming where (not a stack overflow)', async () => {
    const res = await refuse(
      'deep nesting',
      rawPost('/v1/events', eventsJson(`"deep":${deepObject(10_000)}`)),
      400,
      'properties.deep.a.a.a',
    );
    expect(
      (res.body as { error: { details: { rejected: { reason: string }[] } } }).error.details.rejected[0]!.reason,
    ).toMatch(/nested more than 32 levels/);
  });

  it('refuses a 1 MB body of nested arrays on every JSON route', async () => {
    const arrays = deepArray(400_000);
    await refuse('deep nesting', rawPost('/v1/events', arrays), 400, 'type');
    await refuse('deep nesting', rawPost('/v1/events', eventsJson(`"x":${arrays}`)), 400, 'properties.x.0');
    await refuse('deep nesting', rawPost('/v1/segments/preview', `{"rule":${arrays}}`), 400, 'body.rule');
    await refuse('deep nesting', rawPost('/v1/keys', `{"role":"admin","name":${arrays}}`), 400, 'body.name');
    await refuse('deep nesting', rawPost('/v1/flows', `{"id":"deep","trigger":${arrays}}`), 400, 'body.trigger');
    await refuse(
      'deep nesting',
      rawPost('/v1/segments/preview', `{"rule":${'{"not":'.repeat(10_000)}{"season":"summer"}${'}'.repeat(10_000)}}`),
      400,
      'body.rule.not',
    );
  });

  it('Segment and Shopify payloads with a 100,000-deep array where an id belongs: refused, not a stack overflow', async () => {
    // 100,000 levels are enough: String() of an array nested 10,000 deep already overflows the stack.
    const arrays = deepArray(100_000);
    const segment = await send(
      server(),
      rawPost(
        '/v1/segment/batch',
        `{"batch":[{"type":"track","userId":"inj-deep","event":"Order Completed","properties":{"order_id":${arrays},"revenue":${arrays},"products":[${arrays}]}}]}`,
      ),
    );
    expect(segment).toMatchObject({
      status: 200,
      body: { stored: 0, rejected: [{ index: 0, field: 'properties.orderId' }] },
    });
    refused['deep nesting'] = (refused['deep nesting'] ?? 0) + 1;
    const raw = `{"id":${arrays},"customer":{"id":${arrays}},"line_items":[${arrays},null,"x"]}`;
    const signature = createHmac('sha256', SHOPIFY_SECRET).update(raw).digest('base64');
    await refuse(
      'deep nesting',
      {
        ...rawPost('/v1/webhooks/shopify', raw),
        headers: { 'x-shopify-topic': 'orders/create', 'x-shopify-hmac-sha256': signature },
      },
      400,
      'properties.orderId',
    );
  });
});

describe('wrong content types, encodings and sizes', () => {
  const json = Buffer.from(JSON.stringify([ev({ eventId: 'inj-ct' })]));

  // 415, not 400: the body may be fine, it is the declared type we do not read; a 400 "body:
  // expected array" would send the client looking for a mistake in the content.
  it.each([
    ['text/plain', 'text/plain'],
    ['a form', 'application/x-www-form-urlencoded'],
    ['multipart', 'multipart/form-data; boundary=x'],
    ['a +json type the parser does not take', 'application/vnd.api+json'],
  ])('refuses a JSON-looking body sent as %s with 415', async (_name, type) => {
    const res = await refuseRaw('content types', json, { 'content-type': type }, 415);
    expect(res.body).toMatchObject({ error: { code: 'unsupported_media_type' } });
  });

  it('refuses a body without a Content-Type (415) and a JSON body in another charset (415)', async () => {
    await refuseRaw('content types', json, {}, 415);
    await refuseRaw('content types', json, { 'content-type': 'application/json; charset=latin1' }, 415);
    // No body at all (`Content-Length: 0`, as fetch sends on a bodiless POST) is a missing body, not a wrong type.
    expect(await rawRequest('/v1/events', Buffer.alloc(0), {})).toMatchObject({
      status: 400,
      body: { error: { code: 'validation_failed', details: { issues: [{ path: 'body' }] } } },
    });
  });

  it('refuses invalid UTF-8 (a stray byte, an overlong encoding) with 400 instead of storing U+FFFD', async () => {
    for (const bad of [Buffer.from([0xff]), Buffer.from([0xc0, 0xaf])]) {
      const body = Buffer.concat([
        Buffer.from('[{"eventId":"inj-utf8","type":"custom","customerId":"inj-c","properties":{"name":"'),
        bad,
        Buffer.from('"}}]'),
      ]);
      const res = await refuseRaw('encodings', body, { 'content-type': 'application/json' }, 400);
      expect(res.body).toMatchObject({ error: { code: 'bad_request', message: 'request body is not valid UTF-8' } });
      // The Shopify webhook reads its raw body itself (to check the signature): same rule there.
      const order = Buffer.concat([
        Buffer.from('{"id":990001,"customer":{"id":7,"first_name":"'),
        bad,
        Buffer.from('"},"line_items":[]}'),
      ]);
      const signature = createHmac('sha256', SHOPIFY_SECRET).update(order).digest('base64');
      await refuse(
        'encodings',
        {
          ...rawPost('/v1/webhooks/shopify', order),
          headers: { 'x-shopify-topic': 'orders/create', 'x-shopify-hmac-sha256': signature },
        },
        400,
      );
    }
  });

  it('reads a gzip-encoded body, and refuses a damaged one (400) and an unknown encoding (415)', async () => {
    const ok = await rawRequest('/v1/events', gzipSync(Buffer.from(JSON.stringify(ev({ eventId: 'inj-gzip' })))), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(ok).toMatchObject({ status: 200, body: { stored: 1 } });
    await refuseRaw(
      'encodings',
      Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('not really gzip')]),
      { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      400,
    );
    await refuseRaw(
      'encodings',
      gzipSync(json).subarray(0, 20),
      { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      400,
    );
    await refuseRaw('encodings', json, { 'content-type': 'application/json', 'content-encoding': 'compress' }, 415);
  });

  it('answers 413 to bodies over the limit, counted after decompression (a gzip bomb too), on every JSON route', async () => {
    const big = JSON.stringify(
      Array.from({ length: 1000 }, () => ev({ type: 'custom', properties: { name: 'n', pad: 'x'.repeat(2000) } })),
    );
    expect(big.length).toBeGreaterThan(2_000_000);
    for (const p of ['/v1/events', '/v1/segment/batch', '/v1/segments/preview'])
      await refuse('sizes', rawPost(p, big), 413);
    const bomb = gzipSync(Buffer.from(`[${'0,'.repeat(5_000_000)}0]`));
    expect(bomb.length).toBeLessThan(100_000);
    const res = await refuseRaw('sizes', bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' }, 413);
    expect(res.body).toMatchObject({ error: { code: 'payload_too_large' } });
    const signature = createHmac('sha256', SHOPIFY_SECRET).update(big).digest('base64');
    await refuse(
      'sizes',
      {
        ...rawPost('/v1/webhooks/shopify', big),
        headers: { 'x-shopify-topic': 'orders/create', 'x-shopify-hmac-sha256': signature },
      },
      413,
    );
  });

  it('answers a path that is not valid percent-encoding with 400', async () => {
    for (const p of ['/v1/customers/%E0%A4%A', '/v1/segments/%/members', '/v1/models/%ZZ/active'])
      await refuse('encodings', { method: 'GET', path: p }, 400);
  });
});

describe('breadcrumb import with damaged files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bc-inject-import-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const lines = (prefix: string, count: number) =>
    Array.from({ length: count }, (_, i) =>
      JSON.stringify({ eventId: `${prefix}-${i}`, type: 'app_opened', customerId: 'inj-import' }),
    ).join('\n');
  const storedWith = async (prefix: string) =>
    (
      await server()
        .database.models.Event.find({ eventId: new RegExp(`^${prefix}-`) })
        .lean()
    ).length;
  const cli = (...args: string[]) => {
    const uri = new URL(inject('mongoUri'));
    uri.pathname = `/${server().database.db.databaseName}`;
    return promisify(execFile)(
      process.execPath,
      [path.join(import.meta.dirname, '../bin/breadcrumb.js'), 'import', ...args],
      { env: { ...process.env, MONGODB_URI: uri.toString() }, cwd: dir },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
  };

  it('a truncated .gz: one clear line, exit 1, and nothing stored (though 2,500 events came before the cut)', async () => {
    const file = path.join(dir, 'cut.ndjson.gz');
    const gz = gzipSync(lines('inj-cut', 3000));
    fs.writeFileSync(file, gz.subarray(0, Math.floor(gz.length * 0.9)));
    const result = await cli('--format', 'ndjson', file, '--json');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: ${file}: not a complete gzip file (unexpected end of file); nothing was imported\n`,
    );
    expect(await storedWith('inj-cut')).toBe(0);
    refused.imports = (refused.imports ?? 0) + 1;
  });

  it('garbage after the gzip magic bytes: refused before anything is stored', async () => {
    const file = path.join(dir, 'garbage.csv.gz');
    fs.writeFileSync(
      file,
      Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('eventId,type\ninj-garbage-1,app_opened\n')]),
    );
    const result = await importFile(server().database, file, { format: 'csv', rejectsFile: `${file}.rejects` });
    expect(result).toEqual({
      ok: false,
      error: {
        type: 'unreadable',
        message: `${file}: not a complete gzip file (unknown compression method); nothing was imported`,
        stored: 0,
      },
    });
    expect(await storedWith('inj-garbage')).toBe(0);
    refused.imports = (refused.imports ?? 0) + 1;
  });

  it('CSV with a BOM, CRLF, quotes, embedded newlines and ragged rows: each row stored as written or rejected with its line', async () => {
    const file = path.join(dir, 'hostile.csv');
    const rows = [
      'eventId,type,customerId,timestamp,properties,properties.name',
      'inj-csv-1,custom,inj-csv,2026-01-01T00:00:00Z,"{""note"":""say \\""hi\\"", then, go""}",quoted',
      // A line break inside a cell is LF, as Excel writes it between CRLF rows (csv-parse 6.2.1 counts a CRLF inside quotes as two lines).
      'inj-csv-2,custom,inj-csv,2026-01-01T00:00:00Z,,"two\nlines, one ""name"""',
      'inj-csv-3,custom,inj-csv',
      'inj-csv-4,custom,inj-csv,2026-01-01T00:00:00Z,,four,extra,columns',
      'inj-csv-5,custom,inj-csv,2026-01-01T00:00:00Z,"{""$where"":""1""}",five',
      'inj-csv-6,custom,inj-csv,2026-01-01T00:00:00Z,,six',
    ];
    fs.writeFileSync(file, `\uFEFF${rows.join('\r\n')}\r\n`);
    const result = await importFile(server().database, file, { format: 'csv', rejectsFile: `${file}.rejects` });
    expect(result).toEqual({ ok: true, value: { read: 6, stored: 3, duplicates: 0, rejected: 3, skipped: 0 } });
    const stored = await server().database.models.Event.find({ customerId: 'inj-csv' }).sort({ eventId: 1 }).lean();
    expect(stored.map((e) => [e.eventId, (e.props as Record<string, unknown>).name])).toEqual([
      ['inj-csv-1', 'quoted'],
      ['inj-csv-2', 'two\nlines, one "name"'],
      ['inj-csv-6', 'six'],
    ]);
    expect((stored[0]!.props as Record<string, unknown>).note).toBe('say "hi", then, go');
    // Lines count the file's lines: the row with an embedded line break ends on line 4.
    const rejects = fs
      .readFileSync(`${file}.rejects`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; reason: string });
    expect(rejects).toEqual([
      { line: 5, reason: 'the row has 3 fields, the header 6' },
      { line: 6, reason: 'the row has 8 fields, the header 6' },
      { line: 7, reason: expect.stringContaining('properties.$where') },
    ]);
    refused.imports = (refused.imports ?? 0) + 3;
  });

  it('a CSV quote never closed: one clear error naming the line, not a crash', async () => {
    const file = path.join(dir, 'unclosed.csv');
    fs.writeFileSync(
      file,
      'eventId,type,customerId,properties.name\ninj-open-1,custom,inj-open,"never closed\ninj-open-2,custom,inj-open,x\n',
    );
    const result = await importFile(server().database, file, { format: 'csv', rejectsFile: `${file}.rejects` });
    expect(result).toEqual({
      ok: false,
      error: {
        type: 'unreadable',
        message: `${file}: Quote Not Closed: the parsing is finished with an opening quote at line 3; nothing was imported`,
        stored: 0,
      },
    });
    expect(await storedWith('inj-open')).toBe(0);
    refused.imports = (refused.imports ?? 0) + 1;
  });
});
