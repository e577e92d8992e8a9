import { beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { featureNames } from '../src/features/catalog.js';
import { useTestDatabase } from './helpers/db.js';
import { openApiClient, type OpenApiClient } from './helpers/openApiClient.js';

const database = useTestDatabase();
let app: ReturnType<typeof buildApp>;
let api: OpenApiClient;
let key = '';

beforeAll(async () => {
  app = buildApp({ database: database() });
  api = await openApiClient(app);
  key = (await createApiKey(database().models, { role: 'marketer', name: 'm' })).key;
});

describe('feature routes', () => {
  it('serves the catalogue generated from the definitions', async () => {
    const res = await api.get('/v1/features/catalog').set('Authorization', `Bearer ${key}`);
    expect(res.status).toBe(200);
    expect(res.body.items.map((f: { name: string }) => f.name)).toEqual([...featureNames]);
    for (const f of res.body.items)
      expect(f).toMatchObject({
        name: expect.any(String),
        unit: expect.any(String),
        window: expect.any(String),
        description: expect.stringMatching(/\w/),
      });
  });

  it("serves a customer's features, 404 before they exist", async () => {
    const get = () => api.get('/v1/customers/c-1/features').set('Authorization', `Bearer ${key}`);
    expect((await get()).status).toBe(404);
    await database().models.Feature.collection.insertOne({
      _id: 'c-1' as never,
      partition: 3,
      asOf: new Date('2026-01-01'),
      computedAt: new Date('2026-01-01T00:05:00Z'),
      version: 1,
      values: { frequency: 4, topCategory1: 'shoes' },
    });
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      customerId: 'c-1',
      asOf: '2026-01-01T00:00:00.000Z',
      computedAt: '2026-01-01T00:05:00.000Z',
      version: 1,
      values: { frequency: 4, topCategory1: 'shoes' },
    });
  });
});
