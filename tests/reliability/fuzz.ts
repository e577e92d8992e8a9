import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/api/apiKeys.js';
import { buildApp } from '../../src/api/buildApp.js';
import { kpiDimensions } from '../../src/attribution/kpis.js';
import { modelNames } from '../../src/attribution/models.js';
import { builtInFlows } from '../../src/campaigns/flows/builtInFlows.js';
import { resetConfig } from '../../src/config.js';
import type { Database } from '../../src/db/database.js';
import { roles } from '../../src/db/models/apiKey.js';
import { shopifyTopics } from '../../src/ingest/shopify.js';
import { wooCommerceTopics } from '../../src/ingest/woocommerce.js';
import { useTestDatabase } from '../helpers/db.js';
import { useSmtpSink } from '../helpers/smtpSink.js';
import {
  customerId,
  dateText,
  email,
  eventArb,
  flowArb,
  ga4Payload,
  hex24,
  hostile,
  intText,
  isoPast,
  pathParam,
  queryString,
  ruleArb,
  segmentKey,
  segmentMessage,
  shopifyPayload,
  wooCommercePayload,
} from './fuzzShapes.js';

/**
 * Property-based fuzzing of every request schema over real HTTP (a server on 127.0.0.1 in front of
 * the real database). Each target generates valid-ish requests from the schema's shape and then
 * mutates them with hostile values and keys; the properties hold for every request:
 * never a 5xx, a validation error names its field, a refused write stores nothing, and
 * Object.prototype stays as it was. Shared by the CI test and its stress variant (more runs).
 */

export const SHOPIFY_SECRET = 'fuzz-shopify-secret';
const WOOCOMMERCE_SECRET = 'fuzz-woocommerce-secret';

export interface FuzzServer {
  url: string;
  /** An admin key without a rate limit, so the limiter does not shape the run. */
  key: string;
  database: Database;
}

/** A real HTTP server, an admin key, a Shopify secret and an SMTP sink (signups send mail) for one test file. */
export function useFuzzServer(): () => FuzzServer {
  const database = useTestDatabase();
  useSmtpSink();
  let server: http.Server | undefined;
  let state: FuzzServer | undefined;
  beforeAll(async () => {
    process.env.SHOPIFY_WEBHOOK_SECRET = SHOPIFY_SECRET;
    process.env.WOOCOMMERCE_WEBHOOK_SECRET = WOOCOMMERCE_SECRET;
    resetConfig();
    server = http.createServer(buildApp({ database: database() }));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { key } = await createApiKey(database().models, { role: 'admin', name: 'fuzz', rateLimitPerMinute: 0 });
    state = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, key, database: database() };
    // A segment that exists, so member and performance queries get past the 404 to their query parsing.
    await send(state, {
      method: 'POST',
      path: '/v1/segments',
      body: { key: 'fz-existing', name: 'fuzz', rule: { field: 'customer.country', op: 'eq', value: 'PT' } },
    });
    // The first read installs the built-in flows, which PUT /v1/flows/{id} replaces.
    await send(state, { method: 'GET', path: '/v1/flows' });
  });
  afterAll(async () => {
    if (server) await new Promise((resolve) => server!.close(resolve));
    delete process.env.SHOPIFY_WEBHOOK_SECRET;
    delete process.env.WOOCOMMERCE_WEBHOOK_SECRET;
    resetConfig();
  });
  return () => {
    if (!state) throw new Error('useFuzzServer(): the server exists only inside tests and hooks');
    return state;
  };
}

export interface FuzzRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path and query string, already encoded. */
  path: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is (malformed JSON, wrong encodings), instead of `body`. */
  raw?: string | Buffer;
  headers?: Record<string, string>;
}

export interface FuzzResponse {
  status: number;
  body: unknown;
}

// Generous: a profile read scans the events on FerretDB, slow on a busy machine once the stress run has stored thousands.
const REQUEST_TIMEOUT_MS = 30_000;

