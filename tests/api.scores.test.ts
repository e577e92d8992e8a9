import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import assignSegmentsJob from '../jobs/assign-segments.js';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { config } from '../src/config.js';
import { partitionOf } from '../src/db/partition.js';
import { runJob } from '../src/jobs/runJob.js';
import { useTestDatabase } from './helpers/db.js';
import { openApiClient, type OpenApiClient } from './helpers/openApiClient.js';

const database = useTestDatabase();
let app: ReturnType<typeof buildApp>;
let api: OpenApiClient;
const keys = { admin: '', marketer: '', ingest: '' };
const N = 750;
const ids = Array.from({ length: N }, (_, i) => `s-${String(i).padStart(4, '0')}`);
const scoredAt = new Date('2026-09-30T00:00:00Z');
const get = (path: string, key = keys.marketer) => api.get(path).set('Authorization', `Bearer ${key}`);
const text = (req: request.Test) =>
  req.buffer(true).parse((res, cb) => {
    let body = '';
    res.on('data', (c: Buffer) => (body += c.toString()));
    res.on('end', () => cb(null, body));
  });

beforeAll(async () => {
  const db = database();
  app = buildApp({ database: db });
  api = await openApiClient(app);
  for (const role of ['admin', 'marketer', 'ingest'] as const)
    keys[role] = (await createApiKey(db.models, { role, name: role })).key;
  const P = config().PARTITIONS;
  await db.models.Customer.collection.insertMany(
    ids.map((id) => ({
      _id: id as never,
      partition: partitionOf(id, P),
      email: `${id}@example.com`,
      consent: { email: { status: 'granted' } },
      traits: {},
    })),
  );
  await db.models.Score.collection.insertMany(
    ids.map((id, i) => ({
      _id: id as never,
      partition: partitionOf(id, P),
      churnRisk: (i % 100) / 100,
      predictedLtv: i,
      bestSendHour: i % 24,
      expectedNextOrderAt: new Date(Date.UTC(2026, 9, 1 + (i % 28))),
      drivers: { churn: [{ feature: 'recencyDays', effect: 0.3 }] },
      modelVersions: { churn: 'v3' },
      scoredAt,
    })),
  );
  await db.models.Segment.collection.insertOne({
    _id: 'top-ltv' as never,
    name: 'Top LTV',
    kind: 'custom',
    builtIn: false,
    active: true,
    rule: { quantile: { field: 'scores.predictedLtv', top: 0.2 } },
  });
  const outcome = await runJob(assignSegmentsJob, { asOf: '2026-10-01T00:00:00Z' }, { database: db, trigger: 'test' });
  expect(outcome.ok && outcome.value.status).toBe('succeeded');
});

