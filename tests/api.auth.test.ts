import { createHash } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, listApiKeys, revokeApiKey, verifyApiKey } from '../src/api/apiKeys.js';
import { authorize } from '../src/api/auth.js';
import { buildApp } from '../src/api/buildApp.js';
import { useTestDatabase } from './helpers/db.js';
import { openApiClient, type OpenApiClient } from './helpers/openApiClient.js';

const database = useTestDatabase();

let app: ReturnType<typeof buildApp>;
let api: OpenApiClient;
const keys = { admin: '', marketer: '', ingest: '' };

beforeAll(async () => {
  app = buildApp({ database: database() });
  api = await openApiClient(app);
  for (const role of ['admin', 'marketer', 'ingest'] as const)
    keys[role] = (await createApiKey(database().models, { role, name: `test ${role}` })).key;
});

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

describe('authentication', () => {
  it('answers 401 with WWW-Authenticate when no key is sent', async () => {
    const res = await api.get('/v1/jobs');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.body.error.code).toBe('unauthorized');
  });

  it('answers 401 for a malformed key and for a well-formed unknown one', async () => {
    expect((await api.get('/v1/jobs').set(bearer('not-a-key'))).status).toBe(401);
    const forged = `${keys.admin.slice(0, 12)}${'A'.repeat(43)}`; // a real prefix, a wrong secret
    const res = await api.get('/v1/jobs').set(bearer(forged));
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.body.error).toMatchObject({ code: 'unauthorized', message: 'unknown API key' });
  });

  it('guards unknown paths under /v1 too', async () => {
    expect((await request(app).get('/v1/nowhere')).status).toBe(401);
    expect((await request(app).get('/v1/nowhere').set(bearer(keys.admin))).status).toBe(404);
  });

  it('lets an admin list jobs and keys', async () => {
    expect((await api.get('/v1/jobs').set(bearer(keys.admin))).status).toBe(200);
    const res = await api.get('/v1/keys').set(bearer(keys.admin));
    expect(res.status).toBe(200);
    expect(res.body.items.map((k: { role: string }) => k.role).sort()).toEqual(['admin', 'ingest', 'marketer']);
    expect(JSON.stringify(res.body)).not.toContain(keys.admin.slice(12));
  });
});

describe('roles', () => {
  it('lets a marketer read but not write', async () => {
    expect((await api.get('/v1/jobs').set(bearer(keys.marketer))).status).toBe(200);
    const res = await api.post('/v1/keys').set(bearer(keys.marketer)).send({ role: 'admin', name: 'escalate' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect((await api.get('/v1/keys').set(bearer(keys.marketer))).status).toBe(403);
  });

  it('keeps an ingest key off read routes', async () => {
    const res = await api.get('/v1/jobs').set(bearer(keys.ingest));
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'forbidden', details: { role: 'ingest' } });
  });

  it('refuses to build a write route that accepts the marketer role', () => {
    expect(() => authorize(['admin', 'marketer'], 'post')).toThrow(/read-only marketer/);
  });
});

describe('keys at rest', () => {
  it('stores the prefix and a SHA-256 of the key, never the key or its secret', async () => {
    const res = await api.post('/v1/keys').set(bearer(keys.admin)).send({ role: 'ingest', name: 'shop webhook' });
    expect(res.status).toBe(201);
    const { key, id, prefix } = res.body as { key: string; id: string; prefix: string };
    expect(key).toMatch(/^bc_[A-Za-z0-9_-]{8}_[A-Za-z0-9_-]{43}$/);
    expect(key.slice(3, 11)).toBe(prefix);

    const stored = await database().models.ApiKey.collection.findOne({ prefix });
    expect(stored).not.toBeNull();
    const raw = JSON.stringify(stored);
    expect(raw).not.toContain(key);
    expect(raw).not.toContain(key.slice(12));
    expect(stored!.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored!.hash).toBe(createHash('sha256').update(key).digest('hex'));
    expect(String(stored!._id)).toBe(id);

    expect(await verifyApiKey(database().models, key)).toMatchObject({
      ok: true,
      value: { role: 'ingest', name: 'shop webhook' },
    });
  });

  it('records when a key was last used', async () => {
    const { key, id } = await createApiKey(database().models, { role: 'marketer', name: 'usage' });
    expect((await listApiKeys(database().models)).find((k) => k.id === id)?.lastUsedAt).toBeNull();
    await api.get('/v1/jobs').set(bearer(key)).expect(200);
    expect((await listApiKeys(database().models)).find((k) => k.id === id)?.lastUsedAt).toBeInstanceOf(Date);
  });

  it('rejects a revoked key with 401, and revoking again changes nothing', async () => {
    const { key, id } = await createApiKey(database().models, { role: 'marketer', name: 'to revoke' });
    await api.get('/v1/jobs').set(bearer(key)).expect(200);

    const revoked = await api.delete(`/v1/keys/${id}`).set(bearer(keys.admin));
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));

    const res = await api.get('/v1/jobs').set(bearer(key));
    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe('the API key has been revoked');

    const again = await revokeApiKey(database().models, id);
    expect(again.ok && again.value.revokedAt?.toISOString()).toBe(revoked.body.revokedAt);
  });

  it('answers 404 for revoking a key that does not exist, and 400 for an id that cannot exist', async () => {
    expect((await api.delete('/v1/keys/0123456789abcdef01234567').set(bearer(keys.admin))).status).toBe(404);
    const res = await api.delete('/v1/keys/nope').set(bearer(keys.admin));
    expect(res.status).toBe(400);
    expect(res.body.error.details.issues[0].path).toBe('params.id');
    expect(await revokeApiKey(database().models, 'nope')).toEqual({ ok: false, error: { type: 'not_found' } });
  });
});
