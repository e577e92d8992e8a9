import type * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShopContext, simulateCustomer } from '../data/generator/seedShop.js';
import {
  naiveBaselines,
  NAIVE_FEATURES,
  ordered,
  trainFirstPurchase,
  type FirstPurchaseMeta,
} from '../src/ml/firstPurchase/index.js';
import { scoreChurn } from '../src/ml/churn/score.js';
import { rocAuc } from '../src/ml/metrics.js';
import {
  keepColumns,
  rowsOf,
  trainingSetFromEvents,
  type TrainingEvent,
  type TrainingSet,
} from '../src/ml/trainingSet.js';

/**
 * The first-purchase model trained on one synthetic shop and measured on every prospect of
 * another (a different seed: customers, catalogue and calendar the model never saw), against the
 * naive rankings a marketer would use, fitted on the first shop.
 */
const END = new Date('2026-10-01T00:00:00Z');
const T = new Date('2026-07-01T00:00:00Z');
const HORIZON = 30;

function prospectsOf(seed: number, customers: number): TrainingSet {
  const ctx = createShopContext({ seed, days: 365, end: END, partitions: 16 });
  const events: TrainingEvent[] = [];
  const timezones = new Map<string, string>();
  for (let i = 0; i < customers; i++) {
    const sim = simulateCustomer(ctx, i);
    for (const e of sim.events) events.push(e as unknown as TrainingEvent);
    timezones.set(sim.customer._id, sim.customer.timezone);
  }
  return trainingSetFromEvents(
    events,
    { asOf: T, horizonDays: HORIZON, population: 'prospects', keepRaw: NAIVE_FEATURES },
    { timezones },
  );
}

let train: TrainingSet;
let heldOut: TrainingSet;
let model: tf.LayersModel;
let meta: FirstPurchaseMeta;

beforeAll(async () => {
  train = prospectsOf(11, 6000);
  heldOut = prospectsOf(12, 4000);
  const trained = await trainFirstPurchase(train);
  if (!trained.ok) throw new Error(trained.error.message);
  ({ model, meta } = trained.value);
}, 300_000);

afterAll(() => model?.dispose());

describe('first-purchase model on prospects', () => {
  it('trains on prospects only: customers seen before T without an order before it', () => {
    const orders = train.featureNames.indexOf('orders');
    for (let i = 0; i < train.rows; i++) expect(train.X[i * train.featureNames.length + orders]).toBe(0);
    expect(meta.kind).toBe('first_purchase');
    expect(meta.metrics.purchaseRate.train).toBeGreaterThan(0.05);
    // Order history is the same for every prospect: the model reads browsing, carts, email and activity.
    expect(meta.featureNames).not.toContain('orders');
    expect(meta.featureNames).toContain('productViews7d');
  });

  it('ranks the held-out shop’s prospects by first order ≥ 0.75 AUC and ≥ the best naive ranking + 0.05', () => {
    const columns = keepColumns(heldOut, (c) => meta.featureNames.includes(c.name));
    expect(columns.featureNames).toEqual(meta.featureNames);
    const y = ordered(heldOut);
    const auc = rocAuc(scoreChurn(model, meta, columns.X).probabilities, y);
    const naive = naiveBaselines(rowsOf(train, 'train'), heldOut);
    const best = Math.max(...Object.values(naive.naive).map((m) => m.auc ?? 0));
    console.log(
      `[first-purchase] held-out shop: ${heldOut.rows} prospects, ${y.reduce((a, b) => a + b, 0)} first orders in ${HORIZON} days; model AUC ${auc.toFixed(3)}; ` +
        `naive ${Object.entries(naive.naive)
          .map(([f, m]) => `${f} ${m.auc?.toFixed(3)}`)
          .join(
            ', ',
          )}; own test split AUC ${meta.metrics.auc?.toFixed(3)} vs best naive ${meta.metrics.baselines.best.feature} ${meta.metrics.baselines.best.auc?.toFixed(3)}`,
    );
    expect(heldOut.rows).toBeGreaterThan(800);
    expect(auc).toBeGreaterThanOrEqual(0.75);
    expect(auc).toBeGreaterThanOrEqual(best + 0.05);
  });
});