/** Every row of a selection through json pages, following nextCursor to the end. */
async function allPages(query: string, limit: number): Promise<{ rows: Record<string, unknown>[]; pages: number }> {
  const rows: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await get(`/v1/scores?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    rows.push(...res.body.items);
    cursor = res.body.nextCursor;
    pages++;
  } while (cursor);
  return { rows, pages };
}

describe('GET /v1/scores', () => {
  it('pages over every scored customer exactly once, by id, with the fields asked for', async () => {
    const { rows, pages } = await allPages('&fields=churnRisk,predictedLtv,expectedNextOrderAt', 200);
    expect(pages).toBe(Math.ceil(N / 200));
    expect(rows.map((r) => r.customerId)).toEqual(ids);
    for (const r of rows)
      expect(Object.keys(r).sort()).toEqual(['churnRisk', 'customerId', 'expectedNextOrderAt', 'predictedLtv']);
    expect(rows[123]).toEqual({
      customerId: 's-0123',
      churnRisk: 0.23,
      predictedLtv: 123,
      expectedNextOrderAt: '2026-10-12T00:00:00.000Z',
    });
  });

  it('gives every score field by default; a field the model did not compute is null', async () => {
    const res = await get('/v1/scores?limit=1');
    expect(res.body.items[0]).toEqual({
      customerId: 's-0000',
      cohort: null,
      churnRisk: 0,
      firstPurchaseProbability: null,
      predictedLtv: 0,
      purchaseProbability: null,
      expectedNextOrderAt: '2026-10-01T00:00:00.000Z',
      bestSendHour: 0,
      sendHourConfidence: null,
      featuresAsOf: null,
      scoredAt: scoredAt.toISOString(),
    });
  });

  it('filters to a segment: exactly its current members, each once', async () => {
    const members = await text(get('/v1/segments/top-ltv/members?format=ndjson&fields=customerId'));
    const expected = (members.body as string)
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l).customerId as string)
      .sort();
    expect(expected.length).toBe(N * 0.2);
    const { rows } = await allPages('&segment=top-ltv&fields=predictedLtv', 40);
    expect(rows.map((r) => r.customerId as string).sort()).toEqual(expected);
    // the members are the top fifth by predicted LTV, and their scores came along
    expect(Math.min(...rows.map((r) => r.predictedLtv as number))).toBe(N * 0.8);
  });

  it('streams NDJSON and CSV that parse back to the same rows', async () => {
    const nd = await text(get('/v1/scores?format=ndjson&fields=churnRisk,scoredAt'));
    expect(nd.headers['content-type']).toMatch(/application\/x-ndjson/);
    const ndRows = (nd.body as string)
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(ndRows.map((r) => r.customerId).sort()).toEqual(ids);
    expect(ndRows.find((r) => r.customerId === 's-0042')).toEqual({
      customerId: 's-0042',
      churnRisk: 0.42,
      scoredAt: scoredAt.toISOString(),
    });

    const csv = await get('/v1/scores?format=csv&segment=top-ltv&fields=predictedLtv,bestSendHour');
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const csvRows = parse(csv.text, { columns: true }) as Record<string, string>[];
    expect(csvRows.length).toBe(N * 0.2);
    expect(Object.keys(csvRows[0]!)).toEqual(['customerId', 'predictedLtv', 'bestSendHour']);
    for (const r of csvRows) expect(Number(r.bestSendHour)).toBe(Number(r.predictedLtv) % 24);
  });

  it('refuses unknown fields, foreign cursors and unknown segments, naming the problem', async () => {
    const field = await get('/v1/scores?fields=churnRisk,password');
    expect(field.status).toBe(400);
    expect(field.body.error.details.issues[0]).toMatchObject({
      path: 'query.fields',
      message: expect.stringContaining('password'),
    });
    const cursor = await get('/v1/scores?cursor=bm9wZQ');
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.details.issues[0].path).toBe('query.cursor');
    // a cursor of the every-customer pages does not page a segment
    const first = await get('/v1/scores?limit=5');
    expect((await get(`/v1/scores?segment=top-ltv&cursor=${first.body.nextCursor}`)).status).toBe(400);
    expect((await get('/v1/scores?format=csv&segment=nope')).status).toBe(404);
  });

  it('is for marketer and admin keys only, and is in the OpenAPI document with its roles', async () => {
    expect((await get('/v1/scores?limit=1', keys.admin)).status).toBe(200);
    expect((await get('/v1/scores?limit=1', keys.ingest)).status).toBe(403);
    expect((await api.get('/v1/scores')).status).toBe(401);
    const doc = (await request(app).get('/openapi.json')).body;
    expect(doc.paths['/v1/scores'].get['x-roles']).toEqual(['admin', 'marketer']);
    expect(doc.paths['/v1/scores'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['segment', 'fields', 'format', 'cursor', 'limit']),
    );
  });
});

describe('breadcrumb scores export', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bc-scores-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes a segment as NDJSON to a file and says how many rows', async () => {
    const out = join(dir, 'top.ndjson');
    const uri = new URL(inject('mongoUri'));
    uri.pathname = `/${database().db.databaseName}`;
    const { stdout } = await promisify(execFile)(
      'npx',
      [
        'tsx',
        'src/cli/main.ts',
        'scores',
        'export',
        '--segment',
        'top-ltv',
        '--fields',
        'predictedLtv',
        '--format',
        'ndjson',
        '--out',
        out,
        '--json',
      ],
      {
        env: { ...process.env, MONGODB_URI: uri.toString() },
      },
    );
    expect(JSON.parse(stdout)).toEqual({ rows: N * 0.2, out });
    const rows = (await readFile(out, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.length).toBe(N * 0.2);
    expect(Object.keys(rows[0]).sort()).toEqual(['customerId', 'predictedLtv']);
  });
});
