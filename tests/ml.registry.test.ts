import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXED_SHOP_END, seedShop } from '../data/generator/seedShop.js';
import trainChurnJob from '../jobs/train-churn.js';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { runJob } from '../src/jobs/runJob.js';
import { initBackend } from '../src/ml/backend.js';
import { createChurnModel, loadChurnModel, scoreChurn } from '../src/ml/churn/index.js';
import {
  activeModel,
  codeVersion,
  getModelVersion,
  listModels,
  loadModel,
  newVersion,
  promote,
  promotionDecision,
  registerModel,
  rollback,
} from '../src/ml/registry.js';
import { useTestDatabase } from './helpers/db.js';
import { openApiClient } from './helpers/openApiClient.js';

const database = useTestDatabase();
let tmp: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'breadcrumb-registry-'));
  // Models are built on the backend active when they are created: pick it first.
  await initBackend();
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Registers an untrained 3-input model under `name` with the given test AUC. */
function register(name: string, auc: number, opts: { tolerance?: number } = {}) {
  return registerModel(
    database(),
    {
      name,
      model: createChurnModel(3),
      meta: { kind: 'test', auc },
      asOf: new Date('2026-07-01'),
      horizonDays: 90,
      featureSchema: ['a', 'b', 'c'],
      metrics: { auc, brier: 0.2 },
      selection: { metric: 'auc', higherIsBetter: true },
    },
    { root: tmp, ...opts },
  );
}

describe('promotion rule', () => {
  const rule = { metric: 'auc', higherIsBetter: true };
  it('promotes the first model, and later ones not worse than the active by more than the tolerance', () => {
    expect(promotionDecision(0.6, null, rule).promote).toBe(true);
    expect(promotionDecision(0.795, { metric: 0.8 }, rule, 0.01).promote).toBe(true);
    expect(promotionDecision(0.85, { metric: 0.8 }, rule, 0.01).promote).toBe(true);
    expect(promotionDecision(0.785, { metric: 0.8 }, rule, 0.01)).toMatchObject({
      promote: false,
      reason: expect.stringMatching(/worse than the active/),
    });
    expect(promotionDecision(0.19, { metric: 0.2 }, { metric: 'brier', higherIsBetter: false }, 0).promote).toBe(true);
    expect(promotionDecision(null, { metric: 0.8 }, rule).promote).toBe(false);
    expect(promotionDecision(0.7, { metric: null }, rule).promote).toBe(true);
  });
});

describe('registry', () => {
  it('keeps a worse model as a candidate, promotes one within tolerance, and rolls back', async () => {
    const first = await register('toy', 0.8);
    expect(first.record).toMatchObject({
      name: 'toy',
      status: 'active',
      horizonDays: 90,
      featureSchema: ['a', 'b', 'c'],
      backend: 'wasm',
      codeVersion: codeVersion(),
    });
    expect(first.record.version).toMatch(/^\d{4}-\d{2}-\d{2}T\d{4}-[0-9a-f]{4}$/);
    expect(fs.readdirSync(path.join(tmp, 'toy', first.record.version)).sort()).toEqual([
      'meta.json',
      'model.json',
      'weights.bin',
    ]);

    const worse = await register('toy', 0.78);
    expect(worse.decision.promote).toBe(false);
    expect(worse.record.status).toBe('candidate');
    expect((await activeModel(database(), 'toy'))!.version).toBe(first.record.version);

    const close = await register('toy', 0.795);
    expect(close.record.status).toBe('active');
    expect(
      (await getModelVersion(database(), 'toy', first.record.version)).ok &&
        (await getModelVersion(database(), 'toy', first.record.version)),
    ).toMatchObject({ value: { status: 'retired' } });

    const back = await rollback(database(), 'toy');
    expect(
      back.ok && [back.value.from.version, back.value.from.status, back.value.to.version, back.value.to.status],
    ).toEqual([close.record.version, 'rejected', first.record.version, 'active']);
    expect(await rollback(database(), 'toy')).toMatchObject({ ok: false, error: { type: 'no_previous' } });

    // A person may still promote a candidate by hand.
    const manual = await promote(database(), 'toy', worse.record.version);
    expect(manual.ok && manual.value.status).toBe('active');
    const statuses = Object.fromEntries(
      (await listModels(database(), { name: 'toy' })).map((m) => [m.version, m.status]),
    );
    expect(statuses).toEqual({
      [first.record.version]: 'retired',
      [worse.record.version]: 'active',
      [close.record.version]: 'rejected',
    });
    expect(await promote(database(), 'toy', 'nope')).toMatchObject({ ok: false, error: { type: 'not_found' } });
  });

  it('loads a version with its meta, or says why not', async () => {
    const { record } = await register('other', 0.7);
    const loaded = await loadModel(database(), 'other');
    expect(loaded.ok && loaded.value.meta).toEqual({ kind: 'test', auc: 0.7 });
    expect(loaded.ok && loaded.value.record.version).toBe(record.version);
    if (loaded.ok) loaded.value.model.dispose();
    expect(await loadModel(database(), 'missing')).toMatchObject({ ok: false, error: { type: 'no_active' } });
    expect(newVersion(new Date('2026-11-27T03:50:59Z'))).toMatch(/^2026-11-27T0350-[0-9a-f]{4}$/);
  });
});

