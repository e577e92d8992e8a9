import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/ml/backend.js';
import { createChurnModel } from '../src/ml/churn/index.js';
import { BUYER_COHORTS, cohortResults, type JudgedRows } from '../src/ml/naiveBaselines.js';
import { naiveGate } from '../src/ml/naiveGate.js';
import { activeModel, registerModel } from '../src/ml/registry.js';
import { useTestDatabase } from './helpers/db.js';

const database = useTestDatabase();
let tmp: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'breadcrumb-naive-'));
  await initBackend();
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A seeded linear congruential stream in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

/**
 * 400 validation buyers, half one-time, half repeat. Churn follows days since the last order
 * (with noise), so "days since last order" ranks them well; `ours` is what a model predicts.
 */
function validationRows(): JudgedRows {
  const random = lcg(7);
  const n = 400;
  const recencyDays = Float64Array.from({ length: n }, () => 1 + random() * 300);
  const orders = Float64Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : 2 + Math.floor(random() * 5)));
  const churned = Float32Array.from(recencyDays, (d) => (d / 300 + 0.3 * (random() - 0.5) > 0.5 ? 1 : 0));
  return {
    rows: n,
    raw: { recencyDays, orders, monetaryNet: orders.map((o) => o * 40) },
    churned,
    futureRevenue: new Float64Array(n),
    nextOpenHour: new Int8Array(n).fill(-1),
  };
}

/**
 * A model that ranks like recency plus a little of what recency does not know (a nudge toward the
 * outcome), so it beats recency; on `randomOn` it predicts at random instead.
 */
function predictions(rows: JudgedRows, randomOn: 'one-time buyers' | null): Float64Array {
  const random = lcg(3);
  const recency = rows.raw.recencyDays!;
  const orders = rows.raw.orders!;
  return Float64Array.from(recency, (d, i) =>
    randomOn === 'one-time buyers' && orders[i] === 1 ? random() : d / 300 + (rows.churned[i]! > 0.5 ? 0.05 : 0),
  );
}

describe('naive baselines per cohort', () => {
  it('reports the model beside recency and frequency for each cohort of buyers', () => {
    const rows = validationRows();
    const results = cohortResults('churn', predictions(rows, null), rows, { cohorts: BUYER_COHORTS });
    expect(results.map((r) => [r.cohort, r.rows])).toEqual([
      ['one-time buyers', 200],
      ['repeat buyers', 200],
      ['all', 400],
    ]);
    const oneTime = results[0]!;
    expect(oneTime.naive.map((b) => b.model)).toEqual(['naive_recency', 'naive_frequency']);
    // Everyone has one order: order count ranks no one.
    expect(oneTime.naive[1]!.value).toBe(0.5);
    expect(oneTime.naive[0]!.value).toBeGreaterThan(0.8);
  });
});

describe('the promotion gate against the naive baselines', () => {
  const register = (verdict: ReturnType<typeof naiveGate>) =>
    registerModel(
      database(),
      {
        name: 'churn-gate',
        model: createChurnModel(3),
        meta: { kind: 'test' },
        asOf: new Date('2026-07-01'),
        horizonDays: 90,
        featureSchema: ['a', 'b', 'c'],
        metrics: { auc: 0.9 },
        selection: { metric: 'auc', higherIsBetter: true },
      },
      { root: tmp, naive: verdict },
    );

  it('refuses a version that loses to recency on one cohort, naming the cohort, the metric and both values', async () => {
    const rows = validationRows();
    const verdict = naiveGate('churn', predictions(rows, 'one-time buyers'), rows, BUYER_COHORTS);
    const oneTime = verdict.results.find((r) => r.cohort === 'one-time buyers')!;
    const recency = oneTime.naive.find((b) => b.model === 'naive_recency')!.value;
    expect(oneTime.model).toBeLessThan(recency);
    expect(verdict.pass).toBe(false);
    expect(verdict.reason).toContain(
      `one-time buyers: auc ${oneTime.model.toFixed(4)} vs naive_recency ${recency.toFixed(4)} (200 rows)`,
    );
    // Repeat buyers are won; the note names only the loss.
    expect(verdict.reason).not.toMatch(/repeat buyers: auc [\d.]+ vs naive_recency/);

    // Even as the first version of its name, it is kept as a candidate and the note says why.
    const { record, decision } = await register(verdict);
    expect(decision.promote).toBe(false);
    expect(record).toMatchObject({
      status: 'candidate',
      notes: verdict.reason,
      metrics: { val_oneTime_auc: oneTime.model, val_oneTime_naive_recency: recency },
    });
    expect(await activeModel(database(), 'churn-gate')).toBeNull();
  });

  it('promotes a version that beats its naive baselines on every cohort', async () => {
    const rows = validationRows();
    const verdict = naiveGate('churn', predictions(rows, null), rows, BUYER_COHORTS);
    expect(verdict.pass).toBe(true);
    for (const r of verdict.results)
      for (const b of r.naive) expect(r.model, `${r.cohort} vs ${b.model}`).toBeGreaterThan(b.value);
    const { record, decision } = await register(verdict);
    expect(decision.promote).toBe(true);
    expect(record.status).toBe('active');
    expect(record.notes).toMatch(
      /first model: no active version; beats its naive baselines on the validation fold — one-time buyers: auc/,
    );
  });

  it('does not judge a cohort with too few validation rows', () => {
    const rows = validationRows();
    const few = {
      ...rows,
      rows: 20,
      raw: Object.fromEntries(Object.entries(rows.raw).map(([k, v]) => [k, v.subarray(0, 20)])),
      churned: rows.churned.subarray(0, 20),
    };
    const verdict = naiveGate('churn', predictions(few, 'one-time buyers'), few, BUYER_COHORTS);
    expect(verdict.pass).toBe(true);
    expect(verdict.reason).toMatch(
      /not judged .*: one-time buyers \(10 rows\), repeat buyers \(10 rows\), all \(20 rows\)/,
    );
  });
});
