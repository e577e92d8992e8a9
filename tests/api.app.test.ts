import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { defineRoute } from '../src/api/defineRoute.js';
import { routes } from '../src/api/routes/index.js';
import { connectDatabase } from '../src/db/database.js';
import { useTestDatabase } from './helpers/db.js';
import { openApiClient, type OpenApiClient } from './helpers/openApiClient.js';

const database = useTestDatabase();

const boom = defineRoute({
  method: 'get',
  path: '/test/boom',
  summary: 'A bug',
  roles: 'public',
  responses: { 200: { description: 'never' } },
  handler: () => {
    throw new Error('secret internals at /srv/breadcrumb');
  },
});

let app: ReturnType<typeof buildApp>;
let api: OpenApiClient;
let admin: string;
let marketer: string;

beforeAll(async () => {
  app = buildApp({ database: database(), routes: [...routes, boom] });
  api = await openApiClient(app);
  admin = (await createApiKey(database().models, { role: 'admin', name: 'admin' })).key;
  marketer = (await createApiKey(database().models, { role: 'marketer', name: 'marketer' })).key;
});

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

describe('GET /health', () => {
  it('reports ok with database and versions', async () => {
    const res = await api.get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      database: { ok: true, pingMs: expect.any(Number) },
      versions: { breadcrumb: '0.1.0', node: process.versions.node },
    });
    expect(res.body.versions.mongodbServer).toMatch(/^\d+\.\d+/);
    expect(res.body.uptimeSec).toBeGreaterThanOrEqual(0);
    expect(res.headers['x-content-type-options']).toBe('nosniff'); // helmet is on
  });

  it('answers 503 degraded when the database does not answer', async () => {
    const lost = await connectDatabase({
      uri: inject('mongoUri'),
      dbName: `bc_test_${randomUUID().replaceAll('-', '')}`,
      skipIndexes: true,
    });
    await lost.close();
    const res = await request(buildApp({ database: lost })).get('/health');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 'degraded', database: { ok: false, pingMs: null } });
  });
});

describe('errors', () => {
  it('answers an unknown route with the error shape', async () => {
    const res = await request(app).get('/nowhere');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'no route for GET /nowhere', details: null } });
  });

  it('answers malformed JSON with 400 invalid_json', async () => {
    const res = await api
      .post('/v1/keys')
      .set(bearer(admin))
      .set('Content-Type', 'application/json')
      .send('{"role": "admin",');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_json');
    expect(res.body.error).toHaveProperty('details');
  });

  it('answers a body over the limit with 413', async () => {
    const res = await api
      .post('/v1/keys')
      .set(bearer(admin))
      .send({ role: 'admin', name: 'x'.repeat(1_100_000) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });

  it('lists every validation issue with its field path and reason', async () => {
    const res = await api.post('/v1/keys').set(bearer(admin)).send({ role: 'boss' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    const issues = res.body.error.details.issues as { path: string; message: string }[];
    expect(issues.map((i) => i.path).sort()).toEqual(['body.name', 'body.role']);
    for (const issue of issues) expect(issue.message).toEqual(expect.any(String));

    const query = await api.get('/v1/jobs?limit=1000').set(bearer(admin));
    expect(query.status).toBe(400);
    expect(query.body.error.details.issues).toEqual([{ path: 'query.limit', message: expect.stringMatching(/500/) }]);
  });

  it('answers a bug with 500 internal and no internals', async () => {
    const res = await api.get('/test/boom');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: 'internal', message: 'internal server error', details: null } });
    expect(res.text).not.toContain('secret internals');
    expect(res.text).not.toContain('.ts');
  });
});

describe('request ids', () => {
  it('echoes a sane incoming X-Request-Id', async () => {
    const res = await api.get('/health').set('X-Request-Id', 'edge-7f3a:42');
    expect(res.headers['x-request-id']).toBe('edge-7f3a:42');
  });

  it('replaces a missing or unsafe one with a UUID', async () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    expect((await api.get('/health')).headers['x-request-id']).toMatch(uuid);
    expect((await api.get('/health').set('X-Request-Id', 'a b <script>')).headers['x-request-id']).toMatch(uuid);
    expect((await api.get('/health').set('X-Request-Id', 'x'.repeat(500))).headers['x-request-id']).toMatch(uuid);
  });
});

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3 document of the registered routes, every $ref resolving', async () => {
    const res = await request(app).get('/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: '0.1.0' });
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/health', '/v1/jobs', '/v1/jobs/{id}', '/v1/keys', '/v1/keys/{id}']),
    );
    expect(doc.components.securitySchemes.bearerAuth).toEqual(
      expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    );

    const listJobs = doc.paths['/v1/jobs'].get;
    expect(listJobs.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(listJobs.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403']));
    const limit = listJobs.parameters.find((p: { name: string }) => p.name === 'limit');
    expect(limit).toMatchObject({ in: 'query', schema: { maximum: 500, default: 50 } });
    expect(doc.paths['/v1/keys'].post.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/CreateApiKey',
    });
    expect(doc.paths['/v1/keys/{id}'].delete.parameters[0]).toMatchObject({ name: 'id', in: 'path', required: true });
    expect(doc.paths['/health'].get.security).toBeUndefined();

    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs).toContain('Error');
    for (const ref of refs) expect(doc.components.schemas, ref).toHaveProperty(ref);
  });

  it('is what the API tests check every response against, and the check fails on a mismatch', async () => {
    const res = await api.get('/v1/jobs?limit=1').set('Authorization', `Bearer ${admin}`);
    expect(res.status).toBe(200);
    const altered = (body: unknown, status = res.status) =>
      ({ ...res, status, body, req: (res as unknown as { req: unknown }).req }) as unknown as typeof res;
    expect(() => api.checker.check(altered({ items: 'not a list' }))).toThrow(
      /body does not match \/openapi.json: .*items must be array/,
    );
    expect(() => api.checker.check(altered({ ...res.body, extra: 1 }))).toThrow(/must NOT have additional properties/);
    expect(() => api.checker.check(altered(res.body, 302))).toThrow(/status not documented for GET \/v1\/jobs/);
    expect(() =>
      api.checker.check(altered({ error: { code: 'unavailable', message: 'down', details: null } }, 503)),
    ).not.toThrow();
    await expect(
      request(app)
        .get('/v1/nowhere')
        .expect((r) => api.checker.check(r)),
    ).rejects.toThrow(/no operation in \/openapi.json/);
  });
});