describe('train-churn job and the model API', () => {
  let key = '';
  let ingestKey = '';

  beforeAll(async () => {
    await seedShop(database(), { customers: 160, days: 365, seed: 5, end: FIXED_SHOP_END });
    key = (await createApiKey(database().models, { role: 'marketer', name: 'm' })).key;
    ingestKey = (await createApiKey(database().models, { role: 'ingest', name: 'i' })).key;
  });

  it('trains, registers and promotes the first churn model', async () => {
    const epochs: number[] = [];
    const outcome = await runJob(
      trainChurnJob,
      { asOf: '2026-07-01', horizon: '90', modelsDir: tmp },
      { database: database(), trigger: 'test', onProgress: (done, total) => total <= 100 && epochs.push(done) },
    );
    expect(outcome.ok && outcome.value.error).toBeUndefined();
    if (!outcome.ok) return;
    expect(outcome.value).toMatchObject({
      status: 'succeeded',
      counts: { promoted: 1, rows: expect.any(Number), epochs: expect.any(Number), auc: expect.any(Number) },
    });
    // The run note says how the version fared against the naive baselines, by cohort.
    expect(outcome.value.notes.find((n) => n.startsWith('churn '))).toMatch(
      /promoted: .*naive baselines on the validation fold.*one-time buyers.*repeat buyers/,
    );
    expect(epochs.length).toBe(outcome.value.counts.epochs);
    const loaded = await loadChurnModel(database());
    if (!loaded.ok) throw new Error(loaded.error.message);
    const scores = scoreChurn(
      loaded.value.model,
      loaded.value.meta,
      new Float32Array(loaded.value.meta.featureNames.length),
    );
    expect(scores.probabilities[0]).toBeGreaterThan(0);
    expect(scores.probabilities[0]).toBeLessThan(1);
    loaded.value.model.dispose();
  }, 180_000);

  it('refuses an as-of date whose label window has not ended', async () => {
    const outcome = await runJob(
      trainChurnJob,
      { asOf: new Date().toISOString(), modelsDir: tmp },
      { database: database(), trigger: 'test' },
    );
    expect(outcome.ok && outcome.value.status).toBe('failed');
    expect(outcome.ok && outcome.value.error?.message).toMatch(/label window .* has not ended/);
  });

  it('lists versions with the backend, and shows one with calibration and drivers', async () => {
    const api = await openApiClient(buildApp({ database: database() }));
    const list = await api.get('/v1/models?name=churn').set('Authorization', `Bearer ${key}`);
    expect(list.status).toBe(200);
    expect(list.body.backend).toEqual({ name: 'wasm', simd: true });
    expect(list.body.items).toHaveLength(1);
    const version = list.body.items[0].version as string;
    expect(list.body.items[0]).toMatchObject({
      name: 'churn',
      status: 'active',
      horizonDays: 90,
      asOf: '2026-07-01T00:00:00.000Z',
      metrics: { auc: expect.any(Number) },
    });

    const detail = await api.get(`/v1/models/churn/${version}`).set('Authorization', `Bearer ${key}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({
      version,
      calibration: { method: 'platt', a: expect.any(Number), table: expect.any(Array) },
      baselines: { bgnbd: expect.any(Object) },
    });
    expect(detail.body.drivers[0]).toMatchObject({ feature: expect.any(String), share: expect.any(Number) });
    expect((await api.get('/v1/models/churn/active').set('Authorization', `Bearer ${key}`)).body.version).toBe(version);
    expect((await api.get('/v1/models/churn/nope').set('Authorization', `Bearer ${key}`)).status).toBe(404);
    expect((await api.get('/v1/models').set('Authorization', `Bearer ${ingestKey}`)).status).toBe(403);
  });
});