export async function send(server: Pick<FuzzServer, 'url' | 'key'>, req: FuzzRequest): Promise<FuzzResponse> {
  const payload = req.raw ?? (req.body === undefined ? undefined : JSON.stringify(req.body));
  const res = await fetch(server.url + req.path, {
    method: req.method,
    headers: {
      authorization: `Bearer ${server.key}`,
      ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
      ...req.headers,
    },
    body: typeof payload === 'string' || payload === undefined ? payload : new Uint8Array(payload),
    // A request that never answers is a failure too, with its counterexample.
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // CSV, PNG or an empty 204: the status is what the properties look at.
  }
  return { status: res.status, body };
}

// ---------------------------------------------------------------------------------------------
// Targets

export interface FuzzTarget {
  name: string;
  /** Relative weight of runs (body schemas get more than query strings). */
  weight: number;
  request: fc.Arbitrary<FuzzRequest>;
  /** The collection a refused request must leave untouched. */
  collection?: string;
}

const post = (path: string, body: fc.Arbitrary<unknown>, method: FuzzRequest['method'] = 'POST') =>
  body.map((b): FuzzRequest => ({ method, path, body: b }));
const get = (path: fc.Arbitrary<string>) => path.map((p): FuzzRequest => ({ method: 'GET', path: p }));

/** A shop webhook delivery signed as Shopify and WooCommerce sign: base64 HMAC-SHA256 of the raw body. */
function signedDelivery(
  path: string,
  secret: string,
  payload: unknown,
  headers: (signature: string) => Record<string, string>,
): FuzzRequest {
  const raw = JSON.stringify(payload) ?? '';
  return { method: 'POST', path, raw, headers: headers(createHmac('sha256', secret).update(raw).digest('base64')) };
}

export const fuzzTargets: FuzzTarget[] = [
  {
    name: 'POST /v1/events',
    weight: 4,
    collection: 'events',
    request: fc
      .tuple(
        hostile(fc.oneof(eventArb, fc.array(eventArb, { minLength: 1, maxLength: 5 }))),
        fc.constantFrom('', '', '?partial=false', '?partial=yes'),
      )
      .map(([body, q]) => ({ method: 'POST', path: `/v1/events${q}`, body })),
  },
  {
    name: 'POST /v1/events (malformed JSON)',
    weight: 1,
    collection: 'events',
    request: fc
      .oneof(
        fc.string({ maxLength: 60 }),
        eventArb.map((e) => JSON.stringify(e)).chain((s) => fc.nat({ max: s.length - 1 }).map((n) => s.slice(0, n))),
      )
      .map((raw) => ({ method: 'POST', path: '/v1/events', raw })),
  },
  {
    name: 'POST /v1/segment/batch',
    weight: 3,
    collection: 'events',
    request: post(
      '/v1/segment/batch',
      hostile(fc.record({ batch: fc.array(segmentMessage, { minLength: 1, maxLength: 4 }) })),
    ),
  },
  {
    name: 'POST /v1/segment/{type}',
    weight: 2,
    collection: 'events',
    request: fc
      .tuple(fc.constantFrom('track', 'identify', 'page', 'screen', 'alias'), hostile(segmentMessage))
      .map(([t, body]) => ({ method: 'POST', path: `/v1/segment/${t}`, body })),
  },
  {
    name: 'POST /v1/webhooks/shopify (signed)',
    weight: 3,
    collection: 'events',
    request: fc
      .tuple(fc.constantFrom(...shopifyTopics), hostile(shopifyPayload), fc.uuid())
      .map(([topic, payload, wid]) =>
        signedDelivery('/v1/webhooks/shopify', SHOPIFY_SECRET, payload, (hmac) => ({
          'x-shopify-topic': topic,
          'x-shopify-hmac-sha256': hmac,
          'x-shopify-webhook-id': wid,
        })),
      ),
  },
  {
    name: 'POST /v1/webhooks/woocommerce (signed)',
    weight: 2,
    collection: 'events',
    request: fc
      .tuple(fc.constantFrom(...wooCommerceTopics, 'coupon.created'), hostile(wooCommercePayload))
      .map(([topic, payload]) =>
        signedDelivery('/v1/webhooks/woocommerce', WOOCOMMERCE_SECRET, payload, (signature) => ({
          'x-wc-webhook-topic': topic,
          'x-wc-webhook-signature': signature,
        })),
      ),
  },
  {
    // The key goes as Authorization: Bearer (send() sets it), which /mp/collect takes besides ?api_secret=.
    name: 'POST /mp/collect',
    weight: 3,
    collection: 'events',
    request: post('/mp/collect?measurement_id=G-FUZZ', hostile(ga4Payload)),
  },
  {
    name: 'POST /v1/segments/preview',
    weight: 3,
    request: post(
      '/v1/segments/preview',
      hostile(
        fc.record({ rule: ruleArb, sample: fc.integer({ min: 0, max: 5 }), asOf: isoPast }, { requiredKeys: ['rule'] }),
      ),
    ),
  },
  {
    name: 'POST /v1/segments',
    weight: 2,
    collection: 'segments',
    request: post(
      '/v1/segments',
      hostile(
        fc.record(
          {
            key: segmentKey,
            name: fc.string({ minLength: 1, maxLength: 30 }),
            description: fc.string({ maxLength: 30 }),
            rule: ruleArb,
            active: fc.boolean(),
          },
          { requiredKeys: ['key', 'name', 'rule'] },
        ),
      ),
    ),
  },
  {
    name: 'PUT|DELETE|GET /v1/segments/{key}',
    weight: 1,
    collection: 'segments',
    request: fc
      .tuple(
        fc.constantFrom<FuzzRequest['method']>('PUT', 'DELETE', 'GET'),
        pathParam(fc.constantFrom('fz-existing', 'fz-missing', 'champions')),
        hostile(fc.record({ name: fc.string({ minLength: 1, maxLength: 20 }), rule: ruleArb }, { requiredKeys: [] })),
      )
      // Deleting the segment the member queries need would only move them to 404.
      .filter(([method, key]) => !(method === 'DELETE' && key === 'fz-existing'))
      .map(([method, key, body]) => ({
        method,
        path: `/v1/segments/${key}`,
        body: method === 'PUT' ? body : undefined,
      })),
  },
  { name: 'POST /v1/flows', weight: 2, collection: 'flows', request: post('/v1/flows', hostile(flowArb)) },
  {
    name: 'PUT /v1/flows/{id}',
    weight: 1,
    collection: 'flows',
    request: fc
      .constantFrom(...builtInFlows)
      .chain((flow) =>
        hostile(fc.constant(flow)).map((body) => ({ method: 'PUT' as const, path: `/v1/flows/${flow.id}`, body })),
      ),
  },
  {
    name: 'POST /v1/signups',
    weight: 1,
    request: post(
      '/v1/signups',
      hostile(
        fc.record(
          {
            customerId,
            email,
            firstName: fc.stringMatching(/^[A-Z][a-z]{1,8}$/),
            source: fc.constantFrom('website', 'checkout'),
            consentTextId: fc.constantFrom('website-v1', 'checkout-v1', 'v0'),
          },
          { requiredKeys: ['customerId', 'email', 'source'] },
        ),
      ),
    ),
  },
  {
    name: 'POST /v1/keys',
    weight: 1,
    collection: 'apikeys',
    request: post(
      '/v1/keys',
      hostile(
        fc.record(
          {
            role: fc.constantFrom(...roles, 'root'),
            name: fc.string({ minLength: 1, maxLength: 20 }),
            rateLimitPerMinute: fc.integer({ min: 0, max: 100_000 }),
          },
          { requiredKeys: ['role', 'name'] },
        ),
      ),
    ),
  },
  {
    name: 'DELETE /v1/keys/{id}',
    weight: 1,
    request: pathParam(hex24).map((k) => ({ method: 'DELETE', path: `/v1/keys/${k}` })),
  },
  {
    name: 'GET /v1/jobs',
    weight: 1,
    request: get(
      queryString({
        job: fc.constantFrom('build-features', 'x'),
        status: fc.constantFrom('running', 'succeeded', 'nope'),
        limit: intText(1, 500),
        cursor: fc.oneof(hex24, fc.base64String({ maxLength: 40 })),
        offset: intText(0, 100),
      }).map((q) => `/v1/jobs${q}`),
    ),
  },
  { name: 'GET /v1/jobs/{id}', weight: 1, request: get(pathParam(hex24).map((p) => `/v1/jobs/${p}`)) },
  {
    name: 'GET /v1/segments/{key}/members',
    weight: 2,
    request: get(
      fc
        .tuple(
          pathParam(fc.constantFrom('fz-existing', 'champions')),
          queryString({
            format: fc.constantFrom('json', 'ndjson', 'csv', 'xml'),
            limit: intText(1, 2000),
            cursor: fc.oneof(
              fc.base64String({ maxLength: 60 }),
              fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? '').toString('base64url')),
            ),
            fields: fc.constantFrom('customerId,churnRisk', 'email', ',,', 'nope,__proto__'),
          }),
        )
        .map(([k, q]) => `/v1/segments/${k}/members${q}`),
    ),
  },
  {
    name: 'GET /v1/segments/{key}/performance',
    weight: 1,
    request: get(
      fc
        .tuple(pathParam(fc.constant('fz-existing')), queryString({ days: intText(1, 730) }))
        .map(([k, q]) => `/v1/segments/${k}/performance${q}`),
    ),
  },
  {
    name: 'GET /v1/reports/{attribution,kpis}',
    weight: 1,
    request: get(
      fc
        .tuple(
          fc.constantFrom('attribution', 'kpis'),
          queryString({
            from: dateText,
            to: dateText,
            format: fc.constantFrom('json', 'csv', 'png', 'pdf'),
            model: fc.constantFrom(...modelNames, 'magic'),
            by: fc.constantFrom(...kpiDimensions, 'planet'),
          }),
        )
        .map(([r, q]) => `/v1/reports/${r}${q}`),
    ),
  },
  {
    name: 'GET /v1/reports/dashboard',
    weight: 1,
    request: get(
      queryString({
        days: intText(1, 730),
        chart: fc.constantFrom('segmentSizes', 'lifecycle', 'sendHours', 'pie'),
      }).map((q) => `/v1/reports/dashboard${q}`),
    ),
  },
  {
    name: 'GET /v1/customers/{id}[/features]',
    weight: 1,
    request: get(
      fc
        .tuple(pathParam(customerId), fc.constantFrom('', '/features'), queryString({ events: intText(0, 200) }))
        .map(([c, f, q]) => `/v1/customers/${c}${f}${q}`),
    ),
  },
  {
    name: 'GET /v1/models, /v1/models/{name}/{version}, /v1/experiments, /v1/flows/{id}',
    weight: 1,
    request: get(
      fc.oneof(
        queryString({ name: fc.constantFrom('churn', 'ltv') }).map((q) => `/v1/models${q}`),
        fc
          .tuple(pathParam(fc.constantFrom('churn', 'ltv')), pathParam(fc.constantFrom('active', 'v1')))
          .map(([n, v]) => `/v1/models/${n}/${v}`),
        queryString({ flowId: fc.constantFrom(...builtInFlows.map((f) => f.id)) }).map((q) => `/v1/experiments${q}`),
        pathParam(fc.constantFrom(...builtInFlows.map((f) => f.id))).map((p) => `/v1/flows/${p}`),
      ),
    ),
  },
];