describe('GET /v1/jobs', () => {
  const base = Date.parse('2024-05-01T00:00:00Z');
  const at = (minutes: number) => new Date(base + minutes * 60_000);
  let ids: string[] = [];

  beforeAll(async () => {
    const { JobRun } = database().models;
    const docs = await JobRun.insertMany([
      {
        job: 'build-features',
        status: 'succeeded',
        trigger: 'schedule',
        startedAt: at(0),
        endedAt: at(1),
        durationMs: 60_000,
        counts: { customers: 10 },
      },
      {
        job: 'score-churn',
        status: 'failed',
        trigger: 'cli',
        startedAt: at(2),
        error: { type: 'TypeError', message: 'boom', stack: 'TypeError: boom\n    at x' },
      },
      { job: 'build-features', status: 'running', trigger: 'api', startedAt: at(3) },
      // Two runs started at the same instant: the cursor must not lose or repeat either.
      { job: 'build-features', status: 'succeeded', trigger: 'startup', startedAt: at(5) },
      { job: 'score-churn', status: 'succeeded', trigger: 'schedule', startedAt: at(5) },
    ]);
    ids = docs.map((d) => d.id as string);
  });

  afterAll(async () => {
    await database().models.JobRun.deleteMany({});
  });

  it('lists runs newest first', async () => {
    const res = await api.get('/v1/jobs').set(bearer(marketer));
    expect(res.status).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    const started = res.body.items.map((r: { startedAt: string }) => Date.parse(r.startedAt));
    expect(started).toEqual([...started].sort((a, b) => b - a));
    expect(res.body.items).toHaveLength(5);
    expect(res.body.items.at(-1)).toMatchObject({
      id: ids[0],
      job: 'build-features',
      status: 'succeeded',
      trigger: 'schedule',
      counts: { customers: 10 },
      durationMs: 60_000,
      endedAt: at(1).toISOString(),
      error: null,
    });
  });

  it('filters by job and status', async () => {
    const byJob = await api.get('/v1/jobs?job=build-features').set(bearer(marketer));
    expect(byJob.body.items.map((r: { id: string }) => r.id)).toEqual([ids[3], ids[2], ids[0]]);
    const both = await api.get('/v1/jobs?job=score-churn&status=failed').set(bearer(marketer));
    expect(both.body.items.map((r: { id: string }) => r.id)).toEqual([ids[1]]);
  });

  it('pages by cursor without losing or repeating runs', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: request.Response = await api
        .get('/v1/jobs')
        .query(cursor ? { limit: 2, cursor } : { limit: 2 })
        .set(bearer(marketer));
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((r: { id: string }) => r.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(5);
    expect(new Set(seen)).toEqual(new Set(ids));
  });

  it('pages by offset', async () => {
    const all = (await api.get('/v1/jobs').set(bearer(marketer))).body.items.map((r: { id: string }) => r.id);
    const page = await api.get('/v1/jobs?offset=1&limit=2').set(bearer(marketer));
    expect(page.body.items.map((r: { id: string }) => r.id)).toEqual(all.slice(1, 3));
  });

  it('rejects a cursor it did not issue, and cursor with offset', async () => {
    const bad = await api.get('/v1/jobs?cursor=bm90LWEtY3Vyc29y').set(bearer(marketer));
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.issues[0].path).toBe('query.cursor');
    const both = await api.get('/v1/jobs?cursor=abc&offset=2').set(bearer(marketer));
    expect(both.status).toBe(400);
    expect(both.body.error.details.issues[0].path).toBe('query.offset');
  });

  it('returns one run, with its stack only for admins', async () => {
    const asMarketer = await api.get(`/v1/jobs/${ids[1]}`).set(bearer(marketer));
    expect(asMarketer.status).toBe(200);
    expect(asMarketer.body.error).toEqual({ type: 'TypeError', message: 'boom' });
    const asAdmin = await api.get(`/v1/jobs/${ids[1]}`).set(bearer(admin));
    expect(asAdmin.body.error.stack).toContain('at x');
    expect((await api.get('/v1/jobs/0123456789abcdef01234567').set(bearer(admin))).status).toBe(404);
  });
});