// ---------------------------------------------------------------------------------------------
// The properties

export interface FuzzStats {
  cases: number;
  byStatus: Record<number, number>;
}

/**
 * Where a 400 says the problem is: `details.issues[].path` (request schemas), `details.rejected[].field`
 * (events) or `details.validationMessages[].fieldPath` (GA4).
 */
export function namedFields(body: unknown): string[] {
  const details = (
    body as {
      error?: {
        details?: {
          issues?: { path?: unknown }[];
          rejected?: { field?: unknown }[];
          validationMessages?: { fieldPath?: unknown }[];
        };
      };
    }
  )?.error?.details;
  return [
    ...(details?.issues ?? []).map((i) => i.path),
    ...(details?.rejected ?? []).map((r) => r.field),
    ...(details?.validationMessages ?? []).map((m) => m.fieldPath),
  ].filter((f): f is string => typeof f === 'string' && f.length > 0);
}

const prototypeKeys = () => Object.getOwnPropertyNames(Object.prototype).sort().join(',');

/** Runs one target `runs` times; throws (with fast-check's shrunk counterexample) when a property fails. */
export async function fuzzTarget(
  server: FuzzServer,
  target: FuzzTarget,
  runs: number,
  seed?: number,
): Promise<FuzzStats> {
  const stats: FuzzStats = { cases: 0, byStatus: {} };
  const prototypeBefore = prototypeKeys();
  const property = fc.asyncProperty(target.request, async (req) => {
    const before = target.collection ? await server.database.estimatedCount(target.collection) : 0;
    const res = await send(server, req);
    stats.cases++;
    stats.byStatus[res.status] = (stats.byStatus[res.status] ?? 0) + 1;
    if (res.status >= 500) throw new Error(`${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
    const code = (res.body as { error?: { code?: string } })?.error?.code;
    if (res.status >= 400 && typeof code !== 'string')
      throw new Error(`${res.status} without an error body: ${String(res.body).slice(0, 200)}`);
    if (code === 'validation_failed' && namedFields(res.body).length === 0)
      throw new Error(`validation_failed names no field: ${JSON.stringify(res.body).slice(0, 500)}`);
    if (res.status >= 400 && target.collection) {
      const after = await server.database.estimatedCount(target.collection);
      if (after !== before)
        throw new Error(`refused with ${res.status} but ${target.collection} went from ${before} to ${after}`);
    }
    if (({} as Record<string, unknown>).polluted !== undefined || prototypeKeys() !== prototypeBefore)
      throw new Error('Object.prototype was polluted');
  });
  await fc.assert(property, { numRuns: runs, ...(seed === undefined ? {} : { seed }) });
  return stats;
}

export function describeStats(target: FuzzTarget, stats: FuzzStats): string {
  const statuses = Object.entries(stats.byStatus)
    .map(([s, n]) => `${s}×${n}`)
    .join(' ');
  return `[reliability] fuzz ${target.name}: ${stats.cases} cases, 0 5xx (${statuses})`;
}

/**
 * Registers the suite: one test per target with `runsPerWeight × weight` runs, then a health check
 * that prints the total. The CI test and the stress variant differ only in the numbers.
 */
export function fuzzSuite(
  label: string,
  runsPerWeight: number,
  opts: { seed?: number; timeoutMs?: number } = {},
): void {
  const server = useFuzzServer();
  describe(`fuzzing every request schema over HTTP (${label})`, () => {
    let total = 0;
    for (const target of fuzzTargets) {
      it(
        `${target.name}: no 5xx, 400s name the field, refused writes store nothing`,
        { timeout: opts.timeoutMs },
        async () => {
          const stats = await fuzzTarget(server(), target, runsPerWeight * target.weight, opts.seed);
          total += stats.cases;
          console.log(describeStats(target, stats));
        },
      );
    }

    it('the server is still up and healthy afterwards', async () => {
      expect((await send(server(), { method: 'GET', path: '/health' })).status).toBe(200);
      console.log(
        `[reliability] fuzz (${label}) total: ${total} cases over ${fuzzTargets.length} request schemas, 0 5xx, 0 crashes`,
      );
    });
  });
}
